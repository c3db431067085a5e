#!/bin/sh
# Install what berth needs to build and to run its tests, on Debian 12, as root.
set -eu
packages="meson ninja-build pkg-config gcc clang libclang-rt-14-dev
  libseccomp-dev libcap-dev libyajl-dev libmnl-dev libcriterion-dev libsystemd-dev
  python3 python3-pytest python3-jsonschema busybox-static runc jq git iproute2 util-linux uidmap passwd strace procps containerd
  podman conmon catatonit netavark aardvark-dns criu skopeo containernetworking-plugins iptables scdoc debhelper dpkg-dev fakeroot bash-completion qemu-system-x86
  ibverbs-utils ibverbs-providers nftables"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
fi

# dockerd for the client suite, unpacked from Debian's docker.io rather than installed: installing it
# would start a host-wide daemon. tests/clients runs a private one from these files.
docker_dir="$(dirname "$0")/../build/docker.io"
if [ ! -x "$docker_dir/usr/sbin/dockerd" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq docker.io 2>/dev/null || { apt-get update -qq && apt-get download -qq docker.io; }) \
    && mkdir -p "$docker_dir" && dpkg-deb -x "$tmp"/docker.io_*.deb "$docker_dir" \
    || { echo "deps: docker.io could not be fetched" >&2; [ "${CI:-}" != true ] || exit 1; }
  rm -rf "$tmp"
fi

# The registry tests/cri pulls its images from, unpacked from Debian's docker-registry for the same reason:
# installing it would start a host-wide registry on port 5000. tests/cri runs one in its own netns.
registry_dir="$(dirname "$0")/../build/docker-registry"
if [ ! -x "$registry_dir/usr/bin/docker-registry" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download -qq docker-registry 2>/dev/null || { apt-get update -qq && apt-get download -qq docker-registry; }) \
    && mkdir -p "$registry_dir" && dpkg-deb -x "$tmp"/docker-registry_*.deb "$registry_dir" \
    || { echo "deps: docker-registry could not be fetched" >&2; [ "${CI:-}" != true ] || exit 1; }
  rm -rf "$tmp"
fi

# The runtime-spec's JSON schemas (v1.3.0, the version berth implements), from the Go module proxy:
# test_schema.py validates berth's config, state and features output against them.
spec_dir="$(dirname "$0")/../build/gomod/github.com/opencontainers/runtime-spec@v1.3.0/schema"
if [ ! -f "$spec_dir/config-schema.json" ]; then
  command -v go >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends golang-go; }
  GOMODCACHE="$(cd "$(dirname "$0")/.." && pwd)/build/gomod" GOFLAGS=-modcacherw GOTOOLCHAIN=local \
    go mod download github.com/opencontainers/runtime-spec@v1.3.0 \
    || { echo "deps: the runtime-spec schemas could not be fetched" >&2; [ "${CI:-}" != true ] || exit 1; }
fi
