package traj

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/internal/needs"
)

var water = &Topology{
	Atoms: []Atom{{Name: "O", Element: "O"}, {Name: "H1", Element: "H"}, {Name: "H2", Element: "H"}, {Name: "Ar", Element: "Ar"}, {Name: "X"}},
	Bonds: [][2]int{{0, 1}, {0, 2}},
}

// The exact PDB of two frames: the REMARK, CRYST1 in Å, the default
// residues (a molecule per bonded group, lone atoms named after their
// element), atom names of one-letter elements from column 14, CONECT both
// ways, END.
func TestPDBGolden(t *testing.T) {
	var b bytes.Buffer
	w, err := NewPDB(&b, water, "lineage of walker 3")
	if err != nil {
		t.Fatal(err)
	}
	f := &Frame{Positions: []float64{0, 0, 0, 0.09572, 0, 0, -0.024, 0.0927, 0, 1.5, -2.25, 10, 99.5, 0.001, -0.0005}, Box: []float64{3, 3, 3}}
	for k := 0; k < 2; k++ {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	model := `ATOM      1  O   MOL A   1       0.000   0.000   0.000  1.00  0.00           O  
ATOM      2  H1  MOL A   1       0.957   0.000   0.000  1.00  0.00           H  
ATOM      3  H2  MOL A   1      -0.240   0.927   0.000  1.00  0.00           H  
ATOM      4 Ar    AR A   2      15.000 -22.500 100.000  1.00  0.00          AR  
ATOM      5  X     X A   3     995.000   0.010  -0.005  1.00  0.00              
`
	want := "REMARK   1 lineage of walker 3\n" +
		"CRYST1   30.000   30.000   30.000  90.00  90.00  90.00 P 1           1\n" +
		"MODEL        1\n" + model + "ENDMDL\nMODEL        2\n" + model + "ENDMDL\n" +
		"CONECT    1    2    3\nCONECT    2    1\nCONECT    3    1\nEND\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	for _, line := range strings.Split(strings.TrimRight(model, "\n"), "\n") {
		if len(line) != 80 {
			t.Errorf("record of %d columns: %q", len(line), line)
		}
	}
}

func TestDefaultResidues(t *testing.T) {
	top := (&Topology{Atoms: make([]Atom, 6), Bonds: [][2]int{{4, 1}, {2, 4}}}).WithResidues()
	want := []int{0, 1, 1, 2, 1, 3}
	for i, a := range top.Atoms {
		if a.Residue != want[i] {
			t.Errorf("atom %d in residue %d, want %d", i, a.Residue, want[i])
		}
	}
	if len(top.Residues) != 4 || top.Residues[1].Name != "MOL" || top.Residues[0].Name != "UNK" || top.Residues[3].Seq != 4 {
		t.Errorf("residues %+v", top.Residues)
	}
	given := &Topology{Atoms: []Atom{{Name: "CA", Element: "C", Residue: 0}}, Residues: []Residue{{Name: "ALA", Seq: 7, Chain: "B"}}}
	if given.WithResidues() != given {
		t.Error("given residues replaced")
	}
	var b bytes.Buffer
	w, _ := NewPDB(&b, given, "")
	w.WriteFrame(&Frame{Positions: []float64{0.1, 0.2, 0.3}})
	w.Close()
	if !strings.Contains(b.String(), "ATOM      1  CA  ALA B   7       1.000   2.000   3.000") {
		t.Errorf("residue not written:\n%s", b.String())
	}
}

func TestErrors(t *testing.T) {
	if _, err := NewPDB(&bytes.Buffer{}, &Topology{}, ""); err == nil {
		t.Error("empty topology accepted")
	}
	if _, err := NewXYZ(&bytes.Buffer{}, &Topology{Atoms: []Atom{{}}, Bonds: [][2]int{{0, 1}}}); err == nil {
		t.Error("bond to a missing atom accepted")
	}
	if _, err := NewPDB(&bytes.Buffer{}, &Topology{Atoms: []Atom{{Residue: 2}}, Residues: []Residue{{}}}, ""); err == nil {
		t.Error("missing residue accepted")
	}
	w, _ := NewPDB(&bytes.Buffer{}, water, "")
	if err := w.WriteFrame(&Frame{Positions: make([]float64, 3)}); err == nil {
		t.Error("frame of the wrong size accepted")
	}
	big := make([]float64, 15)
	big[4] = 1000
	if err := w.WriteFrame(&Frame{Positions: big}); err == nil || !strings.Contains(err.Error(), "write XYZ or DCD") {
		t.Errorf("coordinate beyond the PDB field: %v", err)
	}
	// A DCD on a stream must hold the frames it declares.
	d, _ := NewDCD(&bytes.Buffer{}, 1, DCDOptions{Frames: 2})
	d.WriteFrame(&Frame{Positions: make([]float64, 3)})
	if err := d.Close(); err == nil {
		t.Error("DCD of 1 frame declared 2 accepted on a stream")
	}
	d, _ = NewDCD(&bytes.Buffer{}, 1, DCDOptions{Box: true})
	if err := d.WriteFrame(&Frame{Positions: make([]float64, 3)}); err == nil {
		t.Error("DCD frame without the box the file declares accepted")
	}
	if _, err := ParseFormat("gro"); err == nil {
		t.Error("format gro accepted")
	}
	for _, s := range []string{"pdb", ".DCD", "json", "jsonl", "csv", "xyz"} {
		if _, err := ParseFormat(s); err != nil {
			t.Error(err)
		}
	}
}

// readPDB parses the ATOM records of each model (Å → nm) and CRYST1.
func readPDB(t *rapid.T, data []byte) (frames [][]float64, box []float64) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "CRYST1"):
			for k := 0; k < 3; k++ {
				x, err := strconv.ParseFloat(strings.TrimSpace(line[6+9*k:15+9*k]), 64)
				if err != nil {
					t.Fatal(err)
				}
				box = append(box, x/10)
			}
		case strings.HasPrefix(line, "MODEL"):
			frames = append(frames, nil)
		case strings.HasPrefix(line, "ATOM"):
			for k := 0; k < 3; k++ {
				x, err := strconv.ParseFloat(strings.TrimSpace(line[30+8*k:38+8*k]), 64)
				if err != nil {
					t.Fatal(err)
				}
				frames[len(frames)-1] = append(frames[len(frames)-1], x/10)
			}
		}
	}
	return frames, box
}

func readXYZ(t *rapid.T, data []byte, n int) (frames [][]float64) {
	if len(data) == 0 {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for len(lines) > 0 {
		if lines[0] != strconv.Itoa(n) {
			t.Fatalf("frame head %q", lines[0])
		}
		var f []float64
		for _, l := range lines[2 : 2+n] {
			fs := strings.Fields(l)
			for _, s := range fs[1:] {
				x, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatal(err)
				}
				f = append(f, x/10)
			}
		}
		frames = append(frames, f)
		lines = lines[2+n:]
	}
	return frames
}

// readDCD parses a DCD by the layout NewDCD documents, checking every
// record's framing.
func readDCD(t *rapid.T, data []byte) (head []int32, frames [][]float64, boxes [][]float64) {
	r := bytes.NewReader(data)
	i32 := func() int32 {
		var x int32
		if err := binary.Read(r, binary.LittleEndian, &x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	record := func(n int32) []byte {
		if got := i32(); got != n {
			t.Fatalf("record of %d bytes, want %d", got, n)
		}
		b := make([]byte, n)
		if _, err := r.Read(b); err != nil && n > 0 {
			t.Fatal(err)
		}
		if got := i32(); got != n {
			t.Fatalf("record ends with %d, want %d", got, n)
		}
		return b
	}
	h := record(84)
	if string(h[:4]) != "CORD" {
		t.Fatalf("magic %q", h[:4])
	}
	for k := 0; k < 20; k++ {
		head = append(head, int32(binary.LittleEndian.Uint32(h[4+4*k:])))
	}
	record(164)
	natom := int(int32(binary.LittleEndian.Uint32(record(4))))
	for f := 0; f < int(head[0]); f++ {
		if head[10] == 1 {
			c := record(48)
			var box []float64
			for k := 0; k < 6; k++ {
				box = append(box, math.Float64frombits(binary.LittleEndian.Uint64(c[8*k:])))
			}
			boxes = append(boxes, box)
		}
		xyz := make([]float64, 3*natom)
		for k := 0; k < 3; k++ {
			b := record(int32(4 * natom))
			for i := 0; i < natom; i++ {
				xyz[3*i+k] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))) / 10
			}
		}
		frames = append(frames, xyz)
	}
	if r.Len() != 0 {
		t.Fatalf("%d bytes after the last frame", r.Len())
	}
	return head, frames, boxes
}

// Frames written in each format read back as written, to the format's
// precision: PDB to 5e-5 nm (3 decimals in Å), XYZ to 5e-8 nm, DCD to
// float32 (relative 2^-24); DCD's header counts the frames, its first step
// and the step between frames, and carries the unit cell only with a box.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "atoms")
		nf := rapid.IntRange(0, 5).Draw(t, "frames")
		top := &Topology{}
		for i := 0; i < n; i++ {
			top.Atoms = append(top.Atoms, Atom{Name: "C" + strconv.Itoa(i), Element: "C"})
		}
		var box []float64
		if rapid.Bool().Draw(t, "box") {
			box = []float64{rapid.Float64Range(1, 50).Draw(t, "a"), 2, 3}
		}
		frames := make([][]float64, nf)
		stride := uint64(rapid.IntRange(1, 1000).Draw(t, "stride"))
		var bufs [3]bytes.Buffer
		pdb, _ := NewPDB(&bufs[0], top, "t")
		xyz, _ := NewXYZ(&bufs[1], top)
		f, err := os.Create(filepath.Join(dir, "t.dcd"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		dcd, err := NewDCD(f, n, DCDOptions{Box: box != nil, Timestep: 0.002})
		if err != nil {
			t.Fatal(err)
		}
		for k := range frames {
			for i := 0; i < 3*n; i++ {
				frames[k] = append(frames[k], rapid.Float64Range(-99, 999).Draw(t, "x"))
			}
			fr := &Frame{Positions: frames[k], Box: box, Step: 7 + uint64(k)*stride}
			for _, w := range []Writer{pdb, xyz, dcd} {
				if err := w.WriteFrame(fr); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, w := range []Writer{pdb, xyz, dcd} {
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
		data, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		gotPDB, pbox := readPDB(t, bufs[0].Bytes())
		gotXYZ := readXYZ(t, bufs[1].Bytes(), n)
		head, gotDCD, dboxes := readDCD(t, data)
		if int(head[0]) != nf || len(gotPDB) != nf || len(gotXYZ) != nf {
			t.Fatalf("frames: dcd %d, pdb %d, xyz %d, want %d", head[0], len(gotPDB), len(gotXYZ), nf)
		}
		if nf > 0 && (head[1] != 7 || nf > 1 && head[2] != int32(stride)) {
			t.Fatalf("dcd ISTART %d NSAVC %d, want 7 %d", head[1], head[2], stride)
		}
		if head[19] != 24 || (head[10] == 1) != (box != nil) {
			t.Fatalf("dcd header %v", head)
		}
		for k := range frames {
			for i, x := range frames[k] {
				if d := math.Abs(gotPDB[k][i] - x); d > 5.0001e-5 {
					t.Fatalf("pdb frame %d coordinate %d: %v, want %v", k, i, gotPDB[k][i], x)
				}
				if d := math.Abs(gotXYZ[k][i] - x); d > 5.0001e-8 {
					t.Fatalf("xyz frame %d coordinate %d: %v, want %v", k, i, gotXYZ[k][i], x)
				}
				if d := math.Abs(gotDCD[k][i] - x); d > math.Abs(x)*0x1p-23+1e-45 { // float32 in Å; subnormals keep 1.4e-45 Å
					t.Fatalf("dcd frame %d coordinate %d: %v, want %v", k, i, gotDCD[k][i], x)
				}
			}
			if box != nil {
				if b := dboxes[k]; b[0] != 10*box[0] || b[2] != 20 || b[5] != 30 || b[1] != 0 || b[3] != 0 || b[4] != 0 {
					t.Fatalf("dcd unit cell %v", b)
				}
			}
		}
		if box != nil && nf > 0 && math.Abs(pbox[0]-box[0]) > 5.0001e-5 {
			t.Fatalf("pdb box %v, want %v", pbox, box)
		}
	})
}

func TestSeries(t *testing.T) {
	names := []string{"r", "x,y"}
	frames := []Frame{
		{Cycle: 0, Slot: 3, Step: 0, Time: 0, Weight: 0.25, Obs: []float64{0.376, math.NaN()}},
		{Cycle: 1, Slot: 5, Step: 1000, Time: 2, Weight: 0.125, Obs: []float64{1.0000000000000002, -3}},
	}
	var cb, jb bytes.Buffer
	c, _ := NewCSV(&cb, names)
	j, _ := NewJSONL(&jb, names)
	for i := range frames {
		for _, w := range []Writer{c, j} {
			if err := w.WriteFrame(&frames[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.Close()
	j.Close()
	rows, err := csv.NewReader(&cb).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"frame", "cycle", "slot", "step", "time_ps", "weight", "r", "x,y"},
		{"0", "0", "3", "0", "0", "0.25", "0.376", ""},
		{"1", "1", "5", "1000", "2", "0.125", "1.0000000000000002", "-3"},
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("csv row %d: %q, want %q", i, rows[i], want[i])
		}
	}
	lines := strings.Split(strings.TrimSpace(jb.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines", len(lines))
	}
	var got jsonFrame
	if err := json.Unmarshal([]byte(lines[1]), &got); err != nil {
		t.Fatal(err)
	}
	if got.Frame != 1 || got.Slot != 5 || got.Obs["r"] != 1.0000000000000002 || got.Obs["x,y"] != -3 || got.Time != 2 {
		t.Errorf("json line %s", lines[1])
	}
	if !strings.Contains(lines[0], `"obs":{"r":0.376}`) {
		t.Errorf("missing value not left out: %s", lines[0])
	}
	if err := c.WriteFrame(&Frame{}); err == nil {
		t.Error("frame without the observables accepted")
	}
}

// MDTraj reads the PDB (names, elements, bonds, unit cell), the XYZ and the
// DCD (with the PDB as topology) back to the same coordinates, with a box
// and without.
func TestMDTraj(t *testing.T) {
	py := needs.Modules(t, "python3-mdtraj", "mdtraj")
	var checks []string
	for _, withBox := range []bool{false, true} {
		dir := t.TempDir()
		var box []float64
		if withBox {
			box = []float64{3.5, 4, 5.25}
		}
		frames := [][]float64{}
		for k := 0; k < 4; k++ {
			var f []float64
			for i := 0; i < 15; i++ {
				f = append(f, float64(k)*0.37+float64(i)*0.0113-0.05)
			}
			frames = append(frames, f)
		}
		files := map[string]func(*os.File) (Writer, error){
			"t.pdb": func(f *os.File) (Writer, error) { return NewPDB(f, water, "mdtraj test") },
			"t.xyz": func(f *os.File) (Writer, error) { return NewXYZ(f, water) },
			"t.dcd": func(f *os.File) (Writer, error) { return NewDCD(f, 5, DCDOptions{Box: withBox, Timestep: 0.002}) },
		}
		for name, mk := range files {
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			w, err := mk(f)
			if err != nil {
				t.Fatal(err)
			}
			for k, pos := range frames {
				if err := w.WriteFrame(&Frame{Positions: pos, Box: box, Step: uint64(k) * 10}); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
		var nested [][][3]float64
		for _, f := range frames {
			var fr [][3]float64
			for i := 0; i < 5; i++ {
				fr = append(fr, [3]float64{f[3*i], f[3*i+1], f[3*i+2]})
			}
			nested = append(nested, fr)
		}
		var names, elements []string
		for _, a := range water.Atoms {
			names, elements = append(names, a.Name), append(elements, a.Element)
		}
		exp := map[string]any{
			"top": filepath.Join(dir, "t.pdb"), "positions": nested, "box": box, "names": names, "elements": elements,
			"bonds": water.Bonds, "tol": 1e-3,
			"files": []string{filepath.Join(dir, "t.pdb"), filepath.Join(dir, "t.xyz"), filepath.Join(dir, "t.dcd")},
		}
		b, _ := json.Marshal(exp)
		ej := filepath.Join(dir, "expected.json")
		os.WriteFile(ej, b, 0o644)
		checks = append(checks, ej)
	}
	out, err := exec.Command(py, append([]string{filepath.Join("testdata", "mdtraj_check.py")}, checks...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("without a box, then with one:\n%s", out)
}
