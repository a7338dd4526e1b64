#!/usr/bin/env bash
# The side-by-side benchmark, run by `./build.sh bench` after it has brought up PostgreSQL and RabbitMQ and built
# the projects: starts the provider sandbox, the worker and the textbook MassTransit consumer
# (tools/RefundWorker.Bench) as processes of their own, each with a database of its own, all in a RabbitMQ vhost of
# its own (refundworker-bench), then runs the scenarios and prints one table. Everything it starts is stopped, and
# its vhost and databases dropped, when it ends.
#
#   BENCH_COUNT=2000           refunds per batch (each consumer, each scenario)
#   BENCH_LATENCIES=0,200      provider latencies (ms) measured, one scenario each
#   BENCH_WARMUP=500           unmeasured refunds each consumer gets first
#   BENCH_RATE=1000            also a steady scenario: published at that rate (at least 10 s of it), 0 ms provider
#   BENCH_BACKLOG=1000000      also the backlog scenario (worker only): the worker is stopped, that many are
#                              published, and the worker is started on the full queue
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
STATE="$ROOT/.local/bench"
KEYS="$STATE/sandbox-keys"
SANDBOX_URL=http://127.0.0.1:5180
WORKER_URL=http://127.0.0.1:8180
VHOST=refundworker-bench
mkdir -p "$STATE"

say() { printf '==> %s\n' "$*" >&2; }
: "${ConnectionStrings__Postgres:?run through ./build.sh bench, which sets the connection strings}"
: "${ConnectionStrings__RabbitMq:?run through ./build.sh bench, which sets the connection strings}"

# Each process runs in a process group of its own (setsid) and is started as `dotnet <dll>`, so the pid the runner
# reads /proc for is the application's own; a pid file lets the next run stop what a killed run left behind.
stop_group() { kill -TERM -- "-$1" 2>/dev/null || true; }
for stale in "$STATE"/*.pid; do
  [ -f "$stale" ] && stop_group "$(cat "$stale")" && rm -f "$stale"
done

# The databases and the vhost, derived from the shared connection strings: same servers, names of our own.
read -r PG_HOST PG_PORT PG_USER PG_PASSWORD < <(python3 -c '
import sys
kv = dict(p.split("=", 1) for p in sys.argv[1].split(";") if "=" in p)
kv = {k.strip().lower(): v for k, v in kv.items()}
print(kv.get("host", kv.get("server", "127.0.0.1")), kv.get("port", "5432"), kv.get("username", kv.get("user id", "")), kv.get("password", ""))' "$ConnectionStrings__Postgres")
pg_cs() { echo "Host=$PG_HOST;Port=$PG_PORT;Username=$PG_USER;Password=$PG_PASSWORD;Database=$1;Maximum Pool Size=100"; }
psql_admin() { PGPASSWORD="$PG_PASSWORD" psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -qtA -c "$1"; }
MGMT="${RabbitMq__ManagementUrl:-http://127.0.0.1:15672}"
read -r RMQ_AUTH RMQ_BASE < <(python3 -c '
import sys, urllib.parse as u
p = u.urlparse(sys.argv[1])
print(u.unquote(p.username or "guest") + ":" + u.unquote(p.password or "guest"), f"{p.scheme}://{p.netloc}")' "$ConnectionStrings__RabbitMq")
RMQ_USER=${RMQ_AUTH%%:*}

started=()
cleanup() {
  for name in "${started[@]}"; do
    [ -f "$STATE/$name.pid" ] && stop_group "$(cat "$STATE/$name.pid")" && rm -f "$STATE/$name.pid"
  done
  sleep 1
  curl -fsS -u "$RMQ_AUTH" -X DELETE "$MGMT/api/vhosts/$VHOST" >/dev/null 2>&1 || true
  psql_admin "DROP DATABASE IF EXISTS refundworker_bench WITH (FORCE)" >/dev/null 2>&1 || true
  psql_admin "DROP DATABASE IF EXISTS refundworker_bench_textbook WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_background() { # name, port, command...
  local name=$1 port=$2; shift 2
  port_free "$port" || { echo "port $port is taken by another process: stop it first (ss -ltnp | grep $port)" >&2; exit 1; }
  setsid "$@" >"$STATE/$name.log" 2>&1 &
  echo $! >"$STATE/$name.pid"
  started+=("$name")
}
wait_for() { # what, log, command...
  local what=$1 log=$2; shift 2
  for _ in $(seq 240); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "$what did not come up; its log:" >&2; tail -n 40 "$log" >&2; exit 1
}
dll() { echo "$ROOT/$1/bin/Release/net10.0/$2.dll"; }

say "fresh vhost $VHOST and databases refundworker_bench, refundworker_bench_textbook"
curl -fsS -u "$RMQ_AUTH" -X DELETE "$MGMT/api/vhosts/$VHOST" >/dev/null 2>&1 || true
curl -fsS -u "$RMQ_AUTH" -X PUT "$MGMT/api/vhosts/$VHOST" >/dev/null
curl -fsS -u "$RMQ_AUTH" -X PUT -H 'Content-Type: application/json' -d '{"configure":".*","write":".*","read":".*"}' "$MGMT/api/permissions/$VHOST/$RMQ_USER" >/dev/null
psql_admin "DROP DATABASE IF EXISTS refundworker_bench WITH (FORCE)" >/dev/null
psql_admin "CREATE DATABASE refundworker_bench" >/dev/null
export ConnectionStrings__RabbitMq="$RMQ_BASE/$VHOST"
export ConnectionStrings__Postgres; ConnectionStrings__Postgres=$(pg_cs refundworker_bench)
export Bench__TextbookPostgres; Bench__TextbookPostgres=$(pg_cs refundworker_bench_textbook)

say "starting the provider sandbox on $SANDBOX_URL"
Sandbox__KeysDirectory="$KEYS" Sandbox__DemoOriginals=false start_background sandbox 5180 dotnet "$(dll src/RefundWorker.Sandbox RefundWorker.Sandbox)" --urls "$SANDBOX_URL"
wait_for "the sandbox" "$STATE/sandbox.log" curl -fsS "$SANDBOX_URL/_sandbox/health"

say "applying migrations"
dotnet "$(dll src/RefundWorker RefundWorker)" migrate >"$STATE/migrate.log" 2>&1 || { tail -n 40 "$STATE/migrate.log" >&2; exit 1; }

# Both consumers call the sandbox's NICEPAY with the keys it generated; the secret is the sandbox's published test value.
export Snap__Providers__nicepay__Profile=nicepay
export Snap__Providers__nicepay__BaseUrl="$SANDBOX_URL/nicepay"
export Snap__Providers__nicepay__ClientId=IONPAYTEST
export Snap__Providers__nicepay__ClientSecret=sandbox-nicepay-client-secret
export Snap__Providers__nicepay__PrivateKeyPath="$KEYS/nicepay-merchant-private.pem"

say "starting the worker on $WORKER_URL"
# The worker's one start command, in a script: run here once, and again by the backlog scenario after it has stopped
# the worker and published the backlog (the environment is inherited). It records the pid where clean-up looks.
cat >"$STATE/start-worker.sh" <<EOF
#!/usr/bin/env bash
ASPNETCORE_URLS="$WORKER_URL" setsid dotnet "$(dll src/RefundWorker RefundWorker)" run >>"$STATE/worker.log" 2>&1 &
echo \$! >"$STATE/worker.pid"
EOF
export BENCH_WORKER_START="$STATE/start-worker.sh"
port_free 8180 || { echo "port 8180 is taken by another process: stop it first (ss -ltnp | grep 8180)" >&2; exit 1; }
: >"$STATE/worker.log"
bash "$BENCH_WORKER_START"
started+=("worker")
wait_for "the worker" "$STATE/worker.log" curl -fsS "$WORKER_URL/health/ready"

say "starting the textbook consumer"
start_background textbook 0 dotnet "$(dll tools/RefundWorker.Bench RefundWorker.Bench)" textbook
textbook_listening() {
  curl -fsS -u "$RMQ_AUTH" "$MGMT/api/queues/$VHOST/bench-textbook-refund-requested" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("consumers",0) > 0 else 1)'
}
wait_for "the textbook consumer" "$STATE/textbook.log" textbook_listening

export BENCH_SANDBOX_URL="$SANDBOX_URL" BENCH_WORKER_PID; BENCH_WORKER_PID=$(cat "$STATE/worker.pid")
export BENCH_TEXTBOOK_PID; BENCH_TEXTBOOK_PID=$(cat "$STATE/textbook.pid")
say "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$(dll tools/RefundWorker.Bench RefundWorker.Bench)" run | tee "$STATE/bench-$(date -u +%Y%m%dT%H%M%SZ).txt"
