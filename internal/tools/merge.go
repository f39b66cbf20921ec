package tools

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Merge is we-merge.
func Merge(env *cli.Env, args []string) int {
	return env.Finish(mergeRun(env, args))
}

func mergeRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	var from cli.ParamList
	fs.Var(&from, "from", "source store to union into --store (repeatable)")
	weights := fs.String("weights", "", "comma-separated shares when pooling ensembles (default equal)")
	quiet := fs.Bool("q", false, "no per-source summary on stderr (problems are still reported)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	var ins []string
	if len(from) == 0 || len(pos) > 0 {
		// Hashes come from the arguments, else from stdin, unless the call
		// is a pure union of stores.
		if ins, err = env.Inputs(pos); err != nil {
			return err
		}
	}
	if len(from) == 0 && len(ins) == 0 {
		return cli.Usagef("nothing to merge: give --from SRC_STORE and/or snapshot hashes")
	}
	dstDir := env.StoreDir(*storeDir)
	// Open every source first: a missing source must not leave an empty
	// destination store behind.
	srcs := make([]*store.Store, len(from))
	bundles := make([]*bundleSource, len(from))
	for i, f := range from {
		if isBundle(f) {
			// A bundle file (we-export): verified whole before the
			// destination is touched, landed below.
			if bundles[i], err = verifyBundle(f); err != nil {
				return err
			}
			continue
		}
		if srcs[i], err = store.Open(f); err != nil {
			return fmt.Errorf("source %w", err)
		}
	}
	var dst *store.Store
	if len(from) > 0 {
		dst, err = store.Create(dstDir)
	} else {
		dst, err = store.Open(dstDir)
	}
	if err != nil {
		return err
	}
	var problems int
	for i, f := range from {
		if bundles[i] != nil {
			if err := bundles[i].land(env, dst); err != nil {
				return err
			}
			continue
		}
		rep, err := dst.Union(srcs[i])
		if err != nil {
			return fmt.Errorf("merge %s into %s: %w", f, dstDir, err)
		}
		for _, p := range rep.Problems {
			env.Errorf("%s", p)
		}
		problems += len(rep.Problems)
		if *quiet {
			continue
		}
		repaired := ""
		if rep.Repaired > 0 {
			// Corrupt files of the destination replaced by the source's
			// sound copies (the bad ones kept in corrupt/).
			repaired = fmt.Sprintf(", %d repaired", rep.Repaired)
		}
		env.Errorf("from %s: %d objects copied (%d bytes), %d already present%s, %d refused", f, rep.Copied, rep.Bytes, rep.Present, repaired, len(rep.Problems))
	}
	if len(ins) > 0 {
		h, err := mergeSnapshots(dst, ins, *weights)
		if err != nil {
			return err
		}
		env.PrintHash(h)
	}
	if problems > 0 {
		return fmt.Errorf("%d objects are corrupt or incomplete and were not copied or repaired (the destination gained only valid objects)", problems)
	}
	return nil
}

func mergeSnapshots(st *store.Store, args []string, weights string) (record.Hash, error) {
	hs := make([]record.Hash, len(args))
	snaps := make([]*record.Snapshot, len(args))
	shards := 0
	for i, a := range args {
		h, s, err := cli.ResolveSnapshot(st, a)
		if err != nil {
			return h, err
		}
		hs[i], snaps[i] = h, s
		if s.Shard != nil {
			shards++
		}
	}
	switch {
	case shards == len(snaps):
		if weights != "" {
			return record.Hash{}, cli.Usagef("--weights applies to pooling ensembles, not to assembling shards")
		}
		return AssembleShards(st, hs, snaps)
	case shards > 0:
		return record.Hash{}, fmt.Errorf("a mix of %d shard snapshots and %d complete snapshots: give either the shards of one step or complete ensembles", shards, len(snaps)-shards)
	}
	return PoolEnsembles(st, hs, snaps, weights)
}

// AssembleShards combines the partial snapshots of one sharded step into
// exactly the snapshot an unsharded we-step gives.
func AssembleShards(st *store.Store, hs []record.Hash, snaps []*record.Snapshot) (record.Hash, error) {
	first := snaps[0]
	count, total := first.Shard.Count, first.Shard.Total
	byIndex := map[int]int{}
	for i, s := range snaps {
		if len(s.Parents) != 1 || s.Parents[0] != first.Parents[0] {
			return record.Hash{}, fmt.Errorf("shard %s is a step of another snapshot (%s, not %s)", hs[i].Short(), parentShort(s), parentShort(first))
		}
		if s.Shard.Count != count || s.Shard.Total != total {
			return record.Hash{}, fmt.Errorf("shard %s is %d/%d of %d walkers; the others are of %d shards of %d walkers", hs[i].Short(), s.Shard.Index, s.Shard.Count, s.Shard.Total, count, total)
		}
		if !sameOp(s.Op, first.Op) {
			return record.Hash{}, fmt.Errorf("shard %s was made with other parameters (%v, not %v)", hs[i].Short(), s.Op.Params, first.Op.Params)
		}
		if j, dup := byIndex[s.Shard.Index]; dup {
			if hs[j] == hs[i] {
				continue
			}
			return record.Hash{}, fmt.Errorf("shards %s and %s both hold shard %d/%d", hs[j].Short(), hs[i].Short(), s.Shard.Index, count)
		}
		byIndex[s.Shard.Index] = i
	}
	var missing []string
	for i := 0; i < count; i++ {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) > 0 {
		return record.Hash{}, fmt.Errorf("incomplete step of %s: shards %s missing (have %d of %d)", parentShort(first), strings.Join(missing, ", "), len(byIndex), count)
	}
	out := record.NewSnapshot()
	out.Cycle = first.Cycle
	out.System = first.System
	out.Parents = first.Parents
	out.Op = first.Op
	out.Resampler = first.Resampler
	out.Summary = first.Summary
	for i := 0; i < count; i++ {
		out.Walkers = append(out.Walkers, snaps[byIndex[i]].Walkers...)
	}
	h, err := st.Put(out)
	if err != nil {
		return h, fmt.Errorf("store assembled snapshot: %w", err)
	}
	return h, nil
}

func parentShort(s *record.Snapshot) string {
	if len(s.Parents) == 0 {
		return "none"
	}
	return s.Parents[0].Short()
}

func sameOp(a, b record.Op) bool {
	if a.Tool != b.Tool || a.Version != b.Version || len(a.Params) != len(b.Params) {
		return false
	}
	for k, v := range a.Params {
		if b.Params[k] != v {
			return false
		}
	}
	return true
}

// PoolEnsembles combines independent complete ensembles (replicas with
// other seeds or other initial states) into one whose weights are the
// ensembles' weights times their shares (equal by default). The shares are
// recorded in the op.
func PoolEnsembles(st *store.Store, hs []record.Hash, snaps []*record.Snapshot, weights string) (record.Hash, error) {
	k := len(snaps)
	shares := make([]float64, k)
	if weights == "" {
		for i := range shares {
			shares[i] = 1 / float64(k)
		}
	} else {
		parts := strings.Split(weights, ",")
		if len(parts) != k {
			return record.Hash{}, cli.Usagef("--weights has %d values for %d ensembles", len(parts), k)
		}
		var sum, biggest float64
		for i, p := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || !(x > 0) || math.IsInf(x, 0) {
				return record.Hash{}, cli.Usagef("--weights: %q is not a positive number", p)
			}
			shares[i] = x
			biggest = math.Max(biggest, x)
		}
		// Scale by the largest share first so that the sum cannot overflow.
		for i := range shares {
			shares[i] /= biggest
			sum += shares[i]
		}
		for i := range shares {
			shares[i] /= sum
		}
	}
	seen := map[record.Hash]bool{}
	for i, s := range snaps {
		if s.System != snaps[0].System {
			return record.Hash{}, fmt.Errorf("snapshot %s simulates system %s, snapshot %s system %s: only ensembles of one system can be pooled", hs[0].Short(), snaps[0].System.Short(), hs[i].Short(), s.System.Short())
		}
		if seen[hs[i]] {
			return record.Hash{}, errors.New("the same snapshot is given twice: " + hs[i].Short())
		}
		seen[hs[i]] = true
	}
	out := record.NewSnapshot()
	out.System = snaps[0].System
	out.Parents = hs
	var cycle uint64
	var off int
	var shareText []string
	for i, s := range snaps {
		cycle = max(cycle, s.Cycle)
		for j, w := range s.Walkers {
			w.Weight *= shares[i]
			w.Parent = off + j
			out.Walkers = append(out.Walkers, w)
		}
		off += len(s.Walkers)
		shareText = append(shareText, strconv.FormatFloat(shares[i], 'g', -1, 64))
	}
	out.Cycle = cycle
	out.Op = record.Op{Tool: "we-merge", Version: Version, Params: map[string]string{"shares": strings.Join(shareText, ",")}}
	out.Summary = map[string]float64{"ensembles": float64(k)}
	h, err := st.Put(out)
	if err != nil {
		return h, fmt.Errorf("store pooled snapshot: %w", err)
	}
	return h, nil
}
