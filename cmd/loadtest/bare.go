package main

import (
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The bare server is the floor of what any Go HTTP server can do here:
// net/http answering the same thumbnail bytes from memory, with no
// session, no database and no middleware. It runs as a child process
// (this program started with bareFlag), like Atelier and nginx, so it
// does not share the load generator's runtime.

// bareFlag makes this program serve root's files bare on an address.
const bareFlag = "-bare-serve"

// serveBare loads every file under root into memory and serves them at
// their paths until killed.
func serveBare(root, addr string) error {
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(root, p)
		files["/"+filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		return err
	}
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(b)
	}))
}

// startBare runs the bare server as a child process on a free port.
func startBare(root string) (addr string, stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(self, bareFlag, root, addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
	}
	if err := waitListening(addr, 10*1e9); err != nil {
		stop()
		return "", nil, err
	}
	return addr, stop, nil
}

// isBare reports whether args ask for the bare server.
func isBare(args []string) bool {
	return len(args) == 3 && strings.EqualFold(args[0], bareFlag)
}
