package store

import (
	"container/list"
	"sync"
)

// readMemory bounds the memory that reads in flight hold at once, so that
// parallel readers (Check's and Union's workers, we-step's) stay bounded
// in total whatever they read: the compressed bytes of object files read
// into memory count against fileMem, their decompressed content against
// contentMem, each at most readMemory bytes. A read larger than that waits
// until it is alone. Two budgets, always taken in that order (a read holds
// its file's bytes while it waits for its content's, never the reverse),
// cannot deadlock.
var readMemory int64 = 1 << 30

var (
	fileMem    = &budget{}
	contentMem = &budget{}
)

// budget is a weighted FIFO semaphore of bytes: waiters are served in
// order of arrival, so a large read is not starved by small ones.
type budget struct {
	mu      sync.Mutex
	used    int64
	peak    int64     // the most ever held at once (for tests)
	waiters list.List // of *budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

// acquire takes n bytes (at most readMemory), waiting for them if need
// be, and returns what it took, which the caller gives back with release.
func (b *budget) acquire(n int64) int64 {
	b.mu.Lock()
	n = max(0, min(n, readMemory))
	if b.waiters.Len() == 0 && b.used+n <= readMemory {
		b.take(n)
		b.mu.Unlock()
		return n
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	b.waiters.PushBack(w)
	b.mu.Unlock()
	<-w.ready
	return n
}

func (b *budget) take(n int64) {
	b.used += n
	b.peak = max(b.peak, b.used)
}

// release gives back n bytes and wakes the waiters that now fit, in order.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if b.used+w.n > readMemory {
			break
		}
		b.take(w.n)
		b.waiters.Remove(e)
		close(w.ready)
	}
}

// fileBuf is an object file's bytes read into memory (a pooled buffer),
// holding fileMem until released.
type fileBuf struct {
	b    []byte
	buf  *[]byte
	held int64
}

func newFileBuf(n int) *fileBuf {
	held := fileMem.acquire(int64(n))
	buf := getBuf(n)
	return &fileBuf{b: *buf, buf: buf, held: held}
}

func (f *fileBuf) release() {
	if f.buf != nil {
		putBuf(f.buf)
		f.buf = nil
	}
	fileMem.release(f.held)
	f.held = 0
	f.b = nil
}
