package fmath

import "math"

// Atan2 returns the angle of the point (x, y) from the positive x axis,
// in radians in [−π, π], with the special cases of C99 Annex F and Go's
// math.Atan2 (signed zeros and infinities). It exists because math.Atan2
// is pure Go whose polynomial the compiler may fuse into FMA instructions
// on arm64 and GOAMD64=v3 builds, so its last bit could depend on the
// machine; dihedral observables enter hashed state records through it
// (ARCHITECTURE.md §4).
//
// Method: the Cephes library's atan (S. L. Moshier, Methods and Programs
// for Mathematical Functions, 1989): the argument is reduced to
// [0, 0.66] by atan x = π/2 − atan(1/x) above tan(3π/8) and
// atan x = π/4 + atan((x−1)/(x+1)) above 0.66, and atan is a rational
// function of degree 4/5 in x² there, with π/2 and π/4 carried to double
// the precision. With every product rounded on its own it gives, on amd64
// without FMA, the very bits of math.Atan2 (TestAtan2MatchesMath), which
// follows the same method.
func Atan2(y, x float64) float64 {
	switch {
	case y != y || x != x:
		return math.NaN()
	case y == 0:
		if x >= 0 && !math.Signbit(x) {
			return math.Copysign(0, y)
		}
		return math.Copysign(math.Pi, y)
	case x == 0:
		return math.Copysign(math.Pi/2, y)
	case math.IsInf(x, 0):
		if math.IsInf(x, 1) {
			if math.IsInf(y, 0) {
				return math.Copysign(math.Pi/4, y)
			}
			return math.Copysign(0, y)
		}
		if math.IsInf(y, 0) {
			return math.Copysign(3*math.Pi/4, y)
		}
		return math.Copysign(math.Pi, y)
	case math.IsInf(y, 0):
		return math.Copysign(math.Pi/2, y)
	}
	q := Atan(y / x)
	if x < 0 {
		if q <= 0 {
			return q + math.Pi
		}
		return q - math.Pi
	}
	return q
}

// Atan returns the arctangent of x in radians, by the method of Atan2.
func Atan(x float64) float64 {
	if x == 0 {
		return x // keeps the sign of zero
	}
	if x > 0 {
		return satan(x)
	}
	return -satan(-x)
}

// satan reduces x ≥ 0 to [0, 0.66] and calls xatan.
func satan(x float64) float64 {
	const (
		morebits = 6.123233995736765886130e-17 // π/2 = math.Pi/2 + morebits
		tan3pio8 = 2.41421356237309504880      // tan(3π/8)
	)
	if x <= 0.66 {
		return xatan(x)
	}
	if x > tan3pio8 {
		return math.Pi/2 - xatan(1/x) + morebits
	}
	return math.Pi/4 + xatan((x-1)/(x+1)) + 0.5*morebits
}

// xatan is Cephes's rational approximation of atan on [0, 0.66]:
// atan x ≈ x + x·z·P(z)/Q(z), z = x².
func xatan(x float64) float64 {
	const (
		p0 = -8.750608600031904122785e-01
		p1 = -1.615753718733365076637e+01
		p2 = -7.500855792314704667340e+01
		p3 = -1.228866684490136173410e+02
		p4 = -6.485021904942025371773e+01
		q0 = +2.485846490142306297962e+01
		q1 = +1.650270098316988542046e+02
		q2 = +4.328810604912902668951e+02
		q3 = +4.853903996359136964868e+02
		q4 = +1.945506571482613964425e+02
	)
	z := float64(x * x)
	p := float64(float64(float64(float64(float64(float64(float64(p0*z)+p1)*z)+p2)*z)+p3)*z) + p4
	q := float64(float64(float64(float64(float64(float64(float64(float64(z+q0)*z)+q1)*z)+q2)*z)+q3)*z) + q4
	z = float64(z*p) / q
	return float64(x*z) + x
}
