package potential

import (
	"github.com/wepipe/wepipe/pkg/fmath"
	"github.com/wepipe/wepipe/pkg/rng"
)

// LatticeFluid returns an initial configuration for an LJ fluid: n atoms on
// a simple cubic lattice of m = ⌈n^(1/3)⌉ sites per edge filled in order
// (x slowest), in a cubic box of edge L = (n/ρ)^(1/3) with ρ = density/σ³
// (density is the reduced density ρσ³; ≤ 0 means the default 0.8). Sites
// sit at (i + ½)·L/m, each coordinate displaced by a deterministic
// uniform perturbation of at most ±2% of the lattice spacing (from an
// rng.Stream keyed by "lattice-fluid" and n), enough to break the lattice's
// symmetry and never enough to bring two atoms close.
func LatticeFluid(n int, density, sigma float64) (pos []float64, box [3]float64) {
	if density <= 0 {
		density = 0.8
	}
	if n <= 0 {
		return nil, box
	}
	// fmath.Cbrt: the same edge on every machine (math.Cbrt may be fused).
	l := fmath.Cbrt(float64(float64(float64(float64(n)*sigma)*sigma)*sigma) / density)
	m := 1
	for m*m*m < n {
		m++
	}
	a := l / float64(m)
	s := rng.NewKey("lattice-fluid", [32]byte{}, uint64(n), 0)
	pos = make([]float64, 0, 3*n)
	for i := 0; i < m && len(pos) < 3*n; i++ {
		for j := 0; j < m && len(pos) < 3*n; j++ {
			for k := 0; k < m && len(pos) < 3*n; k++ {
				for _, c := range [3]int{i, j, k} {
					pos = append(pos, (float64(c)+0.5+float64(0.04*(s.Float64()-0.5)))*a)
				}
			}
		}
	}
	return pos, [3]float64{l, l, l}
}
