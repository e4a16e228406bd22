package quota

import (
	"context"
	"sync"
)

// DefaultMaxPerMember is how many queued jobs a member may hold when
// configuration says nothing.
const DefaultMaxPerMember = 20

// Item is one queued job.
type Item struct {
	JobID    int64
	MemberID int64
	Tokens   int64 // what the job will ask of the limiter
}

// Queue holds waiting jobs and hands them out round-robin across members,
// FIFO within a member: a member's long batch delays another member's
// single job by at most one turn. It is safe for concurrent use.
type Queue struct {
	mu      sync.Mutex
	max     int
	jobs    map[int64][]Item // member → FIFO of their jobs
	ring    []int64          // members with jobs, next to serve first
	members map[int64]int64  // job → member, for Remove and Position
	changed chan struct{}    // closed and replaced when a job arrives
}

// NewQueue returns an empty queue allowing maxPerMember queued jobs per
// member (DefaultMaxPerMember if it is below 1).
func NewQueue(maxPerMember int) *Queue {
	q := &Queue{
		jobs:    map[int64][]Item{},
		members: map[int64]int64{},
		changed: make(chan struct{}),
	}
	q.SetMaxPerMember(maxPerMember)
	return q
}

// SetMaxPerMember changes the cap. Members already above it keep their
// jobs but cannot add more until they fall below it.
func (q *Queue) SetMaxPerMember(n int) {
	if n < 1 {
		n = DefaultMaxPerMember
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.max = n
}

// MaxPerMember returns the cap.
func (q *Queue) MaxPerMember() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.max
}

// Push adds a job at the back of its member's line. It returns
// ErrQueueFull when the member holds the maximum already.
func (q *Queue) Push(it Item) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, dup := q.members[it.JobID]; dup {
		return ErrDuplicateJob
	}
	if len(q.jobs[it.MemberID]) >= q.max {
		return ErrQueueFull
	}

	// A member new to the ring joins at its end: after everyone waiting.
	if len(q.jobs[it.MemberID]) == 0 {
		q.ring = append(q.ring, it.MemberID)
	}
	q.jobs[it.MemberID] = append(q.jobs[it.MemberID], it)
	q.members[it.JobID] = it.MemberID
	q.wake()
	return nil
}

// PushFront puts a job back at the very front, ignoring the cap: a job the
// provider refused with 429 already had its turn when it was taken, so it
// goes next once the limiter lets anything go.
func (q *Queue) PushFront(it Item) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, dup := q.members[it.JobID]; dup {
		return
	}
	q.dropFromRing(it.MemberID)
	q.ring = append([]int64{it.MemberID}, q.ring...)
	q.jobs[it.MemberID] = append([]Item{it}, q.jobs[it.MemberID]...)
	q.members[it.JobID] = it.MemberID
	q.wake()
}

// Next removes and returns the next job, blocking until there is one or
// ctx ends.
func (q *Queue) Next(ctx context.Context) (Item, error) {
	for {
		q.mu.Lock()
		if it, ok := q.pop(); ok {
			q.mu.Unlock()
			return it, nil
		}
		ch := q.changed
		q.mu.Unlock()

		select {
		case <-ctx.Done():
			return Item{}, ctx.Err()
		case <-ch:
		}
	}
}

// TryNext is Next without blocking; ok is false when the queue is empty.
func (q *Queue) TryNext() (it Item, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pop()
}

// pop takes the first job of the member whose turn it is and sends that
// member to the back of the ring if it has more. q.mu must be held.
func (q *Queue) pop() (Item, bool) {
	if len(q.ring) == 0 {
		return Item{}, false
	}
	m := q.ring[0]
	q.ring = q.ring[1:]
	line := q.jobs[m]
	it := line[0]
	q.setLine(m, line[1:])
	if len(line) > 1 {
		q.ring = append(q.ring, m)
	}
	delete(q.members, it.JobID)
	return it, true
}

// Remove drops a queued job (a cancel) and reports whether it was queued.
func (q *Queue) Remove(jobID int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, ok := q.members[jobID]
	if !ok {
		return false
	}
	delete(q.members, jobID)
	line := q.jobs[m]
	for i, it := range line {
		if it.JobID == jobID {
			line = append(line[:i:i], line[i+1:]...)
			break
		}
	}
	q.setLine(m, line)
	if len(line) == 0 {
		q.dropFromRing(m)
	}
	return true
}

// setLine stores a member's line, forgetting empty ones.
func (q *Queue) setLine(m int64, line []Item) {
	if len(line) == 0 {
		delete(q.jobs, m)
		return
	}
	q.jobs[m] = line
}

// dropFromRing removes a member from the ring if present.
func (q *Queue) dropFromRing(m int64) {
	for i, x := range q.ring {
		if x == m {
			q.ring = append(q.ring[:i:i], q.ring[i+1:]...)
			return
		}
	}
}

// wake tells blocked Next calls to look again. q.mu must be held.
func (q *Queue) wake() {
	close(q.changed)
	q.changed = make(chan struct{})
}
