package fmath

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func ulps(got, want float64) float64 {
	if got == want {
		return 0
	}
	return math.Abs(got-want) / (math.Nextafter(math.Abs(want), math.Inf(1)) - math.Abs(want))
}

// Exp against math.Exp (itself within 1 ulp): the Taylor evaluation adds
// at most a couple of roundings, so ≤ 3 ulp.
func TestExp(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		var x float64
		switch i % 3 {
		case 0:
			x = 1400*r.Float64() - 700
		case 1:
			x = 2*r.Float64() - 1
		default:
			x = 1e-3 * (2*r.Float64() - 1)
		}
		worst = math.Max(worst, ulps(Exp(x), math.Exp(x)))
	}
	t.Logf("worst error %.2f ulp", worst)
	if worst > 3 {
		t.Errorf("Exp off by %.2f ulp", worst)
	}
	for _, c := range []struct{ x, want float64 }{
		{0, 1}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), 0}, {710, math.Inf(1)}, {-800, 0},
	} {
		if got := Exp(c.x); got != c.want {
			t.Errorf("Exp(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if !math.IsNaN(Exp(math.NaN())) {
		t.Error("Exp(NaN) is not NaN")
	}
}

// Log against math.Log: fdlibm's algorithm is within 1 ulp; the two
// implementations may round differently, so ≤ 2 ulp apart.
func TestLog(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	worst := 0.0
	for i := 0; i < 200000; i++ {
		var x float64
		switch i % 4 {
		case 0:
			x = r.Float64()
		case 1:
			x = math.Exp(1400*r.Float64() - 700)
		case 2:
			x = 1 + 1e-6*(2*r.Float64()-1)
		default:
			x = math.Float64frombits(r.Uint64() >> 2) // any positive finite
		}
		if x < 0x1p-1022 {
			continue // subnormals: below (amd64's math.Log is wrong there)
		}
		worst = math.Max(worst, ulps(Log(x), math.Log(x)))
	}
	t.Logf("worst error %.2f ulp", worst)
	if worst > 2 {
		t.Errorf("Log off by %.2f ulp", worst)
	}
	for _, c := range []struct{ x, want float64 }{
		{1, 0}, {math.E, 1}, {math.Inf(1), math.Inf(1)}, {0, math.Inf(-1)}, {2, math.Ln2},
	} {
		if got := Log(c.x); got != c.want {
			t.Errorf("Log(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if !math.IsNaN(Log(-1)) || !math.IsNaN(Log(math.NaN())) {
		t.Error("Log of a negative number or NaN is not NaN")
	}
	// Subnormals, against log(x·2¹⁰⁰) − 100·ln2 computed on normal numbers.
	// (Go's amd64 assembly math.Log returns about −709.07 for 4e-310,
	// whose logarithm is −712.41.)
	for _, x := range []float64{5e-324, 4.0084966849331e-310, 1e-310, 2e-308} {
		want := Log(x*0x1p100) - 100*math.Ln2
		if got := Log(x); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("Log(%v) = %v, want %v", x, got, want)
		}
	}
}

// TestSum checks the CPython ≥ 3.12 float sum: compensated, unlike
// left-to-right addition.
func TestSum(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{0.1}, 0.1},
		{[]float64{0.2, 0.1}, 0.30000000000000004},
		// Python 3.12: sum([1e16, 1.0, 1.0]) == 1.0000000000000002e16,
		// where (1e16 + 1) + 1 == 1e16.
		{[]float64{1e16, 1, 1}, 1.0000000000000002e16},
		{[]float64{0.1, 0.2, 0.3}, 0.6},
	} {
		if got := Sum(tc.xs); got != tc.want {
			t.Errorf("sum(%v) = %v, want %v", tc.xs, got, tc.want)
		}
	}
}

// TestCbrt: exact cubes give exact roots, special cases hold, and every
// result is within 0.667 ulp of the true root (fdlibm's bound), measured
// against ∛x to 200 bits in math/big.
// TestPairwiseSum pins numpy 1.24's np.sum of float64 arrays whose sum
// depends on the order of the additions (the plain left-to-right sums
// differ from these in the last bits from n = 100 on), across the
// three regimes: n < 8, n ≤ 128, and the recursive split.
func TestPairwiseSum(t *testing.T) {
	const g = 0.6180339887498949
	for _, c := range []struct {
		n    int
		want float64
	}{
		{0, 0}, {5, 0x1.c72e1eefef2d3p+8}, {8, 0x1.2346fafd7a3a7p+9}, {9, 0x1.42dcd2d26d8abp+10},
		{100, 0x1.af8cfea6adb82p+13}, {128, 0x1.14b06a4ceef3bp+14}, {129, 0x1.14b06bf51fcb8p+14},
		{300, 0x1.4df0b2005e2a2p+15}, {1000, 0x1.1704a7d2445bap+17},
	} {
		x := make([]float64, c.n)
		for i := range x {
			// numpy: ((i*g)%1)**6 * 1e3 + 1e-9*i, products rounded one by one.
			y := math.Mod(float64(i)*g, 1)
			x[i] = float64(y*y*y*y*y*y*1e3) + float64(1e-9*float64(i))
		}
		if got := PairwiseSum(x); got != c.want {
			t.Errorf("n=%d: PairwiseSum = %x, numpy gives %x", c.n, got, c.want)
		}
	}
}

func TestCbrt(t *testing.T) {
	for _, c := range []struct{ x, want float64 }{
		{0, 0}, {27, 3}, {-8, -2}, {0.125, 0.5}, {1, 1}, {64, 4}, {1e-312, 0}, {math.Inf(1), math.Inf(1)}, {math.Inf(-1), math.Inf(-1)},
	} {
		got := Cbrt(c.x)
		if c.x == 1e-312 { // subnormal input: compare with the big root
			if u := ulpsBig(got, bigCbrt(c.x)); u > 0.667 {
				t.Errorf("Cbrt(%v) = %v, %.3f ulp off", c.x, got, u)
			}
			continue
		}
		if got != c.want {
			t.Errorf("Cbrt(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if !math.IsNaN(Cbrt(math.NaN())) || math.Signbit(Cbrt(0)) || !math.Signbit(Cbrt(math.Copysign(0, -1))) {
		t.Error("special cases")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		x := math.Ldexp(r.Float64()+0.5, r.IntN(2000)-1000)
		if u := ulpsBig(Cbrt(x), bigCbrt(x)); u > 0.667 {
			t.Fatalf("Cbrt(%v) = %v, %.3f ulp from the root", x, Cbrt(x), u)
		}
	}
}

// bigCbrt is ∛x to 200 bits, by Newton's method in math/big.
func bigCbrt(x float64) *big.Float {
	const prec = 200
	bx := new(big.Float).SetPrec(prec).SetFloat64(x)
	r := new(big.Float).SetPrec(prec).SetFloat64(math.Cbrt(x))
	three := new(big.Float).SetPrec(prec).SetInt64(3)
	for range 8 {
		r2 := new(big.Float).SetPrec(prec).Mul(r, r)
		num := new(big.Float).SetPrec(prec).Mul(r2, r)
		num.Sub(num, bx)
		den := new(big.Float).SetPrec(prec).Mul(three, r2)
		r.Sub(r, num.Quo(num, den))
	}
	return r
}

// ulpsBig is |y − r| in units of the last place of y.
func ulpsBig(y float64, r *big.Float) float64 {
	d := new(big.Float).SetPrec(200).SetFloat64(y)
	d.Sub(d, r)
	q, _ := d.Abs(d).Float64()
	return q / (math.Nextafter(math.Abs(y), math.Inf(1)) - math.Abs(y))
}

// Atan2 against math.Atan2 on every architecture: both follow Cephes,
// accurate to about 1 ulp; where math.Atan2 is fused into FMAs (arm64)
// the two may round apart, so ≤ 2 ulp. On amd64 they are bit-identical
// (TestAtan2MatchesMath). Then the special cases of C99 Annex F.
func TestAtan2(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	worst := 0.0
	for i := 0; i < 20000; i++ {
		y, x := 4*r.Float64()-2, 4*r.Float64()-2
		worst = math.Max(worst, ulps(Atan2(y, x), math.Atan2(y, x)))
	}
	t.Logf("worst error %.2f ulp", worst)
	if worst > 2 {
		t.Errorf("Atan2 off math.Atan2 by %.2f ulp", worst)
	}
	inf, nan := math.Inf(1), math.NaN()
	for _, c := range []struct{ y, x, want float64 }{
		{0, 1, 0}, {math.Copysign(0, -1), 1, math.Copysign(0, -1)},
		{0, -1, math.Pi}, {math.Copysign(0, -1), -1, -math.Pi},
		{0, math.Copysign(0, -1), math.Pi}, {1, 0, math.Pi / 2}, {-1, 0, -math.Pi / 2},
		{1, 1, math.Pi / 4}, {-1, -1, -3 * math.Pi / 4}, {1, -1, 3 * math.Pi / 4},
		{inf, inf, math.Pi / 4}, {-inf, -inf, -3 * math.Pi / 4}, {1, inf, 0}, {1, -inf, math.Pi},
		{-1, -inf, -math.Pi}, {inf, 1, math.Pi / 2}, {-inf, -1, -math.Pi / 2},
	} {
		if got := Atan2(c.y, c.x); math.Float64bits(got) != math.Float64bits(c.want) {
			t.Errorf("Atan2(%v, %v) = %v, want %v", c.y, c.x, got, c.want)
		}
	}
	if !math.IsNaN(Atan2(nan, 1)) || !math.IsNaN(Atan2(1, nan)) {
		t.Error("Atan2 with a NaN argument is not NaN")
	}
	if got := Atan(math.Copysign(0, -1)); !math.Signbit(got) || got != 0 {
		t.Errorf("Atan(−0) = %v, want −0", got)
	}
}
