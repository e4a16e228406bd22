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

// blocked returns how long the longest-locked key must still wait.
func (l *loginLimiter) blocked(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	now := l.now()
	for _, k := range keys {
		if f := l.keys[k]; f != nil && f.until.After(now) {
			wait = max(wait, f.until.Sub(now))
		}
	}
	return wait
}

// fail records a failed attempt against every key.
func (l *loginLimiter) fail(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
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
	l.sweep(now)
}

// reset forgets a key after a successful sign-in.
func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	delete(l.keys, key)
	l.mu.Unlock()
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
