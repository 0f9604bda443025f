package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/w3bd/w3bd/gateway/spool"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// MQTT topics. A device publishes its envelopes to
// w3b/v1/streams/<stream id>/devices/<device id> and reads the outcome of
// each on w3b/v1/acks/<device id>.
const (
	topicPrefix = "w3b/v1/streams/"
	ackPrefix   = "w3b/v1/acks/"
)

// AckTopic is where a device's acknowledgements are published.
func AckTopic(device string) string { return ackPrefix + device }

// PublishTopic is where a device publishes envelopes for a stream.
func PublishTopic(stream uint64, device string) string {
	return topicPrefix + strconv.FormatUint(stream, 10) + "/devices/" + device
}

// parseTopic reads w3b/v1/streams/<stream>/devices/<device>.
func parseTopic(topic string) (stream uint64, device string, ok bool) {
	rest, found := strings.CutPrefix(topic, topicPrefix)
	if !found {
		return 0, "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] != "devices" || parts[2] == "" {
		return 0, "", false
	}
	stream, err := strconv.ParseUint(parts[0], 10, 64)
	if err != nil || stream == 0 {
		return 0, "", false
	}
	return stream, parts[2], true
}

// Ack is the acknowledgement published on w3b/v1/acks/<device id>.
type Ack struct {
	DeviceID string `json:"device_id"`
	StreamID uint64 `json:"stream_id"`
	Seq      uint64 `json:"seq"`
	Status   string `json:"status"` // committed or rejected
	Reason   string `json:"reason"`
	Error    string `json:"error,omitempty"`
	Height   int64  `json:"height"`
	TxHash   string `json:"tx_hash"`
}

func ackOf(o Outcome) Ack {
	return Ack{DeviceID: o.Key.Device, StreamID: o.StreamID, Seq: o.Key.Seq, Status: o.Status,
		Reason: o.Reason, Error: o.Error, Height: o.Height, TxHash: o.TxHash}
}

func (g *Gateway) ackMQTT(a Ack) {
	if g.broker == nil {
		return
	}
	b, err := json.Marshal(a)
	if err != nil {
		return
	}
	if err := g.broker.Publish(AckTopic(a.DeviceID), b, false, 1); err != nil {
		g.log.Warn("ack publish failed", "device", a.DeviceID, "err", err)
	}
}

// decodeEnvelope reads a JSON envelope (as `w3bd device sign` prints it) or
// a protobuf Envelope.
func decodeEnvelope(payload []byte) (streamstypes.Envelope, error) {
	trimmed := strings.TrimSpace(string(payload))
	if strings.HasPrefix(trimmed, "{") {
		envs, err := streamstypes.ParseEnvelopesJSON(payload)
		if err != nil {
			return streamstypes.Envelope{}, err
		}
		return envs[0], nil
	}
	var env streamstypes.Envelope
	if err := env.Unmarshal(payload); err != nil {
		return env, fmt.Errorf("neither a JSON object nor a protobuf Envelope: %w", err)
	}
	return env, nil
}

// brokerHook ties MQTT identities to device ids and feeds publishes to the
// gateway. A client's identity is its username, or its client id without
// one: it may publish only to its own device topics and subscribe only to
// its own ack topic. The envelope's signature proves it came from the
// device; the topic check keeps devices from publishing under others' names.
type brokerHook struct {
	mqtt.HookBase
	g *Gateway
}

func (h *brokerHook) ID() string { return "w3b-gateway" }

func (h *brokerHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublish
}

func (h *brokerHook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }

func identity(cl *mqtt.Client) string {
	if u := string(cl.Properties.Username); u != "" {
		return u
	}
	return cl.ID
}

func (h *brokerHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	if cl.Net.Inline {
		return true
	}
	id := identity(cl)
	if write {
		_, device, ok := parseTopic(topic)
		return ok && device == id
	}
	return topic == AckTopic(id)
}

func (h *brokerHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil // the gateway's own acks
	}
	stream, device, _ := parseTopic(pk.TopicName) // the ACL check passed: well-formed
	env, err := decodeEnvelope(pk.Payload)
	if err == nil {
		err = fillFromTopic(&env, stream, device)
	}
	if err != nil {
		r := h.g.early(keyOf(device, env.Seq), streamstypes.ReasonMalformed, err.Error())
		h.g.ackMQTT(Ack{DeviceID: device, StreamID: stream, Seq: env.Seq, Status: r.Status, Reason: r.Reason, Error: r.Error})
		return pk, packets.CodeSuccessIgnore
	}
	r, err := h.g.Receive(context.Background(), env, "mqtt")
	if errors.Is(err, ErrBusy) {
		return pk, packets.ErrRejectPacket // no PUBACK: the client will send it again
	}
	if r.Status != StatusReceived {
		h.g.ackMQTT(Ack{DeviceID: device, StreamID: env.StreamId, Seq: env.Seq, Status: r.Status, Reason: r.Reason,
			Error: r.Error, Height: r.Height, TxHash: r.TxHash})
	}
	return pk, packets.CodeSuccessIgnore // readings are not relayed to subscribers
}

// fillFromTopic lets constrained devices leave stream and device out of the
// envelope (the topic names them); when present they must match the topic.
func fillFromTopic(env *streamstypes.Envelope, stream uint64, device string) error {
	if env.StreamId == 0 {
		env.StreamId = stream
	}
	if env.DeviceId == "" {
		env.DeviceId = device
	}
	if env.StreamId != stream || env.DeviceId != device {
		return fmt.Errorf("envelope for stream %d device %s published on the topic of stream %d device %s", env.StreamId, env.DeviceId, stream, device)
	}
	return nil
}

func (g *Gateway) startMQTT(tlsConf *tls.Config, errs chan<- error) error {
	// mochi logs every connection at info level: keep its warnings only.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	g.broker = mqtt.New(&mqtt.Options{InlineClient: true, Logger: quiet})
	if err := g.broker.AddHook(&brokerHook{g: g}, nil); err != nil {
		return err
	}
	if err := g.broker.AddListener(listeners.NewTCP(listeners.Config{ID: "tcp", Address: g.cfg.MQTTAddr, TLSConfig: tlsConf})); err != nil {
		return fmt.Errorf("MQTT listener %s: %w", g.cfg.MQTTAddr, err)
	}
	go func() {
		if err := g.broker.Serve(); err != nil {
			errs <- fmt.Errorf("MQTT: %w", err)
		}
	}()
	return nil
}

func keyOf(device string, seq uint64) spool.Key { return spool.Key{Device: device, Seq: seq} }
