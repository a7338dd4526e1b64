#!/usr/bin/env bash
# The end-to-end demo, run by `./build.sh demo` after it has brought up PostgreSQL and RabbitMQ and built the
# solution: starts the provider sandbox (which generates throwaway merchant keys into .local/sandbox-keys),
# applies the migrations, starts the worker against the sandbox, publishes a mix of refunds and cancels and
# prints the outcomes against the sandbox's ledger. Everything it starts is stopped when it ends.
#
#   DEMO_COUNT=500 ./build.sh demo        more bulk requests (default 200)
#   DEMO_MODE=load DEMO_COUNT=20000 ./build.sh demo   the end-to-end load figure instead of the demo mix
#   DEMO_KEEP=1 ./build.sh demo           keep the worker and sandbox running afterwards (the inbound curl commands, the ops console)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
STATE="$ROOT/.local/demo"
KEYS="$ROOT/.local/sandbox-keys"
SANDBOX_URL=http://127.0.0.1:5080
WORKER_URL=http://127.0.0.1:8080
mkdir -p "$STATE"

say() { printf '==> %s\n' "$*" >&2; }
: "${ConnectionStrings__Postgres:?run through ./build.sh demo, which sets the connection strings}"
: "${ConnectionStrings__RabbitMq:?run through ./build.sh demo, which sets the connection strings}"

# Each background service runs in its own process group (setsid), so stopping it also stops the app that
# `dotnet run` started; a pid file lets the next run stop what a killed run left behind.
stop_group() { kill -TERM -- "-$1" 2>/dev/null || true; }
for stale in "$STATE"/*.pid; do
  [ -f "$stale" ] && stop_group "$(cat "$stale")" && rm -f "$stale"
done
started=()
cleanup() {
  for name in "${started[@]}"; do
    [ -f "$STATE/$name.pid" ] && stop_group "$(cat "$STATE/$name.pid")" && rm -f "$STATE/$name.pid"
  done
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_background() { # name, port, command...
  local name=$1 port=$2; shift 2
  for _ in $(seq 20); do port_free "$port" && break; sleep 0.5; done
  port_free "$port" || { echo "port $port is taken by another process: stop it first (ss -ltnp | grep $port)" >&2; exit 1; }
  setsid "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
  started+=("$name")
}

wait_http() { # url, what, log
  for _ in $(seq 120); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "$2 did not come up; its log:" >&2; tail -n 40 "$3" >&2; exit 1
}

run_project() { # project (a name under src/, or a path), args...
  local project=$1; shift
  [[ $project == */* ]] || project="src/$project"
  dotnet run --no-build -c Release --project "$project" -- "$@"
}

say "starting the provider sandbox on $SANDBOX_URL (log: .local/demo/sandbox.log)"
Sandbox__KeysDirectory="$KEYS" start_background sandbox 5080 dotnet run --no-build -c Release --project src/RefundWorker.Sandbox -- --urls "$SANDBOX_URL"
wait_http "$SANDBOX_URL/_sandbox/health" "the sandbox" "$STATE/sandbox.log"

say "applying migrations"
run_project RefundWorker migrate

# The worker talks to the three sandbox providers with the keys the sandbox generated. Client secrets here are
# the sandbox's published test values, not secrets.
export Snap__Providers__nicepay__Profile=nicepay
export Snap__Providers__nicepay__BaseUrl="$SANDBOX_URL/nicepay"
export Snap__Providers__nicepay__ClientId=IONPAYTEST
export Snap__Providers__nicepay__ClientSecret=sandbox-nicepay-client-secret
export Snap__Providers__nicepay__PrivateKeyPath="$KEYS/nicepay-merchant-private.pem"
export Snap__Providers__bnc__Profile=bnc
export Snap__Providers__bnc__BaseUrl="$SANDBOX_URL/bnc"
export Snap__Providers__bnc__ClientId=82150823919040624621823174737537
export Snap__Providers__bnc__ClientSecret=sandbox-bnc-client-secret
export Snap__Providers__bnc__PrivateKeyPath="$KEYS/bnc-merchant-private.pem"
export Snap__Providers__bnc__ChannelId=95221
export Snap__Providers__bnc__Origin=www.merchant.example
export Snap__Providers__ifortepay__Profile=ifortepay
export Snap__Providers__ifortepay__BaseUrl="$SANDBOX_URL/ifortepay"
export Snap__Providers__ifortepay__ClientId=IFP2024067944
export Snap__Providers__ifortepay__ClientSecret=sandbox-ifortepay-client-secret
export Snap__Providers__ifortepay__PrivateKeyPath="$KEYS/ifortepay-merchant-private.pem"
export Snap__Providers__ifortepay__ChannelId=QR004
# A demo should not take an hour to show reconciliation: query after 1 s, then 2 s, 5 s, 10 s.
export Worker__ReconcileSchedule__0=00:00:01 Worker__ReconcileSchedule__1=00:00:02
export Worker__ReconcileSchedule__2=00:00:05 Worker__ReconcileSchedule__3=00:00:10
export ASPNETCORE_URLS="$WORKER_URL"

# NICEPAY's side of the inbound CVS inquiry: a throwaway "NICEPAY" key pair, so the README's curl commands can sign
# as NICEPAY would against the running demo.
INBOUND_KEYS="$ROOT/.local/inbound-keys"
if [ ! -f "$INBOUND_KEYS/nicepay-private.pem" ]; then
  command -v openssl >/dev/null || { say "installing openssl"; apt-get install -y -qq openssl >/dev/null; }
  mkdir -p "$INBOUND_KEYS"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$INBOUND_KEYS/nicepay-private.pem" 2>/dev/null
  chmod 600 "$INBOUND_KEYS/nicepay-private.pem"
  openssl pkey -in "$INBOUND_KEYS/nicepay-private.pem" -pubout -out "$INBOUND_KEYS/nicepay-public.pem"
fi
export Inbound__Partners__nicepay__ClientId=IONPAYTEST
export Inbound__Partners__nicepay__ClientSecret=demo-inbound-secret
export Inbound__Partners__nicepay__PublicKeyPath="$INBOUND_KEYS/nicepay-public.pem"
export Inbound__Partners__nicepay__SignatureMode=Symmetric

# One throwaway operator for the on-call part and the ops console: a new random key every run, held in this shell
# only (never written to a file); the worker is given its SHA-256, never the key. A key file left by older demos goes.
rm -f "$STATE/admin-key"
ADMIN_KEY="rwk_demo_$(head -c 32 /dev/urandom | base64 | tr -d '/+=\n')"
export Admin__Operators__demo__KeyHash="$(printf %s "$ADMIN_KEY" | sha256sum | cut -d' ' -f1)"
export Admin__Operators__demo__Role=operator

# Queues keep the arguments they were created with. Request queues left by an older demo with another delivery limit
# would stop the worker from declaring its endpoints: empty ones are deleted so they are declared again; with messages
# in them, the older limit is kept for this run (Worker:RequestQueues:DeliveryLimit).
MGMT="${RabbitMq__ManagementUrl:-http://127.0.0.1:15672}"
MGMT_AUTH=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(u.unquote(p.username or "guest") + ":" + u.unquote(p.password or "guest"))' "$ConnectionStrings__RabbitMq")
VHOST=$(python3 -c 'import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); v=u.unquote(p.path[1:]) or "/"; print(u.quote(v, safe=""))' "$ConnectionStrings__RabbitMq")
WANT_LIMIT=${Worker__RequestQueues__DeliveryLimit:-30}
for q in refund-requested cancel-requested cvs-payment-code-issued cvs-payment-code-closed; do
  info=$(curl -fsS -u "$MGMT_AUTH" "$MGMT/api/queues/$VHOST/$q" 2>/dev/null) || continue
  read -r limit messages < <(printf '%s' "$info" | python3 -c 'import json,sys; q=json.load(sys.stdin); print(q.get("arguments",{}).get("x-delivery-limit","none"), q.get("messages",0))')
  [ "$limit" = "$WANT_LIMIT" ] && continue
  if [ "$messages" = 0 ]; then
    say "queue $q was declared by an older version (delivery limit $limit): deleting it, empty, so it is declared again"
    curl -fsS -u "$MGMT_AUTH" -X DELETE "$MGMT/api/queues/$VHOST/$q" >/dev/null
  else
    say "queue $q was declared with delivery limit $limit and holds $messages messages: keeping that limit for this run"
    export Worker__RequestQueues__DeliveryLimit="$limit"
  fi
done

say "starting the worker (log: .local/demo/worker.log)"
start_background worker 8080 dotnet run --no-build -c Release --project src/RefundWorker -- run
wait_http "$WORKER_URL/health/ready" "the worker" "$STATE/worker.log"

# The ops console: printed to the terminal only. The key is this run's; it dies with the worker's configuration.
print_console() {
  printf '\n==> ops console: %s/admin/ui/\n' "$WORKER_URL" >&2
  printf '==> throwaway operator key for this run (paste it into the console; it is kept for that tab only):\n    %s\n' "$ADMIN_KEY" >&2
  [ -n "${DEMO_KEEP:-}" ] || printf '==> the worker stops when the demo ends; DEMO_KEEP=1 ./build.sh demo keeps it (and the console) up\n' >&2
}
print_console

mode=${DEMO_MODE:-run}
say "publishing as the order system would ($mode)"
status=0
run_project tools/RefundWorker.Demo "$mode" --sandbox "$SANDBOX_URL" --count "${DEMO_COUNT:-200}" || status=$?

# On call: a dead letter and a NeedsReview refund, settled with `RefundWorker ops` as an SRE would.
if [ "$mode" = run ] && [ "$status" -eq 0 ]; then
  ops() { # shown as typed, run against the demo worker with the throwaway key from the environment
    printf '\n$ RefundWorker ops %s\n' "$*" >&2
    REFUNDWORKER_ADMIN_KEY="$ADMIN_KEY" REFUNDWORKER_ADMIN_URL="$WORKER_URL" run_project RefundWorker ops "$@"
  }
  ops_json() { REFUNDWORKER_ADMIN_KEY="$ADMIN_KEY" REFUNDWORKER_ADMIN_URL="$WORKER_URL" run_project RefundWorker ops "$@" --json; }
  first_id() { python3 -c 'import json,sys; items=json.load(sys.stdin)["items"]; print(items[0]["id"] if items else "")'; }
  ONCALL="$STATE/oncall"
  say "on call: leaving a dead letter and a NeedsReview refund"
  run_project tools/RefundWorker.Demo oncall --sandbox "$SANDBOX_URL" --out "$ONCALL" || status=$?
  if [ "$status" -eq 0 ]; then
    letter=""
    for _ in $(seq 60); do
      letter=$(ops_json dead-letters list --status New --queue refund-requested_error --limit 1 | first_id)
      [ -n "$letter" ] && break
      sleep 0.5
    done
    ops dead-letters groups --status New
    ops dead-letters show "$letter"
    ops dead-letters replay "$letter" --reason "demo: additionalInfo fixed by the order system" --body-file "$ONCALL/fixed-refund.json"
    fixed_key=$(cat "$ONCALL/dead-letter-key")
    for _ in $(seq 60); do
      [ -n "$(ops_json operations list --key "$fixed_key" --state Succeeded --limit 1 | first_id)" ] && break
      sleep 0.5
    done
    ops operations list --key "$fixed_key"
    review=$(ops_json operations list --state NeedsReview --key "$(cat "$ONCALL/needs-review-key")" --limit 1 | first_id)
    ops operations show "$review"
    ops operations resolve "$review" --outcome succeeded --evidence "sandbox ledger: the partial refund is booked" --reason "demo: confirmed with the provider"
    ops audit --limit 5
    [ -n "$letter" ] && [ -n "$review" ] || status=1
  fi
fi

if [ -n "${DEMO_KEEP:-}" ]; then
  say "DEMO_KEEP is set: the worker ($WORKER_URL) and the sandbox ($SANDBOX_URL) keep running; Ctrl-C stops them"
  print_console
  say "NICEPAY's throwaway key for the inbound curl commands: $INBOUND_KEYS/nicepay-private.pem"
  while sleep 3600; do :; done
fi
exit $status
