#!/bin/sh
# Regenerates the committed .wasm fixtures from their .wat sources.
# Needs wabt's wat2wasm (Debian: apt-get install wabt; tested with 1.0.32,
# whose defaults enable SIMD, bulk memory, multi-value). Tests only read the
# committed .wasm files, so wabt is not needed to run them.
set -eu
cd "$(dirname "$0")"
for wat in *.wat; do
	wat2wasm "$wat" -o "${wat%.wat}.wasm"
done
