package exec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"

	"github.com/wepipe/wepipe/pkg/codec"
	"github.com/wepipe/wepipe/pkg/record"
)

// Protocol is the version of the worker protocol (ENGINES.md §2) this
// package speaks.
const Protocol = 1

// MaxMessage bounds one message's length (ENGINES.md §2.1), as the store
// bounds one object (FORMAT.md §7).
const MaxMessage = 1 << 30

// Message types (the "type" field).
const (
	TypeHello  = "hello"
	TypeReady  = "ready"
	TypeWalker = "walker"
	TypeResult = "result"
	TypeError  = "error"
)

// Hello is wepipe's first message to a worker process.
type Hello struct {
	Type     string `cbor:"type"` // "hello"
	Protocol uint64 `cbor:"protocol"`
	Worker   int    `cbor:"worker"`
	// System is the system record (FORMAT.md §4.1) as stored: its
	// canonical encoding, embedded as a map.
	System cbor.RawMessage `cbor:"system"`
}

// Ready is a worker's answer to Hello.
type Ready struct {
	Type     string `cbor:"type"` // "ready"
	Protocol uint64 `cbor:"protocol"`
	// Engine names the engine and its version, for messages.
	Engine string `cbor:"engine,omitempty"`
}

// Request asks a worker to propagate one walker.
type Request struct {
	Type   string `cbor:"type"` // "walker"
	Slot   int    `cbor:"slot"`
	Cycle  uint64 `cbor:"cycle"`
	Steps  int    `cbor:"steps"`
	Frames int    `cbor:"frames"`
	Seed   uint64 `cbor:"seed"`
	// State is the input state record (FORMAT.md §4.2), embedded as a map.
	State cbor.RawMessage `cbor:"state"`
}

// Reply is a worker's answer to a Request: a result or an error.
type Reply struct {
	Type string `cbor:"type"` // "result" or "error"
	// State is the walker's state after the steps (result).
	State *OutState `cbor:"state,omitempty"`
	// Frames are the positions of the requested frames, shape
	// [frames, n, 3] (result, when frames were asked for).
	Frames *codec.Array `cbor:"frames,omitempty"`
	// Obs are observables the engine computed itself (result, optional).
	Obs map[string]float64 `cbor:"obs,omitempty"`
	// Message says what went wrong (error).
	Message string `cbor:"message,omitempty"`
}

// OutState is the state an engine returns: the fields of a state record
// that the engine determines. Kind, V, Time, Step and Obs may be present
// (an engine may send back a whole state record) and are ignored: wepipe
// sets the step and the time and computes the system's observables
// itself (ENGINES.md §2.3).
type OutState struct {
	Positions  codec.Array        `cbor:"positions"`
	Velocities codec.Array        `cbor:"velocities"`
	Box        []float64          `cbor:"box,omitempty"`
	Potential  float64            `cbor:"epot"`
	Kinetic    float64            `cbor:"ekin"`
	Kind       string             `cbor:"kind,omitempty"`
	V          uint64             `cbor:"v,omitempty"`
	Time       float64            `cbor:"time,omitempty"`
	Step       uint64             `cbor:"step,omitempty"`
	Obs        map[string]float64 `cbor:"obs,omitempty"`
}

// WriteMessage writes v as one message: its deterministic CBOR encoding
// after its length as a 4-byte big-endian unsigned integer, in one Write.
func WriteMessage(w io.Writer, v any) error {
	b, err := codec.Marshal(v)
	if err != nil {
		return err
	}
	return writeFrame(w, b)
}

func writeFrame(w io.Writer, b []byte) error {
	if len(b) == 0 || len(b) > MaxMessage {
		return fmt.Errorf("message of %d bytes (want 1 to %d)", len(b), MaxMessage)
	}
	buf := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(buf, uint32(len(b)))
	_, err := w.Write(append(buf, b...))
	return err
}

// ErrFrame reports a length prefix out of range.
var ErrFrame = errors.New("bad message length")

// ReadMessage reads one message's CBOR bytes. A clean end of input before
// the message is io.EOF; an end inside it io.ErrUnexpectedEOF. Memory
// grows with the bytes that arrive, not with the length claimed, so a
// corrupt prefix cannot make it allocate a gigabyte.
func ReadMessage(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n == 0 || n > MaxMessage {
		return nil, fmt.Errorf("%w: %d bytes (want 1 to %d)", ErrFrame, n, MaxMessage)
	}
	var buf bytes.Buffer
	if n <= 1<<20 {
		buf.Grow(int(n))
	}
	if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf.Bytes(), nil
}

// messageType returns a message's "type" field.
func messageType(b []byte) (string, error) {
	var h struct {
		Type string `cbor:"type"`
	}
	if err := cbor.Unmarshal(b, &h); err != nil {
		return "", err
	}
	if h.Type == "" {
		return "", errors.New(`no "type" field`)
	}
	return h.Type, nil
}

// decodeReply decodes a worker's reply strictly: unknown fields, a missing
// type and a type other than result or error are errors.
func decodeReply(b []byte) (*Reply, error) {
	var r Reply
	if err := codec.UnmarshalStrict(b, &r); err != nil {
		return nil, err
	}
	switch r.Type {
	case TypeResult:
		if r.State == nil {
			return nil, errors.New(`result without "state"`)
		}
	case TypeError:
	case "":
		return nil, errors.New(`no "type" field`)
	default:
		return nil, fmt.Errorf("message type %q where a result or an error belongs", r.Type)
	}
	return &r, nil
}

// A Handler is a Go engine's side of the worker protocol: Serve calls it
// once per walker with the decoded request and input state. Its error is
// sent to wepipe as an error reply; the worker goes on.
type Handler func(req *Request, in *record.State) (*Reply, error)

// Serve runs the engine side of the worker protocol on r (wepipe's
// requests, the process's stdin) and w (the replies, stdout): it answers
// the hello with a ready naming engine, after start has set up the
// engine for the system and worker, and then answers each walker request
// with handle until r ends. It is how Go programs become wepipe engines
// (the test engine of package exectest is one).
func Serve(r io.Reader, w io.Writer, engine string, start func(sys *record.System, worker int) (Handler, error)) error {
	b, err := ReadMessage(r)
	if err != nil {
		return fmt.Errorf("read hello: %w", err)
	}
	var h Hello
	if err := codec.UnmarshalStrict(b, &h); err != nil || h.Type != TypeHello {
		return fmt.Errorf("first message is not a hello (%v)", err)
	}
	if h.Protocol != Protocol {
		return fmt.Errorf("protocol %d, this engine speaks %d", h.Protocol, Protocol)
	}
	sys, err := record.DecodeAs[*record.System](h.System)
	if err != nil {
		return fmt.Errorf("hello: system: %w", err)
	}
	handle, err := start(sys, h.Worker)
	if err != nil {
		WriteMessage(w, Reply{Type: TypeError, Message: err.Error()})
		return err
	}
	if err := WriteMessage(w, Ready{Type: TypeReady, Protocol: Protocol, Engine: engine}); err != nil {
		return err
	}
	for {
		b, err := ReadMessage(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		var req Request
		if err := codec.UnmarshalStrict(b, &req); err != nil || req.Type != TypeWalker {
			return fmt.Errorf("message is not a walker request (%v)", err)
		}
		in, err := record.DecodeAs[*record.State](req.State)
		if err != nil {
			return fmt.Errorf("walker %d: state: %w", req.Slot, err)
		}
		rep, err := handle(&req, in)
		if err != nil {
			rep = &Reply{Type: TypeError, Message: err.Error()}
		}
		if err := WriteMessage(w, rep); err != nil {
			return err
		}
	}
}
