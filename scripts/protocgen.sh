#!/usr/bin/env bash
# Regenerates x/*/types/*.pb.go and *.pb.gw.go from proto/w3b with the pinned
# tools of tools/go.mod; imported protos are vendored in proto/third_party.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.bin"
mkdir -p "$bin"
(cd "$root/tools" && go build -o "$bin/" \
  github.com/bufbuild/buf/cmd/buf \
  github.com/cosmos/gogoproto/protoc-gen-gocosmos \
  github.com/grpc-ecosystem/grpc-gateway/protoc-gen-grpc-gateway)
export PATH="$bin:$PATH"
cd "$root/proto"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
buf lint
buf generate --template buf.gen.gogo.yaml --output "$out"
cp -r "$out"/github.com/w3bd/w3bd/* "$root"/
