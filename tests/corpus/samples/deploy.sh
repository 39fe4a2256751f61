#!/usr/bin/env bash
# Deploy script.
set -euo pipefail

log() {
  echo "[deploy] $*"
}

function build {
  log "building"
  make all
}

build
log "done"
