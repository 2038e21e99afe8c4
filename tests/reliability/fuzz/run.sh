#!/usr/bin/env bash
# Runs the libFuzzer harness for a bounded time.
#   run.sh --bin FUZZER [--seeds DIR] [--time SECONDS] [--work DIR] [--jobs N]
#          [--replay INPUT [--runs N]] [-- LIBFUZZER_ARGS...]
# --replay runs one input N times (default 30: races need several tries)
# in the same sandbox, instead of fuzzing.
# As root, the run happens in a private mount namespace with 64 MiB tmpfs
# file systems on the work directory and on /dev/shm, so that huge sizes
# reach the core and come back as ENOSPC instead of filling the real disk
# or memory (MMKFUZZ_NO_SANDBOX=1 disables that). The corpus accumulates in
# WORK/corpus (seeded from --seeds, default tests/reliability/fuzz/seeds:
# fuzz_mt's are in seeds-mt); crashes land in
# WORK/artifacts. Exit status: libFuzzer's (0 = no invariant violated).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin= time=20 work= jobs=1 seeds=$here/seeds replay= runs=30
while (($#)); do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --replay) replay=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --time) time=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x $bin ]] || { echo "run.sh: fuzzer binary '$bin' missing (build the mmk_fuzz_api target)" >&2; exit 2; }
work=${work:-$(dirname "$bin")}
mkdir -p "$work/corpus" "$work/artifacts" "$work/scratch"
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allow_user_segv_handler=1:handle_sigbus=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
args=(-max_total_time="$time" -timeout=20 -rss_limit_mb=2560 -max_len=2048
      -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@" "$work/corpus")
if ((jobs > 1)); then args=(-jobs="$jobs" -workers="$jobs" "${args[@]}"); fi
if [[ -n $replay ]]; then args=(-runs="$runs" "$@" "$(cd "$(dirname "$replay")" && pwd)/$(basename "$replay")"); fi

if [[ ${MMKFUZZ_NO_SANDBOX:-0} != 1 && $(id -u) == 0 ]] && command -v unshare >/dev/null &&
   unshare -m true 2>/dev/null; then
  # The mounts exist only inside this namespace and vanish with it.
  exec unshare -m --propagation private bash -c '
    set -e
    mount -t tmpfs -o size=64m,mode=0700 tmpfs "$1/scratch"
    mount -t tmpfs -o size=64m tmpfs /dev/shm
    bin=$2; shift 2
    export MMKFUZZ_SANDBOX=1 MMKFUZZ_DIR="'"$work"'/scratch"
    exec "$bin" "$@"' _ "$work" "$bin" "${args[@]}"
fi
echo "run.sh: no private mount namespace (not root?): huge sizes are clamped" >&2
export MMKFUZZ_DIR=$work/scratch
exec "$bin" "${args[@]}"
