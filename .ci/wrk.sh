#!/usr/bin/env bash
# Makes wrk and h2load (the HTTP/1.1 and HTTP/2 load generators the serving benchmark measures with,
# beside its own) available, idempotently, on a Debian machine: installs them from Debian packages
# (wrk, nghttp2-client) when missing. BenchScriptsIT runs the serving benchmark's wrk and h2load
# paths where they are installed.
#
#   bash .ci/wrk.sh
#
# Progress goes to stderr. Must run as root (or with sudo rights to install packages).
set -euo pipefail

log() { echo "wrk.sh: $*" >&2; }

if command -v wrk >/dev/null 2>&1 && command -v h2load >/dev/null 2>&1; then
  log "ready: $(command -v wrk) $(command -v h2load)"
  exit 0
fi
log "installing wrk and nghttp2-client (h2load) from Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq wrk nghttp2-client >&2
for c in wrk h2load; do
  command -v $c >/dev/null 2>&1 || { log "$c is still missing after the install"; exit 1; }
done
log "ready: $(command -v wrk) $(command -v h2load)"
