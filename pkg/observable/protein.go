package observable

import (
	"math"

	"github.com/wepipe/wepipe/pkg/fmath"
	"github.com/wepipe/wepipe/pkg/geom"
)

// Dihedral returns the dihedral (torsion) angle of atoms i, j, k, l of
// the flat coordinates pos, in radians in [−π, π]:
//
//	b₁ = x_j − x_i,  b₂ = x_k − x_j,  b₃ = x_l − x_k
//	φ = atan2( |b₂| b₁·(b₂×b₃), (b₁×b₂)·(b₂×b₃) )
//
// (Blondel & Karplus, J. Comput. Chem. 17, 1132 (1996), eq. 9; the
// formula of MDTraj's compute_dihedrals and OpenMM's torsions), which
// follows the IUPAC sign convention (IUPAC–IUB Commission on Biochemical
// Nomenclature, Biochemistry 9, 3471 (1970)): looking along j→k, φ is
// positive when the near bond i–j turns clockwise, by less than 180°, to
// eclipse the far bond k–l; cis is 0, trans ±π. Each bond vector is
// reduced to its minimum image when box ([Lx, Ly, Lz]) is given, as
// MDTraj does with periodic=True. Collinear atoms give 0.
func Dihedral(pos []float64, i, j, k, l int, box []float64) float64 {
	b1 := geom.Delta(pos, i, j, box)
	b2 := geom.Delta(pos, j, k, box)
	b3 := geom.Delta(pos, k, l, box)
	n1, n2 := cross(b1, b2), cross(b2, b3)
	y := float64(geom.Norm(b2) * geom.Dot(b1, n2))
	return fmath.Atan2(y, geom.Dot(n1, n2))
}

// cross returns a × b, each product rounded on its own (no FMA).
func cross(a, b [3]float64) [3]float64 {
	return [3]float64{
		float64(a[1]*b[2]) - float64(a[2]*b[1]),
		float64(a[2]*b[0]) - float64(a[0]*b[2]),
		float64(a[0]*b[1]) - float64(a[1]*b[0]),
	}
}

// Rg returns the radius of gyration of the atoms g of pos with weights w
// (wᵢ = mᵢ/M, summing to 1):
//
//	Rg = sqrt( Σᵢ wᵢ |xᵢ − c|² ),  c = Σᵢ wᵢ xᵢ,
//
// the root-mean-square distance of the group's mass from its centre of
// mass. Positions are taken relative to the group's first atom before
// summing, which makes Rg translation invariant to rounding. With a box,
// each atom is placed at the minimum image of its predecessor in g, so a
// group whose consecutive atoms lie within half a box edge of each other
// (a chain in file order: a protein) is made whole across the boundary.
//
// MDTraj's compute_rg(masses=m) (1.9.7 and later, until its PR #2178)
// weights by mass but centres on the unweighted mean, which adds
// |c − x̄|² under the root (the parallel-axis theorem); with equal masses
// the two agree. TestMDTraj checks both.
func Rg(pos []float64, g []int, w []float64, box []float64) float64 {
	// d is atom g[k] relative to g[0]; with a box, relative to its
	// predecessor's image, accumulated: the same arithmetic in both passes.
	x0, y0, z0 := pos[3*g[0]], pos[3*g[0]+1], pos[3*g[0]+2]
	periodic := len(box) == 3
	var d [3]float64
	next := func(k int) {
		a := 3 * g[k]
		if !periodic {
			d = [3]float64{pos[a] - x0, pos[a+1] - y0, pos[a+2] - z0}
		} else if k == 0 {
			d = [3]float64{}
		} else {
			s := geom.Delta(pos, g[k-1], g[k], box)
			d = [3]float64{d[0] + s[0], d[1] + s[1], d[2] + s[2]}
		}
	}
	var c [3]float64
	for k := range g {
		next(k)
		c[0] += float64(w[k] * d[0])
		c[1] += float64(w[k] * d[1])
		c[2] += float64(w[k] * d[2])
	}
	var s float64
	for k := range g {
		next(k)
		e := [3]float64{d[0] - c[0], d[1] - c[1], d[2] - c[2]}
		s += float64(w[k] * geom.Dot(e, e))
	}
	return math.Sqrt(s)
}

// Constants of the fraction of native contacts of Best, Hummer & Eaton,
// "Native contacts determine protein folding mechanisms in atomistic
// simulations", PNAS 110, 17874 (2013), SI eq. 1, for all-atom models;
// the values of MDTraj's best_hummer_q example.
const (
	QBeta      = 50.0 // smoothing β, 1/nm (5 Å⁻¹)
	QLambda    = 1.8  // tolerance λ on the native distance (all-atom)
	QCutoff    = 0.45 // a native contact is closer than this in the reference, nm
	QSeparated = 3    // … between atoms more than this many residues apart
)

// NativeContacts returns the native contacts of the atoms g in the
// reference coordinates ref (len(g)×3, row k holding atom g[k]): every
// pair g[p], g[q] (p < q) of atoms more than QSeparated residues apart
// (|residue(a) − residue(b)| > 3, residue indices in file order) whose
// reference distance r0 is below QCutoff (strictly, as MDTraj). residue
// gives each atom's residue index (all n atoms); nil counts each atom as
// its own residue. pairs holds the contacts' atoms interleaved (a0, b0,
// a1, b1 …), r0 their reference distances, both in the order of (p, q).
// Distances are minimum-image with a box. The search is over all
// len(g)²/2 pairs, a few ns each (BenchmarkEval/native-contacts), once
// per step when the system is compiled: under a millisecond for villin's
// 292 heavy atoms, a fraction of a second for 10⁴.
func NativeContacts(ref []float64, g []int, residue []int, box []float64) (pairs []int, r0 []float64) {
	res := make([]int, len(g))
	for k, a := range g {
		res[k] = a
		if residue != nil {
			res[k] = residue[a]
		}
	}
	periodic := len(box) == 3
	// A cheap squared-distance test first, a little wide so that rounding
	// never drops a pair; the pair is then decided on r computed as Q
	// computes it.
	const wide = QCutoff * QCutoff * (1 + 1e-9)
	for p := range g {
		xp, yp, zp := ref[3*p], ref[3*p+1], ref[3*p+2]
		for q := p + 1; q < len(g); q++ {
			if dr := res[q] - res[p]; dr <= QSeparated && dr >= -QSeparated {
				continue
			}
			dx, dy, dz := ref[3*q]-xp, ref[3*q+1]-yp, ref[3*q+2]-zp
			if periodic {
				dx, dy, dz = geom.MinImage(dx, box[0]), geom.MinImage(dy, box[1]), geom.MinImage(dz, box[2])
			}
			if float64(dx*dx)+float64(dy*dy)+float64(dz*dz) >= wide {
				continue
			}
			if r := geom.Norm(geom.Delta(ref, p, q, box)); r < QCutoff {
				pairs = append(pairs, g[p], g[q])
				r0 = append(r0, r)
			}
		}
	}
	return pairs, r0
}

// Q returns the fraction of native contacts of Best, Hummer & Eaton
// (PNAS 110, 17874 (2013), SI eq. 1):
//
//	Q = (1/N) Σ_(i,j) 1 / (1 + exp(β (r_ij − λ r0_ij)))
//
// over the N native contacts (pairs, r0 from NativeContacts), with
// β = QBeta = 50 nm⁻¹ and λ = QLambda = 1.8, r_ij the contact's distance
// in pos (minimum image with a box). Q is 1 − ε at the reference (each
// term is 1/(1 + exp(−β·0.8·r0)), above 0.97 for r0 > 0.09 nm) and tends
// to 0 as contacts break. exp is fmath.Exp, the same bits everywhere.
func Q(pos []float64, pairs []int, r0 []float64, box []float64) float64 {
	var s float64
	for k, d0 := range r0 {
		r := geom.Norm(geom.Delta(pos, pairs[2*k], pairs[2*k+1], box))
		s += 1 / (1 + fmath.Exp(float64(QBeta*(r-float64(QLambda*d0)))))
	}
	return s / float64(len(r0))
}
