#!/usr/bin/env bash
# Ingest benchmark (make bench-ingest; not part of CI): one node with 1 s blocks,
# simulated devices publishing signed readings through the gateway over MQTT,
# then, on the same node, plain bank sends as the baseline. Prints committed
# readings per second, publish-to-commit latency p50/p99, and the ratio.
#   BENCH_DEVICES (200) BENCH_RATE (5500) BENCH_SECONDS (30) BENCH_ALGO (ed25519)
set -euo pipefail
# Lever: the processes have memory to spare; collect garbage less often.
export GOGC=${GOGC:-400}
root=$(cd "$(dirname "$0")/.." && pwd)
w3bd=${W3BD:-$root/build/w3bd}
devices=${BENCH_DEVICES:-200}
rate=${BENCH_RATE:-5500}
seconds=${BENCH_SECONDS:-30}
algo=${BENCH_ALGO:-ed25519}
port=${BENCH_PORT_BASE:-37600}
chain=w3bd-bench
rpc="tcp://127.0.0.1:$((port + 1))"
home=$(mktemp -d -t w3bd-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$home"; }
trap cleanup EXIT
[ -n "${BENCH_KEEP:-}" ] && trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; echo "kept $home"' EXIT
k=(--keyring-backend test --home "$home")

"$w3bd" init bench --chain-id "$chain" --home "$home" >/dev/null 2>&1
"$w3bd" config set config rpc.laddr "$rpc" --home "$home" --skip-validate
"$w3bd" config set config p2p.laddr "tcp://127.0.0.1:$port" --home "$home" --skip-validate
"$w3bd" config set config rpc.pprof_laddr "${BENCH_NODE_PPROF:-}" --home "$home" --skip-validate
"$w3bd" config set config mempool.size 20000 --home "$home" --skip-validate
if [ -n "${BENCH_DB_BACKEND:-}" ]; then
  "$w3bd" config set config db_backend "$BENCH_DB_BACKEND" --home "$home" --skip-validate
  "$w3bd" config set app app-db-backend "$BENCH_DB_BACKEND" --home "$home" --skip-validate
fi
"$w3bd" config set app grpc.address "127.0.0.1:$((port + 2))" --home "$home" --skip-validate
# Lever: index only the events searched by (not every record's attributes).
"$w3bd" config set app index-events '["message.sender","message.action","message.module"]' --home "$home" --skip-validate
for key in owner gateway sender; do "$w3bd" keys add "$key" "${k[@]}" >/dev/null 2>&1; done
for key in owner gateway sender; do "$w3bd" genesis add-genesis-account "$key" 1000000000000uw3b "${k[@]}"; done
"$w3bd" genesis gentx owner 100000000uw3b --chain-id "$chain" "${k[@]}" >/dev/null 2>&1
"$w3bd" genesis collect-gentxs --home "$home" >/dev/null 2>&1
"$w3bd" start --home "$home" --log_level warn >"$home/node.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$((port + 1))/status" | jq -e '.result.sync_info.latest_block_height | tonumber > 1' >/dev/null 2>&1; do sleep 0.5; done

tx() {
  local out hash
  out=$("$w3bd" "$@" "${k[@]}" --chain-id "$chain" --node "$rpc" --yes -o json)
  hash=$(jq -r .txhash <<<"$out")
  for _ in $(seq 1 60); do
    "$w3bd" q tx "$hash" --node "$rpc" -o json 2>/dev/null && return
    sleep 0.5
  done
  echo "tx $hash not committed" >&2; exit 1
}
project=$(tx tx devices create-project bench --from owner | jq -r '.events[] | select(.type=="w3b.devices.project_created") | .attributes[] | select(.key=="project_id") | .value')
stream=$(tx tx streams create-stream "$project" telemetry --from owner | jq -r '.events[] | select(.type=="w3b.streams.stream_created") | .attributes[] | select(.key=="stream_id") | .value')

mqtt="127.0.0.1:$((port + 3))"
# Lever: broadcasts and queries over the node's gRPC (protobuf), not JSON-RPC.
grpc=(--grpc-addr "127.0.0.1:$((port + 2))" --grpc-insecure)
[ -n "${BENCH_NO_GRPC:-}" ] && grpc=()
"$w3bd" gateway start --node "$rpc" "${grpc[@]}" --from gateway "${k[@]}" --chain-id "$chain" --mqtt "$mqtt" \
  --http "127.0.0.1:$((port + 4))" --spool-dir "$home/spool" ${BENCH_GATEWAY_FLAGS:-} >"$home/gateway.log" 2>&1 &
pids+=($!)
until curl -sf "http://127.0.0.1:$((port + 4))/healthz" >/dev/null; do sleep 0.3; done

echo "== ingest: $devices $algo devices, $rate readings/s offered for ${seconds}s, MQTT through the gateway"
# --presign: the devices' signing is done before the timed run, as real
# devices sign on their own chips, not on the gateway's CPU.
h0=$(curl -s "http://127.0.0.1:$((port + 1))/status" | jq -r .result.sync_info.latest_block_height)
"$w3bd" device simulate --presign --devices "$devices" --rate "$rate" --stream "$stream" --mqtt "$mqtt" --algo "$algo" \
  --key-dir "$home/devices" --register --from owner "${k[@]}" --chain-id "$chain" --node "$rpc" --ack-qos "${BENCH_ACK_QOS:-0}" ${BENCH_SIM_FLAGS:-} \
  --duration "${seconds}s" --json >"$home/ingest.json"
cat "$home/ingest.json"
# The gateway's own view: receipt to commit outcome (its histogram buckets).
curl -s "http://127.0.0.1:$((port + 4))/metrics" | awk '/^w3b_gateway_publish_to_commit_seconds_(bucket|count)/ {
  if ($1 ~ /_count/) { n = $2 } else { match($1, /le="[^"]*"/); le[++k] = substr($1, RSTART + 4, RLENGTH - 5); c[k] = $2 } }
  END { printf "gateway receipt-to-commit:"; for (i = 1; i <= k; i++) printf " <=%ss %.0f%%", le[i], 100 * c[i] / n; print "" }'
# How full the blocks were: a block holds at most max-in-flight gateway
# transactions.
h1=$(curl -s "http://127.0.0.1:$((port + 1))/status" | jq -r .result.sync_info.latest_block_height)
for ((lo = h0 + 1; lo <= h1; lo += 20)); do
  curl -s "http://127.0.0.1:$((port + 1))/blockchain?minHeight=$lo&maxHeight=$((lo + 19 < h1 ? lo + 19 : h1))" | jq -r '.result.block_metas[].num_txs'
done | sort -n | uniq -c | awk 'BEGIN { printf "blocks by gateway txs:" } { printf " %s×%s", $1, $2 } END { print "" }'
# Block intervals of the run (header times): 1 s of timeout_commit plus
# consensus; the time a reading waits for the next proposal follows them.
for ((lo = h0 + 1; lo <= h1; lo += 20)); do
  curl -s "http://127.0.0.1:$((port + 1))/blockchain?minHeight=$lo&maxHeight=$((lo + 19 < h1 ? lo + 19 : h1))" | jq -r '.result.block_metas[].header.time'
done | sort | while read -r t; do date -d "$t" +%s.%N; done | awk 'NR > 1 { d = $1 - p; s += d; if (d > m) m = d; n++ } { p = $1 }
  END { if (n) printf "block interval: mean %.2f s, max %.2f s over %d blocks\n", s / n, m, n }'

echo "== baseline: plain bank sends on the same node for ${seconds}s"
"$w3bd" testnet load-bank-sends --from sender "${k[@]}" --chain-id "$chain" --node "$rpc" \
  --duration "${seconds}s" --json >"$home/bank.json"
cat "$home/bank.json"

jq -rn --slurpfile i "$home/ingest.json" --slurpfile b "$home/bank.json" '
  $i[0] as $i | $b[0] as $b |
  "\nsent readings/s: \($i.sent_per_second | floor); committed \($i.committed) of \($i.sent), rejected \($i.rejected), unacknowledged \($i.unacked), dropped by full device buffers \($i.dropped)",
  "committed readings/s: \($i.committed_per_second | floor) sustained over \($i.blocks) blocks   (target >= 5000)",
  "  (\($i.overall_committed_per_second | floor)/s from the first send to the last commit, \($i.seconds * 10 | floor / 10) s)",
  "latency p50: \($i.latency_p50_ms) ms, p99: \($i.latency_p99_ms) ms   (target p50 <= 2000 ms)",
  "bank sends/s: \($b.committed_per_second | floor)",
  "ratio readings / bank sends: \(($i.committed_per_second / $b.committed_per_second * 10 | floor) / 10)x   (target >= 10x)"'
