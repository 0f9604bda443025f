package vm

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// RunInstances runs jobs on at most workers goroutines (GOMAXPROCS if
// workers <= 0). Result i belongs to jobs[i] whatever the scheduling, so the
// caller's merge is deterministic. Jobs must not share a StateStore. An
// engine failure of job i is reported in results[i].Err.
func (e *Engine) RunInstances(ctx context.Context, jobs []Job, workers int) []BlockResult {
	results := make([]BlockResult, len(jobs))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers > len(jobs) {
		workers = len(jobs)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) {
					return
				}
				j := &jobs[i]
				res, err := e.RunBlock(ctx, j.Code, j.Instance, j.Block, j.Events, j.State)
				if err != nil {
					res = BlockResult{Err: err}
				}
				results[i] = res
			}
		}()
	}
	wg.Wait()
	return results
}
