// Package quota holds the shared limiter and the fair queue: the in-memory
// half of how Atelier spends the team's provider quota. Budgets and the
// usage ledger live with the database code.
//
// # The limiter
//
// One Limiter guards one model limit group (models that share an upstream
// quota). It promises three things:
//
//   - never more than RPM requests, nor more than TPM tokens, in any window
//     of Window length, counted as a strict sliding window: a grant made at
//     t counts until t+Window+Margin;
//   - never more than RPD requests in one Pacific day (the provider resets
//     daily quotas at midnight America/Los_Angeles);
//   - while work waits, a grant is made as soon as those rules allow, so
//     the upstream stays busy at the limit.
//
// The hard guarantee comes from a log of recent grants (time and tokens).
// A token bucket from golang.org/x/time/rate, refilled at RPM/60 requests
// a second with a burst of ten seconds' worth, sits in front of the log
// and spreads requests out: after an idle spell a few go at once, then
// they follow at the steady rate instead of a whole minute's quota leaving
// in one instant. The bucket alone would not do: it admits burst + RPM in
// a minute, more than the limit. The log alone would send a full minute in
// one burst. Both must agree before a grant; since the bucket refills at
// exactly the limit rate, waiting work still goes out at the full rate.
//
// Tokens are checked against the log only. A second bucket for tokens was
// tried and dropped: with jobs of 1 to 4 tokens, the window frees tokens
// in lumps as old grants age out, a small token bucket cannot take a lump
// at once, and the delay compounds; it cost 10 % of TPM in the test. A
// shorter second window (a sixth of the limit per ten seconds) cost 2-12 %.
// The price of checking tokens against the full window only: when TPM is
// what binds, a minute's tokens tend to go in its first twenty seconds, so
// a job arriving in the quiet rest of the minute waits for the next one
// even when it is first in the queue.
//
// Margin (half a second) pads the window because the provider counts a
// request when it arrives, and network delay varies from call to call: two
// requests sent exactly 60 s apart can land 59.9 s apart.
//
// # Adapting to the real quota
//
// The configured limits may be wrong: a provider can lower a project's
// quota without notice. On a 429 the caller calls Penalize: every grant
// pauses for the provider's retry delay (or a jittered back-off when none
// came), and the effective rate drops. The drop is not a blind halving: the
// limiter also counts the calls the provider accepted in the last window
// (reported through Success), which is what the provider really allowed,
// and falls to the larger of half the current rate and that observed rate.
// At most one cut happens per CutHold, because the calls already in flight
// when the quota ran out come back as a burst of 429s that carry no new
// information. Success raises the rate again additively, by one request per
// minute for each minute of calm, doubling every further calm minute, so
// probing above a quota just found is gentle while a restored quota is
// regained within a few minutes. SetLimits resets the effective rate to
// the configured one.
//
// # The fair queue
//
// Queue serves waiting jobs round-robin across members and FIFO within a
// member, so one member's long batch delays another member's single job by
// at most one turn.
//
// One process holds the limiter in memory. Several replicas would share it
// through a central store instead; Gate is the small interface such a
// replacement has to satisfy.
package quota
