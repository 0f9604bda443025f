package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gatewayProc is a `w3bd gateway start` process.
type gatewayProc struct {
	t          *testing.T
	cmd        *exec.Cmd
	done       chan struct{}
	mqtt, http string
	spool      string
	logPath    string
}

func startGatewayProc(t *testing.T, n *Node, from, spool string, extra ...string) *gatewayProc {
	t.Helper()
	p := freePorts(t, 2)
	g := &gatewayProc{t: t, mqtt: fmt.Sprintf("127.0.0.1:%d", p[0]), http: fmt.Sprintf("127.0.0.1:%d", p[1]), spool: spool}
	g.start(n, from, extra...)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(g.logPath)
			t.Logf("gateway log %s:\n%s", g.logPath, b)
		}
	})
	return g
}

func (g *gatewayProc) start(n *Node, from string, extra ...string) {
	g.t.Helper()
	args := append([]string{"gateway", "start", "--node", n.RPC, "--from", from, "--keyring-backend", "test",
		"--home", n.Home, "--chain-id", n.ChainID, "--mqtt", g.mqtt, "--http", g.http, "--spool-dir", g.spool}, extra...)
	g.logPath = filepath.Join(g.spool, "..", filepath.Base(g.spool)+".log")
	logf, err := os.OpenFile(g.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	require.NoError(g.t, err)
	g.cmd = exec.Command(binary, args...)
	g.cmd.Stdout, g.cmd.Stderr = logf, logf
	require.NoError(g.t, g.cmd.Start())
	g.done = make(chan struct{})
	cmd, done := g.cmd, g.done
	go func() { cmd.Wait(); logf.Close(); close(done) }()
	g.t.Cleanup(func() { g.kill() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + g.http + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-done:
			b, _ := os.ReadFile(g.logPath)
			g.t.Fatalf("gateway exited:\n%s", b)
		default:
		}
		time.Sleep(100 * time.Millisecond)
	}
	g.t.Fatal("gateway not healthy in 30s")
}

// kill is SIGKILL: no shutdown of any kind.
func (g *gatewayProc) kill() {
	if g.cmd != nil && g.cmd.Process != nil {
		g.cmd.Process.Kill()
		<-g.done
	}
}

func (g *gatewayProc) metric(t *testing.T, name string) float64 {
	t.Helper()
	res, err := http.Get("http://" + g.http + "/metrics")
	require.NoError(t, err)
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == name {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// ack is what the gateway publishes on w3b/v1/acks/<device>.
type ack struct {
	DeviceID string `json:"device_id"`
	Seq      uint64 `json:"seq"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Height   int64  `json:"height"`
	TxHash   string `json:"tx_hash"`
}

// ackReader is mosquitto_sub on a device's ack topic.
type ackReader struct {
	cmd        *exec.Cmd
	mu         sync.Mutex
	acks       []ack
	subscribed bool
}

func subscribeAcks(t *testing.T, broker, device string) *ackReader {
	t.Helper()
	host, port, _ := strings.Cut(broker, ":")
	// stdbuf: mosquitto_sub's stdout is block-buffered on a pipe.
	r := &ackReader{cmd: exec.Command("stdbuf", "-oL", "-eL", "mosquitto_sub", "-h", host, "-p", port, "-u", device,
		"-i", "sub-"+device[len(device)-8:], "-t", "w3b/v1/acks/"+device, "-q", "1", "-d")}
	out, err := r.cmd.StdoutPipe()
	require.NoError(t, err)
	r.cmd.Stderr = r.cmd.Stdout
	require.NoError(t, r.cmd.Start())
	t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var a ack
			r.mu.Lock()
			if json.Unmarshal(sc.Bytes(), &a) == nil && a.Status != "" {
				r.acks = append(r.acks, a)
			} else if strings.Contains(sc.Text(), "SUBACK") {
				r.subscribed = true
			}
			r.mu.Unlock()
		}
	}()
	// -d prints SUBACK once the subscription is in place.
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.subscribed
	}, 10*time.Second, 50*time.Millisecond)
	return r
}

func (r *ackReader) wait(t *testing.T, seq uint64) ack {
	t.Helper()
	var found ack
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, a := range r.acks {
			if a.Seq == seq {
				found = a
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "no ack for seq %d", seq)
	return found
}

func mosquittoPub(t *testing.T, broker, device string, stream uint64, payload []byte) {
	t.Helper()
	host, port, _ := strings.Cut(broker, ":")
	out, err := exec.Command("mosquitto_pub", "-h", host, "-p", port, "-u", device, "-i", "pub-"+device[len(device)-8:],
		"-t", fmt.Sprintf("w3b/v1/streams/%d/devices/%s", stream, device), "-q", "1", "-m", string(payload)).CombinedOutput()
	require.NoError(t, err, string(out))
}

func curlPost(t *testing.T, url string, body []byte) (int, []byte) {
	t.Helper()
	f := writeFile(t, t.TempDir(), "body.json", body)
	out, err := exec.Command("curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST",
		"-H", "Content-Type: application/json", "--data-binary", "@"+f, url).Output()
	require.NoError(t, err)
	i := bytes.LastIndexByte(bytes.TrimRight(out, "\n"), '\n')
	code, _ := strconv.Atoi(strings.TrimSpace(string(out[i+1:])))
	return code, out[:i]
}

// gatewayWorld is a node with a project, a stream and registered devices.
func gatewayWorld(t *testing.T, chainID string, devices int) (*Node, uint64, []device) {
	t.Helper()
	n := NewSingleNode(t, chainID)
	n.Start()
	dir := t.TempDir()
	res := n.Tx("alice", "tx", "devices", "create-project", "fleet")
	project := res.EventAttrs("w3b.devices.project_created")[0]["project_id"]
	var devs []device
	for i := range devices {
		d := keygen(t, dir, fmt.Sprintf("dev%d", i), []string{"p256", "ed25519", "secp256k1"}[i%3])
		require.Zero(t, n.Tx("alice", "tx", "devices", "register-device", project, d.pub, "--algo", d.algo).Code)
		devs = append(devs, d)
	}
	res = n.Tx("alice", "tx", "streams", "create-stream", project, "telemetry")
	sid, _ := strconv.ParseUint(res.EventAttrs("w3b.streams.stream_created")[0]["stream_id"], 10, 64)
	return n, sid, devs
}

func signJSON(t *testing.T, d device, chainID string, stream, seq uint64, payload string) []byte {
	t.Helper()
	env := d.sign(t, t.TempDir(), chainID, stream, seq, payload)
	b, err := json.Marshal(env)
	require.NoError(t, err)
	return b
}

// TestGatewayMQTTAndHTTP drives a real gateway with real clients: readings
// published with mosquitto_pub (signed by `w3bd device sign`) are committed
// and acknowledged on the ack topic read with mosquitto_sub; HTTP with curl;
// forged, replayed and unknown-device envelopes get rejected acks and never
// reach a transaction.
func TestGatewayMQTTAndHTTP(t *testing.T) {
	const chainID = "w3bd-gw"
	n, stream, devs := gatewayWorld(t, chainID, 2)
	a, b := devs[0], devs[1]
	// Over the node's gRPC here; the other gateway tests use CometBFT's RPC.
	gw := startGatewayProc(t, n, "bob", filepath.Join(t.TempDir(), "spool"), "--grpc-addr", n.GRPC, "--grpc-insecure")

	acksA := subscribeAcks(t, gw.mqtt, a.id)
	first := signJSON(t, a, chainID, stream, 1, `{"temp_c":21.5}`)
	mosquittoPub(t, gw.mqtt, a.id, stream, first)
	got := acksA.wait(t, 1)
	require.Equal(t, "committed", got.Status, "%+v", got)
	require.NotZero(t, got.Height)
	require.Len(t, got.TxHash, 64)
	require.Equal(t, 1, recordCount(t, n, strconv.FormatUint(stream, 10)))

	// Forged: a valid envelope whose payload was changed afterwards.
	var forged map[string]any
	require.NoError(t, json.Unmarshal(signJSON(t, a, chainID, stream, 2, `{"temp_c":22}`), &forged))
	forged["payload"] = fmt.Sprintf("%x", `{"temp_c":99}`)
	fb, _ := json.Marshal(forged)
	mosquittoPub(t, gw.mqtt, a.id, stream, fb)
	got = acksA.wait(t, 2)
	require.Equal(t, "rejected", got.Status)
	require.Equal(t, "bad_signature", got.Reason)

	// Replayed: an old seq with another reading is rejected; the very same
	// envelope again is recognised and reported committed, not resubmitted.
	mosquittoPub(t, gw.mqtt, a.id, stream, signJSON(t, a, chainID, stream, 1, `{"temp_c":0}`))
	var replay ack
	require.Eventually(t, func() bool {
		acksA.mu.Lock()
		defer acksA.mu.Unlock()
		for _, x := range acksA.acks {
			if x.Seq == 1 && x.Status == "rejected" {
				replay = x
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond)
	require.Equal(t, "stale_seq", replay.Reason)

	// Unknown device: a key nobody registered, publishing on its own topic.
	stranger := keygen(t, t.TempDir(), "stranger", "p256")
	acksS := subscribeAcks(t, gw.mqtt, stranger.id)
	mosquittoPub(t, gw.mqtt, stranger.id, stream, signJSON(t, stranger, chainID, stream, 1, `{}`))
	got = acksS.wait(t, 1)
	require.Equal(t, "unknown_device", got.Reason)

	// A device may only publish under its own id: the broker refuses b's
	// envelope on a's topic (the MQTT 3.1.1 client is disconnected).
	host, port, _ := strings.Cut(gw.mqtt, ":")
	err := exec.Command("mosquitto_pub", "-h", host, "-p", port, "-u", b.id, "-i", "impostor",
		"-t", fmt.Sprintf("w3b/v1/streams/%d/devices/%s", stream, a.id), "-q", "1",
		"-m", string(signJSON(t, b, chainID, stream, 1, `{}`))).Run()
	require.Error(t, err, "publishing under another device's topic is refused")

	// MQTT 5 clients are served too.
	mosquittoPubV5 := exec.Command("mosquitto_pub", "-V", "mqttv5", "-h", host, "-p", port, "-u", a.id, "-i", "pub5-"+a.id[len(a.id)-8:],
		"-t", fmt.Sprintf("w3b/v1/streams/%d/devices/%s", stream, a.id), "-q", "1",
		"-m", string(signJSON(t, a, chainID, stream, 3, `{"temp_c":23}`)))
	out, err := mosquittoPubV5.CombinedOutput()
	require.NoError(t, err, string(out))
	got = acksA.wait(t, 3)
	require.Equal(t, "committed", got.Status, "%+v", got)

	// HTTP with curl: wait for the commit.
	code, body := curlPost(t, "http://"+gw.http+"/v1/envelopes?wait=commit", signJSON(t, b, chainID, stream, 1, `{"temp_c":19}`))
	require.Equal(t, http.StatusOK, code, string(body))
	var res struct {
		Envelopes []struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
			Height int64  `json:"height"`
			TxHash string `json:"tx_hash"`
		} `json:"envelopes"`
	}
	require.NoError(t, json.Unmarshal(body, &res), string(body))
	require.Equal(t, "committed", res.Envelopes[0].Status, string(body))
	// Without waiting: 202, then the status by GET.
	code, body = curlPost(t, "http://"+gw.http+"/v1/envelopes", signJSON(t, b, chainID, stream, 2, `{"temp_c":20}`))
	require.Equal(t, http.StatusAccepted, code, string(body))
	require.Eventually(t, func() bool {
		out, err := exec.Command("curl", "-s", fmt.Sprintf("http://%s/v1/envelopes/%s/2", gw.http, b.id)).Output()
		return err == nil && strings.Contains(string(out), `"status":"committed"`)
	}, 30*time.Second, 200*time.Millisecond)
	// A forged one over HTTP: rejected in the answer.
	var fh map[string]any
	json.Unmarshal(signJSON(t, b, chainID, stream, 3, `{"a":1}`), &fh)
	fh["seq"] = 4 // signed as 3
	fhb, _ := json.Marshal(fh)
	code, body = curlPost(t, "http://"+gw.http+"/v1/envelopes", fhb)
	require.Equal(t, http.StatusAccepted, code)
	require.Contains(t, string(body), `"reason":"bad_signature"`)
	// Malformed JSON: 400.
	code, _ = curlPost(t, "http://"+gw.http+"/v1/envelopes", []byte(`{"stream_id":`))
	require.Equal(t, http.StatusBadRequest, code)

	// Exactly the four valid readings were batched into transactions.
	require.Equal(t, 4.0, gw.metric(t, "w3b_gateway_envelopes_batched_total"))
	require.Equal(t, 4.0, gw.metric(t, "w3b_gateway_envelopes_committed_total"))
	require.Equal(t, 4, recordCount(t, n, strconv.FormatUint(stream, 10)))
}

// TestGatewayFollowsChainEvents: the gateway caches device state for an
// hour here, yet a device suspended on chain is rejected at once: the
// devices transaction's events drop the cached entry.
func TestGatewayFollowsChainEvents(t *testing.T) {
	const chainID = "w3bd-gw-events"
	n, stream, devs := gatewayWorld(t, chainID, 1)
	d := devs[0]
	gw := startGatewayProc(t, n, "bob", filepath.Join(t.TempDir(), "spool"), "--cache-ttl", "1h")
	acks := subscribeAcks(t, gw.mqtt, d.id)
	mosquittoPub(t, gw.mqtt, d.id, stream, signJSON(t, d, chainID, stream, 1, `{"v":1}`))
	require.Equal(t, "committed", acks.wait(t, 1).Status) // the device is now cached as active
	require.Zero(t, n.Tx("alice", "tx", "devices", "set-device-status", d.id, "suspended").Code)
	var got ack
	require.Eventually(t, func() bool {
		mosquittoPub(t, gw.mqtt, d.id, stream, signJSON(t, d, chainID, stream, 2, `{"v":2}`))
		time.Sleep(300 * time.Millisecond)
		acks.mu.Lock()
		defer acks.mu.Unlock()
		for _, a := range acks.acks {
			if a.Seq == 2 {
				got = a
				return true
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond)
	require.Equal(t, "device_suspended", got.Reason, "%+v", got)
	require.Equal(t, 1.0, gw.metric(t, "w3b_gateway_envelopes_batched_total"), "the suspended device's reading cost no transaction")
}

// TestGatewayCrashLosesNothing kills the gateway with SIGKILL in the middle
// of a stream of readings and restarts it: every reading it acknowledged as
// received is committed exactly once; none is committed twice.
func TestGatewayCrashLosesNothing(t *testing.T) {
	const chainID = "w3bd-crash"
	n, stream, devs := gatewayWorld(t, chainID, 3)
	spool := filepath.Join(t.TempDir(), "spool")
	gw := startGatewayProc(t, n, "bob", spool, "--batch-window", "700ms", "--lanes", "2", "--max-in-flight", "4")

	type reading struct {
		dev  device
		seq  uint64
		body []byte
	}
	var readings []reading
	for seq := uint64(1); seq <= 40; seq++ {
		for _, d := range devs {
			readings = append(readings, reading{d, seq, signJSON(t, d, chainID, stream, seq, fmt.Sprintf(`{"seq":%d}`, seq))})
		}
	}
	acknowledged := map[string]bool{}
	post := func(r reading) bool {
		res, err := http.Post("http://"+gw.http+"/v1/envelopes", "application/json", bytes.NewReader(r.body))
		if err != nil {
			return false
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode == http.StatusAccepted
	}
	key := func(r reading) string { return fmt.Sprintf("%s/%d", r.dev.id, r.seq) }
	killAt := len(readings) / 2
	for i, r := range readings {
		if i == killAt {
			// Mid-stream: some of what was acknowledged is not committed yet.
			require.Positive(t, gw.metric(t, "w3b_gateway_spool_pending"), "the kill must catch acknowledged, uncommitted readings")
			gw.kill()
			gw.start(n, "bob", "--batch-window", "700ms", "--lanes", "2", "--max-in-flight", "4")
		}
		// A device resends what was not acknowledged (the gateway was down).
		for attempt := 0; attempt < 50 && !post(r); attempt++ {
			time.Sleep(100 * time.Millisecond)
		}
		acknowledged[key(r)] = true
	}
	require.Len(t, acknowledged, len(readings))

	// Every acknowledged reading ends up on chain exactly once.
	var recs recordsOut
	require.Eventually(t, func() bool {
		n.Q(&recs, "q", "streams", "records", strconv.FormatUint(stream, 10), "--page-limit", "1000")
		return len(recs.Records) >= len(readings)
	}, 90*time.Second, time.Second, "committed %d of %d", len(recs.Records), len(readings))
	seen := map[string]int{}
	for _, r := range recs.Records {
		seen[r.DeviceID+"/"+r.Seq]++
	}
	for k := range acknowledged {
		require.Equal(t, 1, seen[k], "%s committed %d times", k, seen[k])
	}
	require.Len(t, recs.Records, len(readings), "nothing else was committed")
	// And the restarted gateway reports them committed, once it has the
	// outcome of its own resubmission (the records may have come from the
	// killed gateway's transactions, before that outcome).
	for _, r := range readings[:5] {
		var last string
		require.Eventually(t, func() bool {
			res, err := http.Get(fmt.Sprintf("http://%s/v1/envelopes/%s/%d", gw.http, r.dev.id, r.seq))
			if err != nil {
				return false
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			last = fmt.Sprintf("%d %s", res.StatusCode, b)
			return res.StatusCode == http.StatusOK && strings.Contains(string(b), `"status":"committed"`)
		}, 30*time.Second, 200*time.Millisecond, "status of %s/%d: %s", r.dev.id, r.seq, last)
	}
}
