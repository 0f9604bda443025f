package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// buildGoApplet compiles an example applet of sdk/go/examples as a developer would.
func buildGoApplet(t *testing.T, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "github.com/w3bd/w3bd/sdk/go/examples/"+name)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
	return out
}

type instanceOut struct {
	Instance struct {
		ID             string `json:"id"`
		Status         string `json:"status"`
		OutputStreamID string `json:"output_stream_id"`
		EventsOk       string `json:"events_ok"`
		EventsFailed   string `json:"events_failed"`
		GasUsed        string `json:"gas_used"`
		Deposit        struct {
			Amount string `json:"amount"`
		} `json:"deposit"`
	} `json:"instance"`
}

// TestAppletsCLI drives the applets CLI contract on a real node: store the Go
// threshold and average applets, instantiate them on a stream, publish
// readings, and read state, outputs and logs; pause, resume, deposit, migrate.
func TestAppletsCLI(t *testing.T) {
	const chainID = "w3bd-applets"
	n := NewSingleNode(t, chainID)
	n.Start()
	dir := t.TempDir()

	res := n.Tx("alice", "tx", "devices", "create-project", "factory")
	project := res.EventAttrs("w3b.devices.project_created")[0]["project_id"]
	d := keygen(t, dir, "sensor", "p256")
	require.Zero(t, n.Tx("alice", "tx", "devices", "register-device", project, d.pub, "--algo", "p256").Code)
	res = n.Tx("alice", "tx", "streams", "create-stream", project, "line-1")
	stream := res.EventAttrs("w3b.streams.stream_created")[0]["stream_id"]
	sid, _ := strconv.ParseUint(stream, 10, 64)

	res = n.Tx("alice", "tx", "applets", "store-code", buildGoApplet(t, "threshold"))
	require.Zero(t, res.Code, res.RawLog)
	thresholdCode := res.EventAttrs("w3b.applets.code_stored")[0]["code_id"]
	res = n.Tx("alice", "tx", "applets", "store-code", buildGoApplet(t, "average"))
	require.Zero(t, res.Code, res.RawLog)
	averageCode := res.EventAttrs("w3b.applets.code_stored")[0]["code_id"]

	var code struct {
		Code struct {
			Hash string `json:"hash"`
			Size string `json:"size"`
		} `json:"code"`
	}
	n.Q(&code, "q", "applets", "code", thresholdCode)
	require.NotEmpty(t, code.Code.Hash)

	res = n.Tx("alice", "tx", "applets", "instantiate", thresholdCode, project, "--streams", stream,
		"--config", `{"field":"temp_c","threshold":30}`, "--gas-per-event", "60000000", "--deposit", "10000000uw3b")
	require.Zero(t, res.Code, res.RawLog)
	threshold := res.EventAttrs("w3b.applets.instantiated")[0]["instance_id"]
	res = n.Tx("alice", "tx", "applets", "instantiate", averageCode, project, "--streams", stream,
		"--gas-per-event", "60000000", "--deposit", "10000000uw3b")
	require.Zero(t, res.Code, res.RawLog)
	average := res.EventAttrs("w3b.applets.instantiated")[0]["instance_id"]

	var envs []envelope
	for i, temp := range []string{"25", "31.5", "29"} {
		envs = append(envs, d.sign(t, dir, chainID, sid, uint64(i+1), `{"temp_c":`+temp+`}`))
	}
	res = publish(t, n, dir, envs...)
	h, _ := strconv.ParseInt(res.Height, 10, 64)
	n.WaitHeight(h+1, 30e9)

	// State of the running average, by text key.
	var st struct {
		Value []byte `json:"value"`
		Found bool   `json:"found"`
	}
	n.Q(&st, "q", "applets", "state", average, "avg/"+d.id)
	require.True(t, st.Found)
	var avg struct {
		Count uint64  `json:"count"`
		Mean  float64 `json:"mean"`
	}
	require.NoError(t, json.Unmarshal(st.Value, &avg), string(st.Value))
	require.Equal(t, uint64(3), avg.Count)
	require.InDelta(t, (25+31.5+29)/3, avg.Mean, 1e-9)
	// The same key in hex.
	var st2 struct {
		Value []byte `json:"value"`
	}
	n.Q(&st2, "q", "applets", "state", average, hexOf("avg/"+d.id), "--hex")
	require.Equal(t, st.Value, st2.Value)

	// Outputs of the threshold applet: crossing up, then back down.
	var outs struct {
		Outputs []struct {
			Topic   []byte `json:"topic"`
			Payload []byte `json:"payload"`
		} `json:"outputs"`
	}
	n.Q(&outs, "q", "applets", "outputs", threshold)
	require.Len(t, outs.Outputs, 2)
	require.Equal(t, "alert", string(outs.Outputs[0].Topic))
	require.Contains(t, string(outs.Outputs[0].Payload), `"value":31.5`)
	require.Equal(t, "clear", string(outs.Outputs[1].Topic))

	var logs struct {
		Logs []struct {
			Message string `json:"message"`
		} `json:"logs"`
	}
	n.Q(&logs, "q", "applets", "logs", threshold)
	require.NotEmpty(t, logs.Logs)
	require.True(t, strings.Contains(logs.Logs[0].Message, "above"), logs.Logs[0].Message)

	var inst instanceOut
	n.Q(&inst, "q", "applets", "instance", average)
	require.Equal(t, "active", inst.Instance.Status)
	require.Equal(t, "3", inst.Instance.EventsOk)

	// Pause, publish, resume: the reading waits, then runs.
	require.Zero(t, n.Tx("alice", "tx", "applets", "update-instance", average, "--pause").Code)
	res = publish(t, n, dir, d.sign(t, dir, chainID, sid, 4, `{"temp_c":35}`))
	h, _ = strconv.ParseInt(res.Height, 10, 64)
	n.WaitHeight(h+1, 30e9)
	n.Q(&inst, "q", "applets", "instance", average)
	require.Equal(t, "paused", inst.Instance.Status)
	require.Equal(t, "3", inst.Instance.EventsOk)
	res = n.Tx("alice", "tx", "applets", "update-instance", average, "--resume")
	h, _ = strconv.ParseInt(res.Height, 10, 64)
	n.WaitHeight(h+1, 30e9)
	n.Q(&inst, "q", "applets", "instance", average)
	require.Equal(t, "4", inst.Instance.EventsOk)

	before := inst.Instance.Deposit.Amount
	require.Zero(t, n.Tx("bob", "tx", "applets", "deposit", average, "5000uw3b").Code)
	n.Q(&inst, "q", "applets", "instance", average)
	b, _ := strconv.ParseInt(before, 10, 64)
	a, _ := strconv.ParseInt(inst.Instance.Deposit.Amount, 10, 64)
	require.Equal(t, b+5000, a)

	require.Zero(t, n.Tx("alice", "tx", "applets", "update-instance", threshold, "--config", `{"threshold":40}`).Code)
	res = n.Tx("alice", "tx", "applets", "update-instance", average, "--code", thresholdCode)
	require.Zero(t, res.Code, res.RawLog)
	// A stranger cannot touch the instance.
	res = n.Tx("bob", "tx", "applets", "update-instance", average, "--pause")
	require.NotZero(t, res.Code)
	require.Contains(t, res.RawLog, "not the instance owner")

	// A hostile upload is refused with a reason.
	bad := writeFile(t, dir, "bad.wasm", []byte("\x00asm\x01\x00\x00\x00garbage"))
	out, err := tryRun("tx", "applets", "store-code", bad, "--from", "alice", "--keyring-backend", "test",
		"--home", n.Home, "--chain-id", chainID, "--node", n.RPC, "--yes", "-o", "json")
	require.Error(t, err, "simulation refuses the invalid module: %s", out)
	require.Contains(t, out, "invalid wasm module")
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, digits[s[i]>>4], digits[s[i]&15])
	}
	return string(b)
}
