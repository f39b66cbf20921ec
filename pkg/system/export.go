package system

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/wepipe/wepipe/pkg/record"
)

// fileTerm, fileExec and fileSpec are Spec as a system file writes it:
// lowercase keys everywhere (FromJSON matches keys without regard to
// case, so record.Term's untagged fields read either way).
type fileTerm struct {
	Type   string             `json:"type"`
	Params map[string]float64 `json:"params,omitempty"`
	Atoms  []int              `json:"atoms,omitempty"`
}

type fileExec struct {
	Command []string `json:"command"`
	Timeout float64  `json:"timeout,omitempty"`
}

type fileSpec struct {
	Name        string             `json:"name"`
	Engine      string             `json:"engine,omitempty"`
	Particles   []Particle         `json:"particles"`
	Bonds       [][2]int           `json:"bonds,omitempty"`
	Potential   []fileTerm         `json:"potential,omitempty"`
	Integrator  Integrator         `json:"integrator"`
	Box         []float64          `json:"box,omitempty"`
	Observables []ObservableSpec   `json:"observables"`
	Initial     []InitialSpec      `json:"initial"`
	Exec        *fileExec          `json:"exec,omitempty"`
	Params      map[string]float64 `json:"params,omitempty"`
}

// WriteJSON writes the system record sys as a system file (FORMAT.md §8)
// from which FromJSON, without --set settings, builds the same record —
// the same hash — again. states are the records of sys.Initial, in order.
// Numbers are written in the shortest form that reads back exactly.
func WriteJSON(w io.Writer, sys *record.System, states []*record.State) error {
	if len(states) != len(sys.Initial) {
		return fmt.Errorf("system %s: %d initial states given for %d", sys.Name, len(states), len(sys.Initial))
	}
	n := sys.NAtoms()
	f := fileSpec{Name: sys.Name, Engine: sys.Engine, Box: sys.Box, Params: sys.Params}
	f.Integrator = Integrator{Temperature: sys.Integrator.Temperature, Friction: sys.Integrator.Friction, Timestep: sys.Integrator.Timestep}
	for i := 0; i < n; i++ {
		p := Particle{Name: sys.Particles.Names[i], Mass: sys.Particles.Masses.Data[i]}
		if len(sys.Particles.Elements) > 0 {
			p.Element = sys.Particles.Elements[i]
		}
		f.Particles = append(f.Particles, p)
	}
	for k := 0; k+1 < len(sys.Particles.Bonds); k += 2 {
		f.Bonds = append(f.Bonds, [2]int{sys.Particles.Bonds[k], sys.Particles.Bonds[k+1]})
	}
	for _, t := range sys.Potential {
		for k, v := range t.Params {
			if math.IsInf(v, 0) {
				return fmt.Errorf("potential %s: parameter %s is %v, which JSON cannot hold", t.Type, k, v)
			}
		}
		f.Potential = append(f.Potential, fileTerm{t.Type, t.Params, t.Atoms})
	}
	f.Observables = []ObservableSpec{}
	for _, o := range sys.Obs {
		spec := ObservableSpec{Name: o.Name, Type: o.Type, Atoms: o.Atoms, Atoms2: o.Atoms2, Axis: o.Axis}
		if o.Ref != nil {
			spec.Ref = rows(o.Ref.Data)
		}
		f.Observables = append(f.Observables, spec)
	}
	for i, s := range states {
		if got := len(s.Positions.Data); got != 3*n || len(s.Velocities.Data) != 3*n {
			return fmt.Errorf("initial state %d: %d atoms, the system has %d", i, got/3, n)
		}
		if s.Step != 0 || s.Time != 0 {
			// we-init builds initial states at step 0, time 0; a file
			// cannot say otherwise.
			return fmt.Errorf("initial state %d is at step %d, time %g ps, not the start a system file describes", i, s.Step, s.Time)
		}
		f.Initial = append(f.Initial, InitialSpec{Positions: rows(s.Positions.Data), Velocities: rows(s.Velocities.Data), Weight: sys.Initial[i].Weight})
	}
	if sys.Exec != nil {
		f.Exec = &fileExec{Command: sys.Exec.Command, Timeout: sys.Exec.Timeout}
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("system %s: %w", sys.Name, err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

func rows(flat []float64) [][]float64 {
	out := make([][]float64, 0, len(flat)/3)
	for i := 0; i+2 < len(flat); i += 3 {
		out = append(out, flat[i:i+3])
	}
	return out
}
