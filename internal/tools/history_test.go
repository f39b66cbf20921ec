package tools

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/internal/needs"
	"github.com/wepipe/wepipe/pkg/lineage"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// fastStore is a store directory on a tmpfs where there is one.
func fastStore(t *testing.T) string {
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "wepipe-history-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d + "/s"
		}
	}
	return t.TempDir() + "/s"
}

// run makes a history: cycles of we-step and we-resample from we-init.
func run(t *testing.T, st string, initArgs []string, cycles int, step, resample []string) string {
	h := runTool(t, Init, append([]string{"--store", st}, initArgs...)...)
	for c := 0; c < cycles; c++ {
		h = runTool(t, Step, append([]string{"--store", st, h}, step...)...)
		h = runTool(t, Resample, append([]string{"--store", st, h}, resample...)...)
	}
	return h
}

var wexplore = []string{"--resampler", "wexplore", "--region-sizes", "0.2,0.1,0.05", "--pmax", "0.5", "--warp", "r>=0.7"}

// The family tree of a real run (the weakly bound pair, WExplore, warps)
// validates against both official GEXF schemas; read back independently
// (and with networkx for 1.2draft), every attribute is typed as declared,
// each cycle's weights sum to 1, every walker after cycle 0 has exactly
// one parent — the one its record names — and each walker's children
// agree with its resampling decision.
func TestGexfRealRun(t *testing.T) {
	xmllint := needs.Program(t, "xmllint", "libxml2-utils")
	py := needs.Modules(t, "python3-networkx", "networkx")
	st := fastStore(t)
	h := run(t, st, []string{"--system", "lj-pair", "--walkers", "16", "--seed", "4", "--set", "epsilon=2"}, 12,
		[]string{"--steps", "300"}, wexplore)
	dir := t.TempDir()
	for _, v := range []string{"1.2draft", "1.3"} {
		f := filepath.Join(dir, v+".gexf")
		runTool(t, Gexf, "--store", st, "--gexf-version", v, "-o", f, h)
		schema := filepath.Join("..", "..", "pkg", "gexf", "testdata", "schema", "gexf-"+v, "gexf.xsd")
		if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, f).CombinedOutput(); err != nil {
			t.Fatalf("GEXF %s does not validate: %v\n%s", v, err, out)
		}
		out, err := exec.Command(py, filepath.Join("testdata", "check_gexf.py"), f, "16").CombinedOutput()
		if err != nil {
			t.Fatalf("GEXF %s: %v\n%s", v, err, out)
		}
		t.Logf("%s", out)
	}
	// The run warped and merged walkers: the tree shows both.
	b, err := os.ReadFile(filepath.Join(dir, "1.2draft.gexf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<shape value="square"/>`, `<shape value="diamond"/>`, `value="CLONE"`, `value="KEEP_MERGE"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the tree has no %s", want)
		}
	}
}

// expectedLineage follows walker slot of the history's last snapshot back
// through the parent indices, independently of we-trace: every segment
// frame and end state of each step, the initial state first. The run has
// no warps.
func expectedLineage(t *testing.T, st *store.Store, h record.Hash, slot int) [][]float64 {
	hist, err := lineage.History(st, h)
	if err != nil {
		t.Fatal(err)
	}
	var rev [][]float64 // newest first
	for i := len(hist) - 1; i >= 0; i-- {
		w := hist[i].Snap.Walkers[slot]
		s, err := store.LoadAs[*record.State](st, w.State)
		if err != nil {
			t.Fatal(err)
		}
		switch hist[i].Snap.Op.Tool {
		case "we-init":
			rev = append(rev, s.Positions.Data)
		case "we-step":
			n := len(s.Positions.Data)
			var frames [][]float64
			if w.Segment != nil {
				seg, err := store.LoadAs[*record.Segment](st, *w.Segment)
				if err != nil {
					t.Fatal(err)
				}
				for k := range seg.Steps {
					frames = append(frames, seg.Positions.Data[k*n:(k+1)*n])
				}
				if seg.Steps[len(seg.Steps)-1] != s.Step {
					frames = append(frames, s.Positions.Data)
				}
			} else {
				frames = append(frames, s.Positions.Data)
			}
			for k := len(frames) - 1; k >= 0; k-- {
				rev = append(rev, frames[k])
			}
		}
		slot = w.Parent
	}
	for a, b := 0, len(rev)-1; a < b; a, b = a+1, b-1 {
		rev[a], rev[b] = rev[b], rev[a]
	}
	return rev
}

// we-trace's PDB, XYZ and DCD of a real run read back with MDTraj to the
// coordinates the store holds, to 1e-3 nm: the LJ pair with intermediate
// frames (no box), and a small LJ fluid (a box: the unit cell too).
func TestTraceMDTraj(t *testing.T) {
	py := needs.Modules(t, "python3-mdtraj", "mdtraj")
	binned := []string{"--resampler", "binned", "--bins", "r:0.376,0.377", "--per-bin", "2"}
	cases := []struct {
		name     string
		init     []string
		step     []string
		resample []string
	}{
		{"lj-pair", []string{"--system", "lj-pair", "--walkers", "6", "--seed", "1"}, []string{"--steps", "60", "--frames", "3"}, binned},
		{"lj-fluid", []string{"--system", "lj-fluid", "--set", "n=32", "--set", "density=0.3", "--set", "cutoff=1.6", "--walkers", "3"}, []string{"--steps", "20"}, []string{"--resampler", "none"}},
	}
	dir := t.TempDir()
	var checks []string
	for _, c := range cases {
		stDir := fastStore(t)
		h := run(t, stDir, c.init, 3, c.step, c.resample)
		st, err := store.Open(stDir)
		if err != nil {
			t.Fatal(err)
		}
		hh, err := record.ParseHash(h)
		if err != nil {
			t.Fatal(err)
		}
		snap, _ := store.LoadAs[*record.Snapshot](st, hh)
		sys, _ := store.LoadAs[*record.System](st, snap.System)
		slot := len(snap.Walkers) - 1
		want := expectedLineage(t, st, hh, slot)
		var files []string
		for _, ext := range []string{"pdb", "xyz", "dcd"} {
			f := filepath.Join(dir, c.name+"."+ext)
			runTool(t, Trace, "--store", stDir, "--walker", strconv.Itoa(slot), "-o", f, h)
			files = append(files, f)
		}
		var positions [][][3]float64
		for _, fr := range want {
			var atoms [][3]float64
			for i := 0; i+2 < len(fr); i += 3 {
				atoms = append(atoms, [3]float64{fr[i], fr[i+1], fr[i+2]})
			}
			positions = append(positions, atoms)
		}
		var box any
		if len(sys.Box) == 3 {
			box = sys.Box
		}
		elements := sys.Particles.Elements
		if elements == nil {
			elements = make([]string, len(sys.Particles.Names))
		}
		b, err := json.Marshal(map[string]any{
			"top": files[0], "files": files, "positions": positions, "box": box,
			"names": sys.Particles.Names, "elements": elements, "bonds": [][2]int{}, "tol": 1e-3,
		})
		if err != nil {
			t.Fatal(err)
		}
		ej := filepath.Join(dir, c.name+".json")
		if err := os.WriteFile(ej, b, 0o644); err != nil {
			t.Fatal(err)
		}
		checks = append(checks, ej)
		// The pair: the initial state, then 3 frames per cycle; the fluid:
		// one frame per cycle.
		if n := map[string]int{"lj-pair": 1 + 3*3, "lj-fluid": 1 + 3}[c.name]; len(positions) != n {
			t.Fatalf("%s: %d frames expected, want %d", c.name, len(positions), n)
		}
	}
	out, err := exec.Command(py, append([]string{filepath.Join("..", "..", "pkg", "traj", "testdata", "mdtraj_check.py")}, checks...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", out)
}
