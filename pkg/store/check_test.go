package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wepipe/wepipe/pkg/record"
)

func TestCheckClean(t *testing.T) {
	s := newStore(t)
	objs := objectsOfEveryKind(t, s)
	rep := checkClean(t, s)
	for _, k := range record.Kinds {
		if rep.Objects[k] != 1 {
			t.Errorf("%d %s objects, want 1", rep.Objects[k], k)
		}
	}
	var raw int64
	for _, o := range objs {
		b, _, _ := record.Encode(o)
		raw += int64(len(b))
	}
	if rep.RawBytes != raw || rep.Bytes <= 0 {
		t.Errorf("bytes %d, raw %d, want raw %d", rep.Bytes, rep.RawBytes, raw)
	}
}

func TestCheckDangling(t *testing.T) {
	s := newStore(t)
	r := stream("dangling", 0)
	// PutItems does not check references: write objects whose references
	// are missing, as a crash of a careless writer or a lost file would
	// leave them.
	missingState, _ := NewItem(makeState(r, 2))
	missingSeg, _ := NewItem(makeSegment(r, 2, 2))
	present := mustPut(t, s, makeState(r, 2))
	sys, _ := NewItem(makeSystem(2, missingState.Hash))
	okSys := mustPut(t, s, makeSystem(2, present))
	var missingParent record.Hash
	missingParent[0] = 0x42
	snap, _ := NewItem(makeSnapshot(3, okSys, []record.Hash{present, missingState.Hash}, []*record.Hash{nil, &missingSeg.Hash}, missingParent))
	// A reference to an object of the wrong kind.
	wrong, _ := NewItem(makeSnapshot(4, present, []record.Hash{present}, nil))
	if err := s.PutItems([]Item{sys, snap, wrong}); err != nil {
		t.Fatal(err)
	}
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Problem{
		{s.Path(record.KindSnapshot, snap.Hash), "parents[0]: dangling reference to snapshot " + missingParent.Short()},
		{s.Path(record.KindSnapshot, snap.Hash), "walkers[1].segment: dangling reference to segment " + missingSeg.Hash.Short()},
		{s.Path(record.KindSnapshot, snap.Hash), "walkers[1].state: dangling reference to state " + missingState.Hash.Short()},
		{s.Path(record.KindSnapshot, wrong.Hash), "system: references system " + present.Short() + ", which is a state"},
		{s.Path(record.KindSystem, sys.Hash), "initial[0].state: dangling reference to state " + missingState.Hash.Short()},
	}
	sortProblems(want)
	if len(rep.Problems) != len(want) {
		t.Fatalf("problems:\n%v\nwant\n%v", rep.Problems, want)
	}
	for i := range want {
		if rep.Problems[i] != want[i] {
			t.Errorf("problem %d:\n%s\nwant\n%s", i, rep.Problems[i], want[i])
		}
	}
}

func sortProblems(ps []Problem) {
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			if ps[j].Path < ps[i].Path || ps[j].Path == ps[i].Path && ps[j].What < ps[i].What {
				ps[i], ps[j] = ps[j], ps[i]
			}
		}
	}
}

func TestCheckTemps(t *testing.T) {
	s := newStore(t)
	tmp := filepath.Join(s.Dir(), tmpDir)
	old := []string{"put-old.tmp", "0123456789abcdef-1.tmp"}
	young := []string{"put-young.tmp"}
	other := []string{"notes"} // not a temp file: kept whatever its age
	for _, n := range append(append(append([]string{}, old...), young...), other...) {
		os.WriteFile(filepath.Join(tmp, n), []byte("partial"), 0o444)
	}
	long := time.Now().Add(-2 * time.Hour)
	for _, n := range append(append([]string{}, old...), other...) {
		os.Chtimes(filepath.Join(tmp, n), long, long)
	}
	// Age zero keeps everything.
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TempsRemoved != 0 || rep.TempsKept != 4 {
		t.Errorf("age 0: removed %d, kept %d", rep.TempsRemoved, rep.TempsKept)
	}
	rep, err = s.Check(CheckOptions{RemoveTempsOlder: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TempsRemoved != len(old) || rep.TempsKept != 2 {
		t.Errorf("age 1h: removed %d, kept %d", rep.TempsRemoved, rep.TempsKept)
	}
	left := tempFiles(t, s)
	if strings.Join(left, " ") != "notes put-young.tmp" {
		t.Errorf("left %v", left)
	}
	if len(rep.Problems) != 0 {
		t.Errorf("temp files reported as problems: %v", rep.Problems)
	}
}

func TestCheckQuarantine(t *testing.T) {
	s := newStore(t)
	good := objectsOfEveryKind(t, s)
	bad := plantBad(t, s)
	rep, err := s.Check(CheckOptions{Quarantine: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Quarantined != len(bad) {
		t.Errorf("quarantined %d of %d", rep.Quarantined, len(bad))
	}
	for _, b := range bad {
		if _, err := os.Stat(b.path); err == nil {
			t.Errorf("%s still in place", b.name)
		}
		q := filepath.Join(s.Dir(), corruptDir, string(b.kind)+"-"+b.hash.String())
		if _, err := os.Stat(q); err != nil {
			t.Errorf("%s not in quarantine: %v", b.name, err)
		}
	}
	// Good objects stay, and the store is now clean.
	for h := range good {
		if _, err := s.Load(h); err != nil {
			t.Error(err)
		}
	}
	checkClean(t, s)
	// A store with a quarantine directory still opens and creates.
	if _, err := Create(s.Dir()); err != nil {
		t.Error(err)
	}
}

func TestCheckMissingDirectory(t *testing.T) {
	s := newStore(t)
	os.Remove(s.kindDir(record.KindSegment))
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].What != "missing directory" {
		t.Errorf("problems %v", rep.Problems)
	}
}
