package gexf

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/internal/needs"
)

func small(t *testing.T, v Version) string {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, Options{
		Version: v, Creator: "test", Description: `a "tree" & <more>`,
		NodeAttrs: []Attr{{"cycle", Long}, {"weight", Double}, {"warped", Boolean}, {"region", String}, {"slot", Integer}, {"r", Float}},
		EdgeAttrs: []Attr{{"discontinuous", Boolean}},
	})
	if err != nil {
		t.Fatal(err)
	}
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	check(w.Node(&Node{ID: "0:0", Label: "root", Values: []Value{Int(0), Real(0.5), Bool(false), Str("0,1"), Int(0), Real(0.1)},
		Color: &Color{R: 68, G: 1, B: 84, A: -1}, Position: &Position{X: -5, Y: 0}, Size: 12.5, Shape: Disc}))
	check(w.Node(&Node{ID: "1:0", Values: []Value{Int(1), Real(1e-300), Bool(true)}, Color: &Color{R: 253, G: 231, B: 37, A: 0.5}}))
	check(w.Edge(&Edge{ID: "e1:0", Source: "0:0", Target: "1:0", Values: []Value{Bool(true)}}))
	check(w.Edge(&Edge{ID: "e2", Source: "1:0", Target: "0:0", Weight: 0.25}))
	check(w.Close())
	return b.String()
}

// The exact document for both versions: the head, typed declarations,
// escaped text, values in the shortest form that reads back exactly, the
// visualisation elements in the GEXF namespace.
func TestGolden(t *testing.T) {
	body := `  <meta>
    <creator>test</creator>
    <description>a &quot;tree&quot; &amp; &lt;more&gt;</description>
  </meta>
  <graph defaultedgetype="directed" mode="static" idtype="string">
    <attributes class="node" mode="static">
      <attribute id="0" title="cycle" type="long"/>
      <attribute id="1" title="weight" type="double"/>
      <attribute id="2" title="warped" type="boolean"/>
      <attribute id="3" title="region" type="string"/>
      <attribute id="4" title="slot" type="integer"/>
      <attribute id="5" title="r" type="float"/>
    </attributes>
    <attributes class="edge" mode="static">
      <attribute id="0" title="discontinuous" type="boolean"/>
    </attributes>
    <nodes>
      <node id="0:0" label="root">
        <attvalues>
          <attvalue for="0" value="0"/>
          <attvalue for="1" value="0.5"/>
          <attvalue for="2" value="false"/>
          <attvalue for="3" value="0,1"/>
          <attvalue for="4" value="0"/>
          <attvalue for="5" value="0.1"/>
        </attvalues>
        <color r="68" g="1" b="84"/>
        <position x="-5" y="0" z="0"/>
        <size value="12.5"/>
        <shape value="disc"/>
      </node>
      <node id="1:0">
        <attvalues>
          <attvalue for="0" value="1"/>
          <attvalue for="1" value="1e-300"/>
          <attvalue for="2" value="true"/>
        </attvalues>
        <color r="253" g="231" b="37" a="0.5"/>
      </node>
    </nodes>
    <edges>
      <edge id="e1:0" source="0:0" target="1:0">
        <attvalues>
          <attvalue for="0" value="true"/>
        </attvalues>
      </edge>
      <edge id="e2" source="1:0" target="0:0" weight="0.25"/>
    </edges>
  </graph>
</gexf>
`
	for _, c := range []struct {
		v    Version
		head string
	}{
		{V12, `<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">`},
		{V13, `<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">`},
	} {
		want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + c.head + "\n" + body
		if got := small(t, c.v); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", c.v, got, want)
		}
	}
}

// validate runs xmllint against the official schema of version v.
func validate(t testing.TB, v Version, file string) {
	t.Helper()
	xmllint := needs.Program(t, "xmllint", "libxml2-utils")
	schema := filepath.Join("testdata", "schema", "gexf-"+string(v), "gexf.xsd")
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, file).CombinedOutput()
	if err != nil {
		t.Fatalf("%s does not validate against GEXF %s: %v\n%s", file, v, err, out)
	}
}

func TestSchemaSmall(t *testing.T) {
	for _, v := range []Version{V12, V13} {
		f := filepath.Join(t.TempDir(), "g.gexf")
		if err := os.WriteFile(f, []byte(small(t, v)), 0o644); err != nil {
			t.Fatal(err)
		}
		validate(t, v, f)
	}
}

// A graph of no nodes and no edges is a valid document (1.3 requires the
// nodes and edges elements).
func TestEmpty(t *testing.T) {
	for _, v := range []Version{V12, V13} {
		var b bytes.Buffer
		w, err := NewWriter(&b, Options{Version: v})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "<nodes>\n    </nodes>\n    <edges>\n    </edges>") {
			t.Errorf("%s: %s", v, b.String())
		}
		f := filepath.Join(t.TempDir(), "g.gexf")
		os.WriteFile(f, b.Bytes(), 0o644)
		validate(t, v, f)
	}
}

func TestErrors(t *testing.T) {
	attrs := []Attr{{"n", Integer}, {"x", Double}}
	for _, c := range []struct {
		name string
		opt  Options
		do   func(w *Writer) error
		want string
	}{
		{"bad version", Options{Version: "1.1"}, nil, "GEXF version"},
		{"bad type", Options{NodeAttrs: []Attr{{"a", "date"}}}, nil, "unknown type"},
		{"repeated title", Options{NodeAttrs: []Attr{{"a", Long}, {"a", Long}}}, nil, "repeated"},
		{"empty title", Options{EdgeAttrs: []Attr{{"", Long}}}, nil, "empty"},
		{"wrong value type", Options{NodeAttrs: attrs}, func(w *Writer) error { return w.Node(&Node{ID: "a", Values: []Value{Real(1)}}) }, "attribute n is a integer"},
		{"integer overflow", Options{NodeAttrs: attrs}, func(w *Writer) error { return w.Node(&Node{ID: "a", Values: []Value{Int(1 << 40)}}) }, "32-bit"},
		{"too many values", Options{NodeAttrs: attrs}, func(w *Writer) error {
			return w.Node(&Node{ID: "a", Values: []Value{Int(1), Real(1), Real(2)}})
		}, "3 values for 2"},
		{"empty id", Options{}, func(w *Writer) error { return w.Node(&Node{}) }, "empty id"},
		{"node after edge", Options{}, func(w *Writer) error {
			w.Node(&Node{ID: "a"})
			w.Edge(&Edge{ID: "e", Source: "a", Target: "a"})
			return w.Node(&Node{ID: "b"})
		}, "nodes must come before edges"},
		{"after close", Options{}, func(w *Writer) error { w.Close(); return w.Edge(&Edge{ID: "e", Source: "a", Target: "a"}) }, "after Close"},
		{"NaN size", Options{}, func(w *Writer) error { return w.Node(&Node{ID: "a", Size: math.NaN()}) }, "size"},
		{"huge position", Options{}, func(w *Writer) error { return w.Node(&Node{ID: "a", Position: &Position{X: 1e300}}) }, "position"},
		{"opacity", Options{}, func(w *Writer) error { return w.Node(&Node{ID: "a", Color: &Color{A: 2}}) }, "opacity"},
		{"shape", Options{}, func(w *Writer) error { return w.Node(&Node{ID: "a", Shape: "star"}) }, "shape"},
		{"edge weight 1.2", Options{}, func(w *Writer) error { return w.Edge(&Edge{ID: "e", Source: "a", Target: "a", Weight: 1e300}) }, "weight"},
	} {
		var b bytes.Buffer
		w, err := NewWriter(&b, c.opt)
		if err == nil && c.do != nil {
			err = c.do(w)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// A failing underlying writer is reported, and the Writer stays failed.
func TestWriteError(t *testing.T) {
	w, err := NewWriter(failWriter{}, Options{})
	if err == nil {
		// The head fits the buffer; the error shows at the flush.
		err = w.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("error %v", err)
	}
	if w != nil {
		if err := w.Node(&Node{ID: "a"}); err == nil {
			t.Error("a failed writer accepted a node")
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// Parsed back (encoding/xml, as any XML reader does), a document holds
// exactly the nodes, edges and typed values written, whatever the
// identifiers and strings hold; characters XML cannot carry become U+FFFD.
func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.SampledFrom([]Version{V12, V13}).Draw(t, "version")
		types := []Type{Integer, Long, Double, Float, Boolean, String}
		nattr := rapid.IntRange(0, len(types)).Draw(t, "nattr")
		var attrs []Attr
		for i := 0; i < nattr; i++ {
			attrs = append(attrs, Attr{Title: fmt.Sprintf("a%d <&>", i), Type: types[i]})
		}
		var b bytes.Buffer
		w, err := NewWriter(&b, Options{Version: v, NodeAttrs: attrs, EdgeAttrs: attrs})
		if err != nil {
			t.Fatal(err)
		}
		type item struct {
			id   string
			vals []Value
		}
		var nodes, edges []item
		draw := func(label string) item {
			id := rapid.String().Draw(t, label)
			if id == "" {
				id = "x"
			}
			var vals []Value
			for i, a := range attrs {
				if rapid.Bool().Draw(t, fmt.Sprintf("%s-skip%d", label, i)) {
					vals = append(vals, Value{})
					continue
				}
				switch a.Type {
				case Integer:
					vals = append(vals, Int(int64(rapid.Int32().Draw(t, "i32"))))
				case Long:
					vals = append(vals, Int(rapid.Int64().Draw(t, "i64")))
				case Double:
					vals = append(vals, Real(rapid.Float64().Draw(t, "f64")))
				case Float:
					vals = append(vals, Real(float64(rapid.Float32().Draw(t, "f32"))))
				case Boolean:
					vals = append(vals, Bool(rapid.Bool().Draw(t, "b")))
				case String:
					vals = append(vals, Str(rapid.String().Draw(t, "s")))
				}
			}
			return item{id, vals}
		}
		for i, n := 0, rapid.IntRange(0, 5).Draw(t, "nodes"); i < n; i++ {
			it := draw("node")
			nodes = append(nodes, it)
			if err := w.Node(&Node{ID: it.id, Values: it.vals}); err != nil {
				t.Fatal(err)
			}
		}
		for i, n := 0, rapid.IntRange(0, 5).Draw(t, "edges"); i < n; i++ {
			it := draw("edge")
			edges = append(edges, it)
			if err := w.Edge(&Edge{ID: it.id, Source: "s", Target: "t", Values: it.vals}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			XMLName xml.Name
			Graph   struct {
				Attributes []struct {
					Class string `xml:"class,attr"`
					Attr  []struct {
						ID    string `xml:"id,attr"`
						Title string `xml:"title,attr"`
						Type  string `xml:"type,attr"`
					} `xml:"attribute"`
				} `xml:"attributes"`
				Nodes []xmlItem `xml:"nodes>node"`
				Edges []xmlItem `xml:"edges>edge"`
			} `xml:"graph"`
		}
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("not XML: %v\n%s", err, b.String())
		}
		if doc.XMLName.Space != v.namespace() {
			t.Fatalf("namespace %q", doc.XMLName.Space)
		}
		for _, set := range doc.Graph.Attributes {
			for i, a := range set.Attr {
				if a.ID != strconv.Itoa(i) || a.Title != attrs[i].Title || a.Type != string(attrs[i].Type) {
					t.Fatalf("attribute %d read back as %+v", i, a)
				}
			}
		}
		cmp := func(what string, want []item, got []xmlItem) {
			if len(got) != len(want) {
				t.Fatalf("%d %ss read back, want %d", len(got), what, len(want))
			}
			for i := range want {
				if got[i].ID != sanitize(want[i].id) {
					t.Fatalf("%s id %q read back as %q", what, want[i].id, got[i].ID)
				}
				vals := map[string]string{}
				for _, av := range got[i].Values {
					vals[av.For] = av.Value
				}
				for j, val := range want[i].vals {
					s, ok := vals[strconv.Itoa(j)]
					if ok != !val.IsZero() {
						t.Fatalf("%s %d: value %d present %v", what, i, j, ok)
					}
					if ok && !sameValue(attrs[j].Type, val, s) {
						t.Fatalf("%s %d: %s value %+v read back as %q", what, i, attrs[j].Type, val, s)
					}
				}
			}
		}
		cmp("node", nodes, doc.Graph.Nodes)
		cmp("edge", edges, doc.Graph.Edges)
	})
}

type xmlItem struct {
	ID     string `xml:"id,attr"`
	Values []struct {
		For   string `xml:"for,attr"`
		Value string `xml:"value,attr"`
	} `xml:"attvalues>attvalue"`
}

// sanitize is what a string reads back as.
func sanitize(s string) string {
	return string(appendEscapedReadBack(s))
}

func appendEscapedReadBack(s string) []rune {
	var out []rune
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			out = append(out, r)
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == 0xFFFE || r == 0xFFFF:
			out = append(out, 0xFFFD)
		default:
			out = append(out, r) // invalid UTF-8 ranges as U+FFFD already
		}
	}
	return out
}

func sameValue(t Type, v Value, s string) bool {
	switch t {
	case Integer, Long:
		i, err := strconv.ParseInt(s, 10, 64)
		return err == nil && i == v.i
	case Double, Float:
		var f float64
		var err error
		switch s {
		case "INF":
			f = math.Inf(1)
		case "-INF":
			f = math.Inf(-1)
		case "NaN":
			f = math.NaN()
		default:
			f, err = strconv.ParseFloat(s, 64)
		}
		if err != nil {
			return false
		}
		if t == Float {
			return float32(f) == float32(v.f) || math.IsNaN(f) && math.IsNaN(v.f)
		}
		return f == v.f || math.IsNaN(f) && math.IsNaN(v.f)
	case Boolean:
		b, err := strconv.ParseBool(s)
		return err == nil && b == v.b
	}
	return s == sanitize(v.s)
}

// Random graphs validate against both schemas (xmllint runs once per
// version on all of them).
func TestSchemaRandom(t *testing.T) {
	xmllint := needs.Program(t, "xmllint", "libxml2-utils")
	dir := t.TempDir()
	n := 0
	files := map[Version][]string{}
	rapid.Check(t, func(t *rapid.T) {
		v := rapid.SampledFrom([]Version{V12, V13}).Draw(t, "version")
		var b bytes.Buffer
		w, err := NewWriter(&b, Options{Version: v, Creator: rapid.String().Draw(t, "creator"),
			NodeAttrs: []Attr{{"x", Double}, {"s", String}}, EdgeAttrs: []Attr{{"k", Long}}})
		if err != nil {
			t.Fatal(err)
		}
		for i, k := 0, rapid.IntRange(0, 4).Draw(t, "nodes"); i < k; i++ {
			nd := &Node{ID: rapid.StringN(1, 8, -1).Draw(t, "id"), Label: rapid.String().Draw(t, "label"),
				Values: []Value{Real(rapid.Float64().Draw(t, "x")), Str(rapid.String().Draw(t, "s"))},
				Size:   rapid.Float64Range(0, 1e30).Draw(t, "size"), Shape: rapid.SampledFrom([]string{"", Disc, Square, Triangle, Diamond}).Draw(t, "shape")}
			if rapid.Bool().Draw(t, "viz") {
				nd.Color = &Color{R: rapid.Uint8().Draw(t, "r"), G: 3, B: 255, A: rapid.Float64Range(-1, 1).Draw(t, "a")}
				nd.Position = &Position{X: rapid.Float64Range(-1e30, 1e30).Draw(t, "px"), Y: -3.5}
			}
			if err := w.Node(nd); err != nil {
				t.Fatal(err)
			}
		}
		for i, k := 0, rapid.IntRange(0, 4).Draw(t, "edges"); i < k; i++ {
			if err := w.Edge(&Edge{ID: fmt.Sprint(i), Source: "a", Target: "b", Weight: rapid.Float64Range(-1e30, 1e30).Draw(t, "w"),
				Values: []Value{Int(rapid.Int64().Draw(t, "k"))}, Thickness: rapid.Float64Range(0, 10).Draw(t, "th")}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		n++
		f := filepath.Join(dir, fmt.Sprintf("g%d.gexf", n))
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files[v] = append(files[v], f)
	})
	for v, fs := range files {
		schema := filepath.Join("testdata", "schema", "gexf-"+string(v), "gexf.xsd")
		out, err := exec.Command(xmllint, append([]string{"--noout", "--nonet", "--schema", schema}, fs...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("GEXF %s: %v\n%s", v, err, out)
		}
	}
}
