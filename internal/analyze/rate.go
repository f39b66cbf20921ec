package analyze

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/analysis"
	"github.com/wepipe/wepipe/pkg/warp"
)

// Rate is we-rate: the flux into each warping target and the rates
// between macrostates, with confidence intervals and their evolution.
func Rate(env *cli.Env, args []string) int {
	return env.Finish(rateRun(env, args))
}

type rateOptions struct {
	cycles    string
	states    cli.ParamList
	alpha     float64
	evolution int
	window    int
	seed      uint64
	noCI      bool // the fluxes only (--csv): no bootstrap
}

// rateSeries is one flux: into a target (data = [flux]) or from one
// macrostate to another (data = [flux, pairwise population]).
type rateSeries struct {
	kind     string // "target" or "rate"
	name     string // the target's condition, or "from → to"
	from, to string
	data     [][]float64
	est      func([][]float64) float64
	events   int // warps or arrivals
	ci       analysis.CI
	evoLast  []uint64 // last cycle of each evolution window
	evo      []analysis.CI
}

type rateResult struct {
	cycles      []uint64 // the closed cycles of the window
	tau         float64
	alpha       float64
	window      int
	states      []analysis.State
	series      []*rateSeries
	first, last uint64
}

func rateRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	var o rateOptions
	fs.StringVar(&o.cycles, "cycles", "", "window of cycles A:B (A ≤ cycle < B)")
	fs.Var(&o.states, "state", "macrostate NAME:COND[,COND…] (repeatable)")
	fs.Float64Var(&o.alpha, "alpha", 0.05, "confidence intervals at the 1−ALPHA level")
	fs.IntVar(&o.evolution, "evolution", 10, "windows of the rate's evolution (0: none)")
	fs.IntVar(&o.window, "window", 20, "cycles of the moving average (--csv, --plot)")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the bootstrap's draws")
	asJSON := fs.Bool("json", false, "JSON lines")
	asCSV := fs.Bool("csv", false, "the flux of every cycle as CSV instead")
	plotFile := fs.String("plot", "", "also draw flux and rate against cycle into FILE (.png or .svg)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkPlot(*plotFile); err != nil {
		return err
	}
	if *asJSON && *asCSV {
		return cli.Usagef("--json and --csv: choose one")
	}
	if !(o.alpha > 0 && o.alpha <= 0.5) {
		return cli.Usagef("--alpha %g: want 0 < ALPHA ≤ 0.5", o.alpha)
	}
	if o.evolution < 0 || o.window < 1 {
		return cli.Usagef("--evolution %d, --window %d: want ≥ 0 and ≥ 1", o.evolution, o.window)
	}
	if _, err := parseWindow(o.cycles); err != nil {
		return err
	}
	d, err := loadRun(env, *storeDir, pos)
	if err != nil {
		return err
	}
	o.noCI = *asCSV && *plotFile == ""
	res, err := computeRates(d, o)
	if err != nil {
		return err
	}
	switch {
	case *asCSV:
		err = writeRateCSV(env.Stdout, res)
	case *asJSON:
		err = writeRateJSON(env.Stdout, res)
	default:
		err = writeRateText(env.Stdout, d, res)
	}
	if err != nil {
		return err
	}
	if len(res.series) == 0 {
		env.Errorf("no warping target and no --state: nothing to measure a rate of")
	}
	if *plotFile != "" && len(res.series) > 0 {
		return figure.Save(*plotFile, rateFigure(res, d.sys.Name)...)
	}
	return nil
}

// computeRates gathers the fluxes of the window's closed cycles and
// bootstraps every estimate; the bootstraps run in parallel, each with
// its own seed, so the result does not depend on their order.
func computeRates(d *runData, o rateOptions) (*rateResult, error) {
	states, err := parseStates(o.states, d.sys)
	if err != nil {
		return nil, err
	}
	w, err := parseWindow(o.cycles)
	if err != nil {
		return nil, err
	}
	closed := d.run.Closed()
	i0, i1, err := w.pick(closed, "cycle closed by a resampling")
	if err != nil {
		return nil, err
	}
	cs := closed[i0:i1]
	res := &rateResult{tau: analysis.MeanTau(cs, d.sys.Integrator.Timestep), alpha: o.alpha, window: o.window, states: states,
		first: closed[i0].Index, last: closed[i1-1].Index}
	if !(res.tau > 0) {
		return nil, fmt.Errorf("the cycles chosen have no dynamics: no time to measure a rate in")
	}
	for _, c := range cs {
		res.cycles = append(res.cycles, c.Index)
	}
	targets, flux := analysis.TargetFluxes(cs)
	for k, t := range targets {
		s := &rateSeries{kind: "target", name: t, data: [][]float64{flux[k]}, est: analysis.MeanEstimator}
		for _, c := range cs {
			for _, wr := range c.Resample.Warps {
				if cond, err := parseCond(wr.Cond); err == nil && cond == t {
					s.events++
				}
			}
		}
		res.series = append(res.series, s)
	}
	if len(states) > 0 {
		m := analysis.Kinetics(d.run, states)
		// Positions of the window's closed cycles among all the cycles.
		pos := map[uint64]int{}
		for i, c := range d.run.Cycles {
			if c.Resample != nil {
				pos[c.Index] = i
			}
		}
		for i := range states {
			for j := range states {
				if i == j {
					continue
				}
				s := &rateSeries{kind: "rate", from: states[i].Name, to: states[j].Name,
					name: states[i].Name + " → " + states[j].Name, est: analysis.RatioEstimator}
				var f, p []float64
				for _, c := range cs {
					k := pos[c.Index]
					ff, pp := m.RateSeries(i, j, k, k+1)
					f, p = append(f, ff...), append(p, pp...)
					s.events += m.Arrivals[k][i][j]
				}
				s.data = [][]float64{f, p}
				res.series = append(res.series, s)
			}
		}
	}
	type job struct {
		s    *rateSeries
		k    int // −1: the whole window
		seed uint64
	}
	var jobs []job
	if o.noCI {
		return res, nil
	}
	for si, s := range res.series {
		jobs = append(jobs, job{s, -1, o.seed*1_000_003 + uint64(si)*1009})
		n := len(s.data[0])
		e := min(o.evolution, n)
		for k := 1; k <= e; k++ {
			s.evoLast = append(s.evoLast, res.cycles[(k*n+e-1)/e-1])
		}
		s.evo = make([]analysis.CI, len(s.evoLast))
		// The last window is the whole window: its interval is s.ci.
		for k := 0; k < len(s.evoLast)-1; k++ {
			jobs = append(jobs, job{s, k, o.seed*1_000_003 + uint64(si)*1009 + uint64(k) + 1})
		}
	}
	ch := make(chan job)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				opt := analysis.MCBSOptions{Alpha: o.alpha, Seed: j.seed}
				if j.k < 0 {
					j.s.ci = analysis.MCBS(j.s.data, j.s.est, opt)
					continue
				}
				n := len(j.s.data[0])
				e := len(j.s.evoLast)
				stop := ((j.k+1)*n + e - 1) / e
				lead := make([][]float64, len(j.s.data))
				for i := range lead {
					lead[i] = j.s.data[i][:stop]
				}
				j.s.evo[j.k] = analysis.MCBS(lead, j.s.est, opt)
			}
		}()
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	for _, s := range res.series {
		if n := len(s.evo); n > 0 {
			s.evo[n-1] = s.ci
		}
	}
	return res, nil
}

// parseCond returns a warp record's condition in canonical form.
func parseCond(s string) (string, error) {
	c, err := warp.Parse(s)
	if err != nil {
		return s, err
	}
	return c.String(), nil
}

// perPs converts a per-cycle estimate and interval to 1/ps.
func perPs(ci analysis.CI, tau float64) (est, lo, hi float64) {
	return ci.Estimate / tau, ci.Lo / tau, ci.Hi / tau
}

// mfpt converts a rate and its interval to the MFPT (ps) and its interval:
// the bounds swap, and a rate bound of 0 is an infinite time.
func mfpt(rate, lo, hi float64) (est, mlo, mhi float64) {
	return analysis.MFPT(rate), analysis.MFPT(hi), analysis.MFPT(lo)
}

func sig(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	}
	return fmt.Sprintf("%.4g", x)
}

func writeRateText(w io.Writer, d *runData, res *rateResult) error {
	var b strings.Builder
	conf := fmt.Sprintf("%g%% CI", 100*(1-res.alpha))
	fmt.Fprintf(&b, "run          %s, cycles %d–%d (%d closed by a resampling), τ = %.4g ps\n", d.hash, res.first, res.last, len(res.cycles), res.tau)
	if len(res.states) > 0 {
		defs := make([]string, len(res.states))
		for i, s := range res.states {
			defs[i] = s.String()
		}
		fmt.Fprintf(&b, "states       %s; walkers labelled by the last state visited\n", strings.Join(defs, "; "))
	}
	for _, s := range res.series {
		ci := s.ci
		r, rlo, rhi := perPs(ci, res.tau)
		m, mlo, mhi := mfpt(r, rlo, rhi)
		if s.kind == "target" {
			fmt.Fprintf(&b, "target       %s: %d warps, weight %s\n", s.name, s.events, sig(sum(s.data[0])))
			fmt.Fprintf(&b, "  flux       %s per cycle, %s [%s, %s]\n", sig(ci.Estimate), conf, sig(ci.Lo), sig(ci.Hi))
		} else {
			fmt.Fprintf(&b, "rate         %s: %d arrivals, flux %s per cycle over a labelled population %s\n", s.name, s.events, sig(analysis.Mean(s.data[0])), sig(analysis.Mean(s.data[1])))
		}
		fmt.Fprintf(&b, "  rate       %s /ps, %s [%s, %s]\n", sig(r), conf, sig(rlo), sig(rhi))
		fmt.Fprintf(&b, "  MFPT       %s ps, %s [%s, %s]\n", sig(m), conf, sig(mlo), sig(mhi))
		fmt.Fprintf(&b, "  bootstrap  %s\n", describeCI(ci))
		if len(s.evo) > 0 {
			fmt.Fprintf(&b, "  evolution  of the rate (/ps) as the window grows from cycle %d:\n", res.first)
			for k, e := range s.evo {
				r, lo, hi := perPs(e, res.tau)
				fmt.Fprintf(&b, "    to cycle %-8d %-11s [%s, %s]\n", s.evoLast[k], sig(r), sig(lo), sig(hi))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func describeCI(ci analysis.CI) string {
	if ci.Blocks == 0 {
		return fmt.Sprintf("too correlated for blocks (the running estimate drifts over all %d cycles): the interval is its range", ci.CorrLen)
	}
	return fmt.Sprintf("MCBS over %d blocks of %d cycles (correlation length %d)", ci.Blocks, ci.CorrLen+1, ci.CorrLen)
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func writeRateJSON(w io.Writer, res *rateResult) error {
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
	ident := func(s *rateSeries) []any {
		if s.kind == "target" {
			return []any{"kind", "target", "target", s.name}
		}
		return []any{"kind", "rate", "from", s.from, "to", s.to}
	}
	for _, s := range res.series {
		r, rlo, rhi := perPs(s.ci, res.tau)
		m, mlo, mhi := mfpt(r, rlo, rhi)
		kv := append(ident(s), "first_cycle", res.first, "last_cycle", res.last, "cycles", len(res.cycles), "tau_ps", res.tau,
			"events", s.events, "flux_per_cycle", analysis.Mean(s.data[0]),
			"rate_per_ps", r, "rate_lo_per_ps", rlo, "rate_hi_per_ps", rhi,
			"mfpt_ps", m, "mfpt_lo_ps", mlo, "mfpt_hi_ps", mhi,
			"alpha", res.alpha, "corr_len", s.ci.CorrLen, "blocks", s.ci.Blocks)
		emit(kv...)
		for k, e := range s.evo {
			r, lo, hi := perPs(e, res.tau)
			kv := append(ident(s), "evolution", true, "first_cycle", res.first, "last_cycle", s.evoLast[k],
				"rate_per_ps", r, "rate_lo_per_ps", lo, "rate_hi_per_ps", hi)
			emit(kv...)
		}
	}
	return t.err
}

// rateCurves returns a series' flux per cycle, its moving average over
// window cycles and its cumulative mean, and the cumulative estimate of
// the rate in 1/ps (for a macrostate pair, the flux over the labelled
// population summed so far).
func rateCurves(s *rateSeries, window int, tau float64) (flux, moving, cumulative, rate []float64) {
	flux = s.data[0]
	moving = analysis.MovingMean(flux, window)
	cumulative = analysis.CumulativeMean(flux)
	rate = make([]float64, len(flux))
	if s.kind == "target" {
		for i, c := range cumulative {
			rate[i] = c / tau
		}
		return flux, moving, cumulative, rate
	}
	var f, p float64
	for i := range flux {
		f += s.data[0][i]
		p += s.data[1][i]
		if f > 0 && p > 0 {
			rate[i] = f / p / tau
		}
	}
	return flux, moving, cumulative, rate
}

func writeRateCSV(w io.Writer, res *rateResult) error {
	cols := []string{"cycle"}
	for _, s := range res.series {
		name := s.name
		if s.kind == "rate" {
			name = s.from + "->" + s.to
		}
		cols = append(cols, "flux_per_cycle["+name+"]", "flux_cumulative["+name+"]", "flux_moving["+name+"]", "rate_cumulative_per_ps["+name+"]")
	}
	t := newTable(w, false, cols...)
	curves := make([][4][]float64, len(res.series))
	for k, s := range res.series {
		f, m, c, r := rateCurves(s, res.window, res.tau)
		curves[k] = [4][]float64{f, c, m, r}
	}
	for i, c := range res.cycles {
		vals := []any{c}
		for k := range res.series {
			vals = append(vals, curves[k][0][i], curves[k][1][i], curves[k][2][i], curves[k][3][i])
		}
		t.row(vals...)
	}
	return t.err
}

func rateFigure(res *rateResult, title string) []figure.Drawer {
	var ss []figure.RateSeries
	x := make([]float64, len(res.cycles))
	for i, c := range res.cycles {
		x[i] = float64(c)
	}
	for _, s := range res.series {
		f, m, c, _ := rateCurves(s, res.window, res.tau)
		rs := figure.RateSeries{Label: s.name, Cycles: x, Flux: f, Moving: m, Cumulative: c}
		for k, e := range s.evo {
			r, lo, hi := perPs(e, res.tau)
			rs.EvoCycles = append(rs.EvoCycles, float64(s.evoLast[k]))
			rs.Rate, rs.Lo, rs.Hi = append(rs.Rate, r), append(rs.Lo, lo), append(rs.Hi, hi)
		}
		ss = append(ss, rs)
	}
	return figure.Rates(title, res.alpha, res.window, ss)
}
