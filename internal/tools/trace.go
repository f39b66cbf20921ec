package tools

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/lineage"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/traj"
)

// Trace is we-trace: walkers' lineages as trajectories.
func Trace(env *cli.Env, args []string) int {
	return env.Finish(traceRun(env, args))
}

// traceGroup bounds the lineages written at once (each holds a file open).
const traceGroup = 64

// traceMeta is what the first pass keeps of each snapshot of the history.
type traceMeta struct {
	cycle   uint64
	walkers int
	warps   []int // walkers of the parent ensemble warped before this resampling
}

// traceOut is one lineage being written.
type traceOut struct {
	lin    *lineage.Lineage
	name   string // file, or "-"
	title  string
	o      *outFile
	w      traj.Writer
	next   int // next point
	frames int
}

func traceRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	walker := fs.String("walker", "", "SLOT or CYCLE:SLOT: the lineage of one walker")
	all := fs.Bool("all", false, "the lineage of every walker of the snapshot (into a directory)")
	warpedAll := fs.Bool("warped", false, "the lineage of every walker that reached a warp target (into a directory)")
	warpN := fs.Int("warp", 0, "N: the lineage of the N-th warp of the history (1 is the first)")
	format := fs.String("format", "", "pdb, xyz, dcd, csv or jsonl (default: from -o's extension)")
	out := fs.String("o", "", "output file, or directory for --all and --warped (- for stdout)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	modes := 0
	for _, on := range []bool{*walker != "", *all, *warpedAll, *warpN != 0} {
		if on {
			modes++
		}
	}
	if modes != 1 {
		return cli.Usagef("give one of --walker SLOT, --walker CYCLE:SLOT, --all, --warped, --warp N")
	}
	if *warpN < 0 {
		return cli.Usagef("--warp %d: warps are counted from 1", *warpN)
	}
	many := *all || *warpedAll
	if *out == "" {
		if many {
			return cli.Usagef("-o DIR is required with --all and --warped")
		}
		*out = "-"
	}
	if many && *out == "-" {
		return cli.Usagef("--all and --warped write one file per lineage: give -o DIR")
	}
	fmtName := *format
	if fmtName == "" {
		if ext := filepath.Ext(*out); ext != "" && !many && *out != "-" {
			fmtName = ext
		} else {
			return cli.Usagef("--format is required (pdb, xyz, dcd, csv, jsonl)")
		}
	}
	ft, err := traj.ParseFormat(fmtName)
	if err != nil {
		return cli.Usagef("%v", err)
	}
	if ft == traj.DCD && *out == "-" {
		return cli.Usagef("a DCD file is written with -o FILE, not to stdout")
	}
	var wantCycle int64 = -1
	wantSlot := -1
	if *walker != "" {
		c, s, found := strings.Cut(*walker, ":")
		if !found {
			c, s = "", c
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return cli.Usagef("--walker %q: want SLOT or CYCLE:SLOT", *walker)
		}
		wantSlot = n
		if found {
			x, err := strconv.ParseUint(c, 10, 63)
			if err != nil {
				return cli.Usagef("--walker %q: want SLOT or CYCLE:SLOT", *walker)
			}
			wantCycle = int64(x)
		}
	}

	st, h, _, sys, err := env.InputComplete(*storeDir, pos)
	if err != nil {
		return err
	}

	// Pass 1, back through the history: its hashes and what is needed to
	// find the lineages' starts.
	var chain []record.Hash
	var meta []traceMeta
	err = lineage.Back(st, h, func(x record.Hash, s *record.Snapshot) error {
		m := traceMeta{cycle: s.Cycle, walkers: len(s.Walkers)}
		for _, w := range s.Warps {
			m.warps = append(m.warps, w.Walker)
		}
		chain, meta = append(chain, x), append(meta, m)
		return nil
	})
	if err != nil {
		return err
	}
	slices.Reverse(chain)
	slices.Reverse(meta)
	last := len(chain) - 1

	var starts []lineage.Start
	var names []string // file names in a directory, or the title of one lineage
	ext := "." + string(ft)
	switch {
	case *all:
		for j := 0; j < meta[last].walkers; j++ {
			starts = append(starts, lineage.Start{Index: last, Slot: j})
			names = append(names, fmt.Sprintf("walker-%04d%s", j, ext))
		}
	case *warpedAll || *warpN > 0:
		k := 0
		for i, m := range meta {
			for _, w := range m.warps {
				k++
				if *warpN > 0 && k != *warpN {
					continue
				}
				if i == 0 {
					return fmt.Errorf("warp %d: its walker's ensemble is before the history's first snapshot", k)
				}
				starts = append(starts, lineage.Start{Index: i - 1, Slot: w})
				if *warpN > 0 {
					names = append(names, *out)
				} else {
					names = append(names, fmt.Sprintf("warp-%04d-cycle%d-walker%d%s", k, meta[i-1].cycle, w, ext))
				}
			}
		}
		if *warpN > k {
			return fmt.Errorf("--warp %d: the history of %s has %d warps (we-ls warps %s lists them)", *warpN, h.Short(), k, h.Short())
		}
		if len(starts) == 0 {
			env.Errorf("the history of %s has no warps: no walker reached a target", h.Short())
		}
	default:
		idx := last
		if wantCycle >= 0 {
			idx = -1
			for i, m := range meta {
				if m.cycle == uint64(wantCycle) {
					idx = i // the last snapshot of the cycle: after its dynamics
				}
			}
			if idx < 0 {
				return fmt.Errorf("--walker %s: the history of %s has no cycle %d (cycles %d to %d)", *walker, h.Short(), wantCycle, meta[0].cycle, meta[last].cycle)
			}
		}
		if wantSlot >= meta[idx].walkers {
			return fmt.Errorf("--walker %s: cycle %d has %d walkers (slots 0 to %d)", *walker, meta[idx].cycle, meta[idx].walkers, meta[idx].walkers-1)
		}
		starts = append(starts, lineage.Start{Index: idx, Slot: wantSlot})
		names = append(names, *out)
	}

	lins, err := lineage.Trace(st, chain, starts)
	if err != nil {
		return err
	}

	top := traj.Topology{}
	for i, n := range sys.Particles.Names {
		a := traj.Atom{Name: n}
		if len(sys.Particles.Elements) > 0 {
			a.Element = sys.Particles.Elements[i]
		}
		top.Atoms = append(top.Atoms, a)
	}
	for k := 0; k+1 < len(sys.Particles.Bonds); k += 2 {
		top.Bonds = append(top.Bonds, [2]int{sys.Particles.Bonds[k], sys.Particles.Bonds[k+1]})
	}
	obsNames := sys.ObsNames()

	dir := ""
	if many {
		dir = *out
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", dir, err)
		}
	}
	// XYZ and DCD hold no topology: a PDB of it (the system's first
	// initial state) goes beside them, for VMD, PyMOL and MDTraj.
	var written []string
	if (ft == traj.DCD || ft == traj.XYZ) && len(lins) > 0 && *out != "-" {
		p := filepath.Join(dir, "topology.pdb")
		if !many {
			p = strings.TrimSuffix(*out, filepath.Ext(*out)) + ".top.pdb"
		}
		if err := writeTopology(st, sys, &top, p, h); err != nil {
			return err
		}
		written = append(written, p)
	}

	frames := 0
	for g := 0; g < len(lins); g += traceGroup {
		outs := make([]*traceOut, 0, traceGroup)
		for k := g; k < min(g+traceGroup, len(lins)); k++ {
			name := names[k]
			if many {
				name = filepath.Join(dir, names[k])
			}
			lin := &lins[k]
			title := fmt.Sprintf("lineage of walker %d, cycle %d of %s, from cycle %d (%s)", lin.Start.Slot, meta[lin.Start.Index].cycle, h.Short(), lin.Points[0].Cycle, lin.From)
			outs = append(outs, &traceOut{lin: lin, name: name, title: title})
		}
		n, err := traceWrite(env, st, sys, &top, obsNames, ft, outs)
		for _, o := range outs {
			if o.o != nil {
				o.o.abort()
			}
		}
		if err != nil {
			return err
		}
		frames += n
		for _, o := range outs {
			if o.name != "-" {
				written = append(written, o.name)
			}
		}
	}
	for _, p := range written {
		fmt.Fprintln(env.Stdout, p)
	}
	if many {
		env.Errorf("%d lineages, %d frames, in %s", len(lins), frames, dir)
	}
	return nil
}

// writeTopology writes the system's atoms at its first initial state as a
// one-model PDB.
func writeTopology(st *store.Store, sys *record.System, top *traj.Topology, path string, h record.Hash) error {
	s, err := store.LoadAs[*record.State](st, sys.Initial[0].State)
	if err != nil {
		return fmt.Errorf("load initial state %s: %w", sys.Initial[0].State.Short(), err)
	}
	o, err := createOutput(path, nil)
	if err != nil {
		return err
	}
	defer o.abort()
	w, err := traj.NewPDB(o, top, fmt.Sprintf("topology of system %s (snapshot %s): its first initial state", sys.Name, h.Short()))
	if err != nil {
		return err
	}
	if err := w.WriteFrame(&traj.Frame{Positions: s.Positions.Data, Box: boxOf(s, sys)}); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return o.commit()
}

func boxOf(s *record.State, sys *record.System) []float64 {
	if len(s.Box) == 3 {
		return s.Box
	}
	if len(sys.Box) == 3 {
		return sys.Box
	}
	return nil
}

// traceWrite writes a group of lineages in step through the history, so
// that a state or segment several lineages share (their common ancestors)
// is loaded once. It returns the number of frames written.
func traceWrite(env *cli.Env, st *store.Store, sys *record.System, top *traj.Topology, obsNames []string, ft traj.Format, outs []*traceOut) (int, error) {
	for _, o := range outs {
		f, err := createOutput(o.name, env.Stdout)
		if err != nil {
			return 0, err
		}
		o.o = f
		switch ft {
		case traj.PDB:
			o.w, err = traj.NewPDB(f, top, o.title)
		case traj.XYZ:
			o.w, err = traj.NewXYZ(f, top)
		case traj.DCD:
			o.w, err = traj.NewDCD(f, len(top.Atoms), traj.DCDOptions{Box: len(sys.Box) == 3, Timestep: sys.Integrator.Timestep, Title: o.title})
		case traj.CSV:
			o.w, err = traj.NewCSV(f, obsNames)
		case traj.JSONL:
			o.w, err = traj.NewJSONL(f, obsNames)
		}
		if err != nil {
			return 0, fmt.Errorf("%s: %w", o.name, err)
		}
	}
	states := map[record.Hash]*record.State{}
	segs := map[record.Hash]*record.Segment{}
	state := func(h record.Hash) (*record.State, error) {
		if s, ok := states[h]; ok {
			return s, nil
		}
		s, err := store.LoadAs[*record.State](st, h)
		if err != nil {
			return nil, fmt.Errorf("load state %s: %w", h.Short(), err)
		}
		states[h] = s
		return s, nil
	}
	obsOf := func(m map[string]float64) []float64 {
		v := make([]float64, len(obsNames))
		for i, n := range obsNames {
			x, ok := m[n]
			if !ok {
				x = math.NaN()
			}
			v[i] = x
		}
		return v
	}
	total := 0
	for {
		idx := -1
		for _, o := range outs {
			if o.next < len(o.lin.Points) {
				if i := o.lin.Points[o.next].Index; idx < 0 || i < idx {
					idx = i
				}
			}
		}
		if idx < 0 {
			break
		}
		clear(states)
		clear(segs)
		for _, o := range outs {
			for o.next < len(o.lin.Points) && o.lin.Points[o.next].Index == idx {
				p := o.lin.Points[o.next]
				o.next++
				s, err := state(p.State)
				if err != nil {
					return total, err
				}
				box := boxOf(s, sys)
				fr := traj.Frame{Cycle: p.Cycle, Slot: p.Slot, Weight: p.Weight, Box: box}
				lastStep, seen := uint64(0), false
				if p.Segment != nil {
					seg, ok := segs[*p.Segment]
					if !ok {
						seg, err = store.LoadAs[*record.Segment](st, *p.Segment)
						if err != nil {
							return total, fmt.Errorf("load segment %s: %w", p.Segment.Short(), err)
						}
						segs[*p.Segment] = seg
					}
					per := len(top.Atoms) * 3
					if seg.Positions.Shape[1] != len(top.Atoms) {
						return total, fmt.Errorf("segment %s: frames of %d atoms, the system has %d", p.Segment.Short(), seg.Positions.Shape[1], len(top.Atoms))
					}
					for k := range seg.Steps {
						fr.Positions = seg.Positions.Data[k*per : (k+1)*per]
						fr.Step, fr.Time = seg.Steps[k], seg.Times[k]
						fr.Obs = make([]float64, len(obsNames))
						for i, n := range obsNames {
							fr.Obs[i] = math.NaN()
							if v, ok := seg.Obs[n]; ok {
								fr.Obs[i] = v[k]
							}
						}
						if err := o.w.WriteFrame(&fr); err != nil {
							return total, fmt.Errorf("%s: %w", o.name, err)
						}
						o.frames++
						total++
						lastStep, seen = seg.Steps[k], true
					}
				}
				if seen && lastStep == s.Step {
					continue // the segment's last frame is the state itself
				}
				fr.Positions, fr.Step, fr.Time, fr.Obs = s.Positions.Data, s.Step, s.Time, obsOf(s.Obs)
				if len(fr.Positions) != len(top.Atoms)*3 {
					return total, fmt.Errorf("state %s: %d atoms, the system has %d", p.State.Short(), len(fr.Positions)/3, len(top.Atoms))
				}
				if err := o.w.WriteFrame(&fr); err != nil {
					return total, fmt.Errorf("%s: %w", o.name, err)
				}
				o.frames++
				total++
			}
		}
	}
	for _, o := range outs {
		if err := o.w.Close(); err != nil {
			return total, fmt.Errorf("%s: %w", o.name, err)
		}
		if err := o.o.commit(); err != nil {
			return total, err
		}
	}
	return total, nil
}
