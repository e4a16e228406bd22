//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDatabase takes an exclusive lock beside the database file for as
// long as the server runs. Two servers on one database would each resume
// the other's running jobs as if their process had died; the second one
// is refused instead. The lock goes with the process, however it ends.
// A symbolic link to the database is followed first, so that both names
// share one lock.
func lockDatabase(dbPath string) (release func(), err error) {
	file := dbPath
	if real, err := filepath.EvalSymlinks(dbPath); err == nil {
		file = real
	}
	f, err := os.OpenFile(file+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		f.Close()
		return nil, fmt.Errorf("another Atelier is already serving %s; stop it first, "+
			"or give this one its own --db", dbPath)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
