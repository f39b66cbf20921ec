package record

import (
	"reflect"
	"testing"

	"github.com/wepipe/wepipe/pkg/codec"
)

// TestWarmSamples checks that Warm's samples cover every kind and survive
// an encode-decode round trip with every field intact (a sample the strict
// decoder refused would leave its type's tables cold).
func TestWarmSamples(t *testing.T) {
	seen := map[Kind]bool{}
	for _, o := range warmSamples() {
		k := o.ObjectKind()
		seen[k] = true
		b, err := codec.Marshal(o)
		if err != nil {
			t.Fatalf("%s: encode: %v", k, err)
		}
		back := blank(k)
		if err := codec.Unmarshal(b, back); err != nil {
			t.Fatalf("%s: decode: %v", k, err)
		}
		if !reflect.DeepEqual(back, o) {
			t.Errorf("%s: round trip changed the sample:\n%+v\n%+v", k, back, o)
		}
	}
	for _, k := range Kinds {
		if !seen[k] {
			t.Errorf("no sample of kind %s", k)
		}
	}
	Warm()
}
