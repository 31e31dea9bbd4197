#!/usr/bin/env bash
# Builds HPC Studio's CPU training kernels (trainer/native/*.c) into
# build/native/hpc-kernels.node, an N-API addon linked against the system's OpenBLAS. Compiled for
# this machine's CPU (-march=native), so it is built where it runs: by scripts/setup.sh. The
# installers (`npm run dist`) build it --portable instead, for a baseline CPU of the architecture,
# so the addon they ship runs on other machines too.
# Where it cannot build, the trainer falls back to the wasm backend and says why.
#   scripts/build-native.sh [--optional] [--portable]
#     --optional: where it cannot build, say why and exit 0
#     --portable: x86-64-v2 (SSE4.2, 2009 on) on x86-64, the compiler's default elsewhere
set -euo pipefail
cd "$(dirname "$0")/.."
src=(trainer/native/*.c)
out=build/native/hpc-kernels.node
optional=0
march=-march=native
for arg in "$@"; do
  case $arg in
    --optional) optional=1 ;;
    --portable)
      case "$(uname -m)" in
        x86_64 | amd64) march=-march=x86-64-v2 ;;
        *) march= ;;
      esac
      ;;
    *)
      echo "build-native: unknown option $arg (accepted: --optional, --portable)" >&2
      exit 2
      ;;
  esac
done

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
# -Wno-psabi: below AVX-512 GCC warns that the kernels' 16-float vectors are passed differently, which
# matters only between separately compiled callers; the kernels pass them only to their own inline helpers.
cc -std=c11 -O3 ${march:+"$march"} -Wno-psabi -fno-math-errno -fPIC -shared -pthread -Wall -Wextra -Werror -I"$node_include" \
  "${src[@]}" -o "$out.tmp" -lopenblas -lm || give_up "compiling ${src[*]} failed"
mv "$out.tmp" "$out"
echo "build-native: built $out (${march:-default target})" >&2
