package db

import (
	"context"
	"testing"
	"time"
)

// TestAuthCacheNeverOutlivesAChange checks that a look-up racing with a
// change cannot store what it read before the change, and that ending a
// session or disabling a member takes effect on the next look-up.
func TestAuthCacheNeverOutlivesAChange(t *testing.T) {
	var c authCache
	now := time.Now()
	gen := c.generation()
	c.clear() // a change lands while the look-up is in the database
	c.put(gen, "h", Session{ID: 1}, Member{ID: 1}, now)
	if _, _, ok := c.get("h", now); ok {
		t.Fatal("a look-up from before a change was cached")
	}

	ctx := context.Background()
	d := openTest(t)
	m, _ := d.CreateMember(ctx, "ada", "x", false, false)
	s, _ := d.CreateSession(ctx, m.ID, "web", "hash-1", "ua")
	if _, _, err := d.ActiveSession(ctx, "hash-1"); err != nil {
		t.Fatal(err)
	}
	if err := d.EndSession(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.ActiveSession(ctx, "hash-1"); err != ErrNotFound {
		t.Errorf("ended session still active: %v", err)
	}

	d.CreateSession(ctx, m.ID, "web", "hash-2", "ua")
	if _, _, err := d.ActiveSession(ctx, "hash-2"); err != nil {
		t.Fatal(err)
	}
	m.Disabled = true
	if err := d.UpdateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.ActiveSession(ctx, "hash-2"); err != ErrNotFound {
		t.Errorf("disabled member's session still active: %v", err)
	}
}
