package browsertest

import (
	"testing"
)

// TestAdminChangesBudget has an admin add a member and set their daily
// tokens; the member then sees that budget in the header.
func TestAdminChangesBudget(t *testing.T) {
	s := startServer(t, "--daily-tokens", "200")
	admin := newTab(t, s)
	admin.setup("ada")

	// Add bob, then give him 37 tokens a day.
	admin.open("/admin")
	admin.checkA11y("admin")
	admin.fill("#new-name", "bob")
	admin.fill("#new-password", password)
	admin.clickAndLoad("form[action='/admin/members'] button[type=submit]")
	if got := admin.text("[data-testid=saved]"); got != "bob added." {
		t.Fatalf("after adding bob the page says %q", got)
	}
	admin.fill("[data-testid=member-bob] input[name=daily_tokens]", "37")
	admin.clickAndLoad("[data-testid=member-bob] button[type=submit]")
	if got := admin.text("[data-testid=saved]"); got != "bob saved." {
		t.Fatalf("after saving bob the page says %q", got)
	}

	// Bob signs in and sees his new budget.
	bob := newTab(t, s)
	bob.signIn("bob", password)
	if got := bob.text("[data-testid=tokens-left]"); got != "37" {
		t.Errorf("bob's header shows %q tokens left, want 37", got)
	}

	// A second change shows on bob's next page.
	admin.fill("[data-testid=member-bob] input[name=daily_tokens]", "12")
	admin.clickAndLoad("[data-testid=member-bob] button[type=submit]")
	bob.open("/gallery")
	if got := bob.text("[data-testid=tokens-left]"); got != "12" {
		t.Errorf("after the second change bob's header shows %q, want 12", got)
	}
}
