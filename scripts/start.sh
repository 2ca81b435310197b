#!/usr/bin/env bash
# Starts berthd in the background on its default socket and data root (if it is not running yet),
# makes sure busybox:latest exists, and runs a first container.
set -euo pipefail
cd "$(dirname "$0")/.."
export BERTH_HOST="${BERTH_HOST:-unix:///run/berth/berth.sock}"
if ! bin/berth version >/dev/null 2>&1; then
  mkdir -p /var/log
  nohup bin/berthd >>/var/log/berthd.log 2>&1 &
  echo "berthd started (pid $!, log /var/log/berthd.log)"
  for _ in $(seq 1 100); do bin/berth version >/dev/null 2>&1 && break; sleep 0.1; done
fi
if ! bin/berth image inspect busybox:latest >/dev/null 2>&1; then
  bash scripts/make-busybox-tar.sh | bin/berth import -c 'CMD ["sh"]' - busybox:latest >/dev/null
  echo "imported busybox:latest from the host's busybox-static"
fi
bin/berth run --rm busybox echo "Hello from berth: a first container ran."
