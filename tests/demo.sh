#!/bin/sh
# README command (1): install what is needed, build berth, and show it working on a busybox bundle.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh
sh tests/build.sh build
bundle=$(mktemp -d /tmp/berth-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in sh hostname cat ls; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
./build/berth --version
./build/berth spec --bundle "$bundle"
echo "== config.json written by 'berth spec' (runtime-spec $(./build/berth --version | sed -n 's/^spec: //p')):"
sed -n '1,12p' "$bundle/config.json"
echo "== 'berth features':"
./build/berth features
