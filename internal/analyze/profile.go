package analyze

import (
	"fmt"
	"math"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/analysis"
)

// Profile is we-profile: the free-energy profile of one or two
// observables over a window of cycles.
func Profile(env *cli.Env, args []string) int {
	return env.Finish(profileRun(env, args))
}

// profileOptions are we-profile's flags.
type profileOptions struct {
	gridFlags
	cycles string
	blocks int
}

// profileResult is a computed profile with what its columns need.
type profileResult struct {
	names, units []string
	prof         analysis.Profile
	kT           float64 // kJ/mol
	first, last  uint64  // cycles averaged
}

func profileRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	var o profileOptions
	o.gridFlags.register(fs, "observable, or two separated by a comma")
	fs.StringVar(&o.cycles, "cycles", "", "window of cycles A:B (A ≤ cycle < B)")
	fs.IntVar(&o.blocks, "blocks", 10, "blocks of consecutive cycles for the error bars")
	asJSON := fs.Bool("json", false, "JSON lines instead of CSV")
	plotFile := fs.String("plot", "", "also draw the profile into FILE (.png or .svg)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkPlot(*plotFile); err != nil {
		return err
	}
	if o.blocks < 0 {
		return cli.Usagef("--blocks %d: want 0 (no error bars) or more", o.blocks)
	}
	if _, err := parseWindow(o.cycles); err != nil {
		return err
	}
	d, err := loadRun(env, *storeDir, pos)
	if err != nil {
		return err
	}
	res, err := computeProfile(d, o)
	if err != nil {
		return err
	}
	p := res.prof
	if p.Outside > 0 {
		env.Errorf("%.3g %% of the weight per cycle lies outside --range and is left out", 100*p.Outside)
	}
	if p.Blocks == 0 && o.blocks > 0 {
		env.Errorf("%d cycle(s): too few for error bars", p.Frames)
	}
	if err := writeProfile(env, res, *asJSON); err != nil {
		return err
	}
	if *plotFile != "" {
		return figure.Save(*plotFile, profileFigure(res, fmt.Sprintf("%s, cycles %d–%d", d.sys.Name, res.first, res.last)))
	}
	return nil
}

// computeProfile histograms the ensembles after the dynamics of every
// cycle in the window.
func computeProfile(d *runData, o profileOptions) (*profileResult, error) {
	names, bins, ranges, err := o.gridFlags.parse(d.sys)
	if err != nil {
		return nil, err
	}
	w, err := parseWindow(o.cycles)
	if err != nil {
		return nil, err
	}
	kt, err := kT(d.sys)
	if err != nil {
		return nil, err
	}
	cycles := dynamicCycles(d.run)
	i0, i1, err := w.pick(cycles, "cycle with dynamics")
	if err != nil {
		return nil, err
	}
	frames := make([]analysis.Frame, 0, i1-i0)
	for _, c := range cycles[i0:i1] {
		frames = append(frames, analysis.FrameOf(c.End, names))
	}
	g, err := makeGrid(frames, bins, ranges)
	if err != nil {
		return nil, err
	}
	res := &profileResult{names: names, prof: analysis.NewProfile(frames, g, o.blocks), kT: kt,
		first: cycles[i0].Index, last: cycles[i1-1].Index}
	for _, n := range names {
		res.units = append(res.units, obsUnit(d.sys, n))
	}
	return res, nil
}

// densityUnit names the unit of a probability density over the
// observables: "per_nm", "per_nm2".
func densityUnit(units []string) string {
	if len(units) == 2 && units[0] == units[1] && units[0] != "" {
		return "per_" + units[0] + "2"
	}
	u := "per"
	for _, x := range units {
		if x != "" {
			u += "_" + x
		}
	}
	if u == "per" {
		return ""
	}
	return u
}

func profileColumns(res *profileResult) []string {
	var cols []string
	for i, n := range res.names {
		u := res.units[i]
		cols = append(cols, withUnit(n, u), withUnit(n+"_lo", u), withUnit(n+"_hi", u))
	}
	density := "density"
	if du := densityUnit(res.units); du != "" {
		density += "_" + du
	}
	return append(cols, "p", "p_err", density, "F_kT", "F_err_kT", "F_kJ_per_mol", "F_err_kJ_per_mol")
}

func writeProfile(env *cli.Env, res *profileResult, asJSON bool) error {
	p := res.prof
	t := newTable(env.Stdout, asJSON, profileColumns(res)...)
	for b := range p.P {
		var vals []any
		for dim, c := range p.Grid.Coords(b) {
			e := p.Grid.Edges[dim]
			vals = append(vals, (e[c]+e[c+1])/2, e[c], e[c+1])
		}
		vals = append(vals, p.P[b], p.PErr[b], p.Density[b], p.F[b], p.FErr[b], p.F[b]*res.kT, p.FErr[b]*res.kT)
		t.row(vals...)
	}
	return t.err
}

// profileFigure draws a 1-D profile as a line with its error band, a 2-D
// one as a heat map.
func profileFigure(res *profileResult, title string) figure.Drawer {
	p := res.prof
	label := func(i int) string {
		if res.units[i] == "" {
			return res.names[i]
		}
		return fmt.Sprintf("%s (%s)", res.names[i], res.units[i])
	}
	if p.Grid.Dims() == 1 {
		e := p.Grid.Edges[0]
		x := make([]float64, len(p.F))
		for i := range x {
			x[i] = (e[i] + e[i+1]) / 2
		}
		return figure.Profile1D("free energy, "+title, label(0), x, p.F, p.FErr, res.kT)
	}
	sh := p.Grid.Shape()
	f := make([][]float64, sh[0])
	for i := range f {
		f[i] = make([]float64, sh[1])
		for j := range f[i] {
			f[i][j] = p.F[i*sh[1]+j]
			if math.IsInf(f[i][j], 0) {
				f[i][j] = math.NaN()
			}
		}
	}
	return figure.Profile2D("free energy, "+title, label(0), label(1), p.Grid.Edges[0], p.Grid.Edges[1], f)
}
