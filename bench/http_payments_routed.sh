#!/usr/bin/env bash
# Routed payments benchmark: create-and-confirm card payments (automatic capture) routed by a
# 50/50 split between two out-of-process `till sandbox-psp` processors — one JSON REST, one
# ISO-8583-style — over loopback HTTP, durable on every side (Till's SQLite or PostgreSQL with
# group commit; each processor's own SQLite, synchronous=FULL).
#
#   bench/http_payments_routed.sh [BUILD_DIR] [DURATION_S] [CONNECTIONS]
#
# Everything (wrk, Till, both processors) shares the machine's 2 cores, so this measures the
# orchestration's cost on one box, not a deployment. Afterwards it checks that the processors
# captured exactly what Till's ledger says, and runs `till ledger verify`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build/release}
DURATION_S=${2:-10}
CONNECTIONS=${3:-64}
THREADS=${THREADS:-1}
ADMIN_TOKEN=bench-admin-token-0123456789-0123456789

command -v wrk >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_for_line() {  # file pattern
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "!! $1 never said '$2'"; cat "${1%.out}.err" >&2; exit 1
}

# Not in a $(...) subshell: the pid must reach `pids` so cleanup stops the processor.
start_psp() {  # name key wire
  "$BUILD_DIR/till" sandbox-psp --listen 127.0.0.1:0 --data-dir "$work/$1" --api-key "$2" \
    --admin-token "adm_$1" --wire "$3" --log-level warn >"$work/$1.out" 2>"$work/$1.err" &
  pids+=($!)
  wait_for_line "$work/$1.out" "listening on"
}
psp_url() { grep -o 'http://127.0.0.1:[0-9]*' "$work/$1.out" | head -1; }

start_psp psp-a psk_bench_a json
start_psp psp-b psk_bench_b iso8583
psp_a=$(psp_url psp-a)
psp_b=$(psp_url psp-b)

db_args=()
if [ -n "${DATABASE_URL:-}" ]; then
  "$BUILD_DIR/till" migrate --database "$DATABASE_URL" >/dev/null
  db_args=(--database "$DATABASE_URL")
fi
TILL_ADMIN_TOKEN=$ADMIN_TOKEN "$BUILD_DIR/till" serve --listen 127.0.0.1:0 --data-dir "$work/var" \
  "${db_args[@]}" --log-level "${LOG_LEVEL:-warn}" >"$work/till.out" 2>"$work/till.err" &
till_pid=$!
pids+=("$till_pid")
wait_for_line "$work/till.out" "listening on"
till=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/till.out" | head -1 | cut -d' ' -f3)

admin() {  # method path body
  curl -sf -X "$1" "$till$2" -H "Authorization: Bearer $ADMIN_TOKEN" -d "$3"
}
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
merchant=$(admin POST /admin/v1/merchants '{"name": "Bench", "issue_test_key": true}')
merchant_id=$(echo "$merchant" | json_field '["id"]')
key=$(echo "$merchant" | json_field '["secret_key"]["secret"]')
account() {  # connector url api_key
  admin POST "/admin/v1/merchants/$merchant_id/connector_accounts" \
    "{\"connector\": \"$1\", \"base_url\": \"$2\", \"credentials\": {\"api_key\": \"$3\", \"webhook_secret\": \"pwhsec_bench\"}}" |
    json_field '["id"]'
}
ca_a=$(account psp_json "$psp_a" psk_bench_a)
ca_b=$(account psp_iso8583 "$psp_b" psk_bench_b)
admin PUT "/admin/v1/merchants/$merchant_id/routing?livemode=false" "{
  \"rules\": [{\"name\": \"split\", \"if\": {\"currency\": [\"usd\"]},
               \"then\": {\"split\": [{\"connector\": \"$ca_a\", \"percent\": 50},
                                     {\"connector\": \"$ca_b\", \"percent\": 50}]}}],
  \"fallback\": [\"$ca_a\", \"$ca_b\"]}" >/dev/null

cat >"$work/pay.lua" <<'LUA'
wrk.method = "POST"
wrk.body = "amount=2000&currency=usd&confirm=true&payment_method=pm_card_visa"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
function init(args) wrk.headers["Authorization"] = "Bearer " .. args[1] end
LUA

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== routed POST /v1/payment_intents create+confirm, 50/50 split over two sandbox-psp processes (wrk -t$THREADS -c$CONNECTIONS -d${DURATION_S}s)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION_S}s" --latency -s "$work/pay.lua" \
  "$till/v1/payment_intents" -- "$key" 2>&1 | tee "$work/pay.wrk"
if grep -q "Non-2xx" "$work/pay.wrk"; then
  echo "!! some payments failed:"; grep "Non-2xx" "$work/pay.wrk"; tail -5 "$work/till.err"; exit 1
fi
echo "== server-side latency of the payments route (till_http_request_duration_seconds):"
curl -s "$till/metrics" |
  grep -E 'till_http_request_duration_seconds_bucket\{route="/v1/payment_intents",method="POST",status="200"' |
  sed 's/.*le="\([^"]*\)"} /  <= \1 s: /' | head -10
curl -s "$till/metrics" | grep -E '^till_connector_attempts_total' | grep -v ' 0$'
echo "== mean processor call (authorize, over loopback, the processor's own synced commit included):"
curl -s "$till/metrics" | python3 -c '
import re,sys
sums,counts={},{}
for line in sys.stdin:
    m=re.match(r"till_connector_call_duration_seconds_(sum|count)\{connector=\"([^\"]+)\".*\} (\S+)",line)
    if m: (sums if m.group(1)=="sum" else counts)[m.group(2)]=float(m.group(3))
for name in sorted(counts):
    print("  %s: %.1f ms over %d calls" % (name, 1000*sums[name]/counts[name], counts[name]))'
echo "== RSS after the run: till $(awk '/VmRSS/ {print $2, $3}' /proc/$till_pid/status)"

echo "== the processors' books against Till's"
captured=0
for url_token in "$psp_a adm_psp-a" "$psp_b adm_psp-b"; do
  set -- $url_token
  after=""
  while :; do
    page=$(curl -sf "$1/charges?limit=1000${after:+&starting_after=$after}" -H "Authorization: Bearer $2")
    read -r sum last more < <(echo "$page" | python3 -c '
import json,sys
d=json.load(sys.stdin)
rows=d["data"]
print(sum(r["captured_amount"] for r in rows if r["status"]=="captured"), rows[-1]["id"] if rows else "-", d["has_more"])')
    captured=$((captured + sum))
    [ "$more" = "True" ] || break
    after=$last
  done
done
pending=$(curl -sf "$till/v1/balance" -u "$key:" | python3 -c '
import json,sys; print(sum(b["amount"] for b in json.load(sys.stdin)["pending"] if b["currency"]=="usd"))')
echo "  processors captured $captured, Till's pending balance $pending"
[ "$captured" = "$pending" ] || { echo "!! the books disagree"; exit 1; }
kill -TERM "$till_pid"; wait "$till_pid" || true
echo "== till ledger verify"
"$BUILD_DIR/till" ledger verify --data-dir "$work/var" "${db_args[@]}" | tail -3
