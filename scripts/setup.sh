#!/usr/bin/env bash
# Installs the Debian packages w3bd's demo and tests use, if missing. Go
# modules come from the module proxy through go.mod; nothing else is fetched.
set -euo pipefail
need=()
command -v jq >/dev/null || need+=(jq)
command -v openssl >/dev/null || need+=(openssl)
command -v xxd >/dev/null || need+=(xxd)
command -v curl >/dev/null || need+=(curl)
command -v npm >/dev/null || need+=(nodejs npm)      # AssemblyScript example applet
command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients) # real MQTT peers of the gateway tests
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
