package e2e

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// freeBase finds a base port with stride*n free ports above it.
func freeBase(t *testing.T, n int) int {
	t.Helper()
	for base := 30000 + int(time.Now().UnixNano()%2000)*10; base < 60000; base += 1000 {
		ok := true
		for p := base; p < base+10*n && ok; p++ {
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

// TestLocalnet4 runs the 4-validator network of `testnet init-files` as four
// processes on loopback, drives the data path through it (devices, records,
// a Go applet), and checks that every node computes the same app hash at
// every height.
func TestLocalnet4(t *testing.T) {
	const chainID = "w3bd-localnet"
	const validators = 4
	out := t.TempDir()
	base := freeBase(t, validators)
	run(t, "testnet", "init-files", "--v", strconv.Itoa(validators), "--output-dir", out,
		"--chain-id", chainID, "--base-port", strconv.Itoa(base))

	nodes := make([]*Node, validators)
	for i := range nodes {
		home := filepath.Join(out, fmt.Sprintf("node%d", i))
		rpc := base + 10*i + 1
		nodes[i] = &Node{t: t, Home: home, ChainID: chainID,
			RPC: fmt.Sprintf("tcp://127.0.0.1:%d", rpc), rpcHTTP: fmt.Sprintf("http://127.0.0.1:%d", rpc)}
	}
	for _, n := range nodes {
		go n.startAsync()
	}
	for _, n := range nodes {
		n.waitStarted()
	}
	for _, n := range nodes {
		n.WaitHeight(2, 90*time.Second)
	}

	n0 := nodes[0]
	dir := t.TempDir()
	res := n0.Tx("node0", "tx", "devices", "create-project", "localnet")
	require.Zero(t, res.Code, res.RawLog)
	project := res.EventAttrs("w3b.devices.project_created")[0]["project_id"]
	d := keygen(t, dir, "dev", "p256")
	require.Zero(t, n0.Tx("node0", "tx", "devices", "register-device", project, d.pub, "--algo", "p256").Code)
	res = n0.Tx("node0", "tx", "streams", "create-stream", project, "s")
	sid, _ := strconv.ParseUint(res.EventAttrs("w3b.streams.stream_created")[0]["stream_id"], 10, 64)
	// A Go applet (clock, randomness, floats, the Go runtime) runs on every validator.
	res = n0.Tx("node0", "tx", "applets", "store-code", buildGoApplet(t, "average"))
	require.Zero(t, res.Code, res.RawLog)
	code := res.EventAttrs("w3b.applets.code_stored")[0]["code_id"]
	res = n0.Tx("node0", "tx", "applets", "instantiate", code, project, "--streams", strconv.FormatUint(sid, 10),
		"--gas-per-event", "60000000", "--deposit", "100000000uw3b")
	require.Zero(t, res.Code, res.RawLog)
	instance := res.EventAttrs("w3b.applets.instantiated")[0]["instance_id"]
	var envs []envelope
	for seq := uint64(1); seq <= 5; seq++ {
		envs = append(envs, d.sign(t, dir, chainID, sid, seq, `{"temp_c":`+strconv.FormatUint(seq, 10)+`.5}`))
	}
	data := writeFile(t, dir, "envs.json", mustJSON(t, envs))
	res = n0.Tx("node0", "tx", "streams", "publish", data)
	require.Zero(t, res.Code, res.RawLog)
	txHeight, _ := strconv.ParseInt(res.Height, 10, 64)

	// Every node must agree on the app hash at every height up to a few
	// blocks after the data landed (header h carries the state after h-1).
	last := txHeight + 2
	for _, n := range nodes {
		n.WaitHeight(last, 60*time.Second)
	}
	for h := int64(2); h <= last; h++ {
		want, err := n0.AppHash(h)
		require.NoError(t, err)
		for i, n := range nodes[1:] {
			got, err := n.AppHash(h)
			require.NoError(t, err)
			require.Equalf(t, want, got, "node%d app hash at height %d", i+1, h)
		}
	}
	// And every node serves the records and the applet's state.
	for _, n := range nodes {
		require.Equal(t, 5, recordCount(t, n, strconv.FormatUint(sid, 10)))
		var st struct {
			Value []byte `json:"value"`
		}
		n.Q(&st, "q", "applets", "state", instance, "avg/"+d.id)
		require.Contains(t, string(st.Value), `"count":5`)
	}
}
