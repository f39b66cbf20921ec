package store

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wepipe/wepipe/pkg/record"
)

// TestProgress: results added concurrently are committed while workers
// run; the progress entry lists exactly the committed results, each of
// whose objects is in the store; a second run resumes from it; Finish
// stores the output after the results, records it under the stage's key
// and removes the progress entry.
func TestProgress(t *testing.T) {
	s := newStore(t)
	items := stateItems(t, "progress", 40)
	key, stage := MemoKey("test/progress"), MemoKey("test/stage")

	// First run: 30 of 40 results, committed every millisecond, then a
	// stop (Flush) as on an interrupt.
	p, earlier := s.StartProgress(key, len(items), time.Millisecond)
	if len(earlier) != 0 {
		t.Fatalf("fresh progress has lines %v", earlier)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := w; i < 30; i += 3 {
				if err := p.Add([]Item{items[i]}, fmt.Sprintf("%d %s", i, items[i].Hash)); err != nil {
					t.Error(err)
				}
				time.Sleep(100 * time.Microsecond)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	if err := p.Run(done); err != nil {
		t.Fatal(err)
	}
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	p.Abort()
	if p.Done() != 30 {
		t.Fatalf("%d done, want 30", p.Done())
	}

	// Second run: the entry names the 30, all present.
	p, earlier = s.StartProgress(key, len(items), time.Hour)
	defer p.Abort()
	if len(earlier) != 30 {
		t.Fatalf("resumed %d lines, want 30", len(earlier))
	}
	var seen []int
	for _, l := range earlier {
		var i int
		var h string
		if _, err := fmt.Sscanf(l, "%d %s", &i, &h); err != nil || h != items[i].Hash.String() || !s.Has(record.KindState, items[i].Hash) {
			t.Fatalf("line %q: %v", l, err)
		}
		seen = append(seen, i)
	}
	slices.Sort(seen)
	if seen[0] != 0 || seen[29] != 29 {
		t.Fatalf("resumed slots %v", seen)
	}
	p.Resume(earlier)
	for i := 30; i < 40; i++ {
		if err := p.Add([]Item{items[i]}, fmt.Sprintf("%d %s", i, items[i].Hash)); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing waits for the hour-long timer: Finish commits the rest.
	out := stateItems(t, "progress-out", 1)[0]
	if err := p.Finish(out, stage); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if !s.Has(record.KindState, it.Hash) {
			t.Fatalf("state %s missing after Finish", it.Hash.Short())
		}
	}
	if hs, ok := s.Memo(stage); !ok || len(hs) != 1 || hs[0] != out.Hash {
		t.Fatalf("stage memo %v %v", hs, ok)
	}
	if b, ok := s.ReadMemo(key); ok {
		t.Fatalf("progress entry left after Finish: %q", strings.TrimSpace(string(b)))
	}
	checkClean(t, s)
}

// TestProgressShortStage: a stage that finishes before its first commit
// writes no progress entry.
func TestProgressShortStage(t *testing.T) {
	s := newStore(t)
	items := stateItems(t, "progress-short", 3)
	p, _ := s.StartProgress(MemoKey("short/progress"), 3, time.Hour)
	defer p.Abort()
	done := make(chan struct{})
	go func() {
		for i, it := range items {
			p.Add([]Item{it}, fmt.Sprint(i))
		}
		close(done)
	}()
	if err := p.Run(done); err != nil {
		t.Fatal(err)
	}
	if err := p.Finish(stateItems(t, "progress-short-out", 1)[0], MemoKey("short/stage")); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.ReadMemo(MemoKey("short/progress")); ok {
		t.Fatal("a short stage wrote a progress entry")
	}
}
