#!/usr/bin/env bash
# Builds the AssemblyScript example applet with the pinned compiler of
# sdk/assemblyscript/package-lock.json: prints the path of the .wasm.
set -euo pipefail
dir=$(cd "$(dirname "$0")/../sdk/assemblyscript" && pwd)
cd "$dir"
[ -d node_modules/assemblyscript ] || npm ci --no-audit --no-fund --loglevel=error >&2
npm run --silent build >&2
echo "$dir/build/max.wasm"
