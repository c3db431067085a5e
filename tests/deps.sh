#!/bin/sh
# Install what berth needs to build and to run its tests, on Debian 12, as root.
set -eu
packages="meson ninja-build pkg-config gcc clang libclang-rt-14-dev
  libseccomp-dev libcap-dev libyajl-dev libmnl-dev libcriterion-dev
  python3 python3-pytest busybox-static runc jq git iproute2 util-linux strace procps containerd"
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
