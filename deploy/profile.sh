#!/usr/bin/env bash
# Samples a running worker with perf and prints where its CPU goes: the share of samples whose stack contains each
# part of the worker (they overlap: the accept runs inside MassTransit's consume pipeline) and where the samples
# landed (kernel, managed code, runtime, JIT). README "Performance" shows its output. Typical use, during a backlog:
#
#   DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 BENCH_LATENCIES=none BENCH_BACKLOG=100000 ./build.sh bench &
#   # once the bench prints "backlog 100000: RefundWorker":
#   deploy/profile.sh "$(cat .local/bench/worker.pid)" 25
#
# DOTNET_PerfMapEnabled=1 makes the runtime write /tmp/perf-<pid>.map so perf can name JIT-compiled methods;
# without DOTNET_EnableWriteXorExecute=0 they show as "memfd:doublemapper" and cannot be named.
set -euo pipefail

pid=${1:?usage: deploy/profile.sh <worker pid> [seconds]}
seconds=${2:-25}
command -v perf >/dev/null || { echo "perf is not installed (Debian: apt-get install linux-perf)" >&2; exit 1; }
[ -f "/tmp/perf-$pid.map" ] || echo "warning: /tmp/perf-$pid.map is missing; start the worker with DOTNET_PerfMapEnabled=1 to name managed frames" >&2

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
perf record -F 499 -g -p "$pid" -o "$out/perf.data" -- sleep "$seconds" >/dev/null 2>&1
perf script -i "$out/perf.data" 2>/dev/null >"$out/stacks.txt"

python3 - "$out/stacks.txt" <<'PY'
import collections, re, sys

parts = [
    ("MassTransit receive pipeline (includes the accept)", r"MassTransit\.(RabbitMqTransport|Transports|Middleware|Serialization|Batching)"),
    ("the accept (BatchAcceptor, AcceptService)", r"RefundWorker\.(Consumers\.BatchAcceptor|Operations\.AcceptService|Operations\.AcceptTransaction)"),
    ("executor + provider call", r"RefundWorker\.Operations\.(OperationExecutor|ProviderGateway)|RefundWorker\.Snap\."),
    ("  of which HttpClient", r"System\.Net\.Http\.Http"),
    ("PostgreSQL TLS (SslStream)", r"SslStream"),
    ("Npgsql", r"Npgsql"),
    ("RabbitMQ.Client", r"RabbitMQ\.Client"),
    ("outcome group commit", r"RefundWorker\.Operations\.OutcomeWriter"),
    ("outbox dispatch and publish", r"RefundWorker\.Outbox\."),
]
leaves = [
    ("kernel", r"\[kernel\.kallsyms\]"),
    ("JIT compiler (libclrjit)", r"libclrjit"),
    ("runtime (libcoreclr: GC, casts, stubs)", r"libcoreclr"),
    ("libc", r"libc\.so"),
    ("OpenSSL", r"libcrypto|libssl"),
]
total, inside, landed = 0, collections.Counter(), collections.Counter()

def count(stack):
    global total
    if not stack:
        return
    total += 1
    text = "\n".join(stack)
    for name, pattern in parts:
        if re.search(pattern, text):
            inside[name] += 1
    leaf = next((name for name, pattern in leaves if re.search(pattern, stack[0])), "managed code or other")
    landed[leaf] += 1

stack = []
with open(sys.argv[1], errors="replace") as f:
    for line in f:
        if not line.strip():
            count(stack)
            stack = []
        elif line[0] in " \t":
            stack.append(line.strip())
count(stack)
if total == 0:
    sys.exit("no samples")
print(f"{total} samples")
print("in the stack:")
for name, _ in parts:
    print(f"  {100 * inside[name] / total:5.1f}%  {name}")
print("where the sample landed:")
for name, n in landed.most_common():
    print(f"  {100 * n / total:5.1f}%  {name}")
PY
