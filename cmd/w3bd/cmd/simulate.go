package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/w3bd/w3bd/gateway"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// simDevice is one simulated device: a key on disk and its next seq.
type simDevice struct {
	key  *devicekey.PrivateKey
	id   string
	seq  uint64
	mqtt paho.Client
}

// SimulationReport is what `device simulate` prints at the end (--json).
//
// CommittedPS is the sustained rate: the readings committed in the blocks
// after the first one that committed any, over the time from the first
// commit acknowledgement of that block to the first of the last block.
// OverallPS is the whole run's: all commits over the time from the first
// send to the last commit acknowledgement; it includes the pipeline's
// filling and draining, so it stays below the offered rate even when every
// reading is committed.
type SimulationReport struct {
	Devices      int            `json:"devices"`
	Sent         int            `json:"sent"`
	SentPS       float64        `json:"sent_per_second"`
	Committed    int            `json:"committed"`
	Rejected     int            `json:"rejected"`
	Unacked      int            `json:"unacked"`
	Dropped      int            `json:"dropped"`
	Blocks       int            `json:"blocks"`
	Seconds      float64        `json:"seconds"`
	CommittedPS  float64        `json:"committed_per_second"`
	OverallPS    float64        `json:"overall_committed_per_second"`
	LatencyP50ms float64        `json:"latency_p50_ms"`
	LatencyP99ms float64        `json:"latency_p99_ms"`
	Reasons      map[string]int `json:"rejection_reasons,omitempty"`
}

func deviceSimulateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Simulate devices: keys (generated once), optional registration, signed readings to a gateway",
		Long: `Generates --devices keys in --key-dir (kept for later runs), registers them in the stream's
project with --register --from K, and publishes signed readings at --rate per second in total to a
gateway over MQTT (--mqtt HOST:PORT; one connection per device, acks read on its ack topic) or HTTP
(--http URL; ?wait=commit). Prints progress each second and a summary: committed per second and the
publish-to-commit latency p50/p99.`,
		Example: "w3bd device simulate --devices 100 --rate 1000 --stream 1 --mqtt 127.0.0.1:1883 --key-dir ./devs --register --from alice --chain-id w3bd-1",
		Args:    cobra.NoArgs,
		RunE:    runSimulate,
	}
	f := cmd.Flags()
	f.Int("devices", 10, "number of devices")
	f.Float64("rate", 10, "readings per second, all devices together")
	f.Uint64("stream", 0, "stream id (required)")
	f.String("mqtt", "", "gateway MQTT address host:port")
	f.String("http", "", "gateway HTTP base URL, e.g. http://127.0.0.1:8080")
	f.String("key-dir", "", "directory of the device keys (required)")
	f.String(flagAlgo, string(devicekey.Ed25519), "key algorithm of new devices")
	f.Bool("register", false, "register the devices not yet registered (needs --from, the project owner)")
	f.Duration("duration", 10*time.Second, "how long to publish")
	f.Duration("drain", 30*time.Second, "how long to wait for outstanding acknowledgements")
	f.Bool("json", false, "print the summary as JSON")
	f.Int("payload-bytes", 0, "pad readings to this size (0: a small JSON reading)")
	f.Int("ack-qos", 1, "QoS of the ack subscription (0: at most once, saves a PUBACK per reading)")
	f.Int("device-buffer", 1024, "readings a device buffers while its publishes are held back; beyond, it drops new readings (counted)")
	f.Bool("presign", false, "sign all readings of the run before publishing (benchmarks: real devices sign on their own chips, not on the gateway's CPU)")
	addPprofFlag(cmd)
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

func runSimulate(cmd *cobra.Command, _ []string) error {
	f := cmd.Flags()
	n, _ := f.GetInt("devices")
	rate, _ := f.GetFloat64("rate")
	stream, _ := f.GetUint64("stream")
	mqttAddr, _ := f.GetString("mqtt")
	httpURL, _ := f.GetString("http")
	keyDir, _ := f.GetString("key-dir")
	register, _ := f.GetBool("register")
	duration, _ := f.GetDuration("duration")
	drain, _ := f.GetDuration("drain")
	asJSON, _ := f.GetBool("json")
	padTo, _ := f.GetInt("payload-bytes")
	presign, _ := f.GetBool("presign")
	algo, err := algoFlag(cmd)
	if err != nil {
		return err
	}
	switch {
	case stream == 0:
		return errors.New("--stream is required")
	case keyDir == "":
		return errors.New("--key-dir is required")
	case (mqttAddr == "") == (httpURL == ""):
		return errors.New("give exactly one of --mqtt and --http")
	case n < 1 || rate <= 0:
		return errors.New("--devices and --rate must be positive")
	}
	clientCtx, err := client.GetClientTxContext(cmd)
	if err != nil {
		return err
	}
	servePprof(cmd, slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)))
	devs, err := loadDevices(keyDir, n, algo)
	if err != nil {
		return err
	}
	if err := syncDevices(cmd, clientCtx, devs, stream, register); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	t := newTracker()
	var send func(*simDevice, streamstypes.Envelope) error
	if mqttAddr != "" {
		ackQoS, _ := f.GetInt("ack-qos")
		if err := connectMQTT(devs, mqttAddr, ackQoS, t); err != nil {
			return err
		}
		defer func() {
			for _, d := range devs {
				d.mqtt.Disconnect(250)
			}
		}()
		send = func(d *simDevice, env streamstypes.Envelope) error { return publishMQTT(d, env) }
	} else {
		send = func(_ *simDevice, env streamstypes.Envelope) error { return postHTTP(ctx, httpURL, env, t) }
	}

	// Each device sends its readings in order, one at a time, as a real
	// device does; the loop below spreads the total rate over the devices.
	// A device whose buffer is full drops the reading (counted), as a device
	// with bounded memory does: one device the gateway holds back (no
	// PUBACK) must not hold back the others.
	queues := make(map[string]chan streamstypes.Envelope, len(devs))
	buffer, _ := f.GetInt("device-buffer")
	var wg sync.WaitGroup
	for _, d := range devs {
		q := make(chan streamstypes.Envelope, max(1, buffer))
		queues[d.id] = q
		wg.Add(1)
		go func() {
			defer wg.Done()
			for env := range q {
				if err := send(d, env); err != nil {
					t.failed(d.id, env.Seq, err)
				}
			}
		}()
	}
	// Readings go to the devices round-robin, at rate in total.
	makeReading := func(i int) (*simDevice, streamstypes.Envelope) {
		d := devs[i%len(devs)]
		d.seq++
		return d, streamstypes.Envelope{StreamId: stream, DeviceId: d.id, Seq: d.seq, TimestampMs: uint64(time.Now().UnixMilli()),
			Payload: reading(i, padTo)}
	}
	sign := func(d *simDevice, env *streamstypes.Envelope) (err error) {
		env.Signature, err = d.key.Sign(env.SignBytes(clientCtx.ChainID))
		return err
	}
	total := int(rate*duration.Seconds()) + 1
	var signed []streamstypes.Envelope
	if presign {
		signed = make([]streamstypes.Envelope, total)
		for i := range signed {
			_, signed[i] = makeReading(i)
		}
		if err := signAll(signed, func(i int) error { return sign(devs[i%len(devs)], &signed[i]) }); err != nil {
			return err
		}
		cmd.PrintErrf("signed %d readings ahead\n", len(signed))
	}
	start := time.Now()
	t.begin(start)
	progress := time.NewTicker(time.Second)
	defer progress.Stop()
	interval := time.Duration(float64(time.Second) / rate)
	due := start
	for i := 0; ctx.Err() == nil && time.Since(start) < duration && i < total; i++ {
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
		due = due.Add(interval)
		select {
		case <-progress.C:
			t.print(cmd, time.Since(start))
		default:
		}
		d, env := devs[i%len(devs)], streamstypes.Envelope{}
		if presign {
			env = signed[i]
		} else {
			d, env = makeReading(i)
			if err := sign(d, &env); err != nil {
				return err
			}
		}
		select {
		case queues[d.id] <- env:
			t.sent(d.id, env.Seq, due.Add(-interval))
		default:
			t.drop()
		}
	}
	for _, q := range queues {
		close(q)
	}
	wg.Wait()
	sent := time.Since(start)
	for deadline := time.Now().Add(drain); t.outstanding() > 0 && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(100 * time.Millisecond)
	}
	if err := saveSeqs(keyDir, devs); err != nil {
		return err
	}
	rep := t.report(len(devs), sent)
	if asJSON {
		b, _ := json.Marshal(rep)
		cmd.Println(string(b))
		return nil
	}
	cmd.Printf("devices %d  sent %d  committed %d  rejected %d %v  unacknowledged %d  dropped by full device buffers %d\n",
		rep.Devices, rep.Sent, rep.Committed, rep.Rejected, rep.Reasons, rep.Unacked, rep.Dropped)
	cmd.Printf("sent %.0f readings/s; committed %.0f readings/s sustained over %d blocks, %.0f/s from the first send to the last commit (%.1fs)\n",
		rep.SentPS, rep.CommittedPS, rep.Blocks, rep.OverallPS, rep.Seconds)
	cmd.Printf("publish-to-commit latency p50 %.0f ms, p99 %.0f ms\n", rep.LatencyP50ms, rep.LatencyP99ms)
	return nil
}

// sustainedRate is the readings committed after the first block that
// committed any, per second from that block's first acknowledgement to the
// last block's; 0 with fewer than two blocks.
func sustainedRate(blocks map[int64]*blockAcks) float64 {
	var first, last *blockAcks
	for _, b := range blocks {
		if first == nil || b.first.Before(first.first) {
			first = b
		}
		if last == nil || b.first.After(last.first) {
			last = b
		}
	}
	if first == last {
		return 0
	}
	n := 0
	for _, b := range blocks {
		n += b.count
	}
	return float64(n-first.count) / last.first.Sub(first.first).Seconds()
}

// signAll runs sign(i) for every reading, on all cores.
func signAll(envs []streamstypes.Envelope, sign func(int) error) error {
	var g errgroup.Group
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		g.Go(func() error {
			for i := w; i < len(envs); i += workers {
				if err := sign(i); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// reading is a small JSON reading, padded to pad bytes when pad > 0.
func reading(i, pad int) []byte {
	b := fmt.Appendf(nil, `{"temp_c":%d.%d,"hum":%d}`, 15+i%20, i%10, 30+i%50)
	if pad > len(b) {
		b = append(b[:len(b)-1], fmt.Sprintf(`,"pad":"%s"}`, bytes.Repeat([]byte("x"), max(0, pad-len(b)-10)))...)
	}
	return b
}

// loadDevices reads device-<i>.pem from dir, creating the missing ones.
func loadDevices(dir string, n int, algo devicekey.Algo) ([]*simDevice, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	seqs := readSeqs(dir)
	devs := make([]*simDevice, n)
	for i := range devs {
		path := filepath.Join(dir, fmt.Sprintf("device-%d.pem", i))
		key, err := readKey(path)
		if errors.Is(err, os.ErrNotExist) {
			if key, err = devicekey.GenerateKey(algo, nil); err != nil {
				return nil, err
			}
			pem, err := devicekey.MarshalPKCS8PEM(key)
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(path, pem, 0o600); err != nil {
				return nil, err
			}
		} else if err != nil {
			return nil, err
		}
		id := devicekey.DeviceID(key.Algo(), key.PublicKey())
		devs[i] = &simDevice{key: key, id: id, seq: seqs[id]}
	}
	return devs, nil
}

func readSeqs(dir string) map[string]uint64 {
	seqs := map[string]uint64{}
	if b, err := os.ReadFile(filepath.Join(dir, "seqs.json")); err == nil {
		json.Unmarshal(b, &seqs)
	}
	return seqs
}

// saveSeqs keeps each device's last used seq for the next run.
func saveSeqs(dir string, devs []*simDevice) error {
	seqs := readSeqs(dir)
	for _, d := range devs {
		seqs[d.id] = max(seqs[d.id], d.seq)
	}
	b, err := json.MarshalIndent(seqs, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "seqs.json"), b, 0o600)
}

// syncDevices brings the devices' seqs up to the chain's and registers the
// unregistered ones when asked (in transactions of up to 200 registrations).
func syncDevices(cmd *cobra.Command, clientCtx client.Context, devs []*simDevice, stream uint64, register bool) error {
	ctx := cmd.Context()
	dq := devicestypes.NewQueryClient(clientCtx)
	s, err := streamstypes.NewQueryClient(clientCtx).Stream(ctx, &streamstypes.QueryStreamRequest{Id: stream})
	if err != nil {
		return fmt.Errorf("stream %d: %w", stream, err)
	}
	var missing []sdk.Msg
	for _, d := range devs {
		res, err := dq.Device(ctx, &devicestypes.QueryDeviceRequest{DeviceId: d.id})
		if err == nil {
			d.seq = max(d.seq, res.Device.LastSeq)
			continue
		}
		if !register {
			return fmt.Errorf("device %s is not registered (use --register --from <project owner>)", d.id)
		}
		missing = append(missing, &devicestypes.MsgRegisterDevice{
			Owner: clientCtx.FromAddress.String(), ProjectId: s.Stream.ProjectId, PubKey: d.key.PublicKey(), Algo: string(d.key.Algo()),
		})
	}
	if len(missing) == 0 {
		return nil
	}
	if clientCtx.FromName == "" {
		return fmt.Errorf("--register needs --from")
	}
	txf, err := tx.NewFactoryCLI(clientCtx, cmd.Flags())
	if err != nil {
		return err
	}
	for len(missing) > 0 {
		batch := missing[:min(200, len(missing))]
		missing = missing[len(batch):]
		txf, err = txf.Prepare(clientCtx)
		if err != nil {
			return err
		}
		txf = txf.WithGas(uint64(100_000 + 60_000*len(batch)))
		txb, err := txf.BuildUnsignedTx(batch...)
		if err != nil {
			return err
		}
		if err := tx.Sign(ctx, txf, clientCtx.FromName, txb, true); err != nil {
			return err
		}
		bz, err := clientCtx.TxConfig.TxEncoder()(txb.GetTx())
		if err != nil {
			return err
		}
		res, err := clientCtx.BroadcastTxSync(bz)
		if err != nil {
			return err
		}
		if res.Code != 0 {
			return fmt.Errorf("register devices: %s", res.RawLog)
		}
		if err := waitRegistered(ctx, dq, batch); err != nil {
			return err
		}
		txf = txf.WithSequence(txf.Sequence() + 1)
		cmd.PrintErrf("registered %d devices\n", len(batch))
	}
	return nil
}

func waitRegistered(ctx context.Context, dq devicestypes.QueryClient, msgs []sdk.Msg) error {
	last := msgs[len(msgs)-1].(*devicestypes.MsgRegisterDevice)
	id := devicekey.DeviceID(devicekey.Algo(last.Algo), last.PubKey)
	for range 120 {
		if _, err := dq.Device(ctx, &devicestypes.QueryDeviceRequest{DeviceId: id}); err == nil {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("device registrations not committed after 30s")
}

func connectMQTT(devs []*simDevice, addr string, ackQoS int, t *tracker) error {
	for _, d := range devs {
		opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(d.id).
			SetCleanSession(true).SetAutoReconnect(true).SetConnectTimeout(10 * time.Second).SetWriteTimeout(10 * time.Second)
		c := paho.NewClient(opts)
		if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
			return fmt.Errorf("MQTT connect %s as %s: %v", addr, d.id, tok.Error())
		}
		tok := c.Subscribe(gateway.AckTopic(d.id), byte(ackQoS), func(_ paho.Client, m paho.Message) {
			var a gateway.Ack
			if json.Unmarshal(m.Payload(), &a) == nil {
				t.acked(a.DeviceID, a.Seq, a.Status, a.Reason, a.Height)
			}
		})
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			return fmt.Errorf("MQTT subscribe: %v", tok.Error())
		}
		d.mqtt = c
	}
	return nil
}

// publishMQTT publishes with QoS 1 and retries while the gateway withholds
// its PUBACK (backpressure); duplicates are harmless (same seq).
func publishMQTT(d *simDevice, env streamstypes.Envelope) error {
	payload, err := env.Marshal()
	if err != nil {
		return err
	}
	for attempt := 0; attempt < 20; attempt++ {
		tok := d.mqtt.Publish(gateway.PublishTopic(env.StreamId, env.DeviceId), 1, false, payload)
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			return nil
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	return errors.New("no PUBACK after 20 attempts")
}

// postHTTP sends one envelope and waits for its commit.
func postHTTP(ctx context.Context, base string, env streamstypes.Envelope, t *tracker) error {
	body, err := json.Marshal(env.ToJSON())
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/envelopes?wait=commit", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		var out struct {
			Envelopes []gateway.EnvelopeStatus `json:"envelopes"`
		}
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests && attempt < 50 {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if err != nil || len(out.Envelopes) != 1 {
			return fmt.Errorf("gateway answered %s", res.Status)
		}
		s := out.Envelopes[0]
		if s.Status != gateway.StatusReceived {
			t.acked(s.DeviceID, s.Seq, s.Status, s.Reason, s.Height)
		}
		return nil
	}
}

// tracker matches acknowledgements to sends.
type tracker struct {
	mu        sync.Mutex
	sentAt    map[string]time.Time
	nsent     int
	dropped   int
	committed int
	rejected  int
	reasons   map[string]int
	latencies []time.Duration
	start     time.Time
	lastAck   time.Time
	blocks    map[int64]*blockAcks
}

// blockAcks is what the commit acknowledgements tell of one block.
type blockAcks struct {
	first time.Time // the first acknowledgement
	count int
}

func newTracker() *tracker {
	return &tracker{sentAt: map[string]time.Time{}, reasons: map[string]int{}, blocks: map[int64]*blockAcks{}}
}

func (t *tracker) begin(at time.Time) {
	t.mu.Lock()
	t.start = at
	t.mu.Unlock()
}

func trackKey(device string, seq uint64) string { return device + "/" + strconv.FormatUint(seq, 10) }

// sent records a reading handed to its device at the time it was due.
func (t *tracker) sent(device string, seq uint64, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sentAt[trackKey(device, seq)] = at
	t.nsent++
}

// drop counts a reading its device had no room to buffer.
func (t *tracker) drop() {
	t.mu.Lock()
	t.dropped++
	t.mu.Unlock()
}

func (t *tracker) acked(device string, seq uint64, status, reason string, height int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := trackKey(device, seq)
	at, ok := t.sentAt[k]
	if !ok {
		return // a duplicate ack
	}
	delete(t.sentAt, k)
	if status == gateway.StatusCommitted {
		now := time.Now()
		t.committed++
		t.lastAck = now
		t.latencies = append(t.latencies, now.Sub(at))
		b := t.blocks[height]
		if b == nil {
			b = &blockAcks{first: now}
			t.blocks[height] = b
		}
		b.count++
	} else {
		t.rejected++
		t.reasons[reason]++
	}
}

func (t *tracker) failed(device string, seq uint64, err error) {
	t.acked(device, seq, gateway.StatusRejected, "send_failed: "+err.Error(), 0)
}

func (t *tracker) outstanding() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sentAt)
}

func (t *tracker) print(cmd *cobra.Command, elapsed time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cmd.PrintErrf("%5.1fs sent %d committed %d rejected %d waiting %d\n", elapsed.Seconds(), t.nsent, t.committed, t.rejected, len(t.sentAt))
}

func (t *tracker) report(devices int, sending time.Duration) SimulationReport {
	t.mu.Lock()
	defer t.mu.Unlock()
	// The rate runs from the first send to the last commit acknowledged, so
	// acknowledgements that arrive after the sending are not over-counted.
	span := max(sending, t.lastAck.Sub(t.start))
	r := SimulationReport{Devices: devices, Sent: t.nsent, Committed: t.committed, Rejected: t.rejected,
		Unacked: len(t.sentAt), Dropped: t.dropped, Blocks: len(t.blocks), Seconds: span.Seconds(), Reasons: t.reasons}
	if sending > 0 {
		r.SentPS = float64(t.nsent) / sending.Seconds()
	}
	if span > 0 {
		r.OverallPS = float64(t.committed) / span.Seconds()
	}
	r.CommittedPS = sustainedRate(t.blocks)
	if len(t.latencies) > 0 {
		sort.Slice(t.latencies, func(i, j int) bool { return t.latencies[i] < t.latencies[j] })
		pct := func(p float64) float64 {
			return float64(t.latencies[min(len(t.latencies)-1, int(p*float64(len(t.latencies))))].Milliseconds())
		}
		r.LatencyP50ms, r.LatencyP99ms = pct(0.50), pct(0.99)
	}
	return r
}
