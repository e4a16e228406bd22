// Package jobs runs generations: it admits a job against the budgets,
// queues it fairly between members, waits on the shared limiter for each
// upstream call, calls the provider, and stores and settles what came back.
// The browser, the JSON API and the Gemini-protocol endpoint all submit
// through the same Runner, so they share one queue, one limiter and one
// ledger.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"atelier/db"
	"atelier/imagegen"
	"atelier/quota"
)

// Config wires a Runner.
type Config struct {
	DB        *db.DB
	Catalog   *imagegen.Catalog
	Providers map[imagegen.Protocol]imagegen.Provider
	Limits    func(group string) quota.Limits
	Budgets   db.Budgets
	MaxQueued int // per member; 0 means 20
	Inflight  int // upstream calls at once per group; 0 means 16
	Attempts  int // attempts per call for transient faults; 0 means 4
	Backoff   quota.Backoff

	// CallTimeout bounds one upstream call; 0 means 3 minutes.
	CallTimeout time.Duration
	// BillingPause is how long a billing stop pauses the provider before
	// one call checks whether an admin topped the account up; 0 means
	// 15 minutes.
	BillingPause time.Duration
	// RateLimitPatience is how long one call may keep meeting per-minute
	// 429s before it is given up; 0 means 20 minutes.
	RateLimitPatience time.Duration

	Logger  *slog.Logger
	Metrics Metrics
}

// Runner owns the queues and limiters of every model group.
type Runner struct {
	cfg   Config
	log   *slog.Logger
	calls sync.WaitGroup // every call goroutine, for Wait
	ends  sync.WaitGroup // every job's finisher, for Wait
	loops sync.WaitGroup // the dispatchers, which start calls and finishers

	mu      sync.Mutex
	groups  map[string]*group
	running map[int64]*run
	holds   map[string]hold // groups refusing new jobs; see pause.go
	changed chan struct{}   // closed and replaced whenever a job changes
	stopped bool
}

// group is one upstream quota: its limiter and its fair queue.
type group struct {
	name     string
	limiter  *quota.Limiter
	queue    *quota.Queue
	upstream bool // served by a remote provider, paused by a billing stop

	// sem holds a slot per call from before its limiter wait until its
	// answer: a call granted by the limiter is sent at once, so the
	// provider's window sees it when the limiter counted it.
	sem chan struct{}
}

// New returns a Runner; call Start to begin work.
func New(cfg Config) *Runner {
	if cfg.MaxQueued == 0 {
		cfg.MaxQueued = 20
	}
	if cfg.Inflight == 0 {
		cfg.Inflight = 16
	}
	if cfg.Attempts == 0 {
		cfg.Attempts = 4
	}
	if cfg.Backoff.Base == 0 {
		cfg.Backoff = quota.Backoff{Base: time.Second, Cap: 30 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 3 * time.Minute
	}
	if cfg.BillingPause == 0 {
		cfg.BillingPause = 15 * time.Minute
	}
	if cfg.RateLimitPatience == 0 {
		cfg.RateLimitPatience = 20 * time.Minute
	}
	if cfg.Limits == nil {
		cfg.Limits = func(string) quota.Limits { return quota.Limits{RPM: 60, TPM: 60} }
	}

	r := &Runner{
		cfg:     cfg,
		log:     cfg.Logger,
		groups:  map[string]*group{},
		running: map[int64]*run{},
		holds:   map[string]hold{},
		changed: make(chan struct{}),
	}
	for _, name := range cfg.Catalog.Groups() {
		g := &group{
			name:    name,
			limiter: quota.NewLimiter(cfg.Limits(name)),
			// The database enforces the per-member cap durably and
			// atomically with the reservation; the queue takes all.
			queue: quota.NewQueue(math.MaxInt32),
			sem:   make(chan struct{}, cfg.Inflight),
		}
		// A 429 without a delay backs off as the Runner's policy says.
		g.limiter.SetBackoff(cfg.Backoff)
		r.groups[name] = g
	}
	for _, m := range cfg.Catalog.Models() {
		if m.Protocol != imagegen.ProtocolOffline {
			r.groups[m.Group].upstream = true
		}
	}
	return r
}

// Budgets returns the configured budget defaults.
func (r *Runner) Budgets() db.Budgets { return r.cfg.Budgets }

// Catalog returns the model catalog.
func (r *Runner) Catalog() *imagegen.Catalog { return r.cfg.Catalog }

// MaxQueued returns the per-member cap on queued jobs.
func (r *Runner) MaxQueued() int { return r.cfg.MaxQueued }

// Limiter returns the limiter of a model's group, nil for unknown models.
func (r *Runner) Limiter(model string) *quota.Limiter {
	g := r.groupOf(model)
	if g == nil {
		return nil
	}
	return g.limiter
}

// Groups lists every group's name with its limiter and queue length.
func (r *Runner) Groups() []GroupState {
	var out []GroupState
	for _, name := range r.cfg.Catalog.Groups() {
		g := r.groups[name]
		out = append(out, GroupState{Name: name, Limiter: g.limiter, Waiting: g.queue.Len()})
	}
	return out
}

// GroupState describes one limit group for display.
type GroupState struct {
	Name    string
	Limiter *quota.Limiter
	Waiting int
}

// SetLimits changes a group's limits at once.
// The change is kept in the database, so it outlives a restart; limits
// stored there win over the configured defaults at the next start.
func (r *Runner) SetLimits(ctx context.Context, name string, l quota.Limits) error {
	g, ok := r.groups[name]
	if !ok {
		return fmt.Errorf("there is no limit group named %q", name)
	}
	if err := r.cfg.DB.SaveSetting(ctx, limitsKey(name), l); err != nil {
		return err
	}
	g.limiter.SetLimits(l)
	r.notify()
	return nil
}

// limitsKey names the setting that holds a group's limits.
func limitsKey(group string) string { return "limits/" + group }

// loadLimits applies the limits an admin stored for each group.
func (r *Runner) loadLimits(ctx context.Context) error {
	for name, g := range r.groups {
		var l quota.Limits
		ok, err := r.cfg.DB.LoadSetting(ctx, limitsKey(name), &l)
		if err != nil {
			return fmt.Errorf("limits of %s: %w", name, err)
		}
		if ok {
			g.limiter.SetLimits(l)
			r.log.Info("limits set on the admin page are in force (they override the "+
				"configured ones)", "group", name, "rpm", l.RPM, "tpm", l.TPM, "rpd", l.RPD)
		}
	}
	return nil
}

func (r *Runner) groupOf(model string) *group {
	m, ok := r.cfg.Catalog.Lookup(model)
	if !ok {
		return nil
	}
	return r.groups[m.Group]
}

// Changed returns a channel closed at the next change to any job, for
// callers that wait for progress (the Gemini-protocol endpoint, tests).
func (r *Runner) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

func (r *Runner) notify() {
	r.mu.Lock()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Start resumes the jobs a previous process left unfinished and starts one
// dispatcher per group. They stop when ctx ends; Wait then waits for the
// upstream calls in flight.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.loadLimits(ctx); err != nil {
		return err
	}

	// Calls that were in flight when the last process died may have been
	// billed by the provider; they are marked so, and sent again.
	n, err := r.cfg.DB.AbandonAttempts(ctx)
	if err != nil {
		return fmt.Errorf("resume jobs: %w", err)
	}
	if n > 0 {
		r.log.Warn("calls were in flight when the last process stopped; "+
			"they are sent again and charged once", "calls", n)
	}
	unfinished, err := r.cfg.DB.UnfinishedJobs(ctx)
	if err != nil {
		return fmt.Errorf("resume jobs: %w", err)
	}
	for _, j := range unfinished {
		g := r.groupOf(j.Model)
		if g == nil {
			r.cfg.DB.FinishJob(ctx, j.ID, db.StatusFailed, "model no longer offered")
			continue
		}
		g.queue.Push(quota.Item{JobID: j.ID, MemberID: j.MemberID, Tokens: j.EstTokens})
	}
	if len(unfinished) > 0 {
		r.log.Info("resumed unfinished jobs", "count", len(unfinished))
	}

	for _, g := range r.groups {
		r.loops.Add(1)
		go func() {
			defer r.loops.Done()
			r.dispatch(ctx, g)
		}()
	}

	// Once ctx ends, submissions are refused: nothing would send them.
	go func() {
		<-ctx.Done()
		r.mu.Lock()
		r.stopped = true
		r.mu.Unlock()
	}()
	return nil
}

// Wait blocks, after the Start context ended, until every upstream call
// in flight has ended. Calls waiting on the limiter or a back-off stop at
// once; their jobs stay running and resume at the next Start.
//
// The dispatchers go first: until they have stopped they may still start
// a finisher.
func (r *Runner) Wait() {
	r.loops.Wait()
	r.calls.Wait()
	r.ends.Wait()
}

// errStopped is what a submission gets after shutdown began.
var errStopped = errors.New("Atelier is shutting down; try again in a moment")

// Models lists the catalog's models whose provider is configured, the
// ones members may choose.
func (r *Runner) Models() []imagegen.Model {
	var out []imagegen.Model
	for _, m := range r.cfg.Catalog.Models() {
		if r.cfg.Providers[m.Protocol] != nil {
			out = append(out, m)
		}
	}
	return out
}

// Model looks up a model members may choose.
func (r *Runner) Model(id string) (imagegen.Model, bool) {
	m, ok := r.cfg.Catalog.Lookup(id)
	if !ok || r.cfg.Providers[m.Protocol] == nil {
		return imagegen.Model{}, false
	}
	return m, true
}
