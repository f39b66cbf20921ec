// Package figure draws the analysis tools' plots with gonum.org/v1/plot:
// rate and flux against cycle with a confidence band, free-energy
// profiles (a line with an error band, or a heat map), the weight
// distribution and the occupancy of states or regions per cycle, and a
// run's family tree. Figures are PNG (150 dpi) or SVG, chosen by the file
// name, and written whole (a temporary file renamed into place).
package figure

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DPI is the resolution of PNG figures.
const DPI = 150

// Width and PanelHeight are the default size of a figure and of each of
// its stacked panels.
const (
	Width       = 16 * vg.Centimeter
	PanelHeight = 9 * vg.Centimeter
)

// Format returns "png" or "svg" for a figure file name, or an error
// naming the file.
func Format(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return "png", nil
	case ".svg":
		return "svg", nil
	}
	return "", fmt.Errorf("plot file %q: want a name ending in .png or .svg", path)
}

// Drawer is one panel of a figure; *plot.Plot is one.
type Drawer interface{ Draw(draw.Canvas) }

// Save draws panels stacked top to bottom, each PanelHeight high and
// Width wide, into path (.png or .svg).
func Save(path string, panels ...Drawer) error {
	return SaveSize(path, Width, PanelHeight, panels...)
}

// SaveSize is Save with another width and panel height.
func SaveSize(path string, width, panelHeight vg.Length, panels ...Drawer) error {
	format, err := Format(path)
	if err != nil {
		return err
	}
	if len(panels) == 0 {
		return fmt.Errorf("plot %s: nothing to draw", path)
	}
	h := panelHeight * vg.Length(len(panels))
	var c vg.CanvasWriterTo
	switch format {
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, h), vgimg.UseDPI(DPI), vgimg.UseBackgroundColor(color.White))}
	default:
		c = vgsvg.New(width, h)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadTop: vg.Millimeter, PadBottom: vg.Millimeter}
	for i, p := range panels {
		p.Draw(tiles.At(dc, 0, i))
	}
	return writeFile(path, c)
}

// writeFile writes w to path through a temporary file in the same
// directory, so that a reader never sees half a figure.
func writeFile(path string, w io.WriterTo) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write plot %s: %w", path, err)
	}
	_, err = w.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write plot %s: %w", path, err)
	}
	return nil
}

// Colors used for series, in order (Okabe–Ito, readable by colour-blind
// readers).
var Colors = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 0, 0, 255},       // black
}

// Color returns series colour i.
func Color(i int) color.Color { return Colors[i%len(Colors)] }

// transparent returns c with alpha a (0–255), premultiplied.
func transparent(c color.Color, a uint8) color.Color {
	r, g, b, _ := c.RGBA()
	f := float64(a) / 255
	return color.RGBA{uint8(float64(r>>8) * f), uint8(float64(g>>8) * f), uint8(float64(b>>8) * f), a}
}

// NewPlot returns a plot with a title and axis labels.
func NewPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	if xlabel == "cycle" || strings.HasPrefix(xlabel, "last cycle") {
		p.X.Tick.Marker = intTicks{}
	}
	p.Add(plotter.NewGrid())
	return p
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// runs splits the indices where ok holds into maximal consecutive runs,
// so that a line or band is broken where a value is missing.
func runs(n int, ok func(i int) bool) [][2]int {
	var out [][2]int
	start := -1
	for i := 0; i <= n; i++ {
		if i < n && ok(i) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	return out
}

// AddLine adds the line (x, y), broken where y is not finite, with a
// legend entry when label is not empty. dashed draws it dashed.
func AddLine(p *plot.Plot, x, y []float64, c color.Color, width vg.Length, dashed bool, label string) {
	var first *plotter.Line
	for _, r := range runs(len(x), func(i int) bool { return finite(x[i]) && finite(y[i]) }) {
		xy := make(plotter.XYs, r[1]-r[0])
		for i := range xy {
			xy[i].X, xy[i].Y = x[r[0]+i], y[r[0]+i]
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			continue
		}
		l.Color, l.Width = c, width
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		if first == nil {
			first = l
		}
	}
	if label != "" && first != nil {
		p.Legend.Add(label, first)
	}
}

// AddBand adds a shaded band between lo and hi (broken where either is not
// finite), with a legend entry when label is not empty.
func AddBand(p *plot.Plot, x, lo, hi []float64, c color.Color, label string) {
	fill := transparent(c, 60)
	var first *plotter.Polygon
	for _, r := range runs(len(x), func(i int) bool { return finite(x[i]) && finite(lo[i]) && finite(hi[i]) }) {
		if r[1]-r[0] < 2 {
			continue
		}
		var xy plotter.XYs
		for i := r[0]; i < r[1]; i++ {
			xy = append(xy, plotter.XY{X: x[i], Y: hi[i]})
		}
		for i := r[1] - 1; i >= r[0]; i-- {
			xy = append(xy, plotter.XY{X: x[i], Y: lo[i]})
		}
		poly, err := plotter.NewPolygon(xy)
		if err != nil {
			continue
		}
		poly.Color = fill
		poly.LineStyle.Width = 0
		p.Add(poly)
		if first == nil {
			first = poly
		}
	}
	if label != "" && first != nil {
		p.Legend.Add(label, first)
	}
}

// AddPoints adds small dots at (x, y), skipping non-finite values.
func AddPoints(p *plot.Plot, x, y []float64, c color.Color, label string) {
	var xy plotter.XYs
	for i := range x {
		if finite(x[i]) && finite(y[i]) {
			xy = append(xy, plotter.XY{X: x[i], Y: y[i]})
		}
	}
	if len(xy) == 0 {
		return
	}
	s, err := plotter.NewScatter(xy)
	if err != nil {
		return
	}
	s.GlyphStyle.Color = c
	s.GlyphStyle.Radius = vg.Points(1.2)
	s.GlyphStyle.Shape = draw.CircleGlyph{}
	p.Add(s)
	if label != "" {
		p.Legend.Add(label, s)
	}
}

// roomForLegend raises the top of p's y axis by a third of its range, so
// that a legend at the top does not cover the data.
func roomForLegend(p *plot.Plot) {
	if r := p.Y.Max - p.Y.Min; r > 0 {
		p.Y.Max += r / 3
	} else {
		p.Y.Max += 1
	}
}

// intTicks labels an axis of whole numbers (cycles, walkers) without
// decimals and without ticks between them.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	step := 0.0
	var prev float64
	n := 0
	whole := true
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		if n > 0 && step == 0 {
			step = t.Value - prev
		}
		prev = t.Value
		n++
		whole = whole && t.Value == math.Trunc(t.Value)
	}
	if whole && step >= 1 {
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
			}
		}
		return ticks
	}
	// Steps below 1: one labelled tick per whole number (at most 10).
	st := math.Max(1, math.Ceil((hi-lo)/10))
	var out []plot.Tick
	for v := math.Ceil(lo/st) * st; v <= hi; v += st {
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', -1, 64)})
	}
	return out
}
