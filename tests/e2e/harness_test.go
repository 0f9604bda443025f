package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the w3bd built once for all tests of this package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "w3bd-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "w3bd")
	build := exec.Command("go", "build", "-o", binary, "github.com/w3bd/w3bd/cmd/w3bd")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build w3bd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Node is a w3bd process with its own home and loopback ports.
type Node struct {
	t       testing.TB
	Home    string
	ChainID string
	RPC     string // tcp://127.0.0.1:port
	GRPC    string // 127.0.0.1:port
	rpcHTTP string // http://127.0.0.1:port
	cmd     *exec.Cmd
	done    chan struct{}
	logPath string

	once      sync.Once
	started   chan struct{}
	launchErr error
}

// run executes w3bd with args and returns stdout; it fails the test on error.
func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := tryRun(args...)
	if err != nil {
		t.Fatalf("w3bd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// tryRun executes w3bd with args and returns stdout (and stderr on failure).
func tryRun(args ...string) (string, error) {
	return tryRunStdin(nil, args...)
}

func tryRunStdin(stdin io.Reader, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

// freePorts reserves n distinct loopback ports.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// setTOML replaces the value of key (first match after [section], or top
// level when section is "") in a TOML file.
func setTOML(t testing.TB, path, section, key, value string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	start := 0
	if section != "" {
		i := strings.Index(s, "\n["+section+"]")
		if i < 0 {
			t.Fatalf("%s: no section [%s]", path, section)
		}
		start = i
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + ` = .*$`)
	loc := re.FindStringIndex(s[start:])
	if loc == nil {
		t.Fatalf("%s: no key %s in [%s]", path, key, section)
	}
	s = s[:start+loc[0]] + key + " = " + value + s[start+loc[1]:]
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// NewSingleNode initialises a one-validator chain in a temp home: the
// validator key "alice" holds funds; loopback ports are free ones.
func NewSingleNode(t testing.TB, chainID string) *Node {
	t.Helper()
	home := t.TempDir()
	run(t, "init", "node", "--chain-id", chainID, "--home", home)
	run(t, "keys", "add", "alice", "--keyring-backend", "test", "--home", home)
	run(t, "keys", "add", "bob", "--keyring-backend", "test", "--home", home)
	for _, k := range []string{"alice", "bob"} {
		run(t, "genesis", "add-genesis-account", k, "1000000000000uw3b", "--keyring-backend", "test", "--home", home)
	}
	run(t, "genesis", "gentx", "alice", "100000000uw3b", "--chain-id", chainID, "--keyring-backend", "test", "--home", home)
	run(t, "genesis", "collect-gentxs", "--home", home)
	return configureNode(t, home, chainID)
}

// configureNode points a home's listeners at free loopback ports.
func configureNode(t testing.TB, home, chainID string) *Node {
	t.Helper()
	p := freePorts(t, 3)
	cfg := filepath.Join(home, "config", "config.toml")
	appCfg := filepath.Join(home, "config", "app.toml")
	setTOML(t, cfg, "rpc", "laddr", fmt.Sprintf(`"tcp://127.0.0.1:%d"`, p[0]))
	setTOML(t, cfg, "rpc", "pprof_laddr", `""`)
	setTOML(t, cfg, "p2p", "laddr", fmt.Sprintf(`"tcp://127.0.0.1:%d"`, p[1]))
	setTOML(t, appCfg, "grpc", "address", fmt.Sprintf(`"127.0.0.1:%d"`, p[2]))
	setTOML(t, appCfg, "api", "enable", "false")
	return &Node{
		t: t, Home: home, ChainID: chainID,
		RPC:     fmt.Sprintf("tcp://127.0.0.1:%d", p[0]),
		GRPC:    fmt.Sprintf("127.0.0.1:%d", p[2]),
		rpcHTTP: fmt.Sprintf("http://127.0.0.1:%d", p[0]),
	}
}

// Start runs `w3bd start` and waits for the first block.
func (n *Node) Start() {
	n.t.Helper()
	n.launch()
	n.WaitHeight(1, 60*time.Second)
}

// startAsync launches the process without waiting: validators of a network
// only produce blocks once enough of them run. Use waitStarted to collect
// launch errors.
func (n *Node) startAsync() {
	defer close(n.launched())
	n.launchErr = n.spawn()
}

func (n *Node) waitStarted() {
	n.t.Helper()
	<-n.launched()
	if n.launchErr != nil {
		n.t.Fatal(n.launchErr)
	}
	n.t.Cleanup(n.Stop)
}

func (n *Node) launched() chan struct{} {
	n.once.Do(func() { n.started = make(chan struct{}) })
	return n.started
}

func (n *Node) launch() {
	n.t.Helper()
	if err := n.spawn(); err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(n.Stop)
}

func (n *Node) spawn() error {
	n.logPath = filepath.Join(n.Home, "node.log")
	logf, err := os.Create(n.logPath)
	if err != nil {
		return err
	}
	n.cmd = exec.Command(binary, "start", "--home", n.Home)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	n.done = done
	cmd := n.cmd
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	return nil
}

// Stop interrupts the node and waits for it to exit.
func (n *Node) Stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	select {
	case <-n.done:
		return
	default:
	}
	n.cmd.Process.Signal(os.Interrupt)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		n.cmd.Process.Kill()
		<-n.done
	}
}

// Log is the node's output so far, for failure messages.
func (n *Node) Log() string {
	b, _ := os.ReadFile(n.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// rpcGet fetches a CometBFT RPC JSON result.
func (n *Node) rpcGet(path string, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.rpcHTTP+path, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		return err
	}
	if len(env.Error) > 0 {
		return fmt.Errorf("rpc %s: %s", path, env.Error)
	}
	return json.Unmarshal(env.Result, out)
}

// Height is the node's latest block height.
func (n *Node) Height() (int64, error) {
	var st struct {
		SyncInfo struct {
			LatestBlockHeight string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	if err := n.rpcGet("/status", &st); err != nil {
		return 0, err
	}
	var h int64
	_, err := fmt.Sscan(st.SyncInfo.LatestBlockHeight, &h)
	return h, err
}

// WaitHeight waits until the node has committed height h.
func (n *Node) WaitHeight(h int64, timeout time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if got, err := n.Height(); err == nil && got >= h {
			return
		}
		select {
		case <-n.done:
			n.t.Fatalf("node exited before height %d:\n%s", h, n.Log())
		default:
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("node did not reach height %d in %s:\n%s", h, timeout, n.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// AppHash is the app hash in the header of block h (the state after h-1).
func (n *Node) AppHash(h int64) (string, error) {
	var b struct {
		Block struct {
			Header struct {
				AppHash string `json:"app_hash"`
			} `json:"header"`
		} `json:"block"`
	}
	err := n.rpcGet(fmt.Sprintf("/block?height=%d", h), &b)
	return b.Block.Header.AppHash, err
}

// Q runs a query against the node and decodes its JSON output.
func (n *Node) Q(out any, args ...string) {
	n.t.Helper()
	args = append(args, "--node", n.RPC, "-o", "json")
	s := run(n.t, args...)
	if err := json.Unmarshal([]byte(s), out); err != nil {
		n.t.Fatalf("w3bd %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, s)
	}
}

// TxResult is a committed transaction as `w3bd q tx` shows it.
type TxResult struct {
	Code   uint32 `json:"code"`
	RawLog string `json:"raw_log"`
	Height string `json:"height"`
	TxHash string `json:"txhash"`
	Events []struct {
		Type       string `json:"type"`
		Attributes []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"attributes"`
	} `json:"events"`
}

// EventAttrs lists the attributes of every event of type typ, in order.
func (r TxResult) EventAttrs(typ string) []map[string]string {
	var out []map[string]string
	for _, e := range r.Events {
		if e.Type != typ {
			continue
		}
		m := map[string]string{}
		for _, a := range e.Attributes {
			m[a.Key] = a.Value
		}
		out = append(out, m)
	}
	return out
}

// Tx broadcasts a transaction signed by from and waits until it is committed.
// It returns the committed result; a CheckTx failure fails the test.
func (n *Node) Tx(from string, args ...string) TxResult {
	n.t.Helper()
	args = append(args, "--from", from, "--keyring-backend", "test", "--home", n.Home,
		"--chain-id", n.ChainID, "--node", n.RPC, "--yes", "-o", "json")
	s := run(n.t, args...)
	var sync TxResult
	if err := json.Unmarshal([]byte(s), &sync); err != nil {
		n.t.Fatalf("tx output is not JSON: %v\n%s", err, s)
	}
	if sync.Code != 0 {
		n.t.Fatalf("tx %v rejected by CheckTx: code %d: %s", args, sync.Code, sync.RawLog)
	}
	return n.WaitTx(sync.TxHash)
}

// WaitTx polls until the transaction is in a block.
func (n *Node) WaitTx(hash string) TxResult {
	n.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := tryRun("q", "tx", hash, "--node", n.RPC, "-o", "json")
		if err == nil {
			var res TxResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				n.t.Fatalf("q tx output is not JSON: %v\n%s", err, out)
			}
			return res
		}
		time.Sleep(300 * time.Millisecond)
	}
	n.t.Fatalf("tx %s not committed in 30s:\n%s", hash, n.Log())
	return TxResult{}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Addr is the address of a key in the node's test keyring.
func (n *Node) Addr(name string) string {
	n.t.Helper()
	return strings.TrimSpace(run(n.t, "keys", "show", name, "-a", "--keyring-backend", "test", "--home", n.Home))
}
