package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"atelier/internal/testapp"
)

// TestAuthorizationMatrix sends every route as four people: nobody, the
// owner of the job and images involved, another member, and an admin, and
// checks each status. Removing any route's guard changes a cell.
func TestAuthorizationMatrix(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	admin := app.AddMember(t, "root", "administrator-pw", true)
	owner := app.AddMember(t, "alice", "alice-password-1", false)
	app.AddMember(t, "bob", "bob-password-123", false)
	ctx := context.Background()

	browsers := map[string]*testapp.Client{
		"anonymous": app.Client(t),
		"owner":     app.Login(t, "alice", "alice-password-1"),
		"other":     app.Login(t, "bob", "bob-password-123"),
		"admin":     app.Login(t, "root", "administrator-pw"),
	}

	// The owner makes a job of four images: one each for the delete cells.
	form := url.Values{"prompt": {"a lighthouse"}, "model": {"offline"}, "aspect_ratio": {"1:1"},
		"size": {"1K"}, "count": {"4"}}
	job := app.WaitJobs(t, testapp.JobIDFromLocation(t, browsers["owner"].PostForm("/jobs", form)))[0]
	if len(job.Images) != 4 {
		t.Fatalf("setup job made %d images", len(job.Images))
	}
	img := job.Images[0]
	deletable := map[string]int64{"anonymous": job.Images[1].ID, "other": job.Images[1].ID,
		"owner": job.Images[2].ID, "admin": job.Images[3].ID}

	// Each member has an API key; the owner has a second one to revoke.
	keys := map[string]string{"anonymous": ""}
	for role, id := range map[string]int64{"owner": owner.ID, "admin": admin.ID} {
		_, plain, err := app.DB.CreateAPIKey(ctx, id, "script")
		if err != nil {
			t.Fatal(err)
		}
		keys[role] = plain
		app.Secret(plain)
	}
	bob, _ := app.DB.MemberByName(ctx, "bob")
	_, keys["other"], _ = app.DB.CreateAPIKey(ctx, bob.ID, "script")
	spare, _, _ := app.DB.CreateAPIKey(ctx, owner.ID, "spare")

	file := fmt.Sprintf("/files/%d/%s/image", img.ID, img.SHA256[:16])
	type want map[string]int // role → status
	all := func(anon, member int) want {
		return want{"anonymous": anon, "owner": member, "other": member, "admin": member}
	}
	adminOnly := func(ok int) want {
		return want{"anonymous": 303, "owner": 403, "other": 403, "admin": ok}
	}
	ownerOnly := func(anon, ok, notOwner int) want {
		return want{"anonymous": anon, "owner": ok, "other": notOwner, "admin": notOwner}
	}
	newMember := func(role string) url.Values {
		return url.Values{"name": {"new-" + role}, "password": {"a-long-password"}}
	}
	limits := url.Values{"group": {"offline"}, "rpm": {"600"}, "tpm": {"600"}, "rpd": {"0"}}
	budget := url.Values{"daily_tokens": {"50"}}

	routes := []struct {
		method, path string
		form         func(role string) url.Values
		want         want
	}{
		{"GET", "/", nil, all(303, 200)},
		{"POST", "/jobs", func(string) url.Values { return form }, all(303, 303)},
		{"GET", fmt.Sprintf("/jobs/%d", job.ID), nil, ownerOnly(303, 200, 404)},
		{"GET", fmt.Sprintf("/jobs/%d/card", job.ID), nil, ownerOnly(303, 200, 404)},
		{"POST", fmt.Sprintf("/jobs/%d/cancel", job.ID), nil, ownerOnly(303, 409, 404)},
		{"GET", "/quota", nil, all(303, 200)},
		{"GET", "/gallery", nil, all(303, 200)},
		{"GET", fmt.Sprintf("/images/%d", img.ID), nil, all(303, 200)},
		{"GET", file, nil, all(303, 200)},
		{"GET", strings.Replace(file, "/image", "/thumb.jpg", 1), nil, all(303, 200)},
		{"GET", strings.Replace(file, img.SHA256[:16], "0000000000000000", 1) + "x",
			nil, all(303, 404)},
		{"POST", fmt.Sprintf("/images/%d/favourite", img.ID), nil, all(303, 303)},
		{"POST", "/images/{delete}/delete", nil, want{"anonymous": 303, "owner": 303,
			"other": 403, "admin": 303}},
		{"GET", "/usage", nil, all(303, 200)},
		{"GET", "/usage/export.csv", nil, all(303, 200)},
		{"GET", fmt.Sprintf("/usage/export.csv?member=%d", owner.ID), nil,
			want{"anonymous": 303, "owner": 200, "other": 403, "admin": 200}},
		{"GET", "/usage/export.csv?member=team", nil, adminOnly(200)},
		{"GET", "/settings", nil, all(303, 200)},
		{"POST", "/settings/keys", func(string) url.Values { return url.Values{"name": {"k"}} },
			all(303, 200)},
		{"POST", fmt.Sprintf("/settings/keys/%d/revoke", spare.ID), nil,
			want{"anonymous": 303, "other": 404, "admin": 404, "owner": 303}},
		{"GET", "/admin", nil, adminOnly(200)},
		{"POST", "/admin/limits", func(string) url.Values { return limits }, adminOnly(303)},
		{"POST", "/admin/members", newMember, adminOnly(303)},
		{"POST", fmt.Sprintf("/admin/members/%d", bob.ID), func(string) url.Values { return budget },
			adminOnly(303)},
		{"POST", "/settings/password", func(string) url.Values {
			return url.Values{"current_password": {"not-the-password"},
				"new_password": {"another-password"}, "confirm_password": {"another-password"}}
		}, all(303, 422)},
		{"POST", fmt.Sprintf("/admin/members/%d/password", bob.ID), func(string) url.Values {
			return url.Values{"password": {"reset-by-admin-1"}}
		}, adminOnly(303)},
		{"GET", "/healthz", nil, all(200, 200)},
		{"GET", "/readyz", nil, all(200, 200)},
	}

	// Roles run in an order that keeps later cells meaningful: the owner
	// revokes the spare key only after the others have tried.
	order := []string{"anonymous", "other", "admin", "owner"}
	for _, rt := range routes {
		for _, role := range order {
			path := strings.Replace(rt.path, "{delete}", fmt.Sprint(deletable[role]), 1)
			c := browsers[role]
			var res testapp.Response
			if rt.method == "GET" {
				res = c.Get(path)
			} else {
				var v url.Values
				if rt.form != nil {
					v = rt.form(role)
				}
				res = c.PostForm(path, v)
			}
			if res.StatusCode != rt.want[role] {
				t.Errorf("%s %s as %s: %d, want %d", rt.method, path, role, res.StatusCode, rt.want[role])
			}
		}
	}

	// The image the other member tried to delete is still there.
	if _, err := app.DB.Image(ctx, job.Images[1].ID); err != nil {
		t.Errorf("image survived the other member's delete? %v", err)
	}

	// Keyed routes: no key is 401, any member's key works on their own
	// data, and another member's job is not found.
	api := []struct {
		method, path string
		want         want
	}{
		{"GET", "/api/v1/quota", all(401, 200)},
		{"GET", "/api/v1/images", all(401, 200)},
		{"GET", fmt.Sprintf("/api/v1/images/%d", img.ID), all(401, 200)},
		{"GET", fmt.Sprintf("/api/v1/images/%d/content", img.ID), all(401, 200)},
		{"GET", fmt.Sprintf("/api/v1/generations/%d", job.ID), ownerOnly(401, 200, 404)},
		{"POST", fmt.Sprintf("/api/v1/generations/%d/cancel", job.ID), ownerOnly(401, 409, 404)},
		{"DELETE", fmt.Sprintf("/api/v1/generations/%d", job.ID), ownerOnly(401, 409, 404)},
		{"GET", "/api/v1/models", all(401, 200)},
		{"POST", "/api/v1/generations", all(401, 202)},
		{"POST", "/v1beta/models/offline:generateContent", all(401, 200)},
		{"POST", "/v1/models/offline:generateContent", all(401, 200)},
	}
	bodies := map[string]string{
		"/api/v1/generations":                    `{"prompt":"a kite","model":"offline","count":1}`,
		"/v1beta/models/offline:generateContent": `{"contents":[{"parts":[{"text":"a kite"}]}]}`,
		"/v1/models/offline:generateContent":     `{"contents":[{"parts":[{"text":"a kite"}]}]}`,
	}
	for _, rt := range api {
		for _, role := range order {
			req, _ := http.NewRequest(rt.method, app.URL+rt.path, strings.NewReader(bodies[rt.path]))
			req.Header.Set("Content-Type", "application/json")
			if keys[role] != "" {
				req.Header.Set("Authorization", "Bearer "+keys[role])
			}
			res := app.Client(t).Do(req)
			if res.StatusCode != rt.want[role] {
				t.Errorf("%s %s as %s: %d, want %d", rt.method, rt.path, role, res.StatusCode, rt.want[role])
			}
		}
	}
}
