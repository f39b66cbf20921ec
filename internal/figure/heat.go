package figure

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WithBar is a plot with a colour bar to its right.
type WithBar struct {
	Plot, Bar *plot.Plot
}

// Draw draws the plot on the left 86 % of c and the bar on the rest.
func (w WithBar) Draw(c draw.Canvas) {
	split := c.Min.X + (c.Max.X-c.Min.X)*0.86
	left, right := c, c
	left.Max.X = split
	right.Min.X = split + vg.Millimeter
	w.Plot.Draw(left)
	w.Bar.Draw(right)
}

// colorMap returns the colour map of heat maps and the tree over
// [lo, hi]: black body, dark for low values (a free-energy minimum, a
// small weight) to light for high ones, leaving out its top sixth, near
// white, so that the highest values stand out from the white of empty
// cells.
func colorMap(lo, hi float64) palette.ColorMap {
	if !(hi > lo) {
		hi = lo + 1
	}
	inner := moreland.ExtendedBlackBody()
	inner.SetMin(0)
	inner.SetMax(1)
	return &truncated{inner: inner, lo: lo, hi: hi, top: 5.0 / 6}
}

// truncated is a colour map that spans [lo, hi] with the part [0, top] of
// inner (set to [0, 1]).
type truncated struct {
	inner  palette.ColorMap
	lo, hi float64
	top    float64
}

func (t *truncated) At(v float64) (color.Color, error) {
	if v < t.lo || v > t.hi || math.IsNaN(v) {
		return nil, palette.ErrOverflow
	}
	return t.inner.At((v - t.lo) / (t.hi - t.lo) * t.top)
}
func (t *truncated) Max() float64       { return t.hi }
func (t *truncated) SetMax(v float64)   { t.hi = v }
func (t *truncated) Min() float64       { return t.lo }
func (t *truncated) SetMin(v float64)   { t.lo = v }
func (t *truncated) Alpha() float64     { return t.inner.Alpha() }
func (t *truncated) SetAlpha(a float64) { t.inner.SetAlpha(a) }
func (t *truncated) Palette(n int) palette.Palette {
	c := make([]color.Color, n)
	for i := range c {
		v := t.lo
		if n > 1 {
			v += (t.hi - t.lo) * float64(i) / float64(n-1)
		}
		c[i], _ = t.At(v)
	}
	return colors(c)
}

type colors []color.Color

func (c colors) Colors() []color.Color { return c }

// colorBar returns the bar of cm.
func colorBar(cm palette.ColorMap, label string) *plot.Plot {
	b := plot.New()
	b.HideX()
	b.Y.Label.Text = label
	b.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true})
	return b
}

// grid is a plotter.GridXYZ over bin edges.
type grid struct {
	xe, ye []float64
	z      func(i, j int) float64
}

func (g grid) Dims() (int, int)   { return len(g.xe) - 1, len(g.ye) - 1 }
func (g grid) Z(c, r int) float64 { return g.z(c, r) }
func (g grid) X(c int) float64    { return (g.xe[c] + g.xe[c+1]) / 2 }
func (g grid) Y(r int) float64    { return (g.ye[r] + g.ye[r+1]) / 2 }
func (g grid) cells() int         { c, r := g.Dims(); return c * r }
func (g grid) zRange() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	c, r := g.Dims()
	for i := range c {
		for j := range r {
			if v := g.z(i, j); finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	return lo, hi
}

// Heat returns a heat map of z over the cells of the edges xe × ye, with a
// colour bar labelled zlabel; cells whose z is not finite are left white.
// The colour range is [lo, hi], or z's finite range when lo ≥ hi.
func Heat(title, xlabel, ylabel, zlabel string, xe, ye []float64, z func(i, j int) float64, lo, hi float64) WithBar {
	g := grid{xe, ye, z}
	if !(hi > lo) {
		lo, hi = g.zRange()
		if math.IsInf(lo, 0) {
			lo, hi = 0, 1
		}
		if !(hi > lo) {
			hi = lo + 1
		}
	}
	cm := colorMap(lo, hi)
	p := NewPlot(title, xlabel, ylabel)
	pal := cm.Palette(255)
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = cm.Min(), cm.Max()
	h.NaN = color.White
	h.Underflow, h.Overflow = pal.Colors()[0], pal.Colors()[len(pal.Colors())-1]
	// Vector cells for small grids (crisp in SVG), an image for large ones.
	h.Rasterized = g.cells() > 4096
	p.Add(h)
	p.X.Min, p.X.Max = xe[0], xe[len(xe)-1]
	p.Y.Min, p.Y.Max = ye[0], ye[len(ye)-1]
	return WithBar{Plot: p, Bar: colorBar(cm, zlabel)}
}
