package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"atelier/db"
	"atelier/imagegen/fakeupstream"
	"atelier/jobs"
)

// TestGeminiAnswerShapes checks each way a Gemini image model answers
// 200: the job's state and reason, the images stored, and the ledger to
// the token and the micro-dollar. The fake reports 40 thinking tokens a
// call, 1290 image tokens an image and 8 text tokens beside an image.
func TestGeminiAnswerShapes(t *testing.T) {
	p := promptTokens
	cases := []struct {
		name    string
		fault   fakeupstream.Fault
		status  string
		reason  string // prefix
		mime    string // "" when no image
		charged int64  // micros
		raw     [4]int64
	}{
		{"output blocked IMAGE_SAFETY", fakeupstream.FaultOutputBlocked{
			Message: "The image may show a real person."}, db.StatusFailed,
			"blocked by the provider's safety filter (IMAGE_SAFETY): The image may show",
			"", flashCost(p, 0, 0, 40), [4]int64{p, 0, 0, 40}},
		{"output blocked IMAGE_PROHIBITED_CONTENT", fakeupstream.FaultOutputBlocked{
			FinishReason: "IMAGE_PROHIBITED_CONTENT"}, db.StatusFailed,
			"blocked by the provider's safety filter (IMAGE_PROHIBITED_CONTENT)",
			"", flashCost(p, 0, 0, 40), [4]int64{p, 0, 0, 40}},
		{"output blocked PROHIBITED_CONTENT", fakeupstream.FaultOutputBlocked{
			FinishReason: "PROHIBITED_CONTENT"}, db.StatusFailed,
			"blocked by the provider's safety filter (PROHIBITED_CONTENT)",
			"", flashCost(p, 0, 0, 40), [4]int64{p, 0, 0, 40}},
		{"output blocked SAFETY", fakeupstream.FaultOutputBlocked{
			FinishReason: "SAFETY"}, db.StatusFailed,
			"blocked by the provider's safety filter (SAFETY)",
			"", flashCost(p, 0, 0, 40), [4]int64{p, 0, 0, 40}},
		{"prompt blocked", fakeupstream.FaultPromptBlocked{}, db.StatusFailed,
			"the provider blocked the prompt (SAFETY)",
			"", flashCost(p, 0, 0, 40), [4]int64{p, 0, 0, 40}},
		{"unspecified block reason is no block", fakeupstream.FaultPromptBlocked{
			BlockReason: "BLOCK_REASON_UNSPECIFIED"}, db.StatusFailed,
			"the provider answered without an image",
			"", flashCost(p, 0, 0, 40), [4]int64{p, 0, 0, 40}},
		{"NO_IMAGE", fakeupstream.FaultNoImage{}, db.StatusFailed,
			"the model finished without an image (NO_IMAGE)",
			"", flashCost(p, 0, 0, 40), [4]int64{p, 0, 0, 40}},
		{"text only", fakeupstream.FaultTextOnly{Text: "Sure, here is a kite!"},
			db.StatusFailed, "the model answered with text only: Sure, here is a kite!",
			"", flashCost(p, 0, 12, 40), [4]int64{p, 0, 12, 40}},
		{"two drafts", fakeupstream.FaultDrafts{N: 2}, db.StatusDone, "", "image/png",
			flashCost(p, 1290, 0, 40+2*258), [4]int64{p, 1290, 0, 40 + 2*258}},
		{"only a thought image", fakeupstream.FaultOnlyThought{}, db.StatusDone, "",
			"image/png", flashCost(p, 1290, 0, 40), [4]int64{p, 1290, 0, 40}},
		{"JPEG labelled PNG", fakeupstream.FaultWrongMIME{}, db.StatusDone, "",
			"image/jpeg", flashCost(p, 1290, 0, 40), [4]int64{p, 1290, 0, 40}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.fake.Script(flash, c.fault)
			j := e.run(flash, 1, prompt)

			if j.Status != c.status || !strings.HasPrefix(j.Reason, c.reason) ||
				(c.reason == "" && j.Reason != "") {
				t.Fatalf("job %s (%q), want %s (%q)", j.Status, j.Reason, c.status, c.reason)
			}
			if n := e.requests(flash); n != 1 {
				t.Errorf("fake got %d requests, want 1", n)
			}
			mimes := e.images(j)
			if c.mime == "" && len(mimes) != 0 || c.mime != "" &&
				(len(mimes) != 1 || mimes[0] != c.mime) {
				t.Errorf("images %v, want %q", mimes, c.mime)
			}
			if c.mime != "" && (len(j.Images) != 1 || j.Images[0].Width != 1024) {
				t.Errorf("stored %+v, want the final 1024 px image", j.Images)
			}
			row := e.calls(j)[0]
			raw := [4]int64{row.PromptTokens, row.ImageTokens, row.TextTokens,
				row.ThoughtTokens}
			if row.Kind != "settle" || row.SpentMicros != c.charged || raw != c.raw ||
				row.Estimated {
				t.Errorf("ledger %s %d micros raw %v est %v, want settle %d raw %v",
					row.Kind, row.SpentMicros, raw, row.Estimated, c.charged, c.raw)
			}
		})
	}
}

// TestExactCharge pins one charge to the micro-dollar, worked by hand:
// 8 prompt tokens at $0.30/M, 1290 image tokens at $30/M and 48 text
// and thinking tokens at $2.50/M are 0.0000024 + 0.0387 + 0.00012 USD,
// 38822.4 micros, rounded up to 38823.
func TestExactCharge(t *testing.T) {
	e := newEnv(t, nil)
	j := e.run(flash, 1, prompt)
	if promptTokens != 8 {
		t.Fatalf("the fake bills %d prompt tokens, the sum below assumes 8", promptTokens)
	}
	row := e.calls(j)[0]
	if row.SpentMicros != 38823 || row.ImageTokens != 1290 || row.TextTokens != 8 ||
		row.ThoughtTokens != 40 || row.PromptTokens != 8 {
		t.Errorf("ledger %+v, want 38823 micros for 8/1290/8/40 tokens", row)
	}
}

// TestMissingUsageChargedAtEstimate checks hollow and absent usage: the
// image is stored and the call is charged the reserved estimate, flagged,
// never zero.
func TestMissingUsageChargedAtEstimate(t *testing.T) {
	for _, f := range []fakeupstream.Fault{fakeupstream.FaultHollowUsage{},
		fakeupstream.FaultNoUsage{}} {
		e := newEnv(t, nil)
		e.fake.Script(flash, f)
		j := e.run(flash, 1, prompt)
		if j.Status != db.StatusDone || len(e.images(j)) != 1 {
			t.Fatalf("%T: job %s (%q)", f, j.Status, j.Reason)
		}

		// The estimate: 500 prompt, 1290 image and 100 text tokens.
		want := flashCost(500, 1290, 100, 0)
		row := e.calls(j)[0]
		if row.SpentMicros != want || want != j.EstMicros || !row.Estimated ||
			row.SpentTokens != 1 {
			t.Errorf("%T: charged %d micros (estimated %v), want %d flagged",
				f, row.SpentMicros, row.Estimated, want)
		}
	}
}

// TestOneOfThreeCallsBlocked asks three images of a Gemini model, whose
// second call is blocked: two images, three calls each billed on its own,
// the blocked one at the tokens it reported.
func TestOneOfThreeCallsBlocked(t *testing.T) {
	e := newEnv(t, func(c *jobs.Config) { c.Inflight = 1 })
	e.fake.Script(flash, fakeupstream.FaultOK{}, fakeupstream.FaultOutputBlocked{},
		fakeupstream.FaultOK{})
	j := e.run(flash, 3, prompt)

	if j.Status != db.StatusDone || !strings.HasPrefix(j.Reason,
		"2 of 3 images: blocked by the provider's safety filter (IMAGE_SAFETY)") {
		t.Fatalf("job %s (%q), want done with 2 of 3", j.Status, j.Reason)
	}
	if got := e.images(j); len(got) != 2 {
		t.Errorf("%d images stored, want 2", len(got))
	}
	if n := e.requests(flash); n != 3 {
		t.Errorf("fake got %d requests, want 3", n)
	}
	var blocked, images int
	var total int64
	for _, row := range e.calls(j) {
		total += row.SpentMicros
		switch {
		case row.ImageTokens == 0 && row.SpentMicros == flashCost(promptTokens, 0, 0, 40):
			blocked++
		case row.SpentMicros == flashCost(promptTokens, 1290, 8, 40) && row.SpentTokens == 1:
			images++
		default:
			t.Errorf("unexpected ledger row %+v", row)
		}
	}
	if blocked != 1 || images != 2 {
		t.Errorf("%d blocked and %d image rows, want 1 and 2", blocked, images)
	}
	if j.SpentMicros != total {
		t.Errorf("job shows %d micros spent, the ledger %d", j.SpentMicros, total)
	}
}

// TestShutdownMidRetryResumes stops the Runner while a call waits out a
// 429, and checks the job is neither failed nor refunded (it goes back to
// the queue, nothing of it settled) but resumes on the next start and is
// charged once.
func TestShutdownMidRetryResumes(t *testing.T) {
	e := newEnv(t, nil)
	e.fake.Script(flash, fakeupstream.FaultRateLimit{Delay: time.Minute})
	j := e.submit(flash, 1, prompt)

	// Wait until the call is waiting for the provider's quota.
	deadline := time.After(10 * time.Second)
	for {
		ch := e.r.Changed()
		cur, _ := e.store.Job(context.Background(), j.ID)
		if strings.Contains(e.r.Progress(cur).Note, "waiting for the provider's quota") {
			break
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatal("the call never waited for the quota")
		}
	}

	// Stopping returns at once, not after the minute.
	start := time.Now()
	e.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v while a call waited for quota", d)
	}
	cur, _ := e.store.Job(context.Background(), j.ID)
	if !cur.Active() {
		t.Fatalf("after shutdown the job is %s (%q), want it waiting to resume",
			cur.Status, cur.Reason)
	}
	if rows := e.calls(cur); len(rows) != 0 {
		t.Fatalf("the interrupted call was settled: %+v", rows)
	}

	// A new Runner on the same database finishes it.
	e.start(nil)
	j = e.wait(j.ID)
	if j.Status != db.StatusDone || len(e.images(j)) != 1 {
		t.Fatalf("resumed job %s (%q)", j.Status, j.Reason)
	}
	if row := e.calls(j)[0]; row.Kind != "settle" || row.SpentTokens != 1 {
		t.Errorf("ledger %+v, want one settle", row)
	}
	if n := e.requests(flash); n != 2 {
		t.Errorf("fake got %d requests, want 2", n)
	}
}
