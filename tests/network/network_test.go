package network_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdknetwork "github.com/cosmos/cosmos-sdk/testutil/network"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/w3bd/w3bd/testutil"
	"github.com/w3bd/w3bd/testutil/network"
	"github.com/w3bd/w3bd/x/devices/devicekey"
	devicestypes "github.com/w3bd/w3bd/x/devices/types"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// deliver signs msgs with the validator's key, broadcasts them and returns
// the committed result.
func deliver(t *testing.T, net *sdknetwork.Network, val *sdknetwork.Validator, msgs ...sdk.Msg) *abci.ExecTxResult {
	t.Helper()
	clientCtx := val.ClientCtx.WithFromName(val.Moniker).WithFromAddress(val.Address)
	txf := tx.Factory{}.
		WithChainID(net.Config.ChainID).
		WithKeybase(clientCtx.Keyring).
		WithTxConfig(clientCtx.TxConfig).
		WithAccountRetriever(clientCtx.AccountRetriever).
		WithGas(5_000_000)
	txf, err := txf.Prepare(clientCtx)
	require.NoError(t, err)
	txb, err := txf.BuildUnsignedTx(msgs...)
	require.NoError(t, err)
	require.NoError(t, tx.Sign(context.Background(), txf, clientCtx.FromName, txb, true))
	bz, err := clientCtx.TxConfig.TxEncoder()(txb.GetTx())
	require.NoError(t, err)
	res, err := clientCtx.BroadcastTxSync(bz)
	require.NoError(t, err)
	require.Zero(t, res.Code, res.RawLog)
	hash, err := hex.DecodeString(res.TxHash)
	require.NoError(t, err)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := val.RPCClient.Tx(context.Background(), hash, false); err == nil {
			require.Zero(t, r.TxResult.Code, r.TxResult.Log)
			return &r.TxResult
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("tx %s not committed", res.TxHash)
	return nil
}

// TestInProcessNetwork runs two validators in process and sends the data path
// through a validator's real CometBFT RPC and gRPC: forged readings are
// rejected, valid ones served, and both validators keep committing.
func TestInProcessNetwork(t *testing.T) {
	cfg := network.DefaultConfig()
	cfg.NumValidators = 2
	cfg.ChainID = testutil.ChainID
	net, err := sdknetwork.New(t, t.TempDir(), cfg)
	require.NoError(t, err)
	t.Cleanup(net.Cleanup)
	_, err = net.WaitForHeight(2)
	require.NoError(t, err)
	val := net.Validators[0]
	owner := val.Address.String()

	deliver(t, net, val, &devicestypes.MsgCreateProject{Owner: owner, Name: "net"})
	dev := testutil.NewDevice(t, devicekey.P256, 7)
	deliver(t, net, val, &devicestypes.MsgRegisterDevice{Owner: owner, ProjectId: 1, PubKey: dev.Key.PublicKey(), Algo: "p256"})
	deliver(t, net, val, &streamstypes.MsgCreateStream{Owner: owner, ProjectId: 1, Name: "s"})

	// Block time is later than the fixture's, so timestamps are in the past: fine.
	good1 := dev.Envelope(t, 1, 1, testutil.Reading(1))
	good2 := dev.Envelope(t, 1, 2, testutil.Reading(2))
	forged := dev.Envelope(t, 1, 3, testutil.Reading(3))
	forged.Payload = testutil.Reading(4)
	res := deliver(t, net, val, &streamstypes.MsgPublish{Submitter: owner, Envelopes: []streamstypes.Envelope{good1, good2, forged}})
	var rejected []string
	for _, e := range res.Events {
		if e.Type == streamstypes.EventTypeEnvelopeRejected {
			for _, a := range e.Attributes {
				if a.Key == streamstypes.AttributeKeyReason {
					rejected = append(rejected, a.Value)
				}
			}
		}
	}
	require.Equal(t, []string{streamstypes.ReasonBadSignature}, rejected)

	// Two validators of equal power: a block commits only with both
	// signatures, and each checks the app hash in the header against its own
	// state, so blocks committing after the publish prove they agree on it.
	vals, err := val.RPCClient.Validators(context.Background(), nil, nil, nil)
	require.NoError(t, err)
	require.Len(t, vals.Validators, 2)
	require.Equal(t, vals.Validators[0].VotingPower, vals.Validators[1].VotingPower)
	_, err = net.WaitForHeightWithTimeout(mustHeight(t, net)+2, 20*time.Second)
	require.NoError(t, err)

	// The records are served over the validator's real gRPC endpoint.
	conn, err := grpc.NewClient(val.AppConfig.GRPC.Address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	recs, err := streamstypes.NewQueryClient(conn).Records(context.Background(), &streamstypes.QueryRecordsRequest{StreamId: 1})
	require.NoError(t, err)
	require.Len(t, recs.Records, 2)
	require.Equal(t, good2.Payload, recs.Records[1].Payload)
	d, err := devicestypes.NewQueryClient(conn).Device(context.Background(), &devicestypes.QueryDeviceRequest{DeviceId: dev.ID})
	require.NoError(t, err)
	require.Equal(t, uint64(2), d.Device.LastSeq)
}

func mustHeight(t *testing.T, net *sdknetwork.Network) int64 {
	t.Helper()
	h, err := net.LatestHeight()
	require.NoError(t, err)
	return h
}
