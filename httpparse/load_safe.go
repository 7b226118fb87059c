//go:build !amd64 && !arm64

package httpparse

import "encoding/binary"

// load64 returns b[i:i+8] as a little-endian word; see load_unsafe.go.
func load64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i:]) }
