package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"atelier/internal/testapp"
)

const (
	oldPassword = "correct horse battery"
	newPassword = "staple battery horse"
)

// signInStatus tries a sign-in and returns its status: 303 on success.
func signInStatus(t *testing.T, app *testapp.App, name, password string) int {
	t.Helper()
	return app.Client(t).PostForm("/login",
		url.Values{"name": {name}, "password": {password}}).StatusCode
}

func TestChangePassword(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ada := app.AddMember(t, "ada", oldPassword, false)
	app.Secret(newPassword)
	key := newKey(t, app, ada)
	here, elsewhere := app.Login(t, "ada", oldPassword), app.Login(t, "ada", oldPassword)

	form := func(current, next, again string) url.Values {
		return url.Values{"current_password": {current}, "new_password": {next},
			"confirm_password": {again}}
	}
	refused := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"wrong current", form("not my password", newPassword, newPassword),
			"current-password"},
		{"mismatch", form(oldPassword, newPassword, newPassword+"!"), "confirm-password"},
		{"too short", form(oldPassword, "short", "short"), "new-password"},
	}
	for _, c := range refused {
		res := here.PostForm("/settings/password", c.form)
		errs := res.Doc(t).Find(`[data-testid$="-error"]`)
		if res.StatusCode != 422 || errs.Length() != 1 ||
			errs.AttrOr("data-testid", "") != c.field+"-error" {
			t.Errorf("%s: %d, errors %q", c.name, res.StatusCode, errs.Text())
		}
	}
	if signInStatus(t, app, "ada", oldPassword) != http.StatusSeeOther {
		t.Fatal("a refused change altered the password")
	}

	// Success: back to settings with a confirmation.
	res := here.PostForm("/settings/password", form(oldPassword, newPassword, newPassword))
	if res.StatusCode != 303 || res.Header.Get("Location") != "/settings?password=changed" {
		t.Fatalf("change: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	page := here.Get(res.Header.Get("Location"))
	if page.StatusCode != 200 ||
		page.Doc(t).Find(`[data-testid="password-changed"]`).Length() != 1 {
		t.Fatalf("this session after the change: %d", page.StatusCode)
	}

	// The other browser is signed out; only the new password works; the
	// API key is a credential of its own and still works.
	if res := elsewhere.Get("/settings"); res.StatusCode != 303 {
		t.Errorf("other session after the change: %d", res.StatusCode)
	}
	if s := signInStatus(t, app, "ada", oldPassword); s != 401 {
		t.Errorf("old password: %d", s)
	}
	if s := signInStatus(t, app, "ada", newPassword); s != 303 {
		t.Errorf("new password: %d", s)
	}
	if r := apiCall(t, app, key, "GET", "/api/v1/quota", ""); r.Status != 200 {
		t.Errorf("api key after the change: %d", r.Status)
	}
}

func TestAdminResetPassword(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	root := app.AddMember(t, "root", "administrator-pw", true)
	bo := app.AddMember(t, "bo", oldPassword, false)
	app.Secret(newPassword)
	admin := app.Login(t, "root", "administrator-pw")
	member := app.Login(t, "bo", oldPassword)
	reset := func(c *testapp.Client, id int64, pw string) testapp.Response {
		return c.PostForm(fmt.Sprintf("/admin/members/%d/password", id),
			url.Values{"password": {pw}})
	}

	// The admin page offers a reset on bo's row, not on the admin's own.
	doc := admin.Get("/admin").Doc(t)
	if doc.Find(`[data-testid="reset-bo"]`).Length() != 1 ||
		doc.Find(`[data-testid="reset-root"]`).Length() != 0 {
		t.Error("reset forms: want one for bo and none for root")
	}

	// A member is not an admin; an admin cannot reset their own here.
	if res := reset(member, root.ID, newPassword); res.StatusCode != 403 {
		t.Errorf("non-admin reset: %d", res.StatusCode)
	}
	res := reset(admin, root.ID, newPassword)
	if res.StatusCode != 422 || signInStatus(t, app, "root", "administrator-pw") != 303 {
		t.Errorf("own reset: %d", res.StatusCode)
	}
	field := fmt.Sprintf(`[data-testid="password-%d-error"]`, bo.ID)
	res = reset(admin, bo.ID, "short")
	if res.StatusCode != 422 || res.Doc(t).Find(field).Length() != 1 {
		t.Errorf("short password: %d", res.StatusCode)
	}
	if res := reset(admin, 99999, newPassword); res.StatusCode != 404 {
		t.Errorf("no such member: %d", res.StatusCode)
	}

	// The reset works and signs bo out everywhere.
	res = reset(admin, bo.ID, newPassword)
	if res.StatusCode != 303 {
		t.Fatalf("reset: %d %s", res.StatusCode, res.Body)
	}
	saved := admin.Get(res.Header.Get("Location")).Doc(t).Find(`[data-testid="saved"]`)
	if saved.Length() != 1 {
		t.Errorf("no confirmation after the reset (redirected to %s)",
			res.Header.Get("Location"))
	}
	if res := member.Get("/"); res.StatusCode != 303 {
		t.Errorf("bo's session after the reset: %d", res.StatusCode)
	}
	if s := signInStatus(t, app, "bo", oldPassword); s != 401 {
		t.Errorf("old password: %d", s)
	}
	if s := signInStatus(t, app, "bo", newPassword); s != 303 {
		t.Errorf("new password: %d", s)
	}
	if res := admin.Get("/admin"); res.StatusCode != 200 {
		t.Errorf("the admin was signed out: %d", res.StatusCode)
	}
}
