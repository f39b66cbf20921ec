package store

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Progress makes the results of a long, resumable stage durable while it
// runs, so that a stage that is killed and run again computes only the
// results that are missing (FORMAT.md §1.1, memo entries, and §1.2). we-step uses it for
// its walkers.
//
// Workers Add each result: its objects go to temp files at once (as
// Batch.Add) and a line describing it is queued. Run, on the stage's own
// goroutine, commits the queued results at most Period after the first of
// them, and then rewrites the progress entry (a memo entry) with every line
// committed so far: one barrier per commit instead of one per result, and
// an entry that never names an object that is not durable. Finish commits
// what is left together with the stage's output object, in the layer
// after, and replaces the progress entry by the stage's memo entry; a
// stage shorter than Period thus writes no progress entry at all.
type Progress struct {
	st     *Store
	key    [32]byte
	batch  *Batch
	total  int
	period time.Duration

	mu      sync.Mutex // guards pending
	pending []string
	wake    chan struct{}

	// Owned by the goroutine that calls Run, Flush and Finish.
	done     []string
	recorded bool // a progress entry exists
}

// StartProgress starts recording the progress of the stage whose progress
// entry is key, for total results, committing at most period after a
// result is added. It returns the lines an earlier, interrupted run of the
// stage recorded; the stage checks them and passes those it keeps to
// Resume. Release the Progress with Abort.
func (s *Store) StartProgress(key [32]byte, total int, period time.Duration) (*Progress, []string) {
	p := &Progress{st: s, key: key, batch: s.NewBatch(), total: total, period: period, wake: make(chan struct{}, 1)}
	b, ok := s.ReadMemo(key)
	p.recorded = ok
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return p, lines
}

// Resume counts the lines of an earlier run that the stage kept as done.
func (p *Progress) Resume(lines []string) { p.done = append(p.done, lines...) }

// Add stages the objects of one result and queues its line (which must
// not contain a newline). It is safe for concurrent use.
func (p *Progress) Add(items []Item, line string) error {
	for _, it := range items {
		if err := p.batch.Add(0, it); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.pending = append(p.pending, line)
	first := len(p.pending) == 1
	p.mu.Unlock()
	if first {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// Run commits queued results until workersDone is closed, each commit at
// most Period after the first result it holds. It returns a commit's
// error at once; the results of that commit are lost (not recorded) and
// are computed again by a rerun.
func (p *Progress) Run(workersDone <-chan struct{}) error {
	var timer *time.Timer
	var due <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-workersDone:
			return nil
		case <-p.wake:
			if timer == nil {
				timer = time.NewTimer(p.period)
				due = timer.C
			}
		case <-due:
			timer, due = nil, nil
			if err := p.commit(false); err != nil {
				return err
			}
		}
	}
}

// commit makes the queued results durable, then records them, unless all
// are done and the stage's output follows (or always, with keep).
func (p *Progress) commit(keep bool) error {
	p.mu.Lock()
	lines := p.pending
	p.pending = nil
	p.mu.Unlock()
	if len(lines) > 0 {
		if err := p.batch.Commit(); err != nil {
			return fmt.Errorf("store results: %w", err)
		}
		p.done = append(p.done, lines...)
	}
	if len(p.done) == 0 || (len(lines) == 0 && !keep) || (len(p.done) >= p.total && !keep) {
		return nil
	}
	p.recorded = true
	if err := p.st.WriteMemo(p.key, []byte(strings.Join(p.done, "\n")+"\n")); err != nil {
		return fmt.Errorf("record progress: %w", err)
	}
	return nil
}

// Flush keeps what is done for the next run when the stage stops early:
// it commits the queued results and records every line done.
func (p *Progress) Flush() error { return p.commit(true) }

// Done returns the number of results committed or resumed so far.
func (p *Progress) Done() int { return len(p.done) }

// Finish commits the queued results and the stage's output object out (in
// the layer after them), records out under the stage's memo entry
// stageKey, and removes the progress entry.
func (p *Progress) Finish(out Item, stageKey [32]byte) error {
	if err := p.batch.Add(1, out); err != nil {
		return err
	}
	if err := p.batch.Commit(); err != nil {
		return err
	}
	if err := p.st.PutMemo(stageKey, out.Hash); err != nil {
		return err
	}
	// The stage entry supersedes the progress entry.
	if p.recorded {
		return p.st.RemoveMemo(p.key)
	}
	return nil
}

// Abort releases the Progress; temp files of results not committed are
// removed.
func (p *Progress) Abort() { p.batch.Abort() }
