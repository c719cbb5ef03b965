#!/usr/bin/env bash
# Builds the test bed's Go binaries from the wrapper modules beside this script.
# Binaries are cached outside the repository, keyed by version, and reused when present.
# Usage: build-go.sh [kubernetes|etcd|kwok|istio|istio-crds|kwok-stages|gateway-api-crds|all]   (prints the directory of each part)
#        build-go.sh [flagger|flagger-crds]   (not in `all`: built on first use by the Flagger interop test)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${CANARY_BOT_CACHE:-$HOME/.cache/canary-bot}"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

# One build at a time per cache: a second bed starting while the first builds waits for it and then finds
# the binaries done, instead of compiling the same modules again beside it (and writing the same files).
mkdir -p "$cache"
exec 9>"$cache/.build-go.lock"
if ! flock -n 9; then
  echo "another build of the bed's Go binaries is running; waiting for it (cache $cache)" >&2
  flock 9
fi

k8s_version=v1.36.3
etcd_version=v3.6.16
kwok_version=v0.8.0
istio_api_version=v1.31.1
flagger_version=v1.44.0
gateway_api_version=v1.6.3
# istio.io/istio tags releases without a leading v, so the module proxy serves only pseudo-versions of it:
# this one is a commit on the release-1.31 branch after 1.31.0-rc.0.
istio_module_version=v0.0.0-20260827124520-eed52ebb66ad
istio_version=1.31-eed52ebb66ad

# One clear line when the pinned Istio module can no longer be had, instead of pages of go output.
check_istio_module() {
  if ! (cd "$here/go/istio" && go mod download istio.io/istio >/dev/null 2>&1); then
    echo "the pinned Istio module istio.io/istio@$istio_module_version is not served by the Go module proxy (GOPROXY=$(go env GOPROXY)); pilot-discovery cannot be built" >&2
    exit 3
  fi
}

build() { # name version module-dir ldflags packages...
  local name=$1 version=$2 dir=$3 ldflags=$4; shift 4
  local out="$cache/bin/$name-$version"
  if [ -f "$out/.complete" ]; then echo "$out"; return; fi
  mkdir -p "$out"
  echo "building $name $version into $out (first time only; cached afterwards)" >&2
  (cd "$here/go/$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/" "$@") >&2
  touch "$out/.complete"
  echo "$out"
}

k8s_ldflags() {
  local v=$k8s_version minor; minor=$(echo "$v" | cut -d. -f2)
  local f=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f="$f -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z"
  done
  echo "$f"
}

module_files() { # name version module files...: copies files of a Go module into the cache (a file may be a glob)
  local name=$1 version=$2 module=$3; shift 3
  local out="$cache/$name-$version"
  if [ -f "$out/.complete" ]; then echo "$out"; return; fi
  mkdir -p "$out"
  local dir; dir=$(cd "$here/go/kwok" && go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  local file match
  for file in "$@"; do for match in "$dir"/$file; do cp "$match" "$out/"; done; done
  chmod u+w "$out"/*
  touch "$out/.complete"
  echo "$out"
}

part=${1:-all}
case "$part" in
  kubernetes|all) build kubernetes "$k8s_version" kubernetes "$(k8s_ldflags)" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler ;;&
  etcd|all) build etcd "$etcd_version" etcd "" . ;;&
  kwok|all) build kwok "$kwok_version" kwok "" sigs.k8s.io/kwok/cmd/kwok ;;&
  istio-crds|all) module_files istio-crds "$istio_api_version" istio.io/api kubernetes/customresourcedefinitions.gen.yaml ;;&
  kwok-stages|all) module_files kwok-stages "$kwok_version" sigs.k8s.io/kwok kustomize/stage/node/fast/node-initialize.yaml \
    kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml kustomize/stage/pod/fast/pod-ready.yaml \
    kustomize/stage/pod/fast/pod-complete.yaml kustomize/stage/pod/fast/pod-delete.yaml ;;&
  # pilot-discovery (the webhook) and istio-oracle (validation and route generation) in one go build: one cache.
  # The key also hashes the wrapper module, so a changed istio-oracle is rebuilt, not taken from the cache.
  istio|all) key="$istio_version-$(cd "$here/go/istio" && cat go.mod go.sum istio-oracle/*.go | sha256sum | cut -c1-8)"
    [ -f "$cache/bin/istio-$key/.complete" ] || check_istio_module
    build istio "$key" istio "-X istio.io/istio/pkg/version.buildVersion=$istio_version" \
    istio.io/istio/pilot/cmd/pilot-discovery ./istio-oracle ;;&
  # Gateway API's standard channel: the whole directory; the bed applies its CRDs (HTTPRoute and the rest).
  gateway-api-crds|all) module_files gateway-api-crds "$gateway_api_version" sigs.k8s.io/gateway-api \
    'config/crd/standard/*.yaml' ;;&
  # Flagger's own version.VERSION is already 1.44.0 in that release; REVISION is stamped so logs name it.
  flagger) build flagger "$flagger_version" flagger "-X github.com/fluxcd/flagger/pkg/version.REVISION=$flagger_version" \
    github.com/fluxcd/flagger/cmd/flagger ;;
  flagger-crds) module_files flagger-crds "$flagger_version" github.com/fluxcd/flagger artifacts/flagger/crd.yaml ;;
  kubernetes|etcd|kwok|istio|istio-crds|kwok-stages|gateway-api-crds|all) ;;
  *) echo "unknown part: $part (kubernetes|etcd|kwok|istio|istio-crds|kwok-stages|gateway-api-crds|flagger|flagger-crds|all)" >&2; exit 2 ;;
esac
