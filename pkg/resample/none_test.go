package resample

import (
	"errors"
	"testing"

	"github.com/wepipe/wepipe/pkg/rng"
	"pgregory.net/rapid"
)

func TestNoneKeepsEverything(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 50).Draw(t, "n")
		walkers := make([]Walker, n)
		for i := range walkers {
			walkers[i] = Walker{
				Weight: rapid.Float64Range(0, 1).Draw(t, "w"),
				Image:  []float64{rapid.Float64().Draw(t, "x")},
			}
		}
		r := rng.NewKey("none-test", [32]byte{}, 0, 1)
		before := *r
		res, err := None{}.Resample(walkers, []byte("ignored"), r)
		if err != nil {
			t.Fatal(err)
		}
		if *r != before {
			t.Fatal("None drew from the stream")
		}
		if len(res.Walkers) != n || len(res.Records) != n {
			t.Fatalf("got %d walkers, %d records, want %d", len(res.Walkers), len(res.Records), n)
		}
		for i, w := range walkers {
			if o := res.Walkers[i]; o.Parent != i || o.Weight != w.Weight || o.Region != nil {
				t.Fatalf("walker %d: got %+v, want parent %d weight %v", i, o, i, w.Weight)
			}
			if rec := res.Records[i]; rec.Decision != Nothing || len(rec.Targets) != 1 || rec.Targets[0] != i {
				t.Fatalf("record %d: got %v %v, want NOTHING [%d]", i, rec.Decision, rec.Targets, i)
			}
		}
		if res.Summary == nil || len(res.Summary) != 0 || res.State != nil {
			t.Fatalf("summary %v state %v, want empty map and nil", res.Summary, res.State)
		}
	})
}

func TestNoneEmpty(t *testing.T) {
	if _, err := (None{}).Resample(nil, nil, rng.NewKey("none-test", [32]byte{}, 0, 1)); !errors.Is(err, ErrEmpty) {
		t.Fatalf("got %v, want ErrEmpty", err)
	}
}
