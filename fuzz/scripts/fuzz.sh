#!/bin/sh
# One bounded fuzzing run of one target, from the repository root:
#     fuzz/scripts/fuzz.sh TARGET SECONDS
# The working corpus is fuzz/corpus/TARGET (git-ignored), seeded from fuzz/seeds/. One
# process, one job; rayon on one thread. libFuzzer's output goes to fuzz/logs/TARGET-*.log.
set -eu
target=$1
seconds=$2
case $target in
    shards_plot) seeds=shards ;;
    saved_run_plot) seeds=saved_run ;;
    *) seeds=$target ;;
esac
case $seeds in
    shards | saved_run) max_len=131072 ;;
    *) max_len=65536 ;;
esac
mkdir -p fuzz/corpus/$target fuzz/logs
log=fuzz/logs/$target-$(date +%Y%m%d-%H%M%S).log
RAYON_NUM_THREADS=1 cargo +nightly fuzz run -O -a -s none "$target" "fuzz/corpus/$target" "fuzz/seeds/$seeds" -- \
    -dict="fuzz/dicts/$seeds.dict" -timeout=1 -rss_limit_mb=2048 -max_len=$max_len \
    -max_total_time="$seconds" -print_final_stats=1 -jobs=1 -workers=1 >"$log" 2>&1 || true
# With -jobs, libFuzzer writes the job's output to fuzz-0.log in the working directory.
if [ -f fuzz-0.log ]; then cat fuzz-0.log >>"$log"; rm fuzz-0.log; fi
echo "$log"
grep -E "^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::average_exec_per_sec|panicked|ERROR|SUMMARY|Test unit written" "$log" | tail -8
