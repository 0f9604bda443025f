package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	dto "github.com/prometheus/client_model/go"
	"io"
	"log/slog"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/gateway/spool"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

const testChainID = "w3bd-gw"

type testDevice struct {
	key *devicekey.PrivateKey
	id  string
}

func newTestDevice(t *testing.T, c *fakeChain, seed int64, project uint64, status string) testDevice {
	t.Helper()
	key, err := devicekey.GenerateKey(devicekey.Ed25519, rand.New(rand.NewSource(seed)))
	require.NoError(t, err)
	d := testDevice{key: key, id: devicekey.DeviceID(devicekey.Ed25519, key.PublicKey())}
	c.devices[d.id] = devicestypes.Device{Id: d.id, ProjectId: project, Algo: "ed25519", PubKey: key.PublicKey(), Status: status}
	return d
}

func (d testDevice) envelope(t *testing.T, stream, seq uint64, payload string) streamstypes.Envelope {
	t.Helper()
	env := streamstypes.Envelope{StreamId: stream, DeviceId: d.id, Seq: seq, TimestampMs: uint64(time.Now().UnixMilli()), Payload: []byte(payload)}
	sig, err := d.key.Sign(env.SignBytes(testChainID))
	require.NoError(t, err)
	env.Signature = sig
	return env
}

// harness is a gateway over a fake chain, running until the test ends.
type harness struct {
	g        *Gateway
	chain    *fakeChain
	mu       sync.Mutex
	outcomes map[spool.Key]Outcome
	stop     func()
}

func startGateway(t *testing.T, chain *fakeChain, cfg Config) *harness {
	t.Helper()
	h := &harness{chain: chain, outcomes: map[spool.Key]Outcome{}}
	g, err := newGateway(cfg, testChainID, chain, chain, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	notify := g.pipe.notify
	g.pipe.notify = func(o Outcome) {
		h.mu.Lock()
		h.outcomes[o.Key] = o
		h.mu.Unlock()
		notify(o)
	}
	h.g = g
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	h.stop = func() { cancel(); <-done }
	t.Cleanup(h.stop)
	return h
}

func (h *harness) outcome(t *testing.T, k spool.Key) Outcome {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		o, ok := h.outcomes[k]
		h.mu.Unlock()
		if ok {
			return o
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no outcome for %v", k)
	return Outcome{}
}

func world(t *testing.T) (*fakeChain, testDevice, testDevice) {
	c := newFakeChain()
	c.streams[1] = streamstypes.Stream{Id: 1, ProjectId: 1}
	c.streams[2] = streamstypes.Stream{Id: 2, ProjectId: 2}
	c.streams[3] = streamstypes.Stream{Id: 3, ProjectId: 1, ProducerInstanceId: 9}
	a := newTestDevice(t, c, 1, 1, devicestypes.StatusActive)
	b := newTestDevice(t, c, 2, 1, devicestypes.StatusActive)
	return c, a, b
}

func TestReceiveBatchAndCommit(t *testing.T) {
	chain, a, b := world(t)
	h := startGateway(t, chain, testConfig(t.TempDir()))
	var keys []spool.Key
	for seq := uint64(1); seq <= 20; seq++ {
		for _, d := range []testDevice{a, b} {
			r, err := h.g.Receive(context.Background(), d.envelope(t, 1, seq, `{"v":1}`), "test")
			require.NoError(t, err)
			require.Equal(t, StatusReceived, r.Status)
			keys = append(keys, r.Key)
		}
	}
	for _, k := range keys {
		o := h.outcome(t, k)
		require.Equal(t, StatusCommitted, o.Status, "%v: %+v", k, o)
		require.NotEmpty(t, o.TxHash, "%+v", o)
		rec, ok := h.g.spool.Get(k)
		require.True(t, ok)
		require.Equal(t, spool.Committed, rec.Status)
	}
	require.Equal(t, 40, chain.sent(), "each envelope submitted once")
	require.Zero(t, h.g.spool.PendingCount())
}

func TestEarlyRejectionsNeverReachATransaction(t *testing.T) {
	chain, a, _ := world(t)
	suspended := newTestDevice(t, chain, 3, 1, devicestypes.StatusSuspended)
	revoked := newTestDevice(t, chain, 4, 1, devicestypes.StatusRevoked)
	other := newTestDevice(t, chain, 5, 2, devicestypes.StatusActive)
	key, _ := devicekey.GenerateKey(devicekey.Ed25519, rand.New(rand.NewSource(6)))
	stranger := testDevice{key: key, id: devicekey.DeviceID(devicekey.Ed25519, key.PublicKey())}
	h := startGateway(t, chain, testConfig(t.TempDir()))

	forged := a.envelope(t, 1, 5, "x")
	forged.Payload = []byte("tampered")
	future := a.envelope(t, 1, 6, "x")
	future.TimestampMs += uint64(time.Hour.Milliseconds())
	future.Signature, _ = a.key.Sign(future.SignBytes(testChainID))
	big := a.envelope(t, 1, 7, string(make([]byte, 5000)))
	noSig := a.envelope(t, 1, 8, "x")
	noSig.Signature = nil
	for _, c := range []struct {
		env    streamstypes.Envelope
		reason string
	}{
		{forged, streamstypes.ReasonBadSignature},
		{future, streamstypes.ReasonFutureTimestamp},
		{big, streamstypes.ReasonPayloadTooLarge},
		{noSig, streamstypes.ReasonMalformed},
		{stranger.envelope(t, 1, 1, "x"), streamstypes.ReasonUnknownDevice},
		{suspended.envelope(t, 1, 1, "x"), streamstypes.ReasonDeviceSuspended},
		{revoked.envelope(t, 1, 1, "x"), streamstypes.ReasonDeviceRevoked},
		{other.envelope(t, 1, 1, "x"), streamstypes.ReasonWrongProject},
		{a.envelope(t, 99, 1, "x"), streamstypes.ReasonUnknownStream},
		{a.envelope(t, 3, 1, "x"), streamstypes.ReasonNotDeviceStream},
	} {
		r, err := h.g.Receive(context.Background(), c.env, "test")
		require.NoError(t, err)
		require.Equal(t, StatusRejected, r.Status, c.reason)
		require.Equal(t, c.reason, r.Reason, r.Error)
		_, spooled := h.g.spool.Get(r.Key)
		require.False(t, spooled, "%s: a rejected envelope is not spooled", c.reason)
		got, ok := h.g.Status(r.Key)
		require.True(t, ok)
		require.Equal(t, c.reason, got.Reason)
	}
	// A forged envelope must not take the device's seq: the genuine one passes.
	genuine := a.envelope(t, 1, 5, "genuine")
	r, err := h.g.Receive(context.Background(), genuine, "test")
	require.NoError(t, err)
	require.Equal(t, StatusReceived, r.Status)
	o := h.outcome(t, r.Key)
	require.Equal(t, StatusCommitted, o.Status, "%+v", o)

	// Replays: of the committed envelope (reported committed), and a
	// different envelope with a used seq (rejected).
	again, err := h.g.Receive(context.Background(), genuine, "test")
	require.NoError(t, err)
	require.Equal(t, StatusCommitted, again.Status, "%+v", again)
	r, err = h.g.Receive(context.Background(), a.envelope(t, 1, 4, "older"), "test")
	require.NoError(t, err)
	require.Equal(t, streamstypes.ReasonStaleSeq, r.Reason)
	require.Equal(t, 1, chain.sent(), "only the genuine envelope reached a transaction")
}

func TestDuplicatesWhilePending(t *testing.T) {
	chain, a, _ := world(t)
	chain.hold = true // nothing commits
	h := startGateway(t, chain, testConfig(t.TempDir()))
	env := a.envelope(t, 1, 1, "v")
	r1, err := h.g.Receive(context.Background(), env, "test")
	require.NoError(t, err)
	r2, err := h.g.Receive(context.Background(), env, "test")
	require.NoError(t, err)
	require.Equal(t, StatusReceived, r2.Status, "the same envelope again is the same receipt")
	require.Equal(t, 1, h.g.spool.PendingCount())
	r3, err := h.g.Receive(context.Background(), a.envelope(t, 1, 1, "different"), "test")
	require.NoError(t, err)
	require.Equal(t, streamstypes.ReasonStaleSeq, r3.Reason)
	_ = r1
}

// TestRestartResubmitsAndCommitsOnce: the gateway spooled envelopes and
// submitted them, the chain committed them, but the gateway died before it
// learnt so. After restart it resubmits; the chain says stale_seq; the
// gateway finds the same envelopes on chain and reports them committed,
// exactly once each.
func TestRestartResubmitsAndCommitsOnce(t *testing.T) {
	chain, a, _ := world(t)
	dir := t.TempDir()
	chain.hold = true
	h := startGateway(t, chain, testConfig(dir))
	var keys []spool.Key
	for seq := uint64(1); seq <= 5; seq++ {
		r, err := h.g.Receive(context.Background(), a.envelope(t, 1, seq, "v"), "test")
		require.NoError(t, err)
		keys = append(keys, r.Key)
	}
	require.Eventually(t, func() bool { return chain.sent() >= 5 }, 5*time.Second, 5*time.Millisecond)
	h.stop()

	chain.mu.Lock()
	chain.hold = false
	chain.mu.Unlock()
	h2 := startGateway(t, chain, testConfig(dir))
	for _, k := range keys {
		o := h2.outcome(t, k)
		require.Equal(t, StatusCommitted, o.Status, "%v: %+v", k, o)
	}
	require.Equal(t, 5, len(chain.records), "committed exactly once")
	require.Zero(t, h2.g.spool.PendingCount())
}

func TestMempoolFullIsRetried(t *testing.T) {
	chain, a, _ := world(t)
	chain.full = 3
	h := startGateway(t, chain, testConfig(t.TempDir()))
	r, err := h.g.Receive(context.Background(), a.envelope(t, 1, 1, "v"), "test")
	require.NoError(t, err)
	require.Equal(t, StatusCommitted, h.outcome(t, r.Key).Status)
}

func TestBackpressureWhenQueueIsFull(t *testing.T) {
	chain, a, _ := world(t)
	cfg := testConfig(t.TempDir())
	cfg.Pipeline.QueueSize, cfg.Pipeline.Lanes = 2, 1 // one lane of two
	g, err := newGateway(cfg, testChainID, chain, chain, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err) // not running: nothing drains the queue
	defer g.spool.Close()
	close(g.ready)
	for seq := uint64(1); seq <= 2; seq++ {
		_, err := g.Receive(context.Background(), a.envelope(t, 1, seq, "v"), "test")
		require.NoError(t, err)
	}
	_, err = g.Receive(context.Background(), a.envelope(t, 1, 3, "v"), "test")
	require.ErrorIs(t, err, ErrBusy)
	// The refused envelope took nothing: the device can send it again later.
	_, spooled := g.spool.Get(spool.Key{Device: a.id, Seq: 3})
	require.False(t, spooled)
}

// TestHTTPTooManyRequests: with the queue full, POST answers 429 with
// Retry-After, lists the envelopes of the array it did take, and takes
// nothing of the rest, which the device can send again.
func TestHTTPTooManyRequests(t *testing.T) {
	chain, a, _ := world(t)
	cfg := testConfig(t.TempDir())
	cfg.Pipeline.QueueSize, cfg.Pipeline.Lanes = 2, 1 // one lane of two
	g, err := newGateway(cfg, testChainID, chain, chain, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err) // not running: nothing drains the queue
	defer g.spool.Close()
	close(g.ready)
	post := func(seqs ...uint64) (*httptest.ResponseRecorder, map[string]json.RawMessage) {
		var envs []any
		for _, seq := range seqs {
			envs = append(envs, a.envelope(t, 1, seq, "v").ToJSON())
		}
		body, err := json.Marshal(envs)
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		g.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/envelopes", bytes.NewReader(body)))
		var out map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
		return rec, out
	}
	rec, out := post(1, 2, 3)
	require.Equal(t, http.StatusTooManyRequests, rec.Code, rec.Body.String())
	require.Equal(t, "1", rec.Header().Get("Retry-After"))
	var accepted []EnvelopeStatus
	require.NoError(t, json.Unmarshal(out["accepted"], &accepted))
	require.Len(t, accepted, 2)
	for i, st := range accepted {
		require.Equal(t, uint64(i+1), st.Seq)
		require.Equal(t, StatusReceived, st.Status)
	}
	_, spooled := g.spool.Get(spool.Key{Device: a.id, Seq: 3})
	require.False(t, spooled, "the refused envelope took nothing")
	require.Equal(t, 2, g.spool.PendingCount())

	rec, _ = post(3)
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
}

// TestLanesKeepEachDevicesOrder: blocks include the txs in flight in any
// order (unordered txs), and each lane has several in flight; each device's
// envelopes still commit in order: a later one that would overtake is judged
// out_of_order by the chain and sent again, so none is judged stale.
func TestLanesKeepEachDevicesOrder(t *testing.T) {
	chain, _, _ := world(t)
	chain.reverse = true
	keys, h := publishDevicesInBlocks(t, chain, 5, 25)
	for _, k := range keys {
		o := h.outcome(t, k)
		require.Equal(t, StatusCommitted, o.Status, "%+v", o)
		require.NotEmpty(t, o.TxHash, "committed by its own tx, not found again after a stale verdict")
	}
	chain.mu.Lock()
	defer chain.mu.Unlock()
	require.Zero(t, chain.stale, "no envelope overtaken by a later one of its device")
	require.Positive(t, chain.outOfOrder, "reversed blocks of pipelined txs had no envelope out of order: the test did not test the rule")
	require.Equal(t, float64(chain.outOfOrder), counterValue(t, h.g.metrics.Resent.WithLabelValues("out_of_order")), "each out_of_order verdict sent again")
	require.Len(t, chain.records, len(keys))
	requireSeqOrder(t, chain)
}

// TestTxFailedAsAWholeIsSentAgainInOrder: a tx that fails as a whole (out of
// gas) while later txs of its lane are in flight: the later envelopes of its
// devices wait (out_of_order), everything is sent again and commits once,
// in order.
func TestTxFailedAsAWholeIsSentAgainInOrder(t *testing.T) {
	chain, _, _ := world(t)
	chain.reverse = true
	chain.failNext = 3
	keys, h := publishDevicesInBlocks(t, chain, 3, 20)
	for _, k := range keys {
		require.Equal(t, StatusCommitted, h.outcome(t, k).Status)
	}
	chain.mu.Lock()
	defer chain.mu.Unlock()
	require.Zero(t, chain.failNext, "the failures happened")
	require.Positive(t, counterValue(t, h.g.metrics.Resent.WithLabelValues("out_of_gas")))
	require.Zero(t, chain.stale)
	require.Len(t, chain.records, len(keys))
	requireSeqOrder(t, chain)
}

// publishDevicesInBlocks runs a gateway with 2 lanes of 4 txs in flight,
// publishes seqs 1..seqs of n devices, then commits the fake mempool as a
// block every 40 ms; it returns the receipts' keys.
func publishDevicesInBlocks(t *testing.T, chain *fakeChain, n int, seqs uint64) ([]spool.Key, *harness) {
	t.Helper()
	var devs []testDevice
	for i := range n {
		devs = append(devs, newTestDevice(t, chain, int64(100+i), 1, devicestypes.StatusActive))
	}
	cfg := testConfig(t.TempDir())
	cfg.Pipeline.Lanes, cfg.Pipeline.MaxInFlight = 2, 8
	cfg.Pipeline.BatchSize, cfg.Pipeline.BatchWindow = 5, 2*time.Millisecond
	cfg.Pipeline.TxTTL = 5 * time.Second
	h := startGateway(t, chain, cfg)
	var keys []spool.Key
	for seq := uint64(1); seq <= seqs; seq++ {
		for _, d := range devs {
			r, err := h.g.Receive(context.Background(), d.envelope(t, 1, seq, "v"), "test")
			require.NoError(t, err)
			keys = append(keys, r.Key)
		}
	}
	// Blocks start once every lane has its txs in flight: the first block
	// holds several txs of each lane, in reverse order.
	require.Eventually(t, func() bool {
		chain.mu.Lock()
		defer chain.mu.Unlock()
		return len(chain.mempool) >= 4
	}, 5*time.Second, time.Millisecond)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(40 * time.Millisecond):
				chain.block()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return keys, h
}

func counterValue(t *testing.T, c interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}

// requireSeqOrder checks each device's records were committed in seq order
// (heights never decrease with seq; mu held).
func requireSeqOrder(t *testing.T, chain *fakeChain) {
	t.Helper()
	last := map[string]streamstypes.Record{}
	for seq := uint64(1); ; seq++ {
		found := false
		for _, r := range chain.records {
			if r.Seq != seq {
				continue
			}
			found = true
			if prev, ok := last[r.DeviceId]; ok {
				require.LessOrEqual(t, prev.Height, r.Height, "device %s seq %d committed before seq %d", r.DeviceId, r.Seq, prev.Seq)
			}
			last[r.DeviceId] = r
		}
		if !found {
			return
		}
	}
}

// TestHTTPArrayVerifiedAsOneBatch: the signatures of an HTTP array are
// verified together up front; a forged one among them is still rejected
// with its reason, and only it goes through the one-by-one check.
func TestHTTPArrayVerifiedAsOneBatch(t *testing.T) {
	chain, a, b := world(t)
	h := startGateway(t, chain, testConfig(t.TempDir()))
	var envs []any
	for seq := uint64(1); seq <= 10; seq++ {
		for _, d := range []testDevice{a, b} {
			env := d.envelope(t, 1, seq, `{"v":1}`)
			if d.id == b.id && seq == 4 {
				env.Payload = []byte("tampered")
			}
			envs = append(envs, env.ToJSON())
		}
	}
	body, err := json.Marshal(envs)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.g.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/envelopes", bytes.NewReader(body)))
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var out struct {
		Envelopes []EnvelopeStatus `json:"envelopes"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &out))
	require.Len(t, out.Envelopes, 20)
	for _, s := range out.Envelopes {
		if s.DeviceID == b.id && s.Seq == 4 {
			require.Equal(t, streamstypes.ReasonBadSignature, s.Reason, "%+v", s)
			continue
		}
		require.Equal(t, StatusReceived, s.Status, "%+v", s)
	}
	require.Equal(t, 1, h.g.checker.sigs.checked, "only the forged envelope was checked on its own")
	for _, s := range out.Envelopes {
		if s.Status == StatusReceived {
			o := h.outcome(t, spool.Key{Device: s.DeviceID, Seq: s.Seq})
			require.Equal(t, StatusCommitted, o.Status, "%+v", o)
		}
	}
}
