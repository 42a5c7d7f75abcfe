#!/usr/bin/env bash
# Quick start: installs what collector-mesh needs (nats-server, the newest nats-server and the nats
# CLI where missing, see scripts/install-nats.sh; the npm dependencies),
# builds it and runs the demo. Extra arguments go to the demo, e.g. `--tasks 1000` or `--no-kill`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "collector-mesh needs Node.js 20 or later on the PATH (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

bash scripts/install-nats.sh

npm ci --no-audit --no-fund
npm run build
exec node dist/src/cli/main.js demo "$@"
