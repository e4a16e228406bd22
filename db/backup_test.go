package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestBackupUnderWriteLoad copies the database while jobs are being
// written and checks that the copy opens, passes an integrity check and
// holds every job committed before the copy began.
func TestBackupUnderWriteLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(ctx, filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	m, err := d.CreateMember(ctx, "ada", "x", true, false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.CreateSession(ctx, m.ID, "web", "tok", "test")
	if err != nil {
		t.Fatal(err)
	}
	newJob := NewJob{MemberID: m.ID, SessionID: s.ID, Model: "offline", Prompt: "p",
		AspectRatio: "1:1", Size: "1K", Count: 1, Calls: 1, EstTokens: 1}

	// Writers keep committing jobs while the backups run.
	var committed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				j, err := d.CreateJob(ctx, newJob, Budgets{}, 0)
				if err != nil {
					t.Error(err)
					return
				}
				for {
					cur := committed.Load()
					if j.ID <= cur || committed.CompareAndSwap(cur, j.ID) {
						break
					}
				}
			}
		}()
	}

	for i := 0; i < 3; i++ {
		for committed.Load() < int64(50*(i+1)) {
			time.Sleep(time.Millisecond)
		}
		before := committed.Load()
		path := filepath.Join(dir, "backup"+string(rune('a'+i))+".db")
		if err := d.Backup(ctx, path); err != nil {
			t.Fatal(err)
		}
		checkBackup(t, path, before)
	}
	close(stop)
	wg.Wait()
}

func checkBackup(t *testing.T, path string, committed int64) {
	t.Helper()
	b, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	var check string
	if err := b.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check of %s: %q %v", path, check, err)
	}
	var n, reserves int64
	if err := b.QueryRow(`SELECT count(*) FROM jobs WHERE id <= ?`, committed).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != committed {
		t.Errorf("backup holds %d of the %d jobs committed before it began", n, committed)
	}
	// Each job and its reservation were written together: the copy never
	// holds one without the other.
	b.QueryRow(`SELECT count(*) FROM ledger WHERE kind = 'reserve'`).Scan(&reserves)
	var jobs int64
	b.QueryRow(`SELECT count(*) FROM jobs`).Scan(&jobs)
	if reserves != jobs {
		t.Errorf("backup holds %d jobs but %d reservations", jobs, reserves)
	}
}
