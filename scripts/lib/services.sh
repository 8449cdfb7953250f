# shellcheck shell=bash
# Helpers for scripts/test and scripts/bench; source it, don't run it.
#
#   ferry_install_python_deps     pip-installs moto[server] and boto3 if missing
#   ferry_start_s3 ENVFILE        starts s3_fixture.py in the background, waits
#                                 (FERRY_S3_START_SECONDS, 180 by default) for ENVFILE; log in ENVFILE%.json.log
#                                 FERRY_S3_DETACH=1: it outlives the script
#   ferry_stop_s3                 stops it
#   ferry_start_postgres          a throwaway PostgreSQL (see postgres.sh)
#   ferry_on_exit 'CMD'           runs CMD at exit (after stopping services);
#                                 $FERRY_EXIT_STATUS holds the exit status then
#
# Sourcing installs an EXIT/INT/TERM trap that stops everything started here.
# The fixture also gets --parent-pid $$, so it goes away even if this shell is
# SIGKILLed.

FERRY_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FERRY_PYTHON="${FERRY_PYTHON:-python3}"
FERRY_S3_PID=""
FERRY_S3_ENV=""
FERRY_EXIT_CMDS=()

ferry_log() { printf '%s\n' "$*" >&2; }

ferry_install_python_deps() {
    if "$FERRY_PYTHON" -c 'import moto.server, boto3, pandas, pyarrow, duckdb' 2>/dev/null; then
        return 0
    fi
    ferry_log "installing python packages: moto[server] boto3 pandas pyarrow duckdb (they read exported CSV, JSON and Parquet back in the tests)"
    if ! "$FERRY_PYTHON" -m pip --version >/dev/null 2>&1; then
        ferry_log "error: $FERRY_PYTHON has no pip (on Debian: apt-get install -y python3-pip)"
        return 1
    fi
    # A Debian system python refuses plain installs (PEP 668): fall back to --user.
    "$FERRY_PYTHON" -m pip install -q 'moto[server]' boto3 pandas pyarrow duckdb ||
        "$FERRY_PYTHON" -m pip install -q --user --break-system-packages 'moto[server]' boto3 pandas pyarrow duckdb || {
        ferry_log "error: pip install 'moto[server]' boto3 failed"
        return 1
    }
    "$FERRY_PYTHON" -c 'import moto.server, boto3, pandas, pyarrow, duckdb' || {
        ferry_log "error: moto/boto3 still not importable after pip install"
        return 1
    }
}

ferry_start_s3() {
    local env_file="$1" log deadline
    log="${env_file%.json}.log"
    mkdir -p "$(dirname "$env_file")"
    rm -f "$env_file"
    if [[ "${FERRY_S3_DETACH:-0}" == 1 ]]; then
        # Outlives this shell (scripts/demo --keep): no parent to follow, its own
        # session so a Ctrl-C in the terminal does not reach it.
        setsid "$FERRY_PYTHON" "$FERRY_LIB_DIR/s3_fixture.py" start --out "$env_file" \
            >"$log" 2>&1 </dev/null &
    else
        "$FERRY_PYTHON" "$FERRY_LIB_DIR/s3_fixture.py" start --out "$env_file" --parent-pid $$ \
            >"$log" 2>&1 &
    fi
    FERRY_S3_PID=$!
    FERRY_S3_ENV="$env_file"
    # Importing moto and making the IAM users takes a few seconds on an idle
    # machine, but a minute and more on 2 cores busy with a build.
    local wait_seconds="${FERRY_S3_START_SECONDS:-180}"
    deadline=$((SECONDS + wait_seconds))
    while [[ ! -s "$env_file" ]]; do
        if ! kill -0 "$FERRY_S3_PID" 2>/dev/null; then
            ferry_log "error: the S3 fixture exited before becoming ready; its log ($log):"
            sed 's/^/  | /' "$log" >&2
            FERRY_S3_PID=""
            return 1
        fi
        if ((SECONDS >= deadline)); then
            ferry_log "error: the S3 fixture was not ready after ${wait_seconds}s; its log ($log):"
            sed 's/^/  | /' "$log" >&2
            ferry_stop_s3
            return 1
        fi
        sleep 0.1
    done
    ferry_log "S3 fixture: $("$FERRY_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoint"])' "$env_file") (env $env_file, log $log)"
}

ferry_stop_s3() {
    [[ -n "$FERRY_S3_PID" ]] || return 0
    if [[ "${FERRY_S3_DETACH:-0}" == 1 && "${FERRY_EXIT_STATUS:-1}" == 0 ]]; then
        return 0
    fi
    kill -TERM "$FERRY_S3_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
        kill -0 "$FERRY_S3_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$FERRY_S3_PID" 2>/dev/null || true
    wait "$FERRY_S3_PID" 2>/dev/null || true
    FERRY_S3_PID=""
}

ferry_on_exit() { FERRY_EXIT_CMDS+=("$1"); }

ferry_cleanup() {
    local status=$? cmd
    FERRY_EXIT_STATUS=$status
    trap - EXIT INT TERM
    ferry_stop_s3
    ferry_stop_postgres
    for cmd in "${FERRY_EXIT_CMDS[@]+"${FERRY_EXIT_CMDS[@]}"}"; do
        eval "$cmd" || true
    done
    exit "$status"
}

# shellcheck source=postgres.sh
source "$FERRY_LIB_DIR/postgres.sh"

trap ferry_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Swift may not be on PATH on the CI image.
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
