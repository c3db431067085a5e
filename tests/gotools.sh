#!/bin/sh
# The Go clients the client and CRI suites run, built from their Go modules (Go is for test tools only:
# berth itself needs none). Each lands in build/gotools/<module>-<version>/ and is built once per version;
# the module and build caches live under build/ too, so a second run costs nothing.
#   containerd v2.4.x: containerd, containerd-shim-runc-v2, ctr
#   runc v1.5.x with the seccomp build tag: the reference runtime in side-by-side tests and bench/
#   cri-tools v1.37.0: crictl, critest
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
CONTAINERD_VERSION=v2.4.2
RUNC_VERSION=v1.5.3
CRI_TOOLS_VERSION=v1.37.0
out="$top/build/gotools"
export GOMODCACHE="$top/build/gomod" GOCACHE="$top/build/gocache" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
  GOPROXY="${GOPROXY:-https://proxy.golang.org}" CGO_ENABLED=1 GO111MODULE=on
command -v go >/dev/null 2>&1 || { echo "gotools: go is not installed" >&2; exit 1; }

# source_of MODULE VERSION NAME: a writable copy of the module's source, the module as the main module so its own
# go.mod (replace directives included) decides the dependencies.
source_of() {
  dir=$(go mod download -json "$1@$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || { echo "gotools: $1@$2 could not be downloaded" >&2; exit 1; }
  src="$out/src/$3"
  rm -rf "$src" && mkdir -p "$out/src" && cp -r "$dir" "$src" && chmod -R u+w "$src"
  echo "$src"
}

dest="$out/containerd-$CONTAINERD_VERSION"
if [ ! -x "$dest/containerd-shim-runc-v2" ]; then
  src=$(source_of github.com/containerd/containerd/v2 "$CONTAINERD_VERSION" containerd)
  mkdir -p "$dest.tmp"
  (cd "$src" && go build -mod=mod -trimpath -o "$dest.tmp/" \
    -ldflags "-X github.com/containerd/containerd/v2/version.Version=$CONTAINERD_VERSION" \
    ./cmd/containerd ./cmd/ctr ./cmd/containerd-shim-runc-v2)
  rm -rf "$dest" "$src" && mv "$dest.tmp" "$dest"
fi

dest="$out/runc-$RUNC_VERSION"
if [ ! -x "$dest/runc" ]; then
  src=$(source_of github.com/opencontainers/runc "$RUNC_VERSION" runc)
  mkdir -p "$dest.tmp"
  (cd "$src" && go build -mod=mod -trimpath -tags seccomp -o "$dest.tmp/runc" \
    -ldflags "-X main.version=${RUNC_VERSION#v}" .)
  rm -rf "$dest" "$src" && mv "$dest.tmp" "$dest"
fi

dest="$out/cri-tools-$CRI_TOOLS_VERSION"
if [ ! -x "$dest/critest" ]; then
  src=$(source_of sigs.k8s.io/cri-tools "$CRI_TOOLS_VERSION" cri-tools)
  mkdir -p "$dest.tmp"
  (cd "$src" && go build -mod=mod -trimpath -o "$dest.tmp/crictl" \
    -ldflags "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION" ./cmd/crictl \
    && go test -c -mod=mod -trimpath -o "$dest.tmp/critest" \
    -ldflags "-X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION" ./cmd/critest)
  rm -rf "$dest" "$src" && mv "$dest.tmp" "$dest"
fi

echo "gotools: containerd $CONTAINERD_VERSION, runc $RUNC_VERSION, cri-tools $CRI_TOOLS_VERSION in $out"
