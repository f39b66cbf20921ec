package analysis

import (
	"math"
	"sort"
	"testing"

	"gonum.org/v1/gonum/stat"
	"pgregory.net/rapid"
)

func TestWeightedMeanStdDev(t *testing.T) {
	for _, c := range []struct {
		x, w      []float64
		mean, std float64
	}{
		{[]float64{1, 2, 3}, []float64{1, 1, 1}, 2, math.Sqrt(2.0 / 3)},
		// Weights need not sum to 1; a weight of 3 counts as three walkers.
		{[]float64{0, 1}, []float64{3, 1}, 0.25, math.Sqrt(0.1875)},
		{[]float64{5}, []float64{0.2}, 5, 0},
	} {
		m := WeightedMean(c.x, c.w)
		s := WeightedPopStdDev(c.x, c.w, m)
		if math.Abs(m-c.mean) > 1e-15 || math.Abs(s-c.std) > 1e-15 {
			t.Errorf("%v %v: mean %v std %v, want %v %v", c.x, c.w, m, s, c.mean, c.std)
		}
	}
	if !math.IsNaN(WeightedMean(nil, nil)) {
		t.Error("mean of nothing is not NaN")
	}
}

// TestWeightedStatsGonum checks the definitions against gonum's stat
// (population standard deviation, empirical quantile) on random data.
func TestWeightedStatsGonum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "n")
		x := make([]float64, n)
		w := make([]float64, n)
		for i := range x {
			x[i] = rapid.Float64Range(-10, 10).Draw(t, "x")
			w[i] = rapid.Float64Range(1e-6, 1).Draw(t, "w")
		}
		m, s := stat.PopMeanStdDev(x, w)
		gm := WeightedMean(x, w)
		if math.Abs(gm-m) > 1e-12*(1+math.Abs(m)) {
			t.Fatalf("mean %v, gonum %v", gm, m)
		}
		if gs := WeightedPopStdDev(x, w, gm); math.Abs(gs-s) > 1e-9*(1+s) {
			t.Fatalf("std %v, gonum %v", gs, s)
		}
		// Below 1: gonum's empirical quantile panics when rounding keeps its
		// cumulative sum below q·Σw at q = 1.
		q := rapid.Float64Range(0, 0.999).Draw(t, "q")
		got := WeightedQuantiles(x, w, q)[0]
		// The defining property, with room for the rounding of the two
		// ways of summing: the weight at or below the quantile reaches q,
		// the weight strictly below it does not.
		var tot, le, lt float64
		for i := range x {
			tot += w[i]
			if x[i] <= got {
				le += w[i]
			}
			if x[i] < got {
				lt += w[i]
			}
		}
		if le/tot < q-1e-12 || lt/tot >= q+1e-12 {
			t.Fatalf("quantile %v of q=%v: weight ≤ it %v, < it %v", got, q, le/tot, lt/tot)
		}
		// gonum on the same data sorted agrees away from ties of the
		// cumulative weight with q.
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
		xs, ws := make([]float64, n), make([]float64, n)
		var cum float64
		near := false
		for k, i := range idx {
			xs[k], ws[k] = x[i], w[i]
			cum += w[i]
			near = near || math.Abs(cum/tot-q) < 1e-9
		}
		if g := stat.Quantile(q, stat.Empirical, xs, ws); !near && g != got {
			t.Fatalf("quantile %v of q=%v, gonum %v", got, q, g)
		}
	})
}

func TestWeightedQuantiles(t *testing.T) {
	x := []float64{3, 1, 2, 4}
	w := []float64{0.25, 0.25, 0.25, 0.25}
	// Cumulative weights 0.25, 0.5, 0.75, 1 at 1, 2, 3, 4: the first value
	// whose cumulative weight reaches q.
	got := WeightedQuantiles(x, w, 0, 0.1, 0.25, 0.26, 0.5, 0.75, 0.9, 1, 2)
	want := []float64{1, 1, 1, 2, 2, 3, 4, 4, 4}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("quantiles %v, want %v", got, want)
			break
		}
	}
	// A heavy walker takes the median.
	if q := WeightedQuantiles([]float64{1, 2, 3}, []float64{0.1, 0.8, 0.1}, 0.05, 0.5, 0.95); q[0] != 1 || q[1] != 2 || q[2] != 3 {
		t.Errorf("heavy middle walker: %v", q)
	}
	if q := WeightedQuantiles(nil, nil, 0.5); !math.IsNaN(q[0]) {
		t.Errorf("quantile of nothing: %v", q)
	}
}

func TestMeanStdErr(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	if Mean(x) != 3 {
		t.Errorf("mean %v", Mean(x))
	}
	// Sample standard deviation √2.5, over √5.
	if se, want := StdErr(x), math.Sqrt(2.5)/math.Sqrt(5); math.Abs(se-want) > 1e-15 {
		t.Errorf("stderr %v, want %v", se, want)
	}
	if se := StdErr(x); math.Abs(se-stat.StdDev(x, nil)/math.Sqrt(5)) > 1e-15 {
		t.Errorf("stderr %v, gonum's StdDev/√n %v", se, stat.StdDev(x, nil)/math.Sqrt(5))
	}
	if StdErr([]float64{7}) != 0 || StdErr(nil) != 0 {
		t.Error("stderr of fewer than two values is not 0")
	}
}

func TestFluxFrom(t *testing.T) {
	f := FluxFrom([]float64{0, 0.5, 0, 0.3}, 2)
	if f.Cycles != 4 || f.Weight != 0.8 || f.PerCycle != 0.2 || f.Rate != 0.1 || math.Abs(f.MFPT-10) > 1e-12 {
		t.Errorf("%+v", f)
	}
	if se := StdErr([]float64{0, 0.5, 0, 0.3}); f.StdErr != se {
		t.Errorf("stderr %v, want %v", f.StdErr, se)
	}
	if f := FluxFrom([]float64{0, 0}, 2); !math.IsInf(f.MFPT, 1) || f.Rate != 0 {
		t.Errorf("no flux: %+v", f)
	}
	if f := FluxFrom(nil, 2); f.Cycles != 0 || !math.IsInf(f.MFPT, 1) {
		t.Errorf("no cycles: %+v", f)
	}
	if f := FluxFrom([]float64{1}, 0); f.Rate != 0 || !math.IsInf(f.MFPT, 1) {
		t.Errorf("τ = 0: %+v", f)
	}
}
