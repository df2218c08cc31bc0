#!/usr/bin/env bash
# A sharded `sim sweep` run by GNU parallel, on this machine or over ssh, then the merge into
# OUT/sweep.csv. The core of it is the one-liner
#   parallel -j 2 sim sweep FILE --shard {}/8 -o parts/part-{}.csv --quiet ::: $(seq 1 8)
#   sim merge parts/part-*.csv -o sweep.csv
# Over ssh (SSHLOGIN=:,server runs jobs here and on server): every machine needs sim (SIM) and the
# scenario at the same path under its home directory, and rsync; parallel brings the parts back.
#   SSHLOGIN=:,server SHARDS=16 bash examples/cluster/parallel.sh
# RUNNER=xargs runs the same shard commands with xargs -P on this machine (no GNU parallel needed;
# no SSHLOGIN). Paths must not contain spaces: the shard command is one shell line.
set -euo pipefail

SIM=${SIM:-sim}
SCENARIO=${SCENARIO:-scenarios/sweep-endpoints.toml}
SHARDS=${SHARDS:-8}
JOBS=${JOBS:-1}            # shards at once per machine; each sim uses every core of its machine
OUT=${OUT:-parts}
FLOWS=${FLOWS:-}           # flows per run; empty: the scenario's
SSHLOGIN=${SSHLOGIN:-}
RUNNER=${RUNNER:-parallel} # parallel or xargs

# One shard, {} standing for its number (1 to SHARDS).
shard="mkdir -p $OUT && $SIM sweep $SCENARIO --shard {}/$SHARDS ${FLOWS:+--flows $FLOWS} -o $OUT/part-{}.csv --quiet"

mkdir -p "$OUT"
case $RUNNER in
parallel)
  parallel --halt now,fail=1 -j "$JOBS" \
    ${SSHLOGIN:+--sshlogin "$SSHLOGIN" --workdir . --return "$OUT/part-{}.csv" --cleanup} \
    "$shard" ::: $(seq 1 "$SHARDS")
  ;;
xargs)
  seq 1 "$SHARDS" | xargs -P "$JOBS" -I{} sh -c "$shard"
  ;;
*)
  echo "RUNNER=$RUNNER: use parallel or xargs" >&2
  exit 2
  ;;
esac
"$SIM" merge "$OUT"/part-*.csv -o "$OUT/sweep.csv"
