package store

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/rng"
)

// newStore creates a store in a fresh temporary directory.
func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := Create(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stream is the random stream of test i of a test named name.
func stream(name string, i uint64) *rng.Stream {
	return rng.NewKey("store-test/"+name, [32]byte{}, i, 1)
}

// makeState returns a state of n atoms with MD-like coordinates: positions
// uniform in a 10 nm box, velocities normal with σ = 0.3 nm/ps (about the
// thermal velocity of a carbon atom at 300 K).
func makeState(r *rng.Stream, n int) *record.State {
	st := record.NewState()
	p := make([]float64, 3*n)
	v := make([]float64, 3*n)
	for i := range p {
		p[i] = 10 * r.Float64()
		v[i] = 0.3 * r.Normal()
	}
	st.Positions = codec.NewArray(p, n, 3)
	st.Velocities = codec.NewArray(v, n, 3)
	st.Box = []float64{10, 10, 10}
	st.Time = 2.5
	st.Step = 1250
	st.Potential = -1234.5
	st.Kinetic = 456.25
	st.Obs = map[string]float64{"d": r.Float64()}
	return st
}

// makeSegment returns a segment of frames frames of n atoms.
func makeSegment(r *rng.Stream, frames, n int) *record.Segment {
	sg := record.NewSegment()
	p := make([]float64, frames*n*3)
	for i := range p {
		p[i] = 10 * r.Float64()
	}
	sg.Positions = codec.NewArray(p, frames, n, 3)
	for f := 0; f < frames; f++ {
		sg.Steps = append(sg.Steps, uint64(10*(f+1)))
		sg.Times = append(sg.Times, 0.02*float64(f+1))
	}
	sg.Obs = map[string][]float64{"d": append([]float64(nil), p[:frames]...)}
	return sg
}

// makeSystem returns a system of n particles starting from the states.
func makeSystem(n int, initial ...record.Hash) *record.System {
	sys := record.NewSystem()
	sys.Name = "test"
	sys.Engine = "langevin"
	m := make([]float64, n)
	names := make([]string, n)
	for i := range m {
		m[i] = 12
		names[i] = "C"
	}
	sys.Particles = record.Particles{Masses: codec.NewArray(m, n), Names: names}
	sys.Integrator = record.Integrator{Name: "baoab", Temperature: 300, Friction: 1, Timestep: 0.002}
	sys.Obs = []record.Observable{{Name: "d", Type: "distance", Atoms: []int{0}, Atoms2: []int{n - 1}}}
	for _, h := range initial {
		sys.Initial = append(sys.Initial, record.Initial{State: h, Weight: 1})
	}
	return sys
}

// makeSnapshot returns a snapshot of the walkers in states (equal
// weights), made from parents.
func makeSnapshot(cycle uint64, sys record.Hash, states []record.Hash, segs []*record.Hash, parents ...record.Hash) *record.Snapshot {
	sn := record.NewSnapshot()
	sn.Cycle = cycle
	sn.System = sys
	sn.Parents = parents
	sn.Op = record.Op{Tool: "test", Version: "1"}
	for i, h := range states {
		w := record.Walker{State: h, Weight: 1 / float64(len(states)), Parent: -1}
		if len(parents) > 0 {
			w.Parent = i
		}
		if segs != nil {
			w.Segment = segs[i]
		}
		sn.Walkers = append(sn.Walkers, w)
	}
	return sn
}

// mustPut writes o and returns its hash.
func mustPut(t testing.TB, s *Store, o record.Object) record.Hash {
	t.Helper()
	h, err := s.Put(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// plant writes z as the file of object h of kind k, bypassing every check,
// as damage or a foreign writer would.
func plant(t testing.TB, s *Store, k record.Kind, h record.Hash, z []byte) string {
	t.Helper()
	p := s.Path(k, h)
	if err := os.WriteFile(p, z, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// plantData writes the zstd frame of data under the name of its hash.
func plantData(t testing.TB, s *Store, k record.Kind, data []byte) (record.Hash, string) {
	t.Helper()
	h := record.Sum(data)
	return h, plant(t, s, k, h, Compress(data))
}

// encodeMap is the deterministic CBOR of a generic map, for records no
// writer of this build would produce.
func encodeMap(t testing.TB, m map[string]any) []byte {
	t.Helper()
	b, err := codec.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tempFiles lists DIR/tmp.
func tempFiles(t testing.TB, s *Store) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(s.Dir(), tmpDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// wantErr fails unless err is non-nil and its message holds every part.
func wantErr(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
}

// wantCorrupt fails unless err is a *CorruptError for path.
func wantCorrupt(t testing.TB, err error, path string, parts ...string) {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a *CorruptError", err)
	}
	if ce.Path != path {
		t.Fatalf("corrupt error names %s, want %s", ce.Path, path)
	}
	wantErr(t, err, append([]string{path}, parts...)...)
}

// checkClean fails unless Check finds no problem.
func checkClean(t testing.TB, s *Store) *CheckReport {
	t.Helper()
	rep, err := s.Check(CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Errorf("check: %s", p)
	}
	return rep
}

// sameFile fails unless the file at p is still the one described by st,
// with the same modification time.
func sameFile(t testing.TB, p string, st os.FileInfo) {
	t.Helper()
	now, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(st, now) || !now.ModTime().Equal(st.ModTime()) {
		t.Fatalf("%s was rewritten", p)
	}
}

// update rewrites the store's test vectors: testdata/vector.pack with the
// pack vector of FORMAT.md §1.6, and testdata/snapindex-v1.bin, the
// snapshot index vector of §1.5.
var update = flag.Bool("update", false, "rewrite the pack and snapshot index test vectors (FORMAT.md §1.5, §1.6)")
