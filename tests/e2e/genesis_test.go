package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// exportModules runs `w3bd export` on a stopped node and returns the devices
// and streams genesis sections.
func exportModules(t *testing.T, home string) (genesis []byte, devices, streams json.RawMessage) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export.json")
	run(t, "export", "--home", home, "--output-document", out)
	genesis, err := os.ReadFile(out)
	require.NoError(t, err)
	var g struct {
		AppState map[string]json.RawMessage `json:"app_state"`
	}
	require.NoError(t, json.Unmarshal(genesis, &g))
	return genesis, g.AppState["devices"], g.AppState["streams"]
}

// TestGenesisExportImport exports a chain with projects, devices in every
// status and records, restarts the chain from that export, and checks the
// state survived exactly: the second export equals the first and queries
// answer as before.
func TestGenesisExportImport(t *testing.T) {
	const chainID = "w3bd-genesis"
	n := NewSingleNode(t, chainID)
	n.Start()
	dir := t.TempDir()

	res := n.Tx("alice", "tx", "devices", "create-project", "export-me")
	require.Zero(t, res.Code, res.RawLog)
	project := res.EventAttrs("w3b.devices.project_created")[0]["project_id"]
	devs := []device{keygen(t, dir, "a", "p256"), keygen(t, dir, "b", "ed25519"), keygen(t, dir, "c", "secp256k1")}
	for _, d := range devs {
		res := n.Tx("alice", "tx", "devices", "register-device", project, d.pub, "--algo", d.algo)
		require.Zero(t, res.Code, res.RawLog)
	}
	res = n.Tx("alice", "tx", "streams", "create-stream", project, "s")
	require.Zero(t, res.Code, res.RawLog)
	sid, _ := strconv.ParseUint(res.EventAttrs("w3b.streams.stream_created")[0]["stream_id"], 10, 64)
	var envs []envelope
	for seq := uint64(1); seq <= 3; seq++ {
		for _, d := range devs {
			envs = append(envs, d.sign(t, dir, chainID, sid, seq, `{"n":`+strconv.FormatUint(seq, 10)+`}`))
		}
	}
	res = publish(t, n, dir, envs...)
	require.Empty(t, rejections(res))
	require.Zero(t, n.Tx("alice", "tx", "devices", "set-device-status", devs[1].id, "suspended").Code)
	require.Zero(t, n.Tx("alice", "tx", "devices", "set-device-status", devs[2].id, "revoked").Code)
	n.Stop()

	exported, devices1, streams1 := exportModules(t, n.Home)
	require.Contains(t, string(devices1), devs[2].id)

	// Restart the same validator from the exported genesis.
	run(t, "comet", "unsafe-reset-all", "--home", n.Home)
	require.NoError(t, os.WriteFile(filepath.Join(n.Home, "config", "genesis.json"), exported, 0o600))
	run(t, "genesis", "validate", "--home", n.Home)
	n.Start()
	require.Equal(t, 9, recordCount(t, n, strconv.FormatUint(sid, 10)))
	var dev struct {
		Device struct {
			Status  string `json:"status"`
			LastSeq string `json:"last_seq"`
		} `json:"device"`
	}
	n.Q(&dev, "q", "devices", "device", devs[1].id)
	require.Equal(t, "suspended", dev.Device.Status)
	require.Equal(t, "3", dev.Device.LastSeq)
	// Sequence numbers survived: a replay is still a replay.
	res = publish(t, n, dir, envs[0])
	require.Equal(t, []string{"stale_seq"}, rejections(res))
	n.Stop()

	_, devices2, streams2 := exportModules(t, n.Home)
	require.JSONEq(t, string(devices1), string(devices2))
	require.JSONEq(t, string(streams1), string(streams2))
}
