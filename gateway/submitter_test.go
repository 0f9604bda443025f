package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cosmos/cosmos-sdk/client"
	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// fakeBlocks is a node's ABCIInfo and BlockResults, over blocks added by the
// test; the other CometRPC methods are not used by the watcher.
type fakeBlocks struct {
	client.CometRPC
	mu      sync.Mutex
	blocks  map[int64][]*abci.ExecTxResult
	latest  int64
	failing int // BlockResults calls to fail
	fetched []int64
}

func (f *fakeBlocks) ABCIInfo(context.Context) (*coretypes.ResultABCIInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &coretypes.ResultABCIInfo{Response: abci.ResponseInfo{LastBlockHeight: f.latest}}, nil
}

func (f *fakeBlocks) BlockResults(_ context.Context, h *int64) (*coretypes.ResultBlockResults, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failing > 0 {
		f.failing--
		return nil, errors.New("connection refused")
	}
	f.fetched = append(f.fetched, *h)
	return &coretypes.ResultBlockResults{Height: *h, TxsResults: f.blocks[*h]}, nil
}

func (f *fakeBlocks) commit(txs ...*abci.ExecTxResult) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latest++
	f.blocks[f.latest] = txs
	return f.latest
}

func signedResult(t *testing.T, sig string, code uint32, results ...streamstypes.EnvelopeResult) *abci.ExecTxResult {
	r := &abci.ExecTxResult{Code: code, Events: []abci.Event{
		{Type: "message", Attributes: []abci.EventAttribute{{Key: "action", Value: "/w3b.streams.v1.MsgPublish"}}},
		{Type: sdk.EventTypeTx, Attributes: []abci.EventAttribute{{Key: sdk.AttributeKeySignature, Value: sig}}},
	}}
	if code != 0 {
		r.Log = "out of gas"
		return r
	}
	resp, err := codectypes.NewAnyWithValue(&streamstypes.MsgPublishResponse{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	data, err := (&sdk.TxMsgData{MsgResponses: []*codectypes.Any{resp}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	r.Data = data
	return r
}

func recv(t *testing.T, ch <-chan *TxOutcome) *TxOutcome {
	t.Helper()
	select {
	case out := <-ch:
		return out
	case <-time.After(5 * time.Second):
		t.Fatal("no outcome delivered")
		return nil
	}
}

func TestBlockWatcher(t *testing.T) {
	node := &fakeBlocks{blocks: map[int64][]*abci.ExecTxResult{}, latest: 10}
	w := newBlockWatcher(node, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { w.run(ctx); close(done) }()

	a, err := w.watch(ctx, "sigA")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.watch(ctx, "sigB")
	gone, _ := w.watch(ctx, "sigGone")
	w.forget("sigGone")

	// Another sender's tx and ours in one block; ours failed in another.
	node.mu.Lock()
	node.failing = 2 // the first reads of block 11 fail: it must be read again, not skipped
	node.mu.Unlock()
	accepted := streamstypes.EnvelopeResult{Accepted: true, DeviceId: "d", Seq: 7, StreamId: 1}
	h1 := node.commit(signedResult(t, "someone else", 0), signedResult(t, "sigA", 0, accepted))
	h2 := node.commit(signedResult(t, "sigGone", 0), signedResult(t, "sigB", 11))

	outA := recv(t, a)
	if outA.Height != h1 || outA.Code != 0 || len(outA.Results) != 1 || outA.Results[0] != accepted {
		t.Fatalf("sigA: %+v", outA)
	}
	outB := recv(t, b)
	if outB.Height != h2 || outB.Code != 11 || outB.Log != "out of gas" || outB.Results != nil {
		t.Fatalf("sigB: %+v", outB)
	}
	select {
	case out := <-gone:
		t.Fatalf("forgotten tx got an outcome: %+v", out)
	default:
	}

	// Nobody waits: blocks are skipped, not fetched.
	node.mu.Lock()
	fetchedBefore := len(node.fetched)
	node.mu.Unlock()
	var idleTop int64
	for range 5 {
		idleTop = node.commit(signedResult(t, "x", 0))
	}
	for {
		w.mu.Lock()
		next := w.next
		w.mu.Unlock()
		if next > idleTop {
			break
		}
		time.Sleep(time.Millisecond)
	}
	c, _ := w.watch(ctx, "sigC")
	h := node.commit(signedResult(t, "sigC", 0))
	if out := recv(t, c); out.Height != h {
		t.Fatalf("sigC at height %d, want %d", out.Height, h)
	}
	node.mu.Lock()
	fetched := node.fetched[fetchedBefore:]
	node.mu.Unlock()
	if len(fetched) != 1 || fetched[0] != h {
		t.Fatalf("fetched heights %v after the idle blocks, want only [%d]", fetched, h)
	}
	cancel()
	<-done
}

// TestAwaitTTLCountsFromSubmission: a lane awaits its txs one after another,
// so a tx's TTL runs from its submission, not from the Await call; a result
// that is already there wins over a deadline that has passed.
func TestAwaitTTLCountsFromSubmission(t *testing.T) {
	s := &chainSubmitter{blocks: newBlockWatcher(nil, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil))), sent: map[string]sentTx{}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	s.sent["old"] = sentTx{signature: "sigOld", result: make(chan *TxOutcome), at: time.Now().Add(-2 * time.Hour)}
	_, err := s.Await(ctx, "old", time.Hour)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "after its submission") {
		t.Fatalf("a tx submitted 2 h ago with a 1 h TTL: got %v (ctx %v)", err, ctx.Err())
	}

	done := make(chan *TxOutcome, 1)
	done <- &TxOutcome{Height: 7}
	s.sent["late"] = sentTx{signature: "sigLate", result: done, at: time.Now().Add(-2 * time.Hour)}
	out, err := s.Await(ctx, "late", time.Hour)
	if err != nil || out.Height != 7 {
		t.Fatalf("a result already delivered: got %+v, %v", out, err)
	}
}
