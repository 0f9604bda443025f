package main

import (
	"encoding/json"
	"testing"

	"github.com/w3bd/w3bd/sdk/go/w3b"
)

func TestThresholdCrossings(t *testing.T) {
	h := w3b.NewHost([]byte(`{"field":"temp_c","threshold":30}`))
	temps := []float64{25, 31, 35, 29, 30, 30.5}
	for i, v := range temps {
		payload, _ := json.Marshal(map[string]float64{"temp_c": v})
		if err := h.Deliver(w3b.Event{Device: "dev-a", Stream: 1, Seq: uint64(i + 1)}, payload); err != nil {
			t.Fatalf("reading %d: %v", i, err)
		}
	}
	// Crossings: 25->31 above, 35->29 back, 30->30.5 above again (30 is not above 30).
	want := []struct {
		topic string
		seq   uint64
		value float64
	}{{"alert", 2, 31}, {"clear", 4, 29}, {"alert", 6, 30.5}}
	if len(h.Outputs) != len(want) {
		t.Fatalf("outputs %+v, want %d", h.Outputs, len(want))
	}
	for i, w := range want {
		var a Alert
		if err := json.Unmarshal(h.Outputs[i].Data, &a); err != nil {
			t.Fatal(err)
		}
		if h.Outputs[i].Topic != w.topic || a.Seq != w.seq || a.Value != w.value || a.Device != "dev-a" {
			t.Errorf("output %d = %s %+v, want %+v", i, h.Outputs[i].Topic, a, w)
		}
	}
	if _, above := h.State["above/dev-a"]; !above {
		t.Error("device should be above the threshold at the end")
	}
}

func TestThresholdRejectsBadPayload(t *testing.T) {
	h := w3b.NewHost([]byte(`{"threshold":1}`))
	if err := h.Deliver(w3b.Event{Device: "d"}, []byte("not json")); err == nil {
		t.Fatal("want an error for a non-JSON payload")
	}
	if err := h.Deliver(w3b.Event{Device: "d"}, []byte(`{"hum":3}`)); err == nil {
		t.Fatal("want an error for a payload without the field")
	}
	if len(h.Outputs) != 0 || len(h.State) != 0 {
		t.Fatalf("failed events must leave nothing: %+v %+v", h.Outputs, h.State)
	}
}
