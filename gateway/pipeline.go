package gateway

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/w3bd/w3bd/gateway/spool"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// Outcome is the final word on one envelope, for its device.
type Outcome struct {
	Key      spool.Key
	StreamID uint64
	Status   string // committed or rejected
	Reason   string
	Error    string
	Height   int64
	TxHash   string
	Received time.Time
}

// Statuses of envelopes as the gateway reports them.
const (
	StatusReceived  = "received"
	StatusSubmitted = "submitted"
	StatusCommitted = "committed"
	StatusRejected  = "rejected"
)

// ReasonTxFailed marks envelopes whose transaction failed as a whole after
// every retry (the chain judged none of them).
const ReasonTxFailed = "tx_failed"

// item is an envelope on its way to the chain.
type item struct {
	key      spool.Key
	env      streamstypes.Envelope
	received time.Time
}

// PipelineConfig tunes batching and submission.
type PipelineConfig struct {
	QueueSize      int           // envelopes waiting for a batch; beyond it, receipt is refused
	BatchSize      int           // envelopes per transaction
	BatchWindow    time.Duration // longest wait for a batch to fill
	MaxInFlight    int           // lanes, each with one transaction in flight
	GasBase        uint64        // gas of a transaction ...
	GasPerEnvelope uint64        // ... plus this per envelope (doubled on out-of-gas)
	ConfirmEvery   time.Duration // polling period for new blocks (submitted txs' results)
	TxTTL          time.Duration // resubmit a tx not committed within this time
}

// Pipeline batches queued envelopes into transactions and reports outcomes.
//
// Envelopes travel in lanes, MaxInFlight of them, each with at most one
// transaction in flight; a device always uses the same lane. So several
// transactions are in flight at once, yet a device's envelopes are committed
// in the order they were received: with unordered transactions a block may
// include two in-flight transactions in any order, and a later seq committed
// first would make the earlier one stale.
type Pipeline struct {
	cfg     PipelineConfig
	sub     Submitter
	spool   *spool.Spool
	checker *Checker
	notify  func(Outcome)
	metrics *Metrics
	log     *slog.Logger

	lanes  []chan *item
	queued atomic.Int64
}

func newPipeline(cfg PipelineConfig, sub Submitter, sp *spool.Spool, checker *Checker, m *Metrics, log *slog.Logger, notify func(Outcome)) *Pipeline {
	p := &Pipeline{cfg: cfg, sub: sub, spool: sp, checker: checker, notify: notify, metrics: m, log: log}
	lanes := max(1, cfg.MaxInFlight)
	for range lanes {
		p.lanes = append(p.lanes, make(chan *item, max(1, cfg.QueueSize/lanes)))
	}
	return p
}

// lane is the device's lane: the same one for every envelope of the device.
func (p *Pipeline) lane(device string) chan *item {
	h := fnv.New32a()
	h.Write([]byte(device))
	return p.lanes[h.Sum32()%uint32(len(p.lanes))]
}

// Enqueue hands a spooled envelope to its lane; false when the lane is full
// (the caller refuses receipt: backpressure).
func (p *Pipeline) Enqueue(it *item) bool {
	select {
	case p.lane(it.key.Device) <- it:
		p.metrics.QueueDepth.Set(float64(p.queued.Add(1)))
		return true
	default:
		return false
	}
}

// Full tells whether the device's lane has no room left.
func (p *Pipeline) Full(device string) bool {
	l := p.lane(device)
	return len(l) >= cap(l)
}

// Depth is the number of envelopes waiting for a batch.
func (p *Pipeline) Depth() int { return int(p.queued.Load()) }

// Run delivers batches in every lane until ctx ends, then waits for the
// batches in flight. Each lane settles a committed batch (acks, spool) in a
// goroutine of its own, so its next transaction does not wait for that: a
// lane that misses a block halves its throughput.
func (p *Pipeline) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { p.sub.Run(ctx) })
	for _, l := range p.lanes {
		settle := make(chan func(), 4)
		wg.Go(func() {
			for f := range settle {
				f()
			}
		})
		wg.Go(func() {
			defer close(settle)
			for {
				batch := p.nextBatch(ctx, l)
				if len(batch) == 0 {
					return
				}
				p.deliver(ctx, batch, settle)
			}
		})
	}
	wg.Wait()
}

// nextBatch waits for a first envelope, then collects more until the batch
// is full or the oldest envelope has waited BatchWindow since its receipt:
// envelopes that queued while the lane's previous transaction was in flight
// have waited enough and go at once.
func (p *Pipeline) nextBatch(ctx context.Context, lane chan *item) []*item {
	var batch []*item
	defer func() { p.metrics.QueueDepth.Set(float64(p.queued.Add(-int64(len(batch))))) }()
	select {
	case it := <-lane:
		batch = append(batch, it)
	case <-ctx.Done():
		return nil
	}
	deadline := batch[0].received.Add(p.cfg.BatchWindow)
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for len(batch) < p.cfg.BatchSize {
		select { // what is queued already goes in, window passed or not
		case it := <-lane:
			batch = append(batch, it)
			continue
		default:
		}
		if !time.Now().Before(deadline) {
			return batch
		}
		select {
		case it := <-lane:
			batch = append(batch, it)
		case <-timer.C:
			return batch
		case <-ctx.Done():
			return batch
		}
	}
	return batch
}

// deliver submits one batch until the chain has judged it (or it failed
// for good), then hands the reporting of every envelope's outcome to settle.
func (p *Pipeline) deliver(ctx context.Context, batch []*item, settle chan<- func()) {
	envs := make([]streamstypes.Envelope, len(batch))
	keys := make([]spool.Key, len(batch))
	for i, it := range batch {
		envs[i], keys[i] = it.env, it.key
	}
	gas := p.cfg.GasBase + p.cfg.GasPerEnvelope*uint64(len(batch))
	p.metrics.Batched.Add(float64(len(batch)))
	backoff := 200 * time.Millisecond
	failures := 0
	for ctx.Err() == nil {
		hash, err := p.sub.Submit(ctx, envs, gas)
		if err != nil {
			if !errors.Is(err, ErrMempoolFull) {
				failures++
				p.log.Warn("submit failed", "envelopes", len(batch), "attempt", failures, "err", err)
				if failures >= 5 {
					p.failAll(batch, err.Error())
					return
				}
			}
			p.metrics.Txs.WithLabelValues("retry").Inc()
			sleep(ctx, backoff)
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		p.metrics.Txs.WithLabelValues("submitted").Inc()
		if err := p.spool.MarkSubmitted(keys, hash); err != nil {
			p.log.Error("spool", "err", err)
		}
		out, err := p.sub.Await(ctx, hash, p.cfg.TxTTL)
		if err != nil {
			p.log.Warn("tx not committed in time, resubmitting", "tx", hash, "err", err)
			continue // a resubmission of what did commit is caught as stale_seq below
		}
		if out.Code != 0 {
			p.metrics.Txs.WithLabelValues("failed").Inc()
			if strings.Contains(out.Log, "out of gas") && failures < 5 {
				failures++
				gas *= 2
				continue
			}
			p.failAll(batch, fmt.Sprintf("tx %s failed: %s", hash, out.Log))
			return
		}
		p.metrics.Txs.WithLabelValues("committed").Inc()
		settle <- func() { p.settle(ctx, batch, out, hash) }
		return
	}
}

// settle reports the chain's verdict on each envelope of a committed tx. An
// envelope rejected as stale_seq may be this very envelope committed
// earlier (resubmitted after a crash or a lost result): then it is reported
// committed, where the chain has it.
func (p *Pipeline) settle(ctx context.Context, batch []*item, out *TxOutcome, hash string) {
	if len(out.Results) != len(batch) {
		p.failAll(batch, fmt.Sprintf("tx %s: %d results for %d envelopes", hash, len(out.Results), len(batch)))
		return
	}
	var committed []spool.Key
	for i, it := range batch {
		r := out.Results[i]
		o := Outcome{Key: it.key, StreamID: it.env.StreamId, Received: it.received}
		switch {
		case r.Accepted:
			o.Status, o.Height, o.TxHash = StatusCommitted, out.Height, hash
		case r.Reason == streamstypes.ReasonStaleSeq:
			rec, same, err := p.checker.SameOnChain(context.WithoutCancel(ctx), &it.env)
			if err != nil {
				// Unknown for now: it stays pending in the spool and is
				// judged again after the next start.
				p.log.Warn("stale envelope not compared with the chain", "device", it.key.Device, "seq", it.key.Seq, "err", err)
				continue
			}
			if same {
				o.Status, o.Height = StatusCommitted, rec.Height
				break
			}
			o.Status, o.Reason, o.Error = StatusRejected, r.Reason, r.Error
		default:
			o.Status, o.Reason, o.Error = StatusRejected, r.Reason, r.Error
			p.checker.Forget(it.key.Device) // the chain knows something the cache did not
		}
		if o.Status == StatusCommitted {
			committed = append(committed, it.key)
		} else if err := p.spool.MarkRejected(it.key, o.Reason); err != nil {
			p.log.Error("spool", "err", err)
		}
		p.report(o)
	}
	if len(committed) > 0 {
		if err := p.spool.MarkCommitted(committed, out.Height, hash); err != nil {
			p.log.Error("spool", "err", err)
		}
	}
}

func (p *Pipeline) failAll(batch []*item, why string) {
	for _, it := range batch {
		if err := p.spool.MarkRejected(it.key, ReasonTxFailed); err != nil {
			p.log.Error("spool", "err", err)
		}
		p.report(Outcome{Key: it.key, StreamID: it.env.StreamId, Status: StatusRejected, Reason: ReasonTxFailed, Error: why, Received: it.received})
	}
}

func (p *Pipeline) report(o Outcome) {
	if o.Status == StatusCommitted {
		p.metrics.Committed.Inc()
		p.metrics.Latency.Observe(time.Since(o.Received).Seconds())
	} else {
		p.metrics.Rejected.WithLabelValues(o.Reason).Inc()
	}
	p.notify(o)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
