#!/usr/bin/env bash
# Installs what `npm run bench:train` compares HPC Studio's trainer with (not needed by the app,
# the tests or CI):
#   - PyTorch 2.x CPU in a virtualenv, .cache/torch-venv (pip: torch, numpy)
#   - Debian's PyTorch 1.13 (python3-torch) for /usr/bin/python3, with Debian's pthreads OpenBLAS
# Safe to rerun: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-torch libopenblas0-pthread)
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "setup-bench: installing ${missing[*]} with apt-get" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv=.cache/torch-venv
if ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null; then
  echo "setup-bench: torch and numpy into $venv (pip)" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check torch numpy
fi
echo "setup-bench: $("$venv/bin/python" -c 'import torch; print("torch", torch.__version__)') in $venv;" \
  "$(/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)') for /usr/bin/python3" >&2
