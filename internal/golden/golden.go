// Package golden checks the project's test vectors: a committed file and
// the section of FORMAT.md that shows it, both regenerated on purpose only
// (go test -update).
package golden

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Section is the part of a document between two marker lines, markers
// included.
type Section struct {
	Doc, Begin, End string
}

// Check compares data with the committed vector file and rendered with
// the document's section. With update it rewrites both instead. hint says
// how to regenerate them.
func Check(t testing.TB, update bool, file string, data []byte, sec Section, rendered, hint string) {
	t.Helper()
	doc, err := os.ReadFile(sec.Doc)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(doc, []byte(sec.Begin)), bytes.Index(doc, []byte(sec.End))
	if i < 0 || j < i {
		t.Fatalf("%s has no %s … %s section", sec.Doc, sec.Begin, sec.End)
	}
	if update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out := append(append(append([]byte(nil), doc[:i]...), rendered...), doc[j+len(sec.End):]...)
		if err := os.WriteFile(sec.Doc, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("the vector's bytes differ from %s (%s, if the format changed on purpose)", file, hint)
	}
	if string(doc[i:j+len(sec.End)]) != rendered {
		t.Errorf("%s's vector section differs from the vector (%s)", sec.Doc, hint)
	}
}

// Hex writes b as lowercase hex digits, 128 to a line, in a ```hex fence.
func Hex(s *strings.Builder, b []byte) {
	s.WriteString("```hex\n")
	h := hex.EncodeToString(b)
	for len(h) > 128 {
		s.WriteString(h[:128] + "\n")
		h = h[128:]
	}
	s.WriteString(h + "\n```\n")
}

// Record is one valid record test vector of FORMAT.md §9.
type Record struct {
	Name, Kind string
	Data       []byte // canonical CBOR
}

// Records reads the valid record test vectors (pkg/record/testdata/
// vectors.json, at path), but the bare arrays, which are no records.
func Records(t testing.TB, path string) []Record {
	t.Helper()
	var v struct {
		Valid []struct{ Name, Kind, Hex string } `json:"valid"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []Record
	for _, x := range v.Valid {
		if x.Kind == "array" {
			continue
		}
		data, err := hex.DecodeString(x.Hex)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Record{x.Name, x.Kind, data})
	}
	return out
}
