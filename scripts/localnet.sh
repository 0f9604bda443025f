#!/usr/bin/env bash
# A 4-validator w3bd network on loopback.
#   scripts/localnet.sh [start]   write ./localnet (if absent) and start the four nodes
#   scripts/localnet.sh stop      stop them
#   scripts/localnet.sh status    height and app hash of each node
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
w3bd=${W3BD:-$root/build/w3bd}
dir=${LOCALNET_DIR:-$root/localnet}
n=${LOCALNET_VALIDATORS:-4}
base=${LOCALNET_BASE_PORT:-26600}

case "${1:-start}" in
start)
  [ -d "$dir" ] || "$w3bd" testnet init-files --v "$n" --output-dir "$dir" --chain-id w3bd-localnet --base-port "$base"
  for i in $(seq 0 $((n - 1))); do
    "$w3bd" start --home "$dir/node$i" >"$dir/node$i.log" 2>&1 &
    echo $! >"$dir/node$i.pid"
    echo "node$i: pid $!, rpc tcp://127.0.0.1:$((base + 10 * i + 1)), log $dir/node$i.log"
  done
  ;;
stop)
  for f in "$dir"/node*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
  ;;
status)
  for i in $(seq 0 $((n - 1))); do
    curl -s "http://127.0.0.1:$((base + 10 * i + 1))/status" |
      jq -r --arg n "node$i" '"\($n) height \(.result.sync_info.latest_block_height) app_hash \(.result.sync_info.latest_app_hash)"'
  done
  ;;
*) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
