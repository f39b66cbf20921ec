// Package exec runs external MD engines for we-step, as ENGINES.md
// specifies: a worker process that serves many walkers over its stdin and
// stdout in length-prefixed CBOR messages (the worker protocol,
// ENGINES.md §2), or a program run once per walker on files in a scratch
// directory (the per-segment mode of WESTPA's executable propagator,
// ENGINES.md §3).
//
// The package registers the engine "exec", which runs the command of the
// system record's exec field; other engines built on external programs
// (package openmm) call Start with a Config of their own.
//
// Whatever the engine answers, what reaches the store is checked first:
// the atom count, finite positions, velocities and energies, the frames'
// shape. A failure — the engine exits, is killed, hangs beyond the time
// limit, answers malformed CBOR or an invalid state — is an error naming
// the walker and ending with the tail of the engine's stderr; a worker
// whose process died starts a new one for the next walker it is given
// (we-step --retries gives it the same walker again).
//
// Determinism: the seed sent with a walker is the first output of the
// walker's random stream (engine.Request.Rand), which we-step derives from
// the input snapshot, the walker's slot and --seed, so an engine that is a
// pure function of its input state and seed gives the same hashes for any
// number of workers and shards.
package exec

import (
	"context"
	"errors"
	"fmt"
	"math"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
)

// Config says how to run an external engine.
type Config struct {
	// Command is the program and its arguments, run without a shell. A
	// program name without a slash is looked up in PATH; a relative path
	// is taken from the current directory.
	Command []string
	// Segment selects the per-segment mode: the program runs once per
	// walker (ENGINES.md §3). Otherwise one process per worker serves its
	// walkers (ENGINES.md §2).
	Segment bool
	// Timeout bounds each walker (and a worker's start); 0: no limit.
	Timeout time.Duration
	// Env holds KEY=VALUE settings added to the environment.
	Env []string
	// Name names the engine in messages ("exec", "openmm").
	Name string
}

// Engine is the "exec" engine: it runs the program of the system record's
// exec field (FORMAT.md §4.1).
type Engine struct{}

func init() { engine.Register("exec", Engine{}) }

// Start starts worker number worker of the system's program.
func (Engine) Start(ctx context.Context, sys *engine.System, worker int) (engine.Worker, error) {
	rec, err := SystemRecord(sys)
	if err != nil {
		return nil, err
	}
	if rec.Exec == nil || len(rec.Exec.Command) == 0 {
		return nil, errors.New("exec engine: the system has no exec.command")
	}
	cfg := Config{
		Command: rec.Exec.Command,
		Segment: rec.Exec.Mode == record.ModeSegment,
		Timeout: Seconds(rec.Exec.Timeout),
		Name:    "exec",
	}
	return Start(ctx, cfg, sys, worker)
}

// Propagate runs one walker on a worker of its own, for callers that do
// not keep workers.
func (e Engine) Propagate(ctx context.Context, sys *engine.System, in engine.State, req engine.Request) (engine.State, []engine.Frame, error) {
	w, err := e.Start(ctx, sys, req.Worker)
	if err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: %w", req.Walker, err)
	}
	defer w.Close()
	return w.Propagate(ctx, in, req)
}

// Seconds converts exec.timeout (s) to a duration; 0 (no limit) stays 0.
func Seconds(s float64) time.Duration {
	if !(s > 0) {
		return 0
	}
	if s > math.MaxInt64/1e9 {
		return math.MaxInt64
	}
	return time.Duration(s * 1e9)
}

// SystemRecord returns the system record behind an engine system
// (system.Compile puts it in Extra).
func SystemRecord(sys *engine.System) (*record.System, error) {
	if sys == nil {
		return nil, errors.New("nil system")
	}
	rec, ok := sys.Extra.(*record.System)
	if !ok || rec == nil {
		return nil, fmt.Errorf("external engine: the system carries no system record (Extra is %T)", sys.Extra)
	}
	return rec, nil
}

// Start starts worker number worker of the engine cfg describes, on sys
// (whose Extra is the system record): in worker mode it starts the
// process and waits for its ready; in per-segment mode it prepares the
// worker's scratch directory.
func Start(ctx context.Context, cfg Config, sys *engine.System, worker int) (engine.Worker, error) {
	rec, err := SystemRecord(sys)
	if err != nil {
		return nil, err
	}
	if cfg.Name == "" {
		cfg.Name = "exec"
	}
	argv, err := resolve(cfg.Command)
	if err != nil {
		return nil, err
	}
	cfg.Command = argv
	c := &common{cfg: cfg, sys: sys, rec: rec, worker: worker, n: len(sys.Masses)}
	if cfg.Segment {
		return startSegment(c)
	}
	return startWorker(ctx, c)
}

// resolve makes the program of argv an absolute path: looked up in PATH
// when it has no slash, else taken from the current directory (engines in
// per-segment mode run in a directory of their own).
func resolve(argv []string) ([]string, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("exec.command: no program")
	}
	out := append([]string(nil), argv...)
	if !strings.ContainsRune(argv[0], filepath.Separator) {
		p, err := osexec.LookPath(argv[0])
		if err != nil {
			return nil, fmt.Errorf("exec.command: program %q: %w", argv[0], err)
		}
		out[0] = p
	}
	p, err := filepath.Abs(out[0])
	if err != nil {
		return nil, fmt.Errorf("exec.command: program %q: %w", argv[0], err)
	}
	out[0] = p
	return out, nil
}

// common is what both modes share: the configuration, the system and the
// checks of what an engine returns.
type common struct {
	cfg    Config
	sys    *engine.System
	rec    *record.System
	worker int
	n      int // atoms
}

// commandLine is the command for messages.
func (c *common) commandLine() string {
	return strings.Join(c.cfg.Command, " ")
}

// stateRecord is the input state as a record: what the engine is sent.
func (c *common) stateRecord(in engine.State) ([]byte, error) {
	st := record.NewState()
	st.Positions = codec.NewArray(in.Positions, len(in.Positions)/3, 3)
	vel := in.Velocities
	if vel == nil {
		vel = make([]float64, len(in.Positions))
	}
	st.Velocities = codec.NewArray(vel, len(vel)/3, 3)
	st.Box = in.Box
	st.Time = in.Time
	st.Step = in.Step
	st.Potential = in.Potential
	st.Kinetic = in.Kinetic
	if len(c.rec.Obs) > 0 && len(in.Obs) == len(c.rec.Obs) {
		st.Obs = make(map[string]float64, len(in.Obs))
		for i, o := range c.rec.Obs {
			st.Obs[o.Name] = in.Obs[i]
		}
	}
	b, _, err := record.Encode(st)
	return b, err
}

// checkInput checks what a walker's request must satisfy before an engine
// sees it.
func (c *common) checkInput(in engine.State, req engine.Request) error {
	switch {
	case len(in.Positions) != 3*c.n:
		return fmt.Errorf("state has %d coordinates for %d atoms", len(in.Positions), c.n)
	case in.Velocities != nil && len(in.Velocities) != 3*c.n:
		return fmt.Errorf("state has %d velocity components for %d atoms", len(in.Velocities), c.n)
	case req.Steps < 0:
		return fmt.Errorf("%d steps", req.Steps)
	case req.Frames < 0 || req.Frames > req.Steps:
		return fmt.Errorf("%d frames for %d steps, want 0 to steps", req.Frames, req.Steps)
	case req.Rand == nil:
		return errors.New("no random stream")
	}
	return nil
}

// output checks an engine's answer for walker req.Walker that started
// from in and turns it into what we-step stores: step and time advanced
// by req.Steps, the system's observables computed here, frame k taken
// after ⌊k·Steps/Frames⌋ steps (engine.Request).
func (c *common) output(in engine.State, req engine.Request, st *OutState, frames *codec.Array, obs map[string]float64) (engine.State, []engine.Frame, error) {
	n := c.n
	for _, a := range []struct {
		name string
		a    codec.Array
	}{{"positions", st.Positions}, {"velocities", st.Velocities}} {
		if err := a.a.Check(); err != nil {
			return engine.State{}, nil, fmt.Errorf("%s: %v", a.name, err)
		}
		if len(a.a.Shape) != 2 || a.a.Shape[1] != 3 {
			return engine.State{}, nil, fmt.Errorf("%s: shape %v, want [%d, 3]", a.name, a.a.Shape, n)
		}
		if a.a.Shape[0] != n {
			return engine.State{}, nil, fmt.Errorf("%s: %d atoms, the system has %d", a.name, a.a.Shape[0], n)
		}
		if i := nonFinite(a.a.Data); i >= 0 {
			return engine.State{}, nil, fmt.Errorf("%s: atom %d is not finite (%v)", a.name, i/3, a.a.Data[i])
		}
	}
	if !finite(st.Potential) || !finite(st.Kinetic) {
		return engine.State{}, nil, fmt.Errorf("energies not finite (epot %v, ekin %v)", st.Potential, st.Kinetic)
	}
	box := in.Box
	if box == nil {
		box = c.sys.Box
	}
	if st.Box != nil {
		if len(st.Box) != 3 || !(st.Box[0] > 0 && st.Box[1] > 0 && st.Box[2] > 0) || nonFinite(st.Box) >= 0 {
			return engine.State{}, nil, fmt.Errorf("box %v: want 3 positive finite edges", st.Box)
		}
		box = st.Box
	}
	for k, v := range obs {
		if k == "" || !finite(v) {
			return engine.State{}, nil, fmt.Errorf("obs %q: %v (want a name and a finite value)", k, v)
		}
		for _, o := range c.rec.Obs {
			if o.Name == k {
				return engine.State{}, nil, fmt.Errorf("obs %q: the system computes this observable itself", k)
			}
		}
	}
	dt := c.sys.Timestep
	out := engine.State{
		Positions:  st.Positions.Data,
		Velocities: st.Velocities.Data,
		Box:        append([]float64(nil), box...),
		Time:       in.Time + float64(req.Steps)*dt,
		Step:       in.Step + uint64(req.Steps),
		Potential:  st.Potential,
		Kinetic:    st.Kinetic,
		Obs:        c.eval(st.Positions.Data),
		EngineObs:  obs,
	}
	if len(out.Box) == 0 {
		out.Box = nil
	}
	if req.Frames == 0 {
		if frames != nil {
			return engine.State{}, nil, errors.New("frames sent, none asked for")
		}
		return out, nil, nil
	}
	if frames == nil {
		return engine.State{}, nil, fmt.Errorf("no frames, %d asked for", req.Frames)
	}
	if err := frames.Check(); err != nil {
		return engine.State{}, nil, fmt.Errorf("frames: %v", err)
	}
	if s := frames.Shape; len(s) != 3 || s[0] != req.Frames || s[1] != n || s[2] != 3 {
		return engine.State{}, nil, fmt.Errorf("frames: shape %v, want [%d, %d, 3]", frames.Shape, req.Frames, n)
	}
	if i := nonFinite(frames.Data); i >= 0 {
		return engine.State{}, nil, fmt.Errorf("frames: frame %d, atom %d is not finite", i/(3*n), i%(3*n)/3)
	}
	fr := make([]engine.Frame, req.Frames)
	for k := range fr {
		s := (k + 1) * req.Steps / req.Frames
		pos := frames.Data[k*3*n : (k+1)*3*n : (k+1)*3*n]
		fr[k] = engine.Frame{Step: in.Step + uint64(s), Time: in.Time + float64(s)*dt, Positions: pos, Obs: c.eval(pos)}
	}
	return out, fr, nil
}

// eval computes the system's observables at x (nil without any).
func (c *common) eval(x []float64) []float64 {
	if c.sys.Observables == nil || c.sys.Observables.Len() == 0 {
		return nil
	}
	out := make([]float64, c.sys.Observables.Len())
	c.sys.Observables.Eval(x, out)
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// nonFinite returns the index of the first non-finite value, or −1.
func nonFinite(x []float64) int {
	for i, v := range x {
		if !finite(v) {
			return i
		}
	}
	return -1
}
