package system

import (
	"fmt"
	"math"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/observable"
	"github.com/wepipe/wepipe/pkg/potential"
	"github.com/wepipe/wepipe/pkg/record"
)

// Compiled is a system record turned into what engines run.
type Compiled struct {
	Record *record.System
	Engine *engine.System
}

// Compile checks a system record's potential terms and observables and
// builds the engine's view of it. Errors name the offending term or
// observable.
func Compile(sys *record.System) (*Compiled, error) {
	n := sys.NAtoms()
	terms := make([]potential.Term, len(sys.Potential))
	for i, t := range sys.Potential {
		terms[i] = potential.Term{Type: t.Type, Params: t.Params, Atoms: t.Atoms}
	}
	box := sys.Box
	newPot := func() (potential.Potential, error) { return potential.New(terms, n, box) }
	if sys.Engine == "langevin" {
		if _, err := newPot(); err != nil {
			return nil, err // potential's errors name the term
		}
	}
	specs := make([]observable.Spec, len(sys.Obs))
	for i, o := range sys.Obs {
		specs[i] = observable.Spec{Name: o.Name, Type: o.Type, Atoms: o.Atoms, Atoms2: o.Atoms2, Axis: o.Axis,
			Masses: sys.Particles.Masses.Data, Residue: sys.Particles.Residue}
		if o.Ref != nil {
			specs[i].Ref = o.Ref.Data
		}
	}
	obs, err := observable.Compile(specs, n, box)
	if err != nil {
		return nil, fmt.Errorf("observables: %w", err)
	}
	es := &engine.System{
		Masses:       sys.Particles.Masses.Data,
		NewPotential: newPot,
		Temperature:  sys.Integrator.Temperature,
		Friction:     sys.Integrator.Friction,
		Timestep:     sys.Integrator.Timestep,
		Box:          box,
		Observables:  obs,
		Extra:        sys,
	}
	return &Compiled{Record: sys, Engine: es}, nil
}

// NewState makes a state record for positions and velocities, computing
// its energies and observables.
func (c *Compiled) NewState(pos, vel []float64, time float64, step uint64) (*record.State, error) {
	es := engine.State{Positions: pos, Velocities: vel, Box: c.Engine.Box, Time: time, Step: step}
	es.Obs = make([]float64, len(c.Record.Obs))
	c.Engine.Observables.Eval(pos, es.Obs)
	es.Kinetic = engine.Kinetic(c.Engine.Masses, vel)
	if c.Record.Engine == "langevin" {
		pot, err := c.Engine.NewPotential()
		if err != nil {
			return nil, err
		}
		es.Potential = pot.Compute(pos, make([]float64, len(pos)))
		if math.IsNaN(es.Potential) || math.IsInf(es.Potential, 0) {
			return nil, fmt.Errorf("potential energy is %v at the initial positions (overlapping atoms?)", es.Potential)
		}
	}
	return c.StateRecord(es), nil
}

// StateRecord converts an engine state into a state record.
func (c *Compiled) StateRecord(es engine.State) *record.State {
	n := len(es.Positions) / 3
	st := record.NewState()
	st.Positions = codec.NewArray(es.Positions, n, 3)
	st.Velocities = codec.NewArray(es.Velocities, n, 3)
	st.Box = es.Box
	st.Time = es.Time
	st.Step = es.Step
	st.Potential = es.Potential
	st.Kinetic = es.Kinetic
	if len(c.Record.Obs)+len(es.EngineObs) > 0 {
		st.Obs = make(map[string]float64, len(c.Record.Obs)+len(es.EngineObs))
		for k, v := range es.EngineObs {
			st.Obs[k] = v
		}
		for i, o := range c.Record.Obs {
			st.Obs[o.Name] = es.Obs[i]
		}
	}
	return st
}

// EngineState converts a state record into an engine state.
func (c *Compiled) EngineState(st *record.State) engine.State {
	es := engine.State{
		Positions:  append([]float64(nil), st.Positions.Data...),
		Velocities: append([]float64(nil), st.Velocities.Data...),
		Box:        st.Box,
		Time:       st.Time,
		Step:       st.Step,
		Potential:  st.Potential,
		Kinetic:    st.Kinetic,
	}
	for _, o := range c.Record.Obs {
		es.Obs = append(es.Obs, st.Obs[o.Name])
	}
	return es
}
