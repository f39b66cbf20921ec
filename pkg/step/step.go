// Package step propagates the walkers of a snapshot with the system's
// engine and writes the resulting snapshot: we-step's core, for the tool
// and for drivers that run cycles in one process.
//
// A step is a pure function of its input snapshot and Options (but for
// Workers, Progress and Resumed): the same input gives the same output hash
// for any number of workers and shards (ARCHITECTURE.md §4). It is
// memoised (a finished step answers at once) and resumable: each walker's
// result is made durable while the step runs (store.Progress), so a step
// that is killed and run again computes only the walkers that are missing.
package step

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

// Version is recorded in the op of every snapshot a step writes: the
// tools' algorithm version, record.AlgorithmVersion.
const Version = record.AlgorithmVersion

// Options are a step's parameters.
type Options struct {
	Steps  int    // dynamics steps per walker
	Seed   uint64 // replica seed
	Frames int    // frames kept per walker as segment objects (0 ≤ Frames ≤ Steps)
	// Workers is the number of walkers propagated at once, each by its own
	// engine.Worker.
	Workers int
	// Shard, Shards select walkers [lo, hi) of shard Shard of Shards
	// (record.ShardRange); 0 of 1 is the whole ensemble.
	Shard, Shards int
	// CommitEvery bounds how long a finished walker waits before it is
	// made durable (0: DefaultCommitEvery).
	CommitEvery time.Duration
	// Progress, if set, is called after each walker (under a lock: keep it
	// short).
	Progress func(done, total int, steps int64, elapsed time.Duration)
	// Resumed, if set, is told how many walkers an earlier, interrupted
	// run of the same step had finished.
	Resumed func(done, total int)
	// Retries is how many times a walker whose engine failed is run again
	// (from the same input and random stream, so a deterministic engine
	// gives the same result) before the step fails; an external engine
	// replaces a dead worker process first (ENGINES.md §5).
	Retries int
	// Retrying, if set, is told of each failure that is retried.
	Retrying func(walker, attempt int, err error)
	// Carry, if set, hands the states this step writes to the next step
	// of the same process (we-run), which then need not read them back.
	Carry *Carry
}

// Carry hands the states one step wrote to the next step run by the same
// process. A state this process encoded and hashed itself needs no
// reading back and verifying: at one dynamics step a cycle, reading the
// 48 input states of an lj-pair ensemble was a quarter of we-run's time
// per cycle (BenchmarkRunCycle in internal/tools). It holds the states of
// the latest step only, so its memory is one ensemble's; the shards of
// one step may share it.
type Carry struct {
	mu         sync.Mutex
	prev, next map[record.Hash]*record.State
}

// NewCarry returns an empty Carry.
func NewCarry() *Carry { return &Carry{next: map[record.Hash]*record.State{}} }

// Next makes the states written since the last call the ones the next
// step finds, and forgets older ones. Call it between steps.
func (c *Carry) Next() {
	c.mu.Lock()
	c.prev, c.next = c.next, map[record.Hash]*record.State{}
	c.mu.Unlock()
}

func (c *Carry) get(h record.Hash) (*record.State, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.prev[h]
	return s, ok
}

// put records state s, stored under h. It keeps a copy: an engine may
// reuse the buffers its state came in.
func (c *Carry) put(h record.Hash, s *record.State) {
	if c == nil {
		return
	}
	cp := *s
	cp.Positions = codec.NewArray(slices.Clone(s.Positions.Data), slices.Clone(s.Positions.Shape)...)
	cp.Velocities = codec.NewArray(slices.Clone(s.Velocities.Data), slices.Clone(s.Velocities.Shape)...)
	cp.Box, cp.Obs = slices.Clone(s.Box), maps.Clone(s.Obs)
	c.mu.Lock()
	c.next[h] = &cp
	c.mu.Unlock()
}

// DefaultCommitEvery is how often a running step makes finished walkers
// durable and records which are done. A step shorter than that writes no
// progress entry at all: rerunning it costs less than recording it would
// (one small file per cycle less on the 1-step-per-cycle hot path).
const DefaultCommitEvery = 250 * time.Millisecond

// Params are the op parameters of a step's snapshot; shards and workers
// are not among them, so that every way of computing a step gives the
// same snapshot.
func Params(opt Options) map[string]string {
	return map[string]string{
		"steps":  strconv.Itoa(opt.Steps),
		"seed":   strconv.FormatUint(opt.Seed, 10),
		"frames": strconv.Itoa(opt.Frames),
	}
}

// Check checks the options that do not depend on the snapshot.
func (opt Options) Check() error {
	switch {
	case opt.Steps <= 0:
		return fmt.Errorf("steps must be positive (have %d)", opt.Steps)
	case opt.Frames < 0 || opt.Frames > opt.Steps:
		return fmt.Errorf("frames must be between 0 and steps (have %d)", opt.Frames)
	case opt.Workers < 1:
		return fmt.Errorf("workers must be at least 1 (have %d)", opt.Workers)
	case opt.Shards < 1 || opt.Shard < 0 || opt.Shard >= opt.Shards:
		return fmt.Errorf("shard %d of %d does not exist", opt.Shard, opt.Shards)
	case opt.Retries < 0:
		return fmt.Errorf("retries must not be negative (have %d)", opt.Retries)
	}
	return nil
}

// keys returns the memo key of the step's result and of its progress
// entry.
func keys(in record.Hash, opt Options) (stage, progress [32]byte) {
	p := fmt.Sprint(Params(opt))
	sh, n := strconv.Itoa(opt.Shard), strconv.Itoa(opt.Shards)
	return store.MemoKey("we-step", Version, in.String(), p, sh, n),
		store.MemoKey("we-step/progress", Version, in.String(), p, sh, n)
}

// Snapshot is Run for snapshot in, loaded from the store.
func Snapshot(ctx context.Context, st *store.Store, in record.Hash, opt Options) (record.Hash, error) {
	snap, err := store.LoadAs[*record.Snapshot](st, in)
	if err != nil {
		return record.Hash{}, fmt.Errorf("load snapshot %s: %w", in.Short(), err)
	}
	return Run(ctx, st, in, snap, opt)
}

// Run propagates the walkers of snapshot in (already loaded as snap), or
// of one shard of it, and writes and returns the resulting snapshot.
func Run(ctx context.Context, st *store.Store, in record.Hash, snap *record.Snapshot, opt Options) (record.Hash, error) {
	if err := opt.Check(); err != nil {
		return record.Hash{}, err
	}
	if snap.Shard != nil {
		return record.Hash{}, fmt.Errorf("snapshot %s is shard %d/%d of a step; assemble the shards with we-merge first", in.Short(), snap.Shard.Index, snap.Shard.Count)
	}
	stageKey, progressKey := keys(in, opt)
	made := store.MadeBy(in, record.Op{Tool: "we-step", Version: Version, Params: Params(opt)})
	if h, ok := st.VerifiedMemo(stageKey, record.KindSnapshot, func(o record.Object) bool {
		return made(o) && sameShard(o.(*record.Snapshot).Shard, opt, len(snap.Walkers))
	}); ok {
		return h, nil
	}
	j, err := newJob(st, in, snap, opt)
	if err != nil {
		return record.Hash{}, err
	}
	prog, earlier := st.StartProgress(progressKey, j.hi-j.lo, opt.commitEvery())
	defer prog.Abort()
	todo := j.resume(prog, earlier)
	if n := prog.Done(); n > 0 && opt.Resumed != nil {
		opt.Resumed(n, j.hi-j.lo)
	}
	if err := j.propagate(ctx, prog, todo); err != nil {
		return record.Hash{}, err
	}
	out, written := j.snapshot()
	it, err := st.ItemAfter(out, written)
	if err != nil {
		return it.Hash, fmt.Errorf("store snapshot: %w", err)
	}
	if err := prog.Finish(it, stageKey); err != nil {
		return it.Hash, fmt.Errorf("store snapshot: %w", err)
	}
	return it.Hash, nil
}

// sameShard reports whether a step's snapshot is of the shard opt asks
// for, of a step of total walkers.
func sameShard(sh *record.Shard, opt Options, total int) bool {
	if opt.Shards == 1 {
		return sh == nil
	}
	return sh != nil && *sh == record.Shard{Index: opt.Shard, Count: opt.Shards, Total: total}
}

func (opt Options) commitEvery() time.Duration {
	if opt.CommitEvery > 0 {
		return opt.CommitEvery
	}
	return DefaultCommitEvery
}

// segmentRecord is the segment object of a walker's frames.
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
