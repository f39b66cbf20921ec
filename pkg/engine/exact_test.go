package engine

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/wepipe/wepipe/pkg/fmath"
	"github.com/wepipe/wepipe/pkg/potential"
)

// Tests against results that hold exactly for the BAOAB discretisation
// (not only as Δt → 0), on many independent particles at once: free
// particles (the Ornstein–Uhlenbeck velocity process) and harmonic
// oscillators. Each atom is an independent sample, so the standard errors
// follow from the exact distributions (or from the spread over atoms)
// without any model of the time correlation. Every statistic is a z score
// that is standard normal for a correct integrator; |z| > zExact has
// probability 6.8e-6, so the ~40 scores below fail a correct integrator
// with probability < 3e-4 whatever the seed.
const zExact = 4.5

// freeParticles is a zero potential: n independent free particles.
type freeParticles struct{}

func (freeParticles) Compute(_, force []float64) float64 {
	clear(force)
	return 0
}

// unequalMasses returns n masses cycling through 1, 10 and 100 amu.
func unequalMasses(n int) []float64 {
	m := make([]float64, n)
	for i := range m {
		m[i] = []float64{1, 10, 100}[i%3]
	}
	return m
}

// baoabFreeMSD is the exact mean-squared displacement per coordinate after
// L steps of BAOAB for a free particle in equilibrium, σ² = kT/m. With
// F = 0 the B steps do nothing and the step is
//
//	x ← x + (Δt/2)vₙ,  vₙ₊₁ = c vₙ + c₂ξ,  x ← x + (Δt/2)vₙ₊₁,
//
// so x_L − x₀ = (Δt/2) Σₙ₌₀^{L−1} (vₙ + vₙ₊₁) with Cov(vᵢ, vⱼ) = σ² c^|i−j|:
//
//	MSD(L) = σ²(Δt/2)² Σ_{k=−(L−1)}^{L−1} (L − |k|)(2c^|k| + c^|k+1| + c^|k−1|).
//
// For L → ∞ this is 2·D_BAOAB·LΔt − const with D_BAOAB = (kT/m)(Δt/2)
// coth(γΔt/2) = kT/(mγ)·(1 + (γΔt)²/12 + …): the continuum Einstein value
// up to the trapezoidal rule's error in x.
func baoabFreeMSD(sigma2, c, dt float64, L int) float64 {
	var s float64
	for k := -(L - 1); k <= L-1; k++ {
		a := func(j int) float64 { return math.Pow(c, math.Abs(float64(j))) }
		s += float64(L-absInt(k)) * (2*a(k) + a(k+1) + a(k-1))
	}
	return sigma2 * dt * dt / 4 * s
}

func absInt(k int) int {
	if k < 0 {
		return -k
	}
	return k
}

// TestFreeParticleKinetics checks the dynamics of the thermostat, which
// no equilibrium average can see (friction does not change the Boltzmann
// distribution). For a free particle BAOAB's O step is the exact
// Ornstein–Uhlenbeck propagator, vₙ₊₁ = c₁vₙ + c₂ξ with c₁ = e^(−γΔt), so
// the velocity autocorrelation is exactly the continuum one,
//
//	⟨v(0)v(t)⟩ = (kT/m) e^(−γt),  t = LΔt,
//
// and the displacement has the exact variance baoabFreeMSD (diffusion
// D = kT/(mγ) up to 1 + (γΔt)²/12 = 1 + 3e-5 here).
//
// 12000 free atoms, masses 1, 10, 100 amu (4000 each, 12000 coordinates
// per class), 300 K, γ = 10/ps, Δt = 2 fs, stream
// stream("TestFreeParticleKinetics", 0). From rest, 1000 steps (γt = 20)
// leave a velocity variance (kT/m)(1 − e^(−40)): equilibrium. Then, at
// lags L = 25, 50, 100, 200 and 1000 steps (γt = 0.5 … 20), for each
// mass class of N = 12000 coordinates:
//
//   - the regression R = Σv₀v_L / Σv₀² of the velocity on its start:
//     given v₀, v_L = c₁^L v₀ + η with η normal of variance
//     (kT/m)(1 − c₁^{2L}), so R − c₁^L is exactly normal with standard
//     error sqrt((kT/m)(1 − c₁^{2L}) / Σv₀²) ≈ 0.009 at γt = 1, where
//     c₁^L = 0.37: a friction off by 10 % moves R by 4 SE per class, a
//     doubled one (0.14) by 27;
//   - the MSD, a mean of N squared normals of variance MSD(L): standard
//     error MSD(L)·sqrt(2/N) = 1.3 %; a doubled friction halves D.
//
// At the start, m⟨v²⟩/kT = 1 with standard error sqrt(2/N) checks
// per-atom equipartition for unequal masses (an atom given another atom's
// mass is off by a factor 10 or 100).
func TestFreeParticleKinetics(t *testing.T) {
	statistical(t)
	const (
		n        = 12000
		temp     = 300.0
		gamma    = 10.0
		dt       = 0.002
		burn     = 1000
		classes  = 3
		perClass = 3 * n / classes // coordinates per mass class
	)
	masses := unequalMasses(n)
	sys := &System{
		Masses:       masses,
		NewPotential: func() (potential.Potential, error) { return freeParticles{}, nil },
		Temperature:  temp, Friction: gamma, Timestep: dt,
	}
	kT := Boltzmann * temp
	c1 := fmath.Exp(-gamma * dt)
	r := stream(t.Name(), 0)
	ctx := context.Background()
	st, _, err := Langevin{}.Propagate(ctx, sys, State{Positions: make([]float64, 3*n)}, Request{Steps: burn, Rand: r})
	if err != nil {
		t.Fatal(err)
	}
	x0 := append([]float64(nil), st.Positions...)
	v0 := append([]float64(nil), st.Velocities...)

	var maxZ float64
	score := func(label string, got, want, se float64) {
		z := (got - want) / se
		t.Logf("%-32s %10.5g, exact %10.5g, SE %.2g, z %+.2f", label, got, want, se, z)
		maxZ = math.Max(maxZ, math.Abs(z))
		if math.Abs(z) > zExact {
			t.Errorf("%s = %.5g, exact %.5g: z = %+.2f (limit ±%v)", label, got, want, z, zExact)
		}
	}
	// sum adds f(i, m) over the coordinates i of the atoms of mass class c.
	sum := func(c int, f func(i int, m float64) float64) float64 {
		var s float64
		for a := c; a < n; a += classes {
			for k := 0; k < 3; k++ {
				s += f(3*a+k, masses[a])
			}
		}
		return s
	}
	for c := range classes {
		m := masses[c]
		eq := sum(c, func(i int, m float64) float64 { return m * v0[i] * v0[i] / kT }) / perClass
		score(fmt.Sprintf("m=%g: m⟨v²⟩/kT", m), eq, 1-math.Pow(float64(c1), 2*burn), math.Sqrt(2.0/perClass))
	}
	done := 0
	for _, L := range []int{25, 50, 100, 200, 1000} {
		st, _, err = Langevin{}.Propagate(ctx, sys, st, Request{Steps: L - done, Rand: r})
		if err != nil {
			t.Fatal(err)
		}
		done = L
		v, x := st.Velocities, st.Positions
		cL := math.Pow(float64(c1), float64(L))
		for c := range classes {
			m := masses[c]
			s2 := kT / m
			vv := sum(c, func(i int, _ float64) float64 { return v0[i] * v[i] })
			v00 := sum(c, func(i int, _ float64) float64 { return v0[i] * v0[i] })
			score(fmt.Sprintf("m=%g, γt=%g: R", m, gamma*float64(L)*dt), vv/v00, cL, math.Sqrt(s2*(1-cL*cL)/v00))
			msd := sum(c, func(i int, _ float64) float64 { return sq(x[i] - x0[i]) }) / perClass
			want := baoabFreeMSD(s2, float64(c1), dt, L)
			score(fmt.Sprintf("m=%g, γt=%g: MSD (nm²)", m, gamma*float64(L)*dt), msd, want, want*math.Sqrt(2.0/perClass))
		}
	}
	t.Logf("max |z| = %.2f", maxZ)
}

// TestHarmonicEquipartition checks per-atom equipartition for unequal
// masses with forces acting, against BAOAB's exact stationary averages for
// a harmonic oscillator U = ½k|x|², ω² = k/m (Leimkuhler & Matthews 2013,
// cited on Langevin: configurations are sampled exactly, the on-step
// velocities with a known bias):
//
//	⟨½k x²⟩ = ½kT,   ⟨½m v²⟩ = ½kT (1 − (ωΔt)²/4)   per coordinate.
//
// 6000 independent oscillators (harmonic-position, k = 10⁴ kJ/mol/nm²),
// masses 1, 10, 100 amu (2000 each): ωΔt = 0.2, 0.063, 0.02, a kinetic
// bias of 1 %, 0.1 % and 0.01 % that the test resolves for the lightest
// atoms. 300 K, γ = 20/ps (energy relaxes in ~1/γ = 25 steps; the
// heaviest, ω = 10/ps, are critically damped), Δt = 2 fs, stream
// stream("TestHarmonicEquipartition", 0), 1000 steps of burn-in
// (≥ 20 relaxation times), then 200 samples 50 steps apart. The per-atom
// time averages of ½m|v|² and ½k|x|² are independent between atoms, so
// the standard error of their class mean is the spread over the 2000
// atoms/√2000, ≈ 0.15 % of (3/2)kT; zExact standard errors as above. An
// atom integrated with another atom's mass has a kinetic energy off by a
// factor 10 or 100; splittings other than BAOAB (e.g. ABOBA, whose
// ⟨x²⟩ is (kT/k)/(1 − (ωΔt)²/4)) miss the exact values by 1 % (7 SE) for
// the lightest atoms.
func TestHarmonicEquipartition(t *testing.T) {
	statistical(t)
	const (
		n       = 6000
		temp    = 300.0
		k       = 1e4
		gamma   = 20.0
		dt      = 0.002
		burn    = 1000
		samples = 200
		spacing = 50
		classes = 3
	)
	masses := unequalMasses(n)
	terms := []potential.Term{{Type: "harmonic-position", Params: map[string]float64{"k": k, "x0": 0, "y0": 0, "z0": 0}}}
	sys := &System{
		Masses:       masses,
		NewPotential: factory(terms, n, nil),
		Temperature:  temp, Friction: gamma, Timestep: dt,
	}
	kT := Boltzmann * temp
	r := stream(t.Name(), 0)
	ctx := context.Background()
	st, _, err := Langevin{}.Propagate(ctx, sys, State{Positions: make([]float64, 3*n)}, Request{Steps: burn, Rand: r})
	if err != nil {
		t.Fatal(err)
	}
	ke := make([]float64, n) // per-atom time averages, in units of (3/2)kT
	pe := make([]float64, n)
	for s := 0; s < samples; s++ {
		st, _, err = Langevin{}.Propagate(ctx, sys, st, Request{Steps: spacing, Rand: r})
		if err != nil {
			t.Fatal(err)
		}
		for a := range n {
			var v2, x2 float64
			for c := 0; c < 3; c++ {
				v2 += sq(st.Velocities[3*a+c])
				x2 += sq(st.Positions[3*a+c])
			}
			ke[a] += 0.5 * masses[a] * v2 / (1.5 * kT) / samples
			pe[a] += 0.5 * k * x2 / (1.5 * kT) / samples
		}
	}
	for c := range classes {
		m := masses[c]
		var kc, pc []float64
		for a := c; a < n; a += classes {
			kc = append(kc, ke[a])
			pc = append(pc, pe[a])
		}
		wdt := math.Sqrt(k/m) * dt
		for _, q := range []struct {
			name string
			x    []float64
			want float64
		}{
			{"⟨½m|v|²⟩/(3/2 kT)", kc, 1 - wdt*wdt/4},
			{"⟨½k|x|²⟩/(3/2 kT)", pc, 1},
		} {
			mean, se := meanSE(q.x)
			z := (mean - q.want) / se
			t.Logf("m=%-3g ωΔt=%.3f %s = %.5f ± %.5f, exact %.5f, z %+.2f", m, wdt, q.name, mean, se, q.want, z)
			if math.Abs(z) > zExact {
				t.Errorf("m=%g: %s = %.5f ± %.5f, exact %.5f: z = %+.2f (limit ±%v)", m, q.name, mean, se, q.want, z, zExact)
			}
		}
	}
}
