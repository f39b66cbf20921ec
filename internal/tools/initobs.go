package tools

import (
	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/system"
)

// addObservables adds we-init's --obs NAME=TYPE:ARGS observables to a
// built system (system.ParseObservable), their references taken from the
// first initial state. A definition the system cannot have is a usage
// error naming it. The observables live in the system record, so the
// snapshot's hash follows them without a parameter of its own.
func addObservables(built *system.Built, defs []string) error {
	if len(defs) == 0 {
		return nil
	}
	ref := built.States[0].Positions.Data
	obs := make([]record.Observable, 0, len(defs))
	taken := map[string]bool{}
	for _, n := range built.System.ObsNames() {
		taken[n] = true
	}
	for _, d := range defs {
		o, err := system.ParseObservable(d, built.System, ref)
		if err != nil {
			return cli.Usagef("--obs %q: %v", d, err)
		}
		if taken[o.Name] {
			return cli.Usagef("--obs %q: the system already has an observable %q", d, o.Name)
		}
		taken[o.Name] = true
		obs = append(obs, o)
	}
	if err := built.AddObservables(obs); err != nil {
		return cli.Usagef("--obs: %v", err)
	}
	return nil
}
