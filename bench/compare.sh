#!/usr/bin/env bash
# Shield vs BullMQ on one Redis, alternating, several rounds in one invocation (issue #6).
#
#   bench/compare.sh                 # 5 rounds, N=20000, pool/concurrency 4, plus one delay run
#   ROUNDS=3 N=5000 bench/compare.sh
#   REDIS_PORT=6390 bench/compare.sh # use a redis-server that is already running there (it gets FLUSHALLed!)
#
# Each round runs Shield (--workload noop) and the peer (../shared/bench/bullmq/run.sh, DELAY_MS=0), in
# alternating order, flushing Redis between runs. Shield's PostgreSQL is started once by this script too (the
# harness would otherwise start one per run), in a temp dir, and removed at the end.
# Prints each run's JSON line, then the ratio table: shield process_per_s / bullmq process_per_s.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS=${ROUNDS:-5}
N=${N:-20000}
C=${C:-4}
DELAY_RUN_MS=${DELAY_RUN_MS:-5}
peer="${PEER:-$repo/../shared/bench/bullmq/run.sh}"
[[ -x "$peer" ]] || { echo "peer benchmark not found at $peer" >&2; exit 1; }

free_port() { python3 -c 'import socket
while True:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close()
    if p != 6379: print(p); break'; }

work=$(mktemp -d /tmp/shield-compare-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "${REDIS_PORT:-}" ]]; then
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
export REDIS_PORT
redis() { redis-cli -p "$REDIS_PORT" "$@"; }

# PostgreSQL for Shield's job rows (BullMQ keeps everything in Redis).
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
pgport=$(free_port)
mkdir -p "$work/pg" "$work/pgrun"
run_as=()
if [[ $(id -u) -eq 0 ]]; then
  chmod a+x "$work"; chown postgres:postgres "$work/pg" "$work/pgrun"
  run_as=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
"${run_as[@]}" "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust --encoding=UTF8 --locale=C --no-sync >/dev/null
"${run_as[@]}" "$pgbin/postgres" -D "$work/pg" -p "$pgport" -k "$work/pgrun" -c listen_addresses=127.0.0.1 >"$work/pg.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do "$pgbin/pg_isready" -h 127.0.0.1 -p "$pgport" >/dev/null 2>&1 && break; sleep 0.1; done
"$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U postgres -qc "CREATE DATABASE shield" >/dev/null
pg="Host=127.0.0.1;Port=$pgport;Username=postgres;Database=shield"

echo "building Shield.Bench (Release)..." >&2
dotnet build "$repo/bench/Shield.Bench" -c Release -v q -nologo >/dev/null

shield() {
  dotnet run -c Release --no-build --project "$repo/bench/Shield.Bench" -- \
    --redis "127.0.0.1:$REDIS_PORT" --postgres "$pg" "$@" | tail -n1
}
bullmq() { N=$N C=$C DELAY_MS=0 "$peer" | tail -n1; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

shield_rates=(); bull_rates=(); ratios=(); shield_steady=(); shield_jit=()
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then order=(shield bullmq); else order=(bullmq shield); fi
  for side in "${order[@]}"; do
    redis FLUSHALL >/dev/null
    if [[ $side == shield ]]; then
      line=$(shield --workload noop --chunks "$N" --pool-size "$C"); s=$(field "$line" process_per_s)
      shield_steady+=("$(field "$line" steady_per_s)"); shield_jit+=("$(field "$line" jit_ms)")
    else
      line=$(bullmq); b=$(field "$line" process_per_s)
    fi
    echo "round $round $side: $line"
  done
  shield_rates+=("$s"); bull_rates+=("$b")
  ratios+=("$(python3 -c "print(round($s / $b, 3))")")
done

redis FLUSHALL >/dev/null
delay_line=$(shield --workload delay --delay-ms "$DELAY_RUN_MS" --chunks "$N" --pool-size "$C")
echo "delay run: $delay_line"
redis FLUSHALL >/dev/null
peer_delay_line=$(N=$N C=$C DELAY_MS=$DELAY_RUN_MS "$peer" | tail -n1)
echo "peer delay run: $peer_delay_line"
redis FLUSHALL >/dev/null
# Memory: 100,000 chunks on this Redis, which has already run Shield's scripts (a pristine Redis also gains their
# ~0.3 MB Lua script cache once); finished jobs expire and events age out after 5 s in this run (--memory-check).
memory_line=""
if [[ "${MEMORY_CHECK:-1}" == 1 ]]; then
  memory_line=$(shield --workload noop --chunks "${MEMORY_N:-100000}" --pool-size "$C" --memory-check)
  echo "memory run: $memory_line"
  redis FLUSHALL >/dev/null
fi

python3 - "$N" "$C" "${shield_rates[*]}" "${bull_rates[*]}" "${ratios[*]}" "$delay_line" "$memory_line" "$peer_delay_line" \
  "${shield_steady[*]}" "${shield_jit[*]}" <<'PY'
import json, statistics, sys
n, c = sys.argv[1], int(sys.argv[2])
shield = [float(x) for x in sys.argv[3].split()]
bull = [float(x) for x in sys.argv[4].split()]
ratio = [float(x) for x in sys.argv[5].split()]
delay = json.loads(sys.argv[6])
print()
print(f"noop, N={n}, Shield pool {c} vs BullMQ concurrency {c}, same Redis, {len(ratio)} alternating rounds")
print(f"{'round':>5} {'shield/s':>10} {'bullmq/s':>10} {'ratio':>7}")
for i, (s, b, r) in enumerate(zip(shield, bull, ratio), 1):
    print(f"{i:>5} {s:>10.0f} {b:>10.0f} {r:>7.2f}")
print(f"ratio shield/bullmq: min {min(ratio):.2f}  median {statistics.median(ratio):.2f}  max {max(ratio):.2f}   (target: median >= 2.00)")
print(f"medians: shield {statistics.median(shield):.0f}/s, bullmq {statistics.median(bull):.0f}/s")
steady = [float(x) for x in sys.argv[9].split()]
jit = [float(x) for x in sys.argv[10].split()]
print(f"  shield's rounds: steady (middle 80% of chunks) median {statistics.median(steady):.0f}/s; "
      f"JIT during the timed part median {statistics.median(jit):.0f} ms of CPU")
target = delay["pool_size"] * 1000 / delay["delay_ms"]
print(f"delay {delay['delay_ms']} ms, pool {delay['pool_size']}: {delay['process_per_s']:.0f}/s = "
      f"{delay['process_per_s'] / target * 100:.0f}% of pool/delay = {target:.0f}/s (target >= 90%)")
peer_delay = json.loads(sys.argv[8])
print(f"  (same run, process stage {delay['stage_ms_per_chunk'].get('process')} ms per chunk, {delay.get('delay_timer')} timer; "
      f"BullMQ with {peer_delay['delay_ms']} ms jobs: {peer_delay['process_per_s']}/s = {peer_delay['process_per_s'] / target * 100:.0f}%)")
print(f"idle (from the delay run): pickup p50 {delay['pickup_p50_ms']} ms, p99 {delay['pickup_p99_ms']} ms, "
      f"idle CPU {delay['idle_cpu_percent']}% of a core (targets: p50 < 2 ms, CPU < 1%)")
if sys.argv[7]:
    memory = json.loads(sys.argv[7])
    print(f"redis memory, {memory['chunks']} chunks: {memory['redis_used_memory_start']} -> {memory['redis_used_memory_end']} bytes "
          f"({memory['redis_memory_change_percent']:+}%; queue {memory['redis_stream_length_end']} entries, "
          f"events {memory['redis_events_length_end']}, keys {memory['redis_keys_end']}) (target: within 10%)")
PY
