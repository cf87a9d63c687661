#!/usr/bin/env bash
# Whole-process HTTP benchmark: requests/s and latency of GET /healthz on `till serve`,
# beside a static nginx response measured the same way on the same machine.
#
#   bench/http_healthz.sh [BUILD_DIR] [DURATION_S] [CONNECTIONS]
#
# Loopback only; both servers are started here and stopped on exit. The load generator (wrk)
# runs on the same 2 cores as the server, so absolute numbers understate a real deployment;
# the ratio to nginx is the figure to watch.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build/release}
DURATION_S=${2:-10}
CONNECTIONS=${3:-64}
THREADS=2

need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
cleanup() {
  [ -n "${till_pid:-}" ] && kill "$till_pid" 2>/dev/null && wait "$till_pid" 2>/dev/null || true
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# till: warn level so the benchmark measures serving, not writing access logs to a pipe.
"$BUILD_DIR/till" serve --listen 127.0.0.1:0 --data-dir "$work/var" --log-level "${LOG_LEVEL:-warn}" \
  >"$work/till.out" 2>"$work/till.err" &
till_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/till.out" && break; sleep 0.1; done
till_port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/till.out" | head -1 | cut -d: -f3)

# nginx: 2 workers (one per core, like till), a fixed JSON body, no access log.
nginx_port=18099
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    location /healthz { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
/usr/sbin/nginx -c "$work/nginx.conf" -p "$work"
sleep 0.5

run_wrk() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION_S}s" --latency "$1" 2>&1
}

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== till  GET /healthz (wrk -t$THREADS -c$CONNECTIONS -d${DURATION_S}s)"
run_wrk "http://127.0.0.1:$till_port/healthz" | tee "$work/till.wrk"
echo "== nginx static (same)"
run_wrk "http://127.0.0.1:$nginx_port/healthz" | tee "$work/nginx.wrk"

till_rps=$(awk '/Requests\/sec/ {print $2}' "$work/till.wrk")
nginx_rps=$(awk '/Requests\/sec/ {print $2}' "$work/nginx.wrk")
echo "== till/nginx = $(awk -v a="$till_rps" -v b="$nginx_rps" 'BEGIN {printf "%.0f%%", 100*a/b}')"
