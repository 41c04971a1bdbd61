#!/usr/bin/env bash
# Makes wrk and h2load (the HTTP/1.1 and HTTP/2 load generators the serving benchmark measures with,
# beside its own) and curl (the generation benchmark's streaming clients) available, idempotently,
# on a Debian machine: installs them from Debian packages (wrk, nghttp2-client, curl) when missing.
# BenchScriptsIT runs the benchmarks' wrk, h2load and curl paths where they are installed.
#
#   bash .ci/wrk.sh
#
# Progress goes to stderr. Must run as root (or with sudo rights to install packages).
set -euo pipefail

log() { echo "wrk.sh: $*" >&2; }

if command -v wrk >/dev/null 2>&1 && command -v h2load >/dev/null 2>&1 \
  && command -v curl >/dev/null 2>&1; then
  log "ready: $(command -v wrk) $(command -v h2load) $(command -v curl)"
  exit 0
fi
log "installing wrk, nghttp2-client (h2load) and curl from Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq wrk nghttp2-client curl >&2
for c in wrk h2load curl; do
  command -v $c >/dev/null 2>&1 || { log "$c is still missing after the install"; exit 1; }
done
log "ready: $(command -v wrk) $(command -v h2load) $(command -v curl)"
