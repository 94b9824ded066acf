#!/usr/bin/env bash
# bench/nearby: 100,000 SAMPLE services in a separate `<ATLAS_DB_NAME>_bench` database, then the API vs its anchor (pgbench).
# Usage: ATLAS_PG_PORT=<port> bench/nearby/run.sh [--clients 32 --seconds 20 --rounds 2 --workers 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
$BIN/atlas db start >/dev/null 2>&1 || true
BENCH_URL=${BENCH_DATABASE_URL:-$($BIN/python -c 'from geo.settings import Settings; s = Settings(); print(s.local_url(f"{s.db_name}_bench"))')}
export ATLAS_DATABASE_URL=$BENCH_URL
$BIN/atlas db migrate                      # creates the bench database and its schema when missing
$BIN/atlas regions load                    # counties, circuits, divisions, taxonomy
$BIN/atlas sample load --count 100000      # a no-op when they are already there
unset ATLAS_DATABASE_URL
BENCH_DATABASE_URL=$BENCH_URL $BIN/python -m bench.nearby.bench "$@"
