package tools

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/resample"
	"github.com/wepipe/wepipe/pkg/step"
	"github.com/wepipe/wepipe/pkg/store"
)

// ExitInterrupted is we-run's exit status when a signal stopped it, as a
// shell reports a process that SIGINT ended.
const ExitInterrupted = 130

// Run is we-run.
func Run(env *cli.Env, args []string) int {
	err := runRun(env, args)
	var ie *interruptedError
	if errors.As(err, &ie) {
		env.Errorf("%v", err)
		env.Finish(nil)
		return ExitInterrupted
	}
	return env.Finish(err)
}

type interruptedError struct{ err error }

func (e *interruptedError) Error() string { return e.err.Error() }

// runner is a checked we-run invocation.
type runner struct {
	env    *cli.Env
	st     *store.Store
	sys    *record.System
	req    ResampleRequest
	opt    step.Options
	shards int
	cycles int64         // −1: no limit
	budget time.Duration // −1: none
	quiet  bool

	began  time.Time
	warped float64 // weight warped so far
}

func runRun(env *cli.Env, args []string) error {
	r, start, snap, err := newRunner(env, args)
	if err != nil {
		return err
	}
	ctx, stop := cli.InterruptContext()
	defer stop()
	h, n, runErr := r.loop(ctx, start, snap)
	status := record.RunDone
	switch {
	case runErr != nil && ctx.Err() != nil:
		status = record.RunInterrupted
	case runErr != nil:
		status = record.RunFailed
	}
	if _, err := r.record(start, h, n, status); err != nil {
		return errors.Join(runErr, err)
	}
	if !r.quiet || runErr != nil {
		env.Errorf("end %s after %d cycles (%.3f s)", h, n, time.Since(r.began).Seconds())
	}
	if status == record.RunInterrupted {
		return &interruptedError{runErr}
	}
	if runErr != nil {
		return runErr
	}
	env.PrintHash(h)
	return nil
}

// newRunner parses and checks every flag of every stage against the
// system, before any dynamics, and finds (or creates) the start snapshot.
func newRunner(env *cli.Env, args []string) (*runner, record.Hash, *record.Snapshot, error) {
	own, resampleArgs := args, []string(nil)
	if i := indexOf(args, "--"); i >= 0 {
		own, resampleArgs = args[:i], args[i+1:]
	}
	fs, storeDir := env.FlagSet()
	cycles := fs.Int64("cycles", -1, "cycles to run")
	budget := fs.Float64("budget", -1, "wall-clock budget in seconds")
	steps := fs.Int("steps", 0, "dynamics steps per walker and cycle")
	method := fs.String("resampler", "none", "resampling method")
	shards := fs.Int("shards", 1, "shards per step")
	workers := fs.Int("workers", runtime.NumCPU(), "walkers propagated at once")
	frames := fs.Int("frames", 0, "frames kept per walker")
	seed := fs.Uint64("seed", 0, "replica seed")
	init := fs.String("init", "", "we-init arguments")
	quiet := fs.Bool("q", false, "no log line per cycle")
	retries := fs.Int("retries", 0, "times a walker whose engine failed is run again")
	pos, err := env.Parse(fs, own)
	if err != nil {
		return nil, record.Hash{}, nil, err
	}
	r := &runner{env: env, quiet: *quiet, shards: *shards, cycles: *cycles, began: time.Now()}
	switch {
	case *steps <= 0:
		err = cli.Usagef("--steps must be a positive number of steps")
	case *cycles < 0 && *budget < 0:
		err = cli.Usagef("give --cycles N or --budget SECONDS")
	case *budget >= 0 && (math.IsInf(*budget, 0) || math.IsNaN(*budget)):
		err = cli.Usagef("--budget %v: want seconds", *budget)
	case *shards < 1 || *shards > 1<<16:
		err = cli.Usagef("--shards %d: want 1 to %d", *shards, 1<<16)
	case *workers < 1:
		err = cli.Usagef("--workers must be at least 1")
	case *frames < 0 || *frames > *steps:
		err = cli.Usagef("--frames must be between 0 and --steps")
	case *retries < 0:
		err = cli.Usagef("--retries must not be negative")
	case *init != "" && len(pos) > 0:
		err = cli.Usagef("give a start snapshot or --init, not both")
	}
	if err != nil {
		return nil, record.Hash{}, nil, err
	}
	r.budget = -1
	if *budget >= 0 {
		r.budget = time.Duration(*budget * float64(time.Second))
	}
	r.opt = step.Options{Steps: *steps, Seed: *seed, Frames: *frames, Workers: *workers, Shards: 1, Retries: *retries}
	r.opt.Retrying = func(walker, attempt int, err error) {
		env.Errorf("%v; retrying (%d of %d)", err, attempt, *retries)
	}
	if err := r.resampleFlags(resampleArgs, *method, *seed); err != nil {
		return nil, record.Hash{}, nil, err
	}
	var start record.Hash
	var snap *record.Snapshot
	if *init != "" {
		words, werr := splitWords(*init)
		if werr != nil {
			return nil, record.Hash{}, nil, cli.Usagef("--init: %v", werr)
		}
		ifs, idir := env.FlagSet()
		r.st, start, err = initStore(env, ifs, *storeDir, idir, words)
		if err == nil {
			snap, err = store.LoadAs[*record.Snapshot](r.st, start)
		}
	} else {
		r.st, start, snap, err = env.InputSnapshot(*storeDir, pos)
	}
	if err == nil {
		err = cli.RequireComplete(start, snap)
	}
	if err == nil {
		r.sys, err = cli.LoadSystem(r.st, snap.System)
	}
	if err == nil {
		// Every resampling flag checked against the system now, not after
		// a cycle of dynamics.
		_, err = r.req.Config(r.st, r.sys, snap.Resampler)
	}
	return r, start, snap, err
}

// resampleFlags parses the flags after "--" as we-resample does. Among
// them --resampler and --seed, when given, override we-run's for the
// resampling stage.
func (r *runner) resampleFlags(args []string, method string, seed uint64) error {
	fs := flag.NewFlagSet("we-resample", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	r.req.Flags(fs)
	r.req.Method, r.req.Seed = method, seed
	if err := fs.Parse(args); err != nil {
		return cli.Usagef("we-resample flags after --: %v", err)
	}
	if fs.NArg() > 0 {
		return cli.Usagef("unexpected argument %q after -- (only we-resample flags go there)", fs.Arg(0))
	}
	if _, ok := resample.Lookup(r.req.Method); !ok {
		return cli.Usagef("--resampler %q: want %s", r.req.Method, resample.MethodNames())
	}
	return nil
}

// loop runs cycles from start until a limit is reached; it returns the
// last snapshot reached and the number of cycles run.
func (r *runner) loop(ctx context.Context, h record.Hash, snap *record.Snapshot) (record.Hash, int, error) {
	if !r.quiet {
		r.env.Errorf("start %s", h)
	}
	if cli.IsTerminal(r.env.Stderr) && r.shards == 1 && !r.quiet {
		r.opt.Progress = stepProgress(r.env)
	}
	r.opt.Resumed = func(done, total int) { r.env.Errorf("resuming: %d of %d walkers were done", done, total) }
	r.opt.Carry = step.NewCarry()
	for n := 0; ; n++ {
		// wepy's run_simulation_by_time: a cycle starts only while the
		// time elapsed is below the budget, and once started is finished.
		if (r.cycles >= 0 && int64(n) >= r.cycles) || (r.budget >= 0 && time.Since(r.began) >= r.budget) {
			return h, n, nil
		}
		t0 := time.Now()
		s, err := r.step(ctx, h, snap)
		if err != nil {
			return h, n, fmt.Errorf("cycle %d: we-step of %s: %w", n+1, h.Short(), err)
		}
		r.opt.Carry.Next()
		t1 := time.Now()
		next, out, err := r.resample(s)
		if err != nil {
			return h, n, fmt.Errorf("cycle %d: we-resample of %s: %w", n+1, s.Short(), err)
		}
		h, snap = next, out
		r.warped += warpedWeight(out)
		if !r.quiet {
			r.env.Errorf("%s, flux %.3g/cycle, dynamics %.3f s, resampling %.3f s",
				cycleLine(out), r.warped/float64(n+1), t1.Sub(t0).Seconds(), time.Since(t1).Seconds())
		}
		if err := ctx.Err(); err != nil {
			return h, n + 1, fmt.Errorf("interrupted (%v) after cycle %d; run the same command again to resume", context.Cause(ctx), n+1)
		}
	}
}

// step runs one step, as one we-step or as --shards concurrent shards
// assembled as we-merge does.
func (r *runner) step(ctx context.Context, h record.Hash, snap *record.Snapshot) (record.Hash, error) {
	if r.shards == 1 {
		return step.Run(ctx, r.st, h, snap, r.opt)
	}
	hs := make([]record.Hash, r.shards)
	errs := make([]error, r.shards)
	var wg sync.WaitGroup
	for i := range r.shards {
		wg.Go(func() {
			opt := r.opt
			opt.Shard, opt.Shards = i, r.shards
			if hs[i], errs[i] = step.Run(ctx, r.st, h, snap, opt); errs[i] != nil {
				errs[i] = fmt.Errorf("shard %d/%d: %w", i, r.shards, errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return record.Hash{}, err
	}
	snaps := make([]*record.Snapshot, r.shards)
	for i, sh := range hs {
		var err error
		if snaps[i], err = store.LoadAs[*record.Snapshot](r.st, sh); err != nil {
			return record.Hash{}, fmt.Errorf("load shard %d: %w", i, err)
		}
	}
	return AssembleShards(r.st, hs, snaps)
}

// resample resamples the step's snapshot s exactly as we-resample does.
func (r *runner) resample(s record.Hash) (record.Hash, *record.Snapshot, error) {
	snap, err := store.LoadAs[*record.Snapshot](r.st, s)
	if err != nil {
		return record.Hash{}, nil, err
	}
	cfg, err := r.req.Config(r.st, r.sys, snap.Resampler)
	if err != nil {
		return record.Hash{}, nil, err
	}
	h, out, err := resampleStored(r.st, s, snap, r.sys, cfg)
	if err == nil && out == nil {
		out, err = store.LoadAs[*record.Snapshot](r.st, h)
	}
	return h, out, err
}

// record writes the run record.
func (r *runner) record(start, end record.Hash, n int, status string) (record.Hash, error) {
	ended := time.Now()
	run := record.NewRun()
	run.Start, run.End, run.Cycles, run.Status = start, end, uint64(n), status
	run.Began = r.began.UTC().Format(time.RFC3339Nano)
	run.Ended = ended.UTC().Format(time.RFC3339Nano)
	run.Wall = ended.Sub(r.began).Seconds()
	run.Build = cli.Version()
	resample := map[string]string{}
	if snap, err := store.LoadAs[*record.Snapshot](r.st, start); err == nil {
		if cfg, err := r.req.Config(r.st, r.sys, snap.Resampler); err == nil {
			resample = cfg.Params
		}
	}
	run.Config = record.RunConfig{
		Step: step.Params(r.opt), Resample: resample, Engine: r.sys.Engine,
		Shards: uint64(r.shards), Version: Version,
	}
	if r.cycles >= 0 {
		run.MaxCycles = uint64(r.cycles)
	}
	if r.budget >= 0 {
		run.Budget = r.budget.Seconds()
	}
	h, err := r.st.Put(run)
	if err != nil {
		return h, fmt.Errorf("store run record: %w", err)
	}
	return h, nil
}

// cycleLine describes the ensemble a cycle ended with: its cycle, walkers,
// the range of their weights, and the warps of the cycle with the weight
// they carried (the flux into the targets).
func cycleLine(out *record.Snapshot) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, w := range out.Walkers {
		lo, hi = math.Min(lo, w.Weight), math.Max(hi, w.Weight)
	}
	return fmt.Sprintf("cycle %d: %d walkers, weights %.3g–%.3g, %d warps (weight %.3g)",
		out.Cycle, len(out.Walkers), lo, hi, len(out.Warps), warpedWeight(out))
}

func warpedWeight(out *record.Snapshot) float64 {
	var w float64
	for _, wp := range out.Warps {
		w += wp.Weight
	}
	return w
}

// stepProgress shows a step's progress on a terminal.
func stepProgress(env *cli.Env) func(done, total int, nsteps int64, el time.Duration) {
	return func(done, total int, nsteps int64, el time.Duration) {
		rate := float64(nsteps) / el.Seconds()
		left := time.Duration(float64(el) / float64(done) * float64(total-done)).Round(time.Second)
		fmt.Fprintf(env.Stderr, "\r%s: %d/%d walkers, %.3g steps/s, %s left   ", env.Name, done, total, rate, left)
		if done == total {
			fmt.Fprint(env.Stderr, "\r\033[K")
		}
	}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// splitWords splits s into words as a POSIX shell would, without
// evaluating anything: words are separated by blanks; single quotes keep
// everything to the next single quote; double quotes keep everything to
// the next unescaped double quote, where a backslash escapes \ and ";
// elsewhere a backslash keeps the next character. So --init can pass
// --obs 'q=q:protein and heavy'.
func splitWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
