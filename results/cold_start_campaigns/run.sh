#!/usr/bin/env bash
# The cold-start campaigns of results/cold_start.md: mnist_1label_cpu.gin as it ships (SEMI, Random,
# warm-started cycles), a simulated oracle, L0 chosen by each initial_selection, seeds 0-4.
#   bash results/cold_start_campaigns/run.sh RUNS_ROOT [selection ...]
set -euo pipefail
root=${1:?runs root}; shift
selections=${*:-typiclust random}
export TFDS_DATA_DIR="${TFDS_DATA_DIR:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/tensorflow_datasets}"
for selection in $selections; do
  for seed in 0 1 2 3 4; do
    dir="$root/$selection-seed$seed"
    grep -qs '"finished": true' "$dir/state.json" && continue
    python -m tfal.main --gin_file=gin_configs/mnist_1label_cpu.gin \
      --gin_bindings="ActiveLearningLoop.seed = $seed" \
      --gin_bindings="ActiveLearningLoop.initial_selection = '$selection'" \
      --run_dir="$dir" > "$root/$selection-seed$seed.log" 2>&1
  done
done
