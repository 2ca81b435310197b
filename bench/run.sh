#!/usr/bin/env bash
# berth benchmark: container start/stop latency of berthd vs dockerd 20.10 vs podman 4.3, with runc as the floor.
# Not a test. Run by hand as root:  npm run bench   (or: bash bench/run.sh)
#
# Environment:
#   BENCH_ROUNDS=20          measured rounds (engines alternate within each round)
#   BENCH_WARMUP=2           warm-up runs per case (not measured)
#   BENCH_ENGINES="docker podman berth runc"   which engines to include
#   BENCH_KEEP_TMP=1         keep the temporary directory (logs) after the run
#   BENCH_NO_INSTALL=1       never call apt-get
#
# Everything it starts lives under one temporary directory (/tmp/berth-bench.XXXXXX): dockerd (own data root,
# exec root, socket, no iptables, no bridge) with its own containerd, berthd (own data root, exec root, socket,
# empty config), podman (own --root/--runroot/--tmpdir and containers.conf) and a runc bundle. All of it is stopped
# by PID and removed at exit (see cleanup below), also on Ctrl-C.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

ROUNDS=${BENCH_ROUNDS:-20}
WARMUP=${BENCH_WARMUP:-2}
ENGINES=" ${BENCH_ENGINES:-docker podman berth runc} "
want() { [[ "$ENGINES" == *" $1 "* ]]; }
say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (daemons, mounts, namespaces)"
command -v node >/dev/null || die "node not found"

# ---------------------------------------------------------------------------------------------------------------
# 1. Packages (Debian's), only the missing ones.
need=()
want docker && { command -v dockerd >/dev/null || need+=(docker.io); command -v containerd >/dev/null || need+=(containerd); }
want podman && { command -v podman >/dev/null || need+=(podman); }
command -v runc >/dev/null || need+=(runc)
[ -x /bin/busybox ] || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  [ -n "${BENCH_NO_INSTALL:-}" ] && die "missing packages: ${need[*]}"
  say "installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
fi
# The docker CLI to use: the first on PATH (/usr/local/bin/docker, v28, when present), not docker.io's /usr/bin/docker.
DOCKER_BIN=${DOCKER_BIN:-$(command -v docker || true)}
want docker && [ -z "$DOCKER_BIN" ] && die "no docker CLI on PATH"

# ---------------------------------------------------------------------------------------------------------------
# 2. What the host looks like before, so that the clean-up can restore it and report leftovers.
T=$(mktemp -d /tmp/berth-bench.XXXXXX) || die "mktemp failed"
chmod 0711 "$T"
# Host-global paths these engines are known to create even with private roots. New files among them are removed
# at the end if we created them; new directories are removed only when empty (another user may share them).
GLOBAL_PATHS=(/etc/docker /etc/containers /etc/cni /run/containerd /run/docker /run/containers /run/libpod /run/runc
  /run/crun /var/lib/containers /var/cache/containers /var/lib/docker /root/.docker /root/.config/containers
  /root/.local/share/containers)
snap_globals() { for p in "${GLOBAL_PATHS[@]}"; do [ -e "$p" ] && find "$p" -xdev -maxdepth 5 2>/dev/null; done | sort; }
snap_net() { { ip -o link show | awk -F': ' '{print "link " $2}' | sed 's/@.*//'; iptables -S 2>/dev/null | sed 's/^/filter /'; iptables -t nat -S 2>/dev/null | sed 's/^/nat /'; } | sort; }
snap_globals >"$T/globals.before"
snap_net >"$T/net.before"

PIDS_STARTED=()   # daemons started here, in start order
DOCKERD_PID=""; BERTHD_PID=""; MEASURE_PID=""
CLEANED=""

proc_alive() { # true while PID exists and is not a zombie
  local st
  [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
stop_pid() { # stop_pid PID NAME [seconds]: SIGTERM, wait, then SIGKILL
  local pid=$1 name=$2 secs=${3:-20} i
  proc_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < secs * 10; i++)); do proc_alive "$pid" || break; sleep 0.1; done
  if proc_alive "$pid"; then say "$name ($pid) did not stop in ${secs}s: SIGKILL"; kill -KILL "$pid" 2>/dev/null; sleep 0.5; fi
  wait "$pid" 2>/dev/null || true
}

# The podman command line with private storage and a private containers.conf.
PODMAN=(podman --root "$T/podman/root" --runroot "$T/podman/runroot" --tmpdir "$T/podman/tmp" --storage-driver overlay)
export CONTAINERS_CONF="$T/podman/containers.conf"
# The docker CLI must use neither the user's contexts nor DOCKER_HOST & co. DOCKER_CONFIG is given to the docker
# CLI only (podman reads it for registry auth and fails if it points at a missing file).
DOCKER_CFG="$T/docker-cli"
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH BERTH_HOST DOCKER_CONFIG
dk() { DOCKER_CONFIG="$DOCKER_CFG" "$DOCKER_BIN" "$@"; }

remove_all_containers() { # remove_all_containers NAME CLI... (every container of that engine, forced)
  local name=$1; shift
  local ids
  ids=$("$@" ps -aq 2>/dev/null) || return 0
  [ -z "$ids" ] && return 0
  say "removing $(echo "$ids" | wc -l) leftover $name container(s)"
  if [ "$name" = podman ]; then "$@" rm -f -t 0 $ids >/dev/null 2>&1; else "$@" rm -f $ids >/dev/null 2>&1; fi
}

cleanup() {
  [ -n "$CLEANED" ] && return 0
  CLEANED=1
  trap '' INT TERM
  say "cleaning up"
  [ -n "$MEASURE_PID" ] && stop_pid "$MEASURE_PID" measure 5
  # Containers first, through each engine (berthd leaves containers running when it stops).
  if [ -n "$BERTHD_PID" ] && proc_alive "$BERTHD_PID"; then remove_all_containers berthd dk -H "unix://$T/berth/berthd.sock"; fi
  if [ -n "$DOCKERD_PID" ] && proc_alive "$DOCKERD_PID"; then remove_all_containers dockerd dk -H "unix://$T/docker/docker.sock"; fi
  if [ -d "$T/podman/root" ]; then
    remove_all_containers podman "${PODMAN[@]}"
    "${PODMAN[@]}" image rm -af >/dev/null 2>&1 || true   # unmounts and releases its storage
  fi
  # Daemons, newest first, by PID.
  local i
  for ((i = ${#PIDS_STARTED[@]} - 1; i >= 0; i--)); do
    local entry=${PIDS_STARTED[$i]}
    stop_pid "${entry%%:*}" "${entry#*:}" 30
  done
  # Any runc container still registered in a runc root under $T (e.g. a shim that outlived its daemon).
  local st root id
  while IFS= read -r st; do
    root=$(dirname "$(dirname "$st")")
    id=$(basename "$(dirname "$st")")
    say "deleting leftover runc container $id (root $root)"
    runc --root "$root" delete -f "$id" >/dev/null 2>&1 || true
  done < <(find "$T" -xdev -name state.json -path '*runc*' 2>/dev/null)
  # Processes started by our daemons that still run (shims, conmon): their command line names our directory.
  local p pids=()
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] || [ "$p" = "${BASHPID:-}" ] && continue
    proc_alive "$p" || continue
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$T/" && pids+=("$p")
  done
  for p in "${pids[@]}"; do say "stopping leftover process $p: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-120)"; stop_pid "$p" "leftover" 5; done
  # Mounts under $T, deepest first.
  local m
  while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
  done < <(findmnt -rn -o TARGET | grep -F "$T" | sort -r)
  if [ -n "${BENCH_KEEP_TMP:-}" ]; then say "kept $T"; else rm -rf --one-file-system "$T" 2>/dev/null || rm -rf "$T" 2>/dev/null || say "could not remove all of $T"; fi
  # Host-global leftovers: new files we know the engines create; new empty directories.
  local f
  if [ -f "${GLOBALS_BEFORE:-}" ]; then
    comm -13 "$GLOBALS_BEFORE" <(snap_globals) >"$GLOBALS_BEFORE.new"
    while IFS= read -r f; do [ -f "$f" ] && rm -f "$f"; done < <(grep -E '/(key\.json|[^/]*\.lock|blob-info-cache-v1\.boltdb)$' "$GLOBALS_BEFORE.new")
    while IFS= read -r f; do [ -d "$f" ] && rmdir "$f" 2>/dev/null; done < <(sort -r "$GLOBALS_BEFORE.new")
    local left
    left=$(comm -13 "$GLOBALS_BEFORE" <(snap_globals))
    [ -n "$left" ] && say "warning: new host paths left (not ours to delete, or not empty):" && echo "$left" | sed 's/^/bench:   /' >&2
    left=$(comm -13 "$NET_BEFORE" <(snap_net))
    [ -n "$left" ] && say "warning: new network links/iptables rules since the start (ours or someone else's):" && echo "$left" | sed 's/^/bench:   /' >&2
    rm -f "$GLOBALS_BEFORE" "$GLOBALS_BEFORE.new" "$NET_BEFORE"
  fi
  say "clean-up done"
}
# The snapshots must survive the removal of $T.
GLOBALS_BEFORE=$(mktemp /tmp/berth-bench-globals.XXXXXX); cp "$T/globals.before" "$GLOBALS_BEFORE"
NET_BEFORE=$(mktemp /tmp/berth-bench-net.XXXXXX); cp "$T/net.before" "$NET_BEFORE"
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM

wait_ready() { # wait_ready NAME PID SECONDS CMD...: until CMD succeeds, or the daemon died, or time is up
  local name=$1 pid=$2 secs=$3 i; shift 3
  for ((i = 0; i < secs * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    proc_alive "$pid" || { say "$name exited early"; return 1; }
    sleep 0.1
  done
  say "$name not ready after ${secs}s"; return 1
}

# ---------------------------------------------------------------------------------------------------------------
# 3. The busybox image (one tar, imported into every engine) and the runc bundle.
say "temporary root $T"
BUSYBOX_TAR="$T/busybox.tar"
if [ -f scripts/make-busybox-tar.sh ]; then
  bash scripts/make-busybox-tar.sh >"$BUSYBOX_TAR" || die "scripts/make-busybox-tar.sh failed"
else # fallback: /bin/busybox plus one symlink per applet
  mkdir -p "$T/bbroot/bin" "$T/bbroot/tmp" "$T/bbroot/etc" && cp /bin/busybox "$T/bbroot/bin/busybox" &&
    for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$T/bbroot/bin/$a"; done &&
    echo 'root:x:0:0:root:/root:/bin/sh' >"$T/bbroot/etc/passwd" && echo 'root:x:0:' >"$T/bbroot/etc/group" &&
    tar -C "$T/bbroot" --numeric-owner -cf "$BUSYBOX_TAR" . && rm -rf "$T/bbroot" || die "could not build a busybox tar"
fi
LIVE=""
ERRORS=()
# Daemons run in their own session (setsid) so that a Ctrl-C reaches only us; the clean-up stops them by PID.
note_err() { ERRORS+=("$1"); say "skipping $1"; }

# ---------------------------------------------------------------------------------------------------------------
# 4. Engines.
if want docker; then
  mkdir -p "$T/docker/data" "$T/docker/exec" "$DOCKER_CFG" && echo "{}" >"$DOCKER_CFG/config.json"
  # deprecated-key-path keeps dockerd 20.10 from writing /etc/docker/key.json.
  printf '{"deprecated-key-path": "%s"}\n' "$T/docker/key.json" >"$T/docker/daemon.json"
  setsid dockerd --data-root "$T/docker/data" --exec-root "$T/docker/exec" -H "unix://$T/docker/docker.sock" \
    --pidfile "$T/docker/dockerd.pid" --config-file "$T/docker/daemon.json" \
    --iptables=false --ip6tables=false --ip-masq=false --bridge=none >"$T/docker/dockerd.log" 2>&1 &
  DOCKERD_PID=$!; PIDS_STARTED+=("$DOCKERD_PID:dockerd")
  if wait_ready dockerd "$DOCKERD_PID" 60 dk -H "unix://$T/docker/docker.sock" version &&
    dk -H "unix://$T/docker/docker.sock" import -c 'CMD ["sh"]' - busybox:latest <"$BUSYBOX_TAR" >/dev/null; then
    LIVE+=" docker"
  else
    note_err "dockerd: $(tail -3 "$T/docker/dockerd.log" | tr '\n' ' ')"
  fi
fi

BERTH_BIN="$REPO/bin/berth"
if want berth; then
  mkdir -p "$T/berth/data" "$T/berth/exec"
  echo '{}' >"$T/berth/daemon.json"
  if ! out=$(timeout 30 "$REPO/bin/berthd" --help 2>&1); then
    note_err "berthd: bin/berthd --help fails: $(echo "$out" | grep -m1 -E 'Error|error' || echo "$out" | head -1)"
  else
    setsid "$REPO/bin/berthd" -H "unix://$T/berth/berthd.sock" --data-root "$T/berth/data" --exec-root "$T/berth/exec" \
      --pidfile "$T/berth/berthd.pid" --config-file "$T/berth/daemon.json" >"$T/berth/berthd.log" 2>&1 &
    BERTHD_PID=$!; PIDS_STARTED+=("$BERTHD_PID:berthd")
    if ! wait_ready berthd "$BERTHD_PID" 60 curl -sf --unix-socket "$T/berth/berthd.sock" http://localhost/_ping; then
      note_err "berthd: did not come up: $(tail -3 "$T/berth/berthd.log" | tr '\n' ' ')"
    else
      # Import with berth's own CLI when it exists, else with the docker CLI.
      if [ -x "$BERTH_BIN" ]; then imp=("$BERTH_BIN" -H "unix://$T/berth/berthd.sock"); else imp=(dk -H "unix://$T/berth/berthd.sock"); fi
      if out=$("${imp[@]}" import -c 'CMD ["sh"]' - busybox:latest <"$BUSYBOX_TAR" 2>&1); then
        LIVE+=" berth"
        if [ -x "$BERTH_BIN" ]; then LIVE+=" berth-cli"; else note_err "berth CLI: $BERTH_BIN missing"; fi
      else
        note_err "berthd: import failed: $(echo "$out" | tail -2 | tr '\n' ' ')"
      fi
    fi
  fi
fi

if want podman; then
  mkdir -p "$T/podman/root" "$T/podman/runroot" "$T/podman/tmp" "$T/podman/net"
  min() { local h=$1; [ "$h" = unlimited ] || [ "$h" -gt "$2" ] && h=$2; echo "$h"; }
  NOFILE=$(min "$(ulimit -Hn)" 20000); NPROC=$(min "$(ulimit -Hu)" 32768)
  # runc (as for the others; crun 1.8 refuses hybrid cgroups here), cgroupfs, file events, ulimits within root's
  # hard limits (no CAP_SYS_RESOURCE here), a private network config dir.
  cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[network]
network_backend = "netavark"
network_config_dir = "$T/podman/net"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/podman/events.log"
EOF
  if out=$("${PODMAN[@]}" import -c 'CMD ["sh"]' - busybox:latest <"$BUSYBOX_TAR" 2>&1); then
    LIVE+=" podman"
  else
    note_err "podman: import failed: $(echo "$out" | tail -2 | tr '\n' ' ')"
  fi
fi

if want runc; then
  mkdir -p "$T/runc/bundle/rootfs" "$T/runc/state"
  tar -C "$T/runc/bundle/rootfs" -xf "$BUSYBOX_TAR" &&
    (cd "$T/runc/bundle" && runc spec) &&
    node -e '
      const fs = require("fs"); const f = process.argv[1]; const c = JSON.parse(fs.readFileSync(f, "utf8"));
      c.process.args = ["true"]; c.process.terminal = false; c.root.readonly = false;
      if (!c.linux.namespaces.some((n) => n.type === "network")) c.linux.namespaces.push({ type: "network" });
      fs.writeFileSync(f, JSON.stringify(c, null, 2));' "$T/runc/bundle/config.json" &&
    LIVE+=" runc" || note_err "runc: could not prepare the bundle"
fi

say "engines: ${LIVE:-none}"

# The exec and cp cases (issue 3): one long-running container per daemon, named bench-exec, holding /src, a copy of a
# tree of BENCH_TREE_MB (default 100) MB in 100 files of 10 directories. Skipped for an engine whose set-up fails.
TREE_MB=${BENCH_TREE_MB:-100}
BENCH_TREE="$T/tree/data"; BENCH_OUT="$T/cp-out"
mkdir -p "$BENCH_OUT"
make_tree() {
  local d f per=$(( TREE_MB * 1024 / 100 ))
  for d in $(seq 0 9); do
    mkdir -p "$BENCH_TREE/d$d"
    for f in $(seq 0 9); do head -c "${per}K" /dev/urandom >"$BENCH_TREE/d$d/f$f" || return 1; done
  done
}
OPS_PRE=" ${BENCH_OPS:-run exec cp pull push} "
if [[ "$OPS_PRE" == *" exec "* || "$OPS_PRE" == *" cp "* ]]; then make_tree || die "could not make the cp tree"; fi
prep_files() { # prep_files CLI...: bench-exec running with the tree at /src
  "$@" run -d --name bench-exec --network none busybox sleep 1000000 >/dev/null &&
    "$@" cp "$BENCH_TREE" bench-exec:/src >/dev/null
}
BENCH_FILES_DOCKER=""; BENCH_FILES_BERTH=""
if [[ "$OPS_PRE" == *" exec "* || "$OPS_PRE" == *" cp "* ]]; then
  if [[ "$LIVE" == *" docker"* ]]; then
    if out=$(prep_files dk -H "unix://$T/docker/docker.sock" 2>&1); then BENCH_FILES_DOCKER=1; else note_err "dockerd: exec/cp set-up: $out"; fi
  fi
  if [[ "$LIVE" == *" berth"* ]]; then
    if out=$(prep_files dk -H "unix://$T/berth/berthd.sock" 2>&1); then BENCH_FILES_BERTH=1; else note_err "berthd: exec/cp set-up: $out"; fi
  fi
fi

# The pull and push cases (issue 4): two docker-registry (distribution 2.8) instances on 127.0.0.1, A holding the
# bench image (bench/lib/make-image.mjs: 4 gzip layers, ~160 MB, copied in with skopeo), B the empty push target
# (emptied before every push sample), and a skopeo dir: copy of the image for skopeo's transfer-only floor.
OPS=" ${BENCH_OPS:-run exec cp pull push} "
BENCH_PULL_REF=""; BENCH_PUSH_REF=""; BENCH_PUSH_WIPE=""; BENCH_SKOPEO_DIR=""
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
start_registry() { # start_registry NAME: docker-registry with its storage under $T/NAME; sets REG_PORT
  local name=$1 port
  port=$(free_port) || return 1
  mkdir -p "$T/$name/storage"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$T/$name/storage" "$port" >"$T/$name/config.yml"
  setsid docker-registry serve "$T/$name/config.yml" >"$T/$name/log" 2>&1 &
  local pid=$!; PIDS_STARTED+=("$pid:$name")
  wait_ready "$name" "$pid" 30 curl -sf "http://127.0.0.1:$port/v2/" || return 1
  REG_PORT=$port
}
if [[ "$OPS" == *" pull "* || "$OPS" == *" push "* ]]; then
  command -v docker-registry >/dev/null && command -v skopeo >/dev/null || die "pull/push need docker-registry and skopeo (scripts/setup.sh installs them)"
  say "making the pull/push image (bench/lib/make-image.mjs)"
  if out=$(node bench/lib/make-image.mjs "$T/image" 2>&1) && say "image: $out" &&
    start_registry registry-a && PORT_A=$REG_PORT && start_registry registry-b && PORT_B=$REG_PORT &&
    skopeo copy -q --dest-tls-verify=false "oci:$T/image:latest" "docker://127.0.0.1:$PORT_A/bench/big:latest" &&
    mkdir -p "$T/skopeo" && skopeo copy -q --src-tls-verify=false "docker://127.0.0.1:$PORT_A/bench/big:latest" "dir:$T/skopeo/src"; then
    BENCH_PULL_REF="127.0.0.1:$PORT_A/bench/big:latest"
    BENCH_PUSH_REF="127.0.0.1:$PORT_B/bench/pushed:latest"
    BENCH_PUSH_WIPE=$(node -e 'process.stdout.write(JSON.stringify(["rm", "-rf", process.argv[1]]))' "$T/registry-b/storage/docker")
    BENCH_SKOPEO_DIR="$T/skopeo"
  else
    note_err "pull/push set-up failed: $out"
  fi
fi

# ---------------------------------------------------------------------------------------------------------------
# 5. Measure.
ver() { "$@" 2>/dev/null | head -1 | tr -d '\n' || true; }
meta=$(
  DOCKER_CLI_V=$(ver dk version --format '{{.Client.Version}}')
  DOCKERD_V=$([ -n "$DOCKERD_PID" ] && ver dk -H "unix://$T/docker/docker.sock" version --format '{{.Server.Version}}')
  PODMAN_V=$(ver podman --version)
  RUNC_V=$(ver runc --version)
  BERTH_COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$([ -n "$(git -C "$REPO" status --porcelain -- src 2>/dev/null)" ] && echo "+dirty")
  export DOCKER_CLI_V DOCKERD_V PODMAN_V RUNC_V BERTH_COMMIT ERRS="$(printf '%s\n' "${ERRORS[@]}")"
  node -e '
    const os = require("os"), e = process.env;
    process.stdout.write(JSON.stringify({
      started: new Date().toISOString(), host: os.hostname(), kernel: os.release(), cpus: os.cpus().length,
      mem_gib: Math.round(os.totalmem() / 2 ** 30), loadavg_before: require("fs").readFileSync("/proc/loadavg", "utf8").trim(),
      versions: { docker_cli: e.DOCKER_CLI_V, dockerd: e.DOCKERD_V, podman: e.PODMAN_V, runc: e.RUNC_V, berth_commit: e.BERTH_COMMIT, node: process.version },
      setup_errors: e.ERRS.split("\n").filter(Boolean),
    }));'
)
mkdir -p bench/results
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULT="bench/results/$STAMP.json"
BENCH_ROUNDS=$ROUNDS BENCH_WARMUP=$WARMUP BENCH_LIVE="$LIVE" DOCKER_BIN="$DOCKER_BIN" DOCKER_CFG="$DOCKER_CFG" \
  DOCKERD_SOCK="$T/docker/docker.sock" BERTH_BIN="$BERTH_BIN" BERTHD_SOCK="$T/berth/berthd.sock" \
  PODMAN_ARGS="$(node -e 'process.stdout.write(JSON.stringify(process.argv.slice(1)))' "${PODMAN[@]}")" \
  BENCH_TREE="$BENCH_TREE" BENCH_TREE_MB="$TREE_MB" BENCH_OUT="$BENCH_OUT" BENCH_FILES_DOCKER="$BENCH_FILES_DOCKER" \
  BENCH_FILES_BERTH="$BENCH_FILES_BERTH" BENCH_PULL_REF="$BENCH_PULL_REF" BENCH_PUSH_REF="$BENCH_PUSH_REF" \
  BENCH_PUSH_WIPE="$BENCH_PUSH_WIPE" BENCH_SKOPEO_DIR="$BENCH_SKOPEO_DIR" BENCH_OPS="${BENCH_OPS:-}" RUNC_ROOT="$T/runc/state" RUNC_BUNDLE="$T/runc/bundle" BENCH_LEFTOVERS="$T/leftovers.tsv" BENCH_META="$meta" \
  node bench/lib/plan.mjs >"$T/plan.json" || die "could not write the plan"
# In the background, so that an interrupt reaches our trap at once (the clean-up then stops it by PID).
node bench/lib/measure.mjs "$T/plan.json" "$RESULT" &
MEASURE_PID=$!
wait "$MEASURE_PID"
rc=$?
MEASURE_PID=""
[ $rc -eq 0 ] && say "results: $RESULT"
[ $rc -ne 0 ] && say "measurement did not finish (exit $rc)"
if [ -n "${ERRORS[*]}" ]; then say "set-up problems:"; printf 'bench:   %s\n' "${ERRORS[@]}" >&2; fi
exit $rc
