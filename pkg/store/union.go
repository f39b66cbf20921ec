package store

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"

	"github.com/wepipe/wepipe/pkg/record"
)

// UnionReport summarises a Union.
type UnionReport struct {
	Copied   int
	Present  int
	Bytes    int64 // compressed bytes copied
	Problems []Problem
}

// unionOrder copies referenced kinds before the kinds that reference them,
// so that the destination never holds an object whose references are
// missing, even if the copy is interrupted.
var unionOrder = []record.Kind{record.KindState, record.KindSegment, record.KindSystem, record.KindSnapshot}

// unionBatch and unionBytes bound how many objects (and compressed bytes)
// are verified and made durable together, which bounds Union's memory
// whatever the size of the stores.
const (
	unionBatch = 256
	unionBytes = 64 << 20
)

// Union copies into s every object of src that s lacks (DESIGN §2: a
// directory union). Every incoming object is re-hashed, decoded and
// validated before it lands; an object whose references are missing in
// both stores is not copied. Bad objects in src are reported as Problems
// and skipped; s only ever gains whole, valid objects.
func (s *Store) Union(src *Store) (*UnionReport, error) {
	rep := &UnionReport{}
	for _, k := range unionOrder {
		hs, err := src.List(k)
		if err != nil {
			return rep, err
		}
		var missing []record.Hash
		for _, h := range hs {
			if s.Has(k, h) {
				rep.Present++
			} else {
				missing = append(missing, h)
			}
		}
		if k == record.KindSnapshot {
			missing = s.orderSnapshots(src, missing, rep)
		}
		c := &unionCommit{s: s, rep: rep, inBatch: map[record.Hash]bool{}}
		if err := c.copy(src, k, missing); err != nil {
			return rep, err
		}
		if err := c.flush(); err != nil {
			return rep, err
		}
	}
	sort.Slice(rep.Problems, func(i, j int) bool { return rep.Problems[i].Path < rep.Problems[j].Path })
	return rep, nil
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
	s       *Store
	rep     *UnionReport
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
			if st, err := os.Stat(src.Path(k, hs[hi])); err == nil {
				size += st.Size()
			}
			hi++
		}
		win := make([]fetched, hi-lo)
		parallelFor(len(win), runtime.GOMAXPROCS(0), func(i int) { win[i] = fetch(src, k, hs[lo+i]) })
		for i, f := range win {
			if f.err != nil {
				c.rep.Problems = append(c.rep.Problems, Problem{src.Path(k, hs[lo+i]), f.err.Error()})
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
// anything it references, and only if everything it references is in s.
func (c *unionCommit) add(src *Store, f fetched) error {
	for _, r := range f.refs {
		if c.inBatch[r.to] {
			if err := c.flush(); err != nil {
				return err
			}
		}
		if r.kind != "" && c.s.Has(r.kind, r.to) || r.kind == "" && c.s.kindOf(r.to) != "unknown" {
			continue
		}
		c.rep.Problems = append(c.rep.Problems, Problem{src.Path(f.it.Kind, f.it.Hash),
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
	if err := c.s.PutItems(c.batch); err != nil {
		return err
	}
	c.rep.Copied += len(c.batch)
	c.rep.Bytes += c.bytes
	c.batch, c.bytes = c.batch[:0], 0
	clear(c.inBatch)
	return nil
}
