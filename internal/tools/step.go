package tools

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

// Step is we-step.
func Step(env *cli.Env, args []string) int {
	return finish(env, stepRun(env, args))
}

// StepOptions are we-step's parameters.
type StepOptions struct {
	Steps   int
	Seed    uint64
	Frames  int
	Workers int
	// Shard, Shards select walkers [lo, hi) of shard Shard of Shards; 0/1
	// is the whole ensemble.
	Shard, Shards int
	// Progress, if set, is called after each walker.
	Progress func(done, total int, steps int64, elapsed time.Duration)
	// Resumed, if set, is told how many walkers an earlier, interrupted
	// run of the same step had finished.
	Resumed func(done, total int)
}

func stepRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	steps := fs.Int("steps", 0, "dynamics steps per walker (required)")
	workers := fs.Int("workers", runtime.NumCPU(), "walkers propagated at once")
	frames := fs.Int("frames", 0, "frames kept per walker as segment objects")
	seed := fs.Uint64("seed", 0, "replica seed")
	shard := fs.String("shard", "", "I/N: propagate only shard I of N")
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
	opt := StepOptions{Steps: *steps, Seed: *seed, Frames: *frames, Workers: *workers, Shards: 1}
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
		opt.Progress = func(done, total int, nsteps int64, el time.Duration) {
			rate := float64(nsteps) / el.Seconds()
			left := time.Duration(float64(el) / float64(done) * float64(total-done)).Round(time.Second)
			fmt.Fprintf(env.Stderr, "\r%s: %d/%d walkers, %.3g steps/s, %s left   ", env.Name, done, total, rate, left)
			if done == total {
				fmt.Fprintln(env.Stderr)
			}
		}
	}
	opt.Resumed = func(done, total int) {
		env.Errorf("resuming: %d of %d walkers were done", done, total)
	}
	ctx, stop := cli.InterruptContext()
	defer stop()
	out, err := stepSnapshot(ctx, st, in, snap, opt)
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

// stepParams are the op parameters of a we-step snapshot; shards and
// workers are not among them, so that every way of computing a step gives
// the same snapshot.
func stepParams(opt StepOptions) map[string]string {
	return map[string]string{
		"steps":  strconv.Itoa(opt.Steps),
		"seed":   strconv.FormatUint(opt.Seed, 10),
		"frames": strconv.Itoa(opt.Frames),
	}
}

// progressKey names the progress entry of a step: the walkers finished so
// far, for resuming.
func progressKey(in record.Hash, opt StepOptions) [32]byte {
	return store.MemoKey("we-step/progress", Version, in.String(), fmt.Sprint(stepParams(opt)), strconv.Itoa(opt.Shard), strconv.Itoa(opt.Shards))
}

// progressEvery is how often a running step records which walkers are
// done. A step shorter than that writes no progress at all: rerunning it
// costs less than recording it would (one small file per cycle less on
// the 1-step-per-cycle hot path).
var progressEvery = 250 * time.Millisecond

// readProgress parses a progress entry: one line per finished walker,
// "slot state-hash [segment-hash]". Entries whose objects are missing or
// damaged are skipped: the walker is computed again.
func readProgress(st *store.Store, b []byte, lo, hi int) map[int]walkerResult {
	done := map[int]walkerResult{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || len(f) > 3 {
			continue
		}
		slot, err := strconv.Atoi(f[0])
		if err != nil || slot < lo || slot >= hi {
			continue
		}
		sh, err := record.ParseHash(f[1])
		if err != nil {
			continue
		}
		s, err := store.LoadAs[*record.State](st, sh)
		if err != nil {
			continue
		}
		r := walkerResult{slot: slot, state: sh, obs: s.Obs}
		if len(f) == 3 {
			seg, err := record.ParseHash(f[2])
			if err != nil || !st.Has(record.KindSegment, seg) {
				continue
			}
			r.segment = &seg
		}
		done[slot] = r
	}
	return done
}

func formatProgress(done []walkerResult) []byte {
	var b strings.Builder
	for _, r := range done {
		fmt.Fprintf(&b, "%d %s", r.slot, r.state)
		if r.segment != nil {
			fmt.Fprintf(&b, " %s", r.segment)
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

type walkerResult struct {
	slot    int
	state   record.Hash
	obs     map[string]float64
	segment *record.Hash
	items   []store.Item
	steps   int64
}

// StepSnapshot propagates the walkers of snapshot in (or of one shard of
// it) and writes the resulting snapshot. Each walker's result is stored as
// soon as it is done, so a step that is killed and run again computes only
// the walkers that are missing; the output is the same for any number of
// workers (DESIGN §4).
func StepSnapshot(ctx context.Context, st *store.Store, in record.Hash, opt StepOptions) (record.Hash, error) {
	snap, err := store.LoadAs[*record.Snapshot](st, in)
	if err != nil {
		return record.Hash{}, fmt.Errorf("load snapshot %s: %w", in.Short(), err)
	}
	return stepSnapshot(ctx, st, in, snap, opt)
}

// stepSnapshot is StepSnapshot for snapshot in, already loaded as snap.
func stepSnapshot(ctx context.Context, st *store.Store, in record.Hash, snap *record.Snapshot, opt StepOptions) (record.Hash, error) {
	if err := cli.RequireComplete(in, snap); err != nil {
		return record.Hash{}, err
	}
	stageKey := store.MemoKey("we-step", Version, in.String(), fmt.Sprint(stepParams(opt)), strconv.Itoa(opt.Shard), strconv.Itoa(opt.Shards))
	if hs, ok := st.Memo(stageKey); ok && len(hs) == 1 {
		return hs[0], nil
	}
	sysRec, err := cli.LoadSystem(st, snap.System)
	if err != nil {
		return record.Hash{}, err
	}
	comp, err := system.Compile(sysRec)
	if err != nil {
		return record.Hash{}, fmt.Errorf("system %s (%s): %w", snap.System.Short(), sysRec.Name, err)
	}
	eng, err := engine.Lookup(sysRec.Engine)
	if err != nil {
		return record.Hash{}, fmt.Errorf("system %s (%s): %w", snap.System.Short(), sysRec.Name, err)
	}
	n := len(snap.Walkers)
	lo, hi := record.ShardRange(opt.Shard, opt.Shards, n)
	results := make([]walkerResult, n)
	var todo []int
	var finishedList []walkerResult
	pkey := progressKey(in, opt)
	var resumed map[int]walkerResult
	b, progress := st.ReadMemo(pkey) // progress: an entry exists
	if progress {
		resumed = readProgress(st, b, lo, hi)
	}
	for i := lo; i < hi; i++ {
		if r, ok := resumed[i]; ok {
			results[i] = r
			finishedList = append(finishedList, r)
			continue
		}
		todo = append(todo, i)
	}
	if opt.Resumed != nil && len(resumed) > 0 {
		opt.Resumed(len(resumed), hi-lo)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	var cacheMu sync.Mutex
	cache := map[record.Hash]*record.State{}
	loadState := func(h record.Hash) (*record.State, error) {
		cacheMu.Lock()
		s, ok := cache[h]
		cacheMu.Unlock()
		if ok {
			return s, nil
		}
		s, err := store.LoadAs[*record.State](st, h)
		if err != nil {
			return nil, err
		}
		cacheMu.Lock()
		cache[h] = s
		cacheMu.Unlock()
		return s, nil
	}

	// Workers take the next walker from a shared counter and write its
	// new objects to temp files at once (batch.Add); the committer (this
	// goroutine) makes them durable and names them. A worker wakes the
	// committer only for the first result after a commit, which starts
	// the commit timer: a short step wakes it twice in all (that result
	// and the end), not once per walker.
	batch := st.NewBatch()
	defer batch.Abort()
	var (
		next     atomic.Int64
		mu       sync.Mutex // guards results, pending, finished, nsteps
		pending  []walkerResult
		nsteps   int64
		finished = (hi - lo) - len(todo)
		start    = time.Now()
	)
	first := make(chan struct{}, 1)
	allDone := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < opt.Workers && w < len(todo); w++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			for ctx.Err() == nil {
				k := int(next.Add(1)) - 1
				if k >= len(todo) {
					return
				}
				i := todo[k]
				r, err := propagateWalker(ctx, st, comp, eng, snap, in, i, worker, opt, loadState)
				for _, it := range r.items {
					if err != nil {
						break
					}
					if err = batch.Add(0, it); err != nil {
						err = fmt.Errorf("store walker %d: %w", i, err)
					}
				}
				r.items = nil
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
				mu.Lock()
				results[r.slot] = r
				pending = append(pending, r)
				wake := len(pending) == 1
				nsteps += r.steps
				finished++
				if opt.Progress != nil {
					opt.Progress(finished, hi-lo, nsteps, time.Since(start))
				}
				mu.Unlock()
				if wake {
					select {
					case first <- struct{}{}:
					default:
					}
				}
			}
		}(w)
	}
	go func() { wg.Wait(); close(allDone) }()

	// The committer makes finished walkers durable and records them for
	// resuming. A walker's objects wait in temp files at most progressEvery
	// before a commit makes them durable: one barrier (syncfs) per commit
	// instead of one per walker. Whatever waits at the end is committed
	// with the snapshot, so a short step costs one barrier in all.
	var timer *time.Timer
	var due <-chan time.Time
	commit := func() {
		if timer != nil {
			timer.Stop()
			timer, due = nil, nil
		}
		mu.Lock()
		done := pending
		pending = nil
		mu.Unlock()
		if len(done) == 0 {
			return
		}
		if err := batch.Commit(); err != nil {
			// Those walkers' objects are gone (Commit removed them):
			// they are not recorded, and a rerun computes them again.
			fail(fmt.Errorf("store walker results: %w", err))
			return
		}
		finishedList = append(finishedList, done...)
		// Record which walkers are durable, so that a killed step resumes
		// from them; the objects were made durable above, first.
		if len(finishedList) < hi-lo {
			progress = true
			if err := st.WriteMemo(pkey, formatProgress(finishedList)); err != nil {
				fail(fmt.Errorf("record progress: %w", err))
			}
		}
	}
collect:
	for {
		select {
		case <-allDone:
			break collect
		case <-first:
			if timer == nil {
				timer = time.NewTimer(progressEvery)
				due = timer.C
			}
		case <-due:
			commit()
		}
	}
	if firstErr != nil || ctx.Err() != nil {
		// Keep what is done for the next run, however short this one was.
		commit()
		if len(finishedList) > 0 {
			st.WriteMemo(pkey, formatProgress(finishedList))
		}
	}
	if firstErr != nil {
		return record.Hash{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return record.Hash{}, fmt.Errorf("interrupted (%v); run the same command again to resume", context.Cause(ctx))
	}

	out := record.NewSnapshot()
	out.Cycle = snap.Cycle
	out.System = snap.System
	out.Parents = []record.Hash{in}
	out.Op = record.Op{Tool: "we-step", Version: Version, Params: stepParams(opt)}
	out.Resampler = snap.Resampler
	for i := lo; i < hi; i++ {
		r := results[i]
		out.Walkers = append(out.Walkers, record.Walker{
			State: r.state, Weight: snap.Walkers[i].Weight, Parent: i, Obs: r.obs, Segment: r.segment,
		})
	}
	if opt.Shards > 1 {
		out.Shard = &record.Shard{Index: opt.Shard, Count: opt.Shards, Total: n}
	}
	// The system and the input snapshot were loaded from the store; the new
	// states are durable (the committer wrote them) or are stored with the
	// snapshot, in the layer before it.
	written := map[record.Hash]bool{in: true, snap.System: true}
	for i := lo; i < hi; i++ {
		written[results[i].state] = true
		if results[i].segment != nil {
			written[*results[i].segment] = true
		}
	}
	it, err := st.ItemAfter(out, written)
	if err != nil {
		return it.Hash, fmt.Errorf("store snapshot: %w", err)
	}
	if err := batch.Add(1, it); err != nil {
		return it.Hash, fmt.Errorf("store snapshot: %w", err)
	}
	if err := batch.Commit(); err != nil {
		return it.Hash, fmt.Errorf("store snapshot: %w", err)
	}
	h := it.Hash
	if err := st.PutMemo(stageKey, h); err != nil {
		return h, err
	}
	// The stage entry supersedes the progress entry.
	if progress {
		if err := st.RemoveMemo(pkey); err != nil {
			return h, err
		}
	}
	return h, nil
}

func propagateWalker(ctx context.Context, st *store.Store, comp *system.Compiled, eng engine.Engine, snap *record.Snapshot, in record.Hash, i, worker int, opt StepOptions, load func(record.Hash) (*record.State, error)) (walkerResult, error) {
	w := snap.Walkers[i]
	s, err := load(w.State)
	if err != nil {
		return walkerResult{}, fmt.Errorf("walker %d: load state %s: %w", i, w.State.Short(), err)
	}
	es := comp.EngineState(s)
	req := engine.Request{
		Walker: i, Worker: worker, Steps: opt.Steps, Frames: opt.Frames,
		Rand: rng.NewKey("we-step", in, uint64(i), opt.Seed),
	}
	outState, frames, err := eng.Propagate(ctx, comp.Engine, es, req)
	if err != nil {
		// Engines name the walker (and the step) themselves.
		return walkerResult{}, err
	}
	rec := comp.StateRecord(outState)
	it, err := store.NewItem(rec)
	if err != nil {
		return walkerResult{}, fmt.Errorf("walker %d: %w", i, err)
	}
	r := walkerResult{slot: i, state: it.Hash, obs: rec.Obs, items: []store.Item{it}, steps: int64(opt.Steps)}
	if len(frames) > 0 {
		seg := segmentRecord(comp, frames)
		sit, err := store.NewItem(seg)
		if err != nil {
			return walkerResult{}, fmt.Errorf("walker %d: segment: %w", i, err)
		}
		r.items = append(r.items, sit)
		r.segment = &sit.Hash
	}
	return r, nil
}

func segmentRecord(comp *system.Compiled, frames []engine.Frame) *record.Segment {
	seg := record.NewSegment()
	n := len(frames[0].Positions) / 3
	pos := make([]float64, 0, len(frames)*3*n)
	names := comp.Record.ObsNames()
	if len(names) > 0 {
		seg.Obs = map[string][]float64{}
	}
	for _, f := range frames {
		pos = append(pos, f.Positions...)
		seg.Steps = append(seg.Steps, f.Step)
		seg.Times = append(seg.Times, f.Time)
		for j, name := range names {
			seg.Obs[name] = append(seg.Obs[name], f.Obs[j])
		}
	}
	seg.Positions = codec.NewArray(pos, len(frames), n, 3)
	return seg
}
