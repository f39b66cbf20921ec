package engine

import (
	"context"
	"fmt"
	"math"

	"github.com/wepipe/wepipe/pkg/fmath"
)

// Langevin is the built-in Langevin integrator, BAOAB splitting
// (Leimkuhler & Matthews, "Rational construction of stochastic numerical
// methods for molecular sampling", Appl. Math. Res. Express 2013, 34–56),
// the scheme of OpenMM's LangevinMiddleIntegrator. One step of length Δt:
//
//	B  v ← v + (Δt/2) F(x)/m
//	A  x ← x + (Δt/2) v
//	O  v ← c₁ v + c₂ ξ,   c₁ = e^(−γΔt),  c₂ = sqrt((1 − c₁²) k_B T/m)
//	A  x ← x + (Δt/2) v
//	B  v ← v + (Δt/2) F(x)/m
//
// with ξ standard normal deviates drawn from Request.Rand in coordinate
// order (x₀, y₀, z₀, x₁, …), 3n per step. BAOAB samples configurations
// with error O(Δt²) in general and exactly for harmonic forces, and is
// the method of choice for configurational averages. Friction 0 (or
// temperature 0) draws no deviates; friction 0 is velocity Verlet.
//
// The forces at the input positions are computed afresh at the start of
// every call, so for potentials without internal state (everything but
// lj-cut) propagating s₁ then s₂ steps gives bit for bit the state of
// propagating s₁ + s₂ steps with the same stream. lj-cut renumbers its
// atoms at each neighbour-list build, which changes the order of its sums
// and so the last bits; a call is still a pure function of its input.
//
// The energy is checked every step: a non-finite energy (non-finite or
// exploded coordinates, overlapping atoms) fails the call with
// "walker W: step S: non-finite coordinates (time step too large?)";
// positions and velocities are checked every 1000 steps, at frames and at
// the end, and ctx every 1000 steps.
type Langevin struct{}

// checkEvery is the interval (steps) of the cancellation and full
// finiteness checks.
const checkEvery = 1000

func (Langevin) Propagate(ctx context.Context, sys *System, in State, req Request) (State, []Frame, error) {
	w := req.Walker
	if err := validate(sys, in, req); err != nil {
		return State{}, nil, fmt.Errorf("walker %d: %w", w, err)
	}
	n := len(sys.Masses)
	pot, err := sys.NewPotential()
	if err != nil {
		return State{}, nil, fmt.Errorf("walker %d: %w", w, err)
	}
	x := append([]float64(nil), in.Positions...)
	v := make([]float64, 3*n)
	copy(v, in.Velocities)
	f := make([]float64, 3*n)
	nonFinite := func(step uint64) error {
		return fmt.Errorf("walker %d: step %d: non-finite coordinates (time step too large?)", w, step)
	}
	if !allFinite(x) || !allFinite(v) {
		return State{}, nil, nonFinite(in.Step)
	}
	e := pot.Compute(x, f)
	if !finite(e) {
		return State{}, nil, nonFinite(in.Step)
	}

	dt := sys.Timestep
	hdt := dt / 2
	kT := Boltzmann * sys.Temperature
	// fmath.Exp, not math.Exp: the same bits on every machine.
	c1 := fmath.Exp(-sys.Friction * dt)
	noise := sys.Friction > 0 && kT > 0
	// Per-coordinate constants: Δt/(2m) for B, c₂ for O.
	hm := make([]float64, 3*n)
	c2 := make([]float64, 3*n)
	for i, m := range sys.Masses {
		for k := 0; k < 3; k++ {
			hm[3*i+k] = hdt / m
			// 1 − c₁² loses ~log₁₀(1/(2γΔt)) digits to cancellation,
			// harmless in a noise amplitude.
			c2[3*i+k] = math.Sqrt((1 - float64(c1*c1)) * kT / m)
		}
	}
	var frames []Frame
	nextFrame, k := 0, 1
	if req.Frames > 0 {
		frames = make([]Frame, 0, req.Frames)
		nextFrame = req.Steps / req.Frames
	}
	r := req.Rand
	// The step's 3n normal deviates, drawn at once in coordinate order
	// (the same values Normal would give one by one).
	g := make([]float64, len(x))
	g = g[:len(x)]
	hm = hm[:len(x)]
	c2 = c2[:len(x)]
	v = v[:len(x)]
	f = f[:len(x)]
	for s := 1; s <= req.Steps; s++ {
		// Products are rounded explicitly (float64(…)) so that no build
		// fuses them with the sums into FMA instructions: the trajectory
		// must not depend on the machine (see geom.Dot). The B closing
		// step s−1 is done at the start of step s, and the hot stochastic
		// case runs B B A O A in a single pass: the same operations on
		// each coordinate in the same order as separate passes, so the
		// same bits, with less loop overhead for small systems.
		if noise {
			r.FillNormal(g)
		}
		if noise && s > 1 {
			for i := range x { // B (step s−1), B A O A, in registers
				kick := float64(hm[i] * f[i])
				vi := v[i] + kick
				vi += kick
				xi := x[i] + float64(hdt*vi)
				vi = float64(c1*vi) + float64(c2[i]*g[i])
				x[i] = xi + float64(hdt*vi)
				v[i] = vi
			}
		} else {
			if s == 1 {
				for i := range x { // B A
					v[i] += float64(hm[i] * f[i])
					x[i] += float64(hdt * v[i])
				}
			} else {
				for i := range x { // B (step s−1), B A
					v[i] += float64(hm[i] * f[i])
					v[i] += float64(hm[i] * f[i])
					x[i] += float64(hdt * v[i])
				}
			}
			switch {
			case noise: // O A
				for i := range x {
					v[i] = float64(c1*v[i]) + float64(c2[i]*g[i])
					x[i] += float64(hdt * v[i])
				}
			case c1 != 1: // O without noise (T = 0), A
				for i := range x {
					v[i] *= c1
					x[i] += float64(hdt * v[i])
				}
			default: // A
				for i := range x {
					x[i] += float64(hdt * v[i])
				}
			}
		}
		e = pot.Compute(x, f)
		step := in.Step + uint64(s)
		if !finite(e) {
			return State{}, nil, nonFinite(step)
		}
		if s%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return State{}, nil, fmt.Errorf("walker %d: step %d: %w", w, step, err)
			}
			// v lacks the closing half kick here; finiteness is all
			// that is checked.
			if !allFinite(x) || !allFinite(v) {
				return State{}, nil, nonFinite(step)
			}
		}
		if s == nextFrame {
			if !allFinite(x) {
				return State{}, nil, nonFinite(step)
			}
			fr := Frame{Step: step, Time: in.Time + float64(s)*dt, Positions: append([]float64(nil), x...)}
			fr.Obs = evalObs(sys, x)
			frames = append(frames, fr)
			k++
			nextFrame = k * req.Steps / req.Frames
			if k > req.Frames {
				nextFrame = 0
			}
		}
	}
	if req.Steps > 0 {
		for i := range v { // B closing the last step
			v[i] += float64(hm[i] * f[i])
		}
	}
	end := in.Step + uint64(req.Steps)
	if !allFinite(x) || !allFinite(v) {
		return State{}, nil, nonFinite(end)
	}
	out := State{
		Positions:  x,
		Velocities: v,
		Time:       in.Time + float64(req.Steps)*dt,
		Step:       end,
		Potential:  e,
		Kinetic:    Kinetic(sys.Masses, v),
	}
	switch {
	case in.Box != nil:
		out.Box = append([]float64(nil), in.Box...)
	case sys.Box != nil:
		out.Box = append([]float64(nil), sys.Box...)
	}
	out.Obs = evalObs(sys, x)
	return out, frames, nil
}

// evalObs returns the system's observables at x, nil without any.
func evalObs(sys *System, x []float64) []float64 {
	if sys.Observables == nil {
		return nil
	}
	out := make([]float64, sys.Observables.Len())
	sys.Observables.Eval(x, out)
	return out
}

func finite(e float64) bool { return e-e == 0 }

func allFinite(x []float64) bool {
	var s float64
	for _, v := range x {
		s += v - v // NaN for NaN and ±Inf, else 0
	}
	return s == 0
}

func validate(sys *System, in State, req Request) error {
	if sys == nil {
		return fmt.Errorf("nil system")
	}
	n := len(sys.Masses)
	if n == 0 {
		return fmt.Errorf("system has no atoms")
	}
	for i, m := range sys.Masses {
		if !(m > 0) || !finite(m) {
			return fmt.Errorf("mass of atom %d is %v, want finite > 0", i, m)
		}
	}
	if sys.NewPotential == nil {
		return fmt.Errorf("system has no potential")
	}
	if !(sys.Timestep > 0) || !finite(sys.Timestep) {
		return fmt.Errorf("time step %v ps, want finite > 0", sys.Timestep)
	}
	if !(sys.Temperature >= 0) || !finite(sys.Temperature) {
		return fmt.Errorf("temperature %v K, want finite ≥ 0", sys.Temperature)
	}
	if !(sys.Friction >= 0) || !finite(sys.Friction) {
		return fmt.Errorf("friction %v /ps, want finite ≥ 0", sys.Friction)
	}
	if len(in.Positions) != 3*n {
		return fmt.Errorf("state has %d coordinates for %d atoms", len(in.Positions), n)
	}
	if in.Velocities != nil && len(in.Velocities) != 3*n {
		return fmt.Errorf("state has %d velocity components for %d atoms", len(in.Velocities), n)
	}
	if sys.Observables != nil && sys.Observables.NumAtoms() != n {
		return fmt.Errorf("observables compiled for %d atoms, system has %d", sys.Observables.NumAtoms(), n)
	}
	if req.Steps < 0 {
		return fmt.Errorf("%d steps", req.Steps)
	}
	if req.Frames < 0 || req.Frames > req.Steps {
		return fmt.Errorf("%d frames for %d steps, want 0 to steps", req.Frames, req.Steps)
	}
	if req.Rand == nil && sys.Friction > 0 && sys.Temperature > 0 {
		return fmt.Errorf("no random stream for a stochastic integrator")
	}
	return nil
}
