package step

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

// job is one step in progress.
type job struct {
	st     *store.Store
	in     record.Hash
	snap   *record.Snapshot
	opt    Options
	comp   *system.Compiled
	eng    engine.Engine
	lo, hi int      // the walkers of this shard
	res    []result // by slot; set for the walkers done

	cacheMu sync.Mutex
	cache   map[record.Hash]*record.State // input states, shared by clones
}

// result is one walker's outcome.
type result struct {
	state   record.Hash
	obs     map[string]float64
	segment *record.Hash
}

// line is the result's progress line: "slot state-hash [segment-hash]".
func (r result) line(slot int) string {
	if r.segment != nil {
		return fmt.Sprintf("%d %s %s", slot, r.state, r.segment)
	}
	return fmt.Sprintf("%d %s", slot, r.state)
}

func newJob(st *store.Store, in record.Hash, snap *record.Snapshot, opt Options) (*job, error) {
	sys, err := store.LoadAs[*record.System](st, snap.System)
	if err != nil {
		return nil, fmt.Errorf("load system %s: %w", snap.System.Short(), err)
	}
	comp, err := system.Compile(sys)
	if err != nil {
		return nil, fmt.Errorf("system %s (%s): %w", snap.System.Short(), sys.Name, err)
	}
	eng, err := engine.Lookup(sys.Engine)
	if err != nil {
		return nil, fmt.Errorf("system %s (%s): %w", snap.System.Short(), sys.Name, err)
	}
	j := &job{st: st, in: in, snap: snap, opt: opt, comp: comp, eng: eng, cache: map[record.Hash]*record.State{}}
	j.lo, j.hi = record.ShardRange(opt.Shard, opt.Shards, len(snap.Walkers))
	j.res = make([]result, len(snap.Walkers))
	return j, nil
}

// resume takes the walkers an earlier run recorded as done, checking that
// their objects are present and sound (others are computed again), and
// returns the slots left to do.
func (j *job) resume(prog *store.Progress, earlier []string) []int {
	done := map[int]bool{}
	var kept []string
	for _, l := range earlier {
		slot, r, ok := j.parseLine(l)
		if !ok || done[slot] {
			continue
		}
		j.res[slot], done[slot] = r, true
		kept = append(kept, l)
	}
	prog.Resume(kept)
	var todo []int
	for i := j.lo; i < j.hi; i++ {
		if !done[i] {
			todo = append(todo, i)
		}
	}
	return todo
}

func (j *job) parseLine(l string) (int, result, bool) {
	f := strings.Fields(l)
	if len(f) < 2 || len(f) > 3 {
		return 0, result{}, false
	}
	slot, err := strconv.Atoi(f[0])
	if err != nil || slot < j.lo || slot >= j.hi {
		return 0, result{}, false
	}
	sh, err := record.ParseHash(f[1])
	if err != nil {
		return 0, result{}, false
	}
	s, err := store.LoadAs[*record.State](j.st, sh)
	if err != nil {
		return 0, result{}, false
	}
	r := result{state: sh, obs: s.Obs}
	if len(f) == 3 {
		seg, err := record.ParseHash(f[2])
		if err != nil || j.st.Verify(record.KindSegment, seg) != nil {
			return 0, result{}, false
		}
		r.segment = &seg
	}
	return slot, r, true
}

// propagate runs the walkers of todo on Options.Workers engine workers,
// each taking the next walker from a shared counter, while this goroutine
// commits their results (prog.Run). A failure stops the other workers; an
// interrupt (ctx) stops them all. Either way what is done is kept for the
// next run.
func (j *job) propagate(ctx context.Context, prog *store.Progress, todo []int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next     atomic.Int64
		mu       sync.Mutex // guards the fields below and j.res
		firstErr error
		nsteps   int64
		finished = prog.Done()
		start    = time.Now()
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil && ctx.Err() == nil {
			firstErr = err
			cancel(err)
		}
		mu.Unlock()
	}
	for w := 0; w < j.opt.Workers && w < len(todo); w++ {
		wg.Go(func() {
			worker, err := engine.Start(ctx, j.eng, j.comp.Engine, w)
			if err != nil {
				fail(fmt.Errorf("start engine worker %d: %w", w, err))
				return
			}
			defer worker.Close()
			for ctx.Err() == nil {
				k := int(next.Add(1)) - 1
				if k >= len(todo) {
					return
				}
				r, err := j.walker(ctx, worker, todo[k], w, prog)
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				j.res[todo[k]] = r
				nsteps += int64(j.opt.Steps)
				finished++
				if j.opt.Progress != nil {
					j.opt.Progress(finished, j.hi-j.lo, nsteps, time.Since(start))
				}
				mu.Unlock()
			}
		})
	}
	workersDone := make(chan struct{})
	go func() { wg.Wait(); close(workersDone) }()
	if err := prog.Run(workersDone); err != nil {
		fail(err)
		<-workersDone
	}
	if firstErr == nil && ctx.Err() == nil {
		return nil
	}
	// Keep what is done for the next run, however short this one was.
	prog.Flush()
	if firstErr != nil {
		return firstErr
	}
	return fmt.Errorf("interrupted (%v); run the same command again to resume", context.Cause(ctx))
}

// walker propagates walker i on worker w and stages its new objects.
func (j *job) walker(ctx context.Context, worker engine.Worker, i, w int, prog *store.Progress) (result, error) {
	s, err := j.load(j.snap.Walkers[i].State)
	if err != nil {
		return result{}, fmt.Errorf("walker %d: load state %s: %w", i, j.snap.Walkers[i].State.Short(), err)
	}
	var (
		outState engine.State
		frames   []engine.Frame
	)
	for attempt := 0; ; attempt++ {
		req := engine.Request{
			Walker: i, Worker: w, Cycle: j.snap.Cycle, Steps: j.opt.Steps, Frames: j.opt.Frames,
			Rand: rng.NewKey("we-step", j.in, uint64(i), j.opt.Seed),
		}
		outState, frames, err = worker.Propagate(ctx, j.comp.EngineState(s), req)
		if err == nil {
			break
		}
		if attempt >= j.opt.Retries || ctx.Err() != nil {
			// Engines name the walker (and the step) themselves.
			return result{}, err
		}
		if j.opt.Retrying != nil {
			j.opt.Retrying(i, attempt+1, err)
		}
	}
	if n := j.comp.Record.NAtoms(); len(outState.Positions) != 3*n || len(outState.Velocities) != 3*n {
		return result{}, fmt.Errorf("walker %d: the engine returned %d coordinates for %d atoms", i, len(outState.Positions), n)
	}
	rec := j.comp.StateRecord(outState)
	it, err := store.NewItem(rec)
	if err != nil {
		return result{}, fmt.Errorf("walker %d: %w", i, err)
	}
	r, items := result{state: it.Hash, obs: rec.Obs}, []store.Item{it}
	if len(frames) > 0 {
		sit, err := store.NewItem(segmentRecord(j.comp, frames))
		if err != nil {
			return result{}, fmt.Errorf("walker %d: segment: %w", i, err)
		}
		items = append(items, sit)
		r.segment = &sit.Hash
	}
	if err := prog.Add(items, r.line(i)); err != nil {
		return result{}, fmt.Errorf("store walker %d: %w", i, err)
	}
	j.opt.Carry.put(it.Hash, rec)
	return r, nil
}

// load loads an input state once for all the walkers that share it.
func (j *job) load(h record.Hash) (*record.State, error) {
	j.cacheMu.Lock()
	s, ok := j.cache[h]
	j.cacheMu.Unlock()
	if ok {
		return s, nil
	}
	if s, ok := j.opt.Carry.get(h); ok {
		return s, nil
	}
	s, err := store.LoadAs[*record.State](j.st, h)
	if err != nil {
		return nil, err
	}
	j.cacheMu.Lock()
	j.cache[h] = s
	j.cacheMu.Unlock()
	return s, nil
}

// snapshot assembles the step's snapshot, and the objects it refers to
// that are known to be in the store or in the batch before it.
func (j *job) snapshot() (*record.Snapshot, map[record.Hash]bool) {
	out := record.NewSnapshot()
	out.Cycle = j.snap.Cycle
	out.System = j.snap.System
	out.Parents = []record.Hash{j.in}
	out.Op = record.Op{Tool: "we-step", Version: Version, Params: Params(j.opt)}
	out.Resampler = j.snap.Resampler
	written := map[record.Hash]bool{j.in: true, j.snap.System: true}
	for i := j.lo; i < j.hi; i++ {
		r := j.res[i]
		out.Walkers = append(out.Walkers, record.Walker{
			State: r.state, Weight: j.snap.Walkers[i].Weight, Parent: i, Obs: r.obs, Segment: r.segment,
		})
		written[r.state] = true
		if r.segment != nil {
			written[*r.segment] = true
		}
	}
	if j.opt.Shards > 1 {
		out.Shard = &record.Shard{Index: j.opt.Shard, Count: j.opt.Shards, Total: len(j.snap.Walkers)}
	}
	return out, written
}
