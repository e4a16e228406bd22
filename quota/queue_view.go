package quota

// Len returns the number of queued jobs.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.members)
}

// MemberCount returns how many jobs the member has queued.
func (q *Queue) MemberCount(memberID int64) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.jobs[memberID])
}

// Position returns how many jobs will be served before jobID if nothing
// else arrives (0: it is next) and their tokens, for the ETA.
func (q *Queue) Position(jobID int64) (pos int, aheadTokens int64, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, ok := q.members[jobID]
	if !ok {
		return 0, 0, false
	}

	// The job is k-th in its member's line and that member is r-th in the
	// ring. Before it go the first k jobs of every member, plus the k-th
	// job of the members ahead of it in the ring.
	k, mine := q.indexIn(m, jobID), q.ringIndex(m)
	for r, member := range q.ring {
		line := q.jobs[member]
		n := min(len(line), k)
		if len(line) > k && r < mine {
			n = k + 1
		}
		for _, it := range line[:n] {
			pos++
			aheadTokens += it.Tokens
		}
	}
	return pos, aheadTokens, true
}

// indexIn returns the job's index in its member's line.
func (q *Queue) indexIn(m, jobID int64) int {
	for i, it := range q.jobs[m] {
		if it.JobID == jobID {
			return i
		}
	}
	return -1
}

// ringIndex returns the member's place in the ring.
func (q *Queue) ringIndex(m int64) int {
	for i, x := range q.ring {
		if x == m {
			return i
		}
	}
	return -1
}

// Snapshot returns the queued jobs in the order they would be served if
// nothing else arrived.
func (q *Queue) Snapshot() []Item {
	q.mu.Lock()
	defer q.mu.Unlock()
	lines := make([][]Item, len(q.ring))
	for i, m := range q.ring {
		lines[i] = q.jobs[m]
	}

	// Deal one job per member per round, in ring order.
	out := make([]Item, 0, len(q.members))
	for round := 0; len(out) < len(q.members); round++ {
		for _, line := range lines {
			if round < len(line) {
				out = append(out, line[round])
			}
		}
	}
	return out
}
