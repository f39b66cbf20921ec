package bundle

import (
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Export writes the bundle of snapshot root of st to w: in ModeSnapshot
// the snapshot with its system, the system's initial states and the
// walkers' states and segments; in ModeHistory also every ancestor (all
// parents, recursively) with what each references. Every object is
// verified as it is read from st (a corrupt store exports nothing).
func Export(st *store.Store, root record.Hash, mode string, w io.Writer) (*Info, error) {
	rs, err := store.LoadAs[*record.Snapshot](st, root)
	if err != nil {
		return nil, fmt.Errorf("load snapshot %s: %w", root.Short(), err)
	}
	if rs.Shard != nil {
		return nil, fmt.Errorf("snapshot %s is shard %d/%d of a step; assemble the shards with we-merge first", root.Short(), rs.Shard.Index, rs.Shard.Count)
	}
	var order []record.Hash // snapshots, parents first
	var shallow []record.Hash
	switch mode {
	case ModeSnapshot:
		order = []record.Hash{root}
		if len(rs.Parents) > 0 {
			shallow = append(shallow, root)
		}
	case ModeHistory:
		order, shallow, err = ancestry(st, root, rs)
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("bundle mode %q", mode)
	}
	bw, err := NewWriter(w, Header{Mode: mode, Root: root, Shallow: shallow})
	if err != nil {
		return nil, err
	}
	info := &Info{Header: Header{V: Version, Mode: mode, Root: root, Shallow: shallow}, Objects: map[record.Kind]int{}}
	done := map[record.Hash]bool{}
	put := func(k record.Kind, h record.Hash) error {
		if done[h] {
			return nil
		}
		z, err := st.ReadFile(k, h)
		if err != nil {
			return fmt.Errorf("read %s %s: %w", k, h.Short(), err)
		}
		if _, err := verify(k, h, z); err != nil {
			return fmt.Errorf("%s %s in the store: %w", k, h.Short(), err)
		}
		done[h] = true
		info.Objects[k]++
		return bw.Object(k, h, z)
	}
	for _, h := range order {
		snap := rs
		if h != root {
			if snap, err = store.LoadAs[*record.Snapshot](st, h); err != nil {
				return nil, fmt.Errorf("load snapshot %s: %w", h.Short(), err)
			}
		}
		if !done[snap.System] {
			sys, err := store.LoadAs[*record.System](st, snap.System)
			if err != nil {
				return nil, fmt.Errorf("load system %s: %w", snap.System.Short(), err)
			}
			for _, in := range sys.Initial {
				if err := put(record.KindState, in.State); err != nil {
					return nil, err
				}
			}
			if err := put(record.KindSystem, snap.System); err != nil {
				return nil, err
			}
		}
		for _, wk := range snap.Walkers {
			if err := put(record.KindState, wk.State); err != nil {
				return nil, err
			}
			if wk.Segment != nil {
				if err := put(record.KindSegment, *wk.Segment); err != nil {
					return nil, err
				}
			}
		}
		if err := put(record.KindSnapshot, h); err != nil {
			return nil, err
		}
	}
	if err := bw.Close(); err != nil {
		return nil, err
	}
	info.Count = bw.Count()
	return info, nil
}

// ancestry returns root and every ancestor, parents before children, and
// those whose parents are not in st (shallow in st).
func ancestry(st *store.Store, root record.Hash, rs *record.Snapshot) (order, shallow []record.Hash, err error) {
	parents := map[record.Hash][]record.Hash{root: rs.Parents}
	stack := []record.Hash{root}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range parents[h] {
			if _, ok := parents[p]; ok {
				continue
			}
			if st.MissingParent(h, p) {
				if !slices.Contains(shallow, h) {
					shallow = append(shallow, h)
				}
				continue
			}
			s, err := store.LoadAs[*record.Snapshot](st, p)
			if err != nil {
				return nil, nil, fmt.Errorf("load snapshot %s: %w", p.Short(), err)
			}
			parents[p] = s.Parents
			stack = append(stack, p)
		}
	}
	// Depth-first post-order from the root, without recursion: a
	// snapshot after all its parents.
	state := map[record.Hash]uint8{} // 1 open, 2 done
	type item struct {
		h    record.Hash
		next int
	}
	work := []item{{root, 0}}
	state[root] = 1
	for len(work) > 0 {
		top := &work[len(work)-1]
		ps := parents[top.h]
		if top.next < len(ps) {
			p := ps[top.next]
			top.next++
			if _, in := parents[p]; !in || state[p] != 0 {
				if state[p] == 1 {
					return nil, nil, fmt.Errorf("snapshot %s: its parents form a cycle", p.Short())
				}
				continue
			}
			state[p] = 1
			work = append(work, item{p, 0})
			continue
		}
		state[top.h] = 2
		order = append(order, top.h)
		work = work[:len(work)-1]
	}
	return order, shallow, nil
}

// Plan is a verified bundle, ready to land in a store.
type Plan struct {
	Info
	layer   map[record.Hash]int           // snapshot → commit layer
	parents map[record.Hash][]record.Hash // parents of shallow snapshots
}

// Verify reads and verifies a whole bundle (Read) and plans its landing.
func Verify(r io.Reader) (*Plan, error) {
	p := &Plan{layer: map[record.Hash]int{}, parents: map[record.Hash][]record.Hash{}}
	info, err := read(r, true, func(o *Object) error {
		if o.Kind != record.KindSnapshot {
			return nil
		}
		// States and segments land in layer 0, systems in 1, a snapshot
		// after its parents.
		l := 2
		for _, q := range o.Parents {
			if lq, ok := p.layer[q]; ok {
				l = max(l, lq+1)
			}
		}
		p.layer[o.Hash] = l
		p.parents[o.Hash] = o.Parents
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Only the shallow snapshots' parents are needed after the read.
	keep := map[record.Hash][]record.Hash{}
	for _, s := range info.Header.Shallow {
		keep[s] = p.parents[s]
	}
	p.parents = keep
	p.Info = *info
	return p, nil
}

// LandReport says what landing a bundle did.
type LandReport struct {
	Copied, Present int
	Shallow         []record.Hash // snapshots marked shallow in the store
}

// ErrChanged reports a bundle whose bytes differ between its
// verification and its landing.
var ErrChanged = errors.New("the bundle changed since it was verified")

// Land writes the verified bundle into st, reading it again from r (the
// same bytes Verify read, which the checksum confirms before anything
// lands): every object is written to a temporary file first, and only
// when the whole bundle has been read again and found identical are they
// named, layer by layer (FORMAT.md §1.2). A shallow snapshot whose parents
// st lacks is marked shallow before it lands. On any error nothing lands.
func (p *Plan) Land(st *store.Store, r io.Reader) (*LandReport, error) {
	rep := &LandReport{}
	b := st.NewBatch()
	defer b.Abort()
	info, err := read(r, false, func(o *Object) error {
		if st.Has(o.Kind, o.Hash) {
			rep.Present++
			return nil
		}
		layer := 0
		switch o.Kind {
		case record.KindSystem:
			layer = 1
		case record.KindSnapshot:
			layer = p.layer[o.Hash]
		}
		rep.Copied++
		return b.Add(layer, store.Item{Kind: o.Kind, Hash: o.Hash, Z: o.Z})
	})
	if err != nil {
		return nil, err
	}
	if info.Sum != p.Sum || info.Count != p.Count {
		return nil, ErrChanged
	}
	for _, s := range p.Header.Shallow {
		for _, q := range p.parents[s] {
			if !st.Has(record.KindSnapshot, q) {
				if err := st.MarkShallow(s); err != nil {
					return nil, err
				}
				rep.Shallow = append(rep.Shallow, s)
				break
			}
		}
	}
	if err := b.Commit(); err != nil {
		return nil, err
	}
	return rep, nil
}
