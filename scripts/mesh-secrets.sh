#!/usr/bin/env bash
# Generates the NATS identities of docker-compose.yml into deploy/secrets/ (ignored by git):
# one nkey per service (coordinator coord-1; collectors procmond-1, procmond-2, netmond-1,
# fsmond-1), an operator `ops` and a publisher `app` for use from the host, and the server's
# permissions in deploy/secrets/server.conf, which deploy/nats-server-secured.conf includes.
#
#   scripts/mesh-secrets.sh [dir]      # default deploy/secrets; refuses to overwrite an existing one
#
# Then: docker compose up --build, and from the host e.g.
#   collector-mesh status --nkey deploy/secrets/nkeys/operator-ops.nk
# The seeds are 0600 and yours; the image runs as uid 1000 (node): if you are another user,
# `sudo chown -R 1000 deploy/secrets/nkeys` so that the containers can read them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-$root/deploy/secrets}"
cli=(node --import tsx "$root/src/cli/main.ts")
if [ -f "$root/dist/src/cli/main.js" ]; then cli=(node "$root/dist/src/cli/main.js"); fi

"${cli[@]}" auth init --dir "$dir" --server-dir /etc/nats/secrets
"${cli[@]}" auth add-coordinator coord-1 --dir "$dir"
"${cli[@]}" auth add-collector procmond-1 --type procmond --dir "$dir"
"${cli[@]}" auth add-collector procmond-2 --type procmond --dir "$dir"
"${cli[@]}" auth add-collector netmond-1 --type netmond --dir "$dir"
"${cli[@]}" auth add-collector fsmond-1 --type fsmond --dir "$dir"
"${cli[@]}" auth add-operator ops --dir "$dir"
"${cli[@]}" auth add-publisher app --dir "$dir"
if [ "$(id -u)" != "1000" ]; then
  echo "note: the containers run as uid 1000; run: sudo chown -R 1000 $dir/nkeys" >&2
fi
