#!/usr/bin/env bash
# Makes wrk (the HTTP load generator the serving benchmark measures with, beside its own) available,
# idempotently, on a Debian machine: installs it from Debian packages when it is missing. BenchScriptsIT
# runs the serving benchmark's wrk path where wrk is installed.
#
#   bash .ci/wrk.sh
#
# Progress goes to stderr. Must run as root (or with sudo rights to install packages).
set -euo pipefail

log() { echo "wrk.sh: $*" >&2; }

if command -v wrk >/dev/null 2>&1; then
  log "ready: $(command -v wrk)"
  exit 0
fi
log "installing wrk from Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq wrk >&2
command -v wrk >/dev/null 2>&1 || { log "wrk is still missing after the install"; exit 1; }
log "ready: $(command -v wrk)"
