package tools

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/engine/openmm"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/system"
)

// engineFlags are we-init's flags that choose an external engine
// (ENGINES.md) and bring in a molecule.
type engineFlags struct {
	engine      string
	exec        string
	execMode    string
	execTimeout float64
	pdb         string
	forcefield  string
	xml         string
	keep        string
	options     cli.ParamList
}

func (e *engineFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&e.engine, "engine", "", "engine: langevin, openmm or exec (default: the system's)")
	fs.StringVar(&e.exec, "exec", "", "the exec engine's command: words split at spaces, or a JSON array")
	fs.StringVar(&e.execMode, "exec-mode", "worker", "worker (one process per worker) or segment (one run per walker)")
	fs.Float64Var(&e.execTimeout, "exec-timeout", 0, "time limit per walker, seconds (0: none)")
	fs.StringVar(&e.pdb, "pdb", "", "a PDB (or PDBx/mmCIF) file: the molecule to simulate with OpenMM")
	fs.StringVar(&e.forcefield, "forcefield", "", "OpenMM force-field files, comma separated (amber99sbildn.xml,amber99_obc.xml)")
	fs.StringVar(&e.xml, "openmm-xml", "", "a serialized OpenMM System for the atoms of --pdb")
	fs.StringVar(&e.keep, "keep", "all", "the part of the PDB kept: all, protein or nowater")
	fs.Var(&e.options, "ff-option", "createSystem option KEY=VALUE (repeatable), e.g. nonbondedMethod=PME")
}

// check checks the flags' combinations.
func (e *engineFlags) check(sysName string) error {
	switch e.engine {
	case "", "langevin", "openmm", "exec":
	default:
		return cli.Usagef("--engine %q: want langevin, openmm or exec", e.engine)
	}
	if e.exec != "" && e.engine == "" {
		e.engine = "exec"
	}
	if e.engine == "exec" && e.exec == "" {
		return cli.Usagef("--engine exec needs --exec COMMAND")
	}
	if e.exec != "" && e.engine != "exec" {
		return cli.Usagef("--exec is for --engine exec, not %s", e.engine)
	}
	if e.execMode != "worker" && e.execMode != record.ModeSegment {
		return cli.Usagef("--exec-mode %q: want worker or segment", e.execMode)
	}
	if math.IsNaN(e.execTimeout) || math.IsInf(e.execTimeout, 0) || e.execTimeout < 0 {
		return cli.Usagef("--exec-timeout %v: want seconds ≥ 0", e.execTimeout)
	}
	molecule := e.forcefield != "" || e.xml != "" || len(e.options) > 0 || e.keep != "all"
	switch {
	case e.pdb != "" && sysName != "":
		return cli.Usagef("--pdb and --system are alternatives")
	case e.pdb == "" && molecule:
		return cli.Usagef("--forcefield, --openmm-xml, --keep and --ff-option go with --pdb")
	case e.pdb != "" && e.forcefield == "" && e.xml == "":
		return cli.Usagef("--pdb needs --forcefield FILES or --openmm-xml SYSTEM.xml")
	case e.pdb != "" && e.forcefield != "" && e.xml != "":
		return cli.Usagef("--forcefield and --openmm-xml are alternatives")
	case e.pdb != "" && e.engine != "" && e.engine != "openmm":
		return cli.Usagef("a --pdb system runs with --engine openmm")
	case e.keep != "all" && e.keep != "protein" && e.keep != "nowater":
		return cli.Usagef("--keep %q: want all, protein or nowater", e.keep)
	}
	return nil
}

// fromPDB builds the system of --pdb; --set takes temperature, friction
// and timestep (default 300 K, 1/ps, 0.002 ps).
func (e *engineFlags) fromPDB(ctx context.Context, sets []string) (*system.Built, error) {
	params := append([]system.Param(nil), system.FileParams...)
	for i, d := range []float64{300, 1, 0.002} {
		params[i].Default = d
	}
	p, err := system.ParseSet(params, sets)
	if err != nil {
		return nil, cli.Usagef("%v", err)
	}
	if !(p["timestep"] > 0) || p["temperature"] < 0 || p["friction"] < 0 {
		return nil, cli.Usagef("--set: temperature and friction must be ≥ 0, timestep > 0")
	}
	opts := map[string]string{}
	for _, o := range e.options {
		k, v, ok := strings.Cut(o, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, cli.Usagef("--ff-option %q: want KEY=VALUE (keys: %s)", o, strings.Join(openmm.OptionNames, ", "))
		}
		opts[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	var ff []string
	for _, f := range strings.Split(e.forcefield, ",") {
		if f = strings.TrimSpace(f); f != "" {
			ff = append(ff, f)
		}
	}
	built, err := openmm.FromPDB(ctx, openmm.PDB{
		File: e.pdb, Keep: e.keep, Forcefield: ff, Options: opts, XML: e.xml,
		Integrator: system.Integrator{Temperature: p["temperature"], Friction: p["friction"], Timestep: p["timestep"]},
	})
	if err != nil {
		return nil, fmt.Errorf("--pdb %s: %w", e.pdb, err)
	}
	if len(sets) > 0 {
		built.System.Params = p
	}
	return built, nil
}

// apply makes built run with the chosen engine.
func (e *engineFlags) apply(ctx context.Context, built *system.Built) error {
	sys := built.System
	switch e.engine {
	case "", sys.Engine:
		if e.engine == "exec" {
			break // new exec settings below
		}
		return nil
	case "openmm":
		if err := openmm.Translate(ctx, built); err != nil {
			return fmt.Errorf("--engine openmm: %w", err)
		}
		return nil
	case "langevin":
		sys.Engine = "langevin"
		sys.Exec, sys.OpenMM = nil, nil
		if _, err := system.Compile(sys); err != nil {
			return fmt.Errorf("--engine langevin: %w", err)
		}
		return sys.Validate()
	}
	argv, err := parseCommand(e.exec)
	if err != nil {
		return err
	}
	sys.Engine = "exec"
	sys.OpenMM = nil
	sys.Exec = &record.Exec{Command: argv, Timeout: e.execTimeout}
	if e.execMode == record.ModeSegment {
		sys.Exec.Mode = record.ModeSegment
	}
	return sys.Validate()
}

// parseCommand splits --exec: a JSON array of strings, or words separated
// by spaces (no quoting, no shell).
func parseCommand(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	var argv []string
	if strings.HasPrefix(s, "[") {
		if err := json.Unmarshal([]byte(s), &argv); err != nil {
			return nil, cli.Usagef("--exec %s: not a JSON array of strings: %v", strconv.Quote(s), err)
		}
	} else {
		argv = strings.Fields(s)
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, cli.Usagef("--exec: no program")
	}
	return argv, nil
}
