package engine

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/wepipe/wepipe/pkg/potential"
)

// Statistical tests. Each runs M independent replicas (own seeds, fixed,
// so that the test is deterministic) and estimates the standard error of
// every average from the spread between replicas, which accounts for the
// time correlation within a trajectory without having to model it. With
// M = 32 replicas a standardised deviation z = (mean − expected)/SE
// follows Student's t with 31 degrees of freedom; |t₃₁| > 4.5 has
// probability 9e-5, so requiring max |z| < 4.5 over ~30 bins fails a
// correct integrator with probability ~0.3% for a random seed, and the
// mean of z², whose expectation is 31/29 ≈ 1.07, must stay below 2
// (a gross but smooth bias inflates it long before any single bin fails).
const (
	replicas = 32
	zMax     = 4.5
	z2Max    = 2.0
)

// statistical skips a long, single-threaded statistical test in -short
// mode. scripts/test.sh runs every test without -short, and then the
// package again with -race -short: the race detector has nothing to find
// in these tests and would make them take minutes.
func statistical(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("long single-threaded statistical test: skipped by -short (the race detector's run); the full run executes it")
	}
}

// binProbs integrates the unnormalised density rho over the bins
// [lo + k·w, lo + (k+1)·w] by Simpson's rule (400 panels per bin, error
// ≪ 1e-9) and normalises by its integral over [zlo, zhi].
func binProbs(rho func(float64) float64, lo, w float64, nbins int, zlo, zhi float64) []float64 {
	simpson := func(a, b float64) float64 {
		const m = 400
		h := (b - a) / m
		s := rho(a) + rho(b)
		for i := 1; i < m; i++ {
			c := 2.0
			if i%2 == 1 {
				c = 4
			}
			s += c * rho(a+float64(i)*h)
		}
		return s * h / 3
	}
	var z float64
	const parts = 200
	for i := 0; i < parts; i++ {
		a := zlo + (zhi-zlo)*float64(i)/parts
		z += simpson(a, a+(zhi-zlo)/parts)
	}
	p := make([]float64, nbins)
	for k := range p {
		p[k] = simpson(lo+float64(k)*w, lo+float64(k+1)*w) / z
	}
	return p
}

// histogramTest runs the replicas, histograms the observable obs into the
// bins and compares the replica-averaged fractions with want.
//
// With split > 0 the bins [0, split) and [split, nb) are two metastable
// basins: a replica's occupation of the basins fluctuates slowly and
// together for all bins of a basin, which would make the bins' z strongly
// correlated. The test then checks the basin population (one z) and the
// shape within each basin (each basin's bins normalised to 1) separately.
func histogramTest(t *testing.T, mk func(testing.TB) (*System, State), replicaStart func(k int, st *State),
	burn, chunks, chunk int, lo, w float64, want []float64, split int) {
	t.Helper()
	ctx := context.Background()
	frac := make([][]float64, replicas)
	for k := 0; k < replicas; k++ {
		sys, st := mk(t)
		replicaStart(k, &st)
		r := stream(t.Name(), uint64(k))
		st, _, err := Langevin{}.Propagate(ctx, sys, st, Request{Walker: k, Steps: burn, Rand: r})
		if err != nil {
			t.Fatal(err)
		}
		h := make([]float64, len(want))
		var total float64
		for c := 0; c < chunks; c++ {
			var fr []Frame
			st, fr, err = Langevin{}.Propagate(ctx, sys, st, Request{Walker: k, Steps: chunk, Frames: chunk / 10, Rand: r})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fr {
				total++
				if b := int(math.Floor((f.Obs[0] - lo) / w)); b >= 0 && b < len(h) {
					h[b]++
				}
			}
		}
		for b := range h {
			h[b] /= total
		}
		frac[k] = h
	}
	var zs []float64
	check := func(label string, value func(k int) float64, expected float64) {
		var m, v float64
		for k := 0; k < replicas; k++ {
			m += value(k) / replicas
		}
		for k := 0; k < replicas; k++ {
			v += sq(value(k) - m)
		}
		se := math.Sqrt(v / (replicas - 1) / replicas)
		z := (m - expected) / se
		t.Logf("%s: %.5f ± %.5f, Boltzmann %.5f, z %+.2f", label, m, se, expected, z)
		zs = append(zs, z)
	}
	sum := func(x []float64) (s float64) {
		for _, v := range x {
			s += v
		}
		return s
	}
	parts := [][2]int{{0, len(want)}}
	if split > 0 {
		parts = [][2]int{{0, split}, {split, len(want)}}
		check("population of the first basin", func(k int) float64 { return sum(frac[k][:split]) }, sum(want[:split]))
	}
	for _, pr := range parts {
		a, b := pr[0], pr[1]
		pw := sum(want[a:b])
		for bin := a; bin < b; bin++ {
			check(fmt.Sprintf("bin %2d [%.3f, %.3f)", bin, lo+float64(bin)*w, lo+float64(bin+1)*w),
				func(k int) float64 { return frac[k][bin] / sum(frac[k][a:b]) }, want[bin]/pw)
		}
	}
	var maxZ, sumZ2 float64
	for _, z := range zs {
		maxZ = math.Max(maxZ, math.Abs(z))
		sumZ2 += z * z
	}
	meanZ2 := sumZ2 / float64(len(zs))
	t.Logf("max |z| = %.2f, mean z² = %.2f over %d statistics", maxZ, meanZ2, len(zs))
	if maxZ > zMax || meanZ2 > z2Max {
		t.Errorf("histogram inconsistent with Boltzmann: max |z| = %.2f (limit %v), mean z² = %.2f (limit %v)", maxZ, zMax, meanZ2, z2Max)
	}
}

// TestDoubleWellMarginal: the x-marginal of the double well is
// ∝ exp(−h((x/a)² − 1)²/kT) (y and z separate). Half the replicas start
// in each well so that the slow hopping (Kramers rate ≈ 0.007/ps) biases
// neither well. BAOAB's O(Δt²) configurational error at ωΔt ≈ 0.011 is
// far below the statistical resolution.
func TestDoubleWellMarginal(t *testing.T) {
	statistical(t)
	const h, a = 10.0, 0.5
	kT := Boltzmann * 300
	rho := func(x float64) float64 { q := x*x/(a*a) - 1; return math.Exp(-h * q * q / kT) }
	const lo, w, nb = -0.8, 0.05, 32
	want := binProbs(rho, lo, w, nb, -2, 2)
	histogramTest(t, doubleWell, func(k int, st *State) {
		if k%2 == 1 {
			st.Positions[0] = a
		}
	}, 5000, 20, 50000, lo, w, want, nb/2)
}

// TestLJPairDistance: the distance r of the bound LJ pair is distributed
// ∝ r² exp(−U(r)/kT) (the centre of mass moves freely). At 300 K,
// ε = 16.8 kT: dissociation has probability ~e^-16 over the run, so the
// density restricted to r < 0.6 nm is the bound one.
func TestLJPairDistance(t *testing.T) {
	statistical(t)
	kT := Boltzmann * 300
	u := func(r float64) float64 { s6 := math.Pow(ljSigma/r, 6); return 4 * ljEps * s6 * (s6 - 1) }
	rho := func(r float64) float64 { return r * r * math.Exp(-(u(r)+ljEps)/kT) }
	const lo, w, nb = 0.34, 0.005, 28
	want := binProbs(rho, lo, w, nb, 0.25, 0.6)
	histogramTest(t, ljPair, func(int, *State) {}, 5000, 10, 20000, lo, w, want, 0)
}

// TestEquipartition: ⟨KE⟩ = (3/2) N kT. Replica means of the kinetic
// energy at the end of short propagations (spaced ≥ 1/γ apart) are
// compared with their standard error (zMax, as above: |t| > 4.5 has
// probability 9e-5 for 31 and 4e-4 for 15 degrees of freedom). BAOAB's
// on-step velocities carry an O((ωΔt)²) bias, ≤ 0.1% for the stiffest
// mode here (the LJ pair, ωΔt = 0.065), which the tolerance adds. The
// fluid's replicas start from one state equilibrated for 10 ps (20 τ of
// the thermostat), then decorrelate for 2 ps under their own noise.
func TestEquipartition(t *testing.T) {
	statistical(t)
	ctx := context.Background()
	fluid := func(tb testing.TB) (*System, State) {
		sys, st := ljFluid(tb, 256)
		st, _, err := Langevin{}.Propagate(ctx, sys, st, Request{Steps: 5000, Rand: stream("equipartition-fluid", 0)})
		if err != nil {
			tb.Fatal(err)
		}
		return sys, st
	}
	for _, c := range []struct {
		name     string
		mk       func(testing.TB) (*System, State)
		T        float64
		replicas int
		burn     int
		samples  int
		spacing  int
	}{
		{"double-well", doubleWell, 300, 32, 5000, 200, 100},
		{"lj-pair", ljPair, 300, 32, 5000, 200, 500},
		{"lj-fluid", fluid, 120, 16, 1000, 10, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			sys0, st0 := c.mk(t)
			means := make([]float64, c.replicas)
			n := len(sys0.Masses)
			for k := range means {
				r := stream(t.Name(), uint64(k))
				st, _, err := Langevin{}.Propagate(ctx, sys0, st0, Request{Steps: c.burn, Rand: r})
				if err != nil {
					t.Fatal(err)
				}
				for s := 0; s < c.samples; s++ {
					st, _, err = Langevin{}.Propagate(ctx, sys0, st, Request{Steps: c.spacing, Rand: r})
					if err != nil {
						t.Fatal(err)
					}
					means[k] += st.Kinetic / float64(c.samples)
				}
			}
			m, se := meanSE(means)
			want := 1.5 * float64(n) * Boltzmann * c.T
			t.Logf("⟨KE⟩ = %.5f ± %.5f kJ/mol, (3/2)NkT = %.5f, z %+.2f", m, se, want, (m-want)/se)
			if math.Abs(m-want) > zMax*se+1e-3*want {
				t.Errorf("⟨KE⟩ = %.5f ± %.5f, want %.5f", m, se, want)
			}
		})
	}
}

// meanSE returns the mean of x and its standard error.
func meanSE(x []float64) (m, se float64) {
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var v float64
	for _, y := range x {
		v += sq(y - m)
	}
	return m, math.Sqrt(v / float64(len(x)-1) / float64(len(x)))
}

// TestEnergyConservation: with friction 0 BAOAB is velocity Verlet, which
// is symplectic: the total energy oscillates by O((ωΔt)²) around a
// constant and does not drift.
func TestEnergyConservation(t *testing.T) {
	statistical(t)
	ctx := context.Background()
	t.Run("lj-pair", func(t *testing.T) {
		sys, st := ljPair(t)
		sys.Friction = 0
		// Stretched to 0.42 nm at rest: E = U(0.42) ≈ −32 kJ/mol, a large
		// oscillation (≈ 4 kT above the minimum).
		st.Positions[3] = 0.42
		const chunks, chunk = 4000, 50
		e := make([]float64, chunks)
		for c := range e {
			var err error
			st, _, err = Langevin{}.Propagate(ctx, sys, st, Request{Steps: chunk})
			if err != nil {
				t.Fatal(err)
			}
			e[c] = st.Potential + st.Kinetic
		}
		emin, emax := minMax(e)
		first, _ := meanSE(e[:chunks/2])
		last, _ := meanSE(e[chunks/2:])
		t.Logf("E ≈ %.6f kJ/mol: range %.3g, drift %.3g over %d steps", e[0], emax-emin, last-first, chunks*chunk)
		// Velocity Verlet conserves a shadow energy; the true energy
		// oscillates by ~(ωΔt)²·ΔE/8 ≈ 0.01 kJ/mol for ωΔt ≈ 0.065 and
		// ΔE ≈ 10 kJ/mol, and averages out of the half-run means (2000
		// samples each); rounding alone would drift ~√steps·ε·|E| ≈ 1e-12.
		// Observed: 3e-7 kJ/mol. An integrator that is not symplectic
		// drifts by orders of magnitude more.
		if emax-emin > 0.05 {
			t.Errorf("energy range %v kJ/mol, want < 0.05", emax-emin)
		}
		if math.Abs(last-first) > 1e-5 {
			t.Errorf("energy drift %v kJ/mol, want < 1e-5", last-first)
		}
	})
	t.Run("lj-fluid", func(t *testing.T) {
		sys, st := ljFluid(t, 256)
		// Equilibrate at 120 K, then run NVE with the shifted potential
		// (energy continuous at rc).
		st, _, err := Langevin{}.Propagate(ctx, sys, st, Request{Steps: 2000, Rand: stream("nve", 0)})
		if err != nil {
			t.Fatal(err)
		}
		nve := *sys
		nve.Friction = 0
		_, box := potential.LatticeFluid(256, 0.8, arSigma)
		nve.NewPotential = factory([]potential.Term{{Type: "lj-cut", Params: map[string]float64{"sigma": arSigma, "epsilon": arEps, "shift": 1}}}, 256, box[:])
		var e []float64
		for c := 0; c < 20; c++ {
			st, _, err = Langevin{}.Propagate(ctx, &nve, st, Request{Steps: 250})
			if err != nil {
				t.Fatal(err)
			}
			e = append(e, st.Potential+st.Kinetic)
		}
		emin, emax := minMax(e)
		ke := 1.5 * 256 * Boltzmann * 120
		t.Logf("E ≈ %.4f kJ/mol: range %.3g (%.2g of KE) over 5000 steps", e[0], emax-emin, (emax-emin)/ke)
		// Δt = 0.002 ps is 1/1000 of the LJ time unit: fluctuations and the
		// drift from the force's jump at rc stay well below 1e-3 of KE.
		if emax-emin > 1e-3*ke {
			t.Errorf("energy range %v kJ/mol, want < %v", emax-emin, 1e-3*ke)
		}
	})
}

func minMax(x []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}
