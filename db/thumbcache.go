package db

import (
	"sync"
	"sync/atomic"
)

// thumbCache keeps recently served thumbnails in memory, up to a byte
// budget, so that the gallery's thumbnails (a page of them for every page
// a member opens) do not each cost a read through SQLite. Images never
// change once stored, so an entry can only go stale by its image being
// deleted: DeleteImage drops it, and a read that raced with the delete
// must not put back what it read before it. As in authCache, put stores
// only when no delete happened since the generation taken before the
// query.
//
// Eviction is CLOCK (second chance): a hit only sets the entry's
// reference bit under the read lock, so the many concurrent thumbnail
// requests of a gallery page do not queue on one mutex.
type thumbCache struct {
	max int64 // bytes of thumbnail data the cache may hold; 0 disables it

	mu   sync.RWMutex
	gen  uint64
	size int64
	byID map[int64]*thumbEntry
	ring []*thumbEntry // clock order; nil where an entry was evicted
	free []int         // nil slots of ring, to reuse
	hand int

	hits, misses atomic.Int64
}

type thumbEntry struct {
	id   int64
	slot int
	sha  string
	data []byte
	ref  atomic.Bool
}

// ThumbCacheStats is what the cache reports to the metrics.
type ThumbCacheStats struct {
	Hits, Misses   int64
	Bytes, Entries int64
	MaxBytes       int64
}

func newThumbCache(maxBytes int64) *thumbCache {
	return &thumbCache{max: max(maxBytes, 0), byID: map[int64]*thumbEntry{}}
}

// get returns the cached thumbnail of image id and its image's hash. The
// bytes are shared: callers must not change them.
func (c *thumbCache) get(id int64) (data []byte, sha string, ok bool) {
	if c.max == 0 {
		c.misses.Add(1)
		return nil, "", false
	}
	c.mu.RLock()
	e := c.byID[id]
	c.mu.RUnlock()
	if e == nil {
		c.misses.Add(1)
		return nil, "", false
	}
	e.ref.Store(true)
	c.hits.Add(1)
	return e.data, e.sha, true
}

// generation returns the count of deletes so far, to hand to put.
func (c *thumbCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put stores a thumbnail read from the database, unless an image was
// deleted since gen or the thumbnail is too big to share the budget: no
// single entry may take more than an eighth of it.
func (c *thumbCache) put(gen uint64, id int64, sha string, data []byte) {
	n := int64(len(data))
	if c.max == 0 || n > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.byID[id] != nil {
		return
	}
	for c.size+n > c.max {
		c.evictOne()
	}
	e := &thumbEntry{id: id, sha: sha, data: data}
	if k := len(c.free); k > 0 {
		e.slot = c.free[k-1]
		c.free = c.free[:k-1]
		c.ring[e.slot] = e
	} else {
		e.slot = len(c.ring)
		c.ring = append(c.ring, e)
	}
	c.byID[id] = e
	c.size += n
}

// evictOne advances the clock hand to the first entry not used since the
// hand last passed it, clearing reference bits on the way, and evicts it.
// The caller holds mu and the cache is not empty. Every pass clears the
// bits it meets, so the hand stops within two turns of the ring.
func (c *thumbCache) evictOne() {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		c.hand++
		if e == nil {
			continue
		}
		if e.ref.Swap(false) {
			continue
		}
		c.remove(e)
		return
	}
}

// remove drops e; the caller holds mu.
func (c *thumbCache) remove(e *thumbEntry) {
	delete(c.byID, e.id)
	c.ring[e.slot] = nil
	c.free = append(c.free, e.slot)
	c.size -= int64(len(e.data))
}

// forget drops image id's thumbnail, if cached, and starts a new
// generation so that no read begun before now can store it again.
func (c *thumbCache) forget(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if e := c.byID[id]; e != nil {
		c.remove(e)
	}
}

func (c *thumbCache) stats() ThumbCacheStats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return ThumbCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Bytes: c.size,
		Entries: int64(len(c.byID)), MaxBytes: c.max}
}
