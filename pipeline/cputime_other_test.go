//go:build !unix

package pipeline

import "testing"

// cpuClock has no process CPU time to read here; it reports nothing.
type cpuClock struct{}

func startCPU() cpuClock           { return cpuClock{} }
func (cpuClock) report(*testing.B) {}
