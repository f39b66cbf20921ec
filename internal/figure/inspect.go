package figure

import (
	"encoding/xml"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Info describes a figure file as a reader sees it.
type Info struct {
	Format        string
	Width, Height int // pixels (PNG) or points (SVG)
	// Inked is the fraction of pixels that are not white (PNG), Colors
	// the number of distinct colours among them.
	Inked  float64
	Colors int
	// Elements counts the drawing elements of an SVG (path, rect, …).
	Elements int
}

// Inspect opens a figure file and describes it: a PNG is decoded pixel by
// pixel, an SVG parsed as XML. The tests use it to check that a figure is
// one a person can open and that it shows something.
func Inspect(path string) (Info, error) {
	format, err := Format(path)
	if err != nil {
		return Info{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	if format == "png" {
		return inspectPNG(f)
	}
	return inspectSVG(f)
}

func inspectPNG(r io.Reader) (Info, error) {
	img, err := png.Decode(r)
	if err != nil {
		return Info{}, fmt.Errorf("decode png: %w", err)
	}
	b := img.Bounds()
	info := Info{Format: "png", Width: b.Dx(), Height: b.Dy()}
	colors := map[[4]uint32]bool{}
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if r == 0xffff && g == 0xffff && bl == 0xffff || a == 0 {
				continue
			}
			inked++
			if len(colors) < 1<<16 {
				colors[[4]uint32{r, g, bl, a}] = true
			}
		}
	}
	info.Colors = len(colors)
	if n := b.Dx() * b.Dy(); n > 0 {
		info.Inked = float64(inked) / float64(n)
	}
	return info, nil
}

func inspectSVG(r io.Reader) (Info, error) {
	info := Info{Format: "svg"}
	dec := xml.NewDecoder(r)
	root := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, fmt.Errorf("parse svg: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root {
			if se.Name.Local != "svg" {
				return info, fmt.Errorf("parse svg: root element %q", se.Name.Local)
			}
			root = false
			for _, a := range se.Attr {
				v, _ := strconv.ParseFloat(strings.TrimSuffix(a.Value, "pt"), 64)
				switch a.Name.Local {
				case "width":
					info.Width = int(math.Round(v))
				case "height":
					info.Height = int(math.Round(v))
				}
			}
			continue
		}
		switch se.Name.Local {
		case "path", "rect", "line", "polyline", "polygon", "circle", "text", "image":
			info.Elements++
		}
	}
	if root {
		return info, fmt.Errorf("parse svg: empty document")
	}
	return info, nil
}

// Image decodes a PNG file (for tests that look at pixels).
func Image(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}
