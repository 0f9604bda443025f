package gateway

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sync"
	"time"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// fakeChain is a chain in memory: device and stream state for the checker,
// and, as a Submitter, x/streams' seq rule for what the gateway submits.
type fakeChain struct {
	mu         sync.Mutex
	devices    map[string]devicestypes.Device
	streams    map[uint64]streamstypes.Stream
	records    map[string]streamstypes.Record // device/seq -> record
	txs        map[string]*TxOutcome
	submitted  map[string]time.Time // by tx hash
	height     int64
	envsSent   int  // envelopes that reached Submit
	stale      int  // envelopes the chain judged stale
	outOfOrder int  // envelopes the chain judged out_of_order
	failNext   int  // txs to fail as a whole (out of gas)
	nonce      int  // tx counter, for hashes
	hold       bool // accept txs but never commit them (a crash in between)
	full       int  // answer ErrMempoolFull this many times
	// With reverse, Submit only queues (the mempool); block() then commits
	// the queued txs in reverse order, the worst a proposer may do with
	// unordered txs.
	reverse bool
	mempool []pendingTx
}

type pendingTx struct {
	hash  string
	envs  []streamstypes.Envelope
	after []uint64
}

// block commits the queued txs in reverse order.
func (c *fakeChain) block() {
	c.mu.Lock()
	defer c.mu.Unlock()
	slices.Reverse(c.mempool)
	for _, p := range c.mempool {
		c.txs[p.hash] = c.execute(p.envs, p.after)
	}
	c.mempool = nil
}

func newFakeChain() *fakeChain {
	return &fakeChain{devices: map[string]devicestypes.Device{}, streams: map[uint64]streamstypes.Stream{},
		records: map[string]streamstypes.Record{}, txs: map[string]*TxOutcome{}, submitted: map[string]time.Time{}, height: 100}
}

func (c *fakeChain) Device(_ context.Context, id string) (devicestypes.Device, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.devices[id]
	return d, ok, nil
}

func (c *fakeChain) Stream(_ context.Context, id uint64) (streamstypes.Stream, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.streams[id]
	return s, ok, nil
}

func (c *fakeChain) StreamParams(context.Context) (streamstypes.Params, error) {
	return streamstypes.DefaultParams(), nil
}

func (c *fakeChain) DeviceRecord(_ context.Context, device string, stream, seq uint64) (streamstypes.Record, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.records[fmt.Sprintf("%s/%d", device, seq)]
	return r, ok && r.StreamId == stream, nil
}

func (c *fakeChain) Submit(_ context.Context, envs []streamstypes.Envelope, after []uint64, _ uint64) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full > 0 {
		c.full--
		return "", ErrMempoolFull
	}
	c.envsSent += len(envs)
	c.nonce++
	hash := fmt.Sprintf("%064x", c.nonce)
	c.submitted[hash] = time.Now()
	if c.reverse {
		c.mempool = append(c.mempool, pendingTx{hash, envs, after})
		return hash, nil
	}
	out := c.execute(envs, after)
	if !c.hold {
		c.txs[hash] = out
	}
	return hash, nil
}

// execute applies x/streams' seq and after_seqs rules to a tx's envelopes
// (mu held). With failNext, the tx fails as a whole, out of gas.
func (c *fakeChain) execute(envs []streamstypes.Envelope, after []uint64) *TxOutcome {
	c.height++
	out := &TxOutcome{Height: c.height}
	if c.failNext > 0 {
		c.failNext--
		out.Code, out.Log = 11, "out of gas in location: device signature"
		return out
	}
	for i, env := range envs {
		d := c.devices[env.DeviceId]
		r := streamstypes.EnvelopeResult{StreamId: env.StreamId, DeviceId: env.DeviceId, Seq: env.Seq}
		if env.Seq <= d.LastSeq {
			r.Reason, r.Error = streamstypes.ReasonStaleSeq, "stale"
			c.stale++
		} else if after != nil && after[i] != 0 && after[i] != d.LastSeq {
			r.Reason, r.Error = streamstypes.ReasonOutOfOrder, "out of order"
			c.outOfOrder++
		} else {
			r.Accepted = true
			d.LastSeq = env.Seq
			c.devices[env.DeviceId] = d
			h := sha256.Sum256(env.Payload)
			c.records[fmt.Sprintf("%s/%d", env.DeviceId, env.Seq)] = streamstypes.Record{
				StreamId: env.StreamId, DeviceId: env.DeviceId, Seq: env.Seq, TimestampMs: env.TimestampMs,
				Payload: env.Payload, PayloadHash: h[:], Height: c.height}
		}
		out.Results = append(out.Results, r)
	}
	return out
}

func (c *fakeChain) Await(ctx context.Context, hash string, ttl time.Duration) (*TxOutcome, error) {
	c.mu.Lock()
	deadline := c.submitted[hash].Add(ttl)
	c.mu.Unlock()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c.mu.Lock()
		o, ok := c.txs[hash]
		c.mu.Unlock()
		if ok {
			return o, nil
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil, fmt.Errorf("tx %s not in a block after %s", hash, ttl)
}

func (c *fakeChain) Run(context.Context) {}

func (c *fakeChain) sent() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.envsSent
}

func testConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.MQTTAddr, cfg.HTTPAddr, cfg.SpoolDir = "", "", dir
	cfg.Pipeline.BatchWindow = 20 * time.Millisecond
	cfg.Pipeline.ConfirmEvery = 5 * time.Millisecond
	cfg.Pipeline.TxTTL = 300 * time.Millisecond
	return cfg
}
