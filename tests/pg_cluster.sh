#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the store tests.
#
# The cluster lives in a temporary folder, listens on a free loopback port only (its unix
# socket stays in that folder), trusts local connections and holds one database. PostgreSQL
# refuses to run as root, so as root it runs as the `postgres` user.
#
#   tests/pg_cluster.sh run -- CMD [ARG...]   start a cluster, run CMD with STUDIO_TEST_DB_URL
#                                             set, then stop the cluster whatever happened
#   tests/pg_cluster.sh start DIR             start a cluster in the empty folder DIR and print
#                                             its database URL
#   tests/pg_cluster.sh stop DIR              stop the cluster in DIR and remove DIR
#
# PostgreSQL comes from Debian's `postgresql` package, installed here if it is missing.
# Environment: STUDIO_PG_DB (database name, default studio_test), STUDIO_PG_TMPDIR (where the
# temporary folder goes, default /tmp: it must be readable by the postgres user).
set -euo pipefail
shopt -s inherit_errexit

DB_NAME=${STUDIO_PG_DB:-studio_test}
MARKER=.studio-pg-cluster
BINDIR=""
CHILD=""

log() { printf 'pg_cluster: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

find_bindir() {
    local initdb
    initdb=$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1 || true)
    [[ -n $initdb ]] || return 1
    BINDIR=$(dirname "$initdb")
}

ensure_postgres() {
    find_bindir && return 0
    [[ $EUID -eq 0 ]] || die "PostgreSQL is not installed; install Debian's package: sudo apt-get install postgresql"
    command -v apt-get >/dev/null || die "PostgreSQL is not installed and there is no apt-get to install it"
    log "installing PostgreSQL (Debian package postgresql)..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    # The package creates and may start a `main` cluster; nothing of ours may keep running.
    if command -v pg_lsclusters >/dev/null; then
        pg_lsclusters --no-header 2>/dev/null | while read -r version name _port status _rest; do
            if [[ $status == online* ]]; then
                log "stopping the package's own cluster $version/$name"
                pg_ctlcluster "$version" "$name" stop >&2 || true
            fi
        done
    fi
    find_bindir || die "the postgresql package installed no /usr/lib/postgresql/*/bin/initdb"
}

# Run a PostgreSQL server program as the cluster's owner, from inside the cluster's folder
# (the postgres user may not be allowed to read the caller's working directory).
as_owner() {
    local dir=$1
    shift
    if [[ $EUID -eq 0 ]]; then
        (cd "$dir" && runuser -u postgres -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

free_port() {
    "${PYTHON:-python3}" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

start() {
    local dir=${1:?usage: pg_cluster.sh start DIR}
    ensure_postgres
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # `stop` removes the folder: never adopt one that holds anything else.
    if [[ -n $(find "$dir" -mindepth 1 -maxdepth 1 ! -name "$MARKER" -print -quit) ]]; then
        die "$dir is not empty; give start a new or empty folder"
    fi
    touch "$dir/$MARKER"
    chmod 755 "$dir"
    if [[ $EUID -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "there is no postgres user to run the server as"
        chown postgres: "$dir"
    fi
    as_owner "$dir" "$BINDIR/initdb" --pgdata="$dir/data" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; die "initdb failed"; }

    local port="" attempt
    # Another process may take the free port between the check and the server's bind: retry.
    for attempt in 1 2 3; do
        port=$(free_port)
        if as_owner "$dir" "$BINDIR/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" \
            --wait --timeout=60 --silent start \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            >&2; then
            break
        fi
        log "the server did not start on port $port (attempt $attempt)"
        port=""
    done
    if [[ -z $port ]]; then
        tail -n 30 "$dir/server.log" >&2 || true
        die "could not start PostgreSQL"
    fi
    echo "$port" >"$dir/port"
    "$BINDIR/createdb" --host=127.0.0.1 --port="$port" --username=postgres "$DB_NAME"
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/$DB_NAME"
}

stop() {
    local dir=${1:?usage: pg_cluster.sh stop DIR}
    [[ -d $dir ]] || return 0
    [[ -f $dir/$MARKER ]] || die "$dir was not made by pg_cluster.sh; not touching it"
    local pidfile=$dir/data/postmaster.pid
    if [[ -f $pidfile ]]; then
        find_bindir || die "PostgreSQL's programs are gone; stop the server in $dir by hand"
        if ! as_owner "$dir" "$BINDIR/pg_ctl" --pgdata="$dir/data" --mode=fast --wait \
            --timeout=30 --silent stop >&2; then
            log "fast shutdown failed; stopping immediately"
            as_owner "$dir" "$BINDIR/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait \
                --timeout=30 --silent stop >&2 || true
        fi
        if [[ -f $pidfile ]]; then
            local pid
            pid=$(head -n 1 "$pidfile")
            if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                log "killing the server (pid $pid)"
                kill -KILL "$pid" || true
            fi
        fi
    fi
    rm -rf -- "$dir"
}

run() {
    [[ ${1:-} == "--" ]] && shift
    [[ $# -gt 0 ]] || die "usage: pg_cluster.sh run -- CMD [ARG...]"
    local dir url
    dir=$(mktemp -d "${STUDIO_PG_TMPDIR:-/tmp}/studio-pg.XXXXXX")
    touch "$dir/$MARKER"
    # Always stop the cluster: on success, on failure, and on Ctrl-C or a kill.
    # shellcheck disable=SC2064
    trap "cleanup '$dir'" EXIT
    trap 'on_signal 130' INT
    trap 'on_signal 143' TERM
    trap 'on_signal 129' HUP
    ensure_postgres
    url=$(start "$dir")
    log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') is up at $url"
    # In the background, so that a signal reaches the traps at once (bash runs traps only
    # between foreground commands) and the command can be stopped before the cluster.
    STUDIO_TEST_DB_URL=$url "$@" &
    CHILD=$!
    local status=0
    wait "$CHILD" || status=$?
    CHILD=""
    return "$status"
}

on_signal() {
    if [[ -n $CHILD ]]; then
        kill -TERM "$CHILD" 2>/dev/null || true
        wait "$CHILD" 2>/dev/null || true
    fi
    exit "$1"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    if stop "$1"; then
        log "PostgreSQL stopped"
    else
        log "error: could not stop PostgreSQL in $1"
        status=1
    fi
    exit "$status"
}

case ${1:-} in
start) start "${2:-}" ;;
stop) stop "${2:-}" ;;
run)
    shift
    run "$@"
    ;;
*)
    echo "usage: $0 run -- CMD [ARG...] | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
