#!/usr/bin/env bash
# Development PostgreSQL for the Shield AppHost's local mode (no container runtime).
#
#   local-postgres.sh <data dir> <port> <comma-separated databases> [postgres options...]
#   (the options, e.g. -c max_wal_size=4GB, go to the postmaster: PostgresServerSettings.cs holds Shield's)
#   environment: SHIELD_PG_PASSWORD (superuser password, required), SHIELD_PG_BIN (optional bin dir)
#
# Ends by exec'ing the postmaster, so the process Aspire started *is* the server: stopping the resource
# or the AppHost stops PostgreSQL, and nothing is left behind. Everything before that is idempotent, so
# every start also re-applies the current password (user secrets may have been reset) and creates any
# database that is missing.
set -euo pipefail

pgdata=${1:?usage: local-postgres.sh <data dir> <port> <databases>}
port=${2:?missing port}
databases=${3:-}
shift $(($# < 3 ? $# : 3))
server_options=("$@")
: "${SHIELD_PG_PASSWORD:?SHIELD_PG_PASSWORD is not set}"

log() { echo "local-postgres: $*" >&2; }
fail() { log "$*"; exit 1; }

# The AppHost runs the same search before it starts anything (Infrastructure/LocalPrerequisites.cs) and passes the
# folder it found as SHIELD_PG_BIN; the search here serves running this script by hand.
find_bindir() {
    if [[ -n "${SHIELD_PG_BIN:-}" ]]; then
        [[ -x "$SHIELD_PG_BIN/postgres" && -x "$SHIELD_PG_BIN/initdb" ]] ||
            fail "no postgres and initdb in '$SHIELD_PG_BIN' (Shield:Local:PostgresBin)"
        echo "$SHIELD_PG_BIN"
        return
    fi
    # On Debian/Ubuntu, pg_config may come from libpq-dev alone and point at a directory without a server.
    if command -v pg_config >/dev/null 2>&1; then
        local dir
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [[ -x "$dir/postgres" && -x "$dir/initdb" ]]; then
            echo "$dir"
            return
        fi
    fi
    local candidate
    candidate=$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n 1 || true)
    if [[ -n "$candidate" ]]; then
        dirname "$candidate"
        return
    fi
    # The Debian packages keep initdb off PATH, so PATH comes last.
    if command -v postgres >/dev/null 2>&1; then
        local dir
        dir=$(dirname "$(command -v postgres)")
        if [[ -x "$dir/initdb" ]]; then
            echo "$dir"
            return
        fi
    fi
    fail "PostgreSQL server binaries not found: sudo apt-get install postgresql (macOS: brew install postgresql@15) or set Shield:Local:PostgresBin"
}

bindir=$(find_bindir)
sockdir="$(dirname "$pgdata")/postgres-run"
mkdir -p "$pgdata" "$sockdir"

# PostgreSQL refuses to run as root (CI does). Drop to the postgres user, or nobody on machines without one.
# setpriv execs in place, which keeps the postmaster as the process Aspire tracks; runuser forks, so it is
# only a fallback.
run_as=()
if [[ $(id -u) -eq 0 ]]; then
    user=postgres
    id -u "$user" >/dev/null 2>&1 || user=nobody
    uid=$(id -u "$user")
    gid=$(id -g "$user")
    if command -v setpriv >/dev/null 2>&1; then
        run_as=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups)
    elif command -v runuser >/dev/null 2>&1; then
        run_as=(runuser -u "$user" --)
    else
        fail "running as root needs setpriv or runuser (util-linux) to start PostgreSQL as '$user'"
    fi
    if [[ $(stat -c %u "$pgdata") != "$uid" ]]; then
        chown -R "$uid:$gid" "$pgdata"
    fi
    chown "$uid:$gid" "$sockdir"
    # The Shield data root is ours; a test's private temp dir (0700) would otherwise lock the server out.
    chmod a+x "$(dirname "$pgdata")"
    "${run_as[@]}" test -w "$pgdata" ||
        fail "user '$user' cannot reach $pgdata: every directory above it needs o+x (chmod o+x <dir>)"
fi
chmod 700 "$pgdata" "$sockdir"

pg() { "${run_as[@]}" "$bindir/$@"; }

# Single-user mode and the postmaster both refuse a data directory whose previous postmaster is still shutting down.
# shellcheck source=previous-server.sh
source "$(dirname "${BASH_SOURCE[0]}")/previous-server.sh"
wait_for_previous_server "$pgdata/postmaster.pid" postgres "$pgdata"

server_major=$("$bindir/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
if [[ -s "$pgdata/PG_VERSION" ]]; then
    data_major=$(<"$pgdata/PG_VERSION")
    [[ "$data_major" == "$server_major" ]] ||
        fail "$pgdata was created by PostgreSQL $data_major but $bindir is $server_major: point Shield:Local:PostgresBin at a $data_major server or delete the directory"
else
    [[ -z "$(ls -A "$pgdata")" ]] || fail "$pgdata is neither empty nor a PostgreSQL data directory"
    log "initialising $pgdata with $bindir (PostgreSQL $server_major)"
    pwfile=$(mktemp "$sockdir/.pwfile.XXXXXX")
    trap 'rm -f "$pwfile"' EXIT
    printf '%s\n' "$SHIELD_PG_PASSWORD" >"$pwfile"
    [[ ${#run_as[@]} -eq 0 ]] || chown "$uid:$gid" "$pwfile"
    # TCP needs the password (scram); the Unix socket, inside the data root, trusts only the same OS user.
    pg initdb -D "$pgdata" -U postgres --pwfile="$pwfile" \
        --auth-host=scram-sha-256 --auth-local=peer --encoding=UTF8 --locale=C >&2
    rm -f "$pwfile"
    trap - EXIT
fi

# Single-user mode: no socket is opened, so nothing can connect before the password and databases are right.
single() { pg postgres --single -D "$pgdata" postgres 2>&1; }

# printf is a builtin: the password reaches postgres through a pipe, never through argv.
output=$(printf "ALTER USER postgres WITH PASSWORD '%s';\nSELECT datname FROM pg_database;\n" \
    "${SHIELD_PG_PASSWORD//\'/\'\'}" | single) || fail "single-user start failed: $output"
if grep -Eq '(ERROR|FATAL|PANIC):' <<<"$output"; then
    fail "setting the postgres password failed: $(grep -E '(ERROR|FATAL|PANIC):' <<<"$output")"
fi

IFS=',' read -ra wanted <<<"$databases"
for db in "${wanted[@]}"; do
    [[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "unsupported database name '$db'"
    if ! grep -q "datname = \"$db\"" <<<"$output"; then
        log "creating database $db"
        created=$(printf 'CREATE DATABASE "%s";\n' "$db" | single) || fail "creating $db failed: $created"
        if grep -Eq '(ERROR|FATAL|PANIC):' <<<"$created"; then
            fail "creating $db failed: $created"
        fi
    fi
done

log "starting PostgreSQL $server_major on 127.0.0.1:$port, data $pgdata"
exec "${run_as[@]}" "$bindir/postgres" -D "$pgdata" -p "$port" \
    -c listen_addresses=127.0.0.1 -k "$sockdir" ${server_options[@]+"${server_options[@]}"}
