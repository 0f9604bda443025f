package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	mqtt "github.com/mochi-mqtt/server/v2"

	"github.com/w3bd/w3bd/gateway/spool"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// ErrBusy refuses receipt for now (queue full, chain unreachable, spool
// failing): MQTT sends no PUBACK, HTTP answers 429 or 503; the device retries.
var ErrBusy = errors.New("gateway busy, retry later")

// Config is the gateway's configuration (flags or the [gateway] section of app.toml).
type Config struct {
	MQTTAddr    string // "" disables MQTT
	HTTPAddr    string // "" disables HTTP
	TLSCertFile string // both set: MQTT and HTTP over TLS
	TLSKeyFile  string
	SpoolDir    string
	CacheTTL    time.Duration // chain state cached by the early checks
	WaitTimeout time.Duration // longest ?wait=commit
	Pipeline    PipelineConfig
}

// DefaultConfig is a gateway on loopback with batches of up to 1000
// envelopes every 100 ms, in 4 lanes with 128 transactions in flight.
func DefaultConfig() Config {
	return Config{
		MQTTAddr: "127.0.0.1:1883", HTTPAddr: "127.0.0.1:8080",
		CacheTTL: 10 * time.Second, WaitTimeout: 60 * time.Second,
		Pipeline: PipelineConfig{
			QueueSize: 50_000, BatchSize: 1000, BatchWindow: 100 * time.Millisecond, Lanes: 4, MaxInFlight: 128,
			GasBase: 300_000, GasPerEnvelope: 60_000, ConfirmEvery: 50 * time.Millisecond, TxTTL: 60 * time.Second,
		},
	}
}

// Receipt is what the gateway answers when it takes an envelope.
type Receipt struct {
	Key    spool.Key
	Status string // received, committed (already on chain), rejected
	Reason string
	Error  string
	Height int64
	TxHash string
}

// Gateway is the MQTT/HTTP service endpoint.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	spool   *spool.Spool
	checker *Checker
	pipe    *Pipeline
	metrics *Metrics
	broker  *mqtt.Server
	http    *http.Server
	events  EventSource

	ready    chan struct{} // closed once the spool's pending envelopes are queued again
	mu       sync.Mutex
	waiters  map[spool.Key][]chan Outcome
	rejected *recent // early rejections, for status lookups (never spooled)
}

// New opens the spool and prepares the gateway to submit with the key named
// in clientCtx.FromName.
func New(cfg Config, clientCtx client.Context, txf tx.Factory, log *slog.Logger) (*Gateway, error) {
	sub, err := newChainSubmitter(clientCtx, txf, cfg.Pipeline.TxTTL, cfg.Pipeline.ConfirmEvery, log)
	if err != nil {
		return nil, err
	}
	chain := grpcChain{devices: devicestypes.NewQueryClient(clientCtx), streams: streamstypes.NewQueryClient(clientCtx)}
	return newGateway(cfg, clientCtx.ChainID, chain, sub, cometEvents(clientCtx.NodeURI), log)
}

func newGateway(cfg Config, chainID string, chain ChainQuerier, sub Submitter, events EventSource, log *slog.Logger) (*Gateway, error) {
	sp, err := spool.Open(cfg.SpoolDir, spool.Options{})
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", cfg.SpoolDir, err)
	}
	g := &Gateway{cfg: cfg, log: log, spool: sp, events: events, ready: make(chan struct{}), waiters: map[spool.Key][]chan Outcome{}, rejected: newRecent(10_000)}
	g.metrics = newMetrics(func() float64 { return float64(sp.PendingCount()) })
	g.checker = NewChecker(chainID, chain, cfg.CacheTTL)
	g.pipe = newPipeline(cfg.Pipeline, sub, sp, g.checker, g.metrics, log, g.settled)
	return g, nil
}

// Run serves MQTT and HTTP and delivers envelopes until ctx ends. It first
// resubmits whatever the spool holds that is not known final.
func (g *Gateway) Run(ctx context.Context) error {
	defer g.spool.Close()
	var tlsConf *tls.Config
	if g.cfg.TLSCertFile != "" || g.cfg.TLSKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(g.cfg.TLSCertFile, g.cfg.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("TLS certificate: %w", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	pipeCtx, stopPipe := context.WithCancel(context.Background())
	pipeDone := make(chan struct{})
	go func() { g.pipe.Run(pipeCtx); close(pipeDone) }()
	g.recover(ctx)
	close(g.ready)

	errs := make(chan error, 3)
	if g.cfg.MQTTAddr != "" {
		if err := g.startMQTT(tlsConf, errs); err != nil {
			stopPipe()
			return err
		}
	}
	if g.cfg.HTTPAddr != "" {
		if err := g.startHTTP(tlsConf, errs); err != nil {
			stopPipe()
			return err
		}
	}
	go g.watchChain(ctx)
	g.log.Info("gateway running", "mqtt", g.cfg.MQTTAddr, "http", g.cfg.HTTPAddr, "pending", g.spool.PendingCount())

	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	if g.broker != nil {
		g.broker.Close()
	}
	if g.http != nil {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		g.http.Shutdown(shut)
		cancel()
	}
	// Stop batching; envelopes still queued stay in the spool for next time.
	stopPipe()
	<-pipeDone
	return err
}

// recover queues the spool's non-final envelopes again, in receive order.
func (g *Gateway) recover(ctx context.Context) {
	pending := g.spool.Pending()
	for _, rec := range pending {
		var env streamstypes.Envelope
		if err := env.Unmarshal(rec.Data); err != nil {
			g.log.Error("spool holds an undecodable envelope; dropping it", "device", rec.Key.Device, "seq", rec.Key.Seq, "err", err)
			g.spool.MarkRejected(rec.Key, streamstypes.ReasonMalformed)
			continue
		}
		g.checker.Reserved(rec.Key.Device, rec.Key.Seq)
		for !g.pipe.Enqueue(&item{key: rec.Key, env: env, received: rec.ReceivedAt}) {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if len(pending) > 0 {
		g.log.Info("resubmitting spooled envelopes", "count", len(pending))
	}
}

// Receive judges, spools and queues one envelope; transport labels metrics.
func (g *Gateway) Receive(ctx context.Context, env streamstypes.Envelope, transport string) (Receipt, error) {
	return g.receive(ctx, env, transport, false)
}

// receive is Receive; sigVerified says the checker's VerifySignatures found
// env's signature good already.
func (g *Gateway) receive(ctx context.Context, env streamstypes.Envelope, transport string, sigVerified bool) (Receipt, error) {
	select {
	case <-g.ready: // after recovery: a receipt must not race the re-queueing of the spool
	case <-ctx.Done():
		return Receipt{}, ErrBusy
	}
	g.metrics.Received.WithLabelValues(transport).Inc()
	key := spool.Key{Device: env.DeviceId, Seq: env.Seq}
	data, err := env.Marshal()
	if err != nil {
		return g.early(key, streamstypes.ReasonMalformed, err.Error()), nil
	}
	if rec, ok := g.spool.Get(key); ok {
		if rec.Data != nil || rec.Status != spool.Committed {
			return g.duplicate(rec, data), nil
		}
		// A committed record keeps no data: compare with the chain's record.
		onChain, same, err := g.checker.SameOnChain(ctx, &env)
		if err != nil {
			return Receipt{}, ErrBusy
		}
		if same {
			return Receipt{Key: key, Status: StatusCommitted, Height: onChain.Height, TxHash: rec.TxHash}, nil
		}
		return g.early(key, streamstypes.ReasonStaleSeq, "another envelope already has this seq"), nil
	}
	if g.pipe.Full(key.Device) {
		return Receipt{}, ErrBusy
	}
	if err := g.checker.check(ctx, &env, sigVerified); err != nil {
		var rej *Rejection
		if !errors.As(err, &rej) {
			g.log.Warn("early check failed", "err", err)
			return Receipt{}, ErrBusy
		}
		if rej.Reason == streamstypes.ReasonStaleSeq {
			if rec, same, err := g.checker.SameOnChain(ctx, &env); err == nil && same {
				return Receipt{Key: key, Status: StatusCommitted, Height: rec.Height}, nil
			}
		}
		return g.early(key, rej.Reason, rej.Err), nil
	}
	fresh, err := g.spool.Append([]spool.Record{{Key: key, Data: data, ReceivedAt: time.Now()}})
	if err != nil {
		g.checker.Release(key.Device, key.Seq)
		g.log.Error("spool append failed", "err", err)
		return Receipt{}, ErrBusy
	}
	if fresh[0] {
		it := &item{key: key, env: env, received: time.Now()}
		for !g.pipe.Enqueue(it) { // spooled: it must be queued, wait for room
			if ctx.Err() != nil {
				break // stays in the spool; delivered after the next start
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return Receipt{Key: key, Status: StatusReceived}, nil
}

// duplicate answers an envelope whose (device, seq) the spool knows; data
// nil asks only for the status.
func (g *Gateway) duplicate(rec spool.Record, data []byte) Receipt {
	r := Receipt{Key: rec.Key}
	if data != nil && rec.Data != nil && string(rec.Data) != string(data) {
		r.Status, r.Reason, r.Error = StatusRejected, streamstypes.ReasonStaleSeq, "another envelope already has this seq"
		return r
	}
	switch rec.Status {
	case spool.Committed:
		r.Status, r.Height, r.TxHash = StatusCommitted, rec.Height, rec.TxHash
	case spool.Rejected:
		r.Status, r.Reason = StatusRejected, rec.Reason
	default:
		r.Status = StatusReceived
	}
	return r
}

// early records an early rejection (in memory only: a forged envelope must
// not occupy its device's seq in the spool) and acknowledges it.
func (g *Gateway) early(key spool.Key, reason, why string) Receipt {
	g.metrics.Rejected.WithLabelValues(reason).Inc()
	r := Receipt{Key: key, Status: StatusRejected, Reason: reason, Error: why}
	g.rejected.put(key, r)
	return r
}

// Status is what the gateway knows of (device, seq).
func (g *Gateway) Status(key spool.Key) (Receipt, bool) {
	if rec, ok := g.spool.Get(key); ok {
		return g.duplicate(rec, nil), true
	}
	return g.rejected.get(key)
}

// settled is called by the pipeline with each envelope's final outcome.
func (g *Gateway) settled(o Outcome) {
	g.ackMQTT(ackOf(o))
	g.mu.Lock()
	ws := g.waiters[o.Key]
	delete(g.waiters, o.Key)
	g.mu.Unlock()
	for _, w := range ws {
		w <- o
	}
}

// wait registers for the outcome of key; cancel unregisters.
func (g *Gateway) wait(key spool.Key) (<-chan Outcome, func()) {
	ch := make(chan Outcome, 1)
	g.mu.Lock()
	g.waiters[key] = append(g.waiters[key], ch)
	g.mu.Unlock()
	return ch, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		ws := g.waiters[key]
		for i, w := range ws {
			if w == ch {
				g.waiters[key] = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(g.waiters[key]) == 0 {
			delete(g.waiters, key)
		}
	}
}

// watchChain drops cached device state when a devices transaction touches
// it (registration, status change), so early checks follow the chain within
// a block instead of within the cache TTL.
func (g *Gateway) watchChain(ctx context.Context) {
	if g.events == nil {
		return
	}
	events, err := g.events(ctx, "tm.event='Tx' AND message.module='devices'")
	if err != nil {
		g.log.Warn("no event subscription; relying on the cache TTL", "err", err)
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, open := <-events:
			if !open {
				return
			}
			for k, ids := range ev {
				if strings.HasSuffix(k, "."+devicestypes.AttributeKeyDeviceID) {
					for _, id := range ids {
						g.checker.Forget(id)
					}
				}
			}
		}
	}
}

func listen(addr string, tlsConf *tls.Config) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		l = tls.NewListener(l, tlsConf)
	}
	return l, nil
}
