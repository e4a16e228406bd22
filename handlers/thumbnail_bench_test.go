package handlers_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"atelier/internal/testapp"
)

// BenchmarkThumbnail measures a signed-in thumbnail request end to end
// over loopback: session cookie, session look-up, blob read and write.
// The client runs in the same process, so its cost is included.
func BenchmarkThumbnail(b *testing.B) {
	app := testapp.New(b, testapp.Options{})
	app.AddMember(b, "grace", "cobol-forever-1959", false)
	c := app.Login(b, "grace", "cobol-forever-1959")
	form := url.Values{"prompt": {"a lighthouse"}, "model": {"offline"}, "aspect_ratio": {"1:1"},
		"size": {"1K"}, "count": {"1"}}
	j := app.WaitJobs(b, testapp.JobIDFromLocation(b, c.PostForm("/jobs", form)))[0]
	im := j.Images[0]
	u := fmt.Sprintf("%s/files/%d/%s/thumb.jpg", app.URL, im.ID, im.SHA256[:16])
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		cl := &http.Client{Jar: c.HTTP.Jar, Transport: tr}
		for pb.Next() {
			res, err := cl.Get(u)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Fatal(res.StatusCode)
			}
		}
	})
}
