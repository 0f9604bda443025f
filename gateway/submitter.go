package gateway

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// TxOutcome is a committed transaction's result.
type TxOutcome struct {
	Height  int64
	Code    uint32
	Log     string
	Results []streamstypes.EnvelopeResult
}

// Submitter sends envelopes as one MsgPublish and reads back its outcome.
type Submitter interface {
	// Submit broadcasts and returns the tx hash once the node's CheckTx
	// accepted it. afterSeqs is MsgPublish.after_seqs (nil: none).
	// ErrMempoolFull asks the caller to retry later.
	Submit(ctx context.Context, envs []streamstypes.Envelope, afterSeqs []uint64, gas uint64) (string, error)
	// Await returns the result of a tx Submit returned, once it is in a
	// block, or an error when ttl passed since its submission without it
	// (from submission: a lane awaits its txs one after another).
	Await(ctx context.Context, txHash string, ttl time.Duration) (*TxOutcome, error)
	// Run follows the chain for Await until ctx ends.
	Run(ctx context.Context)
}

// ErrMempoolFull is the node refusing transactions for now.
var ErrMempoolFull = errors.New("mempool is full")

// chainSubmitter signs with the gateway's key and broadcasts unordered
// transactions, so many can be in flight without sequence coordination.
type chainSubmitter struct {
	clientCtx client.Context
	txf       tx.Factory
	ttl       time.Duration
	txs       txtypes.ServiceClient
	grpcTxs   txtypes.ServiceClient // nil without a gRPC connection
	blocks    *blockWatcher

	mu          sync.Mutex
	lastTimeout time.Time
	sent        map[string]sentTx // by tx hash, until awaited
}

type sentTx struct {
	signature string // base64, as the tx.signature event spells it
	result    <-chan *TxOutcome
	at        time.Time // when CheckTx accepted it
}

// lookupEvery is how often Await asks the node for a tx by hash that the
// block watcher has not matched: a tx whose ante handler failed in the block
// carries no signature event (the node's tx index still has it).
const lookupEvery = 10 * time.Second

// newChainSubmitter prepares the factory (account number) for the key in
// clientCtx.FromName; the block watcher polls every confirmEvery.
func newChainSubmitter(clientCtx client.Context, txf tx.Factory, ttl, confirmEvery time.Duration, log *slog.Logger) (*chainSubmitter, error) {
	txf = txf.WithChainID(clientCtx.ChainID).WithTxConfig(clientCtx.TxConfig).
		WithKeybase(holdKey(clientCtx.Keyring, clientCtx.FromName)).WithAccountRetriever(clientCtx.AccountRetriever).
		WithUnordered(true).WithSequence(0)
	txf, err := txf.Prepare(clientCtx)
	if err != nil {
		return nil, fmt.Errorf("gateway account %s: %w", clientCtx.FromAddress, err)
	}
	s := &chainSubmitter{clientCtx: clientCtx, txf: txf, ttl: ttl, txs: txtypes.NewServiceClient(clientCtx),
		blocks: newBlockWatcher(clientCtx.Client, confirmEvery, log), sent: map[string]sentTx{}}
	if clientCtx.GRPCClient != nil {
		// clientCtx.Invoke sends BroadcastTxRequest through CometBFT's RPC
		// even with a gRPC client; call the connection itself.
		s.grpcTxs = txtypes.NewServiceClient(clientCtx.GRPCClient)
	}
	return s, nil
}

func (s *chainSubmitter) Run(ctx context.Context) { s.blocks.run(ctx) }

// timeout is the unordered tx's timeout, strictly increasing: it is also the
// tx's nonce, unique per sender.
func (s *chainSubmitter) timeout() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := time.Now().Add(s.ttl).UTC().Truncate(time.Millisecond)
	if !t.After(s.lastTimeout) {
		t = s.lastTimeout.Add(time.Millisecond)
	}
	s.lastTimeout = t
	return t
}

func (s *chainSubmitter) Submit(ctx context.Context, envs []streamstypes.Envelope, afterSeqs []uint64, gas uint64) (string, error) {
	msg := &streamstypes.MsgPublish{Submitter: s.clientCtx.FromAddress.String(), Envelopes: envs, AfterSeqs: afterSeqs}
	txf := s.txf.WithGas(gas).WithTimeoutTimestamp(s.timeout())
	txb, err := txf.BuildUnsignedTx(msg)
	if err != nil {
		return "", err
	}
	if err := tx.Sign(ctx, txf, s.clientCtx.FromName, txb, true); err != nil {
		return "", err
	}
	sigs, err := txb.GetTx().GetSignaturesV2()
	if err != nil || len(sigs) != 1 {
		return "", fmt.Errorf("signed tx: %d signatures (%v)", len(sigs), err)
	}
	single, ok := sigs[0].Data.(*signing.SingleSignatureData)
	if !ok {
		return "", fmt.Errorf("signed tx: %T is not a single signature", sigs[0].Data)
	}
	bz, err := s.clientCtx.TxConfig.TxEncoder()(txb.GetTx())
	if err != nil {
		return "", err
	}
	// Watch for the signature before broadcasting: the tx may be in a block
	// before BroadcastTxSync even returns.
	sig := base64.StdEncoding.EncodeToString(single.Signature)
	result, err := s.blocks.watch(ctx, sig)
	if err != nil {
		return "", err
	}
	res, err := s.broadcast(ctx, bz)
	if err == nil && res.Code != 0 {
		if res.Codespace == sdkerrors.RootCodespace && res.Code == sdkerrors.ErrMempoolIsFull.ABCICode() {
			err = ErrMempoolFull
		} else {
			err = fmt.Errorf("check tx: code %d (%s): %s", res.Code, res.Codespace, res.RawLog)
		}
	}
	if err != nil {
		s.blocks.forget(sig)
		if strings.Contains(err.Error(), "mempool is full") {
			return "", ErrMempoolFull
		}
		return "", err
	}
	s.mu.Lock()
	s.sent[res.TxHash] = sentTx{signature: sig, result: result, at: time.Now()}
	s.mu.Unlock()
	return res.TxHash, nil
}

// broadcast hands the tx to the node's mempool: over gRPC when the client
// has a connection (the tx travels as protobuf, and the node's tx service
// calls CometBFT in-process), otherwise through CometBFT's JSON-RPC, which
// encodes the tx in base64 inside JSON on both sides.
func (s *chainSubmitter) broadcast(ctx context.Context, bz []byte) (*sdk.TxResponse, error) {
	if s.grpcTxs == nil {
		return s.clientCtx.BroadcastTxSync(bz)
	}
	res, err := s.grpcTxs.BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: bz, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	if err != nil {
		return nil, err
	}
	return res.TxResponse, nil
}

// Await takes the result the block watcher matched by signature, asking
// the node by hash now and then in case the watcher cannot match it.
func (s *chainSubmitter) Await(ctx context.Context, txHash string, ttl time.Duration) (*TxOutcome, error) {
	s.mu.Lock()
	sent, ok := s.sent[txHash]
	delete(s.sent, txHash)
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("tx %s was not submitted here", txHash)
	}
	defer s.blocks.forget(sent.signature)
	deadline := time.NewTimer(time.Until(sent.at.Add(ttl)))
	defer deadline.Stop()
	lookup := time.NewTicker(min(lookupEvery, ttl))
	defer lookup.Stop()
	for {
		select {
		case out := <-sent.result:
			return out, nil
		case <-lookup.C:
			if out, found, err := s.lookup(ctx, txHash); err == nil && found {
				return out, nil
			}
		case <-deadline.C:
			select {
			case out := <-sent.result: // it came just in time
				return out, nil
			default:
			}
			return nil, fmt.Errorf("tx %s not in a block %s after its submission", txHash, ttl)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// lookup reads the tx through the SDK's tx service: found=false while it is
// not in a block.
func (s *chainSubmitter) lookup(ctx context.Context, txHash string) (*TxOutcome, bool, error) {
	res, err := s.txs.GetTx(ctx, &txtypes.GetTxRequest{Hash: txHash})
	if err != nil {
		if status.Code(err) == codes.NotFound || strings.Contains(err.Error(), "not found") {
			return nil, false, nil
		}
		return nil, false, err
	}
	r := res.TxResponse
	data, err := hex.DecodeString(r.Data)
	if err != nil {
		return nil, true, fmt.Errorf("tx %s: result data: %w", txHash, err)
	}
	out, err := outcomeOf(r.Height, r.Code, r.RawLog, data)
	return out, true, err
}

// outcomeOf decodes a tx result: the MsgPublishResponse in its data.
func outcomeOf(height int64, code uint32, log string, data []byte) (*TxOutcome, error) {
	out := &TxOutcome{Height: height, Code: code, Log: log}
	if code != 0 {
		return out, nil
	}
	var msgData sdk.TxMsgData
	if err := msgData.Unmarshal(data); err != nil {
		return out, fmt.Errorf("result data: %w", err)
	}
	if len(msgData.MsgResponses) != 1 {
		return out, fmt.Errorf("%d message responses, want 1", len(msgData.MsgResponses))
	}
	var resp streamstypes.MsgPublishResponse
	if err := resp.Unmarshal(msgData.MsgResponses[0].Value); err != nil {
		return out, fmt.Errorf("publish response: %w", err)
	}
	out.Results = resp.Results
	return out, nil
}

// blockWatcher reads every new block's results once and hands each awaited
// tx its result, matched by its signature (the SDK's tx.signature event):
// one block_results call per block for all lanes, where a lookup per tx
// made the node load the whole block and transaction for each.
type blockWatcher struct {
	rpc   client.CometRPC
	every time.Duration
	log   *slog.Logger

	ready   chan struct{} // closed once the first height is known
	mu      sync.Mutex
	waiters map[string]chan *TxOutcome // by tx signature (base64)
	next    int64                      // the next height to read
}

func newBlockWatcher(rpc client.CometRPC, every time.Duration, log *slog.Logger) *blockWatcher {
	return &blockWatcher{rpc: rpc, every: every, log: log, ready: make(chan struct{}), waiters: map[string]chan *TxOutcome{}}
}

// watch registers for the result of the tx with signature sig; call it
// before broadcasting, so no block holding the tx is read before.
func (w *blockWatcher) watch(ctx context.Context, sig string) (<-chan *TxOutcome, error) {
	select {
	case <-w.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ch := make(chan *TxOutcome, 1)
	w.mu.Lock()
	w.waiters[sig] = ch
	w.mu.Unlock()
	return ch, nil
}

func (w *blockWatcher) forget(sig string) {
	w.mu.Lock()
	delete(w.waiters, sig)
	w.mu.Unlock()
}

func (w *blockWatcher) run(ctx context.Context) {
	started := false
	for ctx.Err() == nil {
		latest, err := w.latest(ctx)
		if err != nil {
			w.log.Debug("block watcher: node status", "err", err)
			sleep(ctx, w.every)
			continue
		}
		if !started {
			// Whatever is registered from now on is broadcast after this
			// height was committed, so it lands above it.
			w.mu.Lock()
			w.next = latest + 1
			w.mu.Unlock()
			close(w.ready)
			started = true
		}
		w.readUpTo(ctx, latest)
		sleep(ctx, w.every)
	}
}

// readUpTo reads the blocks up to latest, or skips them when no tx is
// awaited: a tx registered later lands above latest.
func (w *blockWatcher) readUpTo(ctx context.Context, latest int64) {
	for {
		w.mu.Lock()
		h, idle := w.next, len(w.waiters) == 0
		if h <= latest && idle {
			w.next = latest + 1
		}
		w.mu.Unlock()
		if h > latest || idle {
			return
		}
		res, err := w.rpc.BlockResults(ctx, &h)
		if err != nil {
			w.log.Debug("block watcher: block results", "height", h, "err", err)
			return // this height again next time
		}
		w.deliver(h, res.TxsResults)
		w.mu.Lock()
		w.next = h + 1
		w.mu.Unlock()
	}
}

// latest is the last height the application committed. CometBFT's status
// reports a block as soon as it is stored, before it is executed, when its
// results cannot be read yet; the app's height (ABCI Info) counts a block
// once its results are saved.
func (w *blockWatcher) latest(ctx context.Context) (int64, error) {
	info, err := w.rpc.ABCIInfo(ctx)
	if err != nil {
		return 0, err
	}
	return info.Response.LastBlockHeight, nil
}

func (w *blockWatcher) deliver(height int64, results []*abci.ExecTxResult) {
	for _, r := range results {
		for _, ev := range r.Events {
			if ev.Type != sdk.EventTypeTx {
				continue
			}
			for _, a := range ev.Attributes {
				if a.Key != sdk.AttributeKeySignature {
					continue
				}
				w.mu.Lock()
				ch, ok := w.waiters[a.Value]
				delete(w.waiters, a.Value)
				w.mu.Unlock()
				if !ok {
					continue
				}
				out, err := outcomeOf(height, r.Code, r.Log, r.Data)
				if err != nil {
					w.log.Error("undecodable tx result", "height", height, "err", err)
					out.Log = err.Error()
				}
				ch <- out
			}
		}
	}
}
