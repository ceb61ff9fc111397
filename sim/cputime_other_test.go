//go:build !unix

package sim_test

import "time"

// processCPU cannot read the CPU time here.
func processCPU() time.Duration { return 0 }
