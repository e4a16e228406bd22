// Atelier is a team's web studio in front of one shared image-generation
// key: members sign in, prompt, and see their images, while one limiter
// keeps the team under the provider's limits and a ledger keeps the cost.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	// Unless the operator chose a limit, keep the Go heap well inside a
	// small server's memory: the garbage collector works harder near the
	// limit instead of letting short-lived image buffers pile up.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "atelier:", err)
		os.Exit(1)
	}
}

// defaultMemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT
// is not set.
const defaultMemoryLimit = 96 << 20

// run is the whole program; tests call it with their own arguments,
// environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "user":
			return runUser(ctx, args[1:], getenv, stdin, stdout)
		case "backup":
			return runBackup(ctx, args[1:], getenv, stdout)
		case "serve":
			args = args[1:]
		}
	}
	return serve(ctx, args, getenv, stdout, stderr)
}
