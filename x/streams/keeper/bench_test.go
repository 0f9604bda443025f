package keeper_test

import (
	"fmt"
	"testing"
	"time"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	"github.com/w3bd/w3bd/x/streams/types"
)

// benchPublishEnvelopes is the batch size of one MsgPublish in the benchmark:
// one envelope from each of that many distinct devices, as a gateway
// relaying a fleet would submit.
const benchPublishEnvelopes = 500

type benchPublishSetup struct {
	f   *testutil.Fixture
	msg *types.MsgPublish
	// For bare verification: what the keeper's key cache holds and the sign
	// bytes the chain derives, both prepared outside the timer.
	keys      []devicekey.PublicKey
	signBytes [][]byte
}

func newBenchPublishSetup(b *testing.B, algo devicekey.Algo) *benchPublishSetup {
	b.Helper()
	f := testutil.NewFixture(b)
	owner := testutil.AccAddress("owner")
	project := f.Project(b, owner)
	stream := f.Stream(b, owner, project)
	s := &benchPublishSetup{f: f, msg: &types.MsgPublish{Submitter: owner}}
	history := &types.MsgPublish{Submitter: owner}
	for i := range benchPublishEnvelopes {
		d := testutil.NewDevice(b, algo, int64(100_000+i))
		f.Register(b, owner, project, d)
		history.Envelopes = append(history.Envelopes, d.Envelope(b, stream, 1, testutil.Reading(i)))
		env := d.Envelope(b, stream, 2, testutil.Reading(i+1))
		s.msg.Envelopes = append(s.msg.Envelopes, env)
		k, err := devicekey.ParsePublicKey(algo, d.Key.PublicKey())
		if err != nil {
			b.Fatal(err)
		}
		s.keys = append(s.keys, k)
		s.signBytes = append(s.signBytes, env.SignBytes(testutil.ChainID))
	}
	// Steady state, as on a running chain: every device has published before
	// (its last seq is stored, its parsed key cached, the stream has records).
	res, err := f.StreamsMsg.Publish(f.Ctx, history)
	if err != nil || int(res.Accepted) != benchPublishEnvelopes {
		b.Fatalf("history: %+v, %v", res, err)
	}
	return s
}

// publishOnce runs the message on a fresh cache context over the setup's
// state, so every iteration admits all envelopes (seq 2 of every device).
func (s *benchPublishSetup) publishOnce(b *testing.B, ctx sdk.Context) {
	res, err := s.f.StreamsMsg.Publish(ctx, s.msg)
	if err != nil {
		b.Fatal(err)
	}
	if int(res.Accepted) != benchPublishEnvelopes {
		for _, r := range res.Results {
			if !r.Accepted {
				b.Fatalf("accepted %d of %d; first rejection: %s %s", res.Accepted, benchPublishEnvelopes, r.Reason, r.Error)
			}
		}
	}
}

func (s *benchPublishSetup) freshCtx() sdk.Context {
	ctx, _ := s.f.Ctx.CacheContext()
	return ctx.WithGasMeter(storetypes.NewInfiniteGasMeter())
}

// cpuTimer accumulates process CPU time over the timed sections only.
type cpuTimer struct {
	total, start time.Duration
	ok           bool
}

func (c *cpuTimer) resume() { c.start, c.ok = processCPUTime() }

func (c *cpuTimer) pause() {
	if now, ok := processCPUTime(); ok && c.ok {
		c.total += now - c.start
	}
}

// reportPerEnvelope reports wall time (ns/envelope, envelopes/s) and, where
// measurable, process CPU time (cpu-ns/envelope) per envelope.
func reportPerEnvelope(b *testing.B, cpu *cpuTimer) {
	n := float64(b.N * benchPublishEnvelopes)
	ns := float64(b.Elapsed().Nanoseconds()) / n
	b.ReportMetric(ns, "ns/envelope")
	b.ReportMetric(1e9/ns, "envelopes/s")
	if cpu.ok {
		b.ReportMetric(float64(cpu.total.Nanoseconds())/n, "cpu-ns/envelope")
	}
}

// BenchmarkPublish measures the chain's cost per envelope against the bare
// signature verification it cannot avoid:
//
//	BenchmarkPublish/<algo>/publish      MsgPublish of 500 pre-signed envelopes
//	                                     from 500 devices (each with one earlier
//	                                     record) through the msg server
//	BenchmarkPublish/<algo>/bare-verify  the same 500 signatures verified one by
//	                                     one with devicekey, keys pre-parsed
//
// Both report ns/envelope and envelopes/s (wall time) and cpu-ns/envelope
// (process CPU time, all threads and GC); scripts/bench-publish.sh divides
// them. Publish verifies in parallel (Keeper.Admit uses GOMAXPROCS workers),
// bare-verify sequentially, so the ratio can drop below 1 on several cores.
// Each publish iteration gets a fresh cache context (not timed), so all
// envelopes are admitted every time; the parsed-key cache stays warm, as on
// a running node. Committing the cache store to IAVL is not included.
func BenchmarkPublish(b *testing.B) {
	for _, algo := range devicekey.Algos {
		b.Run(string(algo), func(b *testing.B) {
			s := newBenchPublishSetup(b, algo)
			// Verify acceptance once, untimed; this also warms the key cache.
			s.publishOnce(b, s.freshCtx())

			b.Run("publish", func(b *testing.B) {
				var cpu cpuTimer
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					ctx := s.freshCtx()
					b.StartTimer()
					cpu.resume()
					s.publishOnce(b, ctx)
					cpu.pause()
				}
				b.StopTimer()
				reportPerEnvelope(b, &cpu)
			})
			b.Run("bare-verify", func(b *testing.B) {
				var cpu cpuTimer
				b.ReportAllocs()
				b.ResetTimer()
				cpu.resume()
				for range b.N {
					for i, k := range s.keys {
						if err := k.Verify(s.signBytes[i], s.msg.Envelopes[i].Signature); err != nil {
							b.Fatal(fmt.Errorf("envelope %d: %w", i, err))
						}
					}
				}
				cpu.pause()
				b.StopTimer()
				reportPerEnvelope(b, &cpu)
			})
		})
	}
}
