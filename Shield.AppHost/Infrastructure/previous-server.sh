# Sourced by local-redis.sh and local-postgres.sh: waits for the previous server of a data directory to exit.
#
# Stopping a resource (from the dashboard, a supervisor or a test) only signals its process: a server still writing
# its files can take seconds to go, and one started meanwhile on the same port and data directory fails ("Address
# already in use", "lock file postmaster.pid already exists") while the old one finishes. The server's pid file names
# it; this waits for as long as that process lives, so a restart never races or loses the previous server's writes.

# True while <pid> is a live <name> process working in <dir> (a stale pid file can name a reused pid).
server_holds_dir() {
    local pid=$1 name=$2 dir=$3
    kill -0 "$pid" 2>/dev/null || return 1
    case "$(ps -o comm= -p "$pid" 2>/dev/null)" in *"$name"*) ;; *) return 1 ;; esac
    # Linux tells where a process works; elsewhere the pid file and the name are all there is.
    if [[ -e "/proc/$pid/cwd" ]]; then
        [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$(cd "$dir" && pwd -P)" ]] || return 1
    fi
    return 0
}

# wait_for_previous_server <pid file> <process name> <data dir>
wait_for_previous_server() {
    local pidfile=$1 name=$2 dir=$3 previous waited=0
    [[ -s "$pidfile" ]] || return 0
    previous=$(head -n 1 "$pidfile" | tr -dc '0-9' || true)
    [[ -n "$previous" ]] && server_holds_dir "$previous" "$name" "$dir" || return 0
    log "waiting for the previous $name (pid $previous) to finish writing $dir and exit"
    while server_holds_dir "$previous" "$name" "$dir"; do
        sleep 0.1
        waited=$((waited + 1))
        if (( waited % 100 == 0 )); then
            log "still waiting for $name pid $previous ($((waited / 10)) s); it holds $dir"
        fi
    done
    log "the previous $name exited after $((waited / 10)).$((waited % 10)) s"
}
