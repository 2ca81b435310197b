#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: system packages, npm dependencies, the build.
set -euo pipefail
cd "$(dirname "$0")/.."

# System parts berth drives (runtime, shim, busybox for the base image, tools the tests use).
need=()
command -v runc >/dev/null || need+=(runc)
command -v crun >/dev/null || need+=(crun)
command -v conmon >/dev/null || need+=(conmon)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v tini >/dev/null || need+=(tini)
command -v setfattr >/dev/null || need+=(attr)
command -v tmux >/dev/null || need+=(tmux)
command -v xz >/dev/null || need+=(xz-utils)
command -v bzip2 >/dev/null || need+=(bzip2)
command -v iptables >/dev/null || need+=(iptables)
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3)
command -v ps >/dev/null || need+=(procps)
command -v zstd >/dev/null || need+=(zstd)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v skopeo >/dev/null || need+=(skopeo)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v dockerd >/dev/null || need+=(docker.io)         # dockerd as a peer of berth's registry server (tests)
/usr/bin/python3 -c 'import docker' 2>/dev/null || need+=(python3-docker)   # docker-py as an API client (tests)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm dependencies (only when the lockfile changed since the last install).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.berth-installed ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.berth-installed
fi

# The native addon (SOCK_SEQPACKET for conmon's attach socket), from source with npm's own node-gyp and the
# headers of the installed Node (no download). Rebuilt only when its source changed.
addon=native/build/Release/berth_native.node
if [ ! -f "$addon" ] || [ native/berth_native.c -nt "$addon" ] || [ native/binding.gyp -nt "$addon" ]; then
  gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  nodedir="$(dirname "$(dirname "$(command -v node)")")"
  (cd native && node "$gyp" rebuild --nodedir="$nodedir" --loglevel=error >/dev/null)
fi

# The build (incremental).
npx tsc -p tsconfig.json
chmod +x bin/berth bin/berthd
