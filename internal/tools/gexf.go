package tools

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/gexf"
	"github.com/wepipe/wepipe/pkg/lineage"
	"github.com/wepipe/wepipe/pkg/record"
)

// Gexf is we-gexf: the walker family tree of a run as a GEXF graph.
func Gexf(env *cli.Env, args []string) int {
	return env.Finish(gexfRun(env, args))
}

// Layout of the drawing: cycles go down the page gexfRowGap apart, the
// walkers of a cycle side by side gexfColGap apart; a node's size is
// gexfSizeTop − F for F = −ln w, at least 1, so that heavier walkers are
// drawn larger (gexfSizeTop ≈ −ln 1e-12, wepy's smallest weight by
// default).
const (
	gexfColGap  = 40
	gexfRowGap  = 60
	gexfSizeTop = 28
)

// Decision names, wepy's MultiCloneMergeDecision (FORMAT.md §4.3).
var decisionNames = []string{"none", "NOTHING", "CLONE", "SQUASH", "KEEP_MERGE"}

func gexfRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	from := fs.Uint64("from", 0, "first cycle of the tree")
	colorObs := fs.String("color", "", "observable that colours the nodes (default: the system's first; none: no colour)")
	colorRange := fs.String("color-range", "", "LO,HI: the observable values mapped to the ends of the colour scale (default: the range in the tree)")
	version := fs.String("gexf-version", "1.2draft", "GEXF version: 1.2draft or 1.3")
	out := fs.String("o", "-", "output file (- for stdout)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	ver, err := gexf.ParseVersion(*version)
	if err != nil {
		return cli.Usagef("--gexf-version: %v", err)
	}
	var lo, hi float64
	fixedRange := *colorRange != ""
	if fixedRange {
		v, err := cli.Floats(*colorRange)
		if err != nil || len(v) != 2 || !(v[0] < v[1]) || math.IsInf(v[0], 0) || math.IsInf(v[1], 0) {
			return cli.Usagef("--color-range %q: want LO,HI with LO < HI", *colorRange)
		}
		lo, hi = v[0], v[1]
	}
	st, h, snap, sys, err := env.InputComplete(*storeDir, pos)
	if err != nil {
		return err
	}
	names := sys.ObsNames()
	color := *colorObs
	switch {
	case color == "" && len(names) > 0:
		color = names[0]
	case color == "none":
		color = ""
	case color != "" && !slices.Contains(names, color):
		return cli.Usagef("--color %s: the system's observables are %s (or none)", color, strings.Join(names, ", "))
	}
	if *from > snap.Cycle {
		return cli.Usagef("--from %d: snapshot %s is of cycle %d", *from, h.Short(), snap.Cycle)
	}

	// Back through the history: the chain of hashes (32 bytes a
	// snapshot) and the range of the colouring observable.
	// Only the snapshots from cycle --from on are kept: the first of them
	// (the resampling that starts cycle --from) holds the tree's roots.
	var chain []record.Hash
	var firstCycle uint64 // of the history's first snapshot kept
	lo2, hi2 := math.Inf(1), math.Inf(-1)
	err = lineage.Back(st, h, func(x record.Hash, s *record.Snapshot) error {
		if s.Cycle < *from {
			return errStop
		}
		chain = append(chain, x)
		firstCycle = s.Cycle
		if color != "" && !fixedRange {
			for _, w := range s.Walkers {
				if v, ok := w.Obs[color]; ok {
					lo2, hi2 = math.Min(lo2, v), math.Max(hi2, v)
				}
			}
		}
		return nil
	})
	if err != nil && err != errStop {
		return err
	}
	slices.Reverse(chain)
	if !fixedRange {
		lo, hi = lo2, hi2
	}

	o, err := createOutput(*out, env.Stdout)
	if err != nil {
		return err
	}
	defer o.abort()
	// Edges may only follow every node: they wait in a spool file (17
	// bytes each) beside the output.
	spoolDir := os.TempDir()
	if *out != "-" {
		spoolDir = filepath.Dir(*out)
	}
	spool, err := os.CreateTemp(spoolDir, ".we-gexf-edges-*.tmp")
	if err != nil {
		return fmt.Errorf("spool file: %w", err)
	}
	defer func() {
		spool.Close()
		os.Remove(spool.Name())
	}()
	sw := bufio.NewWriterSize(spool, 64<<10)

	nodeAttrs := []gexf.Attr{
		{Title: "cycle", Type: gexf.Long}, {Title: "slot", Type: gexf.Integer}, {Title: "parent", Type: gexf.Integer},
		{Title: "weight", Type: gexf.Double}, {Title: "free_energy", Type: gexf.Double},
		{Title: "decision", Type: gexf.Integer}, {Title: "decision_name", Type: gexf.String},
		{Title: "merged_into", Type: gexf.Integer}, {Title: "warped", Type: gexf.Boolean}, {Title: "warp_target", Type: gexf.Integer},
		{Title: "region", Type: gexf.String},
	}
	fixed := len(nodeAttrs)
	for _, n := range names {
		title := n
		if slices.ContainsFunc(nodeAttrs[:fixed], func(a gexf.Attr) bool { return a.Title == n }) {
			title = "obs_" + n
		}
		nodeAttrs = append(nodeAttrs, gexf.Attr{Title: title, Type: gexf.Double})
	}
	desc := fmt.Sprintf("walker family tree of snapshot %s (system %s), cycles %d to %d", h, sys.Name, firstCycle, snap.Cycle)
	w, err := gexf.NewWriter(o, gexf.Options{
		Version: ver, Creator: "wepipe we-gexf", Description: desc, NodeAttrs: nodeAttrs,
		EdgeAttrs: []gexf.Attr{{Title: "discontinuous", Type: gexf.Boolean}, {Title: "clone", Type: gexf.Boolean}},
	})
	if err != nil {
		return err
	}

	var (
		prevRank, rank []int
		order          []int
		vals           = make([]gexf.Value, len(nodeAttrs))
		first          = true
		prevDecisions  []uint8
		prevWarped     []bool
		edges          int64
		rec            [17]byte
	)
	pf := newPrefetch(st, chain, 8)
	err = lineage.TreeFrom(pf.get, len(chain), func(row *lineage.Row) error {
		n := len(row.Nodes)
		// Order: by the parent's place in the previous row, then by slot,
		// so that siblings sit side by side and no two edges cross; roots
		// come after the children of the previous row.
		order = order[:0]
		for j := 0; j < n; j++ {
			order = append(order, j)
		}
		key := func(j int) int {
			p := row.Nodes[j].Parent
			if first || p < 0 || p >= len(prevRank) {
				return math.MaxInt
			}
			return prevRank[p]
		}
		slices.SortStableFunc(order, func(a, b int) int { return key(a) - key(b) })
		rank = slices.Grow(rank[:0], n)[:n]
		for r, j := range order {
			rank[j] = r
		}
		for r, j := range order {
			nd := &row.Nodes[j]
			id := strconv.FormatUint(row.Cycle, 10) + ":" + strconv.Itoa(j)
			parent := nd.Parent
			if first {
				parent = -1
			}
			mergedInto, warpTarget := -1, -1
			if nd.Decision == 3 && len(nd.Targets) > 0 {
				mergedInto = nd.Targets[0]
			}
			if nd.Warp != nil {
				warpTarget = nd.Warp.Target
			}
			f := -math.Log(nd.Weight)
			vals = append(vals[:0],
				gexf.Int(int64(row.Cycle)), gexf.Int(int64(j)), gexf.Int(int64(parent)),
				gexf.Real(nd.Weight), gexf.Real(f),
				gexf.Int(int64(nd.Decision)), gexf.Str(decisionNames[nd.Decision]),
				gexf.Int(int64(mergedInto)), gexf.Bool(nd.Warp != nil), gexf.Int(int64(warpTarget)),
				gexf.Str(regionText(nd.Region)))
			for _, name := range names {
				if v, ok := nd.Obs[name]; ok {
					vals = append(vals, gexf.Real(v))
				} else {
					vals = append(vals, gexf.Value{})
				}
			}
			node := &gexf.Node{
				ID: id, Label: id, Values: vals,
				Position: &gexf.Position{X: (float64(r) - float64(n-1)/2) * gexfColGap, Y: (float64(firstCycle) - float64(row.Cycle)) * gexfRowGap},
				Size:     math.Max(1, gexfSizeTop-f),
				Shape:    gexf.Disc,
			}
			if color != "" {
				if v, ok := nd.Obs[color]; ok {
					c := viridis(lo, hi, v)
					node.Color = &c
				}
			}
			switch {
			case nd.Warp != nil:
				node.Shape = gexf.Square
			case nd.Decision == 3:
				// A squashed walker is a leaf: its state ends here and its
				// weight goes on in the survivor's node.
				node.Shape = gexf.Diamond
				if node.Color == nil {
					node.Color = &gexf.Color{R: 128, G: 128, B: 128}
				}
				node.Color.A = 0.4
			}
			if err := w.Node(node); err != nil {
				return err
			}
			if parent >= 0 {
				binary.LittleEndian.PutUint64(rec[0:], row.Cycle)
				binary.LittleEndian.PutUint32(rec[8:], uint32(parent))
				binary.LittleEndian.PutUint32(rec[12:], uint32(j))
				var flags byte
				if parent < len(prevWarped) && prevWarped[parent] {
					flags |= 1
				}
				if parent < len(prevDecisions) && prevDecisions[parent] == 2 {
					flags |= 2
				}
				rec[16] = flags
				if _, err := sw.Write(rec[:17]); err != nil {
					return fmt.Errorf("spool file: %w", err)
				}
				edges++
			}
		}
		prevRank, rank = rank, prevRank
		prevDecisions, prevWarped = prevDecisions[:0], prevWarped[:0]
		for _, nd := range row.Nodes {
			prevDecisions = append(prevDecisions, nd.Decision)
			prevWarped = append(prevWarped, nd.Warp != nil)
		}
		first = false
		return nil
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("spool file: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool file: %w", err)
	}
	sr := bufio.NewReaderSize(spool, 64<<10)
	evals := make([]gexf.Value, 2)
	for k := int64(0); k < edges; k++ {
		if _, err := io.ReadFull(sr, rec[:17]); err != nil {
			return fmt.Errorf("spool file: %w", err)
		}
		c := binary.LittleEndian.Uint64(rec[0:])
		p, j := binary.LittleEndian.Uint32(rec[8:]), binary.LittleEndian.Uint32(rec[12:])
		evals[0], evals[1] = gexf.Bool(rec[16]&1 != 0), gexf.Bool(rec[16]&2 != 0)
		child := strconv.FormatUint(c, 10) + ":" + strconv.FormatUint(uint64(j), 10)
		if err := w.Edge(&gexf.Edge{
			ID: "e" + child, Source: strconv.FormatUint(c-1, 10) + ":" + strconv.FormatUint(uint64(p), 10), Target: child, Values: evals,
		}); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return o.commit()
}

// errStop ends a walk through a history early.
var errStop = errors.New("stop")

// regionText writes a region path as "0,3,1" (empty: none).
func regionText(r []int) string {
	var b strings.Builder
	for i, x := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

// viridisStops are matplotlib's viridis colour map at 0, 1/8, … 1;
// colours between them are interpolated linearly.
var viridisStops = [9][3]float64{
	{68, 1, 84}, {71, 44, 122}, {59, 82, 139}, {44, 114, 142}, {33, 145, 140},
	{40, 174, 128}, {94, 201, 98}, {173, 220, 48}, {253, 231, 37},
}

// viridis maps v in [lo, hi] (clamped) to a colour; a degenerate range
// maps everything to the middle.
func viridis(lo, hi, v float64) gexf.Color {
	t := 0.5
	if hi > lo {
		t = (v - lo) / (hi - lo)
	}
	t = math.Max(0, math.Min(1, t))
	x := t * 8
	i := min(int(x), 7)
	f := x - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	ch := func(k int) uint8 { return uint8(math.Round(a[k] + f*(b[k]-a[k]))) }
	return gexf.Color{R: ch(0), G: ch(1), B: ch(2), A: -1}
}
