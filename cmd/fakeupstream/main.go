// Command fakeupstream serves the fake Google image endpoints on
// loopback, for demos and benchmarks: point Atelier's Gemini or Vertex
// base URL at the address it prints.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"atelier/imagegen/fakeupstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakeupstream:", err)
		os.Exit(1)
	}
}

// run parses flags, listens and serves until ctx ends.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fakeupstream", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	rpm := fs.Int("rpm", 60, "requests per minute per model (0: no limit)")
	tpm := fs.Int("tpm", 60, "tokens (weighted images) per minute per model")
	rpd := fs.Int("rpd", 0, "requests per day per model (0: no limit)")
	key := fs.String("key", "", "API key and bearer token to accept (empty: any)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	// Listen first so the printed address is the real one.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: fakeupstream.New(fakeupstream.Config{
			APIKey: *key, BearerToken: *key,
			DefaultLimits: fakeupstream.Limits{RPM: *rpm, TPM: *tpm, RPD: *rpd},
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())

	// Serve until interrupted, then let calls in flight finish.
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
