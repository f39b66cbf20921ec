package store

import (
	"bytes"
	"errors"
	"slices"
	"unsafe"

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
// sorted by a counting sort on the first 12 bits, then each bucket (of a
// few hashes, hashes being uniform) by insertion: a comparison sort of
// 20,000 hashes took 4 ms, a third of listing them.
func sortHashList(hs []record.Hash) {
	if len(hs) < 1024 {
		slices.SortFunc(hs, compareHash)
		return
	}
	const bits = 12
	key := func(h *record.Hash) int { return (int(h[0])<<8 | int(h[1])) >> (16 - bits) }
	start := make([]int32, 1<<bits+1)
	for i := range hs {
		start[key(&hs[i])+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	next := slices.Clone(start)
	out := hugeSlice[record.Hash](len(hs))
	for i := range hs {
		b := key(&hs[i])
		out[next[b]] = hs[i]
		next[b]++
	}
	for b := 0; b < 1<<bits; b++ {
		if lo, hi := start[b], start[b+1]; hi-lo > 1 {
			if hi-lo > 16 {
				slices.SortFunc(out[lo:hi], compareHash)
				continue
			}
			for i := lo + 1; i < hi; i++ {
				for j := i; j > lo && compareHash(out[j-1], out[j]) > 0; j-- {
					out[j-1], out[j] = out[j], out[j-1]
				}
			}
		}
	}
	copy(hs, out)
}

// hugePage is the size of a transparent huge page on amd64 and arm64
// with 4 KiB pages.
const hugePage = 2 << 20

// errMapFault reports a mapped file that changed under its reader.
var errMapFault = errors.New("the file shrank while it was read")

// hugeSlice returns a slice of n zero values of T, which, if it spans
// more than a megabyte, lies in memory the kernel is asked to back with
// transparent huge pages (2 MiB). A listing's arrays (hashes, index
// entries) are fresh memory touched once, and a page fault per 4 KiB was
// most of what a 20,000-snapshot listing cost a fresh process on a
// virtual machine (some 1,300 faults of about 20 µs). The slice starts at
// the first element from a 2 MiB boundary of an allocation 4 MiB longer
// than needed, so that whole huge pages cover it; the memory never
// touched costs nothing.
func hugeSlice[T any](n int) []T {
	size := int(unsafe.Sizeof(*new(T)))
	if size == 0 || n*size < hugePage/2 {
		return make([]T, n)
	}
	buf := make([]T, n+2*hugePage/size+1)
	base := uintptr(unsafe.Pointer(&buf[0]))
	aligned := (base + hugePage - 1) &^ (hugePage - 1)
	k := int((aligned - base + uintptr(size) - 1) / uintptr(size))
	out := buf[k : k+n : k+n]
	end := (uintptr(unsafe.Pointer(&out[0])) + uintptr(n*size) + hugePage - 1) &^ (hugePage - 1)
	adviseHuge(aligned, end)
	return out
}
