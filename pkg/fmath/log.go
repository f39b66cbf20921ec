package fmath

import "math"

// Log returns the natural logarithm of x with the same bits on every
// machine, within 1 ulp of the exact value.
//
// Method (fdlibm's e_log.c, Sun Microsystems 1993): write x = 2ᵏ·(1+f) with
// √2/2 ≤ 1+f < √2, then with s = f/(2+f),
//
//	log(1+f) = f − s·(f − R),  R = 2s + (2/3)s³ + (2/5)s⁵ + …
//
// where R − 2s is approximated by a degree-14 minimax polynomial in s
// (coefficients Lg1…Lg7, error < 2⁻⁵⁸·⁴⁵), and log x = k·ln2 + log(1+f) with
// ln2 split into a high part (k·ln2hi exact) and a low part.
func Log(x float64) float64 {
	const (
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
		lg1   = 6.666666666666735130e-01
		lg2   = 3.999999999940941908e-01
		lg3   = 2.857142874366239149e-01
		lg4   = 2.222219843214978396e-01
		lg5   = 1.818357216161805012e-01
		lg6   = 1.531383769920937332e-01
		lg7   = 1.479819860511658591e-01
	)
	switch {
	case x != x || math.IsInf(x, 1):
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}
	m, e := math.Frexp(x) // exact: x = m·2ᵉ, 0.5 ≤ m < 1
	if m < math.Sqrt2/2 {
		m *= 2 // exact
		e--
	}
	f := m - 1 // exact (Sterbenz)
	k := float64(e)
	s := f / (2 + f)
	s2 := float64(s * s)
	s4 := float64(s2 * s2)
	t1 := float64(s2 * (lg1 + float64(s4*(lg3+float64(s4*(lg5+float64(s4*lg7)))))))
	t2 := float64(s4 * (lg2 + float64(s4*(lg4+float64(s4*lg6)))))
	r := t1 + t2
	hfsq := float64(0.5 * float64(f*f))
	return float64(k*ln2hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*ln2lo))) - f)
}
