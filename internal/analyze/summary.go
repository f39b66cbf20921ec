package analyze

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/analysis"
	"github.com/wepipe/wepipe/pkg/lineage"
)

// Summary is we-summary: what a run found.
func Summary(env *cli.Env, args []string) int {
	return env.Finish(summaryRun(env, args))
}

func summaryRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	asJSON := fs.Bool("json", false, "print JSON")
	plotFile := fs.String("plot", "", "also draw the weights, walkers and regions per cycle into FILE (.png or .svg)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if err := checkPlot(*plotFile); err != nil {
		return err
	}
	st, h, snap, err := env.InputSnapshot(*storeDir, pos)
	if err != nil {
		return err
	}
	sys, err := cli.LoadSystem(st, snap.System)
	if err != nil {
		return err
	}
	hist, err := lineage.History(st, h)
	if err != nil {
		return err
	}
	run, err := analysis.NewRun(hist, sys.Integrator.Timestep)
	if err != nil {
		return err
	}
	d := &runData{st: st, hash: h, snap: snap, sys: sys, hist: hist, run: run}
	if *asJSON {
		err = writeSummaryJSON(env.Stdout, d)
	} else {
		err = writeSummaryText(env.Stdout, d)
	}
	if err != nil || *plotFile == "" {
		return err
	}
	if len(dynamicCycles(run)) == 0 {
		return fmt.Errorf("--plot: the history has no cycle with dynamics to plot")
	}
	return figure.Save(*plotFile, runFigure(run, sys.Name)...)
}

func writeSummaryJSON(w io.Writer, d *runData) error {
	sys, run := d.sys, d.run
	flux := analysis.FluxFrom(run.WarpedPerCycle(), run.Tau)
	ens := analysis.Describe(d.snap, sys.ObsNames())
	// Each observable's statistics with the weighted quantiles the text
	// prints (5 %, median, 95 %).
	type obsJSON struct {
		analysis.ObsStats
		Q05 float64 `json:"q05"`
		Q50 float64 `json:"median"`
		Q95 float64 `json:"q95"`
	}
	obs := make([]obsJSON, len(ens.Obs))
	for i, o := range ens.Obs {
		q := analysis.Quantiles(d.snap, o.Name, 0.05, 0.5, 0.95)
		obs[i] = obsJSON{o, q[0], q[1], q[2]}
	}
	return json.NewEncoder(w).Encode(map[string]any{
		"snapshot": d.hash.String(), "system": sys.Name, "cycle": d.snap.Cycle, "snapshots": len(d.hist),
		"walkers": ens.Walkers, "states": ens.States, "weight_sum": ens.WeightSum,
		"min_weight": ens.MinWeight, "max_weight": ens.MaxWeight, "obs": obs,
		"warps": run.Warps(), "warped_weight": flux.Weight, "tau_ps": run.Tau,
		"flux_per_cycle": flux.PerCycle, "flux_stderr": flux.StdErr, "rate_per_ps": flux.Rate,
		"simulated_ps": float64(run.Steps) * sys.Integrator.Timestep * float64(ens.Walkers),
	})
}

func writeSummaryText(w io.Writer, d *runData) error {
	sys, run, snap := d.sys, d.run, d.snap
	flux := analysis.FluxFrom(run.WarpedPerCycle(), run.Tau)
	ens := analysis.Describe(snap, sys.ObsNames())
	nw := run.Warps()
	var err error
	pf := func(format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format, a...)
		}
	}
	pf("snapshot     %s\n", d.hash)
	pf("system       %s (%d atoms, %s engine, %g K)\n", sys.Name, sys.NAtoms(), sys.Engine, sys.Integrator.Temperature)
	pf("history      %d snapshots, cycle %d, %d resamplings, %d steps per walker (%.4g ps)\n", len(d.hist), snap.Cycle, run.Resamplings, run.Steps, float64(run.Steps)*sys.Integrator.Timestep)
	pf("ensemble     %d walkers on %d distinct states, Σw = %.15f\n", ens.Walkers, ens.States, ens.WeightSum)
	pf("weights      min %.3e, max %.3e\n", ens.MinWeight, ens.MaxWeight)
	for _, o := range ens.Obs {
		q := analysis.Quantiles(snap, o.Name, 0.05, 0.5, 0.95)
		pf("observable   %s: weighted mean %.4g ± %.3g (sd); 5%%/50%%/95%% %.4g / %.4g / %.4g; range %.4g … %.4g\n",
			o.Name, o.Mean, o.Std, q[0], q[1], q[2], o.Min, o.Max)
	}
	if nw == 0 {
		pf("warps        none: no walker reached a target\n")
	} else {
		pf("warps        %d walkers reached a target, total weight %.4g\n", nw, flux.Weight)
		pf("flux         %.4g ± %.2g per cycle (τ = %.4g ps): rate %.4g /ps, MFPT %.4g ps (Hill relation; needs steady state)\n",
			flux.PerCycle, flux.StdErr, run.Tau, flux.Rate, flux.MFPT)
	}
	return err
}
