package analyze

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/lineage"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/store"
)

// Report is we-report: a static HTML report of a run.
func Report(env *cli.Env, args []string) int {
	return env.Finish(reportRun(env, args))
}

// maxWarpRows bounds the warp events listed in the page; warps.csv has
// them all.
const maxWarpRows = 500

func reportRun(env *cli.Env, args []string) error {
	fs, storeDir := env.FlagSet()
	out := fs.String("o", "", "directory to write the report into (required)")
	var states cli.ParamList
	fs.Var(&states, "state", "macrostate NAME:COND[,COND…] (repeatable)")
	cycles := fs.String("cycles", "", "window of cycles A:B for rates and profiles")
	pos, err := env.Parse(fs, args)
	if err != nil {
		return err
	}
	if *out == "" {
		return cli.Usagef("no -o DIR: where to write the report")
	}
	if _, err := parseWindow(*cycles); err != nil {
		return err
	}
	d, err := loadRun(env, *storeDir, pos)
	if err != nil {
		return err
	}
	if _, err := parseStates(states, d.sys); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	index, err := writeReport(d, *out, states, *cycles)
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, index)
	return nil
}

// reportPage is what the page template shows.
type reportPage struct {
	Title, Hash, System, Store string
	Summary                    string
	Sections                   []reportSection
	Config                     []kv
	Particles                  [][]string
	Terms                      [][]string
	Observables                [][]string
	Initial                    [][]string
	Ops                        [][]string
	Warps                      [][]string
	WarpCount                  int
	WarpsShown                 int
	Commands                   []string
}

type kv struct{ K, V string }

// reportSection is one analysis: its text, figures and data files, or
// why it is missing.
type reportSection struct {
	ID, Title, Intro, Text, Note string
	Figures                      []reportFigure
	Files                        []string
}

type reportFigure struct{ File, Alt string }

// writeReport computes every analysis and writes the page, its figures
// and its data files into dir; it returns the page's path.
func writeReport(d *runData, dir string, states []string, cycles string) (string, error) {
	name := d.sys.Name
	storeDir, err := filepath.Abs(d.st.Dir())
	if err != nil {
		storeDir = d.st.Dir()
	}
	page := &reportPage{Title: fmt.Sprintf("wepipe run report: %s, cycle %d", name, d.snap.Cycle),
		Hash: d.hash.String(), System: name, Store: storeDir}
	var sum bytes.Buffer
	if err := writeSummaryText(&sum, d); err != nil {
		return "", err
	}
	page.Summary = sum.String()
	flag := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var extra []string
	if cycles != "" {
		extra = append(extra, "--cycles "+cycles)
	}
	for _, s := range states {
		extra = append(extra, "--state "+flag(s))
	}
	ex := strings.Join(extra, " ")
	cmd := func(tool string, more ...string) string {
		parts := append([]string{tool, d.hash.String()[:16]}, more...)
		return strings.Join(parts, " ")
	}
	page.Commands = append(page.Commands, "export WE_STORE="+flag(storeDir), cmd("we-summary"))

	// Rates.
	{
		sec := reportSection{ID: "rates", Title: "Rates",
			Intro: "Flux into each warping target per cycle and the rate and MFPT it gives by the Hill relation, with 95 % confidence intervals from a Monte Carlo block bootstrap (WESTPA's MCBS), and rates between macrostates (we-rate)."}
		res, err := computeRates(d, rateOptions{cycles: cycles, states: states, alpha: 0.05, evolution: 10, window: 20})
		switch {
		case err != nil:
			sec.Note = err.Error()
		case len(res.series) == 0:
			sec.Note = "No warping target and no --state: no rate to measure."
		default:
			var b bytes.Buffer
			writeRateText(&b, d, res)
			sec.Text = b.String()
			if err := figure.Save(filepath.Join(dir, "rates.png"), rateFigure(res, name)...); err != nil {
				return "", err
			}
			sec.Figures = append(sec.Figures, reportFigure{"rates.png", "flux per cycle and the rate's evolution with its confidence band"})
			var csv bytes.Buffer
			writeRateCSV(&csv, res)
			if err := writeReportFile(dir, "rates.csv", csv.Bytes()); err != nil {
				return "", err
			}
			sec.Files = append(sec.Files, "rates.csv")
			page.Commands = append(page.Commands, strings.TrimSpace(cmd("we-rate", ex)))
		}
		page.Sections = append(page.Sections, sec)
	}

	// Free-energy profiles: each observable, and the pair when there are two.
	{
		sec := reportSection{ID: "profiles", Title: "Free-energy profiles",
			Intro: "F = −kT ln p of the walkers after each cycle's dynamics, averaged over the cycles, with error bars from 10 blocks of consecutive cycles (we-profile)."}
		obs := d.sys.ObsNames()
		var sets [][]string
		for _, o := range obs {
			sets = append(sets, []string{o})
		}
		if len(obs) == 2 {
			sets = append(sets, obs)
		}
		for _, set := range sets {
			res, err := computeProfile(d, profileOptions{gridFlags: gridFlags{obs: strings.Join(set, ","), bins: "50"}, cycles: cycles, blocks: 10})
			if err != nil {
				sec.Note = err.Error()
				break
			}
			base := "profile-" + strings.Join(set, "-")
			if err := figure.Save(filepath.Join(dir, base+".png"), profileFigure(res, fmt.Sprintf("%s, cycles %d–%d", name, res.first, res.last))); err != nil {
				return "", err
			}
			var csv bytes.Buffer
			if err := writeProfile(&cli.Env{Stdout: &csv}, res, false); err != nil {
				return "", err
			}
			if err := writeReportFile(dir, base+".csv", csv.Bytes()); err != nil {
				return "", err
			}
			sec.Figures = append(sec.Figures, reportFigure{base + ".png", "free energy of " + strings.Join(set, " and ")})
			sec.Files = append(sec.Files, base+".csv")
			more := []string{"--obs " + strings.Join(set, ",")}
			if cycles != "" {
				more = append(more, "--cycles "+cycles)
			}
			page.Commands = append(page.Commands, cmd("we-profile", more...))
		}
		if len(obs) == 0 {
			sec.Note = "The system has no observables."
		}
		page.Sections = append(page.Sections, sec)
	}

	// haMSM.
	{
		sec := reportSection{ID: "hamsm", Title: "Steady state from a history-augmented Markov model",
			Intro: "A haMSM of fine bins of the observables × the last macrostate visited, from every walker's transition in every cycle; its steady state gives the flux into the target and the MFPT before the run itself is in a steady state (we-msm; Copperman and Zuckerman 2020)."}
		obs := d.sys.ObsNames()
		hasWarps := d.run.Warps() > 0
		switch {
		case !hasWarps && len(states) < 2:
			sec.Note = "No warps and fewer than two --state: the model has no rate to give."
		case len(obs) == 0 || len(obs) > 2:
			sec.Note = "The model bins one or two observables; this system has " + strconv.Itoa(len(obs)) + " (run we-msm --obs)."
		default:
			bins := "50" // 50 fine bins, or 20 × 20 for two observables
			if len(obs) == 2 {
				bins = "20"
			}
			res, err := computeMSM(d, msmOptions{gridFlags: gridFlags{obs: strings.Join(obs, ","), bins: bins}, cycles: cycles, states: states})
			if err != nil {
				sec.Note = err.Error()
				break
			}
			var b bytes.Buffer
			writeMSMText(&b, d, res)
			sec.Text = b.String()
			kt, _ := kT(d.sys)
			if err := figure.Save(filepath.Join(dir, "hamsm.png"), msmFigure(res, name, kt)); err != nil {
				return "", err
			}
			sec.Figures = append(sec.Figures, reportFigure{"hamsm.png", "the haMSM's steady-state distribution as a free energy"})
			page.Commands = append(page.Commands, strings.TrimSpace(cmd("we-msm", ex)))
		}
		page.Sections = append(page.Sections, sec)
	}

	// Macrostates.
	if len(states) > 0 {
		sec := reportSection{ID: "states", Title: "Macrostates",
			Intro: "Walkers and weight in each macrostate after each cycle's dynamics (we-assign); walkers are labelled by the last state visited."}
		ps, _ := parseStates(states, d.sys)
		w, _ := parseWindow(cycles)
		a, err := assignAll(d, ps, w)
		if err != nil {
			sec.Note = err.Error()
		} else {
			if err := figure.Save(filepath.Join(dir, "states.png"), assignFigure(a, name)...); err != nil {
				return "", err
			}
			var csv bytes.Buffer
			if err := writeAssignCycles(&cli.Env{Stdout: &csv}, a, false); err != nil {
				return "", err
			}
			if err := writeReportFile(dir, "states.csv", csv.Bytes()); err != nil {
				return "", err
			}
			sec.Figures = append(sec.Figures, reportFigure{"states.png", "walkers and weight per macrostate per cycle"})
			sec.Files = append(sec.Files, "states.csv")
			page.Commands = append(page.Commands, strings.TrimSpace(cmd("we-assign", ex)))
		}
		page.Sections = append(page.Sections, sec)
	}

	// The ensemble per cycle and the family tree.
	if len(dynamicCycles(d.run)) > 0 {
		sec := reportSection{ID: "ensemble", Title: "Weights, walkers and regions per cycle",
			Intro: "The distribution of the weights of the walkers entering each cycle, the numbers of walkers, distinct states and occupied resampler regions or bins, and the walkers in each region (we-summary --plot)."}
		if err := figure.Save(filepath.Join(dir, "ensemble.png"), runFigure(d.run, name)...); err != nil {
			return "", err
		}
		sec.Figures = append(sec.Figures, reportFigure{"ensemble.png", "weights, walkers and regions per cycle"})
		page.Sections = append(page.Sections, sec)

		tree := reportSection{ID: "tree", Title: "Family tree",
			Intro: "Every walker of every cycle as a line from its parent (through cloning and merging) to itself, ordered so that lines never cross, coloured by weight; teal lines start over in an initial state after their parent reached a target."}
		if err := figure.SaveSize(filepath.Join(dir, "tree.png"), 1.5*figure.Width, 1.5*figure.PanelHeight, figure.Tree(name+": family tree", treeData(d.run))); err != nil {
			return "", err
		}
		tree.Figures = append(tree.Figures, reportFigure{"tree.png", "the run's family tree"})
		page.Sections = append(page.Sections, tree)
	}

	// Warp events.
	warps := lineage.Warps(d.hist)
	page.WarpCount = len(warps)
	var wcsv bytes.Buffer
	wt := newTable(&wcsv, false, "cycle", "walker", "weight", "target", "condition")
	for i, w := range warps {
		wt.row(w.Cycle, w.Walker, w.Weight, w.Target, w.Cond)
		if i < maxWarpRows {
			page.Warps = append(page.Warps, []string{strconv.FormatUint(w.Cycle, 10), strconv.Itoa(w.Walker), strconv.FormatFloat(w.Weight, 'g', 6, 64), strconv.Itoa(w.Target), w.Cond})
		}
	}
	page.WarpsShown = len(page.Warps)
	if err := writeReportFile(dir, "warps.csv", wcsv.Bytes()); err != nil {
		return "", err
	}

	// Configuration.
	reportConfig(page, d)
	page.Ops = reportOps(d.hist)

	var html bytes.Buffer
	if err := reportTemplate.Execute(&html, page); err != nil {
		return "", fmt.Errorf("report page: %w", err)
	}
	if err := writeReportFile(dir, "index.html", html.Bytes()); err != nil {
		return "", err
	}
	return filepath.Join(dir, "index.html"), nil
}

// writeReportFile writes one file of the report whole (a temporary file
// renamed into place).
func writeReportFile(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func fmtG(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func fmtParams(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " = " + fmtG(m[k])
	}
	return strings.Join(parts, ", ")
}

func fmtInts(a []int) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}

// reportConfig fills the system's configuration: the system record
// (FORMAT.md §4.1) as tables.
func reportConfig(page *reportPage, d *runData) {
	s := d.sys
	in := s.Integrator
	page.Config = []kv{
		{"system", s.Name + " (" + d.snap.System.String() + ")"},
		{"engine", s.Engine},
		{"integrator", fmt.Sprintf("%s Langevin, T = %g K, γ = %g /ps, Δt = %g ps", in.Name, in.Temperature, in.Friction, in.Timestep)},
	}
	if len(s.Box) == 3 {
		page.Config = append(page.Config, kv{"box", fmt.Sprintf("%g × %g × %g nm", s.Box[0], s.Box[1], s.Box[2])})
	}
	if len(s.Params) > 0 {
		page.Config = append(page.Config, kv{"parameters (we-init --set)", fmtParams(s.Params)})
	}
	if s.Exec != nil {
		page.Config = append(page.Config, kv{"exec command", strings.Join(s.Exec.Command, " ")})
	}
	n := s.NAtoms()
	const maxAtoms = 50
	for i := 0; i < n && i < maxAtoms; i++ {
		el := ""
		if i < len(s.Particles.Elements) {
			el = s.Particles.Elements[i]
		}
		page.Particles = append(page.Particles, []string{strconv.Itoa(i), s.Particles.Names[i], el, fmtG(s.Particles.Masses.Data[i])})
	}
	if n > maxAtoms {
		page.Particles = append(page.Particles, []string{"…", fmt.Sprintf("%d more", n-maxAtoms), "", ""})
	}
	for _, t := range s.Potential {
		atoms := "all"
		if len(t.Atoms) > 0 {
			atoms = fmtInts(t.Atoms)
		}
		page.Terms = append(page.Terms, []string{t.Type, fmtParams(t.Params), atoms})
	}
	for _, o := range s.Obs {
		sel := fmtInts(o.Atoms)
		if len(o.Atoms2) > 0 {
			sel += " | " + fmtInts(o.Atoms2)
		}
		if o.Type == "coord" {
			sel += fmt.Sprintf(" (axis %c)", "xyz"[o.Axis%3])
		}
		page.Observables = append(page.Observables, []string{o.Name, o.Type, sel, obsUnit(s, o.Name)})
	}
	for i, ini := range s.Initial {
		obs := ""
		if st, err := store.LoadAs[*record.State](d.st, ini.State); err == nil {
			var parts []string
			for _, name := range s.ObsNames() {
				parts = append(parts, name+" = "+fmt.Sprintf("%.4g", st.Obs[name]))
			}
			obs = strings.Join(parts, ", ")
		}
		page.Initial = append(page.Initial, []string{strconv.Itoa(i), ini.State.Short(), fmtG(ini.Weight), obs})
	}
}

// reportOps lists the operations of the history: consecutive snapshots
// made by the same tool with the same parameters are one row, with the
// range of their cycles.
func reportOps(hist []lineage.Entry) [][]string {
	var rows [][]string
	key := func(s *record.Snapshot) string {
		keys := make([]string, 0, len(s.Op.Params))
		for k := range s.Op.Params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s ", k, s.Op.Params[k])
		}
		return strings.TrimSpace(b.String())
	}
	type group struct {
		tool, version, params string
		first, last           uint64
		n                     int
	}
	var groups []*group
	// we-step and we-resample alternate: a group is a run of identical
	// operations among those of the same tool, so the pair's two groups
	// grow together.
	open := map[string]*group{}
	for _, e := range hist {
		s := e.Snap
		k := s.Op.Tool + "\x00" + s.Op.Version + "\x00" + key(s)
		if gr, ok := open[s.Op.Tool]; ok && gr.tool+"\x00"+gr.version+"\x00"+gr.params == k {
			gr.last, gr.n = s.Cycle, gr.n+1
			continue
		}
		gr := &group{tool: s.Op.Tool, version: s.Op.Version, params: key(s), first: s.Cycle, last: s.Cycle, n: 1}
		open[s.Op.Tool] = gr
		groups = append(groups, gr)
	}
	for _, gr := range groups {
		cycles := strconv.FormatUint(gr.first, 10)
		if gr.last != gr.first {
			cycles += "–" + strconv.FormatUint(gr.last, 10)
		}
		rows = append(rows, []string{cycles, strconv.Itoa(gr.n), gr.tool, gr.version, gr.params})
	}
	return rows
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1em 2em 3em; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.85em; }
pre { background: #f5f5f2; border: 1px solid #e2e2dc; padding: 0.8em; overflow-x: auto; white-space: pre; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0ec; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; height: auto; border: 1px solid #eee; margin: 0.5em 0; }
nav a { margin-right: 1em; }
.note { color: #7a4a00; background: #fff6e5; border-left: 4px solid #e0a030; padding: 0.5em 0.8em; }
.muted { color: #666; font-size: 0.9em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="muted">Snapshot <code>{{.Hash}}</code> in the store <code>{{.Store}}</code>. Made by we-report from the store's records alone; every figure and table can be redone with the commands at the end.</p>
<nav><a href="#summary">Summary</a>{{range .Sections}}<a href="#{{.ID}}">{{.Title}}</a>{{end}}<a href="#warps">Warp events</a><a href="#config">Configuration</a><a href="#commands">Commands</a></nav>

<h2 id="summary">Summary</h2>
<pre>{{.Summary}}</pre>

{{range .Sections}}
<h2 id="{{.ID}}">{{.Title}}</h2>
<p>{{.Intro}}</p>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
{{if .Text}}<pre>{{.Text}}</pre>{{end}}
{{range .Figures}}<p><img src="{{.File}}" alt="{{.Alt}}"></p>{{end}}
{{if .Files}}<p class="muted">Data: {{range .Files}}<a href="{{.}}">{{.}}</a> {{end}}</p>{{end}}
{{end}}

<h2 id="warps">Warp events</h2>
{{if .WarpCount}}<p>{{.WarpCount}} walkers reached a target and were returned to an initial state{{if lt .WarpsShown .WarpCount}}; the first {{.WarpsShown}} are listed, all are in <a href="warps.csv">warps.csv</a>{{else}} (also in <a href="warps.csv">warps.csv</a>){{end}}.</p>
<table><tr><th>cycle</th><th>walker</th><th>weight (6 digits; exact in warps.csv)</th><th>initial state</th><th>condition met</th></tr>
{{range .Warps}}<tr>{{range $i, $c := .}}<td{{if lt $i 4}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p>No walker reached a target.</p>{{end}}

<h2 id="config">Configuration</h2>
<table>{{range .Config}}<tr><th>{{.K}}</th><td>{{.V}}</td></tr>{{end}}</table>
<h3>Particles</h3>
<table><tr><th>atom</th><th>name</th><th>element</th><th>mass (amu)</th></tr>
{{range .Particles}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
<h3>Potential</h3>
{{if .Terms}}<table><tr><th>term</th><th>parameters (kJ/mol, nm)</th><th>atoms</th></tr>
{{range .Terms}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{else}}<p>None.</p>{{end}}
<h3>Observables</h3>
<table><tr><th>name</th><th>type</th><th>atoms</th><th>unit</th></tr>
{{range .Observables}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
<h3>Initial states (where walkers start and where warping returns them)</h3>
<table><tr><th>index</th><th>state</th><th>weight</th><th>observables</th></tr>
{{range .Initial}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
<h3>Operations</h3>
<p class="muted">Every snapshot of the history by the tool that made it and its parameters (op.params); consecutive snapshots of one tool with the same parameters are one row.</p>
<table><tr><th>cycles</th><th>snapshots</th><th>tool</th><th>version</th><th>parameters</th></tr>
{{range .Ops}}<tr>{{range $i, $c := .}}<td{{if eq $i 4}}><code>{{$c}}</code></td>{{else}}>{{$c}}</td>{{end}}{{end}}</tr>
{{end}}</table>

<h2 id="commands">Commands</h2>
<pre>{{range .Commands}}{{.}}
{{end}}</pre>
</body>
</html>
`))
