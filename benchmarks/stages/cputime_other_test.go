//go:build !unix

package stages

import "time"

// processCPU has no portable implementation here: the cpu-ns figures are
// left out.
func processCPU() (time.Duration, bool) { return 0, false }
