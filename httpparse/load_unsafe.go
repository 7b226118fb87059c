//go:build amd64 || arm64

package httpparse

import "unsafe"

// load64 returns b[i:i+8] as a little-endian word. The caller guarantees
// 0 <= i and i+8 <= len(b); nothing here checks it.
//
// Why unsafe: binary.LittleEndian.Uint64(b[i:]) in the word loops of
// swar.go costs a re-slice (with its pointer masking) and two bounds checks
// per word that the compiler cannot prove away, about a third of the
// instructions per word. amd64 and arm64 load unaligned words natively and
// are little-endian; every other architecture uses load_safe.go.
func load64(b []byte, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), i))
}
