package analysis

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAutocorrelation(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	// Deviations −1.5, −0.5, 0.5, 1.5; Σd² = 5. Lag 1: (0.75 − 0.25 +
	// 0.75)·4/3 / 5 = 1/3. Lag 2: (−0.75 − 0.75)·4/2 / 5 = −0.6.
	for _, c := range []struct {
		k    int
		want float64
	}{{0, 1}, {1, 1.0 / 3}, {2, -0.6}} {
		if got := Autocorrelation(x, c.k); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("lag %d: %v, want %v", c.k, got, c.want)
		}
	}
	// Deviations ±1, Σd² = 6; lag 1: five products of −1, times 6/5.
	if got := Autocorrelation([]float64{1, -1, 1, -1, 1, -1}, 1); math.Abs(got+1) > 1e-15 {
		t.Errorf("alternating lag 1: %v, want −1", got)
	}
	if !math.IsNaN(Autocorrelation([]float64{2, 2, 2}, 1)) || !math.IsNaN(Autocorrelation(x, 4)) {
		t.Error("constant series or lag past the end: not NaN")
	}
}

func TestBootstrapSets(t *testing.T) {
	for _, c := range []struct {
		alpha float64
		want  int
	}{{0.05, 1000}, {0.1, 100}, {0.01, 1000}, {0.001, 10000}, {0.32, 100}} {
		if got := BootstrapSets(c.alpha); got != c.want {
			t.Errorf("α %v: %d sets, want %d", c.alpha, got, c.want)
		}
	}
	if lo, hi := percentileIndices(1000, 0.05); lo != 25 || hi != 975 {
		t.Errorf("percentile positions %d %d, want 25 975", lo, hi)
	}
	if _, hi := percentileIndices(10, 0.05); hi != 9 {
		t.Errorf("upper position %d past the end", hi)
	}
}

func ar1(n int, phi float64, r *rand.Rand) []float64 {
	x := make([]float64, n)
	for i := 1; i < n; i++ {
		x[i] = phi*x[i-1] + r.NormFloat64()
	}
	return x
}

func TestCorrelationLength(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Independent data: the lag-1 autocorrelation lies inside the
	// bootstrap interval, except in about α of the data sets.
	zero := 0
	for range 40 {
		if CorrelationLength(ar1(300, 0, r), 0.05, 1000, r) == 0 {
			zero++
		}
	}
	if zero < 32 {
		t.Errorf("independent data: correlation length 0 in %d of 40 sets, want about 38", zero)
	}
	// AR(1) with φ = 0.9: ρ_k = 0.9^k stays above the noise (±2/√300 ≈
	// 0.12) until k ≈ 20, but the sample autocorrelation of 300 values
	// wanders far around it.
	for range 5 {
		if l := CorrelationLength(ar1(300, 0.9, r), 0.05, 1000, r); l < 5 || l >= 150 {
			t.Errorf("AR(1) φ = 0.9: correlation length %d, want about 10 to 70", l)
		}
	}
	// A linear trend: its sample autocorrelation falls to zero near N/3.
	trend := make([]float64, 100)
	for i := range trend {
		trend[i] = float64(i)
	}
	if l := CorrelationLength(trend, 0.05, 1000, r); l < 20 || l > 40 {
		t.Errorf("trend: %d, want about 30", l)
	}
	// Fewer than 4 values leave no lag to test (mclib: too correlated).
	if l := CorrelationLength([]float64{1, 5, 2}, 0.05, 1000, r); l != 3 {
		t.Errorf("3 values: %d, want 3", l)
	}
	if l := CorrelationLength([]float64{3, 3, 3, 3, 3, 3}, 0.05, 1000, r); l != 0 {
		t.Errorf("constant: %d", l)
	}
}

func TestMCBS(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	// Correlated data with a known mean 0: AR(1) with φ = 0.5. The 95 %
	// interval must cover it in most sets (the binomial 1 % bound for
	// 95 % coverage of 60 sets is 52; we allow down to 48, for the
	// percentile bootstrap of few blocks covers less than it states).
	cover := 0
	for i := range 60 {
		x := ar1(200, 0.5, r)
		ci := MCBS([][]float64{x}, MeanEstimator, MCBSOptions{Seed: uint64(i)})
		if !(ci.Lo <= ci.Estimate && ci.Estimate <= ci.Hi) && ci.Blocks > 0 {
			t.Errorf("set %d: estimate %v outside its interval [%v, %v]", i, ci.Estimate, ci.Lo, ci.Hi)
		}
		if ci.Estimate != Mean(x) {
			t.Errorf("set %d: estimate %v, mean %v", i, ci.Estimate, Mean(x))
		}
		if ci.Lo <= 0 && 0 <= ci.Hi {
			cover++
		}
	}
	if cover < 48 {
		t.Errorf("95%% intervals covered the mean in %d of 60 sets", cover)
	}
	t.Logf("coverage %d of 60", cover)

	// The same data and seed give the same interval; another seed another.
	x := ar1(300, 0.3, r)
	a := MCBS([][]float64{x}, MeanEstimator, MCBSOptions{Seed: 7})
	b := MCBS([][]float64{x}, MeanEstimator, MCBSOptions{Seed: 7})
	c := MCBS([][]float64{x}, MeanEstimator, MCBSOptions{Seed: 8})
	if a != b {
		t.Errorf("same seed: %+v and %+v", a, b)
	}
	if a.Lo == c.Lo && a.Hi == c.Hi {
		t.Errorf("seeds 7 and 8 give the same interval %+v", a)
	}
	if a.Blocks == 0 || a.Blocks > 300/(a.CorrLen+1) {
		t.Errorf("%d blocks for correlation length %d of 300 cycles", a.Blocks, a.CorrLen)
	}

	// No flux at all: a degenerate interval at 0.
	z := MCBS([][]float64{make([]float64, 50)}, MeanEstimator, MCBSOptions{})
	if z.Estimate != 0 || z.Lo != 0 || z.Hi != 0 {
		t.Errorf("zeros: %+v", z)
	}
	// Three cycles are too few to test correlation: the interval is the
	// range of the leading-window estimates 4, 3, 2.
	tc := MCBS([][]float64{{4, 2, 0}}, MeanEstimator, MCBSOptions{})
	if tc.CorrLen != 3 || tc.Blocks != 0 || tc.Lo != 2 || tc.Hi != 4 || tc.Estimate != 2 {
		t.Errorf("three cycles: %+v", tc)
	}
	// A steady rise (a transient): the running mean drifts for about a
	// third of the cycles, and blocks that long are resampled.
	rise := make([]float64, 60)
	for i := range rise {
		rise[i] = float64(i)
	}
	if tr := MCBS([][]float64{rise}, MeanEstimator, MCBSOptions{}); tr.CorrLen < 10 || tr.Blocks > 6 {
		t.Errorf("rise: %+v, want blocks of more than 10 cycles", tr)
	}
	if e := MCBS([][]float64{nil}, MeanEstimator, MCBSOptions{}); !math.IsNaN(e.Estimate) {
		t.Errorf("no cycles: %+v", e)
	}
}

func TestRatioEstimator(t *testing.T) {
	if got := RatioEstimator([][]float64{{1, 0, 2}, {0.5, 0.5, 0.5}}); got != 2 {
		t.Errorf("ratio %v, want 3/1.5", got)
	}
	if got := RatioEstimator([][]float64{{0, 0}, {1, 1}}); got != 0 {
		t.Errorf("no flux: %v", got)
	}
	if got := RatioEstimator([][]float64{{1}, {0}}); got != 0 {
		t.Errorf("no population: %v", got)
	}
}

func TestRunningMeans(t *testing.T) {
	x := []float64{2, 0, 4, 0, 0, 6}
	cm := CumulativeMean(x)
	want := []float64{2, 1, 2, 1.5, 1.2, 2}
	for i := range want {
		if math.Abs(cm[i]-want[i]) > 1e-15 {
			t.Fatalf("cumulative %v, want %v", cm, want)
		}
	}
	mm := MovingMean(x, 2)
	want = []float64{2, 1, 2, 2, 0, 3}
	for i := range want {
		if mm[i] != want[i] {
			t.Fatalf("moving %v, want %v", mm, want)
		}
	}
}

// TestCorrelationLengthLarge takes the path for data sets too large to
// keep 1000 synthetic copies of (fresh copies for every lag, mclib's
// mcbs_correltime_fullauto): it finds the same kind of length.
func TestCorrelationLengthLarge(t *testing.T) {
	old := synthMemory
	t.Cleanup(func() { synthMemory = old })
	synthMemory = 8 * 1000 * 100 // less than 1000 sets of 300
	r := rand.New(rand.NewPCG(5, 6))
	if l := CorrelationLength(ar1(300, 0.9, r), 0.05, 1000, r); l < 5 || l >= 150 {
		t.Errorf("AR(1) φ = 0.9: correlation length %d", l)
	}
	zero := 0
	for range 10 {
		if CorrelationLength(ar1(300, 0, r), 0.05, 1000, r) == 0 {
			zero++
		}
	}
	if zero < 7 {
		t.Errorf("independent data: length 0 in %d of 10 sets", zero)
	}
}

// TestLagSums: the FFT's lagged products equal the direct sums.
func TestLagSums(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{4, 5, 64, 301} {
		synth := make([]float64, 3*n)
		for i := range synth {
			synth[i] = r.NormFloat64()
		}
		sums := lagSums(synth, 3, n)
		for s := range 3 {
			row := synth[s*n : (s+1)*n]
			for k := 0; k < n/2; k++ {
				var want float64
				for i := 0; i < n-k; i++ {
					want += row[i] * row[i+k]
				}
				if got := sums[s*(n/2)+k]; math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
					t.Fatalf("n %d set %d lag %d: %v, want %v", n, s, k, got, want)
				}
			}
		}
	}
}
