package store

import (
	"fmt"
	"runtime"
	"sort"
	"sync"

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

// unionBatch is how many objects are made durable together.
const unionBatch = 256

// Union copies into s every object of src that s lacks (DESIGN §2: a
// directory union). Every incoming object is re-hashed, decoded and
// validated before it lands; an object whose references are missing in
// both stores is not copied. Bad objects in src are reported as Problems
// and skipped; s only ever gains whole, valid objects.
func (s *Store) Union(src *Store) (*UnionReport, error) {
	rep := &UnionReport{}
	var mu sync.Mutex
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
		// Verify in parallel, keeping the decoded object for ordering.
		items := make([]Item, len(missing))
		objs := make([]record.Object, len(missing))
		ok := make([]bool, len(missing))
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					h := missing[i]
					p := src.Path(k, h)
					z, err := src.ReadFile(k, h)
					var data []byte
					if err == nil {
						data, err = Decompress(z)
					}
					if err == nil && record.Sum(data) != h {
						err = ErrHashMismatch
					}
					var o record.Object
					if err == nil {
						o, err = record.Decode(data)
					}
					if err == nil && o.ObjectKind() != k {
						err = fmt.Errorf("a %s record in the %s directory", o.ObjectKind(), k)
					}
					if err != nil {
						mu.Lock()
						rep.Problems = append(rep.Problems, Problem{p, err.Error()})
						mu.Unlock()
						continue
					}
					items[i] = Item{Kind: k, Data: data, Hash: h, Z: z}
					objs[i] = o
					ok[i] = true
				}
			}()
		}
		for i := range missing {
			next <- i
		}
		close(next)
		wg.Wait()
		order := make([]int, 0, len(missing))
		for i := range missing {
			if ok[i] {
				order = append(order, i)
			}
		}
		if k == record.KindSnapshot {
			order = topoSnapshots(missing, objs, order)
		}
		var batch []Item
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			err := s.PutItems(batch)
			batch = batch[:0]
			return err
		}
		inBatch := map[record.Hash]bool{}
		for _, i := range order {
			o := objs[i]
			missingRef := ""
			for _, r := range o.Refs() {
				if inBatch[r] {
					// A parent in this batch: make it durable first.
					if err := flush(); err != nil {
						return rep, err
					}
					clear(inBatch)
				}
				if _, err := s.Kind(r); err != nil {
					missingRef = r.Short()
					break
				}
			}
			if missingRef != "" {
				rep.Problems = append(rep.Problems, Problem{src.Path(k, missing[i]), "references " + missingRef + ", which neither store holds intact; not copied"})
				continue
			}
			batch = append(batch, items[i])
			inBatch[missing[i]] = true
			rep.Copied++
			rep.Bytes += int64(len(items[i].Z))
			if len(batch) >= unionBatch {
				if err := flush(); err != nil {
					return rep, err
				}
				clear(inBatch)
			}
		}
		if err := flush(); err != nil {
			return rep, err
		}
	}
	sort.Slice(rep.Problems, func(i, j int) bool { return rep.Problems[i].Path < rep.Problems[j].Path })
	return rep, nil
}

// topoSnapshots orders snapshot indices so that parents come first.
func topoSnapshots(hs []record.Hash, objs []record.Object, idx []int) []int {
	pos := map[record.Hash]int{}
	for _, i := range idx {
		pos[hs[i]] = i
	}
	done := map[int]bool{}
	var out []int
	var visit func(i int)
	visit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true
		for _, p := range objs[i].(*record.Snapshot).Parents {
			if j, ok := pos[p]; ok {
				visit(j)
			}
		}
		out = append(out, i)
	}
	for _, i := range idx {
		visit(i)
	}
	return out
}
