package quota

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// popAll drains the queue without blocking.
func popAll(q *Queue) []Item {
	var out []Item
	for {
		it, ok := q.TryNext()
		if !ok {
			return out
		}
		out = append(out, it)
	}
}

func TestQueueRoundRobinHeavyAndLight(t *testing.T) {
	q := NewQueue(100)
	for i := range 50 {
		mustPush(t, q, Item{JobID: int64(100 + i), MemberID: 1, Tokens: 1})
	}
	for m := int64(2); m <= 5; m++ {
		mustPush(t, q, Item{JobID: m, MemberID: m, Tokens: 1})
	}

	// The four light jobs go in the first round.
	first := popAll(q)[:5]
	for i, want := range []int64{100, 2, 3, 4, 5} {
		if first[i].JobID != want {
			t.Fatalf("order %v, want heavy then 2..5", first)
		}
	}
}

func TestQueueLateLightMemberWaitsOneTurn(t *testing.T) {
	q := NewQueue(100)
	for i := range 50 {
		mustPush(t, q, Item{JobID: int64(100 + i), MemberID: 1})
	}
	for range 10 {
		q.TryNext()
	}

	// A light job arriving mid-batch waits for at most one heavy job.
	mustPush(t, q, Item{JobID: 7, MemberID: 7})
	if pos, _, _ := q.Position(7); pos > 1 {
		t.Errorf("light job at position %d", pos)
	}
	got := popAll(q)
	if got[0].JobID != 7 && got[1].JobID != 7 {
		t.Errorf("light job not within one turn: %v", got[:3])
	}
	for i := 1; i < len(got); i++ {
		if got[i].MemberID == 1 && got[i-1].MemberID == 1 &&
			got[i].JobID < got[i-1].JobID {
			t.Fatal("heavy member's jobs out of FIFO order")
		}
	}
}

func TestQueuePositionMatchesService(t *testing.T) {
	q := NewQueue(20)
	id := int64(0)
	for m, n := range []int{7, 1, 3, 0, 5} {
		for range n {
			id++
			mustPush(t, q, Item{JobID: id, MemberID: int64(m), Tokens: id%4 + 1})
		}
	}
	q.TryNext()
	q.Remove(5)

	// Position and aheadTokens agree with Snapshot and with what Next does.
	snap := q.Snapshot()
	served := popAll(q)
	if len(snap) != len(served) {
		t.Fatalf("snapshot %d items, served %d", len(snap), len(served))
	}
	var tokens int64
	for i, it := range served {
		if snap[i] != it {
			t.Fatalf("snapshot[%d] = %v, served %v", i, snap[i], it)
		}
		tokens += it.Tokens
	}
	for _, it := range snap {
		if _, _, ok := q.Position(it.JobID); ok {
			t.Fatal("Position of a served job")
		}
	}

	// Fill again and check every position against the service order.
	for _, it := range served {
		mustPush(t, q, it)
	}
	order := q.Snapshot()
	var ahead int64
	for i, it := range order {
		pos, toks, ok := q.Position(it.JobID)
		if !ok || pos != i || toks != ahead {
			t.Errorf("job %d: Position = %d,%d,%v want %d,%d", it.JobID, pos,
				toks, ok, i, ahead)
		}
		ahead += it.Tokens
	}
	if ahead != tokens {
		t.Errorf("tokens %d, want %d", ahead, tokens)
	}
}

func TestQueueRemoveCapAndLen(t *testing.T) {
	q := NewQueue(2)
	mustPush(t, q, Item{JobID: 1, MemberID: 1})
	mustPush(t, q, Item{JobID: 2, MemberID: 1})
	if err := q.Push(Item{JobID: 3, MemberID: 1}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("third push = %v, want ErrQueueFull", err)
	}
	if err := q.Push(Item{JobID: 2, MemberID: 2}); !errors.Is(err, ErrDuplicateJob) {
		t.Errorf("duplicate push = %v", err)
	}

	// Removing frees a place under the cap; unknown ids are refused.
	if !q.Remove(1) || q.Remove(1) || q.Remove(99) {
		t.Error("Remove results wrong")
	}
	mustPush(t, q, Item{JobID: 3, MemberID: 1})
	if q.Len() != 2 || q.MemberCount(1) != 2 || q.MemberCount(2) != 0 {
		t.Errorf("Len %d, MemberCount %d", q.Len(), q.MemberCount(1))
	}
	q.SetMaxPerMember(3)
	mustPush(t, q, Item{JobID: 4, MemberID: 1})
	if q.MaxPerMember() != 3 {
		t.Error("SetMaxPerMember ignored")
	}
}

func TestQueuePushFront(t *testing.T) {
	q := NewQueue(1)
	mustPush(t, q, Item{JobID: 1, MemberID: 1})
	mustPush(t, q, Item{JobID: 2, MemberID: 2})
	mustPush(t, q, Item{JobID: 3, MemberID: 3})
	it, _ := q.TryNext()

	// Refused upstream: it goes first again, even over member 1's cap.
	mustPush(t, q, Item{JobID: 4, MemberID: 1})
	q.PushFront(it)
	if pos, _, _ := q.Position(1); pos != 0 {
		t.Errorf("pushed-front job at %d", pos)
	}
	var ids []int64
	for _, it := range popAll(q) {
		ids = append(ids, it.JobID)
	}
	if len(ids) != 4 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 || ids[3] != 4 {
		t.Errorf("order %v, want [1 2 3 4]", ids)
	}
}

func TestQueueNextBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := NewQueue(5)
		go func() {
			time.Sleep(time.Minute)
			q.Push(Item{JobID: 9, MemberID: 1})
		}()
		start := time.Now()
		it, err := q.Next(t.Context())
		if err != nil || it.JobID != 9 || time.Since(start) != time.Minute {
			t.Fatalf("Next = %v, %v after %v", it, err, time.Since(start))
		}

		// An empty queue gives up when the context ends.
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if _, err := q.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Next on empty = %v", err)
		}
	})
}

// mustPush pushes or fails the test.
func mustPush(t *testing.T, q *Queue, it Item) {
	t.Helper()
	if err := q.Push(it); err != nil {
		t.Fatalf("Push(%v): %v", it, err)
	}
}
