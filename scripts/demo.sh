#!/usr/bin/env bash
# The w3bd journey on one local node, with the CLI only:
#   a developer creates a project and a stream, registers devices by public key
#   (one key made by openssl), devices sign readings, anyone publishes them, the
#   chain admits exactly the valid ones, and anyone queries them.
# Everything lives in a temporary home that is removed at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
w3bd=${W3BD:-$root/build/w3bd}
chain=w3bd-demo
port=${DEMO_PORT_BASE:-36600}
rpc="tcp://127.0.0.1:$((port + 1))"
home=$(mktemp -d -t w3bd-demo.XXXXXX)
work="$home/work"
mkdir -p "$work"
node_pid=""
gw_pid=""
cleanup() {
  if [ -n "$gw_pid" ]; then kill "$gw_pid" 2>/dev/null || true; wait "$gw_pid" 2>/dev/null || true; fi
  if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  rm -rf "$home"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
q() { "$w3bd" "$@" --node "$rpc" -o json; }
# tx FROM ARGS... : broadcast, wait for the block, fail loudly on error, print the result
tx() {
  local from=$1; shift
  local out hash res
  out=$("$w3bd" "$@" --from "$from" --keyring-backend test --home "$home" --chain-id "$chain" --node "$rpc" --yes -o json)
  [ "$(jq -r .code <<<"$out")" = 0 ] || { echo "rejected: $out" >&2; exit 1; }
  hash=$(jq -r .txhash <<<"$out")
  for _ in $(seq 1 60); do
    if res=$("$w3bd" q tx "$hash" --node "$rpc" -o json 2>/dev/null); then
      [ "$(jq -r .code <<<"$res")" = 0 ] || { echo "tx failed: $(jq -r .raw_log <<<"$res")" >&2; exit 1; }
      echo "$res"; return
    fi
    sleep 0.5
  done
  echo "tx $hash not committed" >&2; exit 1
}
event() { jq -r --arg t "$1" --arg k "$2" '[.events[] | select(.type==$t) | .attributes[] | select(.key==$k) | .value] | .[]'; }

say "1. A single-node chain in $home"
"$w3bd" init demo --chain-id "$chain" --home "$home" >/dev/null 2>&1
"$w3bd" config set config rpc.laddr "$rpc" --home "$home" --skip-validate
"$w3bd" config set config p2p.laddr "tcp://127.0.0.1:$port" --home "$home" --skip-validate
"$w3bd" config set config rpc.pprof_laddr "" --home "$home" --skip-validate
"$w3bd" config set app grpc.address "127.0.0.1:$((port + 2))" --home "$home" --skip-validate
for k in alice gateway; do "$w3bd" keys add "$k" --keyring-backend test --home "$home" >/dev/null 2>&1; done
for k in alice gateway; do "$w3bd" genesis add-genesis-account "$k" 1000000000000uw3b --keyring-backend test --home "$home"; done
"$w3bd" genesis gentx alice 100000000uw3b --chain-id "$chain" --keyring-backend test --home "$home" >/dev/null 2>&1
"$w3bd" genesis collect-gentxs --home "$home" >/dev/null 2>&1
"$w3bd" start --home "$home" >"$home/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 60); do
  h=$(curl -s "http://127.0.0.1:$((port + 1))/status" | jq -r '.result.sync_info.latest_block_height' 2>/dev/null || echo 0)
  [ "${h:-0}" != "null" ] && [ "${h:-0}" -ge 1 ] 2>/dev/null && break
  sleep 0.5
done
echo "node running (pid $node_pid), height $h, 1 s blocks"

say "2. alice creates a project and a stream"
project=$(tx alice tx devices create-project greenhouse --metadata '{"site":"north wing"}' | event w3b.devices.project_created project_id)
stream=$(tx alice tx streams create-stream "$project" air-quality | event w3b.streams.stream_created stream_id)
echo "project $project, stream $stream"

say "3. Devices: a P-256 key made by w3bd, an Ed25519 key, and a secp256k1 key made by openssl"
p256_pub=$("$w3bd" device keygen --algo p256 --out "$work/sensor-a.pem" 2>/dev/null)
ed_pub=$("$w3bd" device keygen --algo ed25519 --out "$work/sensor-b.pem" 2>/dev/null)
openssl ecparam -name secp256k1 -genkey -noout -out "$work/sensor-c.pem"
k1_pub=$("$w3bd" device pubkey "$work/sensor-c.pem")
for spec in "p256 $p256_pub" "ed25519 $ed_pub" "secp256k1 $k1_pub"; do
  set -- $spec
  id=$(tx alice tx devices register-device "$project" "$2" --algo "$1" | event w3b.devices.device_registered device_id)
  echo "registered $1 device $id"
done
dev_c=$("$w3bd" device id "$k1_pub" --algo secp256k1)

say "4. A developer uploads two Go applets and runs them over the stream"
GOOS=wasip1 GOARCH=wasm go build -C "$root" -buildmode=c-shared -o "$work/threshold.wasm" ./sdk/go/examples/threshold
GOOS=wasip1 GOARCH=wasm go build -C "$root" -buildmode=c-shared -o "$work/average.wasm" ./sdk/go/examples/average
thr_code=$(tx alice tx applets store-code "$work/threshold.wasm" | event w3b.applets.code_stored code_id)
avg_code=$(tx alice tx applets store-code "$work/average.wasm" | event w3b.applets.code_stored code_id)
thr=$(tx alice tx applets instantiate "$thr_code" "$project" --streams "$stream" --config '{"field":"temp_c","threshold":21.5}' \
  --gas-per-event 60000000 --deposit 10000000uw3b | event w3b.applets.instantiated instance_id)
avg=$(tx alice tx applets instantiate "$avg_code" "$project" --streams "$stream" \
  --gas-per-event 60000000 --deposit 10000000uw3b | event w3b.applets.instantiated instance_id)
echo "threshold alert: code $thr_code, instance $thr (alerts above 21.5 C); running average: code $avg_code, instance $avg"

say "5. Devices sign readings; the gateway account publishes them (devices are not accounts)"
echo '{"temp_c":21.4,"co2_ppm":412}' >"$work/r1.json"
echo '{"temp_c":21.9,"co2_ppm":430}' >"$work/r2.json"
"$w3bd" device sign --key "$work/sensor-a.pem" --chain-id "$chain" --stream "$stream" --seq 1 --payload-file "$work/r1.json" >"$work/a1.json"
"$w3bd" device sign --key "$work/sensor-b.pem" --chain-id "$chain" --stream "$stream" --seq 1 --payload-file "$work/r2.json" >"$work/b1.json"
echo "signed by w3bd device sign:"; cat "$work/a1.json"

echo "signed by openssl over the bytes of 'w3bd device sign-bytes':"
ts=$(($(date +%s) * 1000))
echo '{"temp_c":19.8,"co2_ppm":398}' >"$work/r3.json"
"$w3bd" device sign-bytes --chain-id "$chain" --stream "$stream" --device "$dev_c" --seq 1 --timestamp "$ts" --payload-file "$work/r3.json" >"$work/c1.bin"
sig=$(openssl dgst -sha256 -sign "$work/sensor-c.pem" "$work/c1.bin" | xxd -p | tr -d '\n')
jq -n --argjson s "$stream" --arg d "$dev_c" --argjson ts "$ts" --arg p "$(xxd -p "$work/r3.json" | tr -d '\n')" --arg sig "$sig" \
  '{stream_id:$s, device_id:$d, seq:1, timestamp_ms:$ts, payload:$p, signature:$sig}' >"$work/c1.json"
cat "$work/c1.json"
jq -s . "$work/a1.json" "$work/b1.json" "$work/c1.json" >"$work/batch.json"
res=$(tx gateway tx streams publish "$work/batch.json")
echo "accepted records: $(event w3b.streams.records_appended first_index <<<"$res") to $(event w3b.streams.records_appended last_index <<<"$res")"

say "6. Bad input is rejected with a reason and stores nothing"
res=$(tx gateway tx streams publish "$work/a1.json")
echo "replayed envelope      -> $(event w3b.streams.envelope_rejected reason <<<"$res")"
jq '.payload = "7b2274656d705f63223a39397d"' "$work/b1.json" >"$work/forged.json"
jq '.seq = 2' "$work/forged.json" >"$work/forged2.json"
res=$(tx gateway tx streams publish "$work/forged2.json")
echo "tampered payload       -> $(event w3b.streams.envelope_rejected reason <<<"$res")"
tx alice tx devices set-device-status "$dev_c" suspended >/dev/null
"$w3bd" device sign --key "$work/sensor-c.pem" --chain-id "$chain" --stream "$stream" --seq 2 --payload-file "$work/r3.json" >"$work/c2.json"
res=$(tx gateway tx streams publish "$work/c2.json")
echo "suspended device       -> $(event w3b.streams.envelope_rejected reason <<<"$res")"

say "7. Through the gateway, as devices do: MQTT (mosquitto) and HTTP (curl)"
mqtt="127.0.0.1:$((port + 3))"
gw_http="http://127.0.0.1:$((port + 4))"
"$w3bd" gateway start --node "$rpc" --from gateway --keyring-backend test --home "$home" --chain-id "$chain" \
  --mqtt "$mqtt" --http "127.0.0.1:$((port + 4))" --spool-dir "$home/spool" >"$home/gateway.log" 2>&1 &
gw_pid=$!
until curl -sf "$gw_http/healthz" >/dev/null; do sleep 0.3; done
echo "gateway: MQTT $mqtt, HTTP $gw_http (pid $gw_pid)"
a_id=$("$w3bd" device id "$p256_pub" --algo p256)
b_id=$("$w3bd" device id "$ed_pub" --algo ed25519)
mosquitto_sub -h 127.0.0.1 -p $((port + 3)) -u "$a_id" -i demo-acks -t "w3b/v1/acks/$a_id" -q 1 -C 1 -W 30 >"$work/ack.json" &
sub_pid=$!
sleep 1
echo '{"temp_c":22.8,"co2_ppm":455}' >"$work/r4.json"
"$w3bd" device sign --key "$work/sensor-a.pem" --chain-id "$chain" --stream "$stream" --seq 2 --payload-file "$work/r4.json" >"$work/a2.json"
mosquitto_pub -h 127.0.0.1 -p $((port + 3)) -u "$a_id" -i demo-sensor-a -t "w3b/v1/streams/$stream/devices/$a_id" -q 1 -f "$work/a2.json"
wait "$sub_pid" || true
echo "MQTT ack of sensor-a's reading: $(cat "$work/ack.json")"
echo '{"temp_c":23.1,"co2_ppm":470}' >"$work/r5.json"
"$w3bd" device sign --key "$work/sensor-b.pem" --chain-id "$chain" --stream "$stream" --seq 2 --payload-file "$work/r5.json" >"$work/b2.json"
echo "HTTP answer for sensor-b's reading: $(curl -s -X POST -H 'Content-Type: application/json' --data-binary @"$work/b2.json" "$gw_http/v1/envelopes?wait=commit" | jq -c '.envelopes[0]')"
echo "a simulated fleet: 10 devices, 50 readings/s for 5 s over MQTT"
"$w3bd" device simulate --devices 10 --rate 50 --stream "$stream" --mqtt "$mqtt" --key-dir "$work/fleet" --register \
  --from alice --keyring-backend test --home "$home" --chain-id "$chain" --node "$rpc" --duration 5s 2>/dev/null
curl -s "$gw_http/metrics" | grep -E '^w3b_gateway_(envelopes_committed_total|envelopes_batched_total|publish_to_commit_seconds_count)'

say "8. Anyone queries the records"
q q streams records "$stream" --page-limit 8 | jq -c '.records[] | {index: (.index // "0"), device_id, seq, payload: (.payload | @base64d)}'
q q streams stream "$stream" | jq -c '.stream | {id, record_count, commitment}'
echo "DID document of the openssl device:"
"$w3bd" q devices did-document "did:w3b:$dev_c" --node "$rpc" | jq -c .

say "9. What the applets computed (they ran in the EndBlock of each readings' block)"
sleep 1.5
echo "running average of $a_id:"
q q applets state "$avg" "avg/$a_id" | jq -r .value | base64 -d; echo
echo "threshold outputs:"
q q applets outputs "$thr" --page-limit 4 | jq -c '.outputs[] | {topic: (.topic | @base64d), data: (.payload | @base64d | fromjson)}'
echo "threshold log:"
q q applets logs "$thr" | jq -r '.logs[] | "  [\(.status)] \(.message)"'
q q applets instance "$avg" | jq -c '.instance | {id, status, events_ok, events_failed, gas_used, deposit}'

say "Done: node stopped, $home removed"
