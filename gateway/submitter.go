package gateway

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
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
	// accepted it. ErrMempoolFull asks the caller to retry later.
	Submit(ctx context.Context, envs []streamstypes.Envelope, gas uint64) (string, error)
	// Outcome is the committed result, found=false while not in a block.
	Outcome(ctx context.Context, txHash string) (*TxOutcome, bool, error)
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

	mu          sync.Mutex
	lastTimeout time.Time
}

// newChainSubmitter prepares the factory (account number) for the key in
// clientCtx.FromName.
func newChainSubmitter(clientCtx client.Context, txf tx.Factory, ttl time.Duration) (*chainSubmitter, error) {
	txf = txf.WithChainID(clientCtx.ChainID).WithTxConfig(clientCtx.TxConfig).
		WithKeybase(clientCtx.Keyring).WithAccountRetriever(clientCtx.AccountRetriever).
		WithUnordered(true).WithSequence(0)
	txf, err := txf.Prepare(clientCtx)
	if err != nil {
		return nil, fmt.Errorf("gateway account %s: %w", clientCtx.FromAddress, err)
	}
	return &chainSubmitter{clientCtx: clientCtx, txf: txf, ttl: ttl, txs: txtypes.NewServiceClient(clientCtx)}, nil
}

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

func (s *chainSubmitter) Submit(ctx context.Context, envs []streamstypes.Envelope, gas uint64) (string, error) {
	msg := &streamstypes.MsgPublish{Submitter: s.clientCtx.FromAddress.String(), Envelopes: envs}
	txf := s.txf.WithGas(gas).WithTimeoutTimestamp(s.timeout())
	txb, err := txf.BuildUnsignedTx(msg)
	if err != nil {
		return "", err
	}
	if err := tx.Sign(ctx, txf, s.clientCtx.FromName, txb, true); err != nil {
		return "", err
	}
	bz, err := s.clientCtx.TxConfig.TxEncoder()(txb.GetTx())
	if err != nil {
		return "", err
	}
	res, err := s.clientCtx.BroadcastTxSync(bz)
	if err != nil {
		if strings.Contains(err.Error(), "mempool is full") {
			return "", ErrMempoolFull
		}
		return "", err
	}
	if res.Code != 0 {
		if res.Codespace == sdkerrors.RootCodespace && res.Code == sdkerrors.ErrMempoolIsFull.ABCICode() {
			return "", ErrMempoolFull
		}
		return "", fmt.Errorf("check tx: code %d (%s): %s", res.Code, res.Codespace, res.RawLog)
	}
	return res.TxHash, nil
}

// Outcome reads the tx through the SDK's tx service (protobuf end to end):
// CometBFT's JSON /tx would make the node encode, and the gateway decode, the
// whole transaction and every event of it as JSON, which cost more CPU than
// the rest of the gateway together.
func (s *chainSubmitter) Outcome(ctx context.Context, txHash string) (*TxOutcome, bool, error) {
	res, err := s.txs.GetTx(ctx, &txtypes.GetTxRequest{Hash: txHash})
	if err != nil {
		if status.Code(err) == codes.NotFound || strings.Contains(err.Error(), "not found") {
			return nil, false, nil
		}
		return nil, false, err
	}
	r := res.TxResponse
	out := &TxOutcome{Height: r.Height, Code: r.Code, Log: r.RawLog}
	if out.Code != 0 {
		return out, true, nil
	}
	raw, err := hex.DecodeString(r.Data)
	if err != nil {
		return nil, true, fmt.Errorf("tx %s: result data: %w", txHash, err)
	}
	var data sdk.TxMsgData
	if err := data.Unmarshal(raw); err != nil {
		return nil, true, fmt.Errorf("tx %s: result data: %w", txHash, err)
	}
	if len(data.MsgResponses) != 1 {
		return nil, true, fmt.Errorf("tx %s: %d message responses, want 1", txHash, len(data.MsgResponses))
	}
	var resp streamstypes.MsgPublishResponse
	if err := resp.Unmarshal(data.MsgResponses[0].Value); err != nil {
		return nil, true, fmt.Errorf("tx %s: publish response: %w", txHash, err)
	}
	out.Results = resp.Results
	return out, true, nil
}
