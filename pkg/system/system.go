// Package system builds system records: the built-in systems of ARCHITECTURE.md §6
// with their --set-able parameters, and users' own systems described in
// JSON. It also turns a system record into what an engine runs
// (Compile).
package system

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/potential"
	"github.com/wepipe/wepipe/pkg/record"
)

// Built is a system record with its initial states, ready to be stored
// (states first: the system references them).
type Built struct {
	System *record.System
	States []*record.State
}

// Param is one --set-able parameter of a built-in system.
type Param struct {
	Name    string
	Default float64
	Unit    string
	Doc     string
	Integer bool
}

// Builtin is a built-in system.
type Builtin struct {
	Name   string
	Doc    string
	Params []Param
	build  func(p map[string]float64) (*Spec, error)
}

// Builtins lists the built-in systems by name.
var Builtins = map[string]*Builtin{}

func register(b *Builtin) { Builtins[b.Name] = b }

// Names lists the built-in system names, sorted.
func Names() []string {
	var n []string
	for k := range Builtins {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

// SetError is a wrong "key=value" setting (we-init's --set): a usage
// error in a tool.
type SetError struct{ Msg string }

func (e *SetError) Error() string { return e.Msg }

func setErrorf(format string, a ...any) error { return &SetError{fmt.Sprintf(format, a...)} }

// ParseSet parses "key=value" settings against the parameters of a
// system; an unknown key or a bad value is a *SetError that lists the
// valid keys.
func ParseSet(params []Param, sets []string) (map[string]float64, error) {
	p := map[string]float64{}
	valid := make([]string, len(params))
	byName := map[string]Param{}
	for i, x := range params {
		p[x.Name] = x.Default
		valid[i] = x.Name
		byName[x.Name] = x
	}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, setErrorf("--set %q: want key=value", s)
		}
		def, known := byName[k]
		if !known {
			return nil, setErrorf("--set %q: unknown parameter %q (valid: %s)", s, k, strings.Join(valid, ", "))
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, setErrorf("--set %q: %q is not a finite number", s, v)
		}
		if def.Integer && (x != math.Trunc(x) || x < 1 || x > 1e8) {
			return nil, setErrorf("--set %q: %s must be a positive whole number", s, k)
		}
		p[k] = x
	}
	return p, nil
}

// Build builds a built-in system with the given --set settings.
func (b *Builtin) Build(sets []string) (*Built, error) {
	p, err := ParseSet(b.Params, sets)
	if err != nil {
		return nil, err
	}
	sp, err := b.build(p)
	if err != nil {
		return nil, err
	}
	sp.Name = b.Name
	sp.Params = p
	return sp.Build()
}

// Spec is the user-level description of a system, from which Build makes
// the records; it is also the JSON system file format (see FromJSON).
type Spec struct {
	Name        string              `json:"name"`
	Engine      string              `json:"engine,omitempty"` // default "langevin"
	Particles   []Particle          `json:"particles"`
	Bonds       [][2]int            `json:"bonds,omitempty"`
	Potential   []record.Term       `json:"potential,omitempty"`
	Integrator  Integrator          `json:"integrator"`
	Box         []float64           `json:"box,omitempty"`
	Observables []ObservableSpec    `json:"observables"`
	Initial     []InitialSpec       `json:"initial"`
	Exec        *record.Exec        `json:"exec,omitempty"`
	Params      map[string]float64  `json:"params,omitempty"` // descriptive, copied to the record (FORMAT.md §8)
	Extra       map[string]struct{} `json:"-"`
	// Residues and Residue are the topology's residues and each atom's
	// residue index (record.Particles), for systems read from structure
	// files; OpenMM is the serialized System of the "openmm" engine.
	Residues []record.Residue `json:"-"`
	Residue  []int            `json:"-"`
	OpenMM   *record.OpenMM   `json:"-"`
}

// Particle is one atom.
type Particle struct {
	Name    string  `json:"name"`
	Element string  `json:"element,omitempty"`
	Mass    float64 `json:"mass"`
}

// Integrator parameters (OpenMM units).
type Integrator struct {
	Temperature float64 `json:"temperature"`
	Friction    float64 `json:"friction"`
	Timestep    float64 `json:"timestep"`
}

// ObservableSpec declares an observable; see package observable.
type ObservableSpec struct {
	Name   string      `json:"name"`
	Type   string      `json:"type"`
	Atoms  []int       `json:"atoms,omitempty"`
	Atoms2 []int       `json:"atoms2,omitempty"`
	Axis   int         `json:"axis,omitempty"`
	Ref    [][]float64 `json:"ref,omitempty"` // reference coordinates for rmsd, one [x,y,z] per selected atom
}

// InitialSpec is an initial state.
type InitialSpec struct {
	Positions  [][]float64 `json:"positions"`
	Velocities [][]float64 `json:"velocities,omitempty"`
	Weight     float64     `json:"weight,omitempty"` // default 1
	// Potential is the state's potential energy (kJ/mol) as an external
	// engine computed it; the built-in engine computes its own.
	Potential float64 `json:"-"`
}

func flat(rows [][]float64, n int, what string) ([]float64, error) {
	if len(rows) != n {
		return nil, fmt.Errorf("%s: %d rows for %d atoms", what, len(rows), n)
	}
	out := make([]float64, 0, 3*n)
	for i, r := range rows {
		if len(r) != 3 {
			return nil, fmt.Errorf("%s[%d]: %d coordinates, want 3", what, i, len(r))
		}
		for _, x := range r {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("%s[%d]: non-finite coordinate", what, i)
			}
		}
		out = append(out, r...)
	}
	return out, nil
}

// Build checks the spec and makes the records. Errors name the field.
func (sp *Spec) Build() (*Built, error) {
	n := len(sp.Particles)
	if sp.Name == "" {
		return nil, fmt.Errorf("name: empty")
	}
	if n == 0 {
		return nil, fmt.Errorf("particles: none")
	}
	sys := record.NewSystem()
	sys.Name = sp.Name
	sys.Engine = sp.Engine
	if sys.Engine == "" {
		sys.Engine = "langevin"
	}
	masses := make([]float64, n)
	names := make([]string, n)
	var elements []string
	for i, p := range sp.Particles {
		if !(p.Mass > 0) || math.IsInf(p.Mass, 0) {
			return nil, fmt.Errorf("particles[%d].mass: %v is not a positive mass", i, p.Mass)
		}
		masses[i] = p.Mass
		names[i] = p.Name
		if p.Element != "" {
			if elements == nil {
				elements = make([]string, n)
			}
			elements[i] = p.Element
		}
	}
	sys.Particles = record.Particles{Masses: codec.NewArray(masses, n), Names: names, Elements: elements, Residues: sp.Residues, Residue: sp.Residue}
	sys.OpenMM = sp.OpenMM
	for i, b := range sp.Bonds {
		for _, a := range b {
			if a < 0 || a >= n {
				return nil, fmt.Errorf("bonds[%d]: atom %d out of range 0..%d", i, a, n-1)
			}
		}
		sys.Particles.Bonds = append(sys.Particles.Bonds, b[0], b[1])
	}
	sys.Potential = sp.Potential
	sys.Integrator = record.Integrator{Name: "baoab", Temperature: sp.Integrator.Temperature, Friction: sp.Integrator.Friction, Timestep: sp.Integrator.Timestep}
	sys.Box = sp.Box
	sys.Exec = sp.Exec
	if e := sys.Exec; e != nil && e.Mode == "worker" {
		// The default mode is written as no mode: one record per system.
		e2 := *e
		e2.Mode = ""
		sys.Exec = &e2
	}
	if len(sp.Params) > 0 {
		sys.Params = sp.Params
	}
	for i, o := range sp.Observables {
		ro := record.Observable{Name: o.Name, Type: o.Type, Atoms: o.Atoms, Atoms2: o.Atoms2, Axis: o.Axis}
		if o.Ref != nil {
			ref, err := flat(o.Ref, len(o.Ref), fmt.Sprintf("observables[%d].ref", i))
			if err != nil {
				return nil, err
			}
			a := codec.NewArray(ref, len(o.Ref), 3)
			ro.Ref = &a
		}
		sys.Obs = append(sys.Obs, ro)
	}
	if len(sp.Initial) == 0 {
		return nil, fmt.Errorf("initial: no initial states")
	}
	// A placeholder initial list lets Compile check everything but the
	// states before they are made.
	sys.Initial = []record.Initial{{Weight: 1}}
	if err := sys.Validate(); err != nil {
		return nil, err
	}
	c, err := Compile(sys)
	if err != nil {
		return nil, err
	}
	built := &Built{System: sys}
	sys.Initial = nil
	for i, in := range sp.Initial {
		pos, err := flat(in.Positions, n, fmt.Sprintf("initial[%d].positions", i))
		if err != nil {
			return nil, err
		}
		vel := make([]float64, 3*n)
		if in.Velocities != nil {
			if vel, err = flat(in.Velocities, n, fmt.Sprintf("initial[%d].velocities", i)); err != nil {
				return nil, err
			}
		}
		w := in.Weight
		if w == 0 {
			w = 1
		}
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("initial[%d].weight: %v is not positive", i, w)
		}
		st, err := c.NewState(pos, vel, 0, 0)
		if err != nil {
			return nil, fmt.Errorf("initial[%d]: %w", i, err)
		}
		if sys.Engine != "langevin" {
			if math.IsNaN(in.Potential) || math.IsInf(in.Potential, 0) {
				return nil, fmt.Errorf("initial[%d]: potential energy %v", i, in.Potential)
			}
			st.Potential = in.Potential
		}
		_, h, err := record.Encode(st)
		if err != nil {
			return nil, fmt.Errorf("initial[%d]: %w", i, err)
		}
		built.States = append(built.States, st)
		sys.Initial = append(sys.Initial, record.Initial{State: h, Weight: w})
	}
	if err := sys.Validate(); err != nil {
		return nil, err
	}
	return built, nil
}

// maxFluidAtoms bounds lj-fluid's n. Building the system takes about
// 1.2 KB per atom (2.3 GB at 2·10⁶ atoms, measured), and the built-in
// engine already needs about 0.3 s per step at 10⁶ atoms (2.7 ms at 10⁴),
// so larger n would only exhaust memory.
const maxFluidAtoms = 1_000_000

func init() {
	integratorParams := func(t, gamma, dt float64) []Param {
		return []Param{
			{Name: "temperature", Default: t, Unit: "K", Doc: "thermostat temperature"},
			{Name: "friction", Default: gamma, Unit: "1/ps", Doc: "Langevin friction γ"},
			{Name: "timestep", Default: dt, Unit: "ps", Doc: "integration time step"},
		}
	}
	integ := func(p map[string]float64) Integrator {
		return Integrator{Temperature: p["temperature"], Friction: p["friction"], Timestep: p["timestep"]}
	}

	register(&Builtin{
		Name: "lj-pair",
		Doc:  "two Lennard-Jones particles without box or cutoff (wepy's example); observable r = |x1 − x0|",
		Params: append([]Param{
			{Name: "mass", Default: 39.9, Unit: "amu", Doc: "mass of each particle"},
			{Name: "sigma", Default: 0.3350, Unit: "nm", Doc: "LJ σ"},
			{Name: "epsilon", Default: 41.84, Unit: "kJ/mol", Doc: "LJ ε (10 kcal/mol)"},
		}, integratorParams(300, 1, 0.002)...),
		build: func(p map[string]float64) (*Spec, error) {
			// 2^(1/6), the LJ minimum: a literal, so that the initial
			// state is the same bits on every machine.
			const twoSixth = 1.122462048309373
			r0 := twoSixth * p["sigma"]
			return &Spec{
				Particles:   []Particle{{Name: "A", Element: "Ar", Mass: p["mass"]}, {Name: "B", Element: "Ar", Mass: p["mass"]}},
				Potential:   []record.Term{{Type: "lj", Params: map[string]float64{"sigma": p["sigma"], "epsilon": p["epsilon"]}}},
				Integrator:  integ(p),
				Observables: []ObservableSpec{{Name: "r", Type: "distance", Atoms: []int{0, 1}}},
				Initial:     []InitialSpec{{Positions: [][]float64{{0, 0, 0}, {r0, 0, 0}}}},
			}, nil
		},
	})

	register(&Builtin{
		Name: "double-well",
		Doc:  "one particle in U = h((x/a)² − 1)² + ½k(y² + z²), starting in the left well; observable x",
		Params: append([]Param{
			{Name: "mass", Default: 10, Unit: "amu", Doc: "particle mass"},
			{Name: "h", Default: 10, Unit: "kJ/mol", Doc: "barrier height"},
			{Name: "a", Default: 0.5, Unit: "nm", Doc: "well position ±a"},
			{Name: "k", Default: 100, Unit: "kJ/mol/nm²", Doc: "transverse spring constant"},
		}, integratorParams(300, 10, 0.002)...),
		build: func(p map[string]float64) (*Spec, error) {
			return &Spec{
				Particles:   []Particle{{Name: "X", Mass: p["mass"]}},
				Potential:   []record.Term{{Type: "double-well", Params: map[string]float64{"h": p["h"], "a": p["a"], "k": p["k"]}}},
				Integrator:  integ(p),
				Observables: []ObservableSpec{{Name: "x", Type: "coord", Atoms: []int{0}, Axis: 0}},
				Initial:     []InitialSpec{{Positions: [][]float64{{-p["a"], 0, 0}}}},
			}, nil
		},
	})

	register(&Builtin{
		Name: "muller-brown",
		Doc:  "one particle on the Müller–Brown surface (x, y) scaled to kJ/mol, harmonic in z, starting in the deepest minimum; observables x, y",
		Params: append([]Param{
			{Name: "mass", Default: 10, Unit: "amu", Doc: "particle mass"},
			// scale 0.25: barriers of 10.6 kT out of basin A, 3.6 kT out of
			// B and 0.85 kT out of C at 300 K (package potential).
			{Name: "scale", Default: 0.25, Unit: "", Doc: "energy scale factor applied to the Müller–Brown surface"},
			{Name: "kz", Default: 100, Unit: "kJ/mol/nm²", Doc: "harmonic restraint on z"},
		}, integratorParams(300, 10, 0.002)...),
		build: func(p map[string]float64) (*Spec, error) {
			return &Spec{
				Particles:   []Particle{{Name: "X", Mass: p["mass"]}},
				Potential:   []record.Term{{Type: "muller-brown", Params: map[string]float64{"scale": p["scale"], "kz": p["kz"]}}},
				Integrator:  integ(p),
				Observables: []ObservableSpec{{Name: "x", Type: "coord", Atoms: []int{0}, Axis: 0}, {Name: "y", Type: "coord", Atoms: []int{0}, Axis: 1}},
				Initial:     []InitialSpec{{Positions: [][]float64{{-0.558, 1.442, 0}}}},
			}, nil
		},
	})

	register(&Builtin{
		Name: "lj-fluid",
		Doc:  "n Lennard-Jones atoms (argon) in a periodic cubic box with cutoff, on a lattice at the given reduced density; observable r = distance of atoms 0 and 1 (minimum image)",
		Params: append([]Param{
			{Name: "n", Default: 1000, Doc: "number of atoms", Integer: true},
			{Name: "density", Default: 0.8, Doc: "reduced density ρσ³"},
			{Name: "mass", Default: 39.948, Unit: "amu", Doc: "atom mass"},
			{Name: "sigma", Default: 0.3405, Unit: "nm", Doc: "LJ σ"},
			{Name: "epsilon", Default: 0.996, Unit: "kJ/mol", Doc: "LJ ε"},
			{Name: "cutoff", Default: 2.5, Unit: "σ", Doc: "cutoff radius in units of σ"},
		}, integratorParams(120, 1, 0.002)...),
		build: func(p map[string]float64) (*Spec, error) {
			if !(p["density"] > 0) {
				return nil, fmt.Errorf("density: %v, want > 0", p["density"])
			}
			n := int(p["n"])
			if n < 2 || n > maxFluidAtoms {
				return nil, fmt.Errorf("n: %d atoms, want 2 to %d", n, maxFluidAtoms)
			}
			pos, box := potential.LatticeFluid(n, p["density"], p["sigma"])
			rows := make([][]float64, n)
			parts := make([]Particle, n)
			for i := range rows {
				rows[i] = pos[3*i : 3*i+3]
				parts[i] = Particle{Name: "Ar", Element: "Ar", Mass: p["mass"]}
			}
			rc := p["cutoff"] * p["sigma"]
			if 2*rc > box[0] {
				return nil, fmt.Errorf("cutoff: %.4g nm is more than half the box edge %.4g nm (more atoms or a smaller cutoff)", rc, box[0])
			}
			return &Spec{
				Particles:   parts,
				Potential:   []record.Term{{Type: "lj-cut", Params: map[string]float64{"sigma": p["sigma"], "epsilon": p["epsilon"], "cutoff": rc}}},
				Integrator:  integ(p),
				Box:         box[:],
				Observables: []ObservableSpec{{Name: "r", Type: "distance", Atoms: []int{0, 1}}},
				Initial:     []InitialSpec{{Positions: rows}},
			}, nil
		},
	})
}
