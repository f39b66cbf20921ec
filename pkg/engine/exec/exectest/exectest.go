// Package exectest is a fake external engine for tests and benchmarks of
// the exec engine (ENGINES.md): a test binary becomes the engine when its
// TestMain calls Main, and the environment says what the engine does.
//
//	func TestMain(m *testing.M) {
//		if exectest.Active() {
//			os.Exit(exectest.Main())
//		}
//		os.Exit(m.Run())
//	}
//
// and the system's exec.command is the test binary (os.Args[0]) with
// WE_FAKE_ENGINE=1 in the environment. It speaks the worker protocol on
// stdin and stdout, or runs one walker in per-segment mode when
// WE_STATE_IN is set.
//
// WE_FAKE lists, separated by commas, how it behaves:
//
//	echo             return the input state unchanged (the default): a no-op
//	                 engine, to measure the protocol's overhead
//	langevin         run the built-in BAOAB engine with a random stream
//	                 seeded by the walker's seed: a deterministic engine
//	obs              report an observable of its own, "slot" (worker mode)
//	FAULT@SLOT       fail at walker SLOT ("hello" for the start) with FAULT:
//	                 exit (status 3), crash (killed by SIGKILL), hang,
//	                 garbage (malformed CBOR), huge (a length prefix of
//	                 2^31), stdout (text on stdout), nan (a NaN position),
//	                 atoms (one atom too few), frames (a frame too few),
//	                 error (an error reply), between (exit after answering)
//	once             each FAULT@SLOT fires once, the first time, across
//	                 processes (marker files in WE_FAKE_DIR)
//
// Each fault is announced on stderr first, so that the errors wepipe
// reports can be checked to show the engine's last words.
package exectest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/engine/exec"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/system"
)

// Active reports whether this process was started as the fake engine.
func Active() bool { return os.Getenv("WE_FAKE_ENGINE") == "1" }

// Env is the environment that makes a test binary the fake engine with
// the given behaviour (WE_FAKE).
func Env(behaviour string) []string {
	return []string{"WE_FAKE_ENGINE=1", "WE_FAKE=" + behaviour}
}

// Main runs the fake engine and returns its exit status.
func Main() int {
	f := parse(os.Getenv("WE_FAKE"))
	var err error
	if os.Getenv("WE_STATE_IN") != "" {
		err = f.segment()
	} else {
		err = exec.Serve(os.Stdin, os.Stdout, "exectest", f.start)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake engine:", err)
		return 1
	}
	return 0
}

type fake struct {
	langevin bool
	obs      bool
	once     bool
	faults   map[string]string // slot ("hello", "3") → fault
	comp     *system.Compiled
}

func parse(s string) *fake {
	f := &fake{faults: map[string]string{}}
	for _, w := range strings.Split(s, ",") {
		switch w = strings.TrimSpace(w); {
		case w == "langevin":
			f.langevin = true
		case w == "once":
			f.once = true
		case w == "obs":
			f.obs = true
		case strings.Contains(w, "@"):
			fault, slot, _ := strings.Cut(w, "@")
			f.faults[slot] = fault
		}
	}
	return f
}

// fault returns the fault due at slot, consuming it under "once".
func (f *fake) fault(slot string) string {
	fault := f.faults[slot]
	if fault == "" || !f.once {
		return fault
	}
	marker := filepath.Join(os.Getenv("WE_FAKE_DIR"), "fired-"+fault+"-"+slot)
	if _, err := os.Stat(marker); err == nil {
		return ""
	}
	os.WriteFile(marker, nil, 0o644)
	return fault
}

func (f *fake) start(sys *record.System, worker int) (exec.Handler, error) {
	if w := os.Getenv("WE_WORKER"); w != strconv.Itoa(worker) {
		return nil, fmt.Errorf("WE_WORKER=%q but the hello says worker %d", w, worker)
	}
	if err := f.early("hello", f.fault("hello")); err != nil {
		return nil, err
	}
	comp, err := system.Compile(sys)
	if err != nil {
		return nil, err
	}
	f.comp = comp
	return f.walker, nil
}

// early acts out the faults that happen before a reply is computed; an
// error fault is returned as the error to report.
func (f *fake) early(slot, fault string) error {
	switch fault {
	case "":
	case "exit":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: exiting with status 3\n", slot)
		os.Exit(3)
	case "crash":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: about to crash\n", slot)
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	case "hang":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: hanging\n", slot)
		time.Sleep(time.Hour)
	case "garbage":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: writing garbage\n", slot)
		os.Stdout.Write([]byte{0, 0, 0, 3, 0xa1, 0xff, 0x00})
		time.Sleep(time.Hour)
	case "huge":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: claiming a 2 GiB message\n", slot)
		os.Stdout.Write([]byte{0x80, 0, 0, 0})
		time.Sleep(time.Hour)
	case "stdout":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: printing on stdout\n", slot)
		fmt.Println("Loading force field...")
		time.Sleep(time.Hour)
	case "error":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: reporting an error\n", slot)
		return errors.New("integration failed: particle coordinate is NaN")
	}
	return nil
}

func (f *fake) walker(req *exec.Request, in *record.State) (*exec.Reply, error) {
	slot := strconv.Itoa(req.Slot)
	fault := f.fault(slot)
	if err := f.early(slot, fault); err != nil {
		return nil, err
	}
	rep, err := f.propagate(req.Steps, req.Frames, req.Seed, in)
	if err != nil {
		return nil, err
	}
	if f.obs {
		rep.Obs = map[string]float64{"slot": float64(req.Slot)}
	}
	f.late(slot, fault, rep)
	return rep, nil
}

// propagate computes the result: the input (echo) or Langevin dynamics.
func (f *fake) propagate(steps, frames int, seed uint64, in *record.State) (*exec.Reply, error) {
	st := &exec.OutState{Positions: in.Positions, Velocities: in.Velocities, Box: in.Box, Potential: in.Potential, Kinetic: in.Kinetic}
	rep := &exec.Reply{Type: exec.TypeResult, State: st}
	if !f.langevin {
		if frames > 0 {
			n := in.Positions.Shape[0]
			data := make([]float64, 0, frames*3*n)
			for range frames {
				data = append(data, in.Positions.Data...)
			}
			a := codec.NewArray(data, frames, n, 3)
			rep.Frames = &a
		}
		return rep, nil
	}
	es := f.comp.EngineState(in)
	out, fr, err := engine.Langevin{}.Propagate(context.Background(), f.comp.Engine, es,
		engine.Request{Steps: steps, Frames: frames, Rand: rng.New(rng.Key("exectest", [32]byte{}, seed, 0))})
	if err != nil {
		return nil, err
	}
	n := len(out.Positions) / 3
	st.Positions = codec.NewArray(out.Positions, n, 3)
	st.Velocities = codec.NewArray(out.Velocities, n, 3)
	st.Potential, st.Kinetic = out.Potential, out.Kinetic
	if frames > 0 {
		data := make([]float64, 0, frames*3*n)
		for _, x := range fr {
			data = append(data, x.Positions...)
		}
		a := codec.NewArray(data, frames, n, 3)
		rep.Frames = &a
	}
	return rep, nil
}

// late acts out the faults that corrupt a computed reply.
func (f *fake) late(slot, fault string, rep *exec.Reply) {
	switch fault {
	case "nan":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: returning a NaN\n", slot)
		p := append([]float64(nil), rep.State.Positions.Data...)
		p[len(p)-1] = math.NaN()
		rep.State.Positions = codec.NewArray(p, len(p)/3, 3)
	case "atoms":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: returning an atom too few\n", slot)
		n := rep.State.Positions.Shape[0] - 1
		rep.State.Positions = codec.NewArray(rep.State.Positions.Data[:3*n], n, 3)
		rep.State.Velocities = codec.NewArray(rep.State.Velocities.Data[:3*n], n, 3)
	case "frames":
		fmt.Fprintf(os.Stderr, "fake engine: at %s: returning a frame too few\n", slot)
		if a := rep.Frames; a != nil {
			k, n := a.Shape[0]-1, a.Shape[1]
			b := codec.NewArray(a.Data[:k*n*3], k, n, 3)
			rep.Frames = &b
		}
	case "between":
		// Answer, then exit: the next walker finds the worker dead.
		fmt.Fprintf(os.Stderr, "fake engine: at %s: answering, then exiting\n", slot)
		exec.WriteMessage(os.Stdout, rep)
		os.Exit(0)
	}
}

// segment runs one walker in per-segment mode.
func (f *fake) segment() error {
	slot := os.Getenv("WE_SLOT")
	sysBytes, err := os.ReadFile(os.Getenv("WE_SYSTEM"))
	if err != nil {
		return err
	}
	sys, err := record.DecodeAs[*record.System](sysBytes)
	if err != nil {
		return err
	}
	if f.comp, err = system.Compile(sys); err != nil {
		return err
	}
	b, err := os.ReadFile(os.Getenv("WE_STATE_IN"))
	if err != nil {
		return err
	}
	in, err := record.DecodeAs[*record.State](b)
	if err != nil {
		return err
	}
	for _, name := range []string{exec.FileXYZIn, exec.FilePDBIn} {
		if _, err := os.Stat(name); err != nil {
			return fmt.Errorf("input file: %w", err)
		}
	}
	fault := f.fault(slot)
	if fault == "garbage" {
		fmt.Fprintf(os.Stderr, "fake engine: at %s: writing garbage\n", slot)
		return os.WriteFile(os.Getenv("WE_STATE_OUT"), []byte{0xa1, 0xff, 0x00}, 0o644)
	}
	if err := f.early(slot, fault); err != nil {
		return err
	}
	steps, _ := strconv.Atoi(os.Getenv("WE_STEPS"))
	frames, _ := strconv.Atoi(os.Getenv("WE_FRAMES"))
	seed, err := strconv.ParseUint(os.Getenv("WE_SEED"), 10, 64)
	if err != nil {
		return fmt.Errorf("WE_SEED: %w", err)
	}
	rep, err := f.propagate(steps, frames, seed, in)
	if err != nil {
		return err
	}
	f.late(slot, fault, rep)
	if rep.Frames != nil {
		if err := writeCBOR(os.Getenv("WE_FRAMES_OUT"), rep.Frames); err != nil {
			return err
		}
	}
	return writeCBOR(os.Getenv("WE_STATE_OUT"), rep.State)
}

func writeCBOR(p string, v any) error {
	b, err := codec.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}
