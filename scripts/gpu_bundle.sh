#!/usr/bin/env bash
# Prepares .gpu/ for a GPU machine that cannot build evalbench itself (no
# Debian -dev packages, no network): the release binaries built here, the
# shared libraries they need beyond the C runtime, and the datasets the
# end-to-end check reads.  scripts/gpu_check.sh uses .gpu/ when present.
#   scripts/gpu_bundle.sh [DATA_DIR]      (default ../shared/data)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data}"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
rm -rf .gpu && mkdir -p .gpu/bin .gpu/lib .gpu/data
bins=(build/harness/evalbench build/tests/gemma4/test_g4_cuda build/bench/gpu_engine/bench_gpu_engine)
cp "${bins[@]}" .gpu/bin/ && strip .gpu/bin/*
# every library but the C runtime itself, which the target has in a newer version
for b in "${bins[@]}"; do ldd "$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libstdc\+\+|libgcc_s)\.so' |
  while read -r lib; do cp -L "$lib" .gpu/lib/; done
# the datasets, but MMLU-Pro (not used by the checks)
(cd "$data" && tar cf - --exclude=mmlu_pro --exclude=mmlu/raw .) | (cd .gpu/data && tar xf -)
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
du -sh .gpu
