package potential

import "math"

// lj is the Lennard-Jones term without periodic box:
//
//	U = Σ_{pairs} 4ε[(σ/r)¹² − (σ/r)⁶] − U_shift,   r < rc,
//
// over all pairs i < j of the system (Atoms empty) or the flattened pairs
// listed in Atoms. With cutoff rc > 0 pairs at r ≥ rc do not interact and,
// with shift = 1, each interacting pair's energy is shifted by
// U_shift = 4ε[(σ/rc)¹² − (σ/rc)⁶] so that it vanishes at rc (the forces
// are unchanged). The force on j from i is
//
//	F_j = 24ε[2(σ/r)¹² − (σ/r)⁶] (x_j − x_i) / r² = −F_i.
//
// The pair minimum is at r = 2^(1/6)σ with U = −ε. wepy's lj-pair example
// (openmmtools.testsystems.LennardJonesPair) is two atoms with σ = 0.3350 nm
// and ε = 41.84 kJ/mol (10 kcal/mol), no cutoff.
type lj struct {
	pairs  []int // flattened pairs; nil = all pairs of n atoms
	n      int
	sig2   float64
	sig4   float64
	eps4   float64
	eps24  float64
	eps48  float64
	rc2    float64 // +Inf without cutoff
	eshift float64
}

func newLJ(p map[string]float64, atoms []int, n int, _ []float64) (term, error) {
	sigma, eps, rc, shift := p["sigma"], p["epsilon"], p["cutoff"], p["shift"]
	if err := need(sigma > 0, "sigma", sigma, "> 0"); err != nil {
		return nil, err
	}
	if err := need(eps >= 0, "epsilon", eps, "≥ 0"); err != nil {
		return nil, err
	}
	if err := need(rc >= 0, "cutoff", rc, "≥ 0 (0 = none)"); err != nil {
		return nil, err
	}
	if err := need(shift == 0 || shift == 1, "shift", shift, "0 or 1"); err != nil {
		return nil, err
	}
	t := &lj{n: n, sig2: sigma * sigma, sig4: sigma * sigma * sigma * sigma, eps4: 4 * eps, eps24: 24 * eps, eps48: 48 * eps, rc2: math.Inf(1)}
	if len(atoms) > 0 {
		t.pairs = append([]int(nil), atoms...)
	}
	if rc > 0 {
		t.rc2 = rc * rc
		if shift == 1 {
			s2 := (sigma / rc) * (sigma / rc)
			s6 := s2 * s2 * s2
			t.eshift = t.eps4 * s6 * (s6 - 1)
		}
	}
	return t, nil
}

// pair returns the energy of pair (i, j) and adds its forces.
func (t *lj) pair(pos, force []float64, i, j int) float64 {
	dx := pos[3*j] - pos[3*i]
	dy := pos[3*j+1] - pos[3*i+1]
	dz := pos[3*j+2] - pos[3*i+2]
	r2 := float64(dx*dx) + float64(dy*dy) + float64(dz*dz)
	if !(r2 < t.rc2) {
		if r2 >= t.rc2 {
			return 0
		}
		// NaN separation: make the energy NaN so that callers notice.
		return r2
	}
	// In small systems the pair term is on the critical path of every
	// step: one division, and f = s⁶/r²·(48ε s⁶ − 24ε) evaluated as two
	// independent products.
	ir2 := 1 / r2
	ir4 := ir2 * ir2
	s6 := float64(t.sig2*ir2) * float64(t.sig4*ir4)
	f := float64(s6*ir2) * (float64(t.eps48*s6) - t.eps24)
	fx, fy, fz := float64(f*dx), float64(f*dy), float64(f*dz)
	force[3*j] += fx
	force[3*j+1] += fy
	force[3*j+2] += fz
	force[3*i] -= fx
	force[3*i+1] -= fy
	force[3*i+2] -= fz
	return float64(t.eps4*s6*(s6-1)) - t.eshift
}

// pair2 is pair for a system of exactly two atoms, writing the forces.
func (t *lj) pair2(pos, force *[6]float64) float64 {
	dx, dy, dz := pos[3]-pos[0], pos[4]-pos[1], pos[5]-pos[2]
	r2 := float64(dx*dx) + float64(dy*dy) + float64(dz*dz)
	if !(r2 < t.rc2) {
		*force = [6]float64{}
		if r2 >= t.rc2 {
			return 0
		}
		return r2 // NaN
	}
	ir2 := 1 / r2
	ir4 := ir2 * ir2
	s6 := float64(t.sig2*ir2) * float64(t.sig4*ir4)
	f := float64(s6*ir2) * (float64(t.eps48*s6) - t.eps24)
	fx, fy, fz := float64(f*dx), float64(f*dy), float64(f*dz)
	force[0], force[1], force[2] = -fx, -fy, -fz
	force[3], force[4], force[5] = fx, fy, fz
	return float64(t.eps4*s6*(s6-1)) - t.eshift
}

// Compute makes a lone lj term its own Potential (New returns it directly):
// for the LJ pair, the system wepy's examples and wepipe's benchmarks run
// millions of times, it writes the two forces instead of clearing and
// accumulating.
func (t *lj) Compute(pos, force []float64) float64 {
	if t.n == 2 && t.pairs == nil && len(pos) == 6 && len(force) == 6 {
		return t.pair2((*[6]float64)(pos), (*[6]float64)(force))
	}
	clear(force)
	return t.add(pos, force)
}

func (t *lj) add(pos, force []float64) float64 {
	var e float64
	if t.pairs != nil {
		for k := 0; k+1 < len(t.pairs); k += 2 {
			e += t.pair(pos, force, t.pairs[k], t.pairs[k+1])
		}
		return e
	}
	for i := 0; i < t.n; i++ {
		for j := i + 1; j < t.n; j++ {
			e += t.pair(pos, force, i, j)
		}
	}
	return e
}
