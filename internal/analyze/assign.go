package analyze

import (
	"fmt"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/analysis"
)

// Assign is we-assign: every walker of every cycle assigned to a
// macrostate and labelled with the last one it visited.
func Assign(env *cli.Env, args []string) int {
	return env.Finish(assignRun(env, args))
}

func assignRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	var stateDefs cli.ParamList
	fs.Var(&stateDefs, "state", "macrostate NAME:COND[,COND…] (repeatable)")
	cycles := fs.String("cycles", "", "window of cycles A:B (A ≤ cycle < B)")
	walkers := fs.Bool("walkers", false, "one row per walker per cycle instead of one per cycle")
	asJSON := fs.Bool("json", false, "JSON lines instead of CSV")
	plotFile := fs.String("plot", "", "also draw walkers and weight per state against cycle into FILE (.png or .svg)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(stateDefs) == 0 {
		return cli.Usagef("no --state given (e.g. --state 'bound:r<0.45' --state 'unbound:r>0.9')")
	}
	if err := checkPlot(*plotFile); err != nil {
		return err
	}
	w, err := parseWindow(*cycles)
	if err != nil {
		return err
	}
	d, err := loadRun(env, *storeDir, pos)
	if err != nil {
		return err
	}
	states, err := parseStates(stateDefs, d.sys)
	if err != nil {
		return err
	}
	a, err := assignAll(d, states, w)
	if err != nil {
		return err
	}
	if *walkers {
		err = writeAssignWalkers(env, d, a, *asJSON)
	} else {
		err = writeAssignCycles(env, a, *asJSON)
	}
	if err != nil {
		return err
	}
	if *plotFile != "" {
		return figure.Save(*plotFile, assignFigure(a, d.sys.Name)...)
	}
	return nil
}

// assignment is the labelling of the cycles with dynamics in a window.
type assignment struct {
	states     []analysis.State
	names      []string // the states' names, then "none"
	cycles     []analysis.Cycle
	m          analysis.Macro // over the window's cycles
	start, end [][]int        // labels entering and leaving each cycle's dynamics
}

func assignAll(d *runData, states []analysis.State, w window) (*assignment, error) {
	// Labels depend on the whole history: trace it all, then keep the
	// window's cycles with dynamics.
	var keep []int
	for i, c := range d.run.Cycles {
		if c.Steps > 0 && c.Index >= w.lo && c.Index < w.hi {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		_, _, err := w.pick(dynamicCycles(d.run), "cycle with dynamics")
		return nil, err
	}
	m := analysis.Kinetics(d.run, states)
	start, end := analysis.Trace(d.run, states)
	a := &assignment{states: states, m: analysis.Macro{States: states}}
	for _, i := range keep {
		a.cycles = append(a.cycles, d.run.Cycles[i])
		a.start, a.end = append(a.start, start[i]), append(a.end, end[i])
		a.m.Cycles = append(a.m.Cycles, m.Cycles[i])
		a.m.Pop, a.m.In, a.m.Count = append(a.m.Pop, m.Pop[i]), append(a.m.In, m.In[i]), append(a.m.Count, m.Count[i])
		a.m.Flux, a.m.Arrivals = append(a.m.Flux, m.Flux[i]), append(a.m.Arrivals, m.Arrivals[i])
	}
	for _, s := range states {
		a.names = append(a.names, s.Name)
	}
	a.names = append(a.names, "none")
	return a, nil
}

func writeAssignCycles(env *cli.Env, a *assignment, asJSON bool) error {
	cols := []string{"cycle", "walkers"}
	for _, n := range a.names {
		cols = append(cols, "walkers_in["+n+"]")
	}
	for _, n := range a.names {
		cols = append(cols, "weight_in["+n+"]")
	}
	for _, n := range a.names {
		cols = append(cols, "weight_labelled["+n+"]")
	}
	for _, from := range a.names[:len(a.states)] {
		for _, to := range a.names[:len(a.states)] {
			if from != to {
				cols = append(cols, "flux["+from+"->"+to+"]")
			}
		}
	}
	t := newTable(env.Stdout, asJSON, cols...)
	m := a.m
	for c, cy := range a.cycles {
		vals := []any{cy.Index, len(cy.End.Walkers)}
		for k := range a.names {
			vals = append(vals, m.Count[c][k])
		}
		for k := range a.names {
			vals = append(vals, m.In[c][k])
		}
		for k := range a.names {
			vals = append(vals, m.Pop[c][k])
		}
		for i := range a.states {
			for j := range a.states {
				if i != j {
					vals = append(vals, m.Flux[c][i][j])
				}
			}
		}
		t.row(vals...)
	}
	return t.err
}

func writeAssignWalkers(env *cli.Env, d *runData, a *assignment, asJSON bool) error {
	obs := d.sys.ObsNames()
	cols := []string{"cycle", "walker", "weight", "state", "label"}
	for _, o := range obs {
		cols = append(cols, withUnit(o, obsUnit(d.sys, o)))
	}
	t := newTable(env.Stdout, asJSON, cols...)
	name := func(l int) string {
		if l < 0 {
			return "none"
		}
		return a.names[l]
	}
	for c, cy := range a.cycles {
		for i, w := range cy.End.Walkers {
			vals := []any{cy.Index, i, w.Weight, name(analysis.Assign(a.states, w.Obs)), name(a.end[c][i])}
			for _, o := range obs {
				vals = append(vals, w.Obs[o])
			}
			t.row(vals...)
		}
	}
	return t.err
}

func assignFigure(a *assignment, title string) []figure.Drawer {
	x := make([]float64, len(a.cycles))
	count := make([][]float64, len(a.names))
	weight := make([][]float64, len(a.names))
	for k := range a.names {
		count[k] = make([]float64, len(a.cycles))
		weight[k] = make([]float64, len(a.cycles))
	}
	for c, cy := range a.cycles {
		x[c] = float64(cy.Index)
		for k := range a.names {
			count[k][c] = float64(a.m.Count[c][k])
			weight[k][c] = a.m.In[c][k]
		}
	}
	return figure.Occupancy(fmt.Sprintf("%s, after each cycle's dynamics", title), "macrostate", x, a.names, count, weight)
}
