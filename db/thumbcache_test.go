package db

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestThumbCacheStaysWithinBudget fills a small cache with thumbnails of
// random sizes and checks after every put that the bytes held never pass
// the budget, that the byte count matches the entries, and that every
// cached thumbnail is the one stored for its id.
func TestThumbCacheStaysWithinBudget(t *testing.T) {
	c := newThumbCache(10_000)
	rng := rand.New(rand.NewPCG(1, 2))
	body := func(id int64, n int) []byte {
		return bytes.Repeat([]byte{byte(id)}, n)
	}
	for range 5_000 {
		id := rng.Int64N(400)
		if data, sha, ok := c.get(id); ok {
			if sha != fmt.Sprint("sha-", id) || len(data) == 0 || data[0] != byte(id) {
				t.Fatalf("id %d: got %q and %d bytes starting %d", id, sha, len(data), data[0])
			}
			continue
		}
		c.put(c.generation(), id, fmt.Sprint("sha-", id), body(id, 1+rng.IntN(1_250)))
		var sum int64
		for _, e := range c.byID {
			sum += int64(len(e.data))
		}
		if c.size > c.max || sum != c.size {
			t.Fatalf("size %d (entries hold %d), budget %d", c.size, sum, c.max)
		}
	}
	st := c.stats()
	if st.Hits == 0 || st.Misses == 0 || st.Entries < 8 {
		t.Errorf("stats %+v: want hits, misses and at least 8 entries", st)
	}
}

// TestThumbCacheKeepsWhatIsUsed checks the second chance: thumbnails asked
// for again and again (a gallery's first page) stay while a stream of
// thumbnails seen once passes through.
func TestThumbCacheKeepsWhatIsUsed(t *testing.T) {
	c := newThumbCache(8_000)
	hot := []int64{1, 2, 3, 4}
	for _, id := range hot {
		c.put(c.generation(), id, "h", make([]byte, 500))
	}
	for id := int64(100); id < 1_000; id++ {
		for _, h := range hot {
			if _, _, ok := c.get(h); !ok {
				t.Fatalf("hot thumbnail %d evicted after %d cold ones", h, id-100)
			}
		}
		c.put(c.generation(), id, "c", make([]byte, 500))
	}
}

// TestThumbCacheRefusesWhatItCannotHold checks the limits of put: a
// thumbnail over an eighth of the budget, and every thumbnail when the
// cache is off.
func TestThumbCacheRefusesWhatItCannotHold(t *testing.T) {
	c := newThumbCache(800)
	c.put(c.generation(), 1, "a", make([]byte, 101))
	c.put(c.generation(), 2, "b", make([]byte, 100))
	if _, _, ok := c.get(1); ok {
		t.Error("a thumbnail over an eighth of the budget was cached")
	}
	if _, _, ok := c.get(2); !ok {
		t.Error("a thumbnail of an eighth of the budget was not cached")
	}

	off := newThumbCache(0)
	off.put(off.generation(), 1, "a", []byte{1})
	if _, _, ok := off.get(1); ok {
		t.Error("a cache turned off kept a thumbnail")
	}
	if st := off.stats(); st.Misses != 1 || st.Hits != 0 {
		t.Errorf("a cache turned off counts %+v, want the read as a miss", st)
	}
}

// TestThumbCacheForgetBeatsARacingRead checks that a read which began
// before a delete cannot put the deleted thumbnail back.
func TestThumbCacheForgetBeatsARacingRead(t *testing.T) {
	c := newThumbCache(1_000)
	c.put(c.generation(), 7, "s", []byte("old"))
	gen := c.generation() // a read of image 7 starts ...
	c.forget(7)           // ... the image is deleted ...
	c.put(gen, 7, "s", []byte("old"))
	if _, _, ok := c.get(7); ok {
		t.Fatal("a thumbnail read before its image's delete was cached again")
	}
	if c.size != 0 {
		t.Errorf("size %d after the only entry went, want 0", c.size)
	}
}
