package tools

import (
	"errors"
	"fmt"
	"os"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/bundle"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

// Export is we-export: a snapshot (or its history) as a bundle, or a
// system as a system file.
func Export(env *cli.Env, args []string) int {
	return env.Finish(exportRun(env, args))
}

func exportRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	history := fs.Bool("history", false, "the whole history of the snapshot, not only what continuing from it needs")
	sysOnly := fs.Bool("system", false, "write the system (HASH: a system or a snapshot) as a JSON system file for we-init --system")
	out := fs.String("o", "", "output file (- for stdout)")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return cli.Usagef("-o FILE is required (- for stdout)")
	}
	if *sysOnly && *history {
		return cli.Usagef("--system and --history do not go together")
	}
	if *out == "-" && !*sysOnly && cli.IsTerminal(env.Stdout) {
		return cli.Usagef("a bundle is binary: give -o FILE, or redirect stdout")
	}
	st, serr := env.OpenStore(*storeDir)
	arg, err := env.OneInput(pos)
	if err != nil {
		return err
	}
	if serr != nil {
		return serr
	}
	h, k, err := st.Resolve(arg)
	if err != nil {
		return err
	}
	if *sysOnly {
		return exportSystem(env, st, h, k, *out)
	}
	if k != record.KindSnapshot {
		return fmt.Errorf("%s is a %s, not a snapshot (a system is exported with --system)", h.Short(), k)
	}
	mode := bundle.ModeSnapshot
	if *history {
		mode = bundle.ModeHistory
	}
	o, err := createOutput(*out, env.Stdout)
	if err != nil {
		return err
	}
	defer o.abort()
	info, err := bundle.Export(st, h, mode, o)
	if err != nil {
		return err
	}
	if err := o.commit(); err != nil {
		return err
	}
	env.Errorf("%s bundle of %s: %d objects (%d snapshots, %d states, %d segments, %d systems)%s", mode, h.Short(), info.Count,
		info.Objects[record.KindSnapshot], info.Objects[record.KindState], info.Objects[record.KindSegment], info.Objects[record.KindSystem], shallowNote(info.Header.Shallow))
	return nil
}

func shallowNote(s []record.Hash) string {
	if len(s) == 0 {
		return ""
	}
	return fmt.Sprintf("; %d without its history", len(s))
}

func exportSystem(env *cli.Env, st *store.Store, h record.Hash, k record.Kind, out string) error {
	switch k {
	case record.KindSnapshot:
		snap, err := store.LoadAs[*record.Snapshot](st, h)
		if err != nil {
			return fmt.Errorf("load snapshot %s: %w", h.Short(), err)
		}
		h = snap.System
	case record.KindSystem:
	default:
		return fmt.Errorf("%s is a %s, not a system or a snapshot", h.Short(), k)
	}
	sys, err := cli.LoadSystem(st, h)
	if err != nil {
		return err
	}
	var states []*record.State
	for i, in := range sys.Initial {
		s, err := store.LoadAs[*record.State](st, in.State)
		if err != nil {
			return fmt.Errorf("load initial state %d (%s): %w", i, in.State.Short(), err)
		}
		states = append(states, s)
	}
	o, err := createOutput(out, env.Stdout)
	if err != nil {
		return err
	}
	defer o.abort()
	if err := system.WriteJSON(o, sys, states); err != nil {
		return err
	}
	return o.commit()
}

// isBundle reports whether path is a file (not a store directory); what it
// holds is checked when it is read.
func isBundle(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// bundleSource is a bundle given to we-merge --from, verified.
type bundleSource struct {
	path string
	plan *bundle.Plan
}

// verifyBundle reads and verifies the bundle at path (FORMAT.md §10.2).
func verifyBundle(path string) (*bundleSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("source %w", err)
	}
	defer f.Close()
	plan, err := bundle.Verify(f)
	if err != nil {
		if errors.Is(err, bundle.ErrNotBundle) {
			return nil, fmt.Errorf("source %s: %w (nor a store directory)", path, err)
		}
		return nil, fmt.Errorf("bundle %s is refused, nothing was copied: %w", path, err)
	}
	return &bundleSource{path, plan}, nil
}

// land reads the verified bundle again and lands it in dst.
func (b *bundleSource) land(env *cli.Env, dst *store.Store) error {
	f, err := os.Open(b.path)
	if err != nil {
		return fmt.Errorf("source %w", err)
	}
	defer f.Close()
	rep, err := b.plan.Land(dst, f)
	if err != nil {
		return fmt.Errorf("bundle %s: %w; nothing was copied", b.path, err)
	}
	note := ""
	if len(rep.Shallow) > 0 {
		note = fmt.Sprintf("; snapshot %s lands without its history", b.plan.Header.Root.Short())
	}
	env.Errorf("from %s: %s bundle of %s, %d objects copied, %d already present%s", b.path, b.plan.Header.Mode, b.plan.Header.Root.Short(), rep.Copied, rep.Present, note)
	return nil
}
