#!/usr/bin/env bash
# The GPU check, run on a machine with an NVIDIA GPU: the GPU tests (ctest
# label "gpu"), fidelity against transformers on real-shape slices of the
# four Gemma 4 sizes, an end-to-end evalbench run on the GPU, and the
# benchmark.  Prints a short table of each part last.
#
#   scripts/gpu_check.sh [--sanitize] [--profile] [--no-fidelity] [--no-bench] [--no-e2e]
#                        [--variants e2b,e4b,26b-a4b,31b] [--quants fp8,int8,w8a16,w4a16]
#                        [--batches 1,32,128] [--out DIR]
#
# --quants benchmarks each listed quantization of every variant after the
# bf16 benchmark (or alone with --no-bench).
#
# Binaries: .gpu/ from scripts/gpu_bundle.sh when present (for machines that
# cannot build evalbench), else a fresh build in build-gpu/.
set -uo pipefail
cd "$(dirname "$0")/.."
sanitize=0 fidelity=1 bench=1 e2e=1 profile=0 variants=e2b,e4b,26b-a4b,31b out="${OUT:-/tmp/gpu_check}"
quants="" batches=1,32,128
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --no-fidelity) fidelity=0 ;;
    --no-bench) bench=0 ;;
    --no-e2e) e2e=0 ;;
    --profile) profile=1 ;;
    --variants) variants="$2"; shift ;;
    --quants) quants="$2"; shift ;;
    --batches) batches="$2"; shift ;;
    --out) out="$2"; shift ;;
    *) echo "gpu_check: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
export PYTHONUNBUFFERED=1
if [ -x .gpu/bin/evalbench ]; then
  bin=.gpu/bin
  export LD_LIBRARY_PATH="$PWD/.gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  data=.gpu/data
else
  cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build-gpu -j"$(nproc)" >/dev/null || exit 1
  mkdir -p build-gpu/bin
  cp build-gpu/harness/evalbench build-gpu/tests/gemma4/test_g4_cuda build-gpu/bench/gpu_engine/bench_gpu_engine build-gpu/bin/
  bin=build-gpu/bin
  data="${EVALBENCH_DATA:-../shared/data}"
fi
gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader)
echo "$gpu"
declare -a summary
status=0
step() { # name, command...
  local name="$1"; shift
  local t0=$SECONDS
  echo "== $name"
  if "$@" 2>&1 | tee "$out/$name.log"; then rc=0; else rc=1; fi
  [ "${PIPESTATUS[0]}" -ne 0 ] && rc=1
  summary+=("$(printf '%-14s %-4s %4ds' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAIL)" $((SECONDS - t0)))")
  [ $rc -eq 0 ] || status=1
}

step gpu-tests "$bin/test_g4_cuda"
if [ $sanitize -eq 1 ]; then
  step memcheck compute-sanitizer --tool memcheck --error-exitcode 9 "$bin/test_g4_cuda"
fi
if [ $fidelity -eq 1 ]; then
  fid_args=(--evalbench "$bin/evalbench" --workdir /dev/shm/evalbench-fidelity --variants "${variants//26b-a4b/26b}" --out "$out/fidelity.json" --cleanup)
  [ $bench -eq 1 ] && fid_args+=(--bench)
  step fidelity python3 scripts/gpu_fidelity.py "${fid_args[@]}"
  rm -rf /dev/shm/evalbench-fidelity
fi
if [ $bench -eq 1 ]; then
  step bench "$bin/bench_gpu_engine" --variants "$variants" --batches "$batches" --workdir /tmp/evalbench-bench
  rm -rf /tmp/evalbench-bench
fi
for q in ${quants//,/ }; do
  step "bench-$q" "$bin/bench_gpu_engine" --variants "$variants" --batches "$batches" --quant "$q" \
    --workdir /tmp/evalbench-bench
  rm -rf /tmp/evalbench-bench
done
if [ $e2e -eq 1 ]; then
  e2e_db=/tmp/evalbench-e2e.db  # not under $out: only logs come back
  rm -f "$e2e_db"*
  step e2e-run "$bin/evalbench" run --engine local --device cuda --model-path tests/fixtures/gemma4/dense \
    --suite mmlu,humaneval,math,livecodebench --limit 20 --runs 1 --data "$data" --db "$e2e_db"
  step e2e-report "$bin/evalbench" report --db "$e2e_db"
  step e2e-run-w4a16 "$bin/evalbench" run --engine local --device cuda --quant w4a16 \
    --model-path tests/fixtures/gemma4/dense --suite mmlu,math --limit 10 --runs 1 --data "$data" --db "$e2e_db"
  step e2e-runs "$bin/evalbench" runs --db "$e2e_db"
fi
if [ $profile -eq 1 ]; then
  # device time per operation (each operation synchronous: not a timing run)
  step profile env EVALBENCH_CUDA_PROFILE=1 "$bin/bench_gpu_engine" --variants e4b --batches 32 --gen 16 \
    --prefill 16x1024 --workdir /tmp/evalbench-bench
  rm -rf /tmp/evalbench-bench
fi

echo
echo "== summary ($gpu)"
grep -h -E '^(dense|dense-mm|moe|ple) ' "$out/gpu-tests.log" 2>/dev/null | cut -c1-160 | head -80
grep -h -E 'passed, .* failed' "$out/gpu-tests.log" 2>/dev/null
[ -f "$out/fidelity.log" ] && sed -n '/^| variant/,$p' "$out/fidelity.log"
for f in "$out"/bench.log "$out"/bench-*.log; do
  [ -f "$f" ] && sed -n '/ weights$/,$p' "$f"
done
[ -f "$out/profile.log" ] && grep -A30 "cuda profile" "$out/profile.log"
grep -h "ERROR SUMMARY" "$out/memcheck.log" 2>/dev/null
printf '%s\n' "${summary[@]}"
exit $status
