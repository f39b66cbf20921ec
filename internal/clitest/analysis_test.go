package clitest

import (
	"encoding/csv"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/wepipe/wepipe/internal/figure"
)

// TestAnalysisScripts runs testdata/analysis/*.txtar: the analysis tools
// (we-profile, we-rate, we-assign, we-msm, we-report) with commands that
// read their CSV and figures back.
func TestAnalysisScripts(t *testing.T) {
	p := params("testdata/analysis")
	for k, v := range map[string]func(*testscript.TestScript, bool, []string){
		"csvcols":  cmdCSVCols,
		"csvsum":   cmdCSVSum,
		"csvcheck": cmdCSVCheck,
		"figure":   cmdFigure,
	} {
		p.Cmds[k] = v
	}
	testscript.Run(t, p)
}

// stdoutCSV parses stdout as CSV: the header and the rows, every row as
// long as the header.
func stdoutCSV(ts *testscript.TestScript) ([]string, [][]string) {
	r := csv.NewReader(strings.NewReader(ts.ReadFile("stdout")))
	recs, err := r.ReadAll()
	if err != nil {
		ts.Fatalf("stdout is not CSV: %v", err)
	}
	if len(recs) == 0 {
		ts.Fatalf("stdout has no CSV header")
	}
	return recs[0], recs[1:]
}

// csvColumn returns the values of column name as numbers ("inf", "nan"
// included), failing on anything else.
func csvColumn(ts *testscript.TestScript, name string) []float64 {
	head, rows := stdoutCSV(ts)
	k := -1
	for i, h := range head {
		if h == name {
			k = i
		}
	}
	if k < 0 {
		ts.Fatalf("no column %q in %q", name, head)
	}
	out := make([]float64, len(rows))
	for i, r := range rows {
		v, err := strconv.ParseFloat(r[k], 64)
		if err != nil {
			ts.Fatalf("row %d, column %s: %q is not a number", i+1, name, r[k])
		}
		out[i] = v
	}
	return out
}

// cmdCSVCols checks that stdout is CSV with exactly these columns, in
// this order, and N rows:
//
//	csvcols N COL...
func cmdCSVCols(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: csvcols N COL...")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	head, rows := stdoutCSV(ts)
	if strings.Join(head, ",") != strings.Join(args[1:], ",") {
		ts.Fatalf("columns %q, want %q", head, args[1:])
	}
	if len(rows) != n {
		ts.Fatalf("%d rows, want %d", len(rows), n)
	}
}

// cmdCSVSum checks the sum of a numeric column (finite values only):
//
//	csvsum COL WANT TOL
func cmdCSVSum(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: csvsum COL WANT TOL")
	}
	want, err1 := strconv.ParseFloat(args[1], 64)
	tol, err2 := strconv.ParseFloat(args[2], 64)
	ts.Check(err1)
	ts.Check(err2)
	var s float64
	for _, v := range csvColumn(ts, args[0]) {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s += v
		}
	}
	if math.Abs(s-want) > tol {
		ts.Fatalf("Σ %s = %.17g, want %v ± %v", args[0], s, want, tol)
	}
}

// cmdCSVCheck checks a relation between columns on every row:
//
//	csvcheck min COL V          the smallest finite value is V
//	csvcheck ratio A B R TOL    A = R·B within TOL·|A| where both are finite
//	csvcheck range COL LO HI    every value within [LO, HI] (nan refused)
//	csvcheck increasing COL     strictly increasing
func cmdCSVCheck(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: csvcheck min|ratio|range|increasing COL …")
	}
	num := func(s string) float64 {
		v, err := strconv.ParseFloat(s, 64)
		ts.Check(err)
		return v
	}
	col := csvColumn(ts, args[1])
	switch {
	case args[0] == "min" && len(args) == 3:
		m := math.Inf(1)
		for _, v := range col {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				m = math.Min(m, v)
			}
		}
		if m != num(args[2]) {
			ts.Fatalf("smallest %s is %v, want %s", args[1], m, args[2])
		}
	case args[0] == "ratio" && len(args) == 5:
		b := csvColumn(ts, args[2])
		r, tol := num(args[3]), num(args[4])
		for i := range col {
			if math.IsNaN(col[i]) || math.IsInf(col[i], 0) || math.IsNaN(b[i]) || math.IsInf(b[i], 0) {
				continue
			}
			if math.Abs(col[i]-r*b[i]) > tol*math.Abs(col[i]) {
				ts.Fatalf("row %d: %s = %v, %s = %v: ratio %v, want %v", i+1, args[1], col[i], args[2], b[i], col[i]/b[i], r)
			}
		}
	case args[0] == "range" && len(args) == 4:
		lo, hi := num(args[2]), num(args[3])
		for i, v := range col {
			if !(v >= lo && v <= hi) {
				ts.Fatalf("row %d: %s = %v outside [%v, %v]", i+1, args[1], v, lo, hi)
			}
		}
	case args[0] == "increasing" && len(args) == 2:
		for i := 1; i < len(col); i++ {
			if !(col[i] > col[i-1]) {
				ts.Fatalf("rows %d, %d: %s %v then %v", i, i+1, args[1], col[i-1], col[i])
			}
		}
	default:
		ts.Fatalf("usage: csvcheck min|ratio|range|increasing COL …")
	}
}

// cmdFigure opens a figure file as a viewer would and checks that it is a
// picture showing something: a PNG that decodes to at least 600×300
// pixels, 2–90 % of them inked in three colours or more, or an SVG that
// parses with at least 20 drawing elements:
//
//	figure FILE
func cmdFigure(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: figure FILE")
	}
	info, err := figure.Inspect(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	switch info.Format {
	case "png":
		if info.Width < 600 || info.Height < 300 || info.Inked < 0.02 || info.Inked > 0.9 || info.Colors < 3 {
			ts.Fatalf("%s: %d×%d, %.1f %% inked in %d colours", args[0], info.Width, info.Height, 100*info.Inked, info.Colors)
		}
	case "svg":
		if info.Width < 300 || info.Elements < 20 {
			ts.Fatalf("%s: %d pt wide, %d elements", args[0], info.Width, info.Elements)
		}
	}
}
