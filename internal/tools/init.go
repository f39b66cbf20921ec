package tools

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
)

// Init is we-init.
func Init(env *cli.Env, args []string) int {
	return env.Finish(initRun(env, args))
}

func initRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	_, h, err := initStore(env, fs, *storeDir, storeDir, args)
	if err != nil {
		return err
	}
	env.PrintHash(h)
	return nil
}

// initStore parses we-init's arguments with fs (whose --store flag is
// storeDir, which overrides storeFlag when given), creates the store and
// writes the system and the initial snapshot.
func initStore(env *cli.Env, fs *flag.FlagSet, storeFlag string, storeDir *string, args []string) (*store.Store, record.Hash, error) {
	sysName := fs.String("system", "", "built-in system name or JSON system file")
	walkers := fs.Int("walkers", 48, "number of walkers")
	seed := fs.Uint64("seed", 0, "replica seed")
	var sets cli.ParamList
	fs.Var(&sets, "set", "key=value parameter (repeatable)")
	var obs cli.ParamList
	fs.Var(&obs, "obs", "NAME=TYPE:ARGS observable over atom selections (repeatable)")
	var eo engineFlags
	eo.define(fs)
	pos, err := env.Parse(fs, args)
	if err != nil {
		return nil, record.Hash{}, err
	}
	if len(pos) > 0 {
		return nil, record.Hash{}, cli.Usagef("unexpected argument %q", pos[0])
	}
	if *sysName == "" && eo.pdb == "" {
		return nil, record.Hash{}, cli.Usagef("--system or --pdb is required (built in: %s; or a JSON system file)", strings.Join(system.Names(), ", "))
	}
	if *walkers < 1 || *walkers > 1<<20 {
		return nil, record.Hash{}, cli.Usagef("--walkers %d: want 1 to %d", *walkers, 1<<20)
	}
	if err := eo.check(*sysName); err != nil {
		return nil, record.Hash{}, err
	}
	ctx, stop := cli.InterruptContext()
	defer stop()
	var built *system.Built
	if eo.pdb != "" {
		built, err = eo.fromPDB(ctx, sets)
	} else {
		built, err = buildSystem(*sysName, sets)
	}
	if err != nil {
		return nil, record.Hash{}, err
	}
	if err := addObservables(built, obs); err != nil {
		return nil, record.Hash{}, err
	}
	if err := eo.apply(ctx, built); err != nil {
		return nil, record.Hash{}, err
	}
	if _, err := engine.Lookup(built.System.Engine); err != nil {
		// Not an error: another build (with the user's own engine) may
		// step it. But a typo should not wait for we-step to show.
		env.Errorf("warning: %v; this build's we-step cannot propagate the system", err)
	}
	if *storeDir != "" {
		storeFlag = *storeDir
	}
	st, err := store.Create(env.StoreDir(storeFlag))
	if err != nil {
		return nil, record.Hash{}, err
	}
	h, err := WriteInit(st, built, *walkers, *seed, initParams(fs, *sysName, sets))
	return st, h, err
}

func buildSystem(name string, sets []string) (*system.Built, error) {
	if b, ok := system.Builtins[name]; ok {
		built, err := b.Build(sets)
		if se := (*system.SetError)(nil); errors.As(err, &se) {
			return nil, cli.Usagef("%v", err)
		}
		if err != nil {
			return nil, fmt.Errorf("system %s: %w", name, err)
		}
		return built, nil
	}
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, cli.Usagef("--system %q: not a built-in system (%s) nor a file", name, strings.Join(system.Names(), ", "))
		}
		return nil, err
	}
	defer f.Close()
	built, err := system.FromJSON(f, sets)
	if se := (*system.SetError)(nil); errors.As(err, &se) {
		return nil, cli.Usagef("%v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("system file %s: %w", name, err)
	}
	return built, nil
}

// initParams records the inputs of we-init in canonical text form. The
// system is recorded by its name for built-ins; the system record itself
// (referenced by hash) is what identifies a file system, so its path —
// which differs between machines — is not recorded.
func initParams(fs *flag.FlagSet, name string, sets []string) map[string]string {
	p := map[string]string{}
	if _, ok := system.Builtins[name]; ok {
		p["system"] = name
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "walkers", "seed":
			p[f.Name] = f.Value.String()
		}
	})
	if len(sets) > 0 {
		s := append([]string(nil), sets...)
		sort.Strings(s)
		p["set"] = strings.Join(s, ",")
	}
	return p
}

// WriteInit stores a built system and the initial snapshot of n walkers
// with equal weights 1/n; walker i starts from initial state i mod K.
func WriteInit(st *store.Store, built *system.Built, n int, seed uint64, params map[string]string) (record.Hash, error) {
	items := make([]store.Item, 0, len(built.States))
	for _, s := range built.States {
		it, err := store.NewItem(s)
		if err != nil {
			return record.Hash{}, err
		}
		items = append(items, it)
	}
	if err := st.PutItems(items); err != nil {
		return record.Hash{}, err
	}
	sysHash, err := st.Put(built.System)
	if err != nil {
		return record.Hash{}, fmt.Errorf("store system: %w", err)
	}
	snap := record.NewSnapshot()
	snap.System = sysHash
	snap.Op = record.Op{Tool: "we-init", Version: Version, Params: params}
	if snap.Op.Params == nil {
		snap.Op.Params = map[string]string{}
	}
	snap.Op.Params["walkers"] = strconv.Itoa(n)
	snap.Op.Params["seed"] = strconv.FormatUint(seed, 10)
	w := 1 / float64(n)
	for i := 0; i < n; i++ {
		k := i % len(built.States)
		snap.Walkers = append(snap.Walkers, record.Walker{
			State:  items[k].Hash,
			Weight: w,
			Parent: -1,
			Obs:    built.States[k].Obs,
		})
	}
	h, err := st.Put(snap)
	if err != nil {
		return h, fmt.Errorf("store snapshot: %w", err)
	}
	return h, nil
}
