package quota

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// The simulation benchmark: 30 minutes of fake time in a synctest bubble,
// ten members against simUpstream, Atelier's Queue+Limiter beside the
// naive client loop. Run it with
//
//	go test ./quota -run TestLimiterSimulation -v
//
// It prints one row per scenario and client and fails when Atelier misses
// a target.

const simLength = 30 * time.Minute

// simScenario is one row pair of the table.
type simScenario struct {
	name    string
	limits  Limits                 // configured, and the real quota at first
	size    func(*rand.Rand) int64 // tokens (images) of one job
	halveAt time.Duration          // real quota halves at; 0 never
	from    time.Duration          // measuring starts at
	target  float64                // Atelier's images/min ÷ quota target
}

func oneImage(*rand.Rand) int64    { return 1 }
func oneToFour(r *rand.Rand) int64 { return 1 + r.Int64N(4) }
func simLimits() Limits            { return Limits{RPM: 60, TPM: 60} }
func simScenarios() []simScenario {
	return []simScenario{
		{name: "A 1 image", limits: simLimits(), size: oneImage, target: 0.98},
		{name: "B 1-4 images", limits: simLimits(), size: oneToFour, target: 0.95},
		{name: "C quota halved", limits: simLimits(), size: oneImage,
			halveAt: 5 * time.Minute, from: 7 * time.Minute, target: 0.90},
	}
}

// simResult is one row.
type simResult struct {
	utilization float64 // images per minute ÷ the real quota per minute
	rejected    int     // 429s from the provider over the whole run
	fairness    float64 // Jain's index, see jain
	p50, p95    time.Duration
	lightP95    time.Duration // p95 wait of the light members' jobs
}

// runScenario runs one client through one scenario in its own bubble.
func runScenario(t *testing.T, sc simScenario, atelier bool) simResult {
	var res simResult
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		up := &simUpstream{start: start, limits: sc.limits, halveAt: sc.halveAt,
			rng: rand.New(rand.NewPCG(42, 99))}
		ctx, cancel := context.WithTimeout(t.Context(), simLength)
		defer cancel()
		var rec *simRecord
		if atelier {
			rec = runAtelier(ctx, up, sc.limits, 42, sc.size)
		} else {
			rec = runNaive(ctx, up, 42, sc.size)
		}
		res = measure(rec, up, sc, start)
	})
	return res
}

// measure turns a run's record into a row, counting from sc.from.
func measure(rec *simRecord, up *simUpstream, sc simScenario, start time.Time) simResult {
	from := start.Add(sc.from)
	quota := up.limitsAt(start.Add(simLength)).TPM
	var images int64
	var served [simMembers]int64
	var waits, light []time.Duration
	for _, s := range rec.jobs {
		if s.arrived.Before(from) {
			continue
		}
		images += s.job.tokens
		served[s.job.member] += s.job.tokens
		w := s.arrived.Sub(s.job.submitted)
		waits = append(waits, w)
		if s.job.member >= simHeavy {
			light = append(light, w)
		}
	}
	minutes := (simLength - sc.from).Minutes()
	return simResult{
		utilization: float64(images) / minutes / float64(quota),
		rejected:    up.rejected,
		fairness:    jain(served, demand(rec, from), images),
		p50:         percentile(waits, 0.50),
		p95:         percentile(waits, 0.95),
		lightP95:    percentile(light, 0.95),
	}
}

// demand returns the images each member asked for from `from` on; heavy
// members always have work waiting, so their demand has no bound.
func demand(rec *simRecord, from time.Time) [simMembers]int64 {
	var d [simMembers]int64
	for m := range simMembers {
		if m < simHeavy {
			d[m] = 1 << 62
			continue
		}
		for _, j := range rec.demand[m] {
			if !j.submitted.Before(from) {
				d[m] += j.tokens
			}
		}
	}
	return d
}

// jain is Jain's fairness index, (Σx)² / (n·Σx²), of x_i = what member i
// was served ÷ its max-min fair share of what was served in all. The fair
// share gives every member whose demand is below an equal split all of it
// and splits the rest equally among the others (water filling). 1 means
// every member got exactly its fair share; a member starved drives it
// towards 1 - 1/n.
func jain(served, demand [simMembers]int64, total int64) float64 {
	fair := waterFill(demand, total)
	var sum, sq float64
	for i := range served {
		x := 1.0
		if fair[i] > 0 {
			x = float64(served[i]) / fair[i]
		}
		sum += x
		sq += x * x
	}
	return sum * sum / (float64(len(served)) * sq)
}

// waterFill splits total among members by max-min fairness over demand.
func waterFill(demand [simMembers]int64, total int64) [simMembers]float64 {
	order := make([]int, simMembers)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(demand[a] - demand[b]) })
	var fair [simMembers]float64
	left := float64(total)
	for k, i := range order {
		equal := left / float64(simMembers-k)
		fair[i] = min(equal, float64(demand[i]))
		left -= fair[i]
	}
	return fair
}

// percentile returns the q-quantile of ds (nearest rank).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func TestLimiterSimulation(t *testing.T) {
	var table strings.Builder
	fmt.Fprintf(&table, "%-15s %-8s %10s %6s %8s %8s %8s %9s\n", "scenario",
		"client", "img/quota", "429s", "fairness", "p50 wait", "p95 wait",
		"light p95")
	for _, sc := range simScenarios() {
		for _, atelier := range []bool{true, false} {
			r := runScenario(t, sc, atelier)
			client := "naive"
			if atelier {
				client = "atelier"
				checkTargets(t, sc, r)
			}
			fmt.Fprintf(&table, "%-15s %-8s %10.3f %6d %8.4f %8s %8s %9s\n",
				sc.name, client, r.utilization, r.rejected, r.fairness,
				r.p50.Round(time.Second), r.p95.Round(time.Second),
				r.lightP95.Round(time.Second))
		}
	}
	t.Log("\n" + table.String())
}

// checkTargets fails the test where Atelier misses a target.
func checkTargets(t *testing.T, sc simScenario, r simResult) {
	t.Helper()
	if r.utilization < sc.target {
		t.Errorf("%s: images/min ÷ quota = %.3f, target %.2f", sc.name,
			r.utilization, sc.target)
	}
	if sc.halveAt == 0 && r.rejected > 0 {
		t.Errorf("%s: %d upstream 429s, target 0", sc.name, r.rejected)
	}
	if r.fairness < 0.99 {
		t.Errorf("%s: fairness %.4f, target 0.99", sc.name, r.fairness)
	}
}
