#!/usr/bin/env bash
# Submits the sweep as a Slurm array of SHARDS tasks (slurm-array.sh) and the merge
# (slurm-merge.sh) with --dependency=afterok on the array: it runs once every task succeeded.
#   SIM=$PWD/target/release/sim SHARDS=16 bash examples/cluster/slurm-submit.sh
# SIM, SCENARIO, OUT and FLOWS reach the jobs through the environment (sbatch exports it all).
set -euo pipefail

export SHARDS=${SHARDS:-8}
here=$(dirname "$0")

array=$(sbatch --parsable --array="1-$SHARDS" "$here/slurm-array.sh")
array=${array%%;*} # --parsable prints JOBID or JOBID;CLUSTER
merge=$(sbatch --parsable --dependency="afterok:$array" "$here/slurm-merge.sh")
echo "array job $array ($SHARDS shards), merge job ${merge%%;*}"
