package tools

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/internal/cli"
	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/resample"
	"github.com/wepipe/wepipe/pkg/rng"
	"github.com/wepipe/wepipe/pkg/store"
)

// toyResampler clones walker 0 into Copies pieces and merges the last
// walker into walker 1: enough decisions of every kind to show that a
// method registered from outside pkg/resample runs through we-resample.
type toyResampler struct{ Copies int }

func (c toyResampler) Resample(walkers []resample.Walker, _ []byte, _ *rng.Stream) (resample.Result, error) {
	n := len(walkers)
	var res resample.Result
	res.Records = make([]resample.Record, n)
	for i := range c.Copies {
		res.Walkers = append(res.Walkers, resample.Out{Parent: 0, Weight: walkers[0].Weight / float64(c.Copies)})
		res.Records[0].Targets = append(res.Records[0].Targets, i)
	}
	res.Records[0].Decision = resample.Clone
	for i := 1; i < n-1; i++ {
		w := walkers[i].Weight
		res.Records[i] = resample.Record{Decision: resample.Nothing, Targets: []int{len(res.Walkers)}}
		if i == 1 {
			w += walkers[n-1].Weight
			res.Records[i].Decision = resample.KeepMerge
			res.Records[n-1] = resample.Record{Decision: resample.Squash, Targets: []int{len(res.Walkers)}}
		}
		res.Walkers = append(res.Walkers, resample.Out{Parent: i, Weight: w})
	}
	res.Summary = map[string]float64{"copies": float64(c.Copies)}
	return res, nil
}

func init() {
	resample.Register(resample.Method{
		Name: "toy",
		Doc:  "a test method: clones walker 0, merges the last into walker 1.",
		Params: []resample.Param{
			{Name: "toy-copies", Kind: resample.Int, Default: "2", Usage: "copies of walker 0"},
		},
		Image: resample.ImageNone,
		New: func(a *resample.Args) (resample.Resampler, error) {
			if a.Int("toy-copies") < 1 {
				return nil, resample.ParamErrorf("toy: --toy-copies must be at least 1")
			}
			return toyResampler{Copies: a.Int("toy-copies")}, nil
		},
	})
}

// TestRegisteredMethod runs a method registered in this test file, through
// the registry alone, along we-resample's whole code path: its flags are
// parsed and recorded with their defaults, the manual lists it, its usage
// errors exit 2, and its decisions reach the stored snapshot.
func TestRegisteredMethod(t *testing.T) {
	dir := t.TempDir() + "/s"
	h := runTool(t, Init, "--store", dir, "--system", "lj-pair", "--walkers", "4")
	h = runTool(t, Step, "--store", dir, "--steps", "10", h)
	out := runTool(t, Resample, "--store", dir, "--resampler", "toy", "--toy-copies", "3", h)
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := store.LoadAs[*record.Snapshot](st, mustHash(t, out))
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Walkers) != 5 || snap.Op.Params["toy-copies"] != "3" || snap.Op.Params["resampler"] != "toy" {
		t.Fatalf("walkers %d, params %v", len(snap.Walkers), snap.Op.Params)
	}
	wantDec := []uint8{2, 4, 1, 3}
	for i, d := range snap.Decisions {
		if d.Decision != wantDec[i] {
			t.Fatalf("decision %d is %d, want %d", i, d.Decision, wantDec[i])
		}
	}
	if snap.Walkers[3].Weight != 0.5 || snap.Walkers[0].Weight != 0.25/3 {
		t.Fatalf("weights %v", snap.Walkers)
	}
	// The default written out gives the same snapshot; the memo answers.
	if again := runTool(t, Resample, "--store", dir, "--resampler", "toy", h, "--toy-copies", "3"); again != out {
		t.Fatalf("rerun gave %s, want %s", again, out)
	}
	if def, two := runTool(t, Resample, "--store", dir, "--resampler", "toy", h),
		runTool(t, Resample, "--store", dir, "--resampler", "toy", "--toy-copies", "2", h); def != two {
		t.Fatalf("default %s, --toy-copies 2 %s", def, two)
	}
	manual := runToolCode(t, Resample, 0, "-h")
	if !strings.Contains(manual, "\ttoy       a test method") {
		t.Fatalf("manual does not list toy:\n%s", manual)
	}
	for _, args := range [][]string{
		{"--resampler", "toy", "--toy-copies", "0", h},
		{"--resampler", "toy", "--toy-copies", "x", h},
		{"--resampler", "none", "--toy-copies", "2", h},
		{"--resampler", "toy", "--pmax", "0.2", h},
	} {
		runToolCode(t, Resample, cli.ExitUsage, append([]string{"--store", dir}, args...)...)
	}
	js, _ := json.Marshal(snap.Summary)
	if string(js) != `{"copies":3}` {
		t.Fatalf("summary %s", js)
	}
}

// runToolCode runs a tool in process, checks its exit code and returns its
// stdout and stderr.
func runToolCode(t *testing.T, tool func(*cli.Env, []string) int, want int, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	env := &cli.Env{Name: "test", Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}
	if code := tool(env, args); code != want {
		t.Fatalf("%v: exit %d, want %d: %s", args, code, want, out.String())
	}
	return out.String()
}

func mustHash(t *testing.T, s string) record.Hash {
	t.Helper()
	h, err := record.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSplitWords(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"--system lj-pair  --walkers 8", []string{"--system", "lj-pair", "--walkers", "8"}},
		{`--obs 'q=q:protein and heavy' --seed 1`, []string{"--obs", "q=q:protein and heavy", "--seed", "1"}},
		{`--obs "a b\"c" x\ y ''`, []string{"--obs", `a b"c`, "x y", ""}},
		{"", nil},
	} {
		got, err := splitWords(c.in)
		if err != nil || strings.Join(got, "|") != strings.Join(c.want, "|") || len(got) != len(c.want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"'open", `"open`} {
		if _, err := splitWords(bad); err == nil {
			t.Errorf("splitWords(%q): no error", bad)
		}
	}
}
