// Package record defines the objects of a wepipe store — system, state,
// snapshot, segment — and their encoding (FORMAT.md is the normative
// description; this package is its reference implementation).
//
// Every record is a CBOR map with a "kind" text and a format version "v".
// Encode produces the deterministic encoding (package codec); Decode
// refuses unknown kinds, versions newer than this build understands,
// unknown fields, non-canonical bytes and records that break the
// invariants checked by each type's Validate method.
package record

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/wepipe/wepipe/pkg/codec"
)

// Version is the format version this build writes and the newest it reads.
const Version = 1

// Kind names an object kind. It is the record's "kind" field and the
// store's directory for objects of that kind.
type Kind string

const (
	KindSystem   Kind = "system"
	KindState    Kind = "state"
	KindSnapshot Kind = "snapshot"
	KindSegment  Kind = "segment"
	KindRun      Kind = "run"
)

// Kinds lists every kind in a fixed order.
var Kinds = []Kind{KindSystem, KindSnapshot, KindState, KindSegment, KindRun}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if k == x {
			return true
		}
	}
	return false
}

// Hash is the SHA-256 of an object's deterministic CBOR encoding: its
// name. It encodes in records as a 32-byte CBOR byte string.
type Hash [32]byte

// Sum returns the hash of encoded bytes.
func Sum(data []byte) Hash { return sha256.Sum256(data) }

// String is the lowercase hexadecimal form used in file names and on the
// command line.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short is the first 12 hex digits, for messages.
func (h Hash) Short() string { return h.String()[:12] }

// IsZero reports whether h is all zero bytes.
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText and UnmarshalText give JSON the hex form.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

func (h *Hash) UnmarshalText(b []byte) error {
	x, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = x
	return nil
}

// ParseHash parses a full 64-digit lowercase or uppercase hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 64 {
		return h, fmt.Errorf("hash %q: want 64 hex digits, have %d", s, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(strings.ToLower(s))); err != nil {
		return h, fmt.Errorf("hash %q: not hexadecimal", s)
	}
	return h, nil
}

// Object is implemented by every record type.
type Object interface {
	ObjectKind() Kind
	// Validate checks the record's own invariants (not its references).
	Validate() error
	// Refs lists the hashes the record references, so that writers can
	// check they exist first and we-fsck can find dangling references.
	Refs() []Hash
}

// Encode validates o and returns its deterministic encoding and hash.
func Encode(o Object) ([]byte, Hash, error) {
	if err := o.Validate(); err != nil {
		return nil, Hash{}, fmt.Errorf("%s: %w", o.ObjectKind(), err)
	}
	b, err := codec.Marshal(o)
	if err != nil {
		return nil, Hash{}, fmt.Errorf("encode %s: %w", o.ObjectKind(), err)
	}
	return b, Sum(b), nil
}

// ErrVersion reports a record written by a newer format.
var ErrVersion = errors.New("format version not supported")

// Peek returns the kind and version of encoded bytes, checking both.
func Peek(data []byte) (Kind, error) {
	h, err := codec.DecodeHeader(data)
	if err != nil {
		return "", fmt.Errorf("not a wepipe record: %w", err)
	}
	k := Kind(h.Kind)
	if !k.Valid() {
		return "", fmt.Errorf("unknown object kind %q", h.Kind)
	}
	if h.Version == 0 || h.Version > Version {
		return "", fmt.Errorf("%s record version %d: %w (this build reads versions 1 to %d; upgrade wepipe)", k, h.Version, ErrVersion, Version)
	}
	return k, nil
}

// Decode decodes a record of any kind, strictly, and validates it.
func Decode(data []byte) (Object, error) {
	k, err := Peek(data)
	if err != nil {
		return nil, err
	}
	o := blank(k)
	if err := codec.Unmarshal(data, o); err != nil {
		return nil, fmt.Errorf("decode %s: %w", k, err)
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("invalid %s: %w", k, err)
	}
	return o, nil
}

// DecodeAs decodes data into a record of the expected kind.
func DecodeAs[T Object](data []byte) (T, error) {
	var zero T
	o, err := Decode(data)
	if err != nil {
		return zero, err
	}
	t, ok := o.(T)
	if !ok {
		return zero, fmt.Errorf("object is a %s, want a %s", o.ObjectKind(), zero.ObjectKind())
	}
	return t, nil
}

func checkHeader(kind string, v uint64, want Kind) error {
	if Kind(kind) != want {
		return fmt.Errorf("kind %q, want %q", kind, want)
	}
	if v != Version {
		return fmt.Errorf("version %d, want %d", v, Version)
	}
	return nil
}
