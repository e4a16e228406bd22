package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"atelier/db"
	"atelier/imagegen/fakeupstream"
	"atelier/jobs"
	"atelier/quota"
)

// prompt is the prompt of most fault tests; the fake bills one token a
// word plus one.
const prompt = "a red kite over a grey sea"

var promptTokens = int64(fakeupstream.PromptTokens(prompt))

// notes collects every distinct progress note of a job until it ends.
func (e *env) notes(id int64) func() []string {
	var mu sync.Mutex
	var seen []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			ch := e.r.Changed()
			j, err := e.store.Job(context.Background(), id)
			if err != nil || !j.Active() {
				return
			}
			if n := e.r.Progress(j).Note; n != "" {
				mu.Lock()
				if len(seen) == 0 || seen[len(seen)-1] != n {
					seen = append(seen, n)
				}
				mu.Unlock()
			}
			select {
			case <-ch:
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() []string {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return seen
	}
}

// TestRateLimitsAreWaitedOut checks every 429 shape that means "slow
// down": the call is sent again no sooner than the provider asked, the
// job ends done, charged once, and the member is told what is happening.
func TestRateLimitsAreWaitedOut(t *testing.T) {
	cases := []struct {
		name  string
		fault fakeupstream.Fault
		least time.Duration // the delay the answer asked for
	}{
		{"RetryInfo fractional", fakeupstream.FaultRateLimit{Delay: 350 * time.Millisecond},
			350 * time.Millisecond},
		{"RetryInfo whole", fakeupstream.FaultRateLimit{Delay: time.Second}, time.Second},
		{"bare with Retry-After", fakeupstream.FaultBare429{RetryAfter: "1"}, time.Second},
		{"bare without delay", fakeupstream.FaultBare429{}, 0},
		{"Vertex style", fakeupstream.FaultVertex429{}, 0},
		{"array wrapped", fakeupstream.FaultArray429{Delay: 250 * time.Millisecond},
			250 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.fake.Script(flash, c.fault)
			j := e.submit(flash, 1, prompt)
			notes := e.notes(j.ID)
			j = e.wait(j.ID)

			if j.Status != db.StatusDone || j.Reason != "" {
				t.Fatalf("job %s (%q), want done", j.Status, j.Reason)
			}
			at := e.attemptTimes(flash)
			if len(at) != 2 {
				t.Fatalf("fake got %d requests, want 2", len(at))
			}
			if gap := at[1].Sub(at[0]); gap < c.least {
				t.Errorf("retried after %v, the provider asked for %v", gap, c.least)
			}
			row := e.calls(j)[0]
			want := flashCost(promptTokens, 1290, 8, 40)
			if row.Kind != "settle" || row.SpentMicros != want || row.SpentTokens != 1 {
				t.Errorf("ledger %s %d tokens %d micros, want settle 1 / %d",
					row.Kind, row.SpentTokens, row.SpentMicros, want)
			}
			if got := e.images(j); len(got) != 1 || got[0] != "image/png" {
				t.Errorf("images %v, want one PNG", got)
			}
			if e.r.Limiter(flash).Scale() >= 1 {
				t.Error("the limiter did not slow down after a 429")
			}
			if c.least >= time.Second {
				assertNote(t, notes(), "waiting for the provider's quota, about 1 s")
			}
		})
	}
}

// assertNote checks that the member was shown want at some point.
func assertNote(t *testing.T, notes []string, want string) {
	t.Helper()
	for _, n := range notes {
		if strings.Contains(n, want) {
			return
		}
	}
	t.Errorf("the member never read %q; notes were %q", want, notes)
}

// TestBillingStopPausesTheProvider checks that "credits depleted" is not
// retried, fails the job plainly and refunded, and refuses new jobs for
// every remote model while the offline renderer keeps working.
func TestBillingStopPausesTheProvider(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Script(flash, fakeupstream.FaultBilling{})
	j := e.run(flash, 1, prompt)

	if j.Status != db.StatusFailed || !strings.Contains(j.Reason, "billing") ||
		!strings.Contains(j.Reason, "credits are depleted") {
		t.Fatalf("job %s (%q), want failed for billing", j.Status, j.Reason)
	}
	if n := e.requests(flash); n != 1 {
		t.Errorf("fake got %d requests, want 1: a billing stop is not retried", n)
	}
	if row := e.calls(j)[0]; row.Kind != "refund" || row.SpentMicros != 0 {
		t.Errorf("ledger %s %d micros, want a refund", row.Kind, row.SpentMicros)
	}

	// Every remote model is refused up front, with a time to come back.
	for _, model := range []string{flash, imagen} {
		_, err := e.r.Submit(context.Background(), jobs.Request{MemberID: e.member.ID,
			SessionID: e.sess.ID, Model: model, Prompt: prompt, AspectRatio: "1:1",
			Size: "1K", Count: 1})
		var pe *jobs.PausedError
		if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "billing") ||
			time.Until(pe.Until) < 10*time.Minute {
			t.Errorf("%s: submit returned %v, want a billing PausedError", model, err)
		}
	}
	if j := e.run("offline", 1, prompt); j.Status != db.StatusDone {
		t.Errorf("offline job %s (%q) during a billing stop", j.Status, j.Reason)
	}
}

// TestDailyQuotaPausesTheGroup checks a per-day 429: the job fails
// refunded without a retry, and the group refuses new jobs until
// midnight Pacific while the other group still works.
func TestDailyQuotaPausesTheGroup(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Script(flash, fakeupstream.FaultDaily{Delay: 2 * time.Second})
	j := e.run(flash, 1, prompt)

	if j.Status != db.StatusFailed || !strings.Contains(j.Reason, "daily quota") {
		t.Fatalf("job %s (%q), want failed for the daily quota", j.Status, j.Reason)
	}
	if n := e.requests(flash); n != 1 {
		t.Errorf("fake got %d requests, want 1", n)
	}
	if row := e.calls(j)[0]; row.Kind != "refund" {
		t.Errorf("ledger %s, want a refund", row.Kind)
	}

	_, err := e.r.Submit(context.Background(), jobs.Request{MemberID: e.member.ID,
		SessionID: e.sess.ID, Model: flash, Prompt: prompt, AspectRatio: "1:1",
		Size: "1K", Count: 1})
	var pe *jobs.PausedError
	if !errors.As(err, &pe) {
		t.Fatalf("submit returned %v, want a PausedError", err)
	}
	reset := quota.NextPacificMidnight(time.Now())
	if d := pe.Until.Sub(reset); d < -time.Second || d > time.Second {
		t.Errorf("refused until %v, want the Pacific midnight %v", pe.Until, reset)
	}
	if !strings.Contains(pe.Error(), "refused until") {
		t.Errorf("refusal %q does not say when", pe.Error())
	}
	if j := e.run(imagen, 1, prompt); j.Status != db.StatusDone {
		t.Errorf("imagen job %s (%q): the daily quota of another group stopped it",
			j.Status, j.Reason)
	}
}

// TestServerErrorsRetryThenFail checks 500 and 503: retried with bounded
// back-off, then failed refunded with a reason that says what happened.
func TestServerErrorsRetryThenFail(t *testing.T) {
	cases := []struct {
		code int
		want string
	}{
		{500, "the provider kept failing; gave up after 3 tries"},
		{503, "the provider is overloaded; gave up after 3 tries (503 UNAVAILABLE)"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.code), func(t *testing.T) {
			e := newEnv(t, nil)
			f := fakeupstream.FaultStatus{Code: c.code}
			e.fake.Script(flash, f, f, f, f)
			j := e.submit(flash, 1, prompt)
			notes := e.notes(j.ID)
			j = e.wait(j.ID)

			if j.Status != db.StatusFailed || !strings.Contains(j.Reason, c.want) {
				t.Fatalf("job %s (%q), want failed with %q", j.Status, j.Reason, c.want)
			}
			if strings.Contains(strings.ToLower(j.Reason), "internal error") {
				t.Errorf("reason %q speaks of an internal error", j.Reason)
			}
			if n := e.requests(flash); n != 3 {
				t.Errorf("fake got %d requests, want 3 (the attempt budget)", n)
			}
			if row := e.calls(j)[0]; row.Kind != "refund" {
				t.Errorf("ledger %s, want a refund", row.Kind)
			}
			assertNote(t, notes(), "the provider is busy; trying again in about")
		})
	}
}

// TestTransientFaultsAreRetried checks the answers that are worth one
// more try: each ends done after exactly one retry, charged once.
func TestTransientFaultsAreRetried(t *testing.T) {
	cases := []struct {
		name  string
		model string
		fault fakeupstream.Fault
		tweak func(*jobs.Config)
	}{
		{"503 once", flash, fakeupstream.FaultStatus{Code: 503}, nil},
		{"dropped connection", flash, fakeupstream.FaultDrop{}, nil},
		{"malformed JSON", flash, fakeupstream.FaultMalformed{}, nil},
		{"invalid base64 gemini", flash, fakeupstream.FaultBadBase64{}, nil},
		{"invalid base64 imagen", imagen, fakeupstream.FaultBadBase64{}, nil},
		{"dropped connection imagen", imagen, fakeupstream.FaultDrop{}, nil},
		{"slower than the call timeout", flash,
			fakeupstream.FaultSlow{Delay: 3 * time.Second},
			func(c *jobs.Config) { c.CallTimeout = 300 * time.Millisecond }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.tweak)
			e.fake.Script(c.model, c.fault)
			j := e.run(c.model, 1, prompt)

			if j.Status != db.StatusDone || j.Reason != "" {
				t.Fatalf("job %s (%q), want done", j.Status, j.Reason)
			}
			if n := e.requests(c.model); n != 2 {
				t.Errorf("fake got %d requests, want 2", n)
			}
			if got := e.images(j); len(got) != 1 {
				t.Errorf("%d images stored, want 1", len(got))
			}
			row := e.calls(j)[0]
			if row.Kind != "settle" || row.SpentTokens != 1 || row.Estimated {
				t.Errorf("ledger %+v, want one settle of 1 token", row)
			}
		})
	}
}

// TestSlowAnswerIsAwaited checks that an answer slower than usual but
// within the call timeout is simply awaited.
func TestSlowAnswerIsAwaited(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Script(imagen, fakeupstream.FaultSlow{Delay: 400 * time.Millisecond})
	j := e.run(imagen, 2, prompt)
	if j.Status != db.StatusDone || e.requests(imagen) != 1 {
		t.Fatalf("job %s after %d requests, want done after 1", j.Status, e.requests(imagen))
	}
	if row := e.calls(j)[0]; row.SpentMicros != 2*40_000 || row.SpentTokens != 2 {
		t.Errorf("charged %d tokens %d micros, want 2 / 80000", row.SpentTokens,
			row.SpentMicros)
	}
}

// TestRefusalsAreNotRetried checks the answers a retry cannot change:
// one request, failed, nothing charged.
func TestRefusalsAreNotRetried(t *testing.T) {
	cases := []struct {
		name  string
		model string
		fault fakeupstream.Fault
		want  string
	}{
		{"blocked prompt imagen", imagen, fakeupstream.FaultBlockedPrompt{},
			"the provider refused the prompt: "},
		{"blocked prompt gemini", flash, fakeupstream.FaultBlockedPrompt{},
			"the provider refused the prompt: "},
		{"all filtered", imagen, fakeupstream.FaultFilterAll{},
			"the provider's safety filter withheld every image"},
		{"empty predictions", imagen, fakeupstream.FaultEmptyPredictions{},
			"the provider returned no images"},
		{"bad request", flash, fakeupstream.FaultStatus{Code: 400},
			"the provider rejected the request (400 INVALID_ARGUMENT)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.fake.Script(c.model, c.fault)
			count := 1
			if c.model == imagen {
				count = 2 // one :predict call for both
			}
			j := e.run(c.model, count, prompt)

			if j.Status != db.StatusFailed || !strings.HasPrefix(j.Reason, c.want) {
				t.Fatalf("job %s (%q), want failed with %q", j.Status, j.Reason, c.want)
			}
			if n := e.requests(c.model); n != j.Calls {
				t.Errorf("fake got %d requests for %d calls: a refusal was retried",
					n, j.Calls)
			}
			for call, row := range e.calls(j) {
				if row.Kind != "refund" || row.SpentMicros != 0 {
					t.Errorf("call %d: %s %d micros, want a refund", call, row.Kind,
						row.SpentMicros)
				}
			}
			if got := e.images(j); len(got) != 0 {
				t.Errorf("%d images stored for a refused job", len(got))
			}
		})
	}
}

// TestSomeFilteredChargesDeliveredOnly checks an Imagen answer with two
// of four images filtered: done with two, charged for two.
func TestSomeFilteredChargesDeliveredOnly(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Script(imagen, fakeupstream.FaultFilterSome{N: 2})
	j := e.run(imagen, 4, prompt)

	if j.Status != db.StatusDone || !strings.HasPrefix(j.Reason, "2 of 4 images: withheld") {
		t.Fatalf("job %s (%q), want done with 2 of 4", j.Status, j.Reason)
	}
	if got := e.images(j); len(got) != 2 || got[0] != "image/png" {
		t.Errorf("images %v, want two PNGs", got)
	}
	row := e.calls(j)[0]
	if row.Kind != "settle" || row.SpentMicros != 80_000 || row.SpentTokens != 2 {
		t.Errorf("ledger %s %d tokens %d micros, want settle 2 / 80000", row.Kind,
			row.SpentTokens, row.SpentMicros)
	}
	if e.requests(imagen) != 1 {
		t.Errorf("fake got %d requests, want 1", e.requests(imagen))
	}
}
