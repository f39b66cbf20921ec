package analyze

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/analysis"
	"github.com/wepipe/wepipe/pkg/engine"
	"github.com/wepipe/wepipe/pkg/lineage"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// runData is what the analysis tools read: the snapshot given, its
// system, and the history that ends at it cut into cycles.
type runData struct {
	st   *store.Store
	hash record.Hash
	snap *record.Snapshot
	sys  *record.System
	hist []lineage.Entry
	run  analysis.Run
}

// checkPlot refuses a --plot file whose format is unknown, before any
// work is done (a usage error); no file is fine.
func checkPlot(file string) error {
	if file == "" {
		return nil
	}
	if _, err := figure.Format(file); err != nil {
		return cli.Usagef("--plot: %v", err)
	}
	return nil
}

func loadRun(env *cli.Env, storeFlag string, pos []string) (*runData, error) {
	st, h, snap, sys, err := env.InputComplete(storeFlag, pos)
	if err != nil {
		return nil, err
	}
	hist, err := lineage.History(st, h)
	if err != nil {
		return nil, err
	}
	run, err := analysis.NewRun(hist, sys.Integrator.Timestep)
	if err != nil {
		return nil, err
	}
	return &runData{st: st, hash: h, snap: snap, sys: sys, hist: hist, run: run}, nil
}

// window is a --cycles A:B selection: cycles A ≤ c < B, either end
// optional.
type window struct {
	lo, hi uint64
	text   string
}

func parseWindow(s string) (window, error) {
	w := window{hi: math.MaxUint64, text: s}
	if strings.TrimSpace(s) == "" {
		return w, nil
	}
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return w, cli.Usagef("--cycles %q: want A:B (cycles A to B−1; either may be left out)", s)
	}
	var err error
	if a = strings.TrimSpace(a); a != "" {
		if w.lo, err = strconv.ParseUint(a, 10, 64); err != nil {
			return w, cli.Usagef("--cycles %q: %q is not a cycle number", s, a)
		}
	}
	if b = strings.TrimSpace(b); b != "" {
		if w.hi, err = strconv.ParseUint(b, 10, 64); err != nil {
			return w, cli.Usagef("--cycles %q: %q is not a cycle number", s, b)
		}
	}
	if w.hi <= w.lo {
		return w, cli.Usagef("--cycles %q: the window is empty", s)
	}
	return w, nil
}

// pick returns the positions [i0, i1) of the cycles of cs (in cycle
// order) inside the window, or an error saying which cycles there are.
func (w window) pick(cs []analysis.Cycle, what string) (int, int, error) {
	i0, i1 := -1, -1
	for i, c := range cs {
		if c.Index >= w.lo && c.Index < w.hi {
			if i0 < 0 {
				i0 = i
			}
			i1 = i + 1
		}
	}
	if i0 < 0 {
		if len(cs) == 0 {
			return 0, 0, fmt.Errorf("the history has no %s", what)
		}
		return 0, 0, fmt.Errorf("no %s in --cycles %s (the history has cycles %d–%d)", what, w.text, cs[0].Index, cs[len(cs)-1].Index)
	}
	return i0, i1, nil
}

// dynamicCycles are the cycles with dynamics (a resampling right after
// another adds an ensemble that did not move).
func dynamicCycles(r analysis.Run) []analysis.Cycle {
	var out []analysis.Cycle
	for _, c := range r.Cycles {
		if c.Steps > 0 {
			out = append(out, c)
		}
	}
	return out
}

// parseStates parses --state flags and checks their observables against
// the system's.
func parseStates(defs []string, sys *record.System) ([]analysis.State, error) {
	var states []analysis.State
	seen := map[string]bool{}
	have := map[string]bool{}
	for _, n := range sys.ObsNames() {
		have[n] = true
	}
	for _, d := range defs {
		s, err := analysis.ParseState(d)
		if err != nil {
			return nil, cli.Usagef("--state: %v", err)
		}
		if seen[s.Name] || s.Name == "none" {
			return nil, cli.Usagef("--state %q: the name %q is taken", d, s.Name)
		}
		seen[s.Name] = true
		for _, c := range s.Conds {
			if !have[c.Obs] {
				return nil, cli.Usagef("--state %q: the system has no observable %q (it has %s)", d, c.Obs, strings.Join(sys.ObsNames(), ", "))
			}
		}
		states = append(states, s)
	}
	return states, nil
}

// gridFlags are the flags of a histogram over one or two observables:
// --obs, --bins and --range (we-profile, we-msm).
type gridFlags struct {
	obs, bins, ranges string
}

// register defines the flags on fs; obsHelp is --obs's help.
func (g *gridFlags) register(fs *flag.FlagSet, obsHelp string) {
	fs.StringVar(&g.obs, "obs", "", obsHelp)
	fs.StringVar(&g.bins, "bins", "50", "bins per observable: N, or N,M")
	fs.StringVar(&g.ranges, "range", "", "LO:HI per observable (default: the data's range)")
}

// parse resolves the flags for system sys: the observables, the bins of
// each and their ranges (nil: the data's).
func (g *gridFlags) parse(sys *record.System) (names []string, bins []int, ranges [][2]float64, err error) {
	if names, err = parseObs(g.obs, sys, 2); err != nil {
		return nil, nil, nil, err
	}
	if bins, err = parseBins(g.bins, len(names)); err != nil {
		return nil, nil, nil, err
	}
	if ranges, err = parseRanges(g.ranges, len(names)); err != nil {
		return nil, nil, nil, err
	}
	return names, bins, ranges, nil
}

// parseObs resolves --obs: the observables named (one or two), or the
// system's own when it has one or two.
func parseObs(flag string, sys *record.System, maxDims int) ([]string, error) {
	all := sys.ObsNames()
	if strings.TrimSpace(flag) == "" {
		if len(all) == 0 {
			return nil, fmt.Errorf("system %s has no observables", sys.Name)
		}
		if len(all) > maxDims {
			return nil, cli.Usagef("the system has %d observables (%s): choose up to %d with --obs", len(all), strings.Join(all, ", "), maxDims)
		}
		return all, nil
	}
	names := strings.Split(flag, ",")
	if len(names) > maxDims {
		return nil, cli.Usagef("--obs %q: at most %d observables", flag, maxDims)
	}
	have := map[string]bool{}
	for _, n := range all {
		have[n] = true
	}
	for i, n := range names {
		names[i] = strings.TrimSpace(n)
		if !have[names[i]] {
			return nil, cli.Usagef("--obs %q: the system has no observable %q (it has %s)", flag, names[i], strings.Join(all, ", "))
		}
	}
	if len(names) == 2 && names[0] == names[1] {
		return nil, cli.Usagef("--obs %q: the same observable twice", flag)
	}
	return names, nil
}

// parseBins parses --bins N or N,M for dims dimensions.
func parseBins(flag string, dims int) ([]int, error) {
	parts := strings.Split(flag, ",")
	if len(parts) == 1 && dims > 1 {
		parts = append(parts, parts[0])
	}
	if len(parts) != dims {
		return nil, cli.Usagef("--bins %q: want one count per observable (%d)", flag, dims)
	}
	out := make([]int, dims)
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 10000 {
			return nil, cli.Usagef("--bins %q: %q is not a bin count (1 to 10000)", flag, p)
		}
		out[i] = n
	}
	return out, nil
}

// parseRanges parses --range LO:HI[,LO:HI] (empty: nil, the data range).
func parseRanges(flag string, dims int) ([][2]float64, error) {
	if strings.TrimSpace(flag) == "" {
		return nil, nil
	}
	parts := strings.Split(flag, ",")
	if len(parts) != dims {
		return nil, cli.Usagef("--range %q: want one LO:HI per observable (%d)", flag, dims)
	}
	out := make([][2]float64, dims)
	for i, p := range parts {
		a, b, ok := strings.Cut(p, ":")
		lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		if !ok || err1 != nil || err2 != nil || !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			return nil, cli.Usagef("--range %q: %q is not LO:HI with LO < HI", flag, p)
		}
		out[i] = [2]float64{lo, hi}
	}
	return out, nil
}

// makeGrid builds the grid of names over frames: uniform bins over the
// ranges given, else over the data's range (numpy.histogram's default).
func makeGrid(frames []analysis.Frame, bins []int, ranges [][2]float64) (analysis.Grid, error) {
	edges := make([][]float64, len(bins))
	for d, n := range bins {
		var lo, hi float64
		if ranges != nil {
			lo, hi = ranges[d][0], ranges[d][1]
		} else {
			lo, hi = analysis.Range(frames, d)
			if math.IsInf(lo, 0) {
				return analysis.Grid{}, fmt.Errorf("no walker to histogram")
			}
		}
		edges[d] = analysis.UniformEdges(lo, hi, n)
	}
	return analysis.NewGrid(edges...)
}

// obsUnit returns the unit of an observable of the system: every built-in
// observable type (distance, mindist, comdist, coord, rmsd) is a length in
// nm (FORMAT.md §4.1).
func obsUnit(sys *record.System, name string) string {
	for _, o := range sys.Obs {
		if o.Name == name {
			switch o.Type {
			case "distance", "mindist", "comdist", "coord", "rmsd":
				return "nm"
			}
		}
	}
	return ""
}

// withUnit names a column: "r_nm" (or "r" without a unit).
func withUnit(name, unit string) string {
	if unit == "" {
		return name
	}
	return name + "_" + unit
}

// fmtNum formats a number for CSV: shortest exact form, "inf", "-inf",
// "nan" (which numpy, pandas and R all read).
func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// jsonNum is a float that encodes non-finite values as null.
type jsonNum float64

func (x jsonNum) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// table writes rows as CSV or as JSON lines with the same keys.
type table struct {
	w    io.Writer
	cols []string
	json bool
	err  error
}

func newTable(w io.Writer, asJSON bool, cols ...string) *table {
	t := &table{w: w, cols: cols, json: asJSON}
	if !asJSON {
		_, t.err = fmt.Fprintln(w, strings.Join(cols, ","))
	}
	return t
}

// row writes one row; values are float64, int, uint64 or string.
func (t *table) row(vals ...any) {
	if t.err != nil {
		return
	}
	if len(vals) != len(t.cols) {
		panic("table: row length")
	}
	if t.json {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // "r>=1", not "r\u003e=1"
		b.WriteByte('{')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			enc.Encode(t.cols[i])
			b.Truncate(b.Len() - 1) // Encode's newline
			b.WriteByte(':')
			if f, ok := v.(float64); ok {
				v = jsonNum(f)
			}
			enc.Encode(v)
			b.Truncate(b.Len() - 1)
		}
		b.WriteString("}\n")
		_, t.err = t.w.Write(b.Bytes())
		return
	}
	s := make([]string, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case float64:
			s[i] = fmtNum(x)
		case string:
			s[i] = csvQuote(x)
		default:
			s[i] = fmt.Sprint(x)
		}
	}
	_, t.err = fmt.Fprintln(t.w, strings.Join(s, ","))
}

// csvQuote quotes a CSV field when it needs it (RFC 4180).
func csvQuote(s string) string {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// kT returns k_B·T in kJ/mol for the system's thermostat.
func kT(sys *record.System) (float64, error) {
	t := sys.Integrator.Temperature
	if !(t > 0) {
		return 0, fmt.Errorf("system %s has temperature %g K: a free energy needs T > 0", sys.Name, t)
	}
	return engine.Boltzmann * t, nil
}
