package keeper_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"cosmossdk.io/collections"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	"github.com/stretchr/testify/require"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/x/applets/types"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// fixture reads a module from the vm's WAT fixtures (testdata/*.wat, built to .wasm).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "vm", "testdata", name+".wasm"))
	require.NoError(t, err)
	return b
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

var (
	goAppletsOnce sync.Once
	goApplets     map[string][]byte
	goAppletsErr  error
)

// goApplet builds an example applet of sdk/go/examples from source, as a
// developer would (GOOS=wasip1 -buildmode=c-shared), once per test binary.
func goApplet(t testing.TB, name string) []byte {
	t.Helper()
	goAppletsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "w3b-go-applets")
		if err != nil {
			goAppletsErr = err
			return
		}
		goApplets = map[string][]byte{}
		for _, n := range []string{"threshold", "average"} {
			out := filepath.Join(dir, n+".wasm")
			cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "github.com/w3bd/w3bd/sdk/go/examples/"+n)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
			if b, err := cmd.CombinedOutput(); err != nil {
				goAppletsErr = fmt.Errorf("build %s: %v\n%s", n, err, b)
				return
			}
			if goApplets[n], err = os.ReadFile(out); err != nil {
				goAppletsErr = err
				return
			}
		}
		os.RemoveAll(dir)
	})
	require.NoError(t, goAppletsErr)
	return goApplets[name]
}

// world is a project with a stream, a device and a funded owner.
type world struct {
	f       *testutil.Fixture
	owner   string
	project uint64
	stream  uint64
	dev     *testutil.Device
	seq     uint64
}

func newWorld(t testing.TB, opts testutil.FixtureOptions) *world {
	t.Helper()
	f := testutil.NewFixtureWith(t, opts)
	w := &world{f: f, owner: testutil.AccAddress("owner")}
	f.Fund(t, w.owner, 1_000_000_000)
	w.project = f.Project(t, w.owner)
	w.stream = f.Stream(t, w.owner, w.project)
	w.dev = testutil.NewDevice(t, devicekey.Ed25519, 42)
	f.Register(t, w.owner, w.project, w.dev)
	return w
}

func (w *world) store(t testing.TB, wasm []byte) uint64 {
	t.Helper()
	res, err := w.f.AppletsMsg.StoreCode(w.f.Ctx, &types.MsgStoreCode{Sender: w.owner, Wasm: wasm})
	require.NoError(t, err)
	return res.CodeId
}

func (w *world) instantiate(t testing.TB, code uint64, config string, gas uint64, deposit int64, streams ...uint64) types.Instance {
	t.Helper()
	if len(streams) == 0 {
		streams = []uint64{w.stream}
	}
	res, err := w.f.AppletsMsg.Instantiate(w.f.Ctx, &types.MsgInstantiate{
		Owner: w.owner, CodeId: code, ProjectId: w.project, Streams: streams, Config: []byte(config),
		GasPerEvent: gas, Deposit: sdk.NewInt64Coin("uw3b", deposit),
	})
	require.NoError(t, err)
	return w.instance(t, res.InstanceId)
}

func (w *world) instance(t testing.TB, id uint64) types.Instance {
	t.Helper()
	inst, err := w.f.Applets.GetInstance(w.f.Ctx, id)
	require.NoError(t, err)
	return inst
}

// publish sends readings of the world's device and requires all accepted.
func (w *world) publish(t testing.TB, payloads ...string) {
	t.Helper()
	var envs []streamstypes.Envelope
	for _, p := range payloads {
		w.seq++
		envs = append(envs, w.dev.Envelope(t, w.stream, w.seq, []byte(p)))
	}
	res := w.f.Publish(t, envs...)
	require.Equal(t, uint32(len(envs)), res.Accepted, "%+v", res.Results)
}

// endBlock runs the applets' EndBlock and moves to the next block.
func (w *world) endBlock(t testing.TB) {
	t.Helper()
	require.NoError(t, w.f.Applets.EndBlock(w.f.Ctx))
	w.f.NextBlock()
}

func (w *world) state(t testing.TB, inst uint64, key string) ([]byte, bool) {
	t.Helper()
	v, err := w.f.Applets.State.Get(w.f.Ctx, collections.Join(inst, []byte(key)))
	if err != nil {
		return nil, false
	}
	return v, true
}

func (w *world) outputs(t testing.TB, inst types.Instance) []streamstypes.Record {
	t.Helper()
	recs, err := w.f.Streams.RecordsFrom(w.f.Ctx, inst.OutputStreamId, 0, 1000)
	require.NoError(t, err)
	return recs
}

func (w *world) logs(t testing.TB, inst uint64) []types.LogEntry {
	t.Helper()
	res, err := w.f.AppletsQuery.Logs(w.f.Ctx, &types.QueryLogsRequest{InstanceId: inst})
	require.NoError(t, err)
	return res.Logs
}

func (w *world) feeCollected(t testing.TB) int64 {
	t.Helper()
	return w.f.Bank.GetBalance(w.f.Ctx, authtypes.NewModuleAddress(authtypes.FeeCollectorName), "uw3b").Amount.Int64()
}

// asApplet builds the AssemblyScript example with the project's pinned
// compiler (scripts/build-assemblyscript.sh, run by `make test` through npm).
func asApplet(t testing.TB) []byte {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed: scripts/setup.sh installs it; this test builds the AssemblyScript example from source")
	}
	out, err := exec.Command(filepath.Join("..", "..", "..", "scripts", "build-assemblyscript.sh")).Output()
	require.NoError(t, err)
	wasm, err := os.ReadFile(string(bytes.TrimSpace(out)))
	require.NoError(t, err)
	return wasm
}
