package traj

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
)

// xyzWriter writes the XYZ format: per frame the number of atoms, a
// comment line, then one line per atom, "symbol x y z" in Å.
type xyzWriter struct {
	w      *bufio.Writer
	labels []string
	buf    []byte
	err    error
}

// NewXYZ returns a Writer of an XYZ file. Each atom is labelled by its
// element symbol, or its name when the element is unknown; the comment
// line of each frame gives its cycle, slot, step, time and weight.
// Coordinates are written in Å with 6 decimals.
func NewXYZ(w io.Writer, top *Topology) (Writer, error) {
	if err := top.Check(); err != nil {
		return nil, err
	}
	x := &xyzWriter{w: bufio.NewWriterSize(w, 64<<10)}
	for i, a := range top.Atoms {
		l := field(a.Element, 8)
		if l == "" {
			l = field(a.Name, 16)
		}
		if l == "" {
			l = "X" + strconv.Itoa(i)
		}
		x.labels = append(x.labels, l)
	}
	return x, nil
}

func (x *xyzWriter) WriteFrame(f *Frame) error {
	if x.err != nil {
		return x.err
	}
	if err := checkFrame(f, len(x.labels)); err != nil {
		return fmt.Errorf("xyz: %w", err)
	}
	b := x.buf[:0]
	b = strconv.AppendInt(b, int64(len(x.labels)), 10)
	b = append(b, '\n')
	b = fmt.Appendf(b, "cycle %d slot %d step %d time %s ps weight %s", f.Cycle, f.Slot, f.Step,
		strconv.FormatFloat(f.Time, 'g', -1, 64), strconv.FormatFloat(f.Weight, 'g', -1, 64))
	if len(f.Box) == 3 {
		b = fmt.Appendf(b, " box %s %s %s nm", strconv.FormatFloat(f.Box[0], 'g', -1, 64), strconv.FormatFloat(f.Box[1], 'g', -1, 64), strconv.FormatFloat(f.Box[2], 'g', -1, 64))
	}
	b = append(b, '\n')
	for i, l := range x.labels {
		b = append(b, l...)
		for k := 0; k < 3; k++ {
			b = append(b, ' ')
			b = strconv.AppendFloat(b, 10*f.Positions[3*i+k], 'f', 6, 64)
		}
		b = append(b, '\n')
	}
	x.buf = b
	_, x.err = x.w.Write(b)
	return x.err
}

func (x *xyzWriter) Close() error {
	if x.err == nil {
		x.err = x.w.Flush()
	}
	return x.err
}
