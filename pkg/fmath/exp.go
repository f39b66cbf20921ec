package fmath

import "math"

// Exp returns eˣ using only IEEE basic arithmetic and exact scaling, so that
// it gives the same bits on every machine. math.Exp does not: it runs
// different assembly on amd64 and arm64 and pure Go elsewhere, and their
// results may differ in the last place, which would change trajectories
// and so the hashes of stored states (ARCHITECTURE.md §4).
//
// Method: x = k·ln2 + r with |r| ≤ ln2/2 (Cody–Waite reduction with ln2 split
// into a high part exact in k·ln2hi and a low part, the constants of
// fdlibm's e_exp.c), eʳ by its Taylor series to degree 14 in Horner form
// (truncation error < 1e-17), and eˣ = 2ᵏ·eʳ by math.Ldexp. The result is
// within a few ulp of the true value (TestExp measures ≤ 2 ulp against
// math.Exp); every product is rounded explicitly so that no build fuses it.
func Exp(x float64) float64 {
	const (
		ln2hi  = 6.93147180369123816490e-01
		ln2lo  = 1.90821492927058770002e-10
		invln2 = 1.44269504088896338700e+00
		over   = 7.09782712893383973096e+02  // ln(MaxFloat64)
		under  = -7.45133219101941108420e+02 // ln(smallest subnormal / 2)
	)
	switch {
	case x != x:
		return x
	case x > over:
		return math.Inf(1)
	case x < under:
		return 0
	}
	k := math.Round(float64(x * invln2))
	r := float64(x-float64(k*ln2hi)) - float64(k*ln2lo)
	p := 1.0
	for i := len(invFact) - 1; i >= 1; i-- {
		// p ← 1 + (r/i)·p, the Horner form of Σ rⁿ/n!.
		p = 1 + float64(float64(r*p)*invFact[i])
	}
	return math.Ldexp(p, int(k))
}

// invFact[i] = 1/i, rounded.
var invFact = [15]float64{0, 1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7,
	1.0 / 8, 1.0 / 9, 1.0 / 10, 1.0 / 11, 1.0 / 12, 1.0 / 13, 1.0 / 14}
