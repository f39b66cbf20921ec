package analyze

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/analysis"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// MSM is we-msm: a history-augmented Markov state model of the run and
// its steady-state fluxes, rates and MFPTs.
func MSM(env *cli.Env, args []string) int {
	return env.Finish(msmRun(env, args))
}

type msmOptions struct {
	gridFlags
	cycles   string
	states   cli.ParamList
	weighted bool
}

type msmResult struct {
	names, units []string
	grid         analysis.Grid
	states       []analysis.State
	model        *analysis.HaMSM
	warped       bool // the window holds warps (a target)
	targets      []string
	first, last  uint64
	cycles       int
	weighted     bool
}

func msmRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	var o msmOptions
	o.gridFlags.register(fs, "observable, or two separated by a comma (the fine bins)")
	fs.StringVar(&o.cycles, "cycles", "", "window of cycles A:B (A ≤ cycle < B)")
	fs.Var(&o.states, "state", "macrostate NAME:COND[,COND…] (repeatable)")
	fs.BoolVar(&o.weighted, "weighted", false, "count transitions with their walkers' weights")
	asJSON := fs.Bool("json", false, "JSON lines")
	plotFile := fs.String("plot", "", "also draw the steady-state distribution into FILE (.png or .svg)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkPlot(*plotFile); err != nil {
		return err
	}
	if _, err := parseWindow(o.cycles); err != nil {
		return err
	}
	d, err := loadRun(env, *storeDir, pos)
	if err != nil {
		return err
	}
	res, err := computeMSM(d, o)
	if err != nil {
		return err
	}
	if *asJSON {
		err = writeMSMJSON(env.Stdout, res)
	} else {
		err = writeMSMText(env.Stdout, d, res)
	}
	if err != nil {
		return err
	}
	if !res.warped && len(res.states) < 2 {
		env.Errorf("no warps in the window and fewer than two --state: the model has no rate to give")
	}
	if *plotFile != "" {
		kt, _ := kT(d.sys)
		return figure.Save(*plotFile, msmFigure(res, d.sys.Name, kt))
	}
	return nil
}

// recyclePoints returns the system's initial states, where warping returns
// walkers, with their observables.
func recyclePoints(st *store.Store, sys *record.System) ([]analysis.RecyclePoint, error) {
	var out []analysis.RecyclePoint
	for i, in := range sys.Initial {
		s, err := store.LoadAs[*record.State](st, in.State)
		if err != nil {
			return nil, fmt.Errorf("load initial state %d (%s) of system %s: %w", i, in.State.Short(), sys.Name, err)
		}
		out = append(out, analysis.RecyclePoint{Obs: s.Obs, Weight: in.Weight})
	}
	return out, nil
}

func computeMSM(d *runData, o msmOptions) (*msmResult, error) {
	names, bins, ranges, err := o.gridFlags.parse(d.sys)
	if err != nil {
		return nil, err
	}
	states, err := parseStates(o.states, d.sys)
	if err != nil {
		return nil, err
	}
	w, err := parseWindow(o.cycles)
	if err != nil {
		return nil, err
	}
	if !(d.run.Tau > 0) {
		return nil, fmt.Errorf("the history has no dynamics before its resamplings: no lag time")
	}
	var lo, hi = -1, -1
	for i, c := range d.run.Cycles {
		if c.Resample != nil && c.Steps > 0 && c.Index >= w.lo && c.Index < w.hi {
			if lo < 0 {
				lo = i
			}
			hi = i + 1
		}
	}
	if lo < 0 {
		_, _, err := w.pick(d.run.Closed(), "cycle closed by a resampling")
		if err == nil {
			err = fmt.Errorf("no cycle with dynamics closed by a resampling in the window")
		}
		return nil, err
	}
	// The grid covers every ensemble the transitions start or end in.
	var frames []analysis.Frame
	for _, c := range d.run.Cycles[lo:hi] {
		frames = append(frames, analysis.FrameOf(c.Start, names), analysis.FrameOf(c.End, names))
	}
	recycle, err := recyclePoints(d.st, d.sys)
	if err != nil {
		return nil, err
	}
	if ranges == nil {
		for _, r := range recycle {
			x := make([][]float64, len(names))
			for k, n := range names {
				x[k] = []float64{r.Obs[n]}
			}
			frames = append(frames, analysis.Frame{X: x, W: []float64{1}})
		}
	}
	g, err := makeGrid(frames, bins, ranges)
	if err != nil {
		return nil, err
	}
	res := &msmResult{names: names, grid: g, states: states, first: d.run.Cycles[lo].Index, last: d.run.Cycles[hi-1].Index, cycles: hi - lo, weighted: o.weighted}
	for _, n := range names {
		res.units = append(res.units, obsUnit(d.sys, n))
	}
	cs := d.run.Cycles[lo:hi]
	res.targets, _ = analysis.TargetFluxes(cs)
	for _, c := range cs {
		res.warped = res.warped || len(c.Resample.Warps) > 0
	}
	res.model, err = analysis.NewHaMSM(d.run, lo, hi, analysis.MSMOptions{Names: names, Grid: g, States: states, Recycle: recycle, Timestep: d.sys.Integrator.Timestep, Weighted: o.weighted})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func writeMSMText(w io.Writer, d *runData, res *msmResult) error {
	var b strings.Builder
	m := res.model
	dims := make([]string, len(res.names))
	for i, n := range res.names {
		dims[i] = fmt.Sprintf("%s: %d bins", n, res.grid.Shape()[i])
	}
	fmt.Fprintf(&b, "run          %s, cycles %d–%d (%d cycles)\n", d.hash, res.first, res.last, res.cycles)
	counts := "counted once each"
	if res.weighted {
		counts = "weighted by the walkers' weights"
	}
	fmt.Fprintf(&b, "model        haMSM on %s × %d labels; %d microstates kept (%d trimmed), %d transitions %s, lag τ = %.4g ps\n",
		strings.Join(dims, ", "), len(res.states)+1, len(m.Micro), m.Trimmed, m.Transitions, counts, m.Tau)
	if res.warped {
		r := m.TargetRate()
		fmt.Fprintf(&b, "target       %s: steady-state flux %s per cycle, rate %s /ps, MFPT %s ps (Hill relation)\n",
			strings.Join(res.targets, " or "), sig(m.TargetFlux), sig(r), sig(analysis.MFPT(r)))
	}
	for i := range res.states {
		for j := range res.states {
			if i == j {
				continue
			}
			r := m.Rate(i, j)
			fmt.Fprintf(&b, "rate         %s → %s: %s /ps, MFPT %s ps; steady-state flux %s per cycle, population of %s %s\n",
				res.states[i].Name, res.states[j].Name, sig(r), sig(analysis.MFPT(r)), sig(m.Flux[i][j]), res.states[i].Name, sig(m.Pop[i]))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMSMJSON(w io.Writer, res *msmResult) error {
	m := res.model
	t := &table{w: w, json: true}
	emit := func(kv ...any) {
		t.cols = t.cols[:0]
		var vals []any
		for i := 0; i < len(kv); i += 2 {
			t.cols = append(t.cols, kv[i].(string))
			vals = append(vals, kv[i+1])
		}
		t.row(vals...)
	}
	common := []any{"first_cycle", res.first, "last_cycle", res.last, "cycles", res.cycles, "tau_ps", m.Tau,
		"microstates", len(m.Micro), "trimmed", m.Trimmed, "transitions", m.Transitions}
	if res.warped {
		r := m.TargetRate()
		emit(append([]any{"kind", "target", "target", strings.Join(res.targets, ";"), "flux_per_cycle", m.TargetFlux,
			"rate_per_ps", r, "mfpt_ps", analysis.MFPT(r)}, common...)...)
	}
	for i := range res.states {
		for j := range res.states {
			if i != j {
				r := m.Rate(i, j)
				emit(append([]any{"kind", "rate", "from", res.states[i].Name, "to", res.states[j].Name, "flux_per_cycle", m.Flux[i][j],
					"population", m.Pop[i], "rate_per_ps", r, "mfpt_ps", analysis.MFPT(r)}, common...)...)
			}
		}
	}
	return t.err
}

// msmFigure draws the model's steady-state probability per bin (summed
// over labels) as a free energy, −ln p in kT: a line for one observable,
// a heat map for two.
func msmFigure(res *msmResult, title string, kJ float64) figure.Drawer {
	m := res.model
	p := make([]float64, res.grid.Bins())
	for a, ms := range m.Micro {
		if ms.Bin >= 0 {
			p[ms.Bin] += m.Pi[a]
		}
	}
	f := make([]float64, len(p))
	fmin := math.Inf(1)
	for i, v := range p {
		f[i] = -math.Log(v / res.grid.Volume(i))
		fmin = math.Min(fmin, f[i])
	}
	for i := range f {
		f[i] -= fmin
		if math.IsInf(f[i], 0) {
			f[i] = math.NaN()
		}
	}
	label := func(i int) string {
		if res.units[i] == "" {
			return res.names[i]
		}
		return fmt.Sprintf("%s (%s)", res.names[i], res.units[i])
	}
	t := fmt.Sprintf("haMSM steady state, %s, cycles %d–%d", title, res.first, res.last)
	if res.grid.Dims() == 1 {
		e := res.grid.Edges[0]
		x := make([]float64, len(f))
		nan := make([]float64, len(f))
		for i := range x {
			x[i] = (e[i] + e[i+1]) / 2
			nan[i] = math.NaN()
		}
		return figure.Profile1D(t, label(0), x, f, nan, kJ)
	}
	sh := res.grid.Shape()
	f2 := make([][]float64, sh[0])
	for i := range f2 {
		f2[i] = f[i*sh[1] : (i+1)*sh[1]]
	}
	return figure.Profile2D(t, label(0), label(1), res.grid.Edges[0], res.grid.Edges[1], f2)
}
