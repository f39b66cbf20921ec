package traj

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// csvWriter writes one row per frame: frame, cycle, slot, step, time_ps,
// weight, then each observable (an empty cell where it is missing).
type csvWriter struct {
	w      *csv.Writer
	b      *bufio.Writer
	names  []string
	frames int
	row    []string
}

// NewCSV returns a Writer of the observables along a trajectory as CSV
// (RFC 4180), with a header row. Numbers are written in the shortest form
// that reads back exactly.
func NewCSV(w io.Writer, obs []string) (Writer, error) {
	b := bufio.NewWriterSize(w, 64<<10)
	c := &csvWriter{w: csv.NewWriter(b), b: b, names: obs}
	head := append([]string{"frame", "cycle", "slot", "step", "time_ps", "weight"}, obs...)
	return c, c.w.Write(head)
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func (c *csvWriter) WriteFrame(f *Frame) error {
	if len(f.Obs) != len(c.names) {
		return fmt.Errorf("csv: %d observables for %d columns", len(f.Obs), len(c.names))
	}
	c.row = append(c.row[:0], strconv.Itoa(c.frames), strconv.FormatUint(f.Cycle, 10), strconv.Itoa(f.Slot),
		strconv.FormatUint(f.Step, 10), num(f.Time), num(f.Weight))
	for _, v := range f.Obs {
		if math.IsNaN(v) {
			c.row = append(c.row, "")
		} else {
			c.row = append(c.row, num(v))
		}
	}
	c.frames++
	return c.w.Write(c.row)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.b.Flush()
}

// jsonlWriter writes one JSON object per line and frame.
type jsonlWriter struct {
	enc    *json.Encoder
	b      *bufio.Writer
	names  []string
	frames int
}

// NewJSONL returns a Writer of the observables along a trajectory as JSON
// lines: {"frame": 0, "cycle": 0, "slot": 3, "step": 1000, "time_ps": 2,
// "weight": 0.02, "obs": {"r": 0.38}} (a missing observable is left out).
func NewJSONL(w io.Writer, obs []string) (Writer, error) {
	b := bufio.NewWriterSize(w, 64<<10)
	return &jsonlWriter{enc: json.NewEncoder(b), b: b, names: obs}, nil
}

type jsonFrame struct {
	Frame  int                `json:"frame"`
	Cycle  uint64             `json:"cycle"`
	Slot   int                `json:"slot"`
	Step   uint64             `json:"step"`
	Time   float64            `json:"time_ps"`
	Weight float64            `json:"weight"`
	Obs    map[string]float64 `json:"obs"`
}

func (j *jsonlWriter) WriteFrame(f *Frame) error {
	if len(f.Obs) != len(j.names) {
		return fmt.Errorf("jsonl: %d observables for %d names", len(f.Obs), len(j.names))
	}
	obs := make(map[string]float64, len(f.Obs))
	for i, v := range f.Obs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			obs[j.names[i]] = v
		}
	}
	if math.IsNaN(f.Time) || math.IsInf(f.Time, 0) || math.IsNaN(f.Weight) || math.IsInf(f.Weight, 0) {
		return fmt.Errorf("jsonl: frame %d: non-finite time or weight", j.frames)
	}
	err := j.enc.Encode(jsonFrame{j.frames, f.Cycle, f.Slot, f.Step, f.Time, f.Weight, obs})
	j.frames++
	return err
}

func (j *jsonlWriter) Close() error { return j.b.Flush() }
