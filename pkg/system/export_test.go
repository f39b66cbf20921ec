package system

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/record"
)

// hashes returns the hash of a built system and of its initial states.
func hashes(t *testing.T, b *Built) []record.Hash {
	t.Helper()
	_, h, err := record.Encode(b.System)
	if err != nil {
		t.Fatal(err)
	}
	out := []record.Hash{h}
	for _, s := range b.States {
		_, sh, err := record.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sh)
	}
	return out
}

// A system written as a file builds the same records again: every
// built-in (with and without --set), and a file system with bonds, a box,
// an RMSD observable, velocities and weighted initial states. With --set
// the file's parameters are kept beside the new integrator values.
func TestWriteJSON(t *testing.T) {
	var built []*Built
	for _, name := range Names() {
		sets := [][]string{nil, {"temperature=350"}}
		if name == "lj-fluid" {
			sets = [][]string{{"n=64", "density=0.5", "cutoff=2"}}
		}
		for _, s := range sets {
			b, err := Builtins[name].Build(s)
			if err != nil {
				t.Fatal(err)
			}
			built = append(built, b)
		}
	}
	file := `{"name": "custom", "particles": [{"name": "C1", "element": "C", "mass": 12}, {"name": "C2", "mass": 12.011}, {"name": "O", "element": "O", "mass": 16}],
	"bonds": [[0, 1], [1, 2]], "box": [3, 3.5, 4],
	"potential": [{"type": "lj-cut", "params": {"sigma": 0.3, "epsilon": 0.5, "cutoff": 1.2}}],
	"integrator": {"temperature": 300, "friction": 1, "timestep": 0.002},
	"observables": [{"name": "d", "type": "distance", "atoms": [0, 2]}, {"name": "z", "type": "coord", "atoms": [1], "axis": 2}, {"name": "rmsd", "type": "rmsd", "atoms": [0, 1], "ref": [[0, 0, 0], [0.15, 0, 0]]}],
	"initial": [{"positions": [[0, 0, 0], [0.15, 0, 0], [0.3, 0.1, 0]], "velocities": [[0.1, 0, 0], [0, -0.2, 0], [0, 0, 0.3]], "weight": 2},
	            {"positions": [[0, 0, 0.5], [0.15, 0, 0.5], [0.3, 0.1, 0.5]]}]}`
	for _, sets := range [][]string{nil, {"friction=5"}} {
		b, err := FromJSON(strings.NewReader(file), sets)
		if err != nil {
			t.Fatal(err)
		}
		built = append(built, b)
	}
	for _, b := range built {
		var f bytes.Buffer
		if err := WriteJSON(&f, b.System, b.States); err != nil {
			t.Fatalf("%s: %v", b.System.Name, err)
		}
		again, err := FromJSON(bytes.NewReader(f.Bytes()), nil)
		if err != nil {
			t.Fatalf("%s: read back: %v\n%s", b.System.Name, err, f.String())
		}
		want, got := hashes(t, b), hashes(t, again)
		if len(got) != len(want) {
			t.Fatalf("%s: %d records, want %d", b.System.Name, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: record %d of the file is %s, the original %s\n%s", b.System.Name, i, got[i].Short(), want[i].Short(), f.String())
			}
		}
	}
	// --set on an exported file: the integrator changes, the other
	// parameters stay.
	b, _ := Builtins["lj-pair"].Build([]string{"epsilon=2"})
	var f bytes.Buffer
	WriteJSON(&f, b.System, b.States)
	c, err := FromJSON(bytes.NewReader(f.Bytes()), []string{"temperature=400"})
	if err != nil {
		t.Fatal(err)
	}
	if p := c.System.Params; p["epsilon"] != 2 || p["temperature"] != 400 || c.System.Integrator.Temperature != 400 {
		t.Errorf("params after --set: %v", p)
	}
}

// we-cat's JSON of a system record is refused with a hint.
func TestRecordJSONRefused(t *testing.T) {
	_, err := FromJSON(strings.NewReader(`{"kind": "system", "v": 1, "name": "lj-pair", "hash": "82d985b24e5a0106274c531e73ea8226e1209b81904bf95df9865186eff03f19", "initial": [{"state": "b5cc", "weight": 1}]}`), nil)
	if err == nil || !strings.Contains(err.Error(), "we-export --system") {
		t.Errorf("error %v", err)
	}
}
