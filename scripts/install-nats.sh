#!/usr/bin/env bash
# Installs the NATS programs that collector-mesh's tests, demo and tour use, where missing:
#   - nats-server from the distribution (Debian's 2.9.10, the oldest server we support) on the PATH;
#   - nats-server v2.15.2, the newest we support, built with `go install` into
#     .tools/nats-server-v2.15.2/nats-server;
#   - the nats CLI v0.5.0 (`go install`) into .tools/bin/nats.
# Prints the path of each. Safe to run again: what is present is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

# The pins (.ci/run sets them and says why; these defaults are the same).
NATS_SERVER_NEW_VERSION="${NATS_SERVER_NEW_VERSION:-v2.15.2}"
NATS_CLI_VERSION="${NATS_CLI_VERSION:-v0.5.0}"
TOOLS="$PWD/.tools"

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

if ! command -v nats-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "nats-server is missing: installing Debian's package"
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

go_install() { # <module@version> <GOBIN>
  if ! command -v go >/dev/null 2>&1; then
    echo "Go is needed to build $1 (https://go.dev/doc/install); install it and run this again" >&2
    exit 1
  fi
  echo "building $1 with go install"
  GOBIN="$2" GOFLAGS=-trimpath go install "$1"
}

new_server="$TOOLS/nats-server-$NATS_SERVER_NEW_VERSION/nats-server"
if [ ! -x "$new_server" ]; then
  go_install "github.com/nats-io/nats-server/v2@$NATS_SERVER_NEW_VERSION" "$(dirname "$new_server")"
fi

if ! command -v nats >/dev/null 2>&1 && [ ! -x "$TOOLS/bin/nats" ]; then
  go_install "github.com/nats-io/natscli/nats@$NATS_CLI_VERSION" "$TOOLS/bin"
fi
nats_cli="$(command -v nats 2>/dev/null || echo "$TOOLS/bin/nats")"

echo "nats-server (PATH):   $(command -v nats-server) $(nats-server --version)"
echo "nats-server (newest): $new_server $("$new_server" --version)"
echo "nats CLI:             $nats_cli $("$nats_cli" --version 2>&1)"
