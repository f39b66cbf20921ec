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
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
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
// R minimises Σᵢ |R(aᵢ − ca) − (bᵢ − cb)|².
//
// Following Kabsch, "A solution for the best rotation to relate two sets of
// vectors", Acta Cryst. A32, 922 (1976) (and its correction, A34, 827
// (1978)): with the covariance H = Σᵢ (aᵢ − ca)(bᵢ − cb)ᵀ = U S Vᵀ (singular
// value decomposition by gonum's mat.SVD), R = V diag(1, 1, d) Uᵀ where
// d = sign(det(V Uᵀ)). The factor d is the reflection correction: without it
// a mirror image would "superpose" perfectly onto its enantiomer.
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
	var h [9]float64
	n := len(a) / 3
	for i := 0; i < n; i++ {
		ax, ay, az := a[3*i]-ca[0], a[3*i+1]-ca[1], a[3*i+2]-ca[2]
		bx, by, bz := b[3*i]-cb[0], b[3*i+1]-cb[1], b[3*i+2]-cb[2]
		h[0] += float64(ax * bx)
		h[1] += float64(ax * by)
		h[2] += float64(ax * bz)
		h[3] += float64(ay * bx)
		h[4] += float64(ay * by)
		h[5] += float64(ay * bz)
		h[6] += float64(az * bx)
		h[7] += float64(az * by)
		h[8] += float64(az * bz)
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(3, 3, h[:]), mat.SVDFull) {
		return r, ca, cb, fmt.Errorf("geom: singular value decomposition of the covariance failed")
	}
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	// d = sign(det(V Uᵀ)) = sign(det V · det U).
	d := 1.0
	if mat.Det(&v)*mat.Det(&u) < 0 {
		d = -1
	}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[3*i+j] = float64(v.At(i, 0)*u.At(j, 0)) + float64(v.At(i, 1)*u.At(j, 1)) + float64(d*v.At(i, 2)*u.At(j, 2))
		}
	}
	return r, ca, cb, nil
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
// It panics if the lengths differ or are not a positive multiple of 3.
func RMSD(a, b []float64) float64 {
	r, ca, cb, err := Kabsch(a, b)
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
