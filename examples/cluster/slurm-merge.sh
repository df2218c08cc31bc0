#!/usr/bin/env bash
# Merges the parts slurm-array.sh wrote into OUT/sweep.csv: byte for byte what the unsharded
# `sim sweep` writes. slurm-submit.sh queues it to start once every array task succeeded.
#SBATCH --job-name=sim-merge
#SBATCH --time=00:10:00
#SBATCH --output=sim-merge-%j.out
set -euo pipefail

SIM=${SIM:-sim}
OUT=${OUT:-parts}

exec "$SIM" merge "$OUT"/part-*.csv -o "$OUT/sweep.csv"
