// Command average is an example applet: it keeps a running average of one
// field per device in state, at key "avg/<device id>".
// Config (optional): {"field":"temp_c"}.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o average.wasm .
package main

import (
	"encoding/json"
	"fmt"

	"github.com/w3bd/w3bd/sdk/go/w3b"
)

// Average is the state kept per device.
type Average struct {
	Count   uint64  `json:"count"`
	Mean    float64 `json:"mean"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	LastSeq uint64  `json:"last_seq"`
}

func init() { w3b.Handle(onReading) }

func main() {}

func field() string {
	var cfg struct {
		Field string `json:"field"`
	}
	if len(w3b.Config()) > 0 && w3b.ConfigJSON(&cfg) == nil && cfg.Field != "" {
		return cfg.Field
	}
	return "temp_c"
}

func onReading(payload []byte) error {
	f := field()
	var reading map[string]any
	if err := json.Unmarshal(payload, &reading); err != nil {
		return fmt.Errorf("payload is not a JSON object: %w", err)
	}
	v, ok := reading[f].(float64)
	if !ok {
		return fmt.Errorf("payload has no number %q", f)
	}
	key := "avg/" + w3b.DeviceID()
	var avg Average
	if _, err := w3b.GetJSON(key, &avg); err != nil {
		return err
	}
	avg.Update(v, w3b.Seq())
	return w3b.SetJSON(key, avg)
}

// Update folds one reading into the average.
func (a *Average) Update(v float64, seq uint64) {
	if a.Count == 0 || v < a.Min {
		a.Min = v
	}
	if a.Count == 0 || v > a.Max {
		a.Max = v
	}
	a.Count++
	a.Mean += (v - a.Mean) / float64(a.Count)
	a.LastSeq = seq
}
