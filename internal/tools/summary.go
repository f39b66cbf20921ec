package tools

import (
	"encoding/json"
	"fmt"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/analysis"
	"github.com/wepipe/wepipe/pkg/lineage"
)

// Summary is we-summary: what a run found.
func Summary(env *cli.Env, args []string) int {
	return finish(env, summaryRun(env, args))
}

func summaryRun(env *cli.Env, args []string) (err error) {
	fs, storeDir := env.FlagSet()
	asJSON := fs.Bool("json", false, "print JSON")
	plotFile := fs.String("plot", "", "also draw the weights, walkers and regions per cycle into FILE (.png or .svg)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if *plotFile != "" {
		if _, err := figure.Format(*plotFile); err != nil {
			return cli.Usagef("--plot: %v", err)
		}
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
	tau, steps, resamples := run.Tau, run.Steps, run.Resamplings
	flux := analysis.FluxFrom(run.WarpedPerCycle(), tau)
	nw := run.Warps()
	ens := analysis.Describe(snap, sys.ObsNames())
	if *plotFile != "" {
		defer func() {
			if err != nil {
				return
			}
			if len(dynamicCycles(run)) == 0 {
				err = fmt.Errorf("--plot: the history has no cycle with dynamics to plot")
				return
			}
			err = figure.Save(*plotFile, runFigure(run, sys.Name)...)
		}()
	}
	if *asJSON {
		return json.NewEncoder(env.Stdout).Encode(map[string]any{
			"snapshot": h.String(), "system": sys.Name, "cycle": snap.Cycle, "snapshots": len(hist),
			"walkers": ens.Walkers, "states": ens.States, "weight_sum": ens.WeightSum,
			"min_weight": ens.MinWeight, "max_weight": ens.MaxWeight, "obs": ens.Obs,
			"warps": nw, "warped_weight": flux.Weight, "tau_ps": tau,
			"flux_per_cycle": flux.PerCycle, "flux_stderr": flux.StdErr, "rate_per_ps": flux.Rate,
			"simulated_ps": float64(steps) * sys.Integrator.Timestep * float64(ens.Walkers),
		})
	}
	w := env.Stdout
	fmt.Fprintf(w, "snapshot     %s\n", h)
	fmt.Fprintf(w, "system       %s (%d atoms, %s engine, %g K)\n", sys.Name, sys.NAtoms(), sys.Engine, sys.Integrator.Temperature)
	fmt.Fprintf(w, "history      %d snapshots, cycle %d, %d resamplings, %d steps per walker (%.4g ps)\n", len(hist), snap.Cycle, resamples, steps, float64(steps)*sys.Integrator.Timestep)
	fmt.Fprintf(w, "ensemble     %d walkers on %d distinct states, Σw = %.15f\n", ens.Walkers, ens.States, ens.WeightSum)
	fmt.Fprintf(w, "weights      min %.3e, max %.3e\n", ens.MinWeight, ens.MaxWeight)
	for _, o := range ens.Obs {
		q := analysis.Quantiles(snap, o.Name, 0.05, 0.5, 0.95)
		fmt.Fprintf(w, "observable   %s: weighted mean %.4g ± %.3g (sd); 5%%/50%%/95%% %.4g / %.4g / %.4g; range %.4g … %.4g\n",
			o.Name, o.Mean, o.Std, q[0], q[1], q[2], o.Min, o.Max)
	}
	if nw == 0 {
		fmt.Fprintf(w, "warps        none: no walker reached a target\n")
	} else {
		fmt.Fprintf(w, "warps        %d walkers reached a target, total weight %.4g\n", nw, flux.Weight)
		fmt.Fprintf(w, "flux         %.4g ± %.2g per cycle (τ = %.4g ps): rate %.4g /ps, MFPT %.4g ps (Hill relation; needs steady state)\n",
			flux.PerCycle, flux.StdErr, tau, flux.Rate, flux.MFPT)
	}
	return nil
}
