//go:build unix

package pipeline

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock reads the process's CPU time (user + system), the figure that
// stays put on a busy machine where wall time does not.
type cpuClock time.Duration

func startCPU() cpuClock { return cpuClock(processCPU()) }

// report adds the CPU time per step since c, and its inverse, to b's
// results.
func (c cpuClock) report(b *testing.B) {
	d := processCPU() - time.Duration(c)
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/d.Seconds(), "cpusteps/s")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
