package traj

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// DCD is the binary trajectory format of CHARMM and NAMD, read by VMD and
// MDTraj (through VMD's dcdplugin). The layout written here is the one
// VMD's plugin writes in CHARMM mode, little endian, every block framed by
// its byte length as a Fortran unformatted record:
//
//	84 "CORD" NSET ISTART NSAVC NSTEP 0 0 0 0 0 DELTA(float32) CELL 0×8 24 84
//	164 2 title(80 bytes) title(80 bytes) 164
//	4 NATOM 4
//	per frame: [48 A cosγ B cosβ cosα C (float64, Å) 48]   when CELL = 1
//	           4N X(float32 Å)×N 4N  4N Y×N 4N  4N Z×N 4N
//
// NSET is the number of frames, ISTART the step of the first, NSAVC the
// steps between frames, DELTA the time step in AKMA units (48.88821 fs),
// CELL = 1 when every frame carries a unit cell (the system has a periodic
// box), and 24 the CHARMM version the file claims.
type dcdWriter struct {
	w        *bufio.Writer
	at       io.WriterAt
	n        int
	opt      DCDOptions
	frames   int
	firstStp uint64
	lastStp  uint64
	nsavc    uint64
	even     bool
	buf      []byte
	err      error
}

// DCDOptions describe a DCD file.
type DCDOptions struct {
	// Frames is the number of frames declared in the header. A writer
	// whose output is an io.WriterAt (a file) corrects it on Close; on a
	// plain stream the number written must equal it.
	Frames int
	// Box says whether the frames carry a unit cell; every frame must
	// then have one.
	Box bool
	// Timestep is the integration time step (ps), for DELTA.
	Timestep float64
	Title    string
}

// akma is the AKMA unit of time in ps.
const akma = 0.04888821

// NewDCD returns a Writer of a DCD file of n atoms.
func NewDCD(w io.Writer, n int, opt DCDOptions) (Writer, error) {
	if n < 1 || n > math.MaxInt32/4 {
		return nil, fmt.Errorf("dcd: %d atoms", n)
	}
	d := &dcdWriter{w: bufio.NewWriterSize(w, 64<<10), n: n, opt: opt, even: true}
	if at, ok := w.(io.WriterAt); ok {
		d.at = at
	}
	cell := int32(0)
	if opt.Box {
		cell = 1
	}
	var h []byte
	h = le32(h, 84)
	h = append(h, "CORD"...)
	h = le32(h, int32(opt.Frames))
	for i := 0; i < 8; i++ { // ISTART NSAVC NSTEP, 5 zeros: set on Close where possible
		h = le32(h, 0)
	}
	h = binary.LittleEndian.AppendUint32(h, math.Float32bits(float32(opt.Timestep/akma)))
	h = le32(h, cell)
	for i := 0; i < 8; i++ {
		h = le32(h, 0)
	}
	h = le32(h, 24)
	h = le32(h, 84)
	h = le32(h, 164)
	h = le32(h, 2)
	for _, t := range []string{"REMARKS written by wepipe", "REMARKS " + opt.Title} {
		line := make([]byte, 80)
		for i := range line {
			line[i] = ' '
		}
		copy(line, []byte(wrap("", t, 80)[0]))
		h = append(h, line...)
	}
	h = le32(h, 164)
	h = le32(h, 4)
	h = le32(h, int32(n))
	h = le32(h, 4)
	_, d.err = d.w.Write(h)
	return d, d.err
}

func le32(b []byte, x int32) []byte { return binary.LittleEndian.AppendUint32(b, uint32(x)) }

func (d *dcdWriter) WriteFrame(f *Frame) error {
	if d.err != nil {
		return d.err
	}
	if err := checkFrame(f, d.n); err != nil {
		return fmt.Errorf("dcd: %w", err)
	}
	if d.opt.Box != (len(f.Box) == 3) {
		return fmt.Errorf("dcd: frame %d: a box in some frames only", d.frames)
	}
	for i, x := range f.Positions {
		if a := 10 * x; !(math.Abs(a) <= math.MaxFloat32) {
			return fmt.Errorf("dcd: frame %d: atom %d at %g nm", d.frames, i/3, x)
		}
	}
	switch d.frames {
	case 0:
		d.firstStp = f.Step
	case 1:
		d.nsavc = f.Step - d.lastStp
	default:
		if f.Step-d.lastStp != d.nsavc {
			d.even = false
		}
	}
	d.lastStp = f.Step
	b := d.buf[:0]
	if d.opt.Box {
		b = le32(b, 48)
		for _, x := range []float64{10 * f.Box[0], 0, 10 * f.Box[1], 0, 0, 10 * f.Box[2]} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		b = le32(b, 48)
	}
	for k := 0; k < 3; k++ {
		b = le32(b, int32(4*d.n))
		for i := 0; i < d.n; i++ {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(10*f.Positions[3*i+k])))
		}
		b = le32(b, int32(4*d.n))
	}
	d.buf = b
	d.frames++
	_, d.err = d.w.Write(b)
	return d.err
}

// Close flushes the file and, on an io.WriterAt, writes the header's
// frame count, first step and step between frames (when the frames are
// evenly spaced; else 1).
func (d *dcdWriter) Close() error {
	if d.err != nil {
		return d.err
	}
	if d.err = d.w.Flush(); d.err != nil {
		return d.err
	}
	if d.at == nil {
		if d.frames != d.opt.Frames {
			d.err = fmt.Errorf("dcd: %d frames written, %d declared, on a stream that cannot be rewritten", d.frames, d.opt.Frames)
		}
		return d.err
	}
	nsavc := d.nsavc
	if !d.even || nsavc == 0 || nsavc > math.MaxInt32 {
		nsavc = 1
	}
	var h []byte
	for _, x := range []uint64{uint64(d.frames), min(d.firstStp, math.MaxInt32), nsavc, min(d.lastStp, math.MaxInt32)} {
		h = le32(h, int32(x))
	}
	if _, err := d.at.WriteAt(h, 8); err != nil {
		d.err = errors.Join(errors.New("dcd: write the header"), err)
	}
	return d.err
}
