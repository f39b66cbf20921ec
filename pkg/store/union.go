package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"github.com/wepipe/wepipe/pkg/record"
)

// UnionReport summarises a Union.
type UnionReport struct {
	Copied   int
	Present  int
	Repaired int   // corrupt destination files replaced by sound copies
	Bytes    int64 // compressed bytes copied (repairs included)
	Problems []Problem
}

// unionOrder copies referenced kinds before the kinds that reference them,
// so that the destination never holds an object whose references are
// missing, even if the copy is interrupted.
var unionOrder = []record.Kind{record.KindState, record.KindSegment, record.KindSystem, record.KindSnapshot, record.KindRun}

// unionBatch and unionBytes bound how many objects (and compressed bytes)
// are verified and made durable together, which bounds Union's memory
// whatever the size of the stores.
const (
	unionBatch = 256
	unionBytes = 64 << 20
)

// Union copies into s every object of src that s lacks (ARCHITECTURE.md §2: a
// directory union). Every incoming object is re-hashed, decoded and
// validated before it lands; an object whose references neither store
// holds intact is not copied. Bad objects in src are reported as Problems
// and skipped; s only ever gains whole, valid objects.
//
// Objects both stores hold are checked in s (read, decompressed, hashed):
// a file of s that is not what its name promises (damaged, truncated, a
// link, a FIFO) is replaced by src's copy when that one is sound — the
// repair the readers' advice promises ("a good copy can be merged back") —
// atomically, the bad file kept in corrupt/ as we-fsck --quarantine would.
func (s *Store) Union(src *Store) (*UnionReport, error) {
	rep := &UnionReport{}
	u := &union{s: s, src: src, rep: rep, intact: map[record.Hash]bool{}}
	for _, k := range unionOrder {
		hs, err := src.List(k)
		if err != nil {
			return rep, err
		}
		var missing, present []record.Hash
		for _, h := range hs {
			if _, err := os.Lstat(s.Path(k, h)); err == nil || s.packedHas(k, h) {
				present = append(present, h)
			} else {
				missing = append(missing, h)
			}
		}
		damaged := u.checkPresent(k, present)
		if k == record.KindSnapshot {
			missing = s.orderSnapshots(src, missing, rep)
		}
		c := &unionCommit{u: u, inBatch: map[record.Hash]bool{}}
		if err := c.copy(src, k, missing); err != nil {
			return rep, err
		}
		if err := c.flush(); err != nil {
			return rep, err
		}
		for _, d := range damaged {
			u.repair(k, d)
		}
	}
	sort.Slice(rep.Problems, func(i, j int) bool { return rep.Problems[i].Path < rep.Problems[j].Path })
	return rep, nil
}

// union is the state of one Union.
type union struct {
	s, src *Store
	rep    *UnionReport
	mu     sync.Mutex
	// intact holds the objects of s known sound in this union: checked,
	// copied or repaired.
	intact map[record.Hash]bool
}

// damagedFile is a file of the destination that fails its check.
type damagedFile struct {
	h   record.Hash
	err error
}

// checkPresent checks the files of s named hs (several at once): those
// whose content hashes to their name count as present; the others are
// returned for repair. A file whose content hashes right but does not
// decode as a valid record is not repairable from another store (a sound
// copy would hold the same bytes): it is left to we-fsck.
func (u *union) checkPresent(k record.Kind, hs []record.Hash) []damagedFile {
	errs := make([]error, len(hs))
	parallelFor(len(hs), runtime.GOMAXPROCS(0), func(i int) { errs[i] = u.s.hashOK(k, hs[i]) })
	var out []damagedFile
	for i, h := range hs {
		if errs[i] != nil {
			out = append(out, damagedFile{h, errs[i]})
			continue
		}
		u.rep.Present++
		u.intact[h] = true
	}
	return out
}

// hashOK reads object h of kind k and checks that its content hashes to
// its name, without decoding it.
func (s *Store) hashOK(k record.Kind, h record.Hash) error {
	c, p, err := s.read(k, h, true)
	if err != nil {
		return err
	}
	defer c.release()
	if record.Sum(c.data) != h {
		return &CorruptError{p, ErrHashMismatch}
	}
	return nil
}

// refIntact reports whether the object r references is in s and sound:
// known from this union, or checked now (and remembered).
func (u *union) refIntact(r typedRef) bool {
	u.mu.Lock()
	ok := u.intact[r.to]
	u.mu.Unlock()
	if ok {
		return true
	}
	k := r.kind
	if k == "" {
		if k = u.s.kindOf(r.to); k == "unknown" {
			return false
		}
	}
	if u.s.hashOK(k, r.to) != nil {
		return false
	}
	u.mu.Lock()
	u.intact[r.to] = true
	u.mu.Unlock()
	return true
}

// repair replaces the damaged file d of s by src's copy if that one is
// sound and everything it references is intact in s; otherwise it reports
// why it cannot.
func (u *union) repair(k record.Kind, d damagedFile) {
	dst := u.s.Path(k, d.h)
	f := fetch(u.src, k, d.h)
	if f.err != nil {
		u.rep.Problems = append(u.rep.Problems, Problem{dst, fmt.Sprintf("%v; the source's copy is no better (%v): not repaired", plain(d.err), f.err)})
		return
	}
	for _, r := range f.refs {
		if !u.refIntact(r) {
			u.rep.Problems = append(u.rep.Problems, Problem{dst, fmt.Sprintf("%v; the source's copy references %s %s, which neither store holds intact: not repaired", plain(d.err), r.kind, r.to.Short())})
			return
		}
	}
	replace := u.s.replace
	if _, err := os.Lstat(dst); err != nil {
		// Only a packed copy, and it is damaged: a sound loose copy
		// is written, which readers take before any pack's.
		replace = func(k record.Kind, h record.Hash, z []byte) error {
			return u.s.PutItems([]Item{{Kind: k, Hash: h, Z: z}})
		}
	}
	if err := replace(k, d.h, f.it.Z); err != nil {
		u.rep.Problems = append(u.rep.Problems, Problem{dst, fmt.Sprintf("%v; replacing it with the source's sound copy failed: %v", plain(d.err), err)})
		return
	}
	u.rep.Repaired++
	u.rep.Bytes += int64(len(f.it.Z))
	u.intact[d.h] = true
}

// replace puts z, a verified copy of object h of kind k, in place of the
// corrupt entry of s under its name, atomically: z is made durable in
// tmp/, the corrupt entry gets a second name corrupt/<kind>-<hash> (a
// link; a directory is moved there instead), and z is renamed over it, so
// that readers see the bad file or the good one, never none. Every
// directory is opened relative to the store without following links
// (dirAt).
func (s *Store) replace(k record.Kind, h record.Hash, z []byte) error {
	tmp, err := writeTemp(filepath.Join(s.dir, tmpDir), h.String()[:16], z, !fsyncOff)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return s.replaceWith(k, h, tmp)
}

// replaceWith is replace for a durable temp file tmp (in tmp/) that holds
// the sound copy.
func (s *Store) replaceWith(k record.Kind, h record.Hash, tmp string) error {
	root, err := s.dirAt()
	if err != nil {
		return err
	}
	err = mkdirAt(root, corruptDir)
	closeDir(root)
	if err != nil {
		return err
	}
	dirs := make([]dirHandle, 3)
	for i, path := range [][]string{{tmpDir}, {objectsDir, string(k)}, {corruptDir}} {
		if dirs[i], err = s.dirAt(path...); err != nil {
			for _, d := range dirs[:i] {
				closeDir(d)
			}
			return err
		}
	}
	td, kd, qd := dirs[0], dirs[1], dirs[2]
	defer closeDir(td)
	defer closeDir(kd)
	defer closeDir(qd)
	name, qname := h.String(), string(k)+"-"+h.String()
	// An older quarantined copy of the same object gives way.
	removeAt(qd, qname)
	if err := linkAt(kd, name, qd, qname); err != nil {
		if err := renameAt(kd, name, qd, qname); err != nil {
			return fmt.Errorf("keep the corrupt file in %s: %w", corruptDir, err)
		}
	}
	if err := renameAt(td, filepath.Base(tmp), kd, name); err != nil {
		return err
	}
	if fsyncOff {
		return nil
	}
	if err := fsyncDirHandle(kd); err != nil {
		return err
	}
	return fsyncDirHandle(qd)
}

// fetched is one object of the source, verified.
type fetched struct {
	it   Item
	refs []typedRef
	err  error
}

// fetch reads object h of kind k from src and verifies it as PutRaw does:
// its content hashes to h and decodes as a valid record of kind k. It
// keeps the compressed bytes, written as they are, and the references.
func fetch(src *Store, k record.Kind, h record.Hash) fetched {
	p := src.Path(k, h)
	zb, err := readSized(p, MaxObjectSize)
	if errors.Is(err, os.ErrNotExist) {
		return fetchPacked(src, k, h)
	}
	if err != nil {
		return fetched{err: plain(fileError(k, h, p, err))}
	}
	z := append([]byte(nil), zb.b...)
	zb.release()
	c, err := decompress(z, true)
	if err != nil {
		return fetched{err: err}
	}
	o, err := verifyDecode(c.data, k, h)
	c.release()
	if err != nil {
		return fetched{err: err}
	}
	return fetched{it: Item{Kind: k, Hash: h, Z: z}, refs: typedRefs(o)}
}

// plain is err without the *CorruptError around it (whose message names
// the file and gives advice), for problems that name the file themselves.
func plain(err error) error {
	if ce := (*CorruptError)(nil); errors.As(err, &ce) {
		return ce.Err
	}
	return err
}

// orderSnapshots verifies the snapshots to copy and returns them with
// parents before children; the ones that fail are reported and dropped.
// Only their references are kept, so memory stays small; they are read
// again when copied.
func (s *Store) orderSnapshots(src *Store, hs []record.Hash, rep *UnionReport) []record.Hash {
	parents := make([][]record.Hash, len(hs))
	errs := make([]error, len(hs))
	parallelFor(len(hs), runtime.GOMAXPROCS(0), func(i int) {
		snap, err := LoadAs[*record.Snapshot](src, hs[i])
		if err != nil {
			var ce *CorruptError
			if errors.As(err, &ce) {
				err = ce.Err
			}
			errs[i] = err
			return
		}
		parents[i] = snap.Parents
	})
	pos := map[record.Hash]int{}
	for i, h := range hs {
		if errs[i] != nil {
			rep.Problems = append(rep.Problems, Problem{src.Path(record.KindSnapshot, h), errs[i].Error()})
			continue
		}
		pos[h] = i
	}
	done := make([]bool, len(hs))
	var out []record.Hash
	var visit func(i int)
	visit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true
		for _, p := range parents[i] {
			if j, ok := pos[p]; ok {
				visit(j)
			}
		}
		out = append(out, hs[i])
	}
	for i := range hs {
		if errs[i] == nil {
			visit(i)
		}
	}
	return out
}

// unionCommit accumulates verified objects into batches written by
// PutItems.
type unionCommit struct {
	u       *union
	batch   []Item
	bytes   int64
	inBatch map[record.Hash]bool
}

// copy verifies hs (in order) in windows of at most unionBatch objects and
// unionBytes compressed bytes, several at once, and adds them in order.
func (c *unionCommit) copy(src *Store, k record.Kind, hs []record.Hash) error {
	for lo := 0; lo < len(hs); {
		hi, size := lo, int64(0)
		for hi < len(hs) && hi-lo < unionBatch && size < unionBytes {
			if st, err := os.Lstat(src.Path(k, hs[hi])); err == nil {
				size += st.Size()
			}
			hi++
		}
		win := make([]fetched, hi-lo)
		parallelFor(len(win), runtime.GOMAXPROCS(0), func(i int) { win[i] = fetch(src, k, hs[lo+i]) })
		for i, f := range win {
			if f.err != nil {
				c.u.rep.Problems = append(c.u.rep.Problems, Problem{src.Path(k, hs[lo+i]), f.err.Error()})
				continue
			}
			if err := c.add(src, f); err != nil {
				return err
			}
		}
		lo = hi
	}
	return nil
}

// add queues one verified object, after making durable the batch holding
// anything it references, and only if everything it references is intact
// in s.
func (c *unionCommit) add(src *Store, f fetched) error {
	for _, r := range f.refs {
		if c.inBatch[r.to] {
			if err := c.flush(); err != nil {
				return err
			}
		}
		if c.u.refIntact(r) {
			continue
		}
		if r.field == "parents" && src.MissingParent(f.it.Hash, r.to) {
			// A shallow snapshot's history is in neither store: it stays
			// shallow here, marked before it lands.
			if err := c.u.s.MarkShallow(f.it.Hash); err != nil {
				return err
			}
			continue
		}
		c.u.rep.Problems = append(c.u.rep.Problems, Problem{src.Path(f.it.Kind, f.it.Hash),
			fmt.Sprintf("%s: references %s %s, which neither store holds intact; not copied", r.what(), r.kind, r.to.Short())})
		return nil
	}
	c.batch = append(c.batch, f.it)
	c.bytes += int64(len(f.it.Z))
	c.inBatch[f.it.Hash] = true
	if len(c.batch) >= unionBatch || c.bytes >= unionBytes {
		return c.flush()
	}
	return nil
}

func (c *unionCommit) flush() error {
	if len(c.batch) == 0 {
		return nil
	}
	if err := c.u.s.PutItems(c.batch); err != nil {
		return err
	}
	c.u.rep.Copied += len(c.batch)
	c.u.rep.Bytes += c.bytes
	for _, it := range c.batch {
		c.u.intact[it.Hash] = true
	}
	c.batch, c.bytes = c.batch[:0], 0
	clear(c.inBatch)
	return nil
}
