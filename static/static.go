// Package static embeds Atelier's stylesheets, scripts and icons and serves
// them under content-hashed URLs, so browsers may cache them forever and
// still see a new version the moment it ships.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed *.css *.js *.svg
var files embed.FS

// asset is one embedded file with its hashed URL.
type asset struct {
	body []byte
	etag string
	url  string
}

var (
	byName = map[string]*asset{} // "app.css" → asset
	byURL  = map[string]*asset{} // "/static/app.1a2b3c4d.css" → asset
)

func init() {
	names, _ := fs.Glob(files, "*")
	for _, name := range names {
		body, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(name)
		a := &asset{
			body: body,
			etag: `"` + h + `"`,
			url:  "/static/" + strings.TrimSuffix(name, ext) + "." + h + ext,
		}
		byName[name] = a
		byURL[a.url] = a
	}
}

// URL returns the hashed URL of an embedded file. It panics on a name that
// is not embedded, which the view tests catch before anything ships.
func URL(name string) string {
	a, ok := byName[name]
	if !ok {
		panic("static: no embedded file " + name)
	}
	return a.url
}

// Handler serves the embedded files at their hashed URLs with immutable
// caching. Unknown or stale URLs get 404.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := byURL[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", mime.TypeByExtension(path.Ext(r.URL.Path)))
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", a.etag)
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(a.body)
	})
}
