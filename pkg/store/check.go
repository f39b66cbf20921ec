package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wepipe/wepipe/pkg/record"
)

// Problem is one thing wrong in a store.
type Problem struct {
	Path string
	What string
}

func (p Problem) String() string { return p.Path + ": " + p.What }

// CheckOptions tune Check.
type CheckOptions struct {
	// RemoveTempsOlder removes temp files older than this; zero keeps all.
	// A temp file younger than the age may belong to a writer at work.
	RemoveTempsOlder time.Duration
	// Quarantine moves corrupt objects to DIR/corrupt so that a good copy
	// can be merged back in.
	Quarantine bool
}

// CheckReport summarises a Check.
type CheckReport struct {
	Objects      map[record.Kind]int
	Bytes        int64 // compressed bytes on disk
	RawBytes     int64 // uncompressed bytes
	Problems     []Problem
	TempsRemoved int
	TempsKept    int
	Quarantined  int
}

// Check verifies every object (name, hash, encoding, record invariants,
// kind) and every reference (it exists and is of the right kind; the
// parents of a shallow snapshot may be absent, see MarkShallow), and
// removes stale temp files. It never modifies an object; with Quarantine
// it moves corrupt ones to DIR/corrupt.
func (s *Store) Check(opt CheckOptions) (*CheckReport, error) {
	rep := &CheckReport{Objects: map[record.Kind]int{}}
	type ref struct {
		from     record.Hash
		fromKind record.Kind
		typedRef
	}
	var (
		mu   sync.Mutex
		refs []ref
		bad  []string
	)
	add := func(p Problem) {
		mu.Lock()
		rep.Problems = append(rep.Problems, p)
		mu.Unlock()
	}
	for _, k := range record.Kinds {
		dir := s.kindDir(k)
		ents, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				add(Problem{dir, "missing directory"})
				continue
			}
			return nil, err
		}
		var files []os.DirEntry
		for _, e := range ents {
			if e.IsDir() {
				add(Problem{filepath.Join(dir, e.Name()), "unexpected directory"})
				continue
			}
			files = append(files, e)
		}
		parallelFor(len(files), runtime.GOMAXPROCS(0), func(i int) {
			e := files[i]
			p := filepath.Join(dir, e.Name())
			h, err := record.ParseHash(e.Name())
			if err != nil || h.String() != e.Name() {
				add(Problem{p, "file name is not a lowercase 64-digit hash"})
				return
			}
			info, _ := e.Info()
			data, buf, _, err := s.read(k, h, true)
			var o record.Object
			if err == nil {
				o, err = verifyDecode(data, k, h)
			}
			size := int64(len(data))
			if buf != nil {
				putBuf(buf)
			}
			if err != nil {
				if ce := (*CorruptError)(nil); errors.As(err, &ce) {
					err = ce.Err
				}
				add(Problem{p, err.Error()})
				mu.Lock()
				bad = append(bad, p)
				mu.Unlock()
				return
			}
			mu.Lock()
			rep.Objects[k]++
			if info != nil {
				rep.Bytes += info.Size()
			}
			rep.RawBytes += size
			for _, r := range typedRefs(o) {
				refs = append(refs, ref{h, k, r})
			}
			mu.Unlock()
		})
	}
	seen := map[ref]bool{}
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		if r.kind != "" && s.Has(r.kind, r.to) || r.kind == "" && s.kindOf(r.to) != "unknown" {
			continue
		}
		if r.field == "parents" && s.MissingParent(r.from, r.to) {
			continue // the history of a shallow snapshot is elsewhere
		}
		what := fmt.Sprintf("%s: dangling reference to %s %s", r.what(), r.kind, r.to.Short())
		if other := s.kindOf(r.to); other != "unknown" {
			what = fmt.Sprintf("%s: references %s %s, which is a %s", r.what(), r.kind, r.to.Short(), other)
		}
		add(Problem{s.Path(r.fromKind, r.from), what})
	}
	if opt.Quarantine && len(bad) > 0 {
		qdir := filepath.Join(s.dir, corruptDir)
		if err := os.MkdirAll(qdir, 0o755); err != nil {
			return nil, err
		}
		for _, p := range bad {
			if err := os.Rename(p, filepath.Join(qdir, filepath.Base(filepath.Dir(p))+"-"+filepath.Base(p))); err == nil {
				rep.Quarantined++
			}
		}
	}
	tmps, _ := os.ReadDir(filepath.Join(s.dir, tmpDir))
	for _, e := range tmps {
		info, err := e.Info()
		if err != nil {
			continue
		}
		if opt.RemoveTempsOlder > 0 && time.Since(info.ModTime()) > opt.RemoveTempsOlder && strings.HasSuffix(e.Name(), ".tmp") {
			if os.Remove(filepath.Join(s.dir, tmpDir, e.Name())) == nil {
				rep.TempsRemoved++
				continue
			}
		}
		rep.TempsKept++
	}
	sort.Slice(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		return a.Path < b.Path || a.Path == b.Path && a.What < b.What
	})
	return rep, nil
}

func (s *Store) kindOf(h record.Hash) record.Kind {
	k, err := s.Kind(h)
	if err != nil {
		return "unknown"
	}
	return k
}

// typedRef is one reference of a record with the kind it must have ("" if
// the record type is not known here) and the field that holds it.
type typedRef struct {
	kind  record.Kind
	to    record.Hash
	field string
	index int // -1: not a list
}

func (r typedRef) what() string {
	if r.index < 0 {
		return r.field
	}
	if i := strings.IndexByte(r.field, '.'); i >= 0 {
		return fmt.Sprintf("%s[%d]%s", r.field[:i], r.index, r.field[i:])
	}
	return fmt.Sprintf("%s[%d]", r.field, r.index)
}

// typedRefs lists the references of o with their kinds: a system's
// initial states; a snapshot's system, parents, walker states (each once)
// and segments.
func typedRefs(o record.Object) []typedRef {
	switch o := o.(type) {
	case *record.System:
		out := make([]typedRef, len(o.Initial))
		for i, in := range o.Initial {
			out[i] = typedRef{record.KindState, in.State, "initial.state", i}
		}
		return out
	case *record.Snapshot:
		out := make([]typedRef, 0, 1+len(o.Parents)+len(o.Walkers))
		out = append(out, typedRef{record.KindSystem, o.System, "system", -1})
		for i, p := range o.Parents {
			out = append(out, typedRef{record.KindSnapshot, p, "parents", i})
		}
		seen := make(map[record.Hash]bool, len(o.Walkers))
		for i, w := range o.Walkers {
			if !seen[w.State] {
				seen[w.State] = true
				out = append(out, typedRef{record.KindState, w.State, "walkers.state", i})
			}
			if w.Segment != nil {
				out = append(out, typedRef{record.KindSegment, *w.Segment, "walkers.segment", i})
			}
		}
		return out
	case *record.Run:
		out := []typedRef{{record.KindSnapshot, o.Start, "start", -1}}
		if o.End != o.Start {
			out = append(out, typedRef{record.KindSnapshot, o.End, "end", -1})
		}
		return out
	case *record.State, *record.Segment:
		return nil
	}
	var out []typedRef
	for i, r := range o.Refs() {
		out = append(out, typedRef{"", r, "refs", i})
	}
	return out
}
