package e2e

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// envelope is the JSON exchange form printed by `w3bd device sign`.
type envelope struct {
	StreamID    uint64 `json:"stream_id"`
	DeviceID    string `json:"device_id"`
	Seq         uint64 `json:"seq"`
	TimestampMs uint64 `json:"timestamp_ms"`
	Payload     string `json:"payload"`
	Signature   string `json:"signature"`
}

// device is a key on disk with its registered id.
type device struct {
	algo, keyFile, pub, id string
}

func keygen(t *testing.T, dir, name, algo string) device {
	t.Helper()
	key := filepath.Join(dir, name+".pem")
	pub := strings.TrimSpace(run(t, "device", "keygen", "--algo", algo, "--out", key))
	return device{algo: algo, keyFile: key, pub: pub, id: strings.TrimSpace(run(t, "device", "id", pub, "--algo", algo))}
}

// opensslKey makes a key with openssl itself, as a device vendor's tooling would.
func opensslKey(t *testing.T, dir, name, curve, algo string) device {
	t.Helper()
	key := filepath.Join(dir, name+".pem")
	out, err := exec.Command("openssl", "ecparam", "-name", curve, "-genkey", "-noout", "-out", key).CombinedOutput()
	require.NoError(t, err, string(out))
	pub := strings.TrimSpace(run(t, "device", "pubkey", key))
	return device{algo: algo, keyFile: key, pub: pub, id: strings.TrimSpace(run(t, "device", "id", pub, "--algo", algo))}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o600))
	return p
}

// sign signs a reading with `w3bd device sign`.
func (d device) sign(t *testing.T, dir, chainID string, stream, seq uint64, payload string) envelope {
	t.Helper()
	pf := writeFile(t, dir, "payload-"+strconv.FormatUint(seq, 10)+".json", []byte(payload))
	out := run(t, "device", "sign", "--key", d.keyFile, "--chain-id", chainID,
		"--stream", strconv.FormatUint(stream, 10), "--seq", strconv.FormatUint(seq, 10), "--payload-file", pf)
	var env envelope
	require.NoError(t, json.Unmarshal([]byte(out), &env), out)
	require.Equal(t, d.id, env.DeviceID)
	return env
}

// opensslSign builds an envelope whose signature openssl made over the
// sign bytes that `w3bd device sign-bytes` printed.
func (d device) opensslSign(t *testing.T, dir, chainID string, stream, seq uint64, payload string) envelope {
	t.Helper()
	ts := uint64(time.Now().UnixMilli())
	pf := writeFile(t, dir, "os-payload.json", []byte(payload))
	sb, err := tryRun("device", "sign-bytes", "--chain-id", chainID, "--stream", strconv.FormatUint(stream, 10),
		"--device", d.id, "--seq", strconv.FormatUint(seq, 10), "--timestamp", strconv.FormatUint(ts, 10), "--payload-file", pf)
	require.NoError(t, err, sb)
	sbFile := writeFile(t, dir, "sign-bytes.bin", []byte(sb))
	sig, err := exec.Command("openssl", "dgst", "-sha256", "-sign", d.keyFile, sbFile).Output()
	require.NoError(t, err)
	return envelope{StreamID: stream, DeviceID: d.id, Seq: seq, TimestampMs: ts,
		Payload: hex.EncodeToString([]byte(payload)), Signature: hex.EncodeToString(sig)}
}

// publish submits envelopes and returns the committed tx.
func publish(t *testing.T, n *Node, dir string, envs ...envelope) TxResult {
	t.Helper()
	data, err := json.Marshal(envs)
	require.NoError(t, err)
	f := writeFile(t, dir, "envelopes.json", data)
	res := n.Tx("bob", "tx", "streams", "publish", f)
	require.Zero(t, res.Code, res.RawLog)
	return res
}

func rejections(res TxResult) []string {
	var reasons []string
	for _, a := range res.EventAttrs("w3b.streams.envelope_rejected") {
		reasons = append(reasons, a["reason"])
	}
	return reasons
}

type recordsOut struct {
	Records []struct {
		StreamID string `json:"stream_id"`
		Index    string `json:"index"`
		DeviceID string `json:"device_id"`
		Seq      string `json:"seq"`
		Payload  []byte `json:"payload"`
	} `json:"records"`
}

func recordCount(t *testing.T, n *Node, stream string) int {
	var out recordsOut
	n.Q(&out, "q", "streams", "records", stream)
	return len(out.Records)
}

// TestCLIJourney walks the whole user journey with the real binary: a
// developer creates a project and a stream, registers devices by public key,
// devices sign readings (one with openssl), anyone publishes them, the chain
// admits exactly the valid ones, and anyone can query them.
func TestCLIJourney(t *testing.T) {
	const chainID = "w3bd-e2e"
	n := NewSingleNode(t, chainID)
	n.Start()
	dir := t.TempDir()

	res := n.Tx("alice", "tx", "devices", "create-project", "greenhouse", "--metadata", `{"site":"north"}`)
	require.Zero(t, res.Code, res.RawLog)
	project := res.EventAttrs("w3b.devices.project_created")[0]["project_id"]

	devs := []device{
		keygen(t, dir, "p256", "p256"),
		keygen(t, dir, "ed25519", "ed25519"),
		opensslKey(t, dir, "k1", "secp256k1", "secp256k1"),
		opensslKey(t, dir, "osp256", "prime256v1", "p256"),
	}
	for _, d := range devs {
		res := n.Tx("alice", "tx", "devices", "register-device", project, d.pub, "--algo", d.algo)
		require.Zero(t, res.Code, res.RawLog)
		require.Equal(t, d.id, res.EventAttrs("w3b.devices.device_registered")[0]["device_id"])
	}
	// One key registers once, whatever its encoding.
	res = n.Tx("alice", "tx", "devices", "register-device", project, devs[0].pub, "--algo", "p256")
	require.NotZero(t, res.Code)
	require.Contains(t, res.RawLog, "already registered")
	// Only the owner registers devices.
	stranger := keygen(t, dir, "stranger", "p256")
	res = n.Tx("bob", "tx", "devices", "register-device", project, stranger.pub, "--algo", "p256")
	require.NotZero(t, res.Code)
	require.Contains(t, res.RawLog, "not the project owner")

	res = n.Tx("alice", "tx", "streams", "create-stream", project, "air")
	require.Zero(t, res.Code, res.RawLog)
	stream := res.EventAttrs("w3b.streams.stream_created")[0]["stream_id"]
	sid, _ := strconv.ParseUint(stream, 10, 64)

	// Readings signed by the CLI and by openssl, published by bob (devices are not accounts).
	var envs []envelope
	for i, d := range devs[:3] {
		envs = append(envs, d.sign(t, dir, chainID, sid, 1, `{"temp_c":2`+strconv.Itoa(i)+`.5}`))
	}
	envs = append(envs, devs[3].opensslSign(t, dir, chainID, sid, 1, `{"temp_c":18.0,"signer":"openssl"}`))
	res = publish(t, n, dir, envs...)
	require.Empty(t, rejections(res))
	appended := res.EventAttrs("w3b.streams.records_appended")
	require.Len(t, appended, 1)
	require.Equal(t, "4", appended[0]["count"])
	require.Equal(t, "0", appended[0]["first_index"])

	var recs recordsOut
	n.Q(&recs, "q", "streams", "records", stream)
	require.Len(t, recs.Records, 4)
	require.Equal(t, `{"temp_c":18.0,"signer":"openssl"}`, string(recs.Records[3].Payload))
	require.Equal(t, devs[3].id, recs.Records[3].DeviceID)
	var one struct {
		Record struct {
			DeviceID string `json:"device_id"`
			Payload  []byte `json:"payload"`
		} `json:"record"`
	}
	n.Q(&one, "q", "streams", "record", stream, "1")
	require.Equal(t, devs[1].id, one.Record.DeviceID)

	// Replay of an accepted envelope: rejected, nothing stored.
	res = publish(t, n, dir, envs[0])
	require.Equal(t, []string{"stale_seq"}, rejections(res))
	// Forged signature: rejected.
	forged := devs[0].sign(t, dir, chainID, sid, 2, `{"temp_c":99}`)
	sig, _ := hex.DecodeString(forged.Signature)
	sig[10] ^= 0x01
	forged.Signature = hex.EncodeToString(sig)
	res = publish(t, n, dir, forged)
	require.Equal(t, []string{"bad_signature"}, rejections(res))
	// A key nobody registered: rejected.
	res = publish(t, n, dir, stranger.sign(t, dir, chainID, sid, 1, `{}`))
	require.Equal(t, []string{"unknown_device"}, rejections(res))
	require.Equal(t, 4, recordCount(t, n, stream))

	// Suspended devices are rejected until reactivated.
	res = n.Tx("alice", "tx", "devices", "set-device-status", devs[1].id, "suspended")
	require.Zero(t, res.Code, res.RawLog)
	res = publish(t, n, dir, devs[1].sign(t, dir, chainID, sid, 2, `{"temp_c":1}`))
	require.Equal(t, []string{"device_suspended"}, rejections(res))
	res = n.Tx("alice", "tx", "devices", "set-device-status", devs[1].id, "active")
	require.Zero(t, res.Code, res.RawLog)
	res = publish(t, n, dir, devs[1].sign(t, dir, chainID, sid, 2, `{"temp_c":2}`))
	require.Empty(t, rejections(res))

	// Revocation is final.
	res = n.Tx("alice", "tx", "devices", "set-device-status", devs[2].id, "revoked")
	require.Zero(t, res.Code, res.RawLog)
	res = publish(t, n, dir, devs[2].sign(t, dir, chainID, sid, 2, `{"temp_c":3}`))
	require.Equal(t, []string{"device_revoked"}, rejections(res))
	res = n.Tx("alice", "tx", "devices", "set-device-status", devs[2].id, "active")
	require.NotZero(t, res.Code)
	require.Contains(t, res.RawLog, "revocation is final")

	var dev struct {
		Device struct {
			Status  string `json:"status"`
			LastSeq string `json:"last_seq"`
		} `json:"device"`
	}
	n.Q(&dev, "q", "devices", "device", devs[1].id)
	require.Equal(t, "active", dev.Device.Status)
	require.Equal(t, "2", dev.Device.LastSeq)

	// DID documents: JSON in every output mode, deactivated once revoked.
	var doc map[string]any
	out := run(t, "q", "devices", "did-document", "did:w3b:"+devs[0].id, "--node", n.RPC)
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Equal(t, "did:w3b:"+devs[0].id, doc["id"])
	vm := doc["verificationMethod"].([]any)[0].(map[string]any)
	require.Equal(t, "P-256", vm["publicKeyJwk"].(map[string]any)["crv"])
	out = run(t, "q", "devices", "did-document", "did:w3b:"+devs[2].id, "--node", n.RPC, "-o", "json")
	doc = map[string]any{}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Equal(t, true, doc["deactivated"])

	var proj struct {
		Project struct {
			Owner string `json:"owner"`
		} `json:"project"`
	}
	n.Q(&proj, "q", "devices", "project", project)
	require.Equal(t, n.Addr("alice"), proj.Project.Owner)
	require.Equal(t, 5, recordCount(t, n, stream))
}
