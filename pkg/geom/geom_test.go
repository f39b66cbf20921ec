package geom

import (
	"fmt"
	"math"
	"testing"

	"github.com/wepipe/wepipe/pkg/rng"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

// rotation returns the proper rotation about the unit axis u by angle t
// (Rodrigues' formula), row-major.
func rotation(u [3]float64, t float64) [9]float64 {
	n := Norm(u)
	x, y, z := u[0]/n, u[1]/n, u[2]/n
	c, s := math.Cos(t), math.Sin(t)
	C := 1 - c
	return [9]float64{
		c + x*x*C, x*y*C - z*s, x*z*C + y*s,
		y*x*C + z*s, c + y*y*C, y*z*C - x*s,
		z*x*C - y*s, z*y*C + x*s, c + z*z*C,
	}
}

func apply(r [9]float64, t [3]float64, a []float64) []float64 {
	out := make([]float64, len(a))
	for i := 0; i < len(a)/3; i++ {
		x, y, z := a[3*i], a[3*i+1], a[3*i+2]
		out[3*i] = r[0]*x + r[1]*y + r[2]*z + t[0]
		out[3*i+1] = r[3]*x + r[4]*y + r[5]*z + t[1]
		out[3*i+2] = r[6]*x + r[7]*y + r[8]*z + t[2]
	}
	return out
}

func randomCoords(s *rng.Stream, n int, scale float64) []float64 {
	x := make([]float64, 3*n)
	for i := range x {
		x[i] = scale * s.Normal()
	}
	return x
}

func TestMinImage(t *testing.T) {
	for _, c := range []struct{ d, box, want float64 }{
		{0.4, 1, 0.4},
		{0.6, 1, -0.4},
		{-0.6, 1, 0.4},
		{2.3, 1, 0.3},
		{-7.25, 2, 0.75},
		{5, 0, 5},  // not periodic
		{5, -1, 5}, // not periodic
	} {
		if got := MinImage(c.d, c.box); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("MinImage(%v, %v) = %v, want %v", c.d, c.box, got, c.want)
		}
	}
	x := []float64{0.1, 0.2, 0.3, 2.9, 0.2, -1.4}
	d := Delta(x, 0, 1, []float64{3, 3, 3})
	want := [3]float64{-0.2, 0, 1.3}
	for k := range d {
		if math.Abs(d[k]-want[k]) > 1e-12 {
			t.Errorf("Delta = %v, want %v", d, want)
		}
	}
}

// TestRMSDInvariance: a rotated and translated copy has RMSD 0. Rounding in
// the rotation, the centring and the SVD is a few ulps of the coordinate
// scale per component, hence the bound 1e-12·scale.
func TestRMSDInvariance(t *testing.T) {
	s := rng.New(rng.Key("geom-test", [32]byte{}, 1, 0))
	for _, n := range []int{3, 4, 10, 100, 1000} {
		for _, scale := range []float64{1e-3, 1, 1e3} {
			t.Run(fmt.Sprintf("n=%d/scale=%g", n, scale), func(t *testing.T) {
				a := randomCoords(s, n, scale)
				r := rotation([3]float64{s.Normal(), s.Normal(), s.Normal()}, 2*math.Pi*s.Float64())
				b := apply(r, [3]float64{scale * 5 * s.Normal(), scale * 5 * s.Normal(), scale * 5 * s.Normal()}, a)
				if got := RMSD(a, b); got > 1e-12*scale {
					t.Errorf("RMSD of rotated copy = %g, want ≤ %g", got, 1e-12*scale)
				}
				sup, err := Superpose(a, b)
				if err != nil {
					t.Fatal(err)
				}
				for i := range sup {
					if math.Abs(sup[i]-b[i]) > 1e-11*scale {
						t.Fatalf("Superpose coordinate %d = %v, want %v", i, sup[i], b[i])
					}
				}
			})
		}
	}
}

// TestRMSDHand: two hand-computed cases.
func TestRMSDHand(t *testing.T) {
	// Translation only: {(0,0,0), (1,0,0)} vs {(5,5,5), (6,5,5)}.
	if got := RMSD([]float64{0, 0, 0, 1, 0, 0}, []float64{5, 5, 5, 6, 5, 5}); got > 1e-15 {
		t.Errorf("translated pair: RMSD = %g, want 0", got)
	}
	// A segment of length 2 against one of length 4: after centring both
	// lie on a line, endpoints ±1 vs ±2, so each point is off by 1: RMSD 1.
	if got := RMSD([]float64{0, 0, 0, 2, 0, 0}, []float64{0, 0, 0, 0, 4, 0}); math.Abs(got-1) > 1e-14 {
		t.Errorf("segments: RMSD = %v, want 1", got)
	}
	// A square of side 2 against a square of side 4, rotated 90°: corners at
	// distance √2 vs 2√2 from the centre, each off by √2: RMSD √2.
	a := []float64{1, 1, 0, -1, 1, 0, -1, -1, 0, 1, -1, 0}
	b := []float64{-2, 2, 0, -2, -2, 0, 2, -2, 0, 2, 2, 0}
	if got := RMSD(a, b); math.Abs(got-math.Sqrt2) > 1e-14 {
		t.Errorf("squares: RMSD = %v, want √2", got)
	}
}

// TestRMSDReflection: a chiral tetrahedron and its mirror image cannot be
// superposed by a proper rotation. Without the reflection correction the
// SVD's improper "rotation" would give 0.
func TestRMSDReflection(t *testing.T) {
	a := []float64{
		0, 0, 0,
		1, 0, 0,
		0, 2, 0,
		0, 0, 3,
	}
	m := make([]float64, len(a))
	copy(m, a)
	for i := 0; i < 4; i++ {
		m[3*i+2] = -m[3*i+2] // mirror through the xy-plane
	}
	got := RMSD(a, m)
	if got < 0.1 {
		t.Fatalf("mirror image RMSD = %g, want clearly positive (reflection not corrected)", got)
	}
	r, _, _, err := Kabsch(a, m)
	if err != nil {
		t.Fatal(err)
	}
	det := r[0]*(r[4]*r[8]-r[5]*r[7]) - r[1]*(r[3]*r[8]-r[5]*r[6]) + r[2]*(r[3]*r[7]-r[4]*r[6])
	if math.Abs(det-1) > 1e-12 {
		t.Errorf("det R = %v, want +1", det)
	}
	// The best proper superposition of a point set and its mirror image
	// cannot beat the RMSD of any particular proper rotation, e.g. the
	// identity after centring.
	ca, cm := Centroid(a), Centroid(m)
	var s float64
	for i := 0; i < 4; i++ {
		for k := 0; k < 3; k++ {
			d := (a[3*i+k] - ca[k]) - (m[3*i+k] - cm[k])
			s += d * d
		}
	}
	if id := math.Sqrt(s / 4); got > id+1e-12 {
		t.Errorf("optimal RMSD %v exceeds identity-rotation RMSD %v", got, id)
	}
}

// TestRMSDProperties: symmetry, non-negativity and the triangle
// inequality (RMSD after superposition is a metric on shapes).
func TestRMSDProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(3, 12).Draw(t, "n")
		gen := rapid.SliceOfN(rapid.Float64Range(-5, 5), 3*n, 3*n)
		a, b, c := gen.Draw(t, "a"), gen.Draw(t, "b"), gen.Draw(t, "c")
		ab, ba := RMSD(a, b), RMSD(b, a)
		if ab < 0 || math.Abs(ab-ba) > 1e-9 {
			t.Fatalf("RMSD(a,b) = %v, RMSD(b,a) = %v", ab, ba)
		}
		// 1e-9: rounding of three independent SVDs on coordinates ≤ 5.
		if ac, cb := RMSD(a, c), RMSD(c, b); ab > ac+cb+1e-9 {
			t.Fatalf("triangle inequality: %v > %v + %v", ab, ac, cb)
		}
	})
}

func TestKabschErrors(t *testing.T) {
	if _, _, _, err := Kabsch([]float64{1, 2, 3}, []float64{1, 2}); err == nil {
		t.Error("different lengths: no error")
	}
	if _, _, _, err := Kabsch(nil, nil); err == nil {
		t.Error("empty sets: no error")
	}
	if _, err := Superpose([]float64{1, 2}, []float64{1, 2}); err == nil {
		t.Error("length not a multiple of 3: no error")
	}
}

func BenchmarkRMSD(b *testing.B) {
	s := rng.New(rng.Key("geom-bench", [32]byte{}, 0, 0))
	for _, n := range []int{10, 100, 1000} {
		x := randomCoords(s, n, 1)
		y := randomCoords(s, n, 1)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				RMSD(x, y)
			}
		})
	}
}

// TestEigen4: the Jacobi eigenpairs of random symmetric 4×4 matrices
// satisfy A·v = w·v with orthonormal v. 1e-13·‖A‖: a few ulps per element
// through a handful of sweeps of 6 rotations each.
func TestEigen4(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var a [4][4]float64
		scale := 0.0
		for i := 0; i < 4; i++ {
			for j := i; j < 4; j++ {
				x := rapid.Float64Range(-10, 10).Draw(t, fmt.Sprintf("a%d%d", i, j))
				a[i][j], a[j][i] = x, x
				scale = math.Max(scale, math.Abs(x))
			}
		}
		w, v := eigen4(a)
		tol := 1e-13 * math.Max(scale, 1)
		for k := 0; k < 4; k++ {
			for i := 0; i < 4; i++ {
				var av float64
				for j := 0; j < 4; j++ {
					av += a[i][j] * v[j][k]
				}
				if d := math.Abs(av - w[k]*v[i][k]); d > tol {
					t.Fatalf("eigenpair %d, row %d: (Av − wv) = %g > %g", k, i, d, tol)
				}
			}
			for l := 0; l < 4; l++ {
				var dot float64
				for i := 0; i < 4; i++ {
					dot += v[i][k] * v[i][l]
				}
				want := 0.0
				if k == l {
					want = 1
				}
				if math.Abs(dot-want) > 1e-14 {
					t.Fatalf("vᵀv[%d][%d] = %v", k, l, dot)
				}
			}
		}
	})
}

// TestKabschAgreesWithSVD: the quaternion rotation and the textbook SVD
// solution (gonum, Kabsch 1976 with the reflection correction) give the
// same RMSD. 1e-12: both are accurate to a few ulps of coordinates ≤ 5.
func TestKabschAgreesWithSVD(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 20).Draw(t, "n")
		gen := rapid.SliceOfN(rapid.Float64Range(-5, 5), 3*n, 3*n)
		a, b := gen.Draw(t, "a"), gen.Draw(t, "b")
		got, want := RMSD(a, b), svdRMSD(a, b)
		if math.Abs(got-want) > 1e-12 {
			t.Fatalf("quaternion RMSD %v, SVD RMSD %v", got, want)
		}
	})
}

// svdRMSD is the RMSD after superposition by Kabsch's SVD solution.
func svdRMSD(a, b []float64) float64 {
	ca, cb := Centroid(a), Centroid(b)
	h := mat.NewDense(3, 3, nil)
	n := len(a) / 3
	for i := 0; i < n; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 3; k++ {
				h.Set(j, k, h.At(j, k)+(a[3*i+j]-ca[j])*(b[3*i+k]-cb[k]))
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(h, mat.SVDFull) {
		panic("svd failed")
	}
	var u, v, r mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	d := 1.0
	if mat.Det(&v)*mat.Det(&u) < 0 {
		d = -1
	}
	r.Mul(&v, mat.NewDense(3, 3, []float64{1, 0, 0, 0, 1, 0, 0, 0, d}))
	r.Mul(&r, u.T())
	var s float64
	for i := 0; i < n; i++ {
		for j := 0; j < 3; j++ {
			var x float64
			for k := 0; k < 3; k++ {
				x += r.At(j, k) * (a[3*i+k] - ca[k])
			}
			x -= b[3*i+j] - cb[j]
			s += x * x
		}
	}
	return math.Sqrt(s / float64(n))
}

// TestKabschDegenerate: coincident points (no covariance) give the
// identity and RMSD 0; non-finite coordinates give an error and NaN.
func TestKabschDegenerate(t *testing.T) {
	r, _, _, err := Kabsch([]float64{1, 2, 3, 1, 2, 3}, []float64{4, 5, 6, 4, 5, 6})
	if err != nil || r != [9]float64{1, 0, 0, 0, 1, 0, 0, 0, 1} {
		t.Errorf("coincident points: R = %v, %v; want the identity", r, err)
	}
	if got := RMSD([]float64{0, 0, 0}, []float64{7, 8, 9}); got != 0 {
		t.Errorf("one point: RMSD %v, want 0", got)
	}
	bad := []float64{0, 0, 0, math.NaN(), 1, 2}
	if _, _, _, err := Kabsch(bad, []float64{0, 0, 0, 1, 1, 1}); err == nil {
		t.Error("NaN coordinates: no error")
	}
	if got := RMSD(bad, []float64{0, 0, 0, 1, 1, 1}); !math.IsNaN(got) {
		t.Errorf("NaN coordinates: RMSD %v, want NaN", got)
	}
	if got := RMSD([]float64{0, 0, 0, math.Inf(1), 1, 2}, []float64{0, 0, 0, 1, 1, 1}); !math.IsNaN(got) {
		t.Errorf("infinite coordinates: RMSD %v, want NaN", got)
	}
}

// TestRMSDBits pins the exact result of a fixed case: the algorithm is a
// fixed sequence of rounded float64 operations, so these bits are the same
// on every machine and any change to the order of operations shows here.
func TestRMSDBits(t *testing.T) {
	s := rng.New(rng.Key("geom-bits", [32]byte{}, 0, 0))
	a, b := randomCoords(s, 17, 0.5), randomCoords(s, 17, 0.5)
	got := math.Float64bits(RMSD(a, b))
	const want = 0x3fef6e918ac091f7 // 0.9822471342091025
	if got != want {
		t.Errorf("RMSD bits %#016x (%v), want %#016x", got, math.Float64frombits(got), uint64(want))
	}
}
