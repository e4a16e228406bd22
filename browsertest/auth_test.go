package browsertest

import (
	"strings"
	"testing"
	"time"
)

// The password every test member gets.
const password = "correct horse battery"

// setup creates the first admin through the first-run page.
func (b *tab) setup(name string) {
	b.t.Helper()
	b.open("/")
	if p := b.path(); p != "/setup" {
		b.t.Fatalf("a fresh install opened %s, want /setup", p)
	}
	b.fill("#name", name)
	b.fill("#password", password)
	b.clickAndLoad("form[action='/setup'] button[type=submit]")
	b.waitJS("the studio after setup",
		`location.pathname === "/" && !!document.querySelector("#prompt")`, 10*time.Second)
}

// signIn signs a member in through the sign-in page.
func (b *tab) signIn(name, pw string) {
	b.t.Helper()
	b.open("/login")
	b.fill("#name", name)
	b.fill("#password", pw)
	b.clickAndLoad("form[action='/login'] button[type=submit]")
}

// TestFirstRunAndSignIn walks a fresh install: the setup page creates
// the first admin, who signs out, mistypes the password, then signs in.
func TestFirstRunAndSignIn(t *testing.T) {
	s := startServer(t)
	b := newTab(t, s)

	b.open("/")
	if got := b.text("h1"); got != "Welcome to Atelier" {
		t.Fatalf("first page heading %q", got)
	}
	b.checkA11y("setup")
	b.setup("ada")
	if got := b.text("[data-testid=member]"); got != "ada" {
		t.Fatalf("header shows member %q, want ada", got)
	}

	// Sign out, then a wrong password: the message shows on the form.
	b.clickAndLoad(".who button[type=submit]")
	if p := b.path(); p != "/login" {
		t.Fatalf("after sign-out at %s", p)
	}
	b.checkA11y("sign-in")
	b.signIn("ada", "not the password")
	msg := b.text("[data-testid=form-error]")
	if !strings.Contains(msg, "do not match") {
		t.Fatalf("wrong password shows %q", msg)
	}
	if got := eval[string](b, `document.querySelector("#name").value`); got != "ada" {
		t.Errorf("the name field lost its value: %q", got)
	}
	b.checkA11y("sign-in with an error")

	// The right password reaches the studio.
	b.signIn("ada", password)
	b.waitJS("the studio", `location.pathname === "/" && !!document.querySelector("#prompt")`,
		10*time.Second)
}
