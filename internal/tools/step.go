package tools

import (
	"runtime"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	_ "github.com/wepipe/wepipe/pkg/engine/exec"   // the exec engine
	_ "github.com/wepipe/wepipe/pkg/engine/openmm" // the openmm engine
	"github.com/wepipe/wepipe/pkg/step"
)

// Step is we-step.
func Step(env *cli.Env, args []string) int {
	return env.Finish(stepRun(env, args))
}

func stepRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	steps := fs.Int("steps", 0, "dynamics steps per walker (required)")
	workers := fs.Int("workers", runtime.NumCPU(), "walkers propagated at once")
	frames := fs.Int("frames", 0, "frames kept per walker as segment objects")
	seed := fs.Uint64("seed", 0, "replica seed")
	shard := fs.String("shard", "", "I/N: propagate only shard I of N")
	retries := fs.Int("retries", 0, "times a walker whose engine failed is run again")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if *steps <= 0 {
		return cli.Usagef("--steps must be a positive number of steps (have %d)", *steps)
	}
	if *workers < 1 {
		return cli.Usagef("--workers must be at least 1")
	}
	if *frames < 0 || *frames > *steps {
		return cli.Usagef("--frames must be between 0 and --steps")
	}
	if *retries < 0 {
		return cli.Usagef("--retries must not be negative")
	}
	opt := step.Options{Steps: *steps, Seed: *seed, Frames: *frames, Workers: *workers, Shards: 1, Retries: *retries}
	opt.Retrying = func(walker, attempt int, err error) {
		env.Errorf("%v; retrying (%d of %d)", err, attempt, *retries)
	}
	if *shard != "" {
		i, n, err := ParseShard(*shard)
		if err != nil {
			return err
		}
		opt.Shard, opt.Shards = i, n
	}
	st, in, snap, err := env.InputSnapshot(*storeDir, pos)
	if err != nil {
		return err
	}
	if cli.IsTerminal(env.Stderr) {
		opt.Progress = stepProgress(env)
	}
	opt.Resumed = func(done, total int) {
		env.Errorf("resuming: %d of %d walkers were done", done, total)
	}
	ctx, stop := cli.InterruptContext()
	defer stop()
	out, err := step.Run(ctx, st, in, snap, opt)
	if err != nil {
		return err
	}
	env.PrintHash(out)
	return nil
}

// ParseShard parses "I/N" with 0 ≤ I < N.
func ParseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, cli.Usagef("--shard %q: want I/N with 0 ≤ I < N", s)
	}
	return i, n, nil
}
