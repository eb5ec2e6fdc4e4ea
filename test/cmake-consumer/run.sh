#!/bin/sh
# Installs remat's build tree into a prefix inside it, then configures,
# builds and runs test/cmake-consumer against that prefix alone.
# Usage: run.sh BUILD_DIR SOURCE_DIR CMAKE
set -eu
build=$1 src=$2 cmake=$3
work=$build/test/cmake-consumer
rm -rf "$work"
"$cmake" --install "$build" --prefix "$work/prefix" > /dev/null
"$cmake" -S "$src/test/cmake-consumer" -B "$work/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" > /dev/null
"$cmake" --build "$work/build"
out=$("$work/build/remat-consumer" "$src/examples/mlp.mlir")
echo "$out"
echo "$out" | grep -q '^remat.recompute regions: [1-9]'
echo "$out" | grep -q '^remat-pipeline-cpu passes: [1-9]'
