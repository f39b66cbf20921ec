package tools

import (
	"fmt"
	"time"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Fsck is we-fsck: verify a store.
func Fsck(env *cli.Env, args []string) int {
	return env.Finish(fsckRun(env, args))
}

func fsckRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	tmpAge := fs.Duration("tmp-age", time.Hour, "remove temp files older than this (0 keeps them)")
	quarantine := fs.Bool("quarantine", false, "move corrupt objects to DIR/corrupt")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return cli.Usagef("unexpected argument %q", pos[0])
	}
	st, err := env.OpenStore(*storeDir)
	if err != nil {
		return err
	}
	rep, err := st.Check(store.CheckOptions{RemoveTempsOlder: *tmpAge, Quarantine: *quarantine})
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(env.Stdout, p.String())
	}
	n := 0
	for _, k := range record.Kinds {
		n += rep.Objects[k]
	}
	env.Errorf("%d objects (%d systems, %d snapshots, %d states, %d segments, %d runs), %d bytes on disk, %d uncompressed; %d temp files removed, %d kept; %d problems",
		n, rep.Objects[record.KindSystem], rep.Objects[record.KindSnapshot], rep.Objects[record.KindState], rep.Objects[record.KindSegment], rep.Objects[record.KindRun],
		rep.Bytes, rep.RawBytes, rep.TempsRemoved, rep.TempsKept, len(rep.Problems))
	if rep.Packs > 0 {
		env.Errorf("%d pack files (objects counted above include the packed ones)", rep.Packs)
	}
	if rep.Shadowed > 0 {
		env.Errorf("note: %d loose objects are also packed (harmless: the loose copy is read first; we-pack removes them)", rep.Shadowed)
	}
	if rep.IndexRepaired != "" {
		env.Errorf("snapshot index %s rebuilt (%s): a cache, repaired; no object was affected", st.SnapIndexPath(), rep.IndexRepaired)
	}
	if rep.Quarantined > 0 {
		env.Errorf("%d corrupt objects moved to %s/corrupt", rep.Quarantined, st.Dir())
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("store %s has %d problems", st.Dir(), len(rep.Problems))
	}
	return nil
}
