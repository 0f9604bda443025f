//go:build unix

package keeper_test

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of the whole process (all
// threads, GC included). Benchmarks report it next to wall time: it does not
// grow while the process waits for a core, so it stays meaningful on a
// loaded machine, and it counts the work of parallel workers in full.
func processCPUTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
