// Command gallerybench measures the gallery server-side: it seeds a fresh
// SQLite file in a temporary directory with many images, starts the real
// handler on a loopback port, signs in, and times the first page, a deep
// keyset page and a search over many requests, printing p50, p95 and p99.
//
//	go run ./cmd/gallerybench -n 100000 -iter 300
package main

import (
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"net/url"
	"os"
	"path/filepath"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gallerybench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("gallerybench", flag.ContinueOnError)
	n := fs.Int("n", 100_000, "images to seed")
	iter := fs.Int("iter", 300, "requests per measured case")
	if err := fs.Parse(args); err != nil {
		return err
	}

	// Seed a fresh database in a temporary directory.
	dir, err := os.MkdirTemp("", "gallerybench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, err := start(ctx, filepath.Join(dir, "atelier.db"), *n, out)
	if err != nil {
		return err
	}
	defer b.Close()

	// The deep page is reached by following the cursor, as a browser would.
	deep, err := b.deepPage(200)
	if err != nil {
		return err
	}
	cases := []struct{ name, path string }{
		{"first page", "/gallery"},
		{"deep page (200 pages in)", deep},
		{"search fox", "/gallery?q=fox"},
		{`search "red fox" lake*`, "/gallery?q=" + url.QueryEscape(`"red fox" lake*`)},
		{"search + model + oldest", "/gallery?q=misty&model=offline&sort=oldest"},
		{"rare search", "/gallery?q=" + url.QueryEscape(`"lighthouse tea storm"`)},
	}
	fmt.Fprintf(out, "%d images, %d requests per case "+
		"(server side, from handler start to last byte)\n", *n, *iter)
	for _, c := range cases {
		d, err := b.measure(c.path, *iter)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Fprintf(out, "%-30s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms\n", c.name,
			pct(d, 50), pct(d, 95), pct(d, 99))
	}
	return nil
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }
