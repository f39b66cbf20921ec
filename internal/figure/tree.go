package figure

import (
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TreeData is a run's family tree by generation: generation g is the
// ensemble that entered cycle Cycles[g]'s dynamics.
type TreeData struct {
	Cycles  []float64
	Weights [][]float64 // Weights[g][i]: weight of walker i of generation g
	// Parents[g][j], g ≥ 1: the walker of generation g−1 that walker j of
	// generation g continues (−1: none, as after a pooling merge).
	Parents [][]int
	// Warped[g][i]: walker i of generation g met a warping target at the
	// end of its dynamics and was returned to an initial state.
	Warped [][]bool
}

// Layout places the walkers of every generation on rows so that lines
// from parents to children never cross: generation 0 keeps slot order,
// and each later generation is ordered by its parents' rows (children of
// one parent adjacent, in slot order). It returns the row of every
// walker.
func (t TreeData) Layout() [][]int {
	rows := make([][]int, len(t.Weights))
	for g, w := range t.Weights {
		rows[g] = make([]int, len(w))
		order := make([]int, len(w))
		for j := range order {
			order[j] = j
		}
		if g > 0 {
			prow := func(j int) int {
				if p := t.Parents[g][j]; p >= 0 && p < len(rows[g-1]) {
					return rows[g-1][p]
				}
				return math.MaxInt
			}
			sort.SliceStable(order, func(a, b int) bool { return prow(order[a]) < prow(order[b]) })
		}
		for r, j := range order {
			rows[g][j] = r
		}
	}
	return rows
}

// tree is the plotter that draws the lines; they are stroked in a few
// batches by colour, so that a tree of 10⁵ lines draws in well under a
// second.
type tree struct {
	t        TreeData
	rows     [][]int
	lo, hi   float64 // log10 weight range of the colours
	maxRows  int
	nBuckets int
}

func (tr *tree) DataRange() (xmin, xmax, ymin, ymax float64) {
	if len(tr.t.Cycles) == 0 {
		return 0, 1, 0, 1
	}
	return tr.t.Cycles[0], tr.t.Cycles[len(tr.t.Cycles)-1], -0.5, float64(tr.maxRows) - 0.5
}

func (tr *tree) bucket(w float64) int {
	if !(tr.hi > tr.lo) {
		return tr.nBuckets - 1
	}
	b := int((math.Log10(w) - tr.lo) / (tr.hi - tr.lo) * float64(tr.nBuckets))
	return max(0, min(tr.nBuckets-1, b))
}

func (tr *tree) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	cm := colorMap(tr.lo, tr.hi)
	paths := make([]vg.Path, tr.nBuckets)
	var warpPath vg.Path
	t := tr.t
	for g := 1; g < len(t.Weights); g++ {
		x0, x1 := trX(t.Cycles[g-1]), trX(t.Cycles[g])
		for j, p := range t.Parents[g] {
			if p < 0 || p >= len(tr.rows[g-1]) {
				continue
			}
			y0, y1 := trY(float64(tr.rows[g-1][p])), trY(float64(tr.rows[g][j]))
			if t.Warped[g-1][p] {
				warpPath.Move(vg.Point{X: x0, Y: y0})
				warpPath.Line(vg.Point{X: x1, Y: y1})
				continue
			}
			b := tr.bucket(t.Weights[g][j])
			paths[b].Move(vg.Point{X: x0, Y: y0})
			paths[b].Line(vg.Point{X: x1, Y: y1})
		}
	}
	width := vg.Points(0.6)
	if n := len(t.Weights); n > 400 {
		width = vg.Points(0.35)
	}
	// Warped lineages first, in translucent teal, under the others.
	if len(warpPath) > 0 {
		c.SetColor(warpColor)
		c.SetLineWidth(width)
		c.Stroke(warpPath)
	}
	c.SetLineWidth(width)
	for b, path := range paths {
		if len(path) == 0 {
			continue
		}
		v := tr.lo + (float64(b)+0.5)/float64(tr.nBuckets)*(tr.hi-tr.lo)
		col, err := cm.At(math.Max(cm.Min(), math.Min(cm.Max(), v)))
		if err != nil {
			col = color.Gray{128}
		}
		c.SetColor(col)
		c.Stroke(path)
	}
}

// Tree returns the family tree as a picture: one line per walker per
// cycle from its parent's row to its own, coloured by log10 of its
// weight, and in teal, underneath, the walkers that start over in an
// initial state after their parent was warped.
func Tree(title string, t TreeData) WithBar {
	lo, hi := math.Inf(1), math.Inf(-1)
	maxRows := 1
	for _, ws := range t.Weights {
		maxRows = max(maxRows, len(ws))
		for _, w := range ws {
			if w > 0 {
				lo, hi = math.Min(lo, math.Log10(w)), math.Max(hi, math.Log10(w))
			}
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = -1, 0
	}
	if !(hi > lo) {
		lo, hi = lo-0.5, hi+0.5
	}
	tr := &tree{t: t, rows: t.Layout(), lo: lo, hi: hi, maxRows: maxRows, nBuckets: 24}
	p := NewPlot(title, "cycle", "walker (ordered by ancestry)")
	p.Add(tr)
	// A legend entry for the warped lineages.
	if l, err := plotter.NewLine(plotter.XYs{{X: t0(t), Y: 0}}); err == nil {
		l.Color = warpColor
		l.Width = vg.Points(1.5)
		p.Legend.Add("after a warp", l)
		p.Legend.Top = true
	}
	return WithBar{Plot: p, Bar: colorBar(colorMap(lo, hi), "log10 weight")}
}

func t0(t TreeData) float64 {
	if len(t.Cycles) > 0 {
		return t.Cycles[0]
	}
	return 0
}

// warpColor marks lineages restarted by warping: a teal that the black-body
// colours of the weights do not contain.
var warpColor = color.NRGBA{0, 150, 190, 150}
