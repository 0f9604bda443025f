package main

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/w3bd/w3bd/sdk/go/w3b"
)

func TestRunningAveragePerDevice(t *testing.T) {
	h := w3b.NewHost(nil)
	readings := map[string][]float64{"a": {20, 22, 27}, "b": {10, -4}}
	for dev, vs := range readings {
		for i, v := range vs {
			payload, _ := json.Marshal(map[string]float64{"temp_c": v})
			if err := h.Deliver(w3b.Event{Device: dev, Seq: uint64(i + 1)}, payload); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(dev string, count uint64, mean, lo, hi float64) {
		var a Average
		if err := json.Unmarshal(h.State["avg/"+dev], &a); err != nil {
			t.Fatalf("%s: %v", dev, err)
		}
		if a.Count != count || math.Abs(a.Mean-mean) > 1e-12 || a.Min != lo || a.Max != hi || a.LastSeq != count {
			t.Errorf("%s: %+v, want count %d mean %v min %v max %v", dev, a, count, mean, lo, hi)
		}
	}
	check("a", 3, 23, 20, 27)
	check("b", 2, 3, -4, 10)
}

func TestAverageFieldFromConfig(t *testing.T) {
	h := w3b.NewHost([]byte(`{"field":"hum"}`))
	if err := h.Deliver(w3b.Event{Device: "a", Seq: 1}, []byte(`{"hum":40,"temp_c":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := h.Deliver(w3b.Event{Device: "a", Seq: 2}, []byte(`{"temp_c":1}`)); err == nil {
		t.Fatal("a reading without the configured field must fail")
	}
	var a Average
	json.Unmarshal(h.State["avg/a"], &a)
	if a.Count != 1 || a.Mean != 40 {
		t.Fatalf("%+v", a)
	}
}
