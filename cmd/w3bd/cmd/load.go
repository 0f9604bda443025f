package cmd

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	sdk "github.com/cosmos/cosmos-sdk/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	"github.com/spf13/cobra"

	"github.com/w3bd/w3bd/app"
)

// LoadReport is what `testnet load-bank-sends` prints (--json).
type LoadReport struct {
	Broadcast   int     `json:"broadcast"`
	Rejected    int     `json:"rejected_by_checktx"`
	Committed   int     `json:"committed"`
	Seconds     float64 `json:"seconds"`
	CommittedPS float64 `json:"committed_per_second"`
}

// loadBankSendsCmd offers the node as many plain bank sends as it takes and
// counts what it commits: the baseline the ingest benchmark compares with.
func loadBankSendsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "load-bank-sends",
		Short: "Load a node with unordered 1uw3b bank sends from --from and report the committed sends per second",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			duration, _ := cmd.Flags().GetDuration("duration")
			workers, _ := cmd.Flags().GetInt("concurrency")
			asJSON, _ := cmd.Flags().GetBool("json")
			txf, err := tx.NewFactoryCLI(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			txf = txf.WithUnordered(true).WithSequence(0).WithGas(100_000)
			if txf, err = txf.Prepare(clientCtx); err != nil {
				return err
			}
			node, err := clientCtx.GetNode()
			if err != nil {
				return err
			}
			st, err := node.Status(cmd.Context())
			if err != nil {
				return err
			}
			startHeight := st.SyncInfo.LatestBlockHeight
			to := sdk.AccAddress([]byte("w3bd-load-recipient!"))
			msg := banktypes.NewMsgSend(clientCtx.FromAddress, to, sdk.NewCoins(sdk.NewInt64Coin(app.BondDenom, 1)))
			var nonce atomic.Int64
			base := time.Now().Add(5 * time.Minute).UnixNano()
			var broadcast, rejected atomic.Int64
			deadline := time.Now().Add(duration)
			var wg sync.WaitGroup
			for range workers {
				wg.Go(func() {
					for time.Now().Before(deadline) {
						// The timeout is the unordered nonce: unique per tx.
						f := txf.WithTimeoutTimestamp(time.Unix(0, base+nonce.Add(1)*int64(time.Millisecond)))
						txb, err := f.BuildUnsignedTx(msg)
						if err == nil {
							err = tx.Sign(cmd.Context(), f, clientCtx.FromName, txb, true)
						}
						var bz []byte
						if err == nil {
							bz, err = clientCtx.TxConfig.TxEncoder()(txb.GetTx())
						}
						if err != nil {
							rejected.Add(1)
							continue
						}
						res, err := clientCtx.BroadcastTxSync(bz)
						broadcast.Add(1)
						if err != nil || res.Code != 0 {
							rejected.Add(1)
							time.Sleep(20 * time.Millisecond) // mempool full: let it drain
						}
					}
				})
			}
			wg.Wait()
			// Count what the blocks committed while we sent.
			time.Sleep(3 * time.Second)
			rep, err := committedSince(cmd, clientCtx, startHeight, deadline)
			if err != nil {
				return err
			}
			rep.Broadcast, rep.Rejected = int(broadcast.Load()), int(rejected.Load())
			if asJSON {
				b, _ := json.Marshal(rep)
				cmd.Println(string(b))
				return nil
			}
			cmd.Printf("broadcast %d (refused %d), committed %d bank sends in %.1fs: %.0f per second\n",
				rep.Broadcast, rep.Rejected, rep.Committed, rep.Seconds, rep.CommittedPS)
			return nil
		},
	}
	cmd.Flags().Duration("duration", 20*time.Second, "how long to send")
	cmd.Flags().Int("concurrency", 16, "concurrent signers and broadcasters")
	cmd.Flags().Bool("json", false, "print the report as JSON")
	flags.AddTxFlagsToCmd(cmd)
	return cmd
}

// committedSince sums the transactions of the blocks after startHeight whose
// time is not after until, over the time those blocks span.
func committedSince(cmd *cobra.Command, clientCtx client.Context, startHeight int64, until time.Time) (LoadReport, error) {
	node, err := clientCtx.GetNode()
	if err != nil {
		return LoadReport{}, err
	}
	var rep LoadReport
	var first, last time.Time
	for h := startHeight + 1; ; h++ {
		b, err := node.Block(cmd.Context(), &h)
		if err != nil {
			break // past the latest block
		}
		if b.Block.Time.After(until.Add(2 * time.Second)) {
			break
		}
		if first.IsZero() {
			prev := h - 1
			if pb, err := node.Block(cmd.Context(), &prev); err == nil {
				first = pb.Block.Time
			}
		}
		rep.Committed += len(b.Block.Txs)
		last = b.Block.Time
	}
	if last.After(first) {
		rep.Seconds = last.Sub(first).Seconds()
		rep.CommittedPS = float64(rep.Committed) / rep.Seconds
	}
	return rep, nil
}
