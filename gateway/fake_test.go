package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// fakeChain is a chain in memory: device and stream state for the checker,
// and, as a Submitter, x/streams' seq rule for what the gateway submits.
type fakeChain struct {
	mu       sync.Mutex
	devices  map[string]devicestypes.Device
	streams  map[uint64]streamstypes.Stream
	records  map[string]streamstypes.Record // device/seq -> record
	txs      map[string]*TxOutcome
	height   int64
	envsSent int  // envelopes that reached Submit
	hold     bool // accept txs but never commit them (a crash in between)
	full     int  // answer ErrMempoolFull this many times
}

func newFakeChain() *fakeChain {
	return &fakeChain{devices: map[string]devicestypes.Device{}, streams: map[uint64]streamstypes.Stream{},
		records: map[string]streamstypes.Record{}, txs: map[string]*TxOutcome{}, height: 100}
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

func (c *fakeChain) Submit(_ context.Context, envs []streamstypes.Envelope, _ uint64) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.full > 0 {
		c.full--
		return "", ErrMempoolFull
	}
	c.envsSent += len(envs)
	c.height++
	out := &TxOutcome{Height: c.height}
	for _, env := range envs {
		d := c.devices[env.DeviceId]
		r := streamstypes.EnvelopeResult{StreamId: env.StreamId, DeviceId: env.DeviceId, Seq: env.Seq}
		if env.Seq <= d.LastSeq {
			r.Reason, r.Error = streamstypes.ReasonStaleSeq, "stale"
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
	hash := hex.EncodeToString(sha256.New().Sum(fmt.Appendf(nil, "%d", c.height)))[:16]
	if !c.hold {
		c.txs[hash] = out
	}
	return hash, nil
}

func (c *fakeChain) Outcome(_ context.Context, hash string) (*TxOutcome, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.txs[hash]
	return o, ok, nil
}

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
