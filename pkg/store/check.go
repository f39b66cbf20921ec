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
	"syscall"
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
	// Packs is the number of pack files; Shadowed counts loose copies of
	// packed objects (harmless: the loose copy is read first; we-pack
	// removes them), a note, not a problem.
	Packs    int
	Shadowed int
	// IndexRepaired says why the snapshot index (FORMAT.md §1.5) was
	// rewritten, when it was damaged or wrong: a cache repaired, not a
	// problem of the store. Empty when it was sound, or only lacked new
	// snapshots or named removed ones (then it is brought up to date
	// silently).
	IndexRepaired string
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
		mu    sync.Mutex
		refs  []ref
		bad   []badEntry
		infos []SnapInfo
	)
	add := func(p Problem) {
		mu.Lock()
		rep.Problems = append(rep.Problems, p)
		mu.Unlock()
	}
	// The snapshot index written at the end records the directories as
	// they were before anything was listed (FORMAT.md §1.5).
	stamps, stampOK := s.stampSnapshots()
	at := time.Now()
	// Open refused links among the store's directories; one made since
	// is reported (and nothing is removed or moved through it).
	if err := checkLayout(s.dir); err != nil {
		add(Problem{s.dir, err.Error()})
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
			c, _, err := s.read(k, h, true)
			var o record.Object
			if err == nil {
				o, err = verifyDecode(c.data, k, h)
			}
			size := int64(len(c.data))
			c.release()
			if err != nil {
				if ce := (*CorruptError)(nil); errors.As(err, &ce) {
					err = ce.Err
				}
				add(Problem{p, err.Error()})
				mu.Lock()
				bad = append(bad, badEntry{k, e.Name()})
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
			if sn, ok := o.(*record.Snapshot); ok {
				infos = append(infos, InfoOf(h, sn))
			}
			mu.Unlock()
		})
	}
	// Packed objects (pack.go): every pack's trailer and index, and
	// every object in it, verified as a read does.
	for _, po := range s.checkPacks(add) {
		rep.Objects[po.kind]++
		rep.RawBytes += po.size
		for _, r := range po.refs {
			refs = append(refs, ref{po.hash, po.kind, r})
		}
		if po.info != nil {
			infos = append(infos, *po.info)
		}
	}
	rep.Packs = s.packCount()
	rep.Shadowed, rep.Bytes = s.shadowed(), rep.Bytes+s.packBytes()
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
		n, err := s.quarantine(bad)
		rep.Quarantined += n
		if err != nil {
			add(Problem{filepath.Join(s.dir, corruptDir), fmt.Sprintf("quarantine: %v", err)})
		}
	}
	s.checkTemps(opt, rep, add)
	if !stampOK || len(rep.Problems) > 0 {
		stamps = snapStamps{} // a complete index must list every snapshot
	}
	if err := s.checkSnapIndex(infos, rep, stamps, at); err != nil {
		add(Problem{s.SnapIndexPath(), err.Error()})
	}
	sort.Slice(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		return a.Path < b.Path || a.Path == b.Path && a.What < b.What
	})
	return rep, nil
}

// badEntry is an entry of objects/<kind>/ that is not a sound object.
type badEntry struct {
	kind record.Kind
	name string
}

// quarantine moves the bad entries to corrupt/<kind>-<name>, by
// descriptors of the store's own directories (dirAt): whatever replaced a
// directory meanwhile, nothing outside the store is moved, and a link is
// moved itself, never what it points to.
func (s *Store) quarantine(bad []badEntry) (int, error) {
	root, err := s.dirAt()
	if err != nil {
		return 0, err
	}
	err = mkdirAt(root, corruptDir)
	closeDir(root)
	if err != nil {
		return 0, err
	}
	q, err := s.dirAt(corruptDir)
	if err != nil {
		return 0, err
	}
	defer closeDir(q)
	n := 0
	var errs []error
	for _, k := range record.Kinds {
		var names []string
		for _, b := range bad {
			if b.kind == k {
				names = append(names, b.name)
			}
		}
		if len(names) == 0 {
			continue
		}
		d, err := s.dirAt(objectsDir, string(k))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, name := range names {
			if err := renameAt(d, name, q, string(k)+"-"+name); err != nil {
				errs = append(errs, fmt.Errorf("%s/%s: %w", k, name, err))
				continue
			}
			n++
		}
		if err := fsyncDirHandle(d); err != nil {
			errs = append(errs, err)
		}
		closeDir(d)
	}
	if err := fsyncDirHandle(q); err != nil {
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}

// checkTemps counts the temp files of tmp/ and removes those older than
// opt.RemoveTempsOlder, by a descriptor of the store's own tmp/ (dirAt):
// a tmp/ replaced by a link to another directory is reported, and nothing
// in it is removed.
func (s *Store) checkTemps(opt CheckOptions, rep *CheckReport, add func(Problem)) {
	tmps, _ := os.ReadDir(filepath.Join(s.dir, tmpDir))
	if len(tmps) == 0 {
		return
	}
	d, err := s.dirAt(tmpDir)
	if err != nil {
		add(Problem{filepath.Join(s.dir, tmpDir), err.Error()})
		return
	}
	defer closeDir(d)
	for _, e := range tmps {
		age, isDir, err := entryAge(d, e.Name())
		if err != nil {
			continue
		}
		if opt.RemoveTempsOlder > 0 && age > opt.RemoveTempsOlder && !isDir && strings.HasSuffix(e.Name(), ".tmp") {
			if removeAt(d, e.Name()) == nil {
				rep.TempsRemoved++
				continue
			}
		}
		rep.TempsKept++
	}
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

// checkSnapIndex compares the snapshot index with infos, the entries of
// every sound snapshot, and rewrites it unless they agree. A missing
// index is written, one that lacks new snapshots or names removed ones is
// brought up to date, and one that is damaged, says anything else of a
// snapshot, or claims to be complete and current (FORMAT.md §1.5) without
// listing exactly infos is rebuilt and reported in rep.IndexRepaired. An
// index that agrees is rewritten only to be marked complete. stamps and
// at are as writeSnapIndex takes them. Only a failure to write it where
// it belongs is returned (as a problem): a read-only store keeps its
// index as it is.
func (s *Store) checkSnapIndex(infos []SnapInfo, rep *CheckReport, stamps snapStamps, at time.Time) error {
	sort.Slice(infos, func(i, j int) bool { return compareHash(infos[i].Hash, infos[j].Hash) < 0 })
	var x *SnapIndex
	var idx []SnapInfo
	err := s.withSnapIndex(func(b []byte) (err error) {
		if x, err = ParseSnapIndex(b); err == nil {
			idx = x.infos()
		}
		return err
	})
	reason, force := "", true
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		reason = err.Error()
	default:
		wrong, lacks, extra := 0, 0, 0
		j := 0
		for i := range idx {
			for j < len(infos) && compareHash(infos[j].Hash, idx[i].Hash) < 0 {
				j++
				lacks++ // a snapshot the index lacks
			}
			if j < len(infos) && infos[j].Hash == idx[i].Hash {
				if !idx[i].Equal(&infos[j]) {
					wrong++
				}
				j++
				continue
			}
			extra++ // an entry for a snapshot the store does not hold (soundly)
		}
		lacks += len(infos) - j
		current := x.complete && x.stamps == stamps && stamps != (snapStamps{})
		switch {
		case wrong > 0:
			reason = fmt.Sprintf("%d entries disagree with their snapshots", wrong)
		case current && lacks+extra > 0:
			reason = fmt.Sprintf("it claims to list every snapshot, but lacks %d and names %d the store does not hold soundly", lacks, extra)
		case lacks+extra == 0:
			if current {
				return nil
			}
			force = false
		}
	}
	err = s.writeSnapIndex(infos, stamps, at, force)
	switch {
	case err == nil:
		rep.IndexRepaired = reason
		return nil
	case reason != "":
		return fmt.Errorf("snapshot index: %s, and it cannot be rewritten: %v", reason, err)
	case !errors.Is(err, os.ErrPermission) && !errors.Is(err, syscall.EROFS):
		return fmt.Errorf("snapshot index: cannot write it: %v", err)
	}
	return nil
}
