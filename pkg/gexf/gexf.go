// Package gexf writes graphs in GEXF, the Graph Exchange XML Format that
// Gephi reads (https://gexf.net), as a stream: nodes and edges are written
// as they are given, so that memory does not grow with the graph.
//
// Two versions are written: 1.2draft, what networkx and wepy write and
// Gephi reads, and 1.3. Output validates against the official XML schemas
// of both (the GEXF working group's specs/ folder, copied under testdata):
// in particular the visualisation elements (color, position, size, shape)
// are written in the GEXF namespace, where those schemas declare them, not
// in the "viz" namespace that networkx uses (which the schemas refuse);
// Gephi reads them by their local name either way.
//
// Attributes are typed (integer, long, double, float, boolean, string),
// declared once, and every value is checked against its declaration:
// networkx's read_gexf returns them as int, float, bool and str.
//
// Usage:
//
//	w, err := gexf.NewWriter(out, gexf.Options{Version: gexf.V12,
//		NodeAttrs: []gexf.Attr{{Title: "weight", Type: gexf.Double}}})
//	w.Node(&gexf.Node{ID: "0:0", Values: []gexf.Value{gexf.Real(0.5)}})
//	w.Edge(&gexf.Edge{ID: "e0", Source: "0:0", Target: "1:0"})
//	w.Close()
package gexf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// Version is a GEXF version.
type Version string

const (
	// V12 is GEXF 1.2draft (namespace http://www.gexf.net/1.2draft).
	V12 Version = "1.2draft"
	// V13 is GEXF 1.3 (namespace http://gexf.net/1.3).
	V13 Version = "1.3"
)

// ParseVersion accepts "1.2draft" (also "1.2") and "1.3".
func ParseVersion(s string) (Version, error) {
	switch s {
	case "1.2draft", "1.2":
		return V12, nil
	case "1.3":
		return V13, nil
	}
	return "", fmt.Errorf("GEXF version %q: want 1.2draft or 1.3", s)
}

func (v Version) namespace() string {
	if v == V13 {
		return "http://gexf.net/1.3"
	}
	return "http://www.gexf.net/1.2draft"
}

func (v Version) number() string {
	if v == V13 {
		return "1.3"
	}
	return "1.2"
}

// Type is an attribute's type.
type Type string

// The attribute types written here; GEXF defines a few more (liststring,
// anyURI, and in 1.3 lists of every type), which this package does not use.
const (
	Integer Type = "integer" // 32-bit signed
	Long    Type = "long"    // 64-bit signed
	Double  Type = "double"
	Float   Type = "float"
	Boolean Type = "boolean"
	String  Type = "string"
)

func (t Type) valid() bool {
	switch t {
	case Integer, Long, Double, Float, Boolean, String:
		return true
	}
	return false
}

// Attr declares a node or edge attribute. Its id in the file is its index
// in Options.NodeAttrs (or EdgeAttrs).
type Attr struct {
	Title string
	Type  Type
}

// Value is a typed attribute value; the zero Value is "no value" and is
// not written.
type Value struct {
	kind kind
	i    int64
	f    float64
	b    bool
	s    string
}

type kind uint8

const (
	kindNone kind = iota
	kindInt
	kindFloat
	kindBool
	kindString
)

// Int is a value of an integer or long attribute.
func Int(i int64) Value { return Value{kind: kindInt, i: i} }

// Real is a value of a double or float attribute.
func Real(f float64) Value { return Value{kind: kindFloat, f: f} }

// Bool is a value of a boolean attribute.
func Bool(b bool) Value { return Value{kind: kindBool, b: b} }

// Str is a value of a string attribute.
func Str(s string) Value { return Value{kind: kindString, s: s} }

// IsZero reports whether v is the zero Value (no value).
func (v Value) IsZero() bool { return v.kind == kindNone }

// Color is an RGB colour with an optional opacity: A in [0, 1], or a
// negative A for none (opaque).
type Color struct {
	R, G, B uint8
	A       float64
}

// Position is a node's place in the drawing.
type Position struct{ X, Y, Z float64 }

// Node shapes (the viz extension); Gephi's own renderer draws discs.
const (
	Disc     = "disc"
	Square   = "square"
	Triangle = "triangle"
	Diamond  = "diamond"
)

// Node is one node. Values[i] is the value of attribute i of
// Options.NodeAttrs (missing or zero: not written). Color, Position, a
// Size ≤ 0 and an empty Shape are not written.
type Node struct {
	ID, Label string
	Values    []Value
	Color     *Color
	Position  *Position
	Size      float64
	Shape     string
}

// Edge is one directed (or, with Options.Undirected, undirected) edge.
// Weight is written when it is not zero; Thickness when it is positive.
type Edge struct {
	ID, Label      string
	Source, Target string
	Weight         float64
	Values         []Value
	Color          *Color
	Thickness      float64
}

// Options describe the graph.
type Options struct {
	Version     Version // V12 when empty
	Creator     string  // the meta element's creator, when not empty
	Description string
	// Undirected makes the default edge type "undirected" (else "directed").
	Undirected bool
	NodeAttrs  []Attr
	EdgeAttrs  []Attr
}

// Writer writes one graph: all its nodes, then all its edges.
type Writer struct {
	w       *bufio.Writer
	opt     Options
	state   int // 0 nodes, 1 edges, 2 closed
	err     error
	scratch []byte
}

// NewWriter writes the document's head to w and returns a Writer for the
// nodes and edges. Nothing is buffered beyond a fixed-size write buffer.
func NewWriter(w io.Writer, opt Options) (*Writer, error) {
	if opt.Version == "" {
		opt.Version = V12
	}
	if _, err := ParseVersion(string(opt.Version)); err != nil {
		return nil, err
	}
	for _, set := range [][]Attr{opt.NodeAttrs, opt.EdgeAttrs} {
		seen := map[string]bool{}
		for _, a := range set {
			if !a.Type.valid() {
				return nil, fmt.Errorf("gexf: attribute %q: unknown type %q", a.Title, a.Type)
			}
			if a.Title == "" || seen[a.Title] {
				return nil, fmt.Errorf("gexf: attribute title %q is empty or repeated", a.Title)
			}
			seen[a.Title] = true
		}
	}
	gw := &Writer{w: bufio.NewWriterSize(w, 64<<10), opt: opt}
	gw.head()
	return gw, gw.err
}

func (w *Writer) str(s string) {
	if w.err == nil {
		_, w.err = w.w.WriteString(s)
	}
}

// attr writes ` name="value"`, escaping the value.
func (w *Writer) attr(name, value string) {
	w.scratch = append(w.scratch[:0], ' ')
	w.scratch = append(w.scratch, name...)
	w.scratch = append(w.scratch, '=', '"')
	w.scratch = appendEscaped(w.scratch, value)
	w.scratch = append(w.scratch, '"')
	if w.err == nil {
		_, w.err = w.w.Write(w.scratch)
	}
}

func (w *Writer) head() {
	v := w.opt.Version
	w.str(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<gexf")
	w.attr("xmlns", v.namespace())
	w.attr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	w.attr("xsi:schemaLocation", v.namespace()+" "+v.namespace()+"/gexf.xsd")
	w.attr("version", v.number())
	w.str(">\n")
	if w.opt.Creator != "" || w.opt.Description != "" {
		w.str("  <meta>\n")
		if w.opt.Creator != "" {
			w.str("    <creator>")
			w.text(w.opt.Creator)
			w.str("</creator>\n")
		}
		if w.opt.Description != "" {
			w.str("    <description>")
			w.text(w.opt.Description)
			w.str("</description>\n")
		}
		w.str("  </meta>\n")
	}
	w.str("  <graph")
	if w.opt.Undirected {
		w.attr("defaultedgetype", "undirected")
	} else {
		w.attr("defaultedgetype", "directed")
	}
	w.attr("mode", "static")
	w.attr("idtype", "string")
	w.str(">\n")
	for _, c := range []struct {
		class string
		attrs []Attr
	}{{"node", w.opt.NodeAttrs}, {"edge", w.opt.EdgeAttrs}} {
		if len(c.attrs) == 0 {
			continue
		}
		w.str("    <attributes")
		w.attr("class", c.class)
		w.attr("mode", "static")
		w.str(">\n")
		for i, a := range c.attrs {
			w.str("      <attribute")
			w.attr("id", strconv.Itoa(i))
			w.attr("title", a.Title)
			w.attr("type", string(a.Type))
			w.str("/>\n")
		}
		w.str("    </attributes>\n")
	}
	w.str("    <nodes>\n")
}

func (w *Writer) text(s string) {
	w.scratch = appendEscaped(w.scratch[:0], s)
	if w.err == nil {
		_, w.err = w.w.Write(w.scratch)
	}
}

// ErrOrder reports a node written after the first edge, or anything
// written after Close.
var ErrOrder = errors.New("gexf: nodes must come before edges, and nothing after Close")

// Node writes one node.
func (w *Writer) Node(n *Node) error {
	if w.err != nil {
		return w.err
	}
	if w.state != 0 {
		return ErrOrder
	}
	if n.ID == "" {
		return errors.New("gexf: node with an empty id")
	}
	vals, err := w.values(n.Values, w.opt.NodeAttrs, "node "+n.ID)
	if err != nil {
		return err
	}
	if n.Size > 0 && !finite32(n.Size) || math.IsNaN(n.Size) {
		return fmt.Errorf("gexf: node %s: size %v", n.ID, n.Size)
	}
	if p := n.Position; p != nil && !(finite32(p.X) && finite32(p.Y) && finite32(p.Z)) {
		return fmt.Errorf("gexf: node %s: position %v", n.ID, *p)
	}
	if err := checkColor(n.Color); err != nil {
		return fmt.Errorf("gexf: node %s: %w", n.ID, err)
	}
	switch n.Shape {
	case "", Disc, Square, Triangle, Diamond:
	default:
		return fmt.Errorf("gexf: node %s: unknown shape %q", n.ID, n.Shape)
	}
	w.str("      <node")
	w.attr("id", n.ID)
	if n.Label != "" {
		w.attr("label", n.Label)
	}
	w.str(">\n")
	w.attvalues(vals)
	w.color(n.Color)
	if p := n.Position; p != nil {
		w.str("        <position")
		w.attr("x", fmt32(p.X))
		w.attr("y", fmt32(p.Y))
		w.attr("z", fmt32(p.Z))
		w.str("/>\n")
	}
	if n.Size > 0 {
		w.str("        <size")
		w.attr("value", fmt32(n.Size))
		w.str("/>\n")
	}
	if n.Shape != "" {
		w.str("        <shape")
		w.attr("value", n.Shape)
		w.str("/>\n")
	}
	w.str("      </node>\n")
	return w.err
}

// Edge writes one edge; the first call ends the nodes.
func (w *Writer) Edge(e *Edge) error {
	if w.err != nil {
		return w.err
	}
	if w.state == 2 {
		return ErrOrder
	}
	if e.ID == "" || e.Source == "" || e.Target == "" {
		return errors.New("gexf: edge with an empty id, source or target")
	}
	vals, err := w.values(e.Values, w.opt.EdgeAttrs, "edge "+e.ID)
	if err != nil {
		return err
	}
	if math.IsNaN(e.Weight) || math.IsInf(e.Weight, 0) {
		return fmt.Errorf("gexf: edge %s: weight %v", e.ID, e.Weight)
	}
	if e.Thickness > 0 && !finite32(e.Thickness) {
		return fmt.Errorf("gexf: edge %s: thickness %v", e.ID, e.Thickness)
	}
	if err := checkColor(e.Color); err != nil {
		return fmt.Errorf("gexf: edge %s: %w", e.ID, err)
	}
	if w.state == 0 {
		w.str("    </nodes>\n    <edges>\n")
		w.state = 1
	}
	w.str("      <edge")
	w.attr("id", e.ID)
	w.attr("source", e.Source)
	w.attr("target", e.Target)
	if e.Label != "" {
		w.attr("label", e.Label)
	}
	if e.Weight != 0 {
		// 1.2draft declares the weight an xs:float, 1.3 an xs:double.
		if w.opt.Version == V12 {
			if !finite32(e.Weight) {
				return fmt.Errorf("gexf: edge %s: weight %v out of the range of a GEXF 1.2 weight", e.ID, e.Weight)
			}
			w.attr("weight", fmt32(e.Weight))
		} else {
			w.attr("weight", fmt64(e.Weight))
		}
	}
	if len(vals) == 0 && e.Color == nil && e.Thickness <= 0 {
		w.str("/>\n")
		return w.err
	}
	w.str(">\n")
	w.attvalues(vals)
	w.color(e.Color)
	if e.Thickness > 0 {
		w.str("        <thickness")
		w.attr("value", fmt32(e.Thickness))
		w.str("/>\n")
	}
	w.str("      </edge>\n")
	return w.err
}

// Close ends the document and flushes it; it does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	switch w.state {
	case 0:
		w.str("    </nodes>\n    <edges>\n")
	case 2:
		return ErrOrder
	}
	w.state = 2
	w.str("    </edges>\n  </graph>\n</gexf>\n")
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

type indexedValue struct {
	id int
	s  string
}

// values checks vs against their declarations and formats them.
func (w *Writer) values(vs []Value, attrs []Attr, what string) ([]indexedValue, error) {
	if len(vs) > len(attrs) {
		return nil, fmt.Errorf("gexf: %s: %d values for %d attributes", what, len(vs), len(attrs))
	}
	var out []indexedValue
	for i, v := range vs {
		if v.kind == kindNone {
			continue
		}
		a := attrs[i]
		var s string
		switch {
		case v.kind == kindInt && a.Type == Long:
			s = strconv.FormatInt(v.i, 10)
		case v.kind == kindInt && a.Type == Integer:
			if v.i < math.MinInt32 || v.i > math.MaxInt32 {
				return nil, fmt.Errorf("gexf: %s: %s = %d does not fit a 32-bit integer attribute", what, a.Title, v.i)
			}
			s = strconv.FormatInt(v.i, 10)
		case v.kind == kindFloat && a.Type == Double:
			s = fmt64(v.f)
		case v.kind == kindFloat && a.Type == Float:
			s = fmtFloatAttr(v.f)
		case v.kind == kindBool && a.Type == Boolean:
			s = strconv.FormatBool(v.b)
		case v.kind == kindString && a.Type == String:
			s = v.s
		default:
			return nil, fmt.Errorf("gexf: %s: attribute %s is a %s, the value is not", what, a.Title, a.Type)
		}
		out = append(out, indexedValue{i, s})
	}
	return out, nil
}

func (w *Writer) attvalues(vals []indexedValue) {
	if len(vals) == 0 {
		return
	}
	w.str("        <attvalues>\n")
	for _, v := range vals {
		w.str("          <attvalue")
		w.attr("for", strconv.Itoa(v.id))
		w.attr("value", v.s)
		w.str("/>\n")
	}
	w.str("        </attvalues>\n")
}

func (w *Writer) color(c *Color) {
	if c == nil {
		return
	}
	w.str("        <color")
	w.attr("r", strconv.Itoa(int(c.R)))
	w.attr("g", strconv.Itoa(int(c.G)))
	w.attr("b", strconv.Itoa(int(c.B)))
	if c.A >= 0 {
		w.attr("a", fmt32(c.A))
	}
	w.str("/>\n")
}

func checkColor(c *Color) error {
	if c != nil && (c.A > 1 || math.IsNaN(c.A)) {
		return fmt.Errorf("colour opacity %v is not in [0, 1]", c.A)
	}
	return nil
}

// fmt64 formats a double as XML Schema's xs:double lexical form: the
// shortest decimal that reads back as the same binary64 value, "INF",
// "-INF" or "NaN" (which Python's float() also reads).
func fmt64(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "INF"
	case math.IsInf(x, -1):
		return "-INF"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// fmtFloatAttr formats the value of a float attribute: a 32-bit float in
// GEXF's (Java's) sense, so written rounded to binary32.
func fmtFloatAttr(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 0) || math.Abs(x) > math.MaxFloat32:
		if x > 0 {
			return "INF"
		}
		return "-INF"
	}
	return strconv.FormatFloat(x, 'g', -1, 32)
}

// fmt32 formats a finite value of an xs:float field (viz sizes,
// positions; 1.2draft weights), rounded to binary32.
func fmt32(x float64) string {
	if x == 0 {
		x = 0 // not "-0"
	}
	return strconv.FormatFloat(x, 'g', -1, 32)
}

func finite32(x float64) bool { return !math.IsNaN(x) && math.Abs(x) <= math.MaxFloat32 }

// appendEscaped appends s escaped for an XML attribute value or text:
// markup characters as entities, tab, newline and carriage return as
// character references (so that attribute values keep them), and what XML
// 1.0 cannot hold at all (other control characters, invalid UTF-8,
// U+FFFE and U+FFFF) as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c == '"':
				b = append(b, "&quot;"...)
			case c == '\t':
				b = append(b, "&#9;"...)
			case c == '\n':
				b = append(b, "&#10;"...)
			case c == '\r':
				b = append(b, "&#13;"...)
			case c < 0x20 || c == 0x7f:
				b = append(b, "\uFFFD"...)
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF || (r >= 0x80 && r <= 0x9f) {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}
