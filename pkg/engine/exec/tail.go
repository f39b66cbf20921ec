package exec

import (
	"strings"
	"sync"
	"time"
)

// tailBytes is how much of an engine's stderr is kept, and tailLines how
// many of its last lines an error shows.
const (
	tailBytes = 16 << 10
	tailLines = 12
)

// tail keeps the last tailBytes written to it: an engine's stderr, shown
// when the engine fails. It is safe for concurrent use (os/exec copies
// into it from its own goroutine).
type tail struct {
	mu   sync.Mutex
	buf  []byte
	last time.Time // of the last Write
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = time.Now()
	n := len(p)
	if len(p) >= tailBytes {
		p = p[len(p)-tailBytes:]
		t.buf = t.buf[:0]
	}
	if over := len(t.buf) + len(p) - tailBytes; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// settle waits until nothing was written for quiet (at most for limit):
// a live engine's stderr reaches the tail through os/exec's copying
// goroutine, which may lag behind the reply that reports a failure.
func (t *tail) settle(quiet, limit time.Duration) {
	start := time.Now()
	time.Sleep(quiet)
	for time.Since(start) < limit {
		t.mu.Lock()
		idle := time.Since(t.last)
		t.mu.Unlock()
		if idle >= quiet {
			return
		}
		time.Sleep(quiet - idle)
	}
}

// String returns the last tailLines lines, each indented, after a line
// break, or "" when nothing was written: ready to end an error message.
func (t *tail) String() string {
	t.mu.Lock()
	s := strings.TrimRight(strings.ToValidUTF8(string(t.buf), "?"), "\n\r\t ")
	t.mu.Unlock()
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return "\n    " + strings.Join(lines, "\n    ")
}
