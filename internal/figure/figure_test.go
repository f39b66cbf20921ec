package figure

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/analysis"
	"gonum.org/v1/plot/vg"
)

// check opens a figure as a person's viewer would and requires a real
// picture: it decodes (PNG) or parses (SVG), has the size asked for, and
// shows something, in more than two colours for a PNG.
func check(t *testing.T, path string, panels int) Info {
	t.Helper()
	info, err := Inspect(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	wantW := Width.Dots(DPI)
	wantH := (PanelHeight * vg.Length(panels)).Dots(DPI)
	switch info.Format {
	case "png":
		if math.Abs(float64(info.Width)-wantW) > 1 || math.Abs(float64(info.Height)-wantH) > 1 {
			t.Errorf("%s: %d×%d pixels, want %.0f×%.0f", path, info.Width, info.Height, wantW, wantH)
		}
		if info.Inked < 0.02 || info.Inked > 0.9 || info.Colors < 3 {
			t.Errorf("%s: %.1f %% inked in %d colours: blank or a flood", path, 100*info.Inked, info.Colors)
		}
	case "svg":
		if info.Width != int(math.Round(Width.Points())) || info.Elements < 10 {
			t.Errorf("%s: %d pt wide with %d elements", path, info.Width, info.Elements)
		}
	}
	return info
}

func TestFigures(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("FIGURE_DIR"); d != "" {
		dir = d // to look at them
	}
	n := 200
	cycles := make([]float64, n)
	flux, mov, cum := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range cycles {
		cycles[i] = float64(i)
		flux[i] = 0.001 * (1 + math.Sin(float64(i)))
		mov[i], cum[i] = 0.001, 0.001*(1-math.Exp(-float64(i)/30))
	}
	evo := []float64{49, 99, 149, 199}
	rate := []float64{4e-4, 4.5e-4, 5e-4, 5e-4}
	lo := []float64{3e-4, 3.8e-4, 4.4e-4, 4.5e-4}
	hi := []float64{6e-4, 5.5e-4, 5.6e-4, 5.5e-4}
	rs := Rates("test", 0.05, 20, []RateSeries{{Label: "x>=0.3", Cycles: cycles, Flux: flux, Moving: mov, Cumulative: cum, EvoCycles: evo, Rate: rate, Lo: lo, Hi: hi}})
	x := make([]float64, 50)
	f, e := make([]float64, 50), make([]float64, 50)
	for i := range x {
		x[i] = -1 + 2*float64(i)/49
		q := x[i]*x[i]/0.25 - 1
		f[i], e[i] = 4*q*q, 0.1+0.05*f[i]
	}
	f[10] = math.Inf(1) // an empty bin breaks the line
	e[10] = math.NaN()
	xe := analysis.UniformEdges(-1, 1, 30)
	ye := analysis.UniformEdges(-2, 2, 40)
	f2 := make([][]float64, 30)
	for i := range f2 {
		f2[i] = make([]float64, 40)
		for j := range f2[i] {
			f2[i][j] = xe[i]*xe[i] + ye[j]*ye[j]
		}
	}
	f2[3][4] = math.Inf(1)
	ws := WeightStats{Cycles: cycles, Min: make([]float64, n), Q05: make([]float64, n), Median: make([]float64, n), Q95: make([]float64, n), Max: make([]float64, n), Walkers: make([]float64, n), States: make([]float64, n), Regions: make([]float64, n)}
	for i := range cycles {
		ws.Min[i], ws.Q05[i], ws.Median[i], ws.Q95[i], ws.Max[i] = 1e-6, 1e-4, 1e-2, 0.05, 0.2
		ws.Walkers[i], ws.States[i], ws.Regions[i] = 48, 30, 12
	}
	count := [][]float64{make([]float64, n), make([]float64, n)}
	for i := range cycles {
		count[0][i], count[1][i] = float64(40-i%5), float64(8+i%5)
	}
	td := TreeData{}
	for g := range 100 {
		td.Cycles = append(td.Cycles, float64(g))
		w := make([]float64, 8)
		par := make([]int, 8)
		warped := make([]bool, 8)
		for j := range w {
			w[j] = math.Pow(10, -float64((j+g)%5))
			par[j] = (j + g) % 8
			warped[j] = (j*7+g)%23 == 0
		}
		if g == 0 {
			par = nil
		}
		td.Weights, td.Parents, td.Warped = append(td.Weights, w), append(td.Parents, par), append(td.Warped, warped)
	}
	for _, c := range []struct {
		name   string
		panels []Drawer
	}{
		{"rates", rs},
		{"profile1d", []Drawer{Profile1D("profile", "x (nm)", x, f, e, 2.494)}},
		{"profile2d", []Drawer{Profile2D("profile", "x (nm)", "y (nm)", xe, ye, f2)}},
		{"weights", Weights("run", ws)},
		{"occupancy", Occupancy("run", "state", cycles, []string{"A", "B"}, count, count)},
		{"regions", []Drawer{Regions("run", cycles, count)}},
		{"tree", []Drawer{Tree("family tree", td)}},
	} {
		for _, ext := range []string{".png", ".svg"} {
			path := filepath.Join(dir, c.name+ext)
			if err := Save(path, c.panels...); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			check(t, path, len(c.panels))
		}
	}
	// No temporary file is left behind.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestSaveErrors(t *testing.T) {
	dir := t.TempDir()
	p := NewPlot("t", "x", "y")
	if err := Save(filepath.Join(dir, "a.pdf"), p); err == nil || !strings.Contains(err.Error(), ".png or .svg") {
		t.Errorf("pdf: %v", err)
	}
	if err := Save(filepath.Join(dir, "missing", "a.png"), p); err == nil {
		t.Error("a directory that does not exist: no error")
	}
	if err := Save(filepath.Join(dir, "a.png")); err == nil {
		t.Error("no panels: no error")
	}
	if _, err := Inspect(filepath.Join(dir, "none.png")); err == nil {
		t.Error("inspect a missing file: no error")
	}
	os.WriteFile(filepath.Join(dir, "bad.png"), []byte("not a png"), 0o644)
	if _, err := Inspect(filepath.Join(dir, "bad.png")); err == nil {
		t.Error("inspect a broken png: no error")
	}
}

func TestTreeLayout(t *testing.T) {
	// Generation 1: walkers 0, 1 are children of 2; walker 2 of 0.
	td := TreeData{Weights: [][]float64{{1, 1, 1}, {1, 1, 1}}, Parents: [][]int{nil, {2, 2, 0}}, Warped: [][]bool{{false, false, false}, {false, false, false}}}
	rows := td.Layout()
	if rows[1][2] != 0 || rows[1][0] != 1 || rows[1][1] != 2 {
		t.Errorf("rows %v: want the child of row 0 first, then the two of row 2 in slot order", rows)
	}
}
