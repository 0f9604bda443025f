package cmd

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/w3bd/w3bd/x/devices/devicekey"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

const (
	flagAlgo        = "algo"
	flagOut         = "out"
	flagKey         = "key"
	flagDeviceChain = "chain-id"
	flagStream      = "stream"
	flagDevice      = "device"
	flagSeq         = "seq"
	flagTimestamp   = "timestamp"
	flagPayloadFile = "payload-file"
	flagHex         = "hex"
)

// DeviceCmd is the device side of w3bd: keys, ids, sign bytes and signed
// envelopes, all offline (no node needed).
func DeviceCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "device",
		Short: "Device-side tools: keys, device ids, sign bytes, signed envelopes (offline)",
	}
	cmd.AddCommand(deviceKeygenCmd(), devicePubkeyCmd(), deviceIDCmd(), deviceSignBytesCmd(), deviceSignCmd(), deviceSimulateCmd())
	return cmd
}

func deviceKeygenCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Generate a device key as PKCS#8 PEM (readable by openssl)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			algo, err := algoFlag(cmd)
			if err != nil {
				return err
			}
			out, _ := cmd.Flags().GetString(flagOut)
			if out == "" {
				return fmt.Errorf("--%s is required", flagOut)
			}
			key, err := devicekey.GenerateKey(algo, nil)
			if err != nil {
				return err
			}
			pem, err := devicekey.MarshalPKCS8PEM(key)
			if err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("%w (keygen never overwrites a key)", err)
			}
			if _, err := f.Write(pem); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			pub := key.PublicKey()
			cmd.Printf("%s\n", hex.EncodeToString(pub))
			cmd.PrintErrf("wrote %s key to %s; device id %s\n", algo, out, devicekey.DeviceID(algo, pub))
			return nil
		},
	}
	cmd.Flags().String(flagAlgo, string(devicekey.P256), "key algorithm: p256, secp256k1 or ed25519")
	cmd.Flags().String(flagOut, "", "file to write the PEM key to (must not exist)")
	return cmd
}

func devicePubkeyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pubkey [key.pem]",
		Short: "Print a device key's public key (hex, compressed for EC keys)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := readKey(args[0])
			if err != nil {
				return err
			}
			cmd.Println(hex.EncodeToString(key.PublicKey()))
			return nil
		},
	}
}

func deviceIDCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "id [pubkey-hex]",
		Short: "Print the device id of a public key (compressed or uncompressed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			algo, err := algoFlag(cmd)
			if err != nil {
				return err
			}
			raw, err := hex.DecodeString(args[0])
			if err != nil {
				return fmt.Errorf("public key must be hex: %w", err)
			}
			pub, err := devicekey.NormalizePublicKey(algo, raw)
			if err != nil {
				return err
			}
			cmd.Println(devicekey.DeviceID(algo, pub))
			return nil
		},
	}
	cmd.Flags().String(flagAlgo, string(devicekey.P256), "key algorithm: p256, secp256k1 or ed25519")
	return cmd
}

func deviceSignBytesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign-bytes",
		Short: "Print the bytes a device signs for an envelope (raw, or --hex)",
		Long: `Print the sign bytes: the protobuf encoding of EnvelopeSignDoc (see x/streams/README.md).
An external signer signs them: ECDSA keys sign their SHA-256 (openssl dgst -sha256 -sign key.pem),
Ed25519 keys sign them as they are (openssl pkeyutl -sign -rawin -inkey key.pem).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := envelopeFlags(cmd)
			if err != nil {
				return err
			}
			device, _ := cmd.Flags().GetString(flagDevice)
			if device == "" {
				return fmt.Errorf("--%s is required", flagDevice)
			}
			if _, err := devicekey.ParseDeviceID(device); err != nil {
				return err
			}
			env.DeviceId = device
			chainID, _ := cmd.Flags().GetString(flagDeviceChain)
			bz := env.SignBytes(chainID)
			if asHex, _ := cmd.Flags().GetBool(flagHex); asHex {
				cmd.Println(hex.EncodeToString(bz))
				return nil
			}
			_, err = cmd.OutOrStdout().Write(bz)
			return err
		},
	}
	addEnvelopeFlags(cmd)
	cmd.Flags().String(flagDevice, "", "device id (w3bdev1...)")
	cmd.Flags().Bool(flagHex, false, "print hex instead of raw bytes")
	return cmd
}

func deviceSignCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sign",
		Short: "Sign a reading and print the envelope as JSON (for 'w3bd tx streams publish' or a gateway)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keyFile, _ := cmd.Flags().GetString(flagKey)
			if keyFile == "" {
				return fmt.Errorf("--%s is required", flagKey)
			}
			key, err := readKey(keyFile)
			if err != nil {
				return err
			}
			env, err := envelopeFlags(cmd)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed(flagTimestamp) {
				env.TimestampMs = uint64(time.Now().UnixMilli())
			}
			env.DeviceId = devicekey.DeviceID(key.Algo(), key.PublicKey())
			chainID, _ := cmd.Flags().GetString(flagDeviceChain)
			if env.Signature, err = key.Sign(env.SignBytes(chainID)); err != nil {
				return err
			}
			out, err := json.Marshal(env.ToJSON())
			if err != nil {
				return err
			}
			cmd.Println(string(out))
			return nil
		},
	}
	addEnvelopeFlags(cmd)
	cmd.Flags().String(flagKey, "", "device key (PEM: PKCS#8, or SEC1 from openssl ecparam)")
	return cmd
}

func addEnvelopeFlags(cmd *cobra.Command) {
	cmd.Flags().String(flagDeviceChain, "", "chain id the envelope is for (required)")
	cmd.Flags().Uint64(flagStream, 0, "stream id (required)")
	cmd.Flags().Uint64(flagSeq, 0, "sequence number, above the device's last accepted one (required)")
	cmd.Flags().Uint64(flagTimestamp, 0, "reading time in ms since the Unix epoch (sign: default now)")
	cmd.Flags().String(flagPayloadFile, "", "file holding the payload, - for stdin (required)")
}

// envelopeFlags reads the envelope fields every signing command shares.
func envelopeFlags(cmd *cobra.Command) (*streamstypes.Envelope, error) {
	for _, name := range []string{flagDeviceChain, flagStream, flagSeq, flagPayloadFile} {
		if !cmd.Flags().Changed(name) {
			return nil, fmt.Errorf("--%s is required", name)
		}
	}
	f := cmd.Flags()
	var env streamstypes.Envelope
	env.StreamId, _ = f.GetUint64(flagStream)
	env.Seq, _ = f.GetUint64(flagSeq)
	env.TimestampMs, _ = f.GetUint64(flagTimestamp)
	if env.Seq == 0 {
		return nil, fmt.Errorf("--%s must be at least 1", flagSeq)
	}
	path, _ := f.GetString(flagPayloadFile)
	var err error
	if path == "-" {
		env.Payload, err = io.ReadAll(cmd.InOrStdin())
	} else {
		env.Payload, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return &env, nil
}

func algoFlag(cmd *cobra.Command) (devicekey.Algo, error) {
	s, _ := cmd.Flags().GetString(flagAlgo)
	return devicekey.ParseAlgo(s)
}

func readKey(path string) (*devicekey.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := devicekey.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return key, nil
}
