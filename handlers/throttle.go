package handlers

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// loginLimiter counts failed sign-ins per key (an account name or a client
// address). After loginFree failures a key is locked out for a delay that
// doubles with each further failure, up to loginMaxWait.
type loginLimiter struct {
	mu   sync.Mutex
	keys map[string]*failures
	now  func() time.Time
}

type failures struct {
	count int
	until time.Time
	last  time.Time
}

const (
	loginFree    = 5
	loginMaxWait = 15 * time.Minute
	loginForget  = time.Hour
)

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{keys: map[string]*failures{}, now: time.Now}
}

// attempt counts a sign-in attempt against every key, as a failure
// until succeed says otherwise, and returns how long the caller must
// wait instead, when a key is locked (the attempt is then not counted).
func (l *loginLimiter) attempt(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		if f := l.keys[k]; f != nil && f.until.After(now) {
			wait = max(wait, f.until.Sub(now))
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		l.failLocked(k, now)
	}
	l.sweep(now)
	return 0
}

// failLocked records one failure of key; l.mu is held.
func (l *loginLimiter) failLocked(k string, now time.Time) {
	f := l.keys[k]
	if f == nil || now.Sub(f.last) > loginForget {
		f = &failures{}
		l.keys[k] = f
	}
	f.count++
	f.last = now
	if f.count >= loginFree {
		wait := time.Second << min(f.count-loginFree, 10)
		f.until = now.Add(min(wait*5, loginMaxWait))
	}
}

// succeed takes back the failure an attempt counted: the account's
// record is cleared, the address's loses that one attempt.
func (l *loginLimiter) succeed(account, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, account)
	if f := l.keys[addr]; f != nil && f.count > 0 {
		f.count--
		if f.count < loginFree {
			f.until = time.Time{}
		}
	}
}

// sweep drops stale keys so a flood of names cannot grow the map forever.
func (l *loginLimiter) sweep(now time.Time) {
	if len(l.keys) < 10000 {
		return
	}
	for k, f := range l.keys {
		if now.Sub(f.last) > loginForget {
			delete(l.keys, k)
		}
	}
}

// clientAddr is the request's remote IP, without the port.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func humanWait(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds()+0.999))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()+0.999))
}

func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(int(d.Seconds() + 0.999))
}
