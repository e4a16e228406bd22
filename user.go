package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"atelier/auth"
	"atelier/db"
)

// runUser handles "atelier user add NAME [--admin]" with the password on
// standard input.
func runUser(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdin io.Reader,
	stdout io.Writer,
) error {
	if len(args) < 2 || args[0] != "add" {
		return errors.New("usage: atelier user add NAME [--admin] [--db FILE] < password")
	}
	name := strings.TrimSpace(args[1])
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	admin := fs.Bool("admin", false, "make the member an admin")
	path := fs.String("db", or(getenv("ATELIER_DB"), "atelier.db"), "SQLite database file")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}

	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	password := strings.TrimRight(line, "\r\n")
	if name == "" || len(name) > 64 {
		return errors.New("the name must have 1 to 64 characters")
	}
	if len([]rune(password)) < 10 {
		return errors.New("the password (on standard input) must have at least 10 characters")
	}

	store, err := db.Open(ctx, *path)
	if err != nil {
		return err
	}
	defer store.Close()
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	m, err := store.CreateMember(ctx, name, hash, *admin, false)
	if errors.Is(err, db.ErrConflict) {
		return fmt.Errorf("a member named %q already exists", name)
	}
	if err != nil {
		return err
	}
	role := "member"
	if m.Admin {
		role = "admin"
	}
	fmt.Fprintf(stdout, "added %s %q (id %d)\n", role, m.Name, m.ID)
	return nil
}

// runBackup handles "atelier backup PATH": a consistent copy of the live
// database, safe to take while the server runs.
func runBackup(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdout io.Writer,
) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	path := fs.String("db", or(getenv("ATELIER_DB"), "atelier.db"), "SQLite database file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: atelier backup [--db FILE] PATH")
	}
	store, err := db.Open(ctx, *path)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, fs.Arg(0)); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", *path, fs.Arg(0))
	return nil
}
