package quota

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// Simulated team: the first simHeavy members always have work: batch
// scripts keeping simOutstanding jobs under way, submitting a new one as
// soon as one is done. The others send a job now and then. Both clients
// see the same offered load.
const (
	simMembers     = 10
	simHeavy       = 4
	simOutstanding = 4                // a heavy member's jobs under way
	simLightMean   = 90 * time.Second // mean gap between a light member's jobs
)

// simJob is one job of the simulation.
type simJob struct {
	id, member, tokens int64
	submitted          time.Time
}

// served is one job the provider accepted.
type served struct {
	job     simJob
	arrived time.Time // when the provider counted the accepted call
}

// simRecord collects what happened in one run.
type simRecord struct {
	mu     sync.Mutex
	nextID int64
	jobs   []served
	demand [simMembers][]simJob // every job submitted, by member
}

// newJob creates and records a submitted job.
func (r *simRecord) newJob(member int64, rng *rand.Rand,
	size func(*rand.Rand) int64) simJob {

	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	j := simJob{id: r.nextID, member: member, tokens: size(rng), submitted: time.Now()}
	r.demand[member] = append(r.demand[member], j)
	return j
}

// done records an accepted call.
func (r *simRecord) done(j simJob, arrived time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.jobs = append(r.jobs, served{job: j, arrived: arrived})
}

// lightArrivals sends a light member's jobs to out at random gaps.
func lightArrivals(ctx context.Context, m int64, rng *rand.Rand, rec *simRecord,
	size func(*rand.Rand) int64, out func(simJob)) {

	for {
		gap := time.Duration(rng.ExpFloat64() * float64(simLightMean))
		if sleepCtx(ctx, gap) != nil {
			return
		}
		out(rec.newJob(m, rng, size))
	}
}

// runAtelier runs the team through a fair Queue and one Limiter, the way
// the dispatcher does: take the next job, wait on the limiter, call; on 429
// penalize the limiter and put the job back at the front.
func runAtelier(ctx context.Context, up *simUpstream, cfg Limits, seed uint64,
	size func(*rand.Rand) int64) *simRecord {

	rec := &simRecord{}
	q := NewQueue(DefaultMaxPerMember)
	lim := NewLimiter(cfg)
	jobs := map[int64]simJob{}
	var mu sync.Mutex
	push := func(j simJob) error {
		mu.Lock()
		jobs[j.id] = j
		mu.Unlock()
		return q.Push(Item{JobID: j.id, MemberID: j.member, Tokens: j.tokens})
	}

	var wg sync.WaitGroup
	var slots [simHeavy]chan struct{}
	for m := range int64(simMembers) {
		rng := rand.New(rand.NewPCG(seed, uint64(m)))
		if m < simHeavy {
			slots[m] = make(chan struct{}, simOutstanding)
			wg.Go(func() { heavyAtelier(ctx, m, rng, rec, size, slots[m], push) })
			continue
		}
		wg.Go(func() {
			lightArrivals(ctx, m, rng, rec, size, func(j simJob) { push(j) })
		})
	}

	// The dispatcher.
	for {
		it, err := q.Next(ctx)
		if err == nil {
			err = lim.Wait(ctx, it.Tokens)
		}
		if err != nil {
			break
		}
		mu.Lock()
		j := jobs[it.JobID]
		mu.Unlock()
		wg.Go(func() {
			ok, retry, arrived, err := up.send(ctx, j.tokens)
			switch {
			case err != nil:
			case ok:
				lim.Success(j.tokens)
				rec.done(j, arrived)
				if j.member < simHeavy {
					<-slots[j.member]
				}
			default:
				lim.Penalize(retry)
				q.PushFront(it)
			}
		})
	}
	wg.Wait()
	return rec
}

// heavyAtelier submits a job whenever the member has a free slot; the
// dispatcher frees one when a job of the member is done.
func heavyAtelier(ctx context.Context, m int64, rng *rand.Rand, rec *simRecord,
	size func(*rand.Rand) int64, slots chan struct{}, push func(simJob) error) {

	for {
		select {
		case <-ctx.Done():
			return
		case slots <- struct{}{}:
		}
		if err := push(rec.newJob(m, rng, size)); err != nil {
			panic(err) // simOutstanding is below the queue's cap
		}
	}
}

// runNaive runs the team as independent clients with no shared limiter:
// each member sends its jobs one after another, and on 429 sleeps 60 s and
// sends the same job again.
func runNaive(ctx context.Context, up *simUpstream, seed uint64,
	size func(*rand.Rand) int64) *simRecord {

	rec := &simRecord{}
	var wg sync.WaitGroup
	for m := range int64(simMembers) {
		rng := rand.New(rand.NewPCG(seed, uint64(m)))
		if m < simHeavy {
			var mu sync.Mutex
			next := func() simJob {
				mu.Lock()
				defer mu.Unlock()
				return rec.newJob(m, rng, size)
			}
			for range simOutstanding {
				wg.Go(func() {
					for ctx.Err() == nil {
						naiveSend(ctx, up, rec, next())
					}
				})
			}
			continue
		}
		backlog := make(chan simJob, 1000)
		wg.Go(func() {
			lightArrivals(ctx, m, rng, rec, size, func(j simJob) { backlog <- j })
		})
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-backlog:
					naiveSend(ctx, up, rec, j)
				}
			}
		})
	}
	wg.Wait()
	return rec
}

// naiveSend sends until accepted, sleeping a minute after each 429.
func naiveSend(ctx context.Context, up *simUpstream, rec *simRecord, j simJob) {
	for {
		ok, _, arrived, err := up.send(ctx, j.tokens)
		if err != nil {
			return
		}
		if ok {
			rec.done(j, arrived)
			return
		}
		if sleepCtx(ctx, time.Minute) != nil {
			return
		}
	}
}
