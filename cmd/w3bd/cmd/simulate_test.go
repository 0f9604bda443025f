package cmd

import (
	"math"
	"testing"
	"time"
)

// TestSustainedRate: the readings of the blocks after the first, over the
// time from the first block's first ack to the last block's.
func TestSustainedRate(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	blocks := map[int64]*blockAcks{
		10: {first: t0, count: 400}, // the first block: its readings are not counted
		11: {first: t0.Add(1000 * time.Millisecond), count: 5000},
		13: {first: t0.Add(3000 * time.Millisecond), count: 7000}, // 12 carried none of ours
		12: {first: t0.Add(2000 * time.Millisecond), count: 3000},
	}
	if got, want := sustainedRate(blocks), 15000.0/3; math.Abs(got-want) > 1e-9 {
		t.Fatalf("sustained rate %v, want %v", got, want)
	}
	if got := sustainedRate(map[int64]*blockAcks{5: {first: t0, count: 9}}); got != 0 {
		t.Fatalf("one block gives %v, want 0 (no interval)", got)
	}
	if got := sustainedRate(nil); got != 0 {
		t.Fatalf("no blocks give %v, want 0", got)
	}
}
