package fmath

import "math"

// Cbrt returns the cube root of x, the same bits on every machine: the
// bits of math.Cbrt on amd64.
//
// math.Cbrt is pure Go, but the Go compiler may fuse its refinement steps,
// C + r·t and t + t·r, into FMA instructions on arm64 and GOAMD64=v3
// builds, which can change the last place (the algorithm is not correctly
// rounded: one lj-fluid box edge in twelve sits within rounding of the
// midpoint between two floats). Cbrt is the same algorithm with every
// product rounded explicitly, so its results equal those of an unfused
// build — the amd64 default — and systems built before keep their hashes.
//
// The algorithm is fdlibm's s_cbrt.c by way of Go's math/cbrt.go (BSD
// licence): a 5-bit first root from the exponent bits, a rational step to
// 23 bits, a chop to 22 bits rounded up, and one Newton step to 53 bits;
// error below 0.667 ulp.
//
//	Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//	Developed at SunSoft, a Sun Microsystems, Inc. business.
//	Permission to use, copy, modify, and distribute this
//	software is freely granted, provided that this notice
//	is preserved.
//
// Special cases: Cbrt(±0) = ±0, Cbrt(±Inf) = ±Inf, Cbrt(NaN) = NaN.
func Cbrt(x float64) float64 {
	const (
		b1             = 715094163                   // (682-0.03306235651)·2²⁰
		b2             = 696219795                   // (664-0.03306235651)·2²⁰
		c              = 5.42857142857142815906e-01  // 19/35
		d              = -7.05306122448979611050e-01 // -864/1225
		e              = 1.41428571428571436819e+00  // 99/70
		f              = 1.60714285714285720630e+00  // 45/28
		g              = 3.57142857142857150787e-01  // 5/14
		smallestNormal = 2.22507385850720138309e-308 // 2⁻¹⁰²²
	)
	if x == 0 || x != x || math.IsInf(x, 0) {
		return x
	}
	neg := x < 0
	if neg {
		x = -x
	}
	t := math.Float64frombits(math.Float64bits(x)/3 + b1<<32)
	if x < smallestNormal { // subnormal: scale by 2⁵⁴ first
		t = float64(1<<54) * x
		t = math.Float64frombits(math.Float64bits(t)/3 + b2<<32)
	}
	r := float64(t*t) / x
	s := c + float64(r*t)
	t = float64(t * (g + f/(s+e+d/s)))
	t = math.Float64frombits(math.Float64bits(t)&(0xFFFFFFFFC<<28) + 1<<30)
	s = float64(t * t) // exact
	r = x / s
	w := t + t
	r = (r - t) / (w + r)
	t = t + float64(t*r)
	if neg {
		t = -t
	}
	return t
}
