package potential

import (
	"github.com/wepipe/wepipe/pkg/geom"

	"github.com/wepipe/wepipe/pkg/fmath"
)

// doubleWell is the one-particle double well
//
//	U(x, y, z) = h((x/a)² − 1)² + ½k(y² + z²)
//
// summed over the atoms of the group (default all). Minima at x = ±a,
// y = z = 0 with U = 0; barrier h at x = 0. Forces:
//
//	F_x = −4h x((x/a)² − 1)/a²,  F_y = −k y,  F_z = −k z.
//
// wepipe's built-in double-well system uses h = 10 kJ/mol, a = 0.5 nm,
// k = 100 kJ/mol/nm² (ARCHITECTURE.md §6).
type doubleWell struct {
	atoms   []int
	h, a, k float64
}

func newDoubleWell(p map[string]float64, atoms []int, n int, _ []float64) (term, error) {
	h, a, k := p["h"], p["a"], p["k"]
	if err := need(h >= 0, "h", h, "≥ 0"); err != nil {
		return nil, err
	}
	if err := need(a > 0, "a", a, "> 0"); err != nil {
		return nil, err
	}
	if err := need(k >= 0, "k", k, "≥ 0"); err != nil {
		return nil, err
	}
	return &doubleWell{atoms: group(atoms, n), h: h, a: a, k: k}, nil
}

func (t *doubleWell) add(pos, force []float64) float64 {
	var e float64
	ia2 := 1 / (t.a * t.a)
	for _, i := range t.atoms {
		x, y, z := pos[3*i], pos[3*i+1], pos[3*i+2]
		q := float64(x*x*ia2) - 1
		e += float64(t.h*q*q) + float64(0.5*t.k*(float64(y*y)+float64(z*z)))
		force[3*i] -= float64(4 * t.h * x * q * ia2)
		force[3*i+1] -= float64(t.k * y)
		force[3*i+2] -= float64(t.k * z)
	}
	return e
}

// Müller–Brown constants: K. Müller and L. D. Brown, "Location of saddle
// points and minimum energy paths by a constrained simplex optimization
// procedure", Theor. Chim. Acta 53, 75 (1979):
//
//	V(x, y) = Σₖ Aₖ exp(aₖ(x − x0ₖ)² + bₖ(x − x0ₖ)(y − y0ₖ) + cₖ(y − y0ₖ)²).
var (
	mbA  = [4]float64{-200, -100, -170, 15}
	mba  = [4]float64{-1, -1, -6.5, 0.7}
	mbb  = [4]float64{0, 0, 11, 0.6}
	mbc  = [4]float64{-10, -10, -6.5, 0.7}
	mbx0 = [4]float64{1, 0, -0.5, -1}
	mby0 = [4]float64{0, 0.5, 1.5, 1}
)

// mullerBrown is the Müller–Brown surface on the x, y coordinates of each
// atom of the group (default all), with a harmonic restraint on z:
//
//	U(x, y, z) = scale·V(x, y) + ½kz·z²,
//
// V in the paper's units taken as kJ/mol and x, y in nm as they are. The
// stationary points of V (to 3 decimals; TestMullerBrownStationary checks
// them) are the minima A (−0.558, 1.442) V = −146.70, B (0.623, 0.028)
// V = −108.17, C (−0.050, 0.467) V = −80.77, and the saddles (−0.822, 0.624)
// V = −40.66 (A–C) and (0.212, 0.293) V = −72.25 (C–B). The barriers
// scale·ΔV are thus A→C 106.0·scale, B→C 35.9·scale, C→B 8.5·scale
// (kJ/mol). scale = 0.25, the value suggested for the built-in system,
// gives at 300 K (kT = 2.494 kJ/mol) 10.6 kT out of the deep basin A,
// 3.6 kT out of B and 0.85 kT out of the shallow intermediate C.
type mullerBrown struct {
	atoms     []int
	scale, kz float64
}

func newMullerBrown(p map[string]float64, atoms []int, n int, _ []float64) (term, error) {
	s, kz := p["scale"], p["kz"]
	if err := need(s > 0, "scale", s, "> 0"); err != nil {
		return nil, err
	}
	if err := need(kz >= 0, "kz", kz, "≥ 0"); err != nil {
		return nil, err
	}
	return &mullerBrown{atoms: group(atoms, n), scale: s, kz: kz}, nil
}

// MullerBrown returns the unscaled Müller–Brown V(x, y) and its gradient.
func MullerBrown(x, y float64) (v, dvdx, dvdy float64) {
	for k := 0; k < 4; k++ {
		dx, dy := x-mbx0[k], y-mby0[k]
		t := float64(mbA[k] * fmath.Exp(float64(mba[k]*dx*dx)+float64(mbb[k]*dx*dy)+float64(mbc[k]*dy*dy)))
		v += t
		dvdx += float64(t * (float64(2*mba[k]*dx) + float64(mbb[k]*dy)))
		dvdy += float64(t * (float64(mbb[k]*dx) + float64(2*mbc[k]*dy)))
	}
	return v, dvdx, dvdy
}

func (t *mullerBrown) add(pos, force []float64) float64 {
	var e float64
	for _, i := range t.atoms {
		v, gx, gy := MullerBrown(pos[3*i], pos[3*i+1])
		z := pos[3*i+2]
		e += float64(t.scale*v) + float64(0.5*t.kz*z*z)
		force[3*i] -= float64(t.scale * gx)
		force[3*i+1] -= float64(t.scale * gy)
		force[3*i+2] -= float64(t.kz * z)
	}
	return e
}

// harmonicBond is U = Σ ½k(r − r0)² over the flattened pairs of Atoms,
// r = |x_j − x_i| (minimum image when the system has a box). The force on j
// is −k(r − r0)(x_j − x_i)/r; at r = 0 the direction is undefined and the
// force is taken as 0.
type harmonicBond struct {
	pairs []int
	k, r0 float64
	box   []float64
}

func newHarmonicBond(p map[string]float64, atoms []int, _ int, box []float64) (term, error) {
	k, r0 := p["k"], p["r0"]
	if err := need(k >= 0, "k", k, "≥ 0"); err != nil {
		return nil, err
	}
	if err := need(r0 >= 0, "r0", r0, "≥ 0"); err != nil {
		return nil, err
	}
	return &harmonicBond{pairs: append([]int(nil), atoms...), k: k, r0: r0, box: append([]float64(nil), box...)}, nil
}

func (t *harmonicBond) add(pos, force []float64) float64 {
	var e float64
	for p := 0; p+1 < len(t.pairs); p += 2 {
		i, j := t.pairs[p], t.pairs[p+1]
		d := geom.Delta(pos, i, j, t.box)
		r := geom.Norm(d)
		dr := r - t.r0
		e += float64(0.5 * t.k * dr * dr)
		if r == 0 {
			continue
		}
		f := -t.k * dr / r
		for c := 0; c < 3; c++ {
			force[3*j+c] += float64(f * d[c])
			force[3*i+c] -= float64(f * d[c])
		}
	}
	return e
}

// harmonicPosition restrains each atom of the group (default all) to the
// point x₀ = (x0, y0, z0): U = Σ ½k|x − x₀|², F = −k(x − x₀). The restraint
// acts on the unwrapped coordinates (no periodic image).
type harmonicPosition struct {
	atoms []int
	k     float64
	x0    [3]float64
}

func newHarmonicPosition(p map[string]float64, atoms []int, n int, _ []float64) (term, error) {
	k := p["k"]
	if err := need(k >= 0, "k", k, "≥ 0"); err != nil {
		return nil, err
	}
	return &harmonicPosition{atoms: group(atoms, n), k: k, x0: [3]float64{p["x0"], p["y0"], p["z0"]}}, nil
}

func (t *harmonicPosition) add(pos, force []float64) float64 {
	var e float64
	for _, i := range t.atoms {
		for c := 0; c < 3; c++ {
			d := pos[3*i+c] - t.x0[c]
			e += float64(0.5 * t.k * d * d)
			force[3*i+c] -= float64(t.k * d)
		}
	}
	return e
}
