package quota

import (
	"context"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"
)

func TestDbgB(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		sc := simScenarios()[1]
		up := &simUpstream{start: start, limits: sc.limits, rng: rand.New(rand.NewPCG(42, 99))}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
		defer cancel()
		rec := runAtelier(ctx, up, sc.limits, 42, sc.size)
		for _, s := range rec.jobs {
			if s.job.member >= simHeavy && s.arrived.Sub(s.job.submitted) > 20*time.Second {
				t.Logf("m%d tok%d sub %v wait %v", s.job.member, s.job.tokens, s.job.submitted.Sub(start), s.arrived.Sub(s.job.submitted))
			}
		}
		// grants per 10s
		var b [60]int64
		for _, s := range rec.jobs { b[int(s.arrived.Sub(start)/(10*time.Second))] += s.job.tokens }
		t.Log(b)
	})
}
