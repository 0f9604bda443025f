package gateway

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
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
	opened   bool // in its lane's open list (handed to a transaction once)
	failures int  // transactions that failed as a whole with it
}

// PipelineConfig tunes batching and submission.
type PipelineConfig struct {
	QueueSize      int           // envelopes waiting for a batch; beyond it, receipt is refused
	BatchSize      int           // envelopes per transaction
	BatchWindow    time.Duration // longest wait for a batch to fill
	Lanes          int           // batching lanes; a device always uses the same one
	MaxInFlight    int           // transactions submitted and not yet judged, over all lanes
	GasBase        uint64        // gas of a transaction ...
	GasPerEnvelope uint64        // ... plus this per envelope (doubled on out-of-gas)
	ConfirmEvery   time.Duration // polling period for new blocks (submitted txs' results)
	TxTTL          time.Duration // resubmit a tx not committed within this time
}

// maxTxFailures is how many whole-transaction failures an envelope goes
// through before it is rejected as tx_failed.
const maxTxFailures = 5

// Pipeline batches queued envelopes into transactions and reports outcomes.
//
// Envelopes travel in lanes; a device always uses the same lane. A lane
// sends a batch whenever one is ready, with up to MaxInFlight/Lanes
// transactions in flight, so a reading does not wait for the outcome of the
// device's previous one. Order is kept by the chain, not by luck: each
// envelope goes with after_seq, the seq of the device's previous envelope
// still open in the lane, and the chain admits it only after that one
// (out_of_order otherwise). An envelope judged out_of_order, or in a
// transaction that failed as a whole or was not judged in time, is sent
// again, before any new envelope of its lane.
type Pipeline struct {
	cfg     PipelineConfig
	sub     Submitter
	spool   *spool.Spool
	checker *Checker
	notify  func(Outcome)
	metrics *Metrics
	log     *slog.Logger

	lanes  []*lane
	queued atomic.Int64
}

// lane is one sender of transactions and the reader of their outcomes.
type lane struct {
	in      chan *item         // received, in receipt order
	flights chan *flight       // submitted, in the order sent
	slots   chan struct{}      // a token per transaction in flight
	wake    chan struct{}      // retry got envelopes
	mu      sync.Mutex         // guards retry and open
	retry   []*item            // to send again, before anything in `in`
	open    map[string][]*item // per device: handed to transactions, not judged for good, in order
}

type flight struct {
	batch []*item
	hash  string
}

func newPipeline(cfg PipelineConfig, sub Submitter, sp *spool.Spool, checker *Checker, m *Metrics, log *slog.Logger, notify func(Outcome)) *Pipeline {
	p := &Pipeline{cfg: cfg, sub: sub, spool: sp, checker: checker, notify: notify, metrics: m, log: log}
	lanes := max(1, cfg.Lanes)
	depth := max(1, cfg.MaxInFlight/lanes)
	for range lanes {
		p.lanes = append(p.lanes, &lane{
			in:      make(chan *item, max(1, cfg.QueueSize/lanes)),
			flights: make(chan *flight, depth),
			slots:   make(chan struct{}, depth),
			wake:    make(chan struct{}, 1),
			open:    map[string][]*item{},
		})
	}
	return p
}

// lane is the device's lane: the same one for every envelope of the device.
func (p *Pipeline) lane(device string) *lane {
	h := fnv.New32a()
	h.Write([]byte(device))
	return p.lanes[h.Sum32()%uint32(len(p.lanes))]
}

// Enqueue hands a spooled envelope to its lane; false when the lane is full
// (the caller refuses receipt: backpressure).
func (p *Pipeline) Enqueue(it *item) bool {
	select {
	case p.lane(it.key.Device).in <- it:
		p.metrics.QueueDepth.Set(float64(p.queued.Add(1)))
		return true
	default:
		return false
	}
}

// Full tells whether the device's lane has no room left.
func (p *Pipeline) Full(device string) bool {
	l := p.lane(device).in
	return len(l) >= cap(l)
}

// Depth is the number of envelopes waiting for a batch.
func (p *Pipeline) Depth() int { return int(p.queued.Load()) }

// Run sends and follows batches in every lane until ctx ends. What is in
// flight then stays pending in the spool, for the next start.
func (p *Pipeline) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { p.sub.Run(ctx) })
	for _, l := range p.lanes {
		wg.Go(func() { p.send(ctx, l) })
		wg.Go(func() { p.follow(ctx, l) })
	}
	wg.Wait()
}

// send submits the lane's batches in order, each once a slot is free.
func (p *Pipeline) send(ctx context.Context, l *lane) {
	defer close(l.flights)
	for {
		select {
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		batch := p.nextBatch(ctx, l)
		if len(batch) == 0 {
			return
		}
		if hash, ok := p.submit(ctx, l, batch); ok {
			l.flights <- &flight{batch: batch, hash: hash}
		} else {
			<-l.slots
		}
	}
}

// follow takes the lane's transactions in the order sent and acts on each
// outcome: reports, or sends again.
func (p *Pipeline) follow(ctx context.Context, l *lane) {
	for f := range l.flights {
		p.judge(ctx, l, f)
		<-l.slots
	}
}

// nextBatch waits for a first envelope, then collects more until the batch
// is full or the oldest envelope has waited BatchWindow since its receipt.
// Envelopes to send again come first; what is waiting already goes in,
// window passed or not.
func (p *Pipeline) nextBatch(ctx context.Context, l *lane) []*item {
	var batch []*item
	fromQueue := 0
	defer func() { p.metrics.QueueDepth.Set(float64(p.queued.Add(-int64(fromQueue)))) }()
	var deadline time.Time
	var timeout <-chan time.Time // nil, blocking, until the first envelope
	for len(batch) < p.cfg.BatchSize {
		if it := l.popRetry(); it != nil {
			batch = append(batch, it)
		} else {
			select {
			case it := <-l.in:
				batch, fromQueue = append(batch, it), fromQueue+1
			default:
				if len(batch) > 0 && !time.Now().Before(deadline) {
					return batch
				}
				select {
				case it := <-l.in:
					batch, fromQueue = append(batch, it), fromQueue+1
				case <-l.wake:
					continue
				case <-timeout:
					return batch
				case <-ctx.Done():
					return nil // the spool keeps them pending
				}
			}
		}
		if len(batch) == 1 {
			deadline = batch[0].received.Add(p.cfg.BatchWindow)
			t := time.NewTimer(time.Until(deadline))
			defer t.Stop()
			timeout = t.C
		}
	}
	return batch
}

func (l *lane) popRetry() *item {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.retry) == 0 {
		return nil
	}
	it := l.retry[0]
	l.retry = l.retry[1:]
	return it
}

// again queues envelopes to be sent again, in the order given; why labels
// the metric.
func (p *Pipeline) again(l *lane, items []*item, why string) {
	if len(items) == 0 {
		return
	}
	p.metrics.Resent.WithLabelValues(why).Add(float64(len(items)))
	l.mu.Lock()
	l.retry = append(l.retry, items...)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// afterSeqs opens the batch's new envelopes and gives each envelope's
// after_seq: the seq of the device's envelope before it in the open list,
// or 0 (no condition) when it is the device's first open one.
func (l *lane) afterSeqs(batch []*item) []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	after := make([]uint64, len(batch))
	conditioned := false
	for i, it := range batch {
		list := l.open[it.key.Device]
		if !it.opened {
			it.opened = true
			list = append(list, it)
			l.open[it.key.Device] = list
		}
		if j := slices.Index(list, it); j > 0 {
			after[i], conditioned = list[j-1].env.Seq, true
		}
	}
	if !conditioned {
		return nil
	}
	return after
}

// close removes envelopes judged for good from their devices' open lists.
func (l *lane) close(items []*item) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, it := range items {
		list := l.open[it.key.Device]
		if j := slices.Index(list, it); j >= 0 {
			list = slices.Delete(list, j, j+1)
		}
		if len(list) == 0 {
			delete(l.open, it.key.Device)
		} else {
			l.open[it.key.Device] = list
		}
	}
}

// submit broadcasts one batch, retrying while the mempool is full; false
// when it failed for good (its envelopes are then rejected).
func (p *Pipeline) submit(ctx context.Context, l *lane, batch []*item) (string, bool) {
	envs := make([]streamstypes.Envelope, len(batch))
	keys := make([]spool.Key, len(batch))
	doubling := 0
	for i, it := range batch {
		envs[i], keys[i] = it.env, it.key
		doubling = max(doubling, it.failures)
	}
	after := l.afterSeqs(batch)
	gas := (p.cfg.GasBase + p.cfg.GasPerEnvelope*uint64(len(batch))) << doubling
	p.metrics.Batched.Add(float64(len(batch)))
	backoff := 200 * time.Millisecond
	failures := 0
	for ctx.Err() == nil {
		hash, err := p.sub.Submit(ctx, envs, after, gas)
		if err == nil {
			p.metrics.Txs.WithLabelValues("submitted").Inc()
			if err := p.spool.MarkSubmitted(keys, hash); err != nil {
				p.log.Error("spool", "err", err)
			}
			return hash, true
		}
		if !errors.Is(err, ErrMempoolFull) {
			failures++
			p.log.Warn("submit failed", "envelopes", len(batch), "attempt", failures, "err", err)
			if failures >= maxTxFailures {
				p.failAll(l, batch, err.Error())
				return "", false
			}
		}
		p.metrics.Txs.WithLabelValues("retry").Inc()
		sleep(ctx, backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
	return "", false
}

// judge acts on a submitted transaction's outcome.
func (p *Pipeline) judge(ctx context.Context, l *lane, f *flight) {
	out, err := p.sub.Await(ctx, f.hash, p.cfg.TxTTL)
	switch {
	case ctx.Err() != nil:
		// Shutting down: the spool keeps the batch pending.
	case err != nil:
		// Sent again; if this one did commit after all, the chain says
		// stale_seq and settle finds the envelope on chain.
		p.log.Warn("tx not committed in time, sending its envelopes again", "tx", f.hash, "err", err)
		p.again(l, f.batch, "not_judged")
	case out.Code != 0:
		p.metrics.Txs.WithLabelValues("failed").Inc()
		if !strings.Contains(out.Log, "out of gas") {
			p.failAll(l, f.batch, fmt.Sprintf("tx %s failed: %s", f.hash, out.Log))
			return
		}
		var again, failed []*item
		for _, it := range f.batch {
			if it.failures++; it.failures >= maxTxFailures {
				failed = append(failed, it)
			} else {
				again = append(again, it)
			}
		}
		p.failAll(l, failed, fmt.Sprintf("tx %s failed: %s", f.hash, out.Log))
		p.again(l, again, "out_of_gas") // with twice the gas per failure
	default:
		p.metrics.Txs.WithLabelValues("committed").Inc()
		p.settle(ctx, l, f.batch, out, f.hash)
	}
}

// settle reports the chain's verdict on each envelope of a committed tx. An
// envelope rejected as stale_seq may be this very envelope committed
// earlier (resubmitted after a crash or a lost result): then it is reported
// committed, where the chain has it. One judged out_of_order is sent again.
func (p *Pipeline) settle(ctx context.Context, l *lane, batch []*item, out *TxOutcome, hash string) {
	if len(out.Results) != len(batch) {
		p.failAll(l, batch, fmt.Sprintf("tx %s: %d results for %d envelopes", hash, len(out.Results), len(batch)))
		return
	}
	var committed []spool.Key
	var judged, again []*item
	defer func() {
		l.close(judged)
		p.again(l, again, streamstypes.ReasonOutOfOrder)
	}()
	for i, it := range batch {
		r := out.Results[i]
		o := Outcome{Key: it.key, StreamID: it.env.StreamId, Received: it.received}
		if r.Reason == streamstypes.ReasonOutOfOrder {
			again = append(again, it)
			continue
		}
		judged = append(judged, it)
		switch {
		case r.Accepted:
			o.Status, o.Height, o.TxHash = StatusCommitted, out.Height, hash
		case r.Reason == streamstypes.ReasonStaleSeq:
			rec, same, err := p.checker.SameOnChain(context.WithoutCancel(ctx), &it.env)
			if err != nil {
				// Unknown for now: it stays pending in the spool and is
				// judged again after the next start. It leaves the open
				// list: the chain has a seq at least as high, so what
				// follows it needs no condition on it.
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

func (p *Pipeline) failAll(l *lane, batch []*item, why string) {
	l.close(batch)
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
