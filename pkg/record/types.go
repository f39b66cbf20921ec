package record

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wepipe/wepipe/pkg/codec"
)

// System is what is simulated and how (ARCHITECTURE.md §3). Units are OpenMM's: nm,
// ps, amu, kJ/mol, K.
type System struct {
	Kind   string `cbor:"kind"`
	V      uint64 `cbor:"v"`
	Name   string `cbor:"name"`
	Engine string `cbor:"engine"` // "langevin" (built in), "exec" or "openmm" (ENGINES.md)
	// Particles: masses (amu), names, elements, bonds for export.
	Particles  Particles    `cbor:"particles"`
	Potential  []Term       `cbor:"potential,omitempty"`
	Integrator Integrator   `cbor:"integrator"`
	Box        []float64    `cbor:"box,omitempty"` // rectangular periodic box edges (nm); absent: no box
	Obs        []Observable `cbor:"observables"`
	// Initial states are what walkers start from and what warping returns
	// them to, with their relative weights.
	Initial []Initial `cbor:"initial"`
	// Params are the system's --set-able parameters with their values, as
	// given to we-init (descriptive; the terms above are authoritative).
	Params map[string]float64 `cbor:"params,omitempty"`
	Exec   *Exec              `cbor:"exec,omitempty"`
	// OpenMM holds the serialized OpenMM System of the "openmm" engine, so
	// that the store alone runs the system on any machine.
	OpenMM *OpenMM `cbor:"openmm,omitempty"`
}

// Particles describes the atoms, and the topology that exports (PDB) and
// atom selections use.
type Particles struct {
	Masses   codec.Array `cbor:"masses"` // shape [n]
	Names    []string    `cbor:"names"`
	Elements []string    `cbor:"elements,omitempty"`
	Bonds    []int       `cbor:"bonds,omitempty"` // flattened pairs of atom indices
	// Residues, when the system has them (a protein), and for every atom
	// the index of its residue in Residues (Residue[i]).
	Residues []Residue `cbor:"residues,omitempty"`
	Residue  []int     `cbor:"residue,omitempty"`
}

// Residue is one residue of the topology, as a PDB file names it.
type Residue struct {
	Name  string `cbor:"name"`            // residue name (ALA, HOH)
	ID    int    `cbor:"id"`              // residue sequence number (PDB resSeq)
	Chain string `cbor:"chain,omitempty"` // chain identifier
}

// Term is one potential energy term; package potential defines the types
// and their parameters.
type Term struct {
	Type   string             `cbor:"type"`
	Params map[string]float64 `cbor:"params,omitempty"`
	Atoms  []int              `cbor:"atoms,omitempty"`
}

// Integrator holds the Langevin integrator's parameters.
type Integrator struct {
	Name        string  `cbor:"name"`        // "baoab"
	Temperature float64 `cbor:"temperature"` // K
	Friction    float64 `cbor:"friction"`    // 1/ps
	Timestep    float64 `cbor:"timestep"`    // ps
}

// Observable is a named progress coordinate computed after each step;
// package observable defines the types.
type Observable struct {
	Name   string       `cbor:"name"`
	Type   string       `cbor:"type"`
	Atoms  []int        `cbor:"atoms,omitempty"`
	Atoms2 []int        `cbor:"atoms2,omitempty"`
	Axis   int          `cbor:"axis,omitempty"`
	Ref    *codec.Array `cbor:"ref,omitempty"`
}

// Initial is an initial state with its relative weight.
type Initial struct {
	State  Hash    `cbor:"state"`
	Weight float64 `cbor:"weight"`
}

// Exec configures an external engine (ENGINES.md, ARCHITECTURE.md §6).
type Exec struct {
	// Command is the program and its arguments, run without a shell.
	Command []string `cbor:"command"`
	// Mode is "segment" for an engine run once per walker on files
	// (ENGINES.md §3), empty for a worker process that serves many
	// walkers over stdin and stdout (ENGINES.md §2).
	Mode    string  `cbor:"mode,omitempty"`
	Timeout float64 `cbor:"timeout,omitempty"` // seconds per walker; 0: none
}

// ModeSegment is Exec.Mode of a per-segment engine.
const ModeSegment = "segment"

// OpenMM is the system of the "openmm" engine (ENGINES.md §4): an OpenMM
// System serialized by XmlSerializer, and where it came from.
type OpenMM struct {
	System     string            `cbor:"system"`               // XmlSerializer.serialize(System)
	Version    string            `cbor:"version,omitempty"`    // the OpenMM version that serialized it
	Forcefield []string          `cbor:"forcefield,omitempty"` // force-field files, as given to we-init
	Options    map[string]string `cbor:"options,omitempty"`    // createSystem options, as given to we-init
}

func (*System) ObjectKind() Kind { return KindSystem }

// NAtoms is the number of particles.
func (s *System) NAtoms() int { return len(s.Particles.Masses.Data) }

// ObsNames lists the observable names in declaration order.
func (s *System) ObsNames() []string {
	names := make([]string, len(s.Obs))
	for i, o := range s.Obs {
		names[i] = o.Name
	}
	return names
}

func (s *System) Refs() []Hash {
	refs := make([]Hash, len(s.Initial))
	for i, in := range s.Initial {
		refs[i] = in.State
	}
	return refs
}

func (s *System) Validate() error {
	if err := checkHeader(s.Kind, s.V, KindSystem); err != nil {
		return err
	}
	if s.Name == "" {
		return errors.New("name: empty")
	}
	if s.Engine == "" {
		return errors.New("engine: empty")
	}
	m := s.Particles.Masses
	if err := m.Check(); err != nil || len(m.Shape) != 1 {
		return fmt.Errorf("particles.masses: want shape [n]: %v", err)
	}
	n := len(m.Data)
	if n == 0 {
		return errors.New("particles: none")
	}
	for i, x := range m.Data {
		if !(x > 0) || math.IsInf(x, 0) {
			return fmt.Errorf("particles.masses[%d]: %v is not a positive mass", i, x)
		}
	}
	if len(s.Particles.Names) != n {
		return fmt.Errorf("particles.names: %d names for %d particles", len(s.Particles.Names), n)
	}
	if e := s.Particles.Elements; len(e) != 0 && len(e) != n {
		return fmt.Errorf("particles.elements: %d elements for %d particles", len(e), n)
	}
	if b := s.Particles.Bonds; len(b)%2 != 0 {
		return errors.New("particles.bonds: odd number of indices")
	}
	for i, a := range s.Particles.Bonds {
		if a < 0 || a >= n {
			return fmt.Errorf("particles.bonds[%d]: atom %d out of range", i, a)
		}
	}
	if r := s.Particles.Residue; len(r) != 0 || len(s.Particles.Residues) != 0 {
		if len(r) != n {
			return fmt.Errorf("particles.residue: %d entries for %d particles", len(r), n)
		}
		for i, k := range r {
			if k < 0 || k >= len(s.Particles.Residues) {
				return fmt.Errorf("particles.residue[%d]: residue %d out of range 0..%d", i, k, len(s.Particles.Residues)-1)
			}
		}
	}
	for i, t := range s.Potential {
		if t.Type == "" {
			return fmt.Errorf("potential[%d].type: empty", i)
		}
		for j, a := range t.Atoms {
			if a < 0 || a >= n {
				return fmt.Errorf("potential[%d].atoms[%d]: atom %d out of range 0..%d", i, j, a, n-1)
			}
		}
		for k, v := range t.Params {
			if math.IsNaN(v) {
				return fmt.Errorf("potential[%d].params.%s: NaN", i, k)
			}
		}
	}
	in := s.Integrator
	if !finite(in.Temperature) || in.Temperature < 0 {
		return fmt.Errorf("integrator.temperature: %v K is not a temperature", in.Temperature)
	}
	if !finite(in.Friction) || in.Friction < 0 {
		return fmt.Errorf("integrator.friction: %v must be ≥ 0", in.Friction)
	}
	if !finite(in.Timestep) || in.Timestep <= 0 {
		return fmt.Errorf("integrator.timestep: %v must be > 0", in.Timestep)
	}
	if len(s.Box) != 0 {
		if len(s.Box) != 3 {
			return fmt.Errorf("box: %d edges, want 3", len(s.Box))
		}
		for i, x := range s.Box {
			if !(x > 0) || math.IsInf(x, 0) {
				return fmt.Errorf("box[%d]: %v is not a positive length", i, x)
			}
		}
	}
	seen := map[string]bool{}
	for i, o := range s.Obs {
		if o.Name == "" || seen[o.Name] {
			return fmt.Errorf("observables[%d].name: %q is empty or repeated", i, o.Name)
		}
		seen[o.Name] = true
		for _, a := range append(append([]int{}, o.Atoms...), o.Atoms2...) {
			if a < 0 || a >= n {
				return fmt.Errorf("observables[%d] (%s): atom %d out of range 0..%d", i, o.Name, a, n-1)
			}
		}
		if o.Ref != nil {
			if err := o.Ref.Check(); err != nil {
				return fmt.Errorf("observables[%d].ref: %v", i, err)
			}
		}
	}
	if len(s.Initial) == 0 {
		return errors.New("initial: no initial states")
	}
	for i, in := range s.Initial {
		if !(in.Weight > 0) || math.IsInf(in.Weight, 0) {
			return fmt.Errorf("initial[%d].weight: %v is not positive", i, in.Weight)
		}
	}
	if s.Engine == "exec" && (s.Exec == nil || len(s.Exec.Command) == 0) {
		return errors.New("exec.command: the exec engine needs a command")
	}
	if e := s.Exec; e != nil {
		if e.Mode != "" && e.Mode != ModeSegment {
			return fmt.Errorf("exec.mode: %q, want %q or none (a worker process)", e.Mode, ModeSegment)
		}
		if !finite(e.Timeout) || e.Timeout < 0 {
			return fmt.Errorf("exec.timeout: %v s, want a finite time ≥ 0", e.Timeout)
		}
	}
	if s.Engine == "openmm" && (s.OpenMM == nil || s.OpenMM.System == "") {
		return errors.New("openmm.system: the openmm engine needs a serialized OpenMM System")
	}
	return nil
}

// State is one walker's microstate.
type State struct {
	Kind       string             `cbor:"kind"`
	V          uint64             `cbor:"v"`
	Positions  codec.Array        `cbor:"positions"`  // [n, 3] nm
	Velocities codec.Array        `cbor:"velocities"` // [n, 3] nm/ps
	Box        []float64          `cbor:"box,omitempty"`
	Time       float64            `cbor:"time"` // ps
	Step       uint64             `cbor:"step"`
	Potential  float64            `cbor:"epot"` // kJ/mol
	Kinetic    float64            `cbor:"ekin"` // kJ/mol
	Obs        map[string]float64 `cbor:"obs,omitempty"`
}

func (*State) ObjectKind() Kind { return KindState }
func (*State) Refs() []Hash     { return nil }

func (s *State) Validate() error {
	if err := checkHeader(s.Kind, s.V, KindState); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		a    codec.Array
	}{{"positions", s.Positions}, {"velocities", s.Velocities}} {
		if err := f.a.Check(); err != nil {
			return fmt.Errorf("%s: %v", f.name, err)
		}
		if len(f.a.Shape) != 2 || f.a.Shape[1] != 3 {
			return fmt.Errorf("%s: shape %v, want [n, 3]", f.name, f.a.Shape)
		}
		for i, x := range f.a.Data {
			if !finite(x) {
				return fmt.Errorf("%s: atom %d: non-finite value %v", f.name, i/3, x)
			}
		}
	}
	if s.Positions.Shape[0] != s.Velocities.Shape[0] {
		return fmt.Errorf("velocities: %d atoms, positions %d", s.Velocities.Shape[0], s.Positions.Shape[0])
	}
	if len(s.Box) != 0 && len(s.Box) != 3 {
		return fmt.Errorf("box: %d edges, want 3", len(s.Box))
	}
	if !finite(s.Time) || !finite(s.Potential) || !finite(s.Kinetic) {
		return errors.New("time or energies: non-finite")
	}
	for k, v := range s.Obs {
		if !finite(v) {
			return fmt.Errorf("obs.%s: non-finite value %v", k, v)
		}
	}
	return nil
}

// Snapshot is the ensemble at one point of a run.
type Snapshot struct {
	Kind    string   `cbor:"kind"`
	V       uint64   `cbor:"v"`
	Cycle   uint64   `cbor:"cycle"`
	System  Hash     `cbor:"system"`
	Walkers []Walker `cbor:"walkers"`
	// Parents are the snapshots this one was made from: none for we-init,
	// one for we-step and we-resample, several for we-merge.
	Parents []Hash `cbor:"parents,omitempty"`
	Op      Op     `cbor:"op"`
	// Decisions has one entry per walker of the parent ensemble when the
	// snapshot was made by resampling (wepy's resampling records).
	Decisions []Decision `cbor:"decisions,omitempty"`
	// Warps lists the walkers of the parent ensemble that were warped
	// (boundary conditions) before resampling.
	Warps []Warp `cbor:"warps,omitempty"`
	// Summary holds per-operation figures (REVO's variation …).
	Summary map[string]float64 `cbor:"summary,omitempty"`
	// Resampler is the resampler's evolving state, carried from cycle to
	// cycle (WExplore's region tree).
	Resampler *Resampler `cbor:"resampler,omitempty"`
	// Shard marks a partial snapshot made by we-step --shard.
	Shard *Shard `cbor:"shard,omitempty"`
}

// Walker is one walker of a snapshot.
type Walker struct {
	State  Hash    `cbor:"state"`
	Weight float64 `cbor:"weight"`
	// Parent is the walker's index in the parents' walkers, concatenated in
	// order; -1 for a walker with no parent (we-init).
	Parent int `cbor:"parent"`
	// Obs repeats the state's observables so that listing and resampling
	// need not open state objects.
	Obs     map[string]float64 `cbor:"obs,omitempty"`
	Region  []int              `cbor:"region,omitempty"`
	Segment *Hash              `cbor:"segment,omitempty"`
}

// AlgorithmVersion is the version of wepipe's algorithms that the tools
// record in every snapshot's Op. It changes only when a tool's output for
// the same input changes, so that stores made by different builds stay
// comparable.
const AlgorithmVersion = "1"

// Op says what produced a snapshot: the tool, the version of its
// algorithms and every parameter that influenced the result, in canonical
// text form.
type Op struct {
	Tool    string            `cbor:"tool"`
	Version string            `cbor:"version"`
	Params  map[string]string `cbor:"params,omitempty"`
}

// Decision is wepy's resampling record for one parent walker: decision
// 1 NOTHING, 2 CLONE, 3 SQUASH, 4 KEEP_MERGE; targets are slots of the new
// ensemble.
type Decision struct {
	Decision uint8 `cbor:"decision"`
	Targets  []int `cbor:"targets"`
}

// Warp records one walker that met a boundary condition.
type Warp struct {
	Cycle  uint64  `cbor:"cycle"`  // the cycle whose dynamics ended in the target
	Walker int     `cbor:"walker"` // index in the parent ensemble
	Weight float64 `cbor:"weight"`
	Target int     `cbor:"target"` // index of the system's initial state it was returned to
	Cond   string  `cbor:"cond"`   // the condition it met, as given
}

// Resampler is a resampler's state between cycles.
type Resampler struct {
	Name  string `cbor:"name"`
	State []byte `cbor:"state,omitempty"` // deterministic CBOR of the method's own state
}

// Shard marks a partial snapshot: walkers [Lo, Hi) of a Total-walker step.
type Shard struct {
	Index int `cbor:"index"`
	Count int `cbor:"count"`
	Total int `cbor:"total"`
}

// MaxShardCount bounds a shard's count and total (walkers), so that
// ShardRange cannot overflow.
const MaxShardCount = math.MaxInt32

// ShardRange returns the walker slots [lo, hi) of shard i of n over total
// walkers: lo = ⌊i·total/n⌋, hi = ⌊(i+1)·total/n⌋.
func ShardRange(i, n, total int) (lo, hi int) {
	return i * total / n, (i + 1) * total / n
}

func (*Snapshot) ObjectKind() Kind { return KindSnapshot }

func (s *Snapshot) Refs() []Hash {
	refs := []Hash{s.System}
	refs = append(refs, s.Parents...)
	for _, w := range s.Walkers {
		refs = append(refs, w.State)
		if w.Segment != nil {
			refs = append(refs, *w.Segment)
		}
	}
	return refs
}

// WeightTolerance bounds |Σw − 1| in a complete snapshot. Resamplers
// conserve weight to 1e-12 per operation (ARCHITECTURE.md §7); the record check is
// looser so that rounding accumulated over very long runs is accepted,
// while a lost or duplicated walker is not.
const WeightTolerance = 1e-8

func (s *Snapshot) Validate() error {
	if err := checkHeader(s.Kind, s.V, KindSnapshot); err != nil {
		return err
	}
	if s.Op.Tool == "" {
		return errors.New("op.tool: empty")
	}
	if len(s.Walkers) == 0 && s.Shard == nil {
		return errors.New("walkers: none")
	}
	var sum float64
	for i, w := range s.Walkers {
		if !(w.Weight > 0) || math.IsInf(w.Weight, 0) {
			return fmt.Errorf("walkers[%d].weight: %v is not positive", i, w.Weight)
		}
		if w.Parent < -1 {
			return fmt.Errorf("walkers[%d].parent: %d", i, w.Parent)
		}
		if w.Parent >= 0 && len(s.Parents) == 0 {
			return fmt.Errorf("walkers[%d].parent: %d but the snapshot has no parents", i, w.Parent)
		}
		for k, v := range w.Obs {
			if !finite(v) {
				return fmt.Errorf("walkers[%d].obs.%s: non-finite value %v", i, k, v)
			}
		}
		sum += w.Weight
	}
	if s.Shard == nil && math.Abs(sum-1) > WeightTolerance {
		return fmt.Errorf("walkers: weights sum to %.17g, want 1 (±%g)", sum, WeightTolerance)
	}
	if sh := s.Shard; sh != nil {
		if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count || sh.Total < 0 {
			return fmt.Errorf("shard: %d/%d of %d is not a shard", sh.Index, sh.Count, sh.Total)
		}
		// ShardRange multiplies index by total: bounding both by 2^31−1
		// keeps the product within 64 bits.
		if sh.Count > MaxShardCount || sh.Total > MaxShardCount {
			return fmt.Errorf("shard: %d/%d of %d: count and total are limited to %d", sh.Index, sh.Count, sh.Total, MaxShardCount)
		}
		lo, hi := ShardRange(sh.Index, sh.Count, sh.Total)
		if len(s.Walkers) != hi-lo {
			return fmt.Errorf("shard %d/%d: %d walkers, want %d", sh.Index, sh.Count, len(s.Walkers), hi-lo)
		}
	}
	for i, d := range s.Decisions {
		if d.Decision < 1 || d.Decision > 4 {
			return fmt.Errorf("decisions[%d]: unknown decision %d", i, d.Decision)
		}
		for _, t := range d.Targets {
			if t < 0 || t >= len(s.Walkers) {
				return fmt.Errorf("decisions[%d]: target slot %d out of range", i, t)
			}
		}
	}
	for i, w := range s.Warps {
		if !(w.Weight > 0) || math.IsInf(w.Weight, 0) || w.Walker < 0 || w.Target < 0 {
			return fmt.Errorf("warps[%d]: invalid record", i)
		}
	}
	return nil
}

// Segment holds intermediate frames of one walker's trajectory in a cycle.
type Segment struct {
	Kind      string               `cbor:"kind"`
	V         uint64               `cbor:"v"`
	Positions codec.Array          `cbor:"positions"` // [frames, n, 3]
	Steps     []uint64             `cbor:"steps"`
	Times     []float64            `cbor:"times"`
	Obs       map[string][]float64 `cbor:"obs,omitempty"`
}

func (*Segment) ObjectKind() Kind { return KindSegment }
func (*Segment) Refs() []Hash     { return nil }

func (s *Segment) Validate() error {
	if err := checkHeader(s.Kind, s.V, KindSegment); err != nil {
		return err
	}
	if err := s.Positions.Check(); err != nil {
		return fmt.Errorf("positions: %v", err)
	}
	if len(s.Positions.Shape) != 3 || s.Positions.Shape[2] != 3 {
		return fmt.Errorf("positions: shape %v, want [frames, n, 3]", s.Positions.Shape)
	}
	k := s.Positions.Shape[0]
	if len(s.Steps) != k || len(s.Times) != k {
		return fmt.Errorf("steps, times: %d and %d entries for %d frames", len(s.Steps), len(s.Times), k)
	}
	for name, v := range s.Obs {
		if len(v) != k {
			return fmt.Errorf("obs.%s: %d values for %d frames", name, len(v), k)
		}
	}
	return nil
}

// Run records one run of cycles (we-run): where it started and ended, how
// many cycles it ran, its whole configuration, and when (FORMAT.md §4.5).
// Unlike the other records it describes an event: its times make two runs
// of the same command two objects, and no stage reads it, so no stage's
// output depends on the clock.
type Run struct {
	Kind   string    `cbor:"kind"`
	V      uint64    `cbor:"v"`
	Start  Hash      `cbor:"start"`  // the snapshot the run started from
	End    Hash      `cbor:"end"`    // the last snapshot it reached
	Cycles uint64    `cbor:"cycles"` // cycles run
	Config RunConfig `cbor:"config"`
	// MaxCycles and Budget (seconds) are the limits the run was given,
	// 0 for none.
	MaxCycles uint64  `cbor:"max_cycles,omitempty"`
	Budget    float64 `cbor:"budget,omitempty"`
	// Status is "done" (the cycles or the budget were reached),
	// "interrupted" (a signal) or "failed" (a stage failed).
	Status string `cbor:"status"`
	// Began and Ended are UTC times in RFC 3339 with nanoseconds; Wall is
	// Ended − Began in seconds.
	Began string  `cbor:"began"`
	Ended string  `cbor:"ended"`
	Wall  float64 `cbor:"wall"`
	// Build is the wepipe build that ran it (the tools' --version).
	Build string `cbor:"build"`
}

// RunConfig is what a run did each cycle: equal configurations are one
// configuration (we-ls configs).
type RunConfig struct {
	// Step and Resample are the op parameters of the snapshots the run's
	// we-step and we-resample stages wrote.
	Step     map[string]string `cbor:"step" json:"step"`
	Resample map[string]string `cbor:"resample" json:"resample"`
	Engine   string            `cbor:"engine" json:"engine"`   // the system's engine
	Shards   uint64            `cbor:"shards" json:"shards"`   // shards per step (1: none)
	Version  string            `cbor:"version" json:"version"` // the algorithms' version (op.version)
}

// Run statuses.
const (
	RunDone        = "done"
	RunInterrupted = "interrupted"
	RunFailed      = "failed"
)

func (*Run) ObjectKind() Kind { return KindRun }
func (r *Run) Refs() []Hash {
	if r.Start == r.End {
		return []Hash{r.Start}
	}
	return []Hash{r.Start, r.End}
}

func (r *Run) Validate() error {
	if err := checkHeader(r.Kind, r.V, KindRun); err != nil {
		return err
	}
	switch r.Status {
	case RunDone, RunInterrupted, RunFailed:
	default:
		return fmt.Errorf("status: %q, want done, interrupted or failed", r.Status)
	}
	b, err1 := time.Parse(time.RFC3339Nano, r.Began)
	e, err2 := time.Parse(time.RFC3339Nano, r.Ended)
	if err1 != nil || err2 != nil || e.Before(b) {
		return fmt.Errorf("began, ended: %q, %q are not RFC 3339 times in order", r.Began, r.Ended)
	}
	if !finite(r.Wall) || r.Wall < 0 {
		return fmt.Errorf("wall: %v is not a duration", r.Wall)
	}
	if r.Config.Shards < 1 {
		return errors.New("config.shards: want at least 1")
	}
	if !finite(r.Budget) || r.Budget < 0 {
		return fmt.Errorf("budget: %v is not a duration", r.Budget)
	}
	return nil
}

// NewRun returns a run record with the header filled in.
func NewRun() *Run { return &Run{Kind: string(KindRun), V: Version} }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// NewSystem, NewState, NewSnapshot and NewSegment return records with the
// header filled in.
func NewSystem() *System     { return &System{Kind: string(KindSystem), V: Version} }
func NewState() *State       { return &State{Kind: string(KindState), V: Version} }
func NewSnapshot() *Snapshot { return &Snapshot{Kind: string(KindSnapshot), V: Version} }
func NewSegment() *Segment   { return &Segment{Kind: string(KindSegment), V: Version} }
