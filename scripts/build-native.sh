#!/usr/bin/env bash
# Builds HPC Studio's CPU training kernels (trainer/native/*.c) into
# build/native/hpc-kernels.node, an N-API addon linked against the system's OpenBLAS. Compiled for
# this machine's CPU (-march=native), so it is built where it runs: by scripts/setup.sh, not shipped.
# Where it cannot build, the trainer falls back to the wasm backend and says why.
#   scripts/build-native.sh [--optional]   --optional: where it cannot build, say why and exit 0
set -euo pipefail
cd "$(dirname "$0")/.."
src=(trainer/native/*.c)
out=build/native/hpc-kernels.node
optional=0
[[ "${1:-}" == "--optional" ]] && optional=1

give_up() {
  echo "build-native: $1" >&2
  if ((optional)); then
    echo "build-native: skipped; the trainer will use the wasm backend and say why" >&2
    exit 0
  fi
  exit 1
}

node_include="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")/include/node"
[[ -f $node_include/node_api.h ]] || give_up "no Node-API headers at $node_include (Debian: apt-get install libnode-dev)"
command -v cc >/dev/null || give_up "no C compiler (Debian: apt-get install gcc)"
[[ -f /usr/include/cblas.h || -f /usr/include/$(gcc -print-multiarch 2>/dev/null)/cblas.h ]] ||
  give_up "no OpenBLAS headers (Debian: apt-get install libopenblas-dev)"
mkdir -p "$(dirname "$out")"
cc -std=c11 -O3 -march=native -fno-math-errno -fPIC -shared -pthread -Wall -Wextra -Werror -I"$node_include" \
  "${src[@]}" -o "$out.tmp" -lopenblas -lm || give_up "compiling ${src[*]} failed"
mv "$out.tmp" "$out"
echo "build-native: built $out" >&2
