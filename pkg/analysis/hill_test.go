package analysis_test

import (
	"context"
	"math"
	"testing"

	"github.com/wepipe/wepipe/pkg/analysis"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/observable"
	"github.com/wepipe/wepipe/pkg/potential"
	"github.com/wepipe/wepipe/pkg/resample"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/warp"
)

// exactMFPT is the mean first-passage time of overdamped (Smoluchowski)
// diffusion from x0 to an absorbing point b with a reflecting wall far to
// the left (Gardiner, "Handbook of Stochastic Methods", §5.2.7):
//
//	T(x0→b) = (1/D) ∫_{x0}^{b} dy e^{βU(y)} ∫_{lo}^{y} dz e^{−βU(z)}
//
// evaluated with the trapezoidal rule on a fine grid.
func exactMFPT(U func(float64) float64, beta, D, lo, x0, b float64) float64 {
	const n = 200000
	h := (b - lo) / n
	var inner, T float64
	prevF := math.Exp(-beta * U(lo))
	for i := 1; i <= n; i++ {
		y := lo + float64(i)*h
		f := math.Exp(-beta * U(y))
		inner += 0.5 * h * (prevF + f)
		prevF = f
		if y > x0 {
			T += h * math.Exp(beta*U(y)) * inner
		}
	}
	return T / D
}

// TestHillRelation runs binned weighted ensemble with warping on the
// double well in the overdamped limit and checks that the steady-state
// flux into the target, through the Hill relation 1/MFPT = flux, matches
// the exact MFPT from the 1D integral formula.
func TestHillRelation(t *testing.T) {
	if testing.Short() {
		t.Skip("long physics test")
	}
	const (
		h, a, k = 10.0, 0.5, 100.0 // ARCHITECTURE.md §6 double well
		mass    = 10.0
		temp    = 300.0
		// γ = 100/ps: barrier frequency ω_b = sqrt(4h/a²/m) = 4/ps, so
		// Kramers' moderate-to-high friction rate is within
		// (sqrt(γ²/4+ω_b²) − γ/2)/(ω_b²/γ) − 1 ≈ −0.06 % of the
		// Smoluchowski (overdamped) rate the formula describes.
		gamma = 100.0
		dt    = 0.002
		// The target is past the barrier, in the product well: warping is
		// checked at the end of each cycle only, so a walker that touched
		// the barrier top and fell back within the cycle would be missed
		// (at x = 0 half of them are). From x ≥ 0.3 nm, 1.6 kT below the
		// top, few return within one short cycle.
		b   = 0.3
		tau = 2.0 // ps of dynamics per cycle
	)
	beta := 1 / (engine.Boltzmann * temp)
	D := engine.Boltzmann * temp / (mass * gamma)
	U := func(x float64) float64 { q := x/a*x/a - 1; return h * q * q }
	exact := exactMFPT(U, beta, D, -3*a, -a, b)

	pot := []potential.Term{{Type: "double-well", Params: map[string]float64{"h": h, "a": a, "k": k}}}
	obs, err := observable.Compile([]observable.Spec{{Name: "x", Type: "coord", Atoms: []int{0}, Axis: 0}}, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	sys := &engine.System{
		Masses:       []float64{mass},
		NewPotential: func() (potential.Potential, error) { return potential.New(pot, 1, nil) },
		Temperature:  temp, Friction: gamma, Timestep: dt,
		Observables: obs,
	}
	start := engine.State{Positions: []float64{-a, 0, 0}, Velocities: []float64{0, 0, 0}, Obs: []float64{-a}}
	copyState := func(s engine.State) engine.State {
		s.Positions = append([]float64(nil), s.Positions...)
		s.Velocities = append([]float64(nil), s.Velocities...)
		s.Obs = append([]float64(nil), s.Obs...)
		return s
	}
	// Bins cover the climb from the well to the target.
	rs := resample.Binned{Edges: [][]float64{{-0.6, -0.5, -0.4, -0.3, -0.25, -0.2, -0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.2}}, PerBin: 4}
	cond, _ := warp.Parse("x>=0.3")

	const nw = 16
	walkers := make([]engine.State, nw)
	weights := make([]float64, nw)
	for i := range walkers {
		walkers[i] = copyState(start)
		weights[i] = 1.0 / nw
	}
	const burn, cycles = 300, 2000
	var perCycle []float64
	var key [32]byte
	for c := 0; c < burn+cycles; c++ {
		key[0], key[1] = byte(c), byte(c>>8)
		for i := range walkers {
			r := rng.NewKey("hill-test", key, uint64(i), 1)
			out, _, err := engine.Langevin{}.Propagate(context.Background(), sys, walkers[i], engine.Request{Walker: i, Steps: int(tau / dt), Rand: r})
			if err != nil {
				t.Fatal(err)
			}
			walkers[i] = out
		}
		var warped float64
		obsMaps := make([]map[string]float64, len(walkers))
		for i, w := range walkers {
			obsMaps[i] = map[string]float64{"x": w.Obs[0]}
		}
		hits, err := warp.Apply(obsMaps, []warp.Cond{cond}, []float64{1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, hit := range hits {
			warped += weights[hit.Walker]
			walkers[hit.Walker] = copyState(start)
		}
		if c >= burn {
			perCycle = append(perCycle, warped)
		}
		in := make([]resample.Walker, len(walkers))
		for i, w := range walkers {
			in[i] = resample.Walker{Weight: weights[i], Image: []float64{w.Obs[0]}}
		}
		res, err := rs.Resample(in, nil, rng.NewKey("hill-test/resample", key, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		next := make([]engine.State, len(res.Walkers))
		weights = weights[:0]
		var sum float64
		for i, o := range res.Walkers {
			next[i] = copyState(walkers[o.Parent])
			weights = append(weights, o.Weight)
			sum += o.Weight
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("cycle %d: Σw = %.17g", c, sum)
		}
		walkers = next
	}
	// Flux per cycle is autocorrelated over a few cycles; estimate the
	// standard error from block averages of 50 cycles.
	const block = 100
	var means []float64
	for i := 0; i+block <= len(perCycle); i += block {
		means = append(means, analysis.FluxFrom(perCycle[i:i+block], tau).Rate)
	}
	est := analysis.FluxFrom(means, 1) // mean and standard error of the block rates
	rate := est.PerCycle
	se := est.StdErr
	want := 1 / exact
	t.Logf("exact MFPT %.4g ps (rate %.4g/ps); WE rate %.4g ± %.2g /ps (MFPT %.4g ps) over %d cycles", exact, want, rate, se, 1/rate, cycles)
	// Four standard errors of the block estimate plus 3 % for the
	// remaining systematic errors (finite γ: 0.06 %; time step; the
	// steady state not quite reached after the burn-in).
	if d := math.Abs(rate - want); d > 4*se+0.03*want {
		t.Errorf("WE rate %.4g ± %.2g /ps, exact %.4g /ps: off by %.1f standard errors", rate, se, want, d/se)
	}
}
