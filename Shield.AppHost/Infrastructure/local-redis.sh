#!/usr/bin/env bash
# Development Redis for the Shield AppHost's local mode (no container runtime).
#
#   local-redis.sh <redis-server> <data dir> <port>
#   environment: SHIELD_REDIS_PASSWORD (this run's password, required)
#
# Ends by exec'ing redis-server, so the process Aspire started *is* the server. Two things happen first:
#
# * It waits for the previous redis-server of this data directory to exit (see previous-server.sh): a new one started
#   while the old one still writes its append-only file would fail on the port it still holds.
# * The configuration, password included, goes to redis-server on stdin (`redis-server -`): argv is world-readable
#   through ps and /proc, and nothing secret is written to disk.
set -euo pipefail

server=${1:?usage: local-redis.sh <redis-server> <data dir> <port>}
dir=${2:?missing data dir}
port=${3:?missing port}
: "${SHIELD_REDIS_PASSWORD:?SHIELD_REDIS_PASSWORD is not set}"

log() { echo "local-redis: $*" >&2; }

mkdir -p "$dir"
pidfile="$dir/redis.pid"

# shellcheck source=previous-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/previous-server.sh"
wait_for_previous_server "$pidfile" redis-server "$dir"

# AOF alone is the persistence (appendfsync everysec: at most a second of writes lost, no RDB fork pauses); queues
# and idempotency keys live here, so nothing may be evicted (noeviction); no supervisor, so no daemonizing.
exec "$server" - <<CONFIG
port $port
bind 127.0.0.1
dir "$dir"
pidfile "$pidfile"
appendonly yes
appendfsync everysec
save ""
maxmemory-policy noeviction
daemonize no
requirepass "$SHIELD_REDIS_PASSWORD"
CONFIG
