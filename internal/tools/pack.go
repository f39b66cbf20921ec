package tools

import (
	"fmt"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/store"
)

// Pack is we-pack.
func Pack(env *cli.Env, args []string) int {
	return env.Finish(packRun(env, args))
}

func packRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	all := fs.Bool("all", false, "repack the existing packs too, into one pack")
	frameSize := fs.Int("frame-size", store.DefaultFrameSize, "most bytes of content in a frame")
	noMemo := fs.Bool("no-memo", false, "leave memo entries loose")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return cli.Usagef("unexpected argument %q", pos[1])
	}
	if *frameSize <= 0 || *frameSize > 1<<30 {
		return cli.Usagef("--frame-size %d: give a size from 1 byte to 1 GiB", *frameSize)
	}
	dir := *storeDir
	if len(pos) == 1 {
		if dir != "" {
			return cli.Usagef("give the store as --store or as an argument, not both")
		}
		dir = pos[0]
	}
	st, err := env.OpenStore(dir)
	if err != nil {
		return err
	}
	rep, err := st.Pack(store.PackOptions{All: *all, FrameSize: *frameSize, NoMemo: *noMemo})
	if rep != nil {
		for _, p := range rep.Problems {
			fmt.Fprintln(env.Stdout, p.String())
		}
	}
	if err != nil {
		return err
	}
	if rep.Pack == "" {
		env.Errorf("nothing to pack; %d loose copies of packed objects removed, %d old packs removed", rep.LooseRemoved, rep.PacksRemoved)
	} else {
		env.Errorf("packed %d objects and %d memo entries into packs/%s (%d bytes); %d loose files and %d memo entries removed, %d old packs removed",
			rep.Objects, rep.Memo, rep.Pack, rep.Bytes, rep.LooseRemoved, rep.MemoRemoved, rep.PacksRemoved)
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("store %s: %d problems", st.Dir(), len(rep.Problems))
	}
	return nil
}
