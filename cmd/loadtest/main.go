// Command loadtest measures Atelier under load on loopback: it builds the
// real binary, seeds a fresh database with many images, starts the
// server with the offline renderer, and then has many signed-in clients
// browse the gallery and fetch thumbnails while some members generate.
// It reports requests per second, latency percentiles and errors per kind
// of request, and the server's peak resident memory. With -nginx it also
// compares thumbnails per second against nginx serving the same bytes,
// and against a bare Go server, on two workloads: the thumbnails the
// browsing clients fetched, replayed as often as they fetched them, and
// a pool of thumbnails each as likely as any other.
//
//	go run ./cmd/loadtest -images 100000 -clients 200 -members 10 -duration 60s -nginx
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	Images    int
	Clients   int
	Members   int
	Duration  time.Duration
	Nginx     bool
	Keep      bool
	Samples   int
	ThumbPool int
	Poll      time.Duration
	Out       string
	Binary    string
}

func main() {
	if isBare(os.Args[1:]) {
		if err := serveBare(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "loadtest bare server:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func parseOptions(args []string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.IntVar(&o.Images, "images", 100_000, "images to seed the database with")
	fs.IntVar(&o.Clients, "clients", 200, "concurrent gallery clients")
	fs.IntVar(&o.Members, "members", 10, "members generating images meanwhile")
	fs.DurationVar(&o.Duration, "duration", 60*time.Second, "length of each measured phase")
	fs.BoolVar(&o.Nginx, "nginx", false, "also compare thumbnails/s with nginx")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary directory (database, logs)")
	fs.IntVar(&o.Samples, "samples", 48, "distinct pictures the seeded images reuse")
	fs.IntVar(&o.ThumbPool, "thumb-pool", 10_000,
		"distinct thumbnails the uniform thumbnail workload spreads its requests over")
	fs.DurationVar(&o.Poll, "poll", 500*time.Millisecond, "how often members poll a job")
	fs.StringVar(&o.Out, "out", "", "also write the report to this file")
	fs.StringVar(&o.Binary, "atelier", "",
		"use this atelier binary instead of building the module's")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.Images < 1 || o.Clients < 1 || o.Members < 0 || o.Samples < 1 ||
		o.ThumbPool < 1 || o.Duration <= 0 || o.Poll <= 0 {
		return o, fmt.Errorf("images, clients, samples, thumb-pool, duration and poll " +
			"must be positive, members at least 0")
	}
	return o, nil
}
