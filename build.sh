#!/usr/bin/env bash
# RefundWorker's one entry point: brings up PostgreSQL and RabbitMQ, then builds, tests or runs the demo.
#
#   ./build.sh test    services + build + every test project; last line "N passed, N failed"
#   ./build.sh demo    services + keys + migrations + sandbox + worker + a published mix of refunds and cancels
#   ./build.sh bench   services + the side-by-side benchmark (worker vs a textbook consumer); BENCH_* in deploy/bench.sh
#   ./build.sh services  only bring the services up and print the connection strings
#   ./build.sh build   only build
#   ./build.sh containers  a container engine for the container-path tests (podman where no Docker runs) + test images
#   ./build.sh images [--rebuild] [name...]  build the registry-free images of deploy/images
#   ./build.sh image   the worker's container image, refundworker:latest (Dockerfile)
#   ./build.sh chaos   the chaos run: 100,000 requests, faults, kills and restarts of private servers (CHAOS_COUNT=…)
#
# Services, in this order of preference:
#   1. whatever ConnectionStrings__Postgres / ConnectionStrings__RabbitMq already point at (if they answer);
#   2. `docker compose up -d postgres rabbitmq` if a Docker engine answers;
#   3. Debian's postgresql and rabbitmq-server packages, installed if missing and started locally.
# Re-running is cheap: a service that already answers is left alone.
set -euo pipefail

cd "$(dirname "$0")"
ROOT=$PWD
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

PG_USER=refundworker
PG_PASSWORD=refundworker
PG_DB=refundworker
RMQ_USER=refundworker
RMQ_PASSWORD=refundworker

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else die "need root for: $*"; fi
}

# host:port reachable over TCP?
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# Pull host and port out of the two connection string forms we use.
pg_endpoint() {
  local cs=$1 host=localhost port=5432 kv
  IFS=';' read -ra parts <<<"$cs"
  for kv in "${parts[@]}"; do
    case "${kv,,}" in
      host=*|server=*) host=${kv#*=} ;;
      port=*) port=${kv#*=} ;;
    esac
  done
  echo "$host $port"
}
amqp_endpoint() {
  local rest=${1#*://}; rest=${rest#*@}; rest=${rest%%/*}
  local host=${rest%%:*} port=5672
  [[ $rest == *:* ]] && port=${rest##*:}
  echo "$host $port"
}

env_services_answer() {
  [ -n "${ConnectionStrings__Postgres:-}" ] && [ -n "${ConnectionStrings__RabbitMq:-}" ] || return 1
  # shellcheck disable=SC2046
  port_open $(pg_endpoint "$ConnectionStrings__Postgres") && port_open $(amqp_endpoint "$ConnectionStrings__RabbitMq")
}

docker_engine_answers() {
  command -v docker >/dev/null && timeout 5 docker info >/dev/null 2>&1
}

wait_for() { # description, tries, command...
  local what=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  die "$what did not become ready"
}

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then say "apt-get update"; as_root apt-get update -qq; apt_updated=1; fi
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_local_postgres() {
  apt_install postgresql
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    say "starting PostgreSQL"
    local ver
    ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    if ! pg_lsclusters -h 2>/dev/null | grep -q .; then as_root pg_createcluster "$ver" main >/dev/null; fi
    # `service` works with and without systemd as PID 1.
    as_root service postgresql start >/dev/null || as_root pg_ctlcluster "$ver" main start
    wait_for PostgreSQL 60 pg_isready -q -h 127.0.0.1 -p 5432
  fi
  # Integration tests run several hosts, each with its own pool and database: Debian's default of 100
  # connections is too few for the whole suite at once.
  local max
  max=$(as_root su postgres -c "psql -tAq -c 'SHOW max_connections'")
  if [ "${max:-0}" -lt 300 ]; then
    say "raising PostgreSQL max_connections from $max to 300 (restart)"
    as_root su postgres -c "psql -q -c 'ALTER SYSTEM SET max_connections = 300'" >/dev/null
    as_root service postgresql restart >/dev/null || as_root pg_ctlcluster "$(ls /usr/lib/postgresql | sort -V | tail -n 1)" main restart
    wait_for PostgreSQL 60 pg_isready -q -h 127.0.0.1 -p 5432
  fi
  # The role may create databases: integration tests isolate themselves in a database of their own.
  as_root su postgres -c "psql -q -v ON_ERROR_STOP=1" >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $PG_DB OWNER $PG_USER' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DB')\gexec
SQL
}

start_local_rabbitmq() {
  apt_install rabbitmq-server
  if ! as_root rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1; then
    say "starting RabbitMQ"
    as_root service rabbitmq-server start >/dev/null 2>&1 || as_root rabbitmq-server -detached
    wait_for RabbitMQ 120 as_root rabbitmq-diagnostics -q check_port_connectivity
  fi
  # The management API lets the test fixture create a throwaway vhost per test class.
  if ! as_root rabbitmq-plugins is_enabled rabbitmq_management >/dev/null 2>&1; then
    say "enabling rabbitmq_management"
    as_root rabbitmq-plugins enable --quiet rabbitmq_management >/dev/null
  fi
  if ! as_root rabbitmqctl -q list_users | grep -q "^$RMQ_USER\b"; then
    as_root rabbitmqctl -q add_user "$RMQ_USER" "$RMQ_PASSWORD" >/dev/null
    as_root rabbitmqctl -q set_user_tags "$RMQ_USER" administrator >/dev/null
    as_root rabbitmqctl -q set_permissions -p / "$RMQ_USER" ".*" ".*" ".*" >/dev/null
  fi
  wait_for "RabbitMQ management API" 60 port_open 127.0.0.1 15672
}

services() {
  if env_services_answer; then
    say "using the services the environment points at"
  elif docker_engine_answers; then
    say "starting PostgreSQL and RabbitMQ with docker compose"
    docker compose up -d --wait postgres rabbitmq
    export ConnectionStrings__Postgres="Host=127.0.0.1;Port=5432;Username=$PG_USER;Password=$PG_PASSWORD;Database=$PG_DB"
    export ConnectionStrings__RabbitMq="amqp://$RMQ_USER:$RMQ_PASSWORD@127.0.0.1:5672/"
  else
    start_local_postgres
    start_local_rabbitmq
    export ConnectionStrings__Postgres="Host=127.0.0.1;Port=5432;Username=$PG_USER;Password=$PG_PASSWORD;Database=$PG_DB"
    export ConnectionStrings__RabbitMq="amqp://$RMQ_USER:$RMQ_PASSWORD@127.0.0.1:5672/"
  fi
  export RabbitMq__ManagementUrl="${RabbitMq__ManagementUrl:-http://127.0.0.1:15672}"
  say "PostgreSQL: ${ConnectionStrings__Postgres//Password=*;/Password=***;}"
  say "RabbitMQ:   ${ConnectionStrings__RabbitMq%%:*}://…@${ConnectionStrings__RabbitMq##*@}"
}

# The PostgreSQL outage tests run a cluster of their own (initdb, pg_ctl under /usr/lib/postgresql/<ver>/bin, or
# PG_BIN) that they stop and start; the shared server is never touched. The binaries are needed even when the
# shared services come from the environment or from docker compose.
ensure_postgres_binaries() {
  if [ -n "${PG_BIN:-}" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then return 0; fi
  command -v apt-get >/dev/null || die "the outage tests need PostgreSQL's initdb and pg_ctl: install them or set PG_BIN"
  apt_install postgresql
}

# The broker restart tests run a RabbitMQ node of their own (rabbitmq-server under /usr/lib/rabbitmq/bin, or
# RABBITMQ_BIN) that they stop and start; the shared broker is never touched. Needed even when the shared services
# come from the environment or from docker compose.
ensure_rabbitmq_binaries() {
  if [ -n "${RABBITMQ_BIN:-}" ] || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then return 0; fi
  command -v apt-get >/dev/null || die "the broker restart tests need rabbitmq-server: install it or set RABBITMQ_BIN"
  apt_install rabbitmq-server
}

# The dashboard and alert-rule test runs a Prometheus of its own (prometheus and promtool under /usr/bin, or
# PROMETHEUS_BIN) on a free port with its own config and data directory; a Prometheus service the package may
# install is left alone.
ensure_prometheus_binaries() {
  if [ -n "${PROMETHEUS_BIN:-}" ] || { [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; }; then return 0; fi
  command -v apt-get >/dev/null || die "the dashboard and alert-rule test needs prometheus and promtool: install them or set PROMETHEUS_BIN"
  apt_install prometheus
}

# Container path: the test fixtures start PostgreSQL and RabbitMQ through Testcontainers when a container engine
# answers (tests/RefundWorker.Tests/Containers run that path on purpose). Where no Docker engine runs, this brings up
# podman's Docker-compatible API on $PODMAN_SOCKET and builds the registry-free test images (deploy/images), time-boxed
# by CONTAINERS_IMAGES_TIMEOUT seconds. Exports what Testcontainers needs. Returns non-zero, with the reason printed, when
# no engine could be had; the container-path tests then skip with that reason.
PODMAN_SOCKET=/run/podman/podman.sock
engine_answers() { # unix socket path
  command -v curl >/dev/null || apt_install curl
  [ -S "$1" ] && [ "$(curl -sf --max-time 5 --unix-socket "$1" http://engine/_ping 2>/dev/null)" = OK ]
}
start_podman() {
  apt_install podman runc debootstrap uidmap
  # No systemd or journald as PID 1 in these machines (cgroupfs, events to a file); runc rather than crun; ulimits
  # low enough for this kernel (the default nofile 1048576 is refused), high enough for RabbitMQ. Only a
  # containers.conf this script wrote is replaced.
  local conf=/etc/containers/containers.conf
  if [ ! -f "$conf" ] || grep -q '^# written by refundworker build.sh' "$conf"; then
    as_root mkdir -p /etc/containers
    as_root tee "$conf" >/dev/null <<'CONF'
# written by refundworker build.sh (containers): delete this line to keep your own settings
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  fi
  if ! engine_answers "$PODMAN_SOCKET"; then
    say "starting podman system service on unix://$PODMAN_SOCKET"
    as_root mkdir -p "$(dirname "$PODMAN_SOCKET")"
    as_root rm -f "$PODMAN_SOCKET"
    as_root nohup podman system service --time=0 "unix://$PODMAN_SOCKET" >"$ROOT/.artifacts/podman-service.log" 2>&1 &
    for _ in $(seq 30); do engine_answers "$PODMAN_SOCKET" && break; sleep 1; done
  fi
  engine_answers "$PODMAN_SOCKET"
}
containers() {
  mkdir -p "$ROOT/.artifacts"
  if [ -n "${DOCKER_HOST:-}" ] || docker_engine_answers; then
    say "containers: using the Docker engine ${DOCKER_HOST:-at the default socket}"
  elif command -v apt-get >/dev/null && start_podman; then
    export DOCKER_HOST="unix://$PODMAN_SOCKET"
    # Ryuk (the reaper container) is not built here and podman does not need it: fixtures remove their containers,
    # and leftovers of a killed run are removed below. Published ports are reached on 127.0.0.1.
    export TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
    # No registry here: the fixtures must use the images built below (and say so if they are missing), never
    # fall back to Docker Hub's.
    export RefundWorker__Tests__PostgresImage=localhost/refundworker-postgres:15
    export RefundWorker__Tests__RabbitMqImage=localhost/refundworker-rabbitmq:3
    podman ps -aq --filter label=org.refundworker.tests=true | xargs -r podman rm -f >/dev/null 2>&1 || true
    local start=$SECONDS
    if timeout "${CONTAINERS_IMAGES_TIMEOUT:-2400}" bash "$ROOT/deploy/images/build-images.sh" postgres rabbitmq; then
      say "containers: test images ready ($((SECONDS - start)) s)"
    else
      say "containers: building the test images failed or timed out after $((SECONDS - start)) s; the container-path tests will fail"
    fi
  else
    say "containers: no container engine answers and podman could not be started; the container-path tests will skip"
    return 1
  fi
  # The engine is there: from now on the container-path tests must run, never skip.
  export RefundWorker__Tests__RequireContainers=true
  say "containers: DOCKER_HOST=${DOCKER_HOST:-default}"
}

# The worker's image (Dockerfile) as refundworker:latest, the name deploy/k8s uses. Without a registry the build and
# runtime stages are the local images of deploy/images; with one, the Dockerfile's defaults (Microsoft's images).
worker_image() {
  if docker_engine_answers; then
    docker build -t refundworker:latest "$ROOT"
    return
  fi
  containers || die "no container engine for the worker image"
  bash "$ROOT/deploy/images/build-images.sh" runtime sdk
  say "building refundworker:latest with podman"
  # The build stage restores through this machine's network and NuGet cache, trusting what the machine trusts
  # (its CA store, which may hold an egress proxy's CA): host network, ~/.nuget/packages and /etc/ssl/certs mounted.
  podman build --network=host -v "$HOME/.nuget/packages:/root/.nuget/packages" -v /etc/ssl/certs:/etc/ssl/certs:ro \
    --build-arg SDK_IMAGE=localhost/refundworker-dotnet-sdk:10 \
    --build-arg RUNTIME_IMAGE=localhost/refundworker-dotnet-runtime:10 \
    -t localhost/refundworker:latest "$ROOT"
}

# The ops console's browser tests drive headless Chromium through chromedriver, both from Debian's packages (or
# CHROMIUM_BIN and CHROMEDRIVER_BIN): no browser is ever downloaded by the tests.
ensure_chromium() {
  if { [ -n "${CHROMIUM_BIN:-}" ] && [ -n "${CHROMEDRIVER_BIN:-}" ]; } || { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then return 0; fi
  command -v apt-get >/dev/null || die "the console's browser tests need chromium and chromedriver: install them or set CHROMIUM_BIN and CHROMEDRIVER_BIN"
  apt_install chromium chromium-driver
}

build() { # [project...]: the whole solution by default
  local targets=("$@")
  [ ${#targets[@]} -eq 0 ] && targets=(RefundWorker.sln)
  for target in "${targets[@]}"; do
    say "building $target"
    dotnet build "$target" -c Release -nologo -clp:ErrorsOnly -v:q
  done
}

run_tests() {
  local results="$ROOT/.artifacts/test-results"
  rm -rf "$results"; mkdir -p "$results"
  local status=0 run_errors=0
  for proj in tests/*.Tests/*.Tests.csproj; do
    local name
    name=$(basename "$proj" .csproj)
    say "testing $name"
    if ! dotnet test "$proj" -c Release --no-build -nologo \
      --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
      --logger "console;verbosity=minimal"; then
      status=1
      # A fixture's cleanup failure fails the run without failing a test: count it, so the last line says so.
      if [ -f "$results/$name.trx" ] && ! grep -o '<Counters [^>]*' "$results/$name.trx" | grep -q ' failed="[1-9]'; then
        run_errors=$((run_errors + 1))
      fi
    fi
  done
  # Sum the TRX counters over every test project: CI reads only the last line.
  local passed=0 failed=0 p f trx
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    p=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  done
  # A project that crashed before writing its TRX counts as a failure, not as silence.
  local projects trxs
  projects=$(ls tests/*.Tests/*.Tests.csproj | wc -l); trxs=$(ls "$results"/*.trx 2>/dev/null | wc -l)
  if [ "$trxs" -lt "$projects" ]; then failed=$((failed + projects - trxs)); status=1; fi
  failed=$((failed + run_errors))
  [ "$failed" -gt 0 ] && status=1
  echo "$passed passed, $failed failed"
  return $status
}

# The chaos run (README "Chaos run"): a PostgreSQL and a RabbitMQ of its own that it restarts (never the services
# above), the sandbox, three worker replicas and an order system, with faults, kill -9 and restarts; a table of
# breaches at the end, exit status non-zero on any. Options after `chaos` go to the tool (--count, --rate, --kills…).
chaos() {
  ensure_postgres_binaries; ensure_rabbitmq_binaries
  build tools/RefundWorker.Chaos/RefundWorker.Chaos.csproj
  dotnet run --no-build -c Release --project tools/RefundWorker.Chaos -- "$@"
}

# The side-by-side benchmark (deploy/bench.sh): only what it runs is built.
bench() {
  services
  build src/RefundWorker/RefundWorker.csproj src/RefundWorker.Sandbox/RefundWorker.Sandbox.csproj tools/RefundWorker.Bench/RefundWorker.Bench.csproj
  exec bash "$ROOT/deploy/bench.sh"
}

cmd=${1:-test}
case "$cmd" in
  services) services; echo "export ConnectionStrings__Postgres='$ConnectionStrings__Postgres'"; echo "export ConnectionStrings__RabbitMq='$ConnectionStrings__RabbitMq'" ;;
  build) build ;;
  # RW_CHAOS: the CI-sized chaos run (ChaosRunTests, 3,000 requests, one kill, one restart of each server) is part of the suite.
  test) services; ensure_postgres_binaries; ensure_rabbitmq_binaries; ensure_prometheus_binaries; containers || true; ensure_chromium; build; RW_CHAOS=1 run_tests ;;
  chaos) shift; chaos "$@" ;;
  containers) containers; echo "export DOCKER_HOST='${DOCKER_HOST:-}' TESTCONTAINERS_RYUK_DISABLED='${TESTCONTAINERS_RYUK_DISABLED:-}' TESTCONTAINERS_HOST_OVERRIDE='${TESTCONTAINERS_HOST_OVERRIDE:-}' RefundWorker__Tests__PostgresImage='${RefundWorker__Tests__PostgresImage:-}' RefundWorker__Tests__RabbitMqImage='${RefundWorker__Tests__RabbitMqImage:-}'" ;;
  images) containers; bash "$ROOT/deploy/images/build-images.sh" "${@:2}" ;;
  image) worker_image ;;
  bench) bench ;;
  demo) services; build src/RefundWorker/RefundWorker.csproj src/RefundWorker.Sandbox/RefundWorker.Sandbox.csproj tools/RefundWorker.Demo/RefundWorker.Demo.csproj; exec bash "$ROOT/deploy/demo.sh" ;;
  *) die "unknown command '$cmd' (test | demo | bench | chaos | services | build | containers | images | image)" ;;
esac
