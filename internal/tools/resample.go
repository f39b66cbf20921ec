package tools

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/fmath"
	"github.com/wepipe/wepipe/pkg/geom"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/resample"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/selection"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/system"
	"github.com/wepipe/wepipe/pkg/warp"
)

// Resample is we-resample.
func Resample(env *cli.Env, args []string) int {
	return env.Finish(resampleRun(env, args))
}

func resampleRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	env.Doc += "\n" + resample.Manual()
	var req ResampleRequest
	req.Flags(fs)
	verbose := fs.Bool("v", false, "a log line for the cycle on stderr")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if _, ok := resample.Lookup(req.Method); !ok {
		return cli.Usagef("--resampler %q: want %s", req.Method, resample.MethodNames())
	}
	st, in, snap, err := env.InputSnapshot(*storeDir, pos)
	if err != nil {
		return err
	}
	if err := cli.RequireComplete(in, snap); err != nil {
		return err
	}
	sys, err := cli.LoadSystem(st, snap.System)
	if err != nil {
		return err
	}
	cfg, err := req.Config(st, sys, snap.Resampler)
	if err != nil {
		return err
	}
	t0 := time.Now()
	h, out, err := resampleStored(st, in, snap, sys, cfg)
	if err != nil {
		return err
	}
	if *verbose {
		if out == nil {
			if out, err = store.LoadAs[*record.Snapshot](st, h); err != nil {
				return err
			}
		}
		env.Errorf("%s, resampling %.3f s", cycleLine(out), time.Since(t0).Seconds())
	}
	env.PrintHash(h)
	return nil
}

// resampleStored is ResampleSnapshot with its memo entry: the stored
// result when the same resampling was done before, else the new snapshot,
// stored. The snapshot is nil when the memo answered.
func resampleStored(st *store.Store, in record.Hash, snap *record.Snapshot, sys *record.System, cfg ResampleConfig) (record.Hash, *record.Snapshot, error) {
	key := store.MemoKey("we-resample", Version, in.String(), fmt.Sprint(cfg.Params))
	op := record.Op{Tool: "we-resample", Version: Version, Params: cfg.Params}
	if h, ok := st.VerifiedMemo(key, record.KindSnapshot, store.MadeBy(in, op)); ok {
		return h, nil, nil
	}
	if len(snap.Walkers) >= parallelWalkers {
		cli.Parallel()
	}
	out, err := ResampleSnapshot(st, in, snap, sys, cfg)
	if err != nil {
		return record.Hash{}, nil, err
	}
	// The input snapshot and the system were read and verified; the
	// walkers' states are checked (a state missing under the input must
	// not be referenced by a new snapshot too, FORMAT.md §1.2).
	h, err := st.PutAfter(out, map[record.Hash]bool{in: true, snap.System: true})
	if err != nil {
		return h, nil, fmt.Errorf("store snapshot: %w", err)
	}
	if err := st.PutMemo(key, h); err != nil {
		return h, nil, err
	}
	return h, out, nil
}

// ResampleRequest is a resampling as asked for on the command line: the
// method's name and its flags, unchecked.
type ResampleRequest struct {
	Method string
	Seed   uint64
	Warps  cli.ParamList
	Image  string
	// Given holds the values of the methods' flags that were set.
	Given map[string][]string
}

// Flags registers we-resample's flags on fs: the tool's own and every
// registered method's (each name once).
func (r *ResampleRequest) Flags(fs *flag.FlagSet) {
	fs.StringVar(&r.Method, "resampler", "none", resample.MethodNames())
	fs.Uint64Var(&r.Seed, "seed", 0, "replica seed")
	fs.Var(&r.Warps, "warp", "boundary condition OBS>=V (also >, <=, <); repeatable")
	fs.StringVar(&r.Image, "image", "", "OBS[,OBS…] or rmsd:SELECTION (default: all observables)")
	r.Given = map[string][]string{}
	for _, p := range resample.AllParams() {
		fs.Var(&methodFlag{name: p.Name, isBool: p.Kind == resample.Bool, given: r.Given}, p.Name, p.Usage)
	}
}

// methodFlag collects the values of one method flag.
type methodFlag struct {
	name   string
	isBool bool
	given  map[string][]string
}

func (f *methodFlag) String() string   { return "" }
func (f *methodFlag) IsBoolFlag() bool { return f.isBool }
func (f *methodFlag) Set(v string) error {
	if err := resample.CheckValue(f.name, v); err != nil {
		return err
	}
	f.given[f.name] = append(f.given[f.name], v)
	return nil
}

// ResampleConfig is a checked resampling: what ResampleSnapshot needs.
type ResampleConfig struct {
	Method    resample.Method
	Resampler resample.Resampler
	Warps     []warp.Cond
	Image     Image
	// Params are the op parameters recorded in the output snapshot.
	Params map[string]string
	Seed   uint64
}

// Config checks the request against the system and builds the resampler.
// carried is the input snapshot's resampler state (nil at the start of a
// run). Every error in the request is a usage error; a failure to read
// the system's initial state is not.
func (r *ResampleRequest) Config(st *store.Store, sys *record.System, carried *record.Resampler) (ResampleConfig, error) {
	m, ok := resample.Lookup(r.Method)
	if !ok {
		return ResampleConfig{}, cli.Usagef("--resampler %q: want %s", r.Method, resample.MethodNames())
	}
	cfg := ResampleConfig{Method: m, Seed: r.Seed}
	names := sys.ObsNames()
	for _, w := range r.Warps {
		c, err := warp.Parse(w)
		if err == nil && !slices.Contains(names, c.Obs) {
			err = fmt.Errorf("--warp %s: the system has no observable %q (it has %s)", c, c.Obs, strings.Join(names, ", "))
		}
		if err != nil {
			return cfg, cli.Usagef("%v", err)
		}
		cfg.Warps = append(cfg.Warps, c)
	}
	img, err := r.image(m, names, sys)
	if err != nil {
		return cfg, err
	}
	a, err := resample.NewArgs(m, r.Given)
	if err != nil {
		return cfg, cli.Usagef("%v", err)
	}
	a.Observables, a.Metric = names, img.metric()
	a.Carried = carried != nil && carried.Name == m.Name && len(carried.State) > 0
	a.InitialImage = func() ([]float64, error) {
		init, err := store.LoadAs[*record.State](st, sys.Initial[0].State)
		if err != nil {
			return nil, fmt.Errorf("load initial state: %w", err)
		}
		return img.of(init), nil
	}
	if cfg.Resampler, err = m.New(a); err != nil {
		if pe := (*resample.ParamError)(nil); errors.As(err, &pe) {
			return cfg, cli.Usagef("%v", err)
		}
		return cfg, err
	}
	if m.Image == resample.ImageParams {
		img = Image{obs: a.Image()}
	}
	cfg.Image = img
	cfg.Params = a.Recorded(m)
	cfg.Params["resampler"] = m.Name
	cfg.Params["seed"] = strconv.FormatUint(r.Seed, 10)
	if len(cfg.Warps) > 0 {
		ws := make([]string, len(cfg.Warps))
		for i, c := range cfg.Warps {
			ws[i] = c.String()
		}
		cfg.Params["warp"] = strings.Join(ws, ";")
	}
	if m.Image == resample.ImageFlag {
		cfg.Params["image"] = img.String()
	}
	return cfg, nil
}

// image returns the image --image asks for, for methods that take it.
func (r *ResampleRequest) image(m resample.Method, names []string, sys *record.System) (Image, error) {
	if m.Image != resample.ImageFlag {
		if r.Image != "" {
			return Image{}, cli.Usagef("--image is not used by --resampler %s", m.Name)
		}
		return Image{}, nil
	}
	if r.Image != "" {
		return parseImage(r.Image, names, sys)
	}
	if len(names) == 0 {
		return Image{}, cli.Usagef("the system has no observables to resample on; give --image rmsd:SELECTION")
	}
	return Image{obs: names}, nil
}

// Image says how a walker's image is made: from observables, or from the
// coordinates of an atom selection compared by RMSD. The selection is
// recorded as the atoms it chose (rmsd:0,1,5), so two spellings of one
// selection make the same snapshot.
type Image struct {
	obs   []string
	atoms []int // rmsd selection; nil for observables
}

func (s Image) String() string {
	if s.atoms != nil {
		parts := make([]string, len(s.atoms))
		for i, a := range s.atoms {
			parts[i] = strconv.Itoa(a)
		}
		return "rmsd:" + strings.Join(parts, ",")
	}
	return strings.Join(s.obs, ",")
}

// of returns the image of a state.
func (s Image) of(st *record.State) []float64 {
	var im []float64
	if s.atoms != nil {
		for _, a := range s.atoms {
			im = append(im, st.Positions.Data[3*a:3*a+3]...)
		}
		return im
	}
	for _, n := range s.obs {
		im = append(im, st.Obs[n])
	}
	return im
}

func (s Image) metric() resample.Metric {
	if s.atoms != nil {
		return geom.RMSD
	}
	return resample.Euclidean
}

func parseImage(v string, names []string, sys *record.System) (Image, error) {
	if sel, ok := strings.CutPrefix(v, "rmsd:"); ok {
		// An atom selection (pkg/selection); "0-9,12", the form this flag
		// first took, is an index selection.
		atoms, err := selection.Select(sel, system.Topology(&sys.Particles))
		if se := (*selection.Error)(nil); errors.As(err, &se) {
			return Image{}, cli.Usagef("--image %q: %s", v, se.Msg)
		}
		if err != nil {
			return Image{}, cli.Usagef("--image %q: %v", v, err)
		}
		if len(atoms) == 0 {
			return Image{}, cli.Usagef("--image %q: the selection matches no atom", v)
		}
		return Image{atoms: atoms}, nil
	}
	var s Image
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(names, n) {
			return s, cli.Usagef("--image: the system has no observable %q", n)
		}
		s.obs = append(s.obs, n)
	}
	return s, nil
}

// applyWarps applies the boundary conditions of cfg to the walkers of
// snap: a warped walker's state and observables (states[i], obs[i]) become
// its target's initial state's. It returns the warp records.
func applyWarps(st *store.Store, in record.Hash, snap *record.Snapshot, sys *record.System, cfg ResampleConfig, states []record.Hash, obs []map[string]float64) ([]record.Warp, error) {
	iw := make([]float64, len(sys.Initial))
	for i, s := range sys.Initial {
		iw[i] = s.Weight
	}
	hits, err := warp.Apply(obs, cfg.Warps, iw, rng.NewKey("we-resample/warp", in, 0, cfg.Seed))
	if err != nil {
		return nil, err
	}
	var warps []record.Warp
	initObs := map[int]map[string]float64{}
	for _, h := range hits {
		if _, ok := initObs[h.Target]; !ok {
			s, err := store.LoadAs[*record.State](st, sys.Initial[h.Target].State)
			if err != nil {
				return nil, fmt.Errorf("load initial state %d: %w", h.Target, err)
			}
			initObs[h.Target] = s.Obs
		}
		states[h.Walker] = sys.Initial[h.Target].State
		obs[h.Walker] = initObs[h.Target]
		warps = append(warps, record.Warp{
			Cycle: snap.Cycle, Walker: h.Walker, Weight: snap.Walkers[h.Walker].Weight, Target: h.Target, Cond: cfg.Warps[h.Cond].String(),
		})
	}
	return warps, nil
}

// resampleWalkers returns the resampler's walkers: each one's weight and
// image, its observables named by img or its selected atoms' positions
// (read once per distinct state).
func resampleWalkers(st *store.Store, snap *record.Snapshot, img Image, states []record.Hash, obs []map[string]float64) ([]resample.Walker, error) {
	walkers := make([]resample.Walker, len(snap.Walkers))
	var posCache map[record.Hash][]float64
	if img.atoms != nil {
		posCache = map[record.Hash][]float64{}
	}
	for i := range walkers {
		walkers[i].Weight = snap.Walkers[i].Weight
		if img.atoms != nil {
			sel, ok := posCache[states[i]]
			if !ok {
				s, err := store.LoadAs[*record.State](st, states[i])
				if err != nil {
					return nil, fmt.Errorf("walker %d: load state %s: %w", i, states[i].Short(), err)
				}
				sel = img.of(s)
				posCache[states[i]] = sel
			}
			walkers[i].Image = sel
			continue
		}
		im := make([]float64, len(img.obs))
		for j, name := range img.obs {
			v, ok := obs[i][name]
			if !ok {
				return nil, fmt.Errorf("walker %d has no observable %q", i, name)
			}
			im[j] = v
		}
		walkers[i].Image = im
	}
	return walkers, nil
}

// parallelWalkers is the ensemble size from which we-resample uses every
// processor (cmd/we-resample starts on one, see cli.SerialStart): REVO's
// distance matrix and sweeps run in parallel, which pays from a few
// hundred walkers (BenchmarkREVO: 1.1 ms at 192 walkers, 10.5 ms at 768).
const parallelWalkers = 256

// ResampleSnapshot applies warping, then the resampler, to snapshot snap
// (hash in, of system sys) and returns the next cycle's snapshot, not yet
// stored.
func ResampleSnapshot(st *store.Store, in record.Hash, snap *record.Snapshot, sys *record.System, cfg ResampleConfig) (*record.Snapshot, error) {
	method, conds, img, seed := cfg.Method.Name, cfg.Warps, cfg.Image, cfg.Seed
	n := len(snap.Walkers)
	states := make([]record.Hash, n)
	obs := make([]map[string]float64, n)
	for i, w := range snap.Walkers {
		states[i], obs[i] = w.State, w.Obs
		for k, v := range w.Obs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("walker %d: observable %s is %v", i, k, v)
			}
		}
	}
	out := record.NewSnapshot()
	out.Cycle = snap.Cycle + 1
	out.System = snap.System
	out.Parents = []record.Hash{in}
	out.Op = record.Op{Tool: "we-resample", Version: Version, Params: cfg.Params}

	// Boundary conditions first.
	if len(conds) > 0 {
		warps, err := applyWarps(st, in, snap, sys, cfg, states, obs)
		if err != nil {
			return nil, err
		}
		out.Warps = warps
	}
	walkers, err := resampleWalkers(st, snap, img, states, obs)
	if err != nil {
		return nil, err
	}

	var prev []byte
	if snap.Resampler != nil && snap.Resampler.Name == method {
		prev = snap.Resampler.State
	}
	res, err := cfg.Resampler.Resample(walkers, prev, rng.NewKey("we-resample", in, 0, seed))
	if err != nil {
		return nil, fmt.Errorf("resample (%s): %w", method, err)
	}
	var in1, out1 []float64
	for _, w := range walkers {
		in1 = append(in1, w.Weight)
	}
	for _, o := range res.Walkers {
		if o.Parent < 0 || o.Parent >= n {
			return nil, fmt.Errorf("resample (%s): walker parent %d out of range", method, o.Parent)
		}
		out1 = append(out1, o.Weight)
		out.Walkers = append(out.Walkers, record.Walker{
			State: states[o.Parent], Weight: o.Weight, Parent: o.Parent, Obs: obs[o.Parent], Region: o.Region,
		})
	}
	// ARCHITECTURE.md §7: weight is conserved to 1e-12. The sums are compensated,
	// so that the check measures the resampler, not the rounding of a
	// plain sum over 10⁴ walkers (which alone can reach 1e-12).
	sumIn, sumOut := fmath.Sum(in1), fmath.Sum(out1)
	if math.Abs(sumOut-sumIn) > 1e-12 {
		return nil, fmt.Errorf("resample (%s): weight not conserved: %.17g in, %.17g out", method, sumIn, sumOut)
	}
	for _, r := range res.Records {
		out.Decisions = append(out.Decisions, record.Decision{Decision: uint8(r.Decision), Targets: r.Targets})
	}
	if len(res.Summary) > 0 {
		out.Summary = res.Summary
	}
	if method != "none" {
		out.Resampler = &record.Resampler{Name: method, State: res.State}
	} else if snap.Resampler != nil {
		out.Resampler = snap.Resampler
	}
	sort.SliceStable(out.Warps, func(i, j int) bool { return out.Warps[i].Walker < out.Warps[j].Walker })
	return out, nil
}
