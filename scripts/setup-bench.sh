#!/usr/bin/env bash
# Installs what `npm run bench:train` compares HPC Studio's trainer with (not needed by the app,
# the tests or CI):
#   - PyTorch 2.x CPU in a virtualenv, .cache/torch-venv (pip: torch, numpy)
#   - Debian's PyTorch 1.13 (python3-torch) for /usr/bin/python3, with Debian's pthreads OpenBLAS
# Safe to rerun: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt-packages.sh

packages=(python3-torch libopenblas0-pthread)
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
install_missing_packages setup-bench "${packages[@]}"

venv=.cache/torch-venv
if ! "$venv/bin/python" -c 'import torch, numpy' 2>/dev/null; then
  echo "setup-bench: torch and numpy into $venv (pip)" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check torch numpy
fi
echo "setup-bench: $("$venv/bin/python" -c 'import torch; print("torch", torch.__version__)') in $venv;" \
  "$(/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)') for /usr/bin/python3" >&2
