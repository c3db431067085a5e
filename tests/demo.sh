#!/bin/sh
# README command (1): install what is needed, build berth, and run a demo container from busybox-static.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh
sh tests/build.sh build
bundle=$(mktemp -d /tmp/berth-demo.XXXXXX)
root=$(mktemp -d /tmp/berth-demo-root.XXXXXX)
trap 'rm -rf "$bundle" "$root"' EXIT
chmod 755 "$bundle"
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/dev" "$bundle/rootfs/sys"
cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
"$bundle/rootfs/bin/busybox" --list | while read -r applet; do
  [ "$applet" = busybox ] || ln -s busybox "$bundle/rootfs/bin/$applet"
done
./build/berth --version
./build/berth spec --bundle "$bundle"
# Non-interactive, and a command whose output only a container would give.
jq '.process.terminal = false | .hostname = "berth-demo" | .process.args = ["sh", "-c",
  "echo \"hostname: $(hostname)\"; echo \"my pid: $$\"; echo \"processes:\"; ps -o pid,comm; echo \"mounts:\"; cat /proc/mounts"]' \
  "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"
echo "== berth run demo"
./build/berth --root "$root" run --bundle "$bundle" demo
