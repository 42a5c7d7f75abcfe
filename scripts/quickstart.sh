#!/usr/bin/env bash
# Quick start: installs what collector-mesh needs (nats-server where missing, the npm dependencies),
# builds it and runs the demo. Extra arguments go to the demo, e.g. `--tasks 1000` or `--no-kill`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "collector-mesh needs Node.js 20 or later on the PATH (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

if ! command -v nats-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "nats-server is missing: installing Debian's package"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q nats-server
  elif command -v brew >/dev/null 2>&1; then
    echo "nats-server is missing: installing it with Homebrew"
    brew install nats-server
  else
    echo "nats-server is missing: install it (https://docs.nats.io/running-a-nats-service/introduction/installation) and run this again" >&2
    exit 1
  fi
fi
nats-server --version

npm ci --no-audit --no-fund
npm run build
exec node dist/src/cli/main.js demo "$@"
