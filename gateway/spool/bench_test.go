package spool

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend measures durable Appends of one ~200-byte envelope each
// from concurrent callers (as MQTT/HTTP handlers would issue them), with
// real fsync. items/s is the figure the gateway's 5000/s target is about;
// items/fsync shows how much group commit batches.
func BenchmarkAppend(b *testing.B) { benchAppend(b, Options{}) }

// BenchmarkAppendNoSync is the same without fsync: the spool's own CPU cost.
func BenchmarkAppendNoSync(b *testing.B) { benchAppend(b, Options{NoSync: true}) }

func benchAppend(b *testing.B, opts Options) {
	for _, callers := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			s, err := Open(b.TempDir(), opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			data := make([]byte, 200)
			for i := range data {
				data[i] = byte(i)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			start := time.Now()
			for c := range callers {
				wg.Go(func() {
					dev := fmt.Sprintf("device-%04d", c)
					rec := []Record{{Data: data}}
					for {
						i := next.Add(1)
						if i > int64(b.N) {
							return
						}
						rec[0].Key = Key{Device: dev, Seq: uint64(i)}
						rec[0].ReceivedAt = time.Now()
						if _, err := s.Append(rec); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "items/s")
			if n := s.fsyncs.Load(); n > 0 {
				b.ReportMetric(float64(b.N)/float64(n), "items/fsync")
			}
		})
	}
}
