package db_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"atelier/db"
)

// TestThumbnailCacheFollowsDeletes reads thumbnails through the cache
// while half of the images are deleted by another goroutine: afterwards
// every deleted image's thumbnail is gone, whatever the order the reads
// and deletes took, and every other one still reads as the database has
// it.
func TestThumbnailCacheFollowsDeletes(t *testing.T) {
	ctx := context.Background()
	d, imgs := openSeeded(t, 60)
	want := map[int64][]byte{}
	for _, im := range imgs {
		data, _, _, err := d.ImageData(ctx, im.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		want[im.ID] = data
	}
	d.CacheThumbnails(1 << 20)

	var wg sync.WaitGroup
	for r := range 4 {
		wg.Go(func() {
			for range 20 {
				for _, im := range imgs[r:] {
					data, mime, _, err := d.ImageData(ctx, im.ID, true)
					if err == nil && (!bytes.Equal(data, want[im.ID]) || mime != "image/jpeg") {
						t.Errorf("image %d: %q %x, want %x", im.ID, mime, data, want[im.ID])
					} else if err != nil && !errors.Is(err, db.ErrNotFound) {
						t.Error(err)
					}
				}
			}
		})
	}
	deleted := map[int64]bool{}
	for i, im := range imgs {
		if i%2 == 0 {
			if err := d.DeleteImage(ctx, im.ID); err != nil {
				t.Fatal(err)
			}
			deleted[im.ID] = true
		}
	}
	wg.Wait()

	for _, im := range imgs {
		data, _, _, err := d.ImageData(ctx, im.ID, true)
		switch {
		case deleted[im.ID] && !errors.Is(err, db.ErrNotFound):
			t.Errorf("deleted image %d: thumbnail still served (%v)", im.ID, err)
		case !deleted[im.ID] && (err != nil || !bytes.Equal(data, want[im.ID])):
			t.Errorf("image %d: %x, %v; want %x", im.ID, data, err, want[im.ID])
		}
	}
	if st := d.ThumbCacheStats(); st.Hits == 0 || st.Entries != int64(len(imgs)-len(deleted)) {
		t.Errorf("cache %+v: want hits and %d entries", st, len(imgs)-len(deleted))
	}
}
