package tools

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/fmath"
	"github.com/wepipe/wepipe/pkg/geom"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/resample"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/store"
	"github.com/wepipe/wepipe/pkg/warp"
)

// Resample is we-resample.
func Resample(env *cli.Env, args []string) int {
	return finish(env, resampleRun(env, args))
}

// resampleFlags lists, per method, the flags whose effective values are
// recorded in the snapshot's op (so that the same configuration written
// two ways gives one hash).
var resampleFlags = map[string][]string{
	"none":     {},
	"revo":     {"pmin", "pmax", "dist-exponent", "merge-dist", "char-dist", "merge-alg"},
	"wexplore": {"pmin", "pmax", "region-sizes", "max-regions"},
	"binned":   {"bins", "per-bin", "min-weight", "max-weight"},
	"mab":      {"mab", "per-bin", "min-weight", "max-weight", "direction"},
}

func resampleRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	method := fs.String("resampler", "none", "none, revo, wexplore, binned or mab")
	seed := fs.Uint64("seed", 0, "replica seed")
	var warps, bins, mabs cli.ParamList
	fs.Var(&warps, "warp", "boundary condition OBS>=V (also >, <=, <); repeatable")
	image := fs.String("image", "", "OBS[,OBS…] or rmsd:ATOMS (default: all observables)")
	pmin := fs.Float64("pmin", 0, "smallest walker weight (default: the method's)")
	pmax := fs.Float64("pmax", 0, "largest walker weight (default: the method's)")
	distExp := fs.Int("dist-exponent", 4, "REVO distance exponent α")
	mergeDist := fs.Float64("merge-dist", 0, "REVO: largest distance between merged walkers (required)")
	charDist := fs.Float64("char-dist", 0, "REVO: characteristic distance d₀ (required)")
	mergeAlg := fs.String("merge-alg", "pairs", "REVO merge algorithm: pairs or greedy")
	regionSizes := fs.String("region-sizes", "", "WExplore: region cut-off per level, e.g. 1,0.5,0.35,0.25 (required)")
	maxRegions := fs.String("max-regions", "10", "WExplore: regions per level, one value or one per level")
	fs.Var(&bins, "bins", "binned: OBS:E1,E2,… interior edges of one dimension; repeatable")
	fs.Var(&mabs, "mab", "mab: OBS:NBINS for one dimension; repeatable")
	perBin := fs.Int("per-bin", 4, "binned, mab: walkers per occupied bin")
	minW := fs.Float64("min-weight", 0, "binned, mab: smallest allowed weight (WESTPA's default)")
	maxW := fs.Float64("max-weight", 0, "binned, mab: largest allowed weight (WESTPA's default)")
	direction := fs.String("direction", "", "mab: direction per dimension (0, 1, -1 or 86), comma-separated")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if _, ok := resampleFlags[*method]; !ok {
		return cli.Usagef("--resampler %q: want none, revo, wexplore, binned or mab", *method)
	}
	// Zero means "the method's default": record the effective value, so
	// that --pmax 0.1 and no --pmax give the same snapshot.
	setDefault := func(name string, v *float64, def float64) {
		if *v == 0 {
			*v = def
			fs.Set(name, strconv.FormatFloat(def, 'g', -1, 64))
		}
	}
	switch *method {
	case "revo":
		setDefault("pmin", pmin, resample.REVODefaultPMin)
		setDefault("pmax", pmax, resample.REVODefaultPMax)
	case "wexplore":
		setDefault("pmin", pmin, resample.WExploreDefaultPMin)
		setDefault("pmax", pmax, resample.WExploreDefaultPMax)
	case "binned", "mab":
		setDefault("min-weight", minW, resample.HuberKimDefaultMinWeight)
		setDefault("max-weight", maxW, resample.HuberKimDefaultMaxWeight)
	}
	conds := make([]warp.Cond, len(warps))
	for i, w := range warps {
		if conds[i], err = warp.Parse(w); err != nil {
			return cli.Usagef("%v", err)
		}
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
	names := sys.ObsNames()
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	for _, c := range conds {
		if !known[c.Obs] {
			return cli.Usagef("--warp %s: the system has no observable %q (it has %s)", c, c.Obs, strings.Join(names, ", "))
		}
	}

	// The image: observables, or an atom selection compared by RMSD.
	img := imageSpec{obs: names}
	if *image != "" {
		if img, err = parseImage(*image, known, sys.NAtoms()); err != nil {
			return err
		}
	}
	if img.atoms == nil && len(img.obs) == 0 && *method != "none" {
		return cli.Usagef("the system has no observables to resample on; give --image rmsd:ATOMS")
	}

	var rs resample.Resampler
	switch *method {
	case "none":
		rs = resample.None{}
	case "revo":
		if *mergeDist <= 0 || *charDist <= 0 {
			return cli.Usagef("revo needs --merge-dist and --char-dist (positive distances in the image's units)")
		}
		c := resample.REVO{MergeDist: *mergeDist, CharDist: *charDist, PMin: *pmin, PMax: *pmax, DistExponent: *distExp, MergeAlg: *mergeAlg, Metric: img.metric()}
		rs = c
	case "wexplore":
		if *regionSizes == "" {
			return cli.Usagef("wexplore needs --region-sizes, e.g. 1,0.5,0.35,0.25")
		}
		sizes, err := parseFloats(*regionSizes)
		if err != nil {
			return cli.Usagef("--region-sizes: %v", err)
		}
		maxes, err := parseInts(*maxRegions)
		if err != nil {
			return cli.Usagef("--max-regions: %v", err)
		}
		if len(maxes) == 1 {
			for len(maxes) < len(sizes) {
				maxes = append(maxes, maxes[0])
			}
		}
		// wepy seeds the region tree with the image of the initial state;
		// once the snapshot carries a tree, the seed is not needed.
		c := resample.WExplore{RegionSizes: sizes, MaxRegions: maxes, PMin: *pmin, PMax: *pmax, Metric: img.metric()}
		if snap.Resampler == nil || snap.Resampler.Name != *method || len(snap.Resampler.State) == 0 {
			init, err := store.LoadAs[*record.State](st, sys.Initial[0].State)
			if err != nil {
				return fmt.Errorf("load initial state: %w", err)
			}
			c.InitImage = img.of(init)
		}
		rs = c
	case "binned":
		if len(bins) == 0 {
			return cli.Usagef("binned needs at least one --bins OBS:E1,E2,…")
		}
		var edges [][]float64
		img = imageSpec{}
		for _, b := range bins {
			name, list, ok := strings.Cut(b, ":")
			if !ok || !known[name] {
				return cli.Usagef("--bins %q: want OBS:E1,E2,… with OBS one of %s", b, strings.Join(names, ", "))
			}
			e, err := parseFloats(list)
			if err != nil {
				return cli.Usagef("--bins %q: %v", b, err)
			}
			img.obs = append(img.obs, name)
			edges = append(edges, e)
		}
		c := resample.Binned{Edges: edges, PerBin: *perBin}
		c.MinWeight, c.MaxWeight = *minW, *maxW
		rs = c
	case "mab":
		if len(mabs) == 0 {
			return cli.Usagef("mab needs at least one --mab OBS:NBINS")
		}
		img = imageSpec{}
		var nb []int
		for _, m := range mabs {
			name, n, ok := strings.Cut(m, ":")
			k, err := strconv.Atoi(n)
			if !ok || !known[name] || err != nil {
				return cli.Usagef("--mab %q: want OBS:NBINS with OBS one of %s", m, strings.Join(names, ", "))
			}
			img.obs = append(img.obs, name)
			nb = append(nb, k)
		}
		c := resample.MAB{NBins: nb, PerBin: *perBin}
		if *direction != "" {
			d, err := parseInts(*direction)
			if err != nil {
				return cli.Usagef("--direction: %v", err)
			}
			c.Direction = d
		}
		c.MinWeight, c.MaxWeight = *minW, *maxW
		rs = c
	}

	if v, ok := rs.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return cli.Usagef("%v", err)
		}
	}

	params := map[string]string{"resampler": *method, "seed": strconv.FormatUint(*seed, 10)}
	for _, name := range resampleFlags[*method] {
		params[name] = fs.Lookup(name).Value.String()
	}
	if len(warps) > 0 {
		ws := make([]string, len(conds))
		for i, c := range conds {
			ws[i] = c.String()
		}
		params["warp"] = strings.Join(ws, ";")
	}
	if *method != "binned" && *method != "mab" && *method != "none" {
		params["image"] = img.String()
	}
	key := store.MemoKey("we-resample", Version, in.String(), fmt.Sprint(params))
	if hs, ok := st.Memo(key); ok && len(hs) == 1 {
		env.PrintHash(hs[0])
		return nil
	}
	if len(snap.Walkers) >= parallelWalkers {
		cli.Parallel()
	}
	out, err := ResampleSnapshot(st, in, snap, sys, rs, *method, conds, img, params, *seed)
	if err != nil {
		return err
	}
	// The input's states are present, since the input snapshot is: only
	// the initial states that warping brought in are checked.
	present := map[record.Hash]bool{in: true, snap.System: true}
	for _, w := range snap.Walkers {
		present[w.State] = true
	}
	h, err := st.PutAfter(out, present)
	if err != nil {
		return fmt.Errorf("store snapshot: %w", err)
	}
	if err := st.PutMemo(key, h); err != nil {
		return err
	}
	env.PrintHash(h)
	return nil
}

// imageSpec says how a walker's image is made.
type imageSpec struct {
	obs   []string
	atoms []int // rmsd selection; nil for observables
}

func (s imageSpec) String() string {
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
func (s imageSpec) of(st *record.State) []float64 {
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

func (s imageSpec) metric() resample.Metric {
	if s.atoms != nil {
		return geom.RMSD
	}
	return resample.Euclidean
}

func parseImage(v string, known map[string]bool, natoms int) (imageSpec, error) {
	if sel, ok := strings.CutPrefix(v, "rmsd:"); ok {
		atoms, err := parseAtoms(sel, natoms)
		if err != nil {
			return imageSpec{}, cli.Usagef("--image %q: %v", v, err)
		}
		return imageSpec{atoms: atoms}, nil
	}
	var s imageSpec
	for _, n := range strings.Split(v, ",") {
		n = strings.TrimSpace(n)
		if !known[n] {
			return s, cli.Usagef("--image: the system has no observable %q", n)
		}
		s.obs = append(s.obs, n)
	}
	return s, nil
}

// parseAtoms parses "0,1,5-9" into atom indices.
func parseAtoms(s string, natoms int) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(strings.TrimSpace(part), "-")
		lo, err1 := strconv.Atoi(a)
		hi := lo
		var err2 error
		if isRange {
			hi, err2 = strconv.Atoi(b)
		}
		if err1 != nil || err2 != nil || lo < 0 || hi < lo {
			return nil, fmt.Errorf("%q is not an atom index or range", part)
		}
		if hi >= natoms {
			return nil, fmt.Errorf("atom %d does not exist (the system has %d atoms)", hi, natoms)
		}
		for i := lo; i <= hi; i++ {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty atom selection")
	}
	return out, nil
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, p := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		out = append(out, x)
	}
	return out, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		x, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", p)
		}
		out = append(out, x)
	}
	return out, nil
}

// parallelWalkers is the ensemble size from which we-resample uses every
// processor (cmd/we-resample starts on one, see cli.SerialStart): REVO's
// distance matrix and sweeps run in parallel, which pays from a few
// hundred walkers (BenchmarkREVO: 1.1 ms at 192 walkers, 10.5 ms at 768).
const parallelWalkers = 256

// ResampleSnapshot applies warping, then the resampler, to snapshot snap
// and returns the next cycle's snapshot (not yet stored).
func ResampleSnapshot(st *store.Store, in record.Hash, snap *record.Snapshot, sys *record.System, rs resample.Resampler, method string, conds []warp.Cond, img imageSpec, params map[string]string, seed uint64) (*record.Snapshot, error) {
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
	out.Op = record.Op{Tool: "we-resample", Version: Version, Params: params}

	// Boundary conditions first.
	if len(conds) > 0 {
		iw := make([]float64, len(sys.Initial))
		for i, s := range sys.Initial {
			iw[i] = s.Weight
		}
		hits, err := warp.Apply(obs, conds, iw, rng.NewKey("we-resample/warp", in, 0, seed))
		if err != nil {
			return nil, err
		}
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
			out.Warps = append(out.Warps, record.Warp{
				Cycle: snap.Cycle, Walker: h.Walker, Weight: snap.Walkers[h.Walker].Weight, Target: h.Target, Cond: conds[h.Cond].String(),
			})
		}
	}

	walkers := make([]resample.Walker, n)
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

	var prev []byte
	if snap.Resampler != nil && snap.Resampler.Name == method {
		prev = snap.Resampler.State
	}
	res, err := rs.Resample(walkers, prev, rng.NewKey("we-resample", in, 0, seed))
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
	// DESIGN §7: weight is conserved to 1e-12. The sums are compensated,
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
