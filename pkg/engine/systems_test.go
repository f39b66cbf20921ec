package engine

import (
	"math"
	"testing"

	"github.com/wepipe/wepipe/pkg/observable"
	"github.com/wepipe/wepipe/pkg/potential"
	"github.com/wepipe/wepipe/pkg/rng"
)

// The built-in systems of ARCHITECTURE.md §6, assembled here as the system package
// will assemble them.

const (
	ljSigma = 0.3350
	ljEps   = 41.84
)

func factory(terms []potential.Term, n int, box []float64) func() (potential.Potential, error) {
	return func() (potential.Potential, error) { return potential.New(terms, n, box) }
}

func mustObs(t testing.TB, specs []observable.Spec, n int, box []float64) *observable.Set {
	t.Helper()
	s, err := observable.Compile(specs, n, box)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ljPair is wepy's LJ pair: two 39.9 amu atoms, σ 0.3350 nm, ε 41.84
// kJ/mol, starting at the minimum 2^(1/6)σ at rest; 300 K, 1/ps, 2 fs.
func ljPair(t testing.TB) (*System, State) {
	terms := []potential.Term{{Type: "lj", Params: map[string]float64{"sigma": ljSigma, "epsilon": ljEps}}}
	sys := &System{
		Masses:       []float64{39.9, 39.9},
		NewPotential: factory(terms, 2, nil),
		Temperature:  300, Friction: 1, Timestep: 0.002,
		Observables: mustObs(t, []observable.Spec{{Name: "r", Type: "distance", Atoms: []int{0, 1}}}, 2, nil),
	}
	return sys, State{Positions: []float64{0, 0, 0, math.Pow(2, 1.0/6) * ljSigma, 0, 0}}
}

// doubleWell: one 10 amu atom, h 10 kJ/mol, a 0.5 nm, k 100 kJ/mol/nm²,
// starting at (−a, 0, 0); 300 K, 10/ps, 2 fs.
func doubleWell(t testing.TB) (*System, State) {
	terms := []potential.Term{{Type: "double-well", Params: map[string]float64{"h": 10, "a": 0.5, "k": 100}}}
	sys := &System{
		Masses:       []float64{10},
		NewPotential: factory(terms, 1, nil),
		Temperature:  300, Friction: 10, Timestep: 0.002,
		Observables: mustObs(t, []observable.Spec{{Name: "x", Type: "coord", Atoms: []int{0}, Axis: 0}}, 1, nil),
	}
	return sys, State{Positions: []float64{-0.5, 0, 0}}
}

// Reduced-unit argon: the LJ fluid benchmark of scripts/bench.
const (
	arSigma = 0.3405
	arEps   = 0.996
	arMass  = 39.948
)

func ljFluid(t testing.TB, n int) (*System, State) {
	pos, box := potential.LatticeFluid(n, 0.8, arSigma)
	terms := []potential.Term{{Type: "lj-cut", Params: map[string]float64{"sigma": arSigma, "epsilon": arEps}}}
	m := make([]float64, n)
	for i := range m {
		m[i] = arMass
	}
	sys := &System{
		Masses:       m,
		NewPotential: factory(terms, n, box[:]),
		Temperature:  120, Friction: 1, Timestep: 0.002,
		Box: box[:],
	}
	return sys, State{Positions: pos, Box: box[:]}
}

func stream(domain string, i uint64) *rng.Stream { return rng.NewKey(domain, [32]byte{}, i, 0) }
