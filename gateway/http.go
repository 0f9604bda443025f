package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/w3bd/w3bd/gateway/spool"
	streamstypes "github.com/w3bd/w3bd/x/streams/types"
)

// maxBody bounds a POST: a full batch of the largest envelopes, hex-encoded.
const maxBody = 16 << 20

// EnvelopeStatus is one envelope in an HTTP answer.
type EnvelopeStatus struct {
	DeviceID string `json:"device_id"`
	Seq      uint64 `json:"seq"`
	Status   string `json:"status"` // received, committed, rejected
	Reason   string `json:"reason,omitempty"`
	Error    string `json:"error,omitempty"`
	Height   int64  `json:"height,omitempty"`
	TxHash   string `json:"tx_hash,omitempty"`
}

func statusOf(r Receipt) EnvelopeStatus {
	return EnvelopeStatus{DeviceID: r.Key.Device, Seq: r.Key.Seq, Status: r.Status, Reason: r.Reason,
		Error: r.Error, Height: r.Height, TxHash: r.TxHash}
}

func (g *Gateway) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/envelopes", g.postEnvelopes)
	mux.HandleFunc("GET /v1/envelopes/{device}/{seq}", g.getEnvelope)
	mux.HandleFunc("GET /healthz", g.healthz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.metrics.Registry, promhttp.HandlerOpts{}))
	return mux
}

func (g *Gateway) startHTTP(tlsConf *tls.Config, errs chan<- error) error {
	l, err := listen(g.cfg.HTTPAddr, tlsConf)
	if err != nil {
		return fmt.Errorf("HTTP listener %s: %w", g.cfg.HTTPAddr, err)
	}
	g.http = &http.Server{Handler: g.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := g.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("HTTP: %w", err)
		}
	}()
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// postEnvelopes takes one envelope or an array (JSON), or an EnvelopeBatch
// (application/x-protobuf). 202 with each envelope's status; with
// ?wait=commit, 200 once every accepted envelope is final (or the wait
// timed out: those stay "received"). 429 when the queue is full.
func (g *Gateway) postEnvelopes(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		httpError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	var envs []streamstypes.Envelope
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-protobuf") {
		var batch streamstypes.EnvelopeBatch
		if err = batch.Unmarshal(body); err == nil {
			envs = batch.Envelopes
		}
	} else {
		envs, err = streamstypes.ParseEnvelopesJSON(body)
	}
	if err != nil {
		httpError(w, http.StatusBadRequest, "malformed envelopes: "+err.Error())
		return
	}
	wait := r.URL.Query().Get("wait") == "commit"
	out := make([]EnvelopeStatus, len(envs))
	waits := make(map[int]<-chan Outcome)
	var cancels []func()
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	var sigOK []bool
	if len(envs) > 1 {
		sigOK = g.checker.VerifySignatures(r.Context(), envs)
	}
	for i, env := range envs {
		if wait {
			ch, cancel := g.wait(spool.Key{Device: env.DeviceId, Seq: env.Seq})
			waits[i], cancels = ch, append(cancels, cancel)
		}
		rec, err := g.receive(r.Context(), env, "http", sigOK != nil && sigOK[i])
		if errors.Is(err, ErrBusy) {
			// Envelopes before this one were taken (see their status); this
			// one and the rest are not.
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": ErrBusy.Error(), "accepted": out[:i]})
			return
		}
		out[i] = statusOf(rec)
		if rec.Status != StatusReceived {
			delete(waits, i)
		}
	}
	if !wait {
		writeJSON(w, http.StatusAccepted, map[string]any{"envelopes": out})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), g.cfg.WaitTimeout)
	defer cancel()
	for i, ch := range waits {
		select {
		case o := <-ch:
			out[i] = EnvelopeStatus{DeviceID: o.Key.Device, Seq: o.Key.Seq, Status: o.Status, Reason: o.Reason,
				Error: o.Error, Height: o.Height, TxHash: o.TxHash}
		case <-ctx.Done():
			// Settled meanwhile? Otherwise it stays "received".
			if rec, ok := g.Status(out[i].key()); ok {
				out[i] = statusOf(rec)
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"envelopes": out})
}

func (s EnvelopeStatus) key() spool.Key { return spool.Key{Device: s.DeviceID, Seq: s.Seq} }

func (g *Gateway) getEnvelope(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil {
		httpError(w, http.StatusBadRequest, "seq must be a number")
		return
	}
	rec, ok := g.Status(spool.Key{Device: r.PathValue("device"), Seq: seq})
	if !ok {
		httpError(w, http.StatusNotFound, "no envelope of this device with this seq")
		return
	}
	writeJSON(w, http.StatusOK, statusOf(rec))
}

func (g *Gateway) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if _, err := g.checker.streamParams(ctx); err != nil {
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "pending": g.spool.PendingCount(), "queue": g.pipe.Depth()})
}
