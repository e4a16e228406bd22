package handlers_test

import (
	"net/url"
	"testing"
)

func TestAdminMembers(t *testing.T) {
	g := newGallery(t, 10)
	ada, cy := g.clients["ada"], g.clients["cy"]
	save := func(name string, v url.Values) {
		t.Helper()
		res := ada.PostForm("/admin/members/"+itoa(g.ids[name]), v)
		if res.StatusCode != 303 {
			t.Fatalf("save %s: status %d: %.300s", name, res.StatusCode, res.Body)
		}
	}

	// Create a member who can then sign in.
	res := ada.PostForm("/admin/members", url.Values{"name": {"dee"}, "password": {password}})
	if res.StatusCode != 303 {
		t.Fatalf("add member: status %d", res.StatusCode)
	}
	if res := g.app.Login(t, "dee", password).Get("/gallery"); res.StatusCode != 200 {
		t.Fatalf("new member's gallery: status %d", res.StatusCode)
	}

	// Budgets: the member sees what is left of their new daily tokens.
	save("bo", url.Values{"daily_tokens": {"1234"}, "monthly_usd": {"5.50"}})
	doc := g.clients["bo"].Get("/usage").Doc(t)
	if got := doc.Find(`[data-testid=usage-tokens-left]`).Text(); got != "1234" {
		t.Fatalf("bo's tokens left %q, want 1234", got)
	}
	if got := doc.Find(`[data-testid=usage-usd-left]`).Text(); got != "$5.50" {
		t.Fatalf("bo's USD left %q, want $5.50", got)
	}

	// Making bo an admin opens the admin page to him.
	save("bo", url.Values{"admin": {"1"}})
	if res := g.clients["bo"].Get("/admin"); res.StatusCode != 200 {
		t.Fatalf("bo as admin: status %d", res.StatusCode)
	}

	// Disabling cy ends her session at once, and enabling her again does
	// not bring the old session back.
	if res := cy.Get("/gallery"); res.StatusCode != 200 {
		t.Fatalf("cy before: status %d", res.StatusCode)
	}
	save("cy", url.Values{"disabled": {"1"}})
	if res := cy.Get("/gallery"); res.StatusCode != 303 {
		t.Fatalf("cy's session after disabling: status %d, want a redirect to sign in",
			res.StatusCode)
	}
	save("cy", url.Values{})
	if res := cy.Get("/gallery"); res.StatusCode != 303 {
		t.Fatalf("cy's old session after enabling: status %d", res.StatusCode)
	}
}
