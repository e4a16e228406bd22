package db

import (
	"sync"
	"time"
)

// authCache remembers recent session look-ups, because every request of
// a signed-in member (each thumbnail of a gallery page among them) asks
// for its session. Any change that could end a session or change a member
// (sign-out, disabling, a role or budget change, a revoked key) clears
// the whole cache, so a cached entry is never staler than the database;
// the TTL only bounds memory.
//
// A look-up that raced with such a change must not store what it read
// before the change: put only stores when no clear happened since the
// generation the caller read before querying.
type authCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]authEntry
}

type authEntry struct {
	session Session
	member  Member
	at      time.Time
}

const (
	authTTL = 30 * time.Second
	authMax = 10_000
)

func (c *authCache) get(tokenHash string, now time.Time) (Session, Member, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[tokenHash]
	if !ok || now.Sub(e.at) > authTTL {
		return Session{}, Member{}, false
	}
	return e.session, e.member, true
}

// generation returns the count of clears so far, to hand to put.
func (c *authCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *authCache) put(gen uint64, tokenHash string, s Session, m Member, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.entries == nil || len(c.entries) >= authMax {
		c.entries = map[string]authEntry{}
	}
	c.entries[tokenHash] = authEntry{session: s, member: m, at: now}
}

// clear forgets every entry; call it after any write that ends sessions
// or changes members.
func (c *authCache) clear() {
	c.mu.Lock()
	c.gen++
	c.entries = nil
	c.mu.Unlock()
}
