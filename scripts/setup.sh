#!/usr/bin/env bash
# Sets up a fresh Debian machine for HPC Studio: system packages, npm packages, build.
#   scripts/setup.sh          for the app and the CLI
#   scripts/setup.sh --test   also what the test suite needs (Chromium; TensorBoard in a virtualenv,
#                             .cache/tensorboard-venv), without building (npm test builds)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt-packages.sh

# gcc and OpenBLAS: the trainer's native CPU kernels (scripts/build-native.sh, run by npm run build).
packages=(dataset-fashion-mnist gcc libc6-dev libopenblas-dev)
build=1
tests=0
if [[ "${1:-}" == "--test" ]]; then
  # openssh-server: the peers-over-SSH tests run a real sshd on loopback (tests/support/sshd-server.ts);
  # iproute2 and procps: simulated nodes in network namespaces behind shaped veths (ip, tc), and pkill.
  # slurmctld, slurmd, slurm-client and munge: the cluster tests run a real Slurm 22.05 in a temp
  # folder, with one node or two in network namespaces on a bridge (tests/support/slurm-cluster.ts).
  packages+=(chromium openssh-server iproute2 procps slurmctld slurmd slurm-client munge)
  build=0
  tests=1
  # The TensorBoard export is checked by reading it back with the real `tensorboard` package.
  python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
fi

install_missing_packages setup "${packages[@]}"

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
