package cmd

import (
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // --pprof
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/client/flags"
	"github.com/cosmos/cosmos-sdk/client/tx"
	"github.com/cosmos/cosmos-sdk/server"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/w3bd/w3bd/gateway"
)

// Gateway flags and their app.toml keys ([gateway] section); a flag given on
// the command line wins over the file.
var gatewayOptions = []struct {
	flag, key, usage string
}{
	{"mqtt", "gateway.mqtt-address", "MQTT listen address (empty: no MQTT)"},
	{"http", "gateway.http-address", "HTTP listen address (empty: no HTTP)"},
	{"tls-cert", "gateway.tls-cert-file", "TLS certificate (PEM); with --tls-key, MQTT and HTTP use TLS"},
	{"tls-key", "gateway.tls-key-file", "TLS private key (PEM)"},
	{"spool-dir", "gateway.spool-dir", "durable spool directory (default <home>/data/gateway-spool)"},
	{"batch-size", "gateway.batch-size", "envelopes per transaction"},
	{"batch-window", "gateway.batch-window", "longest wait for a batch to fill"},
	{"max-in-flight", "gateway.max-in-flight", "transactions submitted and not yet committed, over all lanes"},
	{"queue-size", "gateway.queue-size", "envelopes waiting for a batch; beyond, receipt is refused (MQTT: no PUBACK, HTTP: 429)"},
	{"cache-ttl", "gateway.cache-ttl", "how long chain state is cached by the early checks"},
	{"lanes", "gateway.lanes", "batching lanes (a device always uses the same one); each sends up to max-in-flight/lanes transactions ahead of their outcomes"},
}

// GatewayCmd is `w3bd gateway`.
func GatewayCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "gateway", Short: "The MQTT/HTTP service endpoint devices publish to"}
	cmd.AddCommand(gatewayStartCmd())
	return cmd
}

func gatewayStartCmd() *cobra.Command {
	def := gateway.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Serve MQTT and HTTP, check envelopes early, spool them, batch them into transactions signed by --from",
		Long: `Devices publish signed envelopes (JSON as 'w3bd device sign' prints them, or protobuf) to
MQTT topic w3b/v1/streams/<stream id>/devices/<device id> (the MQTT client id or username must
be the device id) and read acknowledgements on w3b/v1/acks/<device id>:
  {"device_id", "stream_id", "seq", "status": "committed"|"rejected", "reason", "height", "tx_hash"}
HTTP: POST /v1/envelopes (one or an array; ?wait=commit), GET /v1/envelopes/<device id>/<seq>,
GET /healthz, GET /metrics. Envelopes are fsynced to the spool before receipt is acknowledged.`,
		Example: "w3bd gateway start --node tcp://127.0.0.1:26657 --from gateway --mqtt 127.0.0.1:1883 --http 127.0.0.1:8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			clientCtx, err := client.GetClientTxContext(cmd)
			if err != nil {
				return err
			}
			if clientCtx.FromName == "" {
				return fmt.Errorf("--%s is required: the key that signs the gateway's transactions", flags.FlagFrom)
			}
			v := server.GetServerContextFromCmd(cmd).Viper
			for _, o := range gatewayOptions {
				if err := v.BindPFlag(o.key, cmd.Flags().Lookup(o.flag)); err != nil {
					return err
				}
			}
			cfg := gatewayConfig(v, clientCtx.HomeDir)
			txf, err := tx.NewFactoryCLI(clientCtx, cmd.Flags())
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			servePprof(cmd, log)
			g, err := gateway.New(cfg, clientCtx, txf, log)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return g.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.String("mqtt", def.MQTTAddr, gatewayOptions[0].usage)
	f.String("http", def.HTTPAddr, gatewayOptions[1].usage)
	f.String("tls-cert", "", gatewayOptions[2].usage)
	f.String("tls-key", "", gatewayOptions[3].usage)
	f.String("spool-dir", "", gatewayOptions[4].usage)
	f.Int("batch-size", def.Pipeline.BatchSize, gatewayOptions[5].usage)
	f.Duration("batch-window", def.Pipeline.BatchWindow, gatewayOptions[6].usage)
	f.Int("max-in-flight", def.Pipeline.MaxInFlight, gatewayOptions[7].usage)
	f.Int("queue-size", def.Pipeline.QueueSize, gatewayOptions[8].usage)
	f.Duration("cache-ttl", def.CacheTTL, gatewayOptions[9].usage)
	f.Int("lanes", def.Pipeline.Lanes, gatewayOptions[10].usage)
	addPprofFlag(cmd)
	flags.AddTxFlagsToCmd(cmd)
	f.String(flags.FlagGRPC, "", "the node's gRPC address (host:port): broadcasts and queries in protobuf over gRPC instead of CometBFT's JSON-RPC")
	f.Bool(flags.FlagGRPCInsecure, false, "gRPC without TLS (a node on the same host)")
	return cmd
}

// addPprofFlag adds --pprof, for profiling the long-running commands under load.
func addPprofFlag(cmd *cobra.Command) {
	cmd.Flags().String("pprof", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6061")
}

func servePprof(cmd *cobra.Command, log *slog.Logger) {
	if addr, _ := cmd.Flags().GetString("pprof"); addr != "" {
		go func() { log.Warn("pprof", "err", http.ListenAndServe(addr, nil)) }() // net/http/pprof's handlers
	}
}

func gatewayConfig(v *viper.Viper, home string) gateway.Config {
	cfg := gateway.DefaultConfig()
	cfg.MQTTAddr = v.GetString("gateway.mqtt-address")
	cfg.HTTPAddr = v.GetString("gateway.http-address")
	cfg.TLSCertFile = v.GetString("gateway.tls-cert-file")
	cfg.TLSKeyFile = v.GetString("gateway.tls-key-file")
	cfg.SpoolDir = v.GetString("gateway.spool-dir")
	if cfg.SpoolDir == "" {
		cfg.SpoolDir = filepath.Join(home, "data", "gateway-spool")
	}
	cfg.Pipeline.BatchSize = v.GetInt("gateway.batch-size")
	cfg.Pipeline.BatchWindow = v.GetDuration("gateway.batch-window")
	cfg.Pipeline.MaxInFlight = v.GetInt("gateway.max-in-flight")
	cfg.Pipeline.Lanes = v.GetInt("gateway.lanes")
	cfg.Pipeline.QueueSize = v.GetInt("gateway.queue-size")
	cfg.CacheTTL = v.GetDuration("gateway.cache-ttl")
	return cfg
}
