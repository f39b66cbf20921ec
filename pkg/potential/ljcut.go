package potential

import (
	"fmt"
	"math"
	"slices"
)

// vec is a 3-vector.
type vec struct{ x, y, z float64 }

// atom is one LJ atom in the kernel's working array: position (wrapped at
// the last build) and force side by side, so that a neighbour costs one
// bounds check and, mostly, one cache line.
type atom struct{ x, y, z, fx, fy, fz float64 }

// ljCut is the Lennard-Jones fluid in a periodic rectangular box
// [Lx, Ly, Lz]:
//
//	U = Σ_{i<j, r<rc} 4ε[(σ/r)¹² − (σ/r)⁶] − U_shift,
//
// r the minimum-image distance, rc the cutoff (default 2.5σ),
// U_shift = 4ε[(σ/rc)¹² − (σ/rc)⁶] with shift = 1 and 0 otherwise (plain
// truncation, as OpenMM's NonbondedForce with CutoffPeriodic and no
// switching function; the force is the same either way).
// The group (Atoms, default all) are the LJ atoms; others feel nothing.
//
// Pairs come from a Verlet neighbour list (Verlet, Phys. Rev. 159, 98
// (1967)) of radius rc + skin, built with a cell list (Allen & Tildesley,
// "Computer Simulation of Liquids", 2nd ed., §5.3) and rebuilt when any atom
// has moved more than skin/2 since the last build, which guarantees that
// no pair within rc is missing. Each pair is stored once (Newton's third
// law). At a build, every atom's image offset (a multiple of the box) is
// fixed and the atoms are renumbered in cell order, so that the kernel
// reads positions x − offset in nearly sequential memory and most pairs
// need no periodic shift; the pairs that straddle the box carry theirs.
// rc + skin must not exceed half the shortest box edge (minimum image); a
// skin that does not fit is trimmed.
//
// The default skin, 0.2σ, minimised the cost per step of the argon
// benchmark (ρσ³ = 0.8, 120 K, Δt = 2 fs, a rebuild every ~20 steps);
// systems that move farther per step may prefer a larger one.
//
// The arithmetic is a pure function of the sequence of positions given to
// Compute since the term's creation: a fresh instance fed the same
// positions gives bit-identical energies and forces.
type ljCut struct {
	atoms  []int // global index of LJ atom q
	box    vec
	sig6   float64
	eps4   float64
	rc2    float64
	eshift float64
	rlist2 float64
	rin2   float64 // ((rc − skin)₊)²: pairs this close at a build stay within rc
	half2  float64 // (skin/2)²
	m      int     // cells per rlist along each axis (2); 0 = brute-force build
	nc     [3]int  // cells along each axis

	built bool
	perm  []int32 // local k → LJ atom q
	off   []vec   // image offset of local k
	a     []atom  // local k: position x − off and force
	yb    []vec   // positions at the last build
	start []int32 // nb[start[k]:start[k+1]]: neighbours l > k needing no shift,
	mid   []int32 // those before mid[k] within rc − skin at the build
	nb    []int32
	sbeg  []int32 // snb[sbeg[k]:sbeg[k+1]]: neighbours whose image is y[l] + sv
	snb   []int32
	sv    []vec

	// build workspace
	wq    []vec   // wrapped position of LJ atom q
	oq    []vec   // image offset of LJ atom q
	cq    []int32 // cell of LJ atom q
	cellN []int32 // first local index of each cell, len ncell+1
	zc    []cand  // candidates of one cell needing no shift
	shell []int32 // scratch: this atom's neighbours in the shell
	sc    []cand  // candidates needing a shift (position already shifted)
	scs   []vec   // their shifts

	builds int // neighbour-list builds, for tests and tuning
}

// cand is a neighbour candidate: a position and a local index.
type cand struct {
	x, y, z float64
	l       int32
}

func newLJCut(p map[string]float64, atoms []int, n int, box []float64) (term, error) {
	sigma, eps, rc, shift, skin := p["sigma"], p["epsilon"], p["cutoff"], p["shift"], p["skin"]
	if err := need(sigma > 0, "sigma", sigma, "> 0"); err != nil {
		return nil, err
	}
	if err := need(eps >= 0, "epsilon", eps, "≥ 0"); err != nil {
		return nil, err
	}
	if err := need(rc >= 0, "cutoff", rc, "≥ 0 (0 = 2.5σ)"); err != nil {
		return nil, err
	}
	if err := need(shift == 0 || shift == 1, "shift", shift, "0 or 1"); err != nil {
		return nil, err
	}
	if err := need(skin >= 0, "skin", skin, "≥ 0 (0 = 0.2σ)"); err != nil {
		return nil, err
	}
	if len(box) != 3 {
		return nil, fmt.Errorf("needs a periodic box, the system has none")
	}
	if rc == 0 {
		rc = 2.5 * sigma
	}
	if skin == 0 {
		skin = 0.2 * sigma
	}
	// The minimum image must be unique within the list radius.
	minL := math.Min(box[0], math.Min(box[1], box[2]))
	if rc > minL/2 {
		return nil, fmt.Errorf("parameter %q: %v exceeds half the shortest box edge %v", "cutoff", rc, minL)
	}
	skin = math.Min(skin, minL/2-rc)
	t := &ljCut{
		atoms:  group(atoms, n),
		box:    vec{box[0], box[1], box[2]},
		sig6:   sigma * sigma * sigma * sigma * sigma * sigma,
		eps4:   4 * eps,
		rc2:    rc * rc,
		rlist2: (rc + skin) * (rc + skin),
		rin2:   math.Max(rc-skin, 0) * math.Max(rc-skin, 0),
		half2:  skin * skin / 4,
	}
	if shift == 1 {
		s2 := (sigma / rc) * (sigma / rc)
		s6 := s2 * s2 * s2
		t.eshift = t.eps4 * s6 * (s6 - 1)
	}
	// Cells of edge ≥ rlist/m searched ±m cells along each axis; the search
	// needs at least 2m+1 cells per axis so that no cell is visited twice.
	// m = 2 scans (5/2)³·rlist³ ≈ 15.6 rlist³ per atom, m = 1 27 rlist³,
	// and m = 2 fits any box that m = 1 fits (2.5 rlist ≤ 3 rlist). Boxes
	// under 2.5 rlist build by brute force over all pairs.
	const m = 2
	rl := rc + skin
	t.m = m
	for d, l := range box {
		t.nc[d] = int(math.Floor(l * m / rl))
		if t.nc[d] < 2*m+1 {
			t.m = 0
		}
	}
	nl := len(t.atoms)
	t.perm = make([]int32, nl)
	t.off = make([]vec, nl)
	t.a = make([]atom, nl)
	t.yb = make([]vec, nl)
	t.start = make([]int32, nl+1)
	t.mid = make([]int32, nl)
	t.sbeg = make([]int32, nl+1)
	t.wq = make([]vec, nl)
	t.oq = make([]vec, nl)
	t.cq = make([]int32, nl)
	ncell := 1
	if t.m > 0 {
		ncell = t.nc[0] * t.nc[1] * t.nc[2]
	}
	t.cellN = make([]int32, ncell+1)
	return t, nil
}

func (t *ljCut) add(pos, force []float64) float64 {
	if !t.built || t.moved(pos) {
		if !t.build(pos) {
			t.built = false
			return math.NaN()
		}
	}
	e, cnt := t.kernel()
	// The kernel works in units of 4ε for energies and 24ε for forces.
	s := 6 * t.eps4
	a := t.a[:len(t.perm)]
	for k, q := range t.perm {
		i := 3 * t.atoms[q]
		f := force[i : i+3 : i+3]
		f[0] += float64(s * a[k].fx)
		f[1] += float64(s * a[k].fy)
		f[2] += float64(s * a[k].fz)
	}
	return float64(t.eps4*e) - float64(float64(cnt)*t.eshift)
}

// moved refreshes the kernel positions from pos and reports whether any
// atom moved more than skin/2 since the last build (or is not finite).
func (t *ljCut) moved(pos []float64) bool {
	a := t.a[:len(t.perm)]
	yb := t.yb[:len(a)]
	off := t.off[:len(a)]
	far := false
	for k, q := range t.perm {
		i := 3 * t.atoms[q]
		x := pos[i : i+3 : i+3]
		px, py, pz := x[0]-off[k].x, x[1]-off[k].y, x[2]-off[k].z
		a[k].x, a[k].y, a[k].z = px, py, pz
		dx, dy, dz := px-yb[k].x, py-yb[k].y, pz-yb[k].z
		if !(float64(dx*dx)+float64(dy*dy)+float64(dz*dz) <= t.half2) {
			far = true
		}
	}
	return far
}

// maxBoxes bounds |x|/L for lj-cut coordinates; see build.
const maxBoxes = 1e6

// build wraps the atoms into the box, renumbers them in cell order and
// rebuilds the neighbour lists. It reports false for non-finite or
// exploded coordinates.
func (t *ljCut) build(pos []float64) bool {
	t.builds++
	L := t.box
	nl := len(t.atoms)
	ncell := len(t.cellN) - 1
	clear(t.cellN)
	for q, a := range t.atoms {
		x := vec{pos[3*a], pos[3*a+1], pos[3*a+2]}
		// NaN fails every comparison. Beyond 10⁶ boxes from the origin the
		// wrapped coordinate x − offset would lose more than 10⁻¹⁰ of the
		// box to rounding: such coordinates count as exploded.
		if !(math.Abs(x.x) <= maxBoxes*L.x && math.Abs(x.y) <= maxBoxes*L.y && math.Abs(x.z) <= maxBoxes*L.z) {
			return false
		}
		o := vec{float64(L.x * math.Floor(x.x/L.x)), float64(L.y * math.Floor(x.y/L.y)), float64(L.z * math.Floor(x.z/L.z))}
		w := vec{x.x - o.x, x.y - o.y, x.z - o.z}
		t.wq[q], t.oq[q] = w, o
		c := 0
		if t.m > 0 {
			c = (cellIndex(w.x, L.x, t.nc[0])*t.nc[1]+cellIndex(w.y, L.y, t.nc[1]))*t.nc[2] + cellIndex(w.z, L.z, t.nc[2])
		}
		t.cq[q] = int32(c)
		t.cellN[c+1]++
	}
	for c := 0; c < ncell; c++ {
		t.cellN[c+1] += t.cellN[c]
	}
	// Counting sort, stable in q. cellN[c] serves as the fill cursor and
	// is restored afterwards.
	for q := 0; q < nl; q++ {
		c := t.cq[q]
		k := t.cellN[c]
		t.cellN[c]++
		t.perm[k] = int32(q)
		w := t.wq[q]
		t.a[k] = atom{x: w.x, y: w.y, z: w.z}
		t.yb[k], t.off[k] = w, t.oq[q]
	}
	for c := ncell; c > 0; c-- {
		t.cellN[c] = t.cellN[c-1]
	}
	t.cellN[0] = 0

	t.nb, t.snb, t.sv = t.nb[:0], t.snb[:0], t.sv[:0]
	if t.m == 0 {
		t.buildBrute()
	} else {
		t.buildCells()
	}
	t.start[nl] = int32(len(t.nb))
	t.sbeg[nl] = int32(len(t.snb))
	t.built = true
	return true
}

func cellIndex(w, l float64, nc int) int {
	c := int(w / l * float64(nc))
	if c < 0 {
		return 0
	}
	if c >= nc {
		return nc - 1
	}
	return c
}

func (t *ljCut) buildBrute() {
	L := t.box
	a := t.a
	for k := range a {
		t.start[k] = int32(len(t.nb))
		t.sbeg[k] = int32(len(t.snb))
		shell := t.shell[:0]
		for l := k + 1; l < len(a); l++ {
			d := vec{a[k].x - a[l].x, a[k].y - a[l].y, a[k].z - a[l].z}
			s := vec{float64(L.x * math.Round(d.x/L.x)), float64(L.y * math.Round(d.y/L.y)), float64(L.z * math.Round(d.z/L.z))}
			dx, dy, dz := d.x-s.x, d.y-s.y, d.z-s.z
			r2 := float64(dx*dx) + float64(dy*dy) + float64(dz*dz)
			switch {
			case r2 >= t.rlist2:
			case s.x != 0 || s.y != 0 || s.z != 0:
				// The image of l next to k is y[l] + s.
				t.snb = append(t.snb, int32(l))
				t.sv = append(t.sv, s)
			case r2 < t.rin2:
				t.nb = append(t.nb, int32(l))
			default:
				shell = append(shell, int32(l))
			}
		}
		t.mid[k] = int32(len(t.nb))
		t.nb = append(t.nb, shell...)
		t.shell = shell
	}
}

// buildCells lists, for every local k, the l > k within rlist. Locals are
// in cell order, so the atoms of a cell are a contiguous range and every
// atom of a cell with a lower index than k's has l < k: per cell c0 the
// candidates are the atoms of the neighbour cells with index > c0
// (gathered once, with their periodic shift applied) and, for each k, the
// atoms after k in c0 itself.
func (t *ljCut) buildCells() {
	L := t.box
	m := t.m
	nc := t.nc
	rl2, rin2 := t.rlist2, t.rin2
	for c0 := 0; c0 < nc[0]*nc[1]*nc[2]; c0++ {
		lo0, hi0 := int(t.cellN[c0]), int(t.cellN[c0+1])
		if lo0 == hi0 {
			continue
		}
		cx, cy, cz := c0/(nc[1]*nc[2]), (c0/nc[2])%nc[1], c0%nc[2]
		zc, sc, scs := t.zc[:0], t.sc[:0], t.scs[:0]
		for dx := -m; dx <= m; dx++ {
			ix, sx := wrapCell(cx+dx, nc[0], L.x)
			for dy := -m; dy <= m; dy++ {
				iy, sy := wrapCell(cy+dy, nc[1], L.y)
				for dz := -m; dz <= m; dz++ {
					iz, sz := wrapCell(cz+dz, nc[2], L.z)
					c := (ix*nc[1]+iy)*nc[2] + iz
					if c <= c0 {
						continue
					}
					for l := t.cellN[c]; l < t.cellN[c+1]; l++ {
						p := &t.a[l]
						if sx == 0 && sy == 0 && sz == 0 {
							zc = append(zc, cand{p.x, p.y, p.z, l})
						} else {
							sc = append(sc, cand{p.x + sx, p.y + sy, p.z + sz, l})
							scs = append(scs, vec{sx, sy, sz})
						}
					}
				}
			}
		}
		t.zc, t.sc, t.scs = zc, sc, scs
		for k := lo0; k < hi0; k++ {
			yk := t.a[k]
			// Candidates are written unconditionally and kept by advancing
			// a length only when they qualify: no unpredictable branch.
			// Inner pairs go to nb, shell pairs to the scratch, appended
			// after them.
			t.start[k] = int32(len(t.nb))
			ncand := hi0 - k - 1 + len(zc)
			nb := slices.Grow(t.nb, 2*ncand)
			sh := slices.Grow(t.shell[:0], ncand)
			p, ps := len(nb), 0
			nb, sh = nb[:cap(nb)], sh[:cap(sh)]
			for l := k + 1; l < hi0; l++ {
				q := &t.a[l]
				ex, ey, ez := yk.x-q.x, yk.y-q.y, yk.z-q.z
				r2 := float64(ex*ex) + float64(ey*ey) + float64(ez*ez)
				in := within(r2, rin2)
				nb[p] = int32(l)
				sh[ps] = int32(l)
				p += in
				ps += within(r2, rl2) - in
			}
			for _, q := range zc {
				ex, ey, ez := yk.x-q.x, yk.y-q.y, yk.z-q.z
				r2 := float64(ex*ex) + float64(ey*ey) + float64(ez*ez)
				in := within(r2, rin2)
				nb[p] = q.l
				sh[ps] = q.l
				p += in
				ps += within(r2, rl2) - in
			}
			t.mid[k] = int32(p)
			p += copy(nb[p:], sh[:ps])
			t.nb, t.shell = nb[:p], sh

			t.sbeg[k] = int32(len(t.snb))
			snb := slices.Grow(t.snb, len(sc))
			sv := slices.Grow(t.sv, len(sc))
			p = len(snb)
			snb, sv = snb[:cap(snb)], sv[:cap(sv)]
			for i, q := range sc {
				ex, ey, ez := yk.x-q.x, yk.y-q.y, yk.z-q.z
				snb[p] = q.l
				sv[p] = scs[i]
				p += within(float64(ex*ex)+float64(ey*ey)+float64(ez*ez), rl2)
			}
			t.snb, t.sv = snb[:p], sv[:p]
		}
	}
}

// within returns 1 if r2 < rl2 and 0 otherwise, without a branch: for
// non-negative floats the IEEE bit patterns order as integers do.
func within(r2, rl2 float64) int {
	return int(uint64(int64(math.Float64bits(r2))-int64(math.Float64bits(rl2))) >> 63)
}

// wrapCell maps cell coordinate i into [0, n) and returns the shift to add
// to the positions of that cell's atoms to bring them next to cell i.
func wrapCell(i, n int, l float64) (int, float64) {
	if i < 0 {
		return i + n, -l
	}
	if i >= n {
		return i - n, l
	}
	return i, 0
}

// kernel computes the forces (in units of 24ε) into a[k].f and returns the
// energy in units of 4ε, Σ s⁶(s⁶ − 1) with s⁶ = (σ/r)⁶, and the number of
// pairs within the cutoff.
func (t *ljCut) kernel() (e float64, cnt int) {
	a := t.a
	for k := range a {
		a[k].fx, a[k].fy, a[k].fz = 0, 0, 0
	}
	rc2b := int64(math.Float64bits(t.rc2))
	sig6 := t.sig6
	for k := range a {
		yk := &a[k]
		fx, fy, fz, ek := ljRowIn(a, t.nb[t.start[k]:t.mid[k]], yk.x, yk.y, yk.z, sig6)
		ck := int(t.mid[k] - t.start[k])
		if lo, hi := t.mid[k], t.start[k+1]; lo < hi {
			sx, sy, sz, es, cs := ljRow(a, t.nb[lo:hi], yk.x, yk.y, yk.z, sig6, rc2b)
			fx, fy, fz, ek, ck = fx+sx, fy+sy, fz+sz, ek+es, ck+cs
		}
		if lo, hi := t.sbeg[k], t.sbeg[k+1]; lo < hi {
			sx, sy, sz, es, cs := ljRowShift(a, t.snb[lo:hi], t.sv[lo:hi], yk.x, yk.y, yk.z, sig6, rc2b)
			fx, fy, fz, ek, ck = fx+sx, fy+sy, fz+sz, ek+es, ck+cs
		}
		yk.fx += fx
		yk.fy += fy
		yk.fz += fz
		e += ek
		cnt += ck
	}
	return e, cnt
}

// ljRow accumulates the pairs of one atom at (xk, yk, zk) with the atoms
// js: it subtracts each pair force from a[j] and returns the sum of the
// forces on the atom, the energy and the count of pairs within the cutoff
// (units as kernel).
//
// About a third of the listed pairs lie in the skin, beyond rc, in no
// predictable order; rather than branch, every listed pair is computed
// and s⁶ zeroed with a bit mask when r² ≥ rc² (for non-negative floats the
// IEEE bit patterns order as the integers do). The loop lives in its own
// function so that the compiler keeps its few values in registers.
func ljRow(a []atom, js []int32, xk, yk, zk, sig6 float64, rc2b int64) (fx, fy, fz, e float64, cnt int) {
	var c int64
	for _, j := range js {
		q := &a[j]
		dx, dy, dz := xk-q.x, yk-q.y, zk-q.z
		r2 := float64(dx*dx) + float64(dy*dy) + float64(dz*dz)
		mask := (int64(math.Float64bits(r2)) - rc2b) >> 63 // all ones if r2 < rc2
		c -= mask
		ir2 := 1 / r2
		s6 := math.Float64frombits(math.Float64bits(sig6*ir2*ir2*ir2) & uint64(mask))
		e += float64(s6 * (s6 - 1))
		g := s6 * (2*s6 - 1) * ir2
		gx, gy, gz := float64(g*dx), float64(g*dy), float64(g*dz)
		fx += gx
		fy += gy
		fz += gz
		q.fx -= gx
		q.fy -= gy
		q.fz -= gz
	}
	return fx, fy, fz, e, int(c)
}

// ljRowIn is ljRow for pairs known to be within the cutoff.
func ljRowIn(a []atom, js []int32, xk, yk, zk, sig6 float64) (fx, fy, fz, e float64) {
	for _, j := range js {
		q := &a[j]
		dx, dy, dz := xk-q.x, yk-q.y, zk-q.z
		ir2 := 1 / (float64(dx*dx) + float64(dy*dy) + float64(dz*dz))
		s6 := sig6 * ir2 * ir2 * ir2
		e += float64(s6 * (s6 - 1))
		g := s6 * (2*s6 - 1) * ir2
		gx, gy, gz := float64(g*dx), float64(g*dy), float64(g*dz)
		fx += gx
		fy += gy
		fz += gz
		q.fx -= gx
		q.fy -= gy
		q.fz -= gz
	}
	return fx, fy, fz, e
}

// ljRowShift is ljRow for neighbours whose image is a[j] + sv[p].
func ljRowShift(a []atom, js []int32, sv []vec, xk, yk, zk, sig6 float64, rc2b int64) (fx, fy, fz, e float64, cnt int) {
	var c int64
	sv = sv[:len(js)]
	for p, j := range js {
		q := &a[j]
		s := &sv[p]
		dx, dy, dz := xk-(q.x+s.x), yk-(q.y+s.y), zk-(q.z+s.z)
		r2 := float64(dx*dx) + float64(dy*dy) + float64(dz*dz)
		mask := (int64(math.Float64bits(r2)) - rc2b) >> 63
		c -= mask
		ir2 := 1 / r2
		s6 := math.Float64frombits(math.Float64bits(sig6*ir2*ir2*ir2) & uint64(mask))
		e += float64(s6 * (s6 - 1))
		g := s6 * (2*s6 - 1) * ir2
		gx, gy, gz := float64(g*dx), float64(g*dy), float64(g*dz)
		fx += gx
		fy += gy
		fz += gz
		q.fx -= gx
		q.fy -= gy
		q.fz -= gz
	}
	return fx, fy, fz, e, int(c)
}
