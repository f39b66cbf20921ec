package fmath

import "math"

// Sum returns Σx as CPython's sum() over floats does since 3.12
// (builtin_sum_impl in Python/bltinmodule.c): left to right with
// Neumaier's compensation (Z. angew. Math. Mech. 54, 39–51, 1974), the
// compensation added at the end when it is non-zero and finite. Its error
// is bounded by 2ε|Σx| independently of the number of terms, for terms of
// one sign, so it also serves to check weight conservation over 10⁴
// walkers; and it reproduces the weights wepy's merges compute.
func Sum(xs []float64) float64 {
	var f, comp float64
	for _, x := range xs {
		t := f + x
		if math.Abs(f) >= math.Abs(x) {
			comp += (f - t) + x
		} else {
			comp += (x - t) + f
		}
		f = t
	}
	if comp != 0 && !math.IsInf(comp, 0) && !math.IsNaN(comp) {
		f += comp
	}
	return f
}
