package gateway

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the gateway's Prometheus series (GET /metrics).
type Metrics struct {
	Registry   *prometheus.Registry
	Received   *prometheus.CounterVec
	Rejected   *prometheus.CounterVec
	Batched    prometheus.Counter
	Committed  prometheus.Counter
	Txs        *prometheus.CounterVec
	Resent     *prometheus.CounterVec
	QueueDepth prometheus.Gauge
	Pending    prometheus.GaugeFunc
	Latency    prometheus.Histogram
}

func newMetrics(pending func() float64) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "w3b_gateway_envelopes_received_total", Help: "Envelopes received, by transport.",
		}, []string{"transport"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "w3b_gateway_envelopes_rejected_total", Help: "Envelopes rejected (early or by the chain), by reason.",
		}, []string{"reason"}),
		Batched: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "w3b_gateway_envelopes_batched_total", Help: "Envelopes put into transactions (resubmissions included).",
		}),
		Committed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "w3b_gateway_envelopes_committed_total", Help: "Envelopes committed on chain.",
		}),
		Txs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "w3b_gateway_txs_total", Help: "Transactions, by result (submitted, committed, failed, retry).",
		}, []string{"result"}),
		Resent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "w3b_gateway_envelopes_resent_total", Help: "Envelopes sent again, by why (out_of_order, out_of_gas, not_judged).",
		}, []string{"why"}),
		QueueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "w3b_gateway_queue_depth", Help: "Envelopes waiting for a batch.",
		}),
		Pending: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "w3b_gateway_spool_pending", Help: "Envelopes spooled and not yet final.",
		}, pending),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "w3b_gateway_publish_to_commit_seconds",
			Help:    "From receipt by the gateway to the commit of the envelope's block.",
			Buckets: []float64{0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60},
		}),
	}
	m.Registry.MustRegister(m.Received, m.Rejected, m.Batched, m.Committed, m.Txs, m.Resent, m.QueueDepth, m.Pending, m.Latency)
	return m
}
