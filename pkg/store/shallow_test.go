package store

import (
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// A snapshot whose parent is absent is a dangling reference unless it is
// marked shallow; a union copies a shallow snapshot with its mark, and
// refuses an unmarked one whose parent neither store holds.
func TestShallow(t *testing.T) {
	full := newStore(t)
	st := mustPut(t, full, makeState(stream("shallow", 0), 3))
	sys := mustPut(t, full, makeSystem(3, st))
	root := mustPut(t, full, makeSnapshot(0, sys, []record.Hash{st}, nil))
	child := makeSnapshot(0, sys, []record.Hash{st}, nil, root)
	child.Op.Tool = "child"
	ch := mustPut(t, full, child)

	// A store holding the child without its parent, as a bundle without
	// history leaves it (PutItems does not check references).
	part := newStore(t)
	for _, o := range []record.Object{makeState(stream("shallow", 0), 3), makeSystem(3, st)} {
		mustPut(t, part, o)
	}
	it, err := NewItem(child)
	if err != nil {
		t.Fatal(err)
	}
	if err := part.PutItems([]Item{it}); err != nil {
		t.Fatal(err)
	}
	rep, err := part.Check(CheckOptions{})
	if err != nil || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].What, "dangling reference to snapshot") {
		t.Fatalf("unmarked: %v %v", err, rep.Problems)
	}
	dst := newStore(t)
	urep, err := dst.Union(part)
	if err != nil || len(urep.Problems) != 1 || dst.Has(record.KindSnapshot, ch) {
		t.Fatalf("union of an unmarked snapshot: %v %v", err, urep.Problems)
	}

	if part.IsShallow(ch) {
		t.Fatal("shallow before marking")
	}
	if err := part.MarkShallow(ch); err != nil {
		t.Fatal(err)
	}
	if err := part.MarkShallow(ch); err != nil { // idempotent
		t.Fatal(err)
	}
	if !part.IsShallow(ch) || !part.MissingParent(ch, root) || part.MissingParent(root, root) {
		t.Fatal("not shallow after marking")
	}
	if l, err := part.Shallow(); err != nil || len(l) != 1 || l[0] != ch {
		t.Fatalf("Shallow() = %v, %v", l, err)
	}
	checkClean(t, part)

	urep, err = dst.Union(part)
	if err != nil || len(urep.Problems) != 0 || !dst.Has(record.KindSnapshot, ch) || !dst.IsShallow(ch) {
		t.Fatalf("union of a shallow snapshot: %v %v", err, urep.Problems)
	}
	checkClean(t, dst)

	// Once the history arrives, the parent is no longer missing.
	if _, err := dst.Union(full); err != nil {
		t.Fatal(err)
	}
	if dst.MissingParent(ch, root) {
		t.Error("parent still missing after the union of the full store")
	}
	checkClean(t, dst)
}
