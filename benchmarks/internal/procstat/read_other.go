//go:build !linux

package procstat

import "errors"

// Read samples process pid; /proc exists only on Linux.
func Read(pid int) (Sample, error) {
	return Sample{}, errors.ErrUnsupported
}
