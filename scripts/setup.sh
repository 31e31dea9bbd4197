#!/usr/bin/env bash
# Sets up a fresh Debian machine for HPC Studio: system packages, npm packages, build.
#   scripts/setup.sh          for the app and the CLI
#   scripts/setup.sh --test   also what the test suite needs (Chromium; TensorBoard in a virtualenv,
#                             .cache/tensorboard-venv), without building (npm test builds)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(dataset-fashion-mnist)
build=1
tests=0
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium)
  build=0
  tests=1
  # The TensorBoard export is checked by reading it back with the real `tensorboard` package.
  python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "setup: installing ${missing[*]} with apt-get" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "setup: npm ci" >&2
# The native TensorFlow backends are optional: where their libtensorflow download fails, npm drops them.
npm ci --no-audit --no-fund --loglevel=error
if ((tests)); then
  venv=.cache/tensorboard-venv
  if ! "$venv/bin/python" -c 'import tensorboard' 2>/dev/null; then
    echo "setup: TensorBoard into $venv (pip)" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check tensorboard
  fi
fi
if ((build)); then
  echo "setup: building" >&2
  npm run build --silent
fi
