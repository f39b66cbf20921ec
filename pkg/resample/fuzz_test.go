package resample

import (
	"reflect"
	"testing"
)

// FuzzDecodeWExploreTree checks the decoder of WExplore's region tree, the
// opaque resampler state a snapshot carries (FORMAT.md §4.3
// resampler.state), on hostile bytes: it never panics, and a tree it
// accepts encodes back to a tree that decodes to the same value.
func FuzzDecodeWExploreTree(f *testing.F) {
	for _, t := range []WExploreTree{
		{Version: WExploreTreeVersion, Levels: 1, Regions: []WExploreRegion{{Path: []int{0}, Image: []float64{0.5}}}},
		{Version: WExploreTreeVersion, Levels: 2, Regions: []WExploreRegion{
			{Path: []int{0, 0}, Image: []float64{0, 1}},
			{Path: []int{0, 1}, Image: []float64{0.5, 1}},
			{Path: []int{1, 0}, Image: []float64{2, 1}},
		}},
	} {
		b, err := wexEncMode.Marshal(t)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xa3})
	f.Add([]byte{0xa1, 0x67, 'r', 'e', 'g', 'i', 'o', 'n', 's', 0x9a, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		tree, err := DecodeWExploreTree(b)
		if err != nil {
			return
		}
		again, err := wexEncMode.Marshal(tree)
		if err != nil {
			t.Fatalf("encode an accepted tree: %v", err)
		}
		back, err := DecodeWExploreTree(again)
		if err != nil || !reflect.DeepEqual(back, tree) {
			t.Fatalf("an accepted tree does not survive encoding: %v", err)
		}
	})
}
