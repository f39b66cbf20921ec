package exec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
)

// Files of a walker's scratch directory in per-segment mode (ENGINES.md
// §3).
const (
	FileStateIn  = "in.cbor"     // the input state record
	FileXYZIn    = "in.xyz"      // its positions, XYZ (Å)
	FilePDBIn    = "in.pdb"      // its positions with the topology, PDB (Å)
	FileStateOut = "out.cbor"    // the state the engine leaves
	FileFrames   = "frames.cbor" // the frames it leaves, when asked for
	FileSystem   = "system.cbor" // the system record (in the worker's directory)
	FileLog      = "output.log"  // the program's stdout and stderr
)

// segment is one worker in per-segment mode: the program runs once per
// walker in a fresh directory under the worker's scratch directory.
type segment struct {
	*common
	dir     string // the worker's scratch directory
	sysFile string
	kept    bool // a failed walker's directory is kept in dir
}

// ScratchDir is where per-segment workers make their directories:
// $WE_SCRATCH, else the system's temporary directory.
func ScratchDir() string {
	if d := os.Getenv("WE_SCRATCH"); d != "" {
		return d
	}
	return os.TempDir()
}

func startSegment(c *common) (*segment, error) {
	dir, err := os.MkdirTemp(ScratchDir(), fmt.Sprintf("we-exec-w%d-", c.worker))
	if err != nil {
		return nil, fmt.Errorf("scratch directory: %w", err)
	}
	b, _, err := record.Encode(c.rec)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, FileSystem), b, 0o644)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("scratch directory: %w", err)
	}
	return &segment{common: c, dir: dir, sysFile: filepath.Join(dir, FileSystem)}, nil
}

// Propagate runs the program once for the walker.
func (s *segment) Propagate(ctx context.Context, in engine.State, req engine.Request) (engine.State, []engine.Frame, error) {
	if err := s.checkInput(in, req); err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: %w", req.Walker, err)
	}
	wd := filepath.Join(s.dir, "walker")
	if err := s.prepare(wd, in); err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: scratch directory: %w", req.Walker, err)
	}
	seed := req.Rand.Uint64()
	// The program runs in the caller's goroutine (os/exec watches the
	// context in its own only while the context can end): one wake-up
	// less per walker than waiting on a channel, which a loaded machine
	// makes felt.
	rctx := ctx
	if s.cfg.Timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, s.cfg.Timeout)
		defer cancel()
	}
	cmd := osexec.CommandContext(rctx, s.cfg.Command[0], s.cfg.Command[1:]...)
	cmd.Cancel = func() error { killGroup(cmd); return nil }
	cmd.Dir = wd
	cmd.Env = append(os.Environ(),
		"WE_STATE_IN="+filepath.Join(wd, FileStateIn),
		"WE_STATE_OUT="+filepath.Join(wd, FileStateOut),
		"WE_FRAMES_OUT="+filepath.Join(wd, FileFrames),
		"WE_SYSTEM="+s.sysFile,
		"WE_STEPS="+strconv.Itoa(req.Steps),
		"WE_FRAMES="+strconv.Itoa(req.Frames),
		"WE_SEED="+strconv.FormatUint(seed, 10),
		"WE_SLOT="+strconv.Itoa(req.Walker),
		"WE_CYCLE="+strconv.FormatUint(req.Cycle, 10),
		"WE_WORKER="+strconv.Itoa(s.worker),
		"WE_TEMPERATURE="+strconv.FormatFloat(s.sys.Temperature, 'g', -1, 64),
		"WE_FRICTION="+strconv.FormatFloat(s.sys.Friction, 'g', -1, 64),
		"WE_TIMESTEP="+strconv.FormatFloat(s.sys.Timestep, 'g', -1, 64),
	)
	cmd.Env = append(cmd.Env, s.cfg.Env...)
	// The program's stdout and stderr go to a file of its directory: no
	// pipe for wepipe to drain, and the whole log stays with the files of
	// a failed walker.
	log, err := os.Create(filepath.Join(wd, FileLog))
	if err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: scratch directory: %w", req.Walker, err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	ownGroup(cmd)
	err = cmd.Start()
	log.Close()
	if err != nil {
		return engine.State{}, nil, s.fail(wd, req, fmt.Sprintf("start %s: %v", s.commandLine(), err))
	}
	err = cmd.Wait()
	switch {
	case ctx.Err() != nil:
		os.RemoveAll(wd)
		return engine.State{}, nil, fmt.Errorf("walker %d: %w", req.Walker, context.Cause(ctx))
	case rctx.Err() != nil:
		return engine.State{}, nil, s.fail(wd, req, fmt.Sprintf("no result within %v (exec.timeout); the engine was killed", s.cfg.Timeout))
	case err != nil:
		return engine.State{}, nil, s.fail(wd, req, "the engine failed ("+exitStatus(err)+")")
	}
	var st OutState
	if err := readCBOR(filepath.Join(wd, FileStateOut), &st); err != nil {
		return engine.State{}, nil, s.fail(wd, req, "it left no valid state: "+err.Error())
	}
	var frames *codec.Array
	if req.Frames > 0 {
		frames = new(codec.Array)
		if err := readCBOR(filepath.Join(wd, FileFrames), frames); err != nil {
			return engine.State{}, nil, s.fail(wd, req, "it left no valid frames: "+err.Error())
		}
	}
	out, fr, err := s.output(in, req, &st, frames, nil)
	if err != nil {
		return engine.State{}, nil, s.fail(wd, req, "the engine's result is invalid: "+err.Error())
	}
	if err := os.RemoveAll(wd); err != nil {
		return engine.State{}, nil, fmt.Errorf("walker %d: scratch directory: %w", req.Walker, err)
	}
	return out, fr, nil
}

// prepare makes the walker's directory with its input files.
func (s *segment) prepare(wd string, in engine.State) error {
	if err := os.RemoveAll(wd); err != nil {
		return err
	}
	if err := os.Mkdir(wd, 0o755); err != nil {
		return err
	}
	b, err := s.stateRecord(in)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(wd, FileStateIn), b, 0o644); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(wd, FileXYZIn), func(w io.Writer) error { return WriteXYZ(w, s.rec, in.Positions, in.Step, in.Time) }); err != nil {
		return err
	}
	return writeFile(filepath.Join(wd, FilePDBIn), func(w io.Writer) error { return WritePDB(w, s.rec, in.Positions, in.Box) })
}

func writeFile(p string, fill func(io.Writer) error) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// readCBOR reads a file an engine left, of at most MaxMessage bytes, and
// decodes it strictly into v.
func readCBOR(p string, v any) error {
	f, err := os.Open(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s is missing", filepath.Base(p))
		}
		return err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxMessage+1))
	if err != nil {
		return err
	}
	if len(b) > MaxMessage {
		return fmt.Errorf("%s: more than %d bytes", filepath.Base(p), MaxMessage)
	}
	if err := codec.UnmarshalStrict(b, v); err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(p), err)
	}
	return nil
}

// fail keeps the walker's directory for inspection (renamed, so that the
// next walker starts afresh) and returns the error naming it, with the
// tail of the program's output.
func (s *segment) fail(wd string, req engine.Request, why string) error {
	kept := filepath.Join(s.dir, fmt.Sprintf("failed-walker-%d-%s", req.Walker, time.Now().Format("150405.000000")))
	where, dir := "", wd
	if os.Rename(wd, kept) == nil {
		s.kept = true
		where, dir = "; its files are in "+kept, kept
	}
	out := logTail(filepath.Join(dir, FileLog))
	if out == "" {
		out = "; it wrote nothing"
	} else {
		out = "; its output ends:" + out
	}
	return fmt.Errorf("walker %d: %s; command %s%s%s", req.Walker, why, s.commandLine(), where, out)
}

// logTail returns the end of a walker's log, as tail.String does.
func logTail(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > tailBytes {
		f.Seek(fi.Size()-tailBytes, io.SeekStart)
	}
	var t tail
	io.Copy(&t, io.LimitReader(f, tailBytes))
	return t.String()
}

// Close removes the worker's scratch directory, unless it holds the files
// of a failed walker.
func (s *segment) Close() error {
	if s.kept {
		return nil
	}
	return os.RemoveAll(s.dir)
}
