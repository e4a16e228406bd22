// Atelier is a team's web studio in front of one shared image-generation
// key: members sign in, prompt, and see their images, while one limiter
// keeps the team under the provider's limits and a ledger keeps the cost.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
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
const defaultMemoryLimit = 80 << 20

// run is the whole program; tests call it with their own arguments,
// environment and streams.
func run(ctx context.Context, args []string, getenv func(string) string,
	stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "user":
			return helpIsNoError(runUser(ctx, args[1:], getenv, stdin, stdout))
		case "backup":
			return helpIsNoError(runBackup(ctx, args[1:], getenv, stdout))
		case "serve":
			args = args[1:]
		case "help":
			fmt.Fprint(stdout, usage)
			return nil
		default:
			// A mistyped command must not start a server.
			return fmt.Errorf("unknown command %q\n%s", args[0], usage)
		}
	}
	err := serve(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		return nil
	}
	return err
}

// helpIsNoError turns the flag package's "help requested" into success:
// -h has printed the flags, which is what was asked.
func helpIsNoError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// usage lists the commands; each command's -h lists its flags.
const usage = `usage:
  atelier [serve] [flags]              serve the studio (atelier -h lists the flags)
  atelier user add NAME [--admin]      add a member; the password is read from stdin
  atelier backup [--db FILE] PATH      write a consistent copy of the database
  atelier help                         show this
`
