package warp

import "testing"

// FuzzParse checks the parser of --warp conditions on any text: it never
// panics, and a condition it accepts prints as text that parses back to
// the same condition.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"r>=1.0", " d < 0.25 ", "x>1e-3", "a<=-2", "r>=", ">=1", "r>=1>=2", "r=>1", "r>=NaN", "r>=inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(c.String())
		if err != nil || back != c && !(back.Value != back.Value && c.Value != c.Value) {
			t.Fatalf("%q parsed as %+v, prints as %q, which parses as %+v (%v)", s, c, c.String(), back, err)
		}
	})
}
