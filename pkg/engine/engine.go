// Package engine propagates walkers: it defines the interface every MD
// engine implements (the built-in Langevin integrator here, users' Go
// engines, and the exec engine that drives external programs) and a
// registry of engines by name.
//
// Units are OpenMM's: nm, ps, amu, kJ/mol, K.
//
// Determinism (ARCHITECTURE.md §4): an engine's output must be a pure function of
// the system, the input state and the request's random stream, whatever
// the number of goroutines or the machine. Propagate is called
// concurrently for different walkers with the same *System; engines must
// not mutate it, and state that a computation needs (neighbour lists)
// belongs to the call, not to the System.
package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/wepipe/wepipe/pkg/observable"
	"github.com/wepipe/wepipe/pkg/potential"
	"github.com/wepipe/wepipe/pkg/rng"
)

// Boltzmann is the Boltzmann constant in kJ/mol/K (CODATA 2018 k_B·N_A,
// the value OpenMM uses).
const Boltzmann = 0.008314462618

// System is what an engine needs to know about the simulated system.
type System struct {
	// Masses of the n atoms (amu).
	Masses []float64
	// NewPotential returns a fresh potential instance. Potentials with
	// neighbour lists hold state, so every Propagate call builds its own:
	// the result then depends on the input state alone, not on which
	// walker the instance served before.
	NewPotential func() (potential.Potential, error)
	// Temperature (K), friction (1/ps) and time step (ps) of the
	// integrator.
	Temperature, Friction, Timestep float64
	// Box is the periodic box [Lx, Ly, Lz] (nm), or nil.
	Box []float64
	// Observables are evaluated at the end of each propagation and at
	// every returned frame; nil for none.
	Observables *observable.Set
	// Extra carries what other engines need, e.g. the raw system record
	// for the exec engine. The Langevin engine ignores it.
	Extra any
}

// State is one walker's microstate.
type State struct {
	Positions  []float64 // n×3 flat (nm)
	Velocities []float64 // n×3 flat (nm/ps); nil on input means zero
	Box        []float64 // periodic box (nm), or nil
	Time       float64   // simulated time (ps)
	Step       uint64    // integration steps since the run began
	Potential  float64   // potential energy (kJ/mol)
	Kinetic    float64   // kinetic energy (kJ/mol)
	Obs        []float64 // observables, in System.Observables.Names() order
	// EngineObs are observables an external engine computed itself
	// (ENGINES.md §2.3), stored with the system's; nil for none.
	EngineObs map[string]float64
}

// Frame is an intermediate configuration returned by Propagate.
type Frame struct {
	Step      uint64
	Time      float64
	Positions []float64
	Obs       []float64
}

// Request says how far to propagate one walker.
type Request struct {
	// Walker is the walker's index (its slot in the snapshot), for error
	// messages (and, in the exec engine, file names); Worker is the index
	// of the worker running it (e.g. for GPU pinning).
	Walker, Worker int
	// Cycle is the cycle of the snapshot the walker belongs to.
	Cycle uint64
	// Steps is the number of integration steps.
	Steps int
	// Frames is the number of evenly spaced frames to return: frame k
	// (1 ≤ k ≤ Frames) is taken after ⌊k·Steps/Frames⌋ steps, so the last
	// is the final state. 0 returns none; Frames ≤ Steps.
	Frames int
	// Rand is the walker's random stream; the engine draws all its noise
	// from it and from nothing else.
	Rand *rng.Stream
}

// Engine propagates one walker.
//
// Propagate returns the state after req.Steps steps from in, and the
// requested frames. It must not modify in or sys. A failure (non-finite
// coordinates, a cancelled ctx, an external program's error) is an error
// naming the walker, never a returned state.
type Engine interface {
	Propagate(ctx context.Context, sys *System, in State, req Request) (State, []Frame, error)
}

// A Worker propagates walkers one after another for one worker of a step:
// a step starts one Worker per worker (engine.Start), gives it walkers
// until none is left, and closes it. A Worker is used by one goroutine at
// a time; different Workers run concurrently. Propagate has Engine's
// contract.
type Worker interface {
	Propagate(ctx context.Context, in State, req Request) (State, []Frame, error)
	// Close releases what the worker holds (an engine process, a GPU
	// context). It is called once, after the worker's last walker or when
	// the step stops early.
	Close() error
}

// Starter is an Engine that sets up something per worker and keeps it
// for many walkers, such as an external engine process that is slow to
// start: we-step calls Start once per worker per step, not once per
// walker.
type Starter interface {
	Engine
	// Start begins worker number worker (0, 1, …) on sys.
	Start(ctx context.Context, sys *System, worker int) (Worker, error)
}

// Start starts worker number worker of engine e on sys: e's own Start if
// it is a Starter, else a Worker whose Propagate calls e.Propagate.
func Start(ctx context.Context, e Engine, sys *System, worker int) (Worker, error) {
	if s, ok := e.(Starter); ok {
		return s.Start(ctx, sys, worker)
	}
	return plainWorker{e, sys}, nil
}

// plainWorker is the Worker of an Engine that keeps nothing per worker.
type plainWorker struct {
	e   Engine
	sys *System
}

func (w plainWorker) Propagate(ctx context.Context, in State, req Request) (State, []Frame, error) {
	return w.e.Propagate(ctx, w.sys, in, req)
}

func (plainWorker) Close() error { return nil }

var registry = struct {
	sync.RWMutex
	m map[string]Engine
}{m: map[string]Engine{"langevin": Langevin{}}}

// Register makes an engine available under name. It panics when name is
// empty or already taken or e is nil, as registration happens in init
// functions where such a clash is a programming error.
func Register(name string, e Engine) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" || e == nil {
		panic("engine: Register with empty name or nil engine")
	}
	if _, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("engine: Register called twice for %q", name))
	}
	registry.m[name] = e
}

// Lookup returns the engine registered under name.
func Lookup(name string) (Engine, error) {
	registry.RLock()
	defer registry.RUnlock()
	if e, ok := registry.m[name]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("engine: unknown engine %q (known: %v)", name, namesLocked())
}

// Names returns the registered engines' names, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	var names []string
	for k := range registry.m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Kinetic returns the kinetic energy ½ Σ mᵢ|vᵢ|² (kJ/mol) of velocities v
// (nm/ps) for masses m (amu).
func Kinetic(masses, v []float64) float64 {
	var k float64
	for i, m := range masses {
		vx, vy, vz := v[3*i], v[3*i+1], v[3*i+2]
		k += float64(m * (float64(vx*vx) + float64(vy*vy) + float64(vz*vz)))
	}
	return 0.5 * k
}
