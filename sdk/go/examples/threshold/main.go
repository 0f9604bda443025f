// Command threshold is an example applet: it emits "alert" when a device's
// reading crosses above the configured threshold and "clear" when it falls
// back to or below it. Config: {"field":"temp_c","threshold":30}.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o threshold.wasm .
package main

import (
	"encoding/json"
	"fmt"

	"github.com/w3bd/w3bd/sdk/go/w3b"
)

type config struct {
	Field     string  `json:"field"`
	Threshold float64 `json:"threshold"`
}

// Alert is the data of an "alert" or "clear" output.
type Alert struct {
	Device    string  `json:"device"`
	Stream    uint64  `json:"stream"`
	Seq       uint64  `json:"seq"`
	TimeMs    int64   `json:"time_ms"`
	Field     string  `json:"field"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
}

func init() { w3b.Handle(onReading) }

func main() {}

func onReading(payload []byte) error {
	var cfg config
	if err := w3b.ConfigJSON(&cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if cfg.Field == "" {
		cfg.Field = "temp_c"
	}
	var reading map[string]any
	if err := json.Unmarshal(payload, &reading); err != nil {
		return fmt.Errorf("payload is not a JSON object: %w", err)
	}
	v, ok := reading[cfg.Field].(float64)
	if !ok {
		return fmt.Errorf("payload has no number %q", cfg.Field)
	}
	key := "above/" + w3b.DeviceID()
	_, wasAbove := w3b.Get(key)
	above := v > cfg.Threshold
	if above == wasAbove {
		return nil
	}
	alert := Alert{
		Device: w3b.DeviceID(), Stream: w3b.StreamID(), Seq: w3b.Seq(), TimeMs: w3b.EventTime(),
		Field: cfg.Field, Value: v, Threshold: cfg.Threshold,
	}
	if above {
		w3b.Set(key, []byte{1})
		w3b.Logf(w3b.LevelWarn, "%s: %s %.2f above %.2f", alert.Device, cfg.Field, v, cfg.Threshold)
		return w3b.EmitJSON("alert", alert)
	}
	w3b.Delete(key)
	return w3b.EmitJSON("clear", alert)
}
