package analysis

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

func TestUniformEdges(t *testing.T) {
	e := UniformEdges(0, 1, 4)
	want := []float64{0, 0.25, 0.5, 0.75, 1}
	for i := range want {
		if e[i] != want[i] {
			t.Fatalf("edges %v, want %v", e, want)
		}
	}
	// 0.1 steps do not add up exactly; the last edge is the upper bound.
	if e := UniformEdges(0.1, 0.7, 6); e[6] != 0.7 || e[0] != 0.1 {
		t.Errorf("edges %v", e)
	}
	if e := UniformEdges(2, 2, 2); e[0] != 1.5 || e[2] != 2.5 {
		t.Errorf("a single value: edges %v, want numpy's [1.5, 2.5]", e)
	}
}

func TestGridIndex(t *testing.T) {
	g, err := NewGrid([]float64{0, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		x    float64
		want int
	}{{0, 0}, {0.5, 0}, {1, 1}, {2.999, 2}, {3, 2}, {-1e-12, -1}, {3.0000001, -1}, {math.NaN(), -1}, {math.Inf(1), -1}} {
		if got := g.Index([]float64{c.x}); got != c.want {
			t.Errorf("x = %v: bin %d, want %d (half-open bins, the last closed)", c.x, got, c.want)
		}
	}
	g2, _ := NewGrid([]float64{0, 1, 2}, []float64{0, 10, 20, 30})
	if g2.Bins() != 6 || g2.Index([]float64{1.5, 25}) != 5 || g2.Index([]float64{0.5, 15}) != 1 {
		t.Errorf("2-D: %d bins, (1.5, 25) in %d, (0.5, 15) in %d; want row-major, the last dimension fastest", g2.Bins(), g2.Index([]float64{1.5, 25}), g2.Index([]float64{0.5, 15}))
	}
	if c := g2.Coords(5); c[0] != 1 || c[1] != 2 {
		t.Errorf("coords of 5: %v", c)
	}
	if v := g2.Volume(4); v != 10 {
		t.Errorf("volume %v", v)
	}
	for _, bad := range [][][]float64{nil, {{1}}, {{0, 0}}, {{1, 0}}, {{0, math.Inf(1)}}, {{0, math.NaN()}}} {
		if _, err := NewGrid(bad...); err == nil {
			t.Errorf("grid %v accepted", bad)
		}
	}
}

func TestProfile(t *testing.T) {
	g, _ := NewGrid([]float64{0, 1, 2, 4})
	// Two cycles, each counting once whatever its weights sum to.
	frames := []Frame{
		{X: [][]float64{{0.5, 1.5, 9}}, W: []float64{0.5, 0.25, 0.25}}, // 9 is outside
		{X: [][]float64{{0.5, 3}}, W: []float64{2, 2}},
	}
	p := NewProfile(frames, g, 2)
	// Per cycle: [0.5, 0.25, 0] and [0.5, 0, 0.5]; their mean
	// [0.5, 0.125, 0.25] normalised over the grid by 0.875.
	want := []float64{0.5 / 0.875, 0.125 / 0.875, 0.25 / 0.875}
	for b := range want {
		if math.Abs(p.P[b]-want[b]) > 1e-15 {
			t.Fatalf("P %v, want %v", p.P, want)
		}
	}
	if p.Outside != 0.125 {
		t.Errorf("outside %v, want 0.125", p.Outside)
	}
	// Density: bin 2 is twice as wide.
	if math.Abs(p.Density[2]-want[2]/2) > 1e-15 {
		t.Errorf("density %v", p.Density)
	}
	// F = −ln density − min: the densest bin is 0; bin 1 is ln 4 above.
	if p.F[0] != 0 || math.Abs(p.F[1]-math.Log(4)) > 1e-12 || math.Abs(p.F[2]-math.Log(4)) > 1e-12 {
		t.Errorf("F %v", p.F)
	}
	// Blocks of one cycle each, each normalised over the grid:
	// [2/3, 1/3, 0] and [1/2, 0, 1/2]; the error is their sample
	// standard deviation over √2.
	b0 := []float64{0.5 / 0.75, 0.25 / 0.75, 0}
	b1 := []float64{0.5, 0, 0.5}
	for b := range b0 {
		if se := StdErr([]float64{b0[b], b1[b]}); math.Abs(p.PErr[b]-se) > 1e-15 {
			t.Errorf("bin %d: error %v, want %v", b, p.PErr[b], se)
		}
		if math.Abs(p.FErr[b]-p.PErr[b]/p.P[b]) > 1e-15 {
			t.Errorf("bin %d: F error %v", b, p.FErr[b])
		}
	}
	// One block: no error bars; an empty bin: infinite F, no error.
	p1 := NewProfile(frames[:1], g, 10)
	if p1.Blocks != 0 || !math.IsNaN(p1.PErr[0]) || !math.IsInf(p1.F[2], 1) || !math.IsNaN(p1.FErr[2]) {
		t.Errorf("one cycle: %+v", p1)
	}
}

// TestProfileProperties: whatever the data, P is a distribution over the
// grid, F's minimum is 0, errors are non-negative.
func TestProfileProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nb := rapid.IntRange(1, 12).Draw(t, "bins")
		g, _ := NewGrid(UniformEdges(-1, 1, nb))
		nc := rapid.IntRange(1, 8).Draw(t, "cycles")
		var frames []Frame
		inside := false
		for range nc {
			nw := rapid.IntRange(1, 6).Draw(t, "walkers")
			f := Frame{X: [][]float64{make([]float64, nw)}, W: make([]float64, nw)}
			for i := range nw {
				f.X[0][i] = rapid.Float64Range(-1.5, 1.5).Draw(t, "x")
				f.W[i] = rapid.Float64Range(1e-9, 1).Draw(t, "w")
				inside = inside || (f.X[0][i] >= -1 && f.X[0][i] <= 1)
			}
			frames = append(frames, f)
		}
		p := NewProfile(frames, g, rapid.IntRange(0, 5).Draw(t, "blocks"))
		var sum float64
		fmin := math.Inf(1)
		for b := range p.P {
			sum += p.P[b]
			fmin = math.Min(fmin, p.F[b])
			if p.PErr[b] < 0 || p.P[b] < 0 {
				t.Fatalf("bin %d: P %v ± %v", b, p.P[b], p.PErr[b])
			}
		}
		if inside && (math.Abs(sum-1) > 1e-12 || fmin != 0) {
			t.Fatalf("Σ P = %v, min F = %v", sum, fmin)
		}
		if p.Outside < 0 || p.Outside > 1+1e-12 {
			t.Fatalf("outside %v", p.Outside)
		}
	})
}
