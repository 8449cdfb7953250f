# shellcheck shell=bash
# A throwaway PostgreSQL server for scripts/test and scripts/bench; sourced by
# scripts/lib/services.sh, don't run it.
#
#   ferry_install_postgres        apt-get installs Debian's postgresql if no
#                                 /usr/lib/postgresql/*/bin/initdb is there
#   ferry_start_postgres          initdb into a temp folder, pg_ctl start on a
#                                 free loopback port; sets FERRY_PG_URL
#                                 (postgresql://ferry:PASSWORD@127.0.0.1:PORT/ferry)
#                                 and FERRY_PG_DATA, FERRY_PG_BIN, FERRY_PG_RUN;
#                                 FERRY_PG_SHARED_BUFFERS (default 256MB) sizes
#                                 its shared_buffers (the bench follows the
#                                 README's sizing)
#   ferry_restart_postgres        pg_ctl restart (same port and data)
#   ferry_stop_postgres           pg_ctl stop -m immediate and removes the folder
#
# The server authenticates with a random password (scram-sha-256), so the
# URL a test gets has the same shape as a real one. initdb refuses to run as
# root; as root the server runs as the `postgres` user (made by the Debian
# package) via runuser.

FERRY_PG_DATA=""
FERRY_PG_BIN=""
FERRY_PG_DIR=""
FERRY_PG_URL=""

ferry_pg_bin_dir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [[ -x "$dir/initdb" ]] && printf '%s\n' "$dir"
    done | sort -V | tail -n 1
}

ferry_install_postgres() {
    [[ -n "$(ferry_pg_bin_dir)" ]] && return 0
    ferry_log "installing postgresql with apt-get (the PostgreSQL workspace tests run a throwaway server)"
    local sudo=""
    [[ "$(id -u)" != 0 ]] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >/dev/null ||
        { $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql >/dev/null; } || {
        ferry_log "error: apt-get install postgresql failed"
        return 1
    }
    [[ -n "$(ferry_pg_bin_dir)" ]] || {
        ferry_log "error: no /usr/lib/postgresql/*/bin/initdb after installing postgresql"
        return 1
    }
}

# Runs a PostgreSQL program as the user that owns the data folder.
ferry_pg_as_owner() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ferry_free_port() {
    "${FERRY_PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ferry_start_postgres() {
    ferry_install_postgres || return 1
    FERRY_PG_BIN="$(ferry_pg_bin_dir)"
    # Under /tmp, not the repository: as root the server runs as `postgres`,
    # which may not be able to enter the checkout.
    FERRY_PG_DIR="$(mktemp -d /tmp/ferry-pg.XXXXXX)"
    FERRY_PG_DATA="$FERRY_PG_DIR/data"
    local password port log="$FERRY_PG_DIR/server.log"
    password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$password" >"$FERRY_PG_DIR/pwfile"
    [[ "$(id -u)" == 0 ]] && chown -R postgres: "$FERRY_PG_DIR"
    chmod 700 "$FERRY_PG_DIR"
    ferry_pg_as_owner "$FERRY_PG_BIN/initdb" -D "$FERRY_PG_DATA" -U ferry --pwfile="$FERRY_PG_DIR/pwfile" \
        --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$FERRY_PG_DIR/initdb.log" 2>&1 || {
        ferry_log "error: initdb failed; its log:"
        sed 's/^/  | /' "$FERRY_PG_DIR/initdb.log" >&2
        return 1
    }
    rm -f "$FERRY_PG_DIR/pwfile"
    port="$(ferry_free_port)"
    # Sized for the tests: several ferry processes with small pools each, and
    # fsync off since the data is thrown away.
    cat >>"$FERRY_PG_DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$FERRY_PG_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = ${FERRY_PG_SHARED_BUFFERS:-256MB}
EOF
    ferry_pg_as_owner "$FERRY_PG_BIN/pg_ctl" -D "$FERRY_PG_DATA" -l "$log" -w -t 60 start >/dev/null || {
        ferry_log "error: pg_ctl start failed; its log ($log):"
        sed 's/^/  | /' "$log" >&2
        return 1
    }
    PGPASSWORD="$password" "$FERRY_PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U ferry -d postgres \
        -c 'CREATE DATABASE ferry' >/dev/null || {
        ferry_log "error: cannot create the database ferry"
        return 1
    }
    FERRY_PG_URL="postgresql://ferry:$password@127.0.0.1:$port/ferry?sslmode=disable"
    ferry_log "PostgreSQL: 127.0.0.1:$port (data $FERRY_PG_DATA, log $log)"
}

ferry_restart_postgres() {
    [[ -n "$FERRY_PG_DATA" ]] || return 1
    ferry_pg_as_owner "$FERRY_PG_BIN/pg_ctl" -D "$FERRY_PG_DATA" -w -t 60 -m fast restart >/dev/null
}

ferry_stop_postgres() {
    [[ -n "$FERRY_PG_DATA" ]] || return 0
    ferry_pg_as_owner "$FERRY_PG_BIN/pg_ctl" -D "$FERRY_PG_DATA" -w -t 30 -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$FERRY_PG_DIR"
    FERRY_PG_DATA=""
    FERRY_PG_URL=""
}
