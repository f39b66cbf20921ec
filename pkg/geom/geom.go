// Package geom holds the geometric kernels shared by potentials, observables
// and resamplers: optimal superposition (Kabsch) and the minimum-image
// convention of rectangular periodic boxes.
//
// Products that feed sums are written float64(x*y) so that no build fuses
// them into FMA instructions (see Dot).
//
// Coordinates are flat slices of n×3 float64 (x0, y0, z0, x1, …) in nm.
package geom

import (
	"errors"
	"fmt"
	"math"
)

// MinImage returns the component d of a separation vector reduced to its
// minimum image in a periodic box of edge box: d − box·round(d/box), which
// lies in [−box/2, box/2]. A box ≤ 0 (or NaN) means "not periodic" and d is
// returned unchanged.
func MinImage(d, box float64) float64 {
	if box > 0 {
		return d - float64(box*math.Round(d/box))
	}
	return d
}

// Delta returns the separation vector x[j] − x[i] between atoms i and j of
// the flat coordinate slice x, each component reduced by MinImage with the
// matching edge of box (nil or empty box: no periodicity).
func Delta(x []float64, i, j int, box []float64) (d [3]float64) {
	for k := 0; k < 3; k++ {
		d[k] = x[3*j+k] - x[3*i+k]
		if len(box) == 3 {
			d[k] = MinImage(d[k], box[k])
		}
	}
	return d
}

// Dot returns a·b = a₀b₀ + a₁b₁ + a₂b₂, each product rounded before the
// sum. Go may otherwise fuse x*y + z into one FMA instruction on arm64 or
// GOAMD64=v3 builds, which would make results depend on the machine; the
// explicit float64 conversions forbid that (Go spec, "Floating-point
// operators"), and the same rule is applied throughout wepipe's numerical
// packages.
func Dot(a, b [3]float64) float64 {
	return float64(a[0]*b[0]) + float64(a[1]*b[1]) + float64(a[2]*b[2])
}

// Norm returns the Euclidean length of a 3-vector.
func Norm(d [3]float64) float64 {
	return math.Sqrt(Dot(d, d))
}

// Centroid returns the unweighted mean position of the n = len(x)/3 points
// of x.
func Centroid(x []float64) (c [3]float64) {
	n := len(x) / 3
	if n == 0 {
		return c
	}
	for i := 0; i < n; i++ {
		c[0] += x[3*i]
		c[1] += x[3*i+1]
		c[2] += x[3*i+2]
	}
	inv := 1 / float64(n)
	c[0] *= inv
	c[1] *= inv
	c[2] *= inv
	return c
}

// Kabsch returns the proper rotation R (row-major, det R = +1) and the
// centroids ca, cb that best superpose a onto b in the least-squares sense:
// R minimises Σᵢ |R(aᵢ − ca) − (bᵢ − cb)|² (Kabsch, Acta Cryst. A32, 922
// (1976)).
//
// R is found as a unit quaternion, after Horn, "Closed-form solution of
// absolute orientation using unit quaternions", J. Opt. Soc. Am. A 4, 629
// (1987): with the covariance S = Σᵢ (aᵢ − ca)(bᵢ − cb)ᵀ, the quaternion
// is the eigenvector of the largest eigenvalue of the symmetric 4×4 matrix
//
//	N = [ Sxx+Syy+Szz  Syz−Szy      Szx−Sxz      Sxy−Syx     ]
//	    [ Syz−Szy      Sxx−Syy−Szz  Sxy+Syx      Szx+Sxz     ]
//	    [ Szx−Sxz      Sxy+Syx     −Sxx+Syy−Szz  Syz+Szy     ]
//	    [ Sxy−Syx      Szx+Sxz      Syz+Szy     −Sxx−Syy+Szz ]
//
// A quaternion is always a proper rotation, so a mirror image is never
// "superposed" onto its enantiomer (the reflection Kabsch's SVD needs a
// sign correction for). The eigenvector comes from the cyclic Jacobi
// method (eigen4), plain float64 arithmetic in a fixed order: the result
// is the same bits on every machine (ARCHITECTURE.md §4), which an SVD through
// BLAS kernels with per-architecture assembly would not promise.
//
// a and b must have the same length, a positive multiple of 3.
func Kabsch(a, b []float64) (r [9]float64, ca, cb [3]float64, err error) {
	if len(a) != len(b) {
		return r, ca, cb, fmt.Errorf("geom: coordinate sets of different lengths %d and %d", len(a), len(b))
	}
	if len(a) == 0 || len(a)%3 != 0 {
		return r, ca, cb, fmt.Errorf("geom: coordinate length %d is not a positive multiple of 3", len(a))
	}
	ca, cb = Centroid(a), Centroid(b)
	var sxx, sxy, sxz, syx, syy, syz, szx, szy, szz float64
	n := len(a) / 3
	for i := 0; i < n; i++ {
		ax, ay, az := a[3*i]-ca[0], a[3*i+1]-ca[1], a[3*i+2]-ca[2]
		bx, by, bz := b[3*i]-cb[0], b[3*i+1]-cb[1], b[3*i+2]-cb[2]
		sxx += float64(ax * bx)
		sxy += float64(ax * by)
		sxz += float64(ax * bz)
		syx += float64(ay * bx)
		syy += float64(ay * by)
		syz += float64(ay * bz)
		szx += float64(az * bx)
		szy += float64(az * by)
		szz += float64(az * bz)
	}
	if !finite(sxx + sxy + sxz + syx + syy + syz + szx + szy + szz) {
		return r, ca, cb, errNotFinite
	}
	m := [4][4]float64{
		{sxx + syy + szz, syz - szy, szx - sxz, sxy - syx},
		{syz - szy, sxx - syy - szz, sxy + syx, szx + sxz},
		{szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy},
		{sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz},
	}
	w, v := eigen4(m)
	best := 0
	for i := 1; i < 4; i++ {
		if w[i] > w[best] {
			best = i
		}
	}
	q0, q1, q2, q3 := v[0][best], v[1][best], v[2][best], v[3][best]
	norm := math.Sqrt(float64(q0*q0) + float64(q1*q1) + float64(q2*q2) + float64(q3*q3))
	q0, q1, q2, q3 = q0/norm, q1/norm, q2/norm, q3/norm
	p := func(x, y float64) float64 { return float64(x * y) }
	r = [9]float64{
		p(q0, q0) + p(q1, q1) - p(q2, q2) - p(q3, q3), 2 * (p(q1, q2) - p(q0, q3)), 2 * (p(q1, q3) + p(q0, q2)),
		2 * (p(q1, q2) + p(q0, q3)), p(q0, q0) - p(q1, q1) + p(q2, q2) - p(q3, q3), 2 * (p(q2, q3) - p(q0, q1)),
		2 * (p(q1, q3) - p(q0, q2)), 2 * (p(q2, q3) + p(q0, q1)), p(q0, q0) - p(q1, q1) - p(q2, q2) + p(q3, q3),
	}
	return r, ca, cb, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

var errNotFinite = errors.New("geom: coordinates are not finite")

// eigen4 returns the eigenvalues w and eigenvectors (the columns of v) of
// the symmetric 4×4 matrix a by the cyclic Jacobi method (Golub & Van
// Loan, Matrix Computations, 4th ed., §8.5, Algorithms 8.5.1–8.5.3): each
// rotation J(p, q, θ) zeroes a[p][q], with
//
//	τ = (a_qq − a_pp) / (2 a_pq),  t = sign(τ) / (|τ| + √(1 + τ²)),
//	c = 1 / √(1 + t²),  s = t·c,
//
// and sweeps repeat until every off-diagonal element is negligible next to
// its diagonal pair (convergence is quadratic: 4×4 matrices take 3 to 6
// sweeps). Every product is rounded on its own (float64(x*y)) so that no
// build fuses it into an FMA.
func eigen4(a [4][4]float64) (w [4]float64, v [4][4]float64) {
	for i := range v {
		v[i][i] = 1
	}
	for sweep := 0; sweep < 64; sweep++ {
		rotated := false
		for pi := 0; pi < 3; pi++ {
			for qi := pi + 1; qi < 4; qi++ {
				apq := a[pi][qi]
				if apq == 0 {
					continue
				}
				app, aqq := a[pi][pi], a[qi][qi]
				// Negligible (the test of Numerical Recipes, §11.1): a
				// hundred times a_pq is lost in rounding next to both
				// diagonal elements.
				g := 100 * math.Abs(apq)
				if math.Abs(app)+g == math.Abs(app) && math.Abs(aqq)+g == math.Abs(aqq) {
					a[pi][qi], a[qi][pi] = 0, 0
					continue
				}
				tau := (aqq - app) / (2 * apq)
				var t float64
				if math.Abs(tau) > 1e150 {
					t = 1 / (2 * tau) // √(1+τ²) ≈ |τ|; τ² would overflow
				} else {
					t = 1 / (math.Abs(tau) + math.Sqrt(1+float64(tau*tau)))
					if tau < 0 {
						t = -t
					}
				}
				c := 1 / math.Sqrt(1+float64(t*t))
				s := float64(t * c)
				for k := 0; k < 4; k++ { // A ← A·J
					akp, akq := a[k][pi], a[k][qi]
					a[k][pi] = float64(c*akp) - float64(s*akq)
					a[k][qi] = float64(s*akp) + float64(c*akq)
				}
				for k := 0; k < 4; k++ { // A ← Jᵀ·A
					apk, aqk := a[pi][k], a[qi][k]
					a[pi][k] = float64(c*apk) - float64(s*aqk)
					a[qi][k] = float64(s*apk) + float64(c*aqk)
				}
				// The rotation zeroes a[p][q] in exact arithmetic; set it.
				a[pi][qi], a[qi][pi] = 0, 0
				for k := 0; k < 4; k++ { // V ← V·J
					vkp, vkq := v[k][pi], v[k][qi]
					v[k][pi] = float64(c*vkp) - float64(s*vkq)
					v[k][qi] = float64(s*vkp) + float64(c*vkq)
				}
				rotated = true
			}
		}
		if !rotated {
			break
		}
	}
	for i := range w {
		w[i] = a[i][i]
	}
	return w, v
}

// Superpose returns a copy of a moved onto b: every point becomes
// R(aᵢ − ca) + cb with R, ca, cb from Kabsch.
func Superpose(a, b []float64) ([]float64, error) {
	r, ca, cb, err := Kabsch(a, b)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(a))
	for i := 0; i < len(a)/3; i++ {
		p := [3]float64{a[3*i] - ca[0], a[3*i+1] - ca[1], a[3*i+2] - ca[2]}
		out[3*i] = Dot([3]float64(r[0:3]), p) + cb[0]
		out[3*i+1] = Dot([3]float64(r[3:6]), p) + cb[1]
		out[3*i+2] = Dot([3]float64(r[6:9]), p) + cb[2]
	}
	return out, nil
}

// RMSD returns the root-mean-square deviation between the n×3 coordinate
// sets a and b after optimal superposition (centring and Kabsch rotation):
//
//	RMSD = sqrt( (1/n) Σᵢ |R(aᵢ − ca) − (bᵢ − cb)|² ).
//
// The deviations are summed explicitly after rotating rather than through
// the shortcut Σ|a|² + Σ|b|² − 2 Σ dₖsₖ, whose cancellation leaves an error
// of order sqrt(ε)·scale for identical structures; the explicit sum is exact
// to a few ulps of the coordinates. This is the quantity mdtraj.rmsd returns
// (which wepy's image distances use), up to its float32 arithmetic.
// Non-finite coordinates give NaN. It panics if the lengths differ or are
// not a positive multiple of 3.
func RMSD(a, b []float64) float64 {
	r, ca, cb, err := Kabsch(a, b)
	if errors.Is(err, errNotFinite) {
		return math.NaN()
	}
	if err != nil {
		panic(err)
	}
	var s float64
	n := len(a) / 3
	for i := 0; i < n; i++ {
		p := [3]float64{a[3*i] - ca[0], a[3*i+1] - ca[1], a[3*i+2] - ca[2]}
		d := [3]float64{
			Dot([3]float64(r[0:3]), p) - (b[3*i] - cb[0]),
			Dot([3]float64(r[3:6]), p) - (b[3*i+1] - cb[1]),
			Dot([3]float64(r[6:9]), p) - (b[3*i+2] - cb[2]),
		}
		s += Dot(d, d)
	}
	return math.Sqrt(s / float64(n))
}
