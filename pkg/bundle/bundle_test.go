package bundle

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// fastDir is a directory for the tests' stores: on a tmpfs where there
// is one, since every object written is fsynced.
func fastDir(t testing.TB) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "wepipe-bundle-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

func newStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Create(filepath.Join(fastDir(t), "s"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func put(t testing.TB, st *store.Store, o record.Object) record.Hash {
	t.Helper()
	h, err := st.Put(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func state(x float64) *record.State {
	s := record.NewState()
	s.Positions = codec.NewArray([]float64{0, 0, 0, x, 0, 0}, 2, 3)
	s.Velocities = codec.NewArray(make([]float64, 6), 2, 3)
	s.Obs = map[string]float64{"r": x}
	return s
}

// chain writes a small history: we-init, a step with a segment, a
// resampling, a step; it returns the snapshots, oldest first.
func chain(t testing.TB, st *store.Store) []record.Hash {
	ini := put(t, st, state(0.4))
	sys := record.NewSystem()
	sys.Name, sys.Engine = "test", "langevin"
	sys.Particles = record.Particles{Masses: codec.NewArray([]float64{1, 1}, 2), Names: []string{"A", "B"}}
	sys.Integrator = record.Integrator{Name: "baoab", Temperature: 300, Friction: 1, Timestep: 0.002}
	sys.Initial = []record.Initial{{State: ini, Weight: 1}}
	sh := put(t, st, sys)
	var out []record.Hash
	snap := record.NewSnapshot()
	snap.System, snap.Op = sh, record.Op{Tool: "we-init", Version: "1"}
	snap.Walkers = []record.Walker{{State: ini, Weight: 0.5, Parent: -1}, {State: ini, Weight: 0.5, Parent: -1}}
	out = append(out, put(t, st, snap))
	for c := 0; c < 2; c++ {
		step := record.NewSnapshot()
		step.Cycle, step.System, step.Parents, step.Op = uint64(c), sh, []record.Hash{out[len(out)-1]}, record.Op{Tool: "we-step", Version: "1"}
		for i := 0; i < 2; i++ {
			s := put(t, st, state(0.5+float64(2*c+i)/10))
			w := record.Walker{State: s, Weight: 0.5, Parent: i}
			if c == 0 {
				seg := record.NewSegment()
				seg.Positions = codec.NewArray(make([]float64, 6), 1, 2, 3)
				seg.Steps, seg.Times = []uint64{5}, []float64{0.01}
				g := put(t, st, seg)
				w.Segment = &g
			}
			step.Walkers = append(step.Walkers, w)
		}
		out = append(out, put(t, st, step))
		if c == 1 {
			break
		}
		res := record.NewSnapshot()
		res.Cycle, res.System, res.Parents, res.Op = uint64(c+1), sh, []record.Hash{out[len(out)-1]}, record.Op{Tool: "we-resample", Version: "1"}
		res.Walkers = []record.Walker{{State: step.Walkers[0].State, Weight: 0.5, Parent: 0}, {State: ini, Weight: 0.5, Parent: 1}}
		res.Decisions = []record.Decision{{Decision: 1, Targets: []int{0}}, {Decision: 1, Targets: []int{1}}}
		res.Warps = []record.Warp{{Walker: 1, Weight: 0.5, Cond: "r>=1"}}
		res.Resampler = &record.Resampler{Name: "test", State: []byte{0xa0}}
		out = append(out, put(t, st, res))
	}
	return out
}

func export(t testing.TB, st *store.Store, root record.Hash, mode string) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := Export(st, root, mode, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func land(t testing.TB, b []byte) (*store.Store, *LandReport) {
	t.Helper()
	p, err := Verify(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	dst := newStore(t)
	rep, err := p.Land(dst, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return dst, rep
}

func checkClean(t testing.TB, st *store.Store) {
	t.Helper()
	rep, err := st.Check(store.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Errorf("check: %s", p)
	}
}

// A snapshot bundle holds the snapshot and what it references, lands in a
// fresh store as a shallow snapshot, and that store verifies; a history
// bundle holds every snapshot and lands a whole store. Export is
// deterministic.
func TestRoundTrip(t *testing.T) {
	src := newStore(t)
	hs := chain(t, src)
	root := hs[len(hs)-2] // the resampling: states, a warp, resampler state
	b := export(t, src, root, ModeSnapshot)
	if !bytes.Equal(b, export(t, src, root, ModeSnapshot)) {
		t.Error("export is not deterministic")
	}
	dst, rep := land(t, b)
	// initial state, system, walker 0's state (walker 1 is the initial
	// state), the snapshot.
	if rep.Copied != 4 || rep.Present != 0 || len(rep.Shallow) != 1 || rep.Shallow[0] != root {
		t.Errorf("snapshot bundle: %+v", rep)
	}
	if !dst.IsShallow(root) || dst.Has(record.KindSnapshot, hs[0]) {
		t.Error("snapshot bundle: root not shallow, or history landed")
	}
	checkClean(t, dst)

	// Landing again copies nothing.
	p, _ := Verify(bytes.NewReader(b))
	if rep2, err := p.Land(dst, bytes.NewReader(b)); err != nil || rep2.Copied != 0 || rep2.Present != 4 {
		t.Errorf("second landing: %+v %v", rep2, err)
	}

	h := export(t, src, hs[len(hs)-1], ModeHistory)
	full, rep := land(t, h)
	if len(rep.Shallow) != 0 {
		t.Errorf("history bundle marked %v shallow", rep.Shallow)
	}
	for _, k := range record.Kinds {
		a, _ := src.List(k)
		c, _ := full.List(k)
		if len(a) != len(c) {
			t.Errorf("history bundle: %d %ss landed, the source has %d", len(c), k, len(a))
		}
	}
	checkClean(t, full)

	// The history of a shallow snapshot stops at it.
	hb := export(t, dst, root, ModeHistory)
	info, err := Read(bytes.NewReader(hb), nil)
	if err != nil || len(info.Header.Shallow) != 1 || info.Objects[record.KindSnapshot] != 1 {
		t.Errorf("history of a shallow snapshot: %+v %v", info, err)
	}
}

// Every flipped byte and every truncation of a bundle is refused by
// Verify; a length beyond the limits is refused before anything is read.
func TestDamage(t *testing.T) {
	src := newStore(t)
	hs := chain(t, src)
	b := export(t, src, hs[len(hs)-1], ModeHistory)
	// Every byte of the magic, the header and the end frame, and every
	// 7th byte between (each flip costs a verification up to the end).
	hdr := len(Magic) + 9 + int(binary.BigEndian.Uint64(b[len(Magic)+1:]))
	for i := 0; i < len(b); i++ {
		if i > hdr && i < len(b)-49 && i%7 != 0 {
			continue
		}
		c := append([]byte(nil), b...)
		c[i] ^= 0x01
		if _, err := Verify(bytes.NewReader(c)); err == nil {
			t.Fatalf("byte %d of %d flipped: accepted", i, len(b))
		}
	}
	for n := 0; n < len(b); n += 1 + n%5 {
		if _, err := Verify(bytes.NewReader(b[:n])); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, len(b))
		}
	}
	if _, err := Verify(bytes.NewReader(append(append([]byte(nil), b...), 0))); err == nil {
		t.Fatal("a byte after the end: accepted")
	}
	// The first object frame declares 2^62 bytes.
	huge := append([]byte(nil), b...)
	binary.BigEndian.PutUint64(huge[hdr+1:], 1<<62)
	_, err := Verify(bytes.NewReader(huge))
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("huge length: %v", err)
	}
	if _, err := Verify(strings.NewReader("wepipe store\nlayout 1\n")); !errors.Is(err, ErrNotBundle) {
		t.Fatalf("not a bundle: %v", err)
	}
}

// A bundle that changes between Verify and Land lands nothing.
func TestChanged(t *testing.T) {
	src := newStore(t)
	hs := chain(t, src)
	b := export(t, src, hs[len(hs)-1], ModeHistory)
	p, err := Verify(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	other := export(t, src, hs[1], ModeHistory)
	dst := newStore(t)
	if _, err := p.Land(dst, bytes.NewReader(other)); err == nil {
		t.Fatal("another bundle landed under the plan of the first")
	}
	for _, k := range record.Kinds {
		if l, _ := dst.List(k); len(l) != 0 {
			t.Errorf("%d %ss landed", len(l), k)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(dst.Dir(), "tmp")); len(ents) != 0 {
		t.Errorf("%d temp files left", len(ents))
	}
}

// Objects out of reference order, a reference to a missing object, a root
// that is not in the bundle and an object twice are refused.
func TestStructure(t *testing.T) {
	src := newStore(t)
	hs := chain(t, src)
	root := hs[len(hs)-1]
	var objs []*Object
	info, err := Read(bytes.NewReader(export(t, src, root, ModeSnapshot)), func(o *Object) error {
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	build := func(h Header, os []*Object) []byte {
		var b bytes.Buffer
		w, err := NewWriter(&b, h)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range os {
			w.Object(o.Kind, o.Hash, o.Z)
		}
		w.Close()
		return b.Bytes()
	}
	if _, err := Verify(bytes.NewReader(build(info.Header, objs))); err != nil {
		t.Fatalf("rebuilt bundle refused: %v", err)
	}
	rev := append([]*Object(nil), objs...)
	rev[0], rev[len(rev)-1] = rev[len(rev)-1], rev[0]
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"reversed", build(info.Header, rev), "no earlier frame holds"},
		{"missing", build(info.Header, objs[1:]), "no earlier frame holds"},
		{"twice", build(info.Header, append(objs[:1:1], objs...)), "twice"},
		{"no root", build(Header{Mode: ModeSnapshot, Root: hs[0]}, objs[:len(objs)-1]), "root snapshot"},
		{"not shallow", build(Header{Mode: ModeSnapshot, Root: root}, objs), "no earlier frame holds"},
		{"bad mode", nil, ""},
	} {
		if c.b == nil {
			if _, err := NewWriter(&bytes.Buffer{}, Header{Mode: "all"}); err == nil {
				t.Error("mode all accepted")
			}
			continue
		}
		_, err := Verify(bytes.NewReader(c.b))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// FuzzRead: no input crashes the reader or makes it allocate beyond its
// limits (lengths are checked before a payload is read, buffers grow with
// the data read, decompression stops at the object size limit), and any
// input it accepts lands as a store that verifies.
func FuzzRead(f *testing.F) {
	// Objects of up to 1 MiB, not the format's 1 GiB: a frame of RLE
	// blocks may expand 40,000-fold, and the fuzzer finds them at once.
	old := store.MaxObjectSize
	store.MaxObjectSize = 1 << 20
	f.Cleanup(func() { store.MaxObjectSize = old })
	st := newStore(f)
	hs := chain(f, st)
	f.Add(export(f, st, hs[len(hs)-1], ModeHistory))
	f.Add(export(f, st, hs[1], ModeSnapshot))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Read(bytes.NewReader(b), nil); err != nil {
			return
		}
		// Whatever verifies lands as a sound store.
		dst, _ := land(t, b)
		checkClean(t, dst)
	})
}
