package resample

import "github.com/wepipe/wepipe/pkg/rng"

// None is the resampler that does nothing, wepy's NoResampler
// (src/wepy/resampling/resamplers/resampler.py): every walker continues
// in its own slot with its weight, every record is NOTHING, and the
// summary is empty. It draws nothing from the stream.
type None struct{}

// Resample implements Resampler.
func (None) Resample(walkers []Walker, state []byte, r *rng.Stream) (Result, error) {
	if len(walkers) == 0 {
		return Result{}, ErrEmpty
	}
	out := make([]Out, len(walkers))
	rec := make([]Record, len(walkers))
	for i, w := range walkers {
		out[i] = Out{Parent: i, Weight: w.Weight}
		rec[i] = Record{Decision: Nothing, Targets: []int{i}}
	}
	return Result{Walkers: out, Records: rec, Summary: map[string]float64{}}, nil
}

func init() {
	Register(Method{
		Name:  "none",
		Doc:   "weights and states unchanged; records written.",
		Image: ImageNone,
		New:   func(*Args) (Resampler, error) { return None{}, nil },
	})
}
