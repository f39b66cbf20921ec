//go:build unix

package store

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// TestUnionRepairs: the advice every reader gives for a corrupt object
// ("a good copy can be merged back with we-merge --from") holds without
// we-fsck first: a union replaces each destination file that is not what
// its name promises — garbage, truncated, another object's bytes, a
// hidden payload after the frame, a FIFO, a link out of the store, a
// directory — by the source's sound copy, keeps the bad file in corrupt/,
// and leaves the destination clean. A copy that is bad in both stores, or
// whose references neither holds intact, is reported and left alone.
func TestUnionRepairs(t *testing.T) {
	src, dst := newStore(t), newStore(t)
	all, snaps := run(t, src, "repair", 3, 3)
	if rep, err := dst.Union(src); err != nil || rep.Copied != len(all) {
		t.Fatalf("union: %+v, %v", rep, err)
	}
	sn, err := LoadAs[*record.Snapshot](src, snaps[1])
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	target := filepath.Join(outside, "target")
	os.WriteFile(target, []byte("someone else's file"), 0o644)
	states := sn.Walkers
	damage := []struct {
		name string
		k    record.Kind
		h    record.Hash
		do   func(p string)
	}{
		{"garbage", record.KindState, states[0].State, func(p string) { os.WriteFile(p, []byte("garbage"), 0o644) }},
		{"truncated", record.KindSegment, *states[0].Segment, func(p string) { os.Truncate(p, 20) }},
		{"another object's bytes", record.KindState, states[1].State, func(p string) {
			b, _ := os.ReadFile(src.Path(record.KindState, states[2].State))
			os.WriteFile(p, b, 0o644)
		}},
		{"a hidden payload", record.KindSnapshot, snaps[1], func(p string) {
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append(b, skippable(1000)...), 0o644)
		}},
		{"a FIFO", record.KindSegment, *states[1].Segment, func(p string) { mkfifo(t, p) }},
		{"a link out of the store", record.KindState, states[2].State, func(p string) { os.Symlink(target, p) }},
		{"a directory", record.KindSnapshot, snaps[0], func(p string) { os.Mkdir(p, 0o755) }},
	}
	for _, d := range damage {
		p := dst.Path(d.k, d.h)
		os.Chmod(p, 0o644)
		os.Remove(p)
		if d.name == "truncated" || d.name == "a hidden payload" {
			b, _ := os.ReadFile(src.Path(d.k, d.h))
			os.WriteFile(p, b, 0o644)
		}
		d.do(p)
	}
	if rep := checkBad(t, dst); len(rep) < len(damage) {
		t.Fatalf("the damage is not seen: %v", rep)
	}
	noBlock(t, "Union", func() {
		rep, err := dst.Union(src)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Repaired != len(damage) || rep.Copied != 0 || len(rep.Problems) != 0 {
			t.Errorf("union: repaired %d, copied %d, problems %v", rep.Repaired, rep.Copied, rep.Problems)
		}
	})
	checkClean(t, dst)
	for _, h := range all {
		k, _ := src.Kind(h)
		a, _ := src.ReadFile(k, h)
		if b, err := dst.ReadFile(k, h); err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s %s is not the source's copy: %v", k, h.Short(), err)
		}
	}
	for _, d := range damage {
		if _, err := os.Lstat(filepath.Join(dst.Dir(), corruptDir, string(d.k)+"-"+d.h.String())); err != nil {
			t.Errorf("%s: the bad file is not kept in quarantine: %v", d.name, err)
		}
	}
	if b, err := os.ReadFile(target); err != nil || string(b) != "someone else's file" {
		t.Errorf("the link's target changed: %q, %v", b, err)
	}
	if tmp := tempFiles(t, dst); len(tmp) != 0 {
		t.Errorf("temp files left: %v", tmp)
	}

	// Bad in both stores: reported, not repaired.
	for _, s := range []*Store{src, dst} {
		p := s.Path(record.KindState, states[0].State)
		os.Chmod(p, 0o644)
		os.WriteFile(p, []byte("garbage"), 0o644)
	}
	rep, err := dst.Union(src)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Repaired != 0 || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].What, "the source's copy is no better") {
		t.Errorf("both bad: repaired %d, problems %v", rep.Repaired, rep.Problems)
	}
}

// checkBad returns the problems Check finds.
func checkBad(t *testing.T, s *Store) []Problem {
	t.Helper()
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep.Problems
}
