package store

import (
	"bytes"
	"slices"

	"github.com/wepipe/wepipe/pkg/record"
)

// hexVal maps a byte to its value as a lowercase hex digit, or 0xff.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := byte(0); i < 10; i++ {
		t['0'+i] = i
	}
	for i := byte(0); i < 6; i++ {
		t['a'+i] = 10 + i
	}
	return t
}()

// parseHexName parses an object's file name: exactly 64 lowercase hex
// digits (FORMAT.md §1.1); anything else is not an object name.
func parseHexName(name []byte) (record.Hash, bool) {
	var h record.Hash
	if len(name) != 64 {
		return h, false
	}
	for i := range h {
		hi, lo := hexVal[name[2*i]], hexVal[name[2*i+1]]
		if hi > 15 || lo > 15 {
			return h, false
		}
		h[i] = hi<<4 | lo
	}
	return h, true
}

// compareHash orders hashes as their hex names sort.
func compareHash(a, b record.Hash) int { return bytes.Compare(a[:], b[:]) }

// sortHashList sorts hs in place, as List returns them. A long list is
// sorted by a counting sort on the first two bytes, then each bucket (of
// about one hash, hashes being uniform) by comparison: a comparison sort
// of 20,000 hashes took 4 ms, a third of listing them.
func sortHashList(hs []record.Hash) {
	if len(hs) < 1024 {
		slices.SortFunc(hs, compareHash)
		return
	}
	var start [1<<16 + 1]int32
	for i := range hs {
		start[int(hs[i][0])<<8|int(hs[i][1])+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	out := make([]record.Hash, len(hs))
	next := start
	for i := range hs {
		b := int(hs[i][0])<<8 | int(hs[i][1])
		out[next[b]] = hs[i]
		next[b]++
	}
	for b := 0; b < 1<<16; b++ {
		if lo, hi := start[b], start[b+1]; hi-lo > 1 {
			slices.SortFunc(out[lo:hi], compareHash)
		}
	}
	copy(hs, out)
}
