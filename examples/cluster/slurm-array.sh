#!/usr/bin/env bash
# One shard of a sharded `sim sweep` per Slurm array task: task I (1-based) runs shard I/SHARDS
# and writes OUT/part-I.csv. slurm-submit.sh submits it with the merge; by hand:
#   sbatch --array=1-8 --export=ALL,SHARDS=8 examples/cluster/slurm-array.sh
# OUT must be on a file system the nodes share; paths are relative to the submission directory.
#SBATCH --job-name=sim-sweep
#SBATCH --array=1-8
#SBATCH --cpus-per-task=4
#SBATCH --time=00:30:00
#SBATCH --output=sim-sweep-%A_%a.out
set -euo pipefail

SIM=${SIM:-sim}                                       # the sim binary (target/release/sim)
SCENARIO=${SCENARIO:-scenarios/sweep-endpoints.toml}  # a scenario with a [sweep] table
SHARDS=${SHARDS:-8}                                   # the N of --array=1-N
OUT=${OUT:-parts}                                     # where the parts go
FLOWS=${FLOWS:-}                                      # flows per run; empty: the scenario's
TASK=${SLURM_ARRAY_TASK_ID:?not an array task: submit with sbatch --array=1-$SHARDS}
THREADS=${SLURM_CPUS_PER_TASK:-}                      # empty: every core sim can see

mkdir -p "$OUT"
exec "$SIM" sweep "$SCENARIO" --shard "$TASK/$SHARDS" ${FLOWS:+--flows "$FLOWS"} \
  ${THREADS:+--threads "$THREADS"} -o "$OUT/part-$TASK.csv" --quiet
