#!/usr/bin/env bash
# install the build tree into a temporary prefix, build the consumer against it, run it
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d /tmp/voxflow-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
"$tmp/prefix/bin/voxflow" version
cmake -S "$src" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
out=$("$tmp/consumer/consumer")
echo "$out"
[ "$out" = "voxflow $("$tmp/prefix/bin/voxflow" version | cut -d' ' -f2) slab z0=5 nz=4" ]
