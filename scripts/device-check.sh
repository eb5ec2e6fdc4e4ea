#!/usr/bin/env bash
# device-check: remat's GPU checks for a lent CUDA device, in one run.
#
# remat builds where Debian's LLVM/MLIR 22 is; the GPU machine has the
# driver, cuBLAS and PyTorch but no MLIR. So the executables are built here
# and carried there:
#
#   scripts/device-check.sh --prepare [DIR]    here, after scripts/build
#       scripts/gpu-check --prepare (the examples unplanned and planned, with
#       the CPU's results as numeric reference) and bench/gpu/run.py --prepare
#       (the exported fixtures: cuBLAS, loops only, planned), packed into
#       DIR/bundle.tar.xz (default DIR build/device-check; 3.6 MB: the
#       executables' GPU binaries compress well, and the device tool carries
#       at most 64 MiB with the working tree).
#   scripts/device-check.sh [DIR]              on the GPU machine
#       unpacks the bundle, finds libcublas.so.13 (the toolkit's, else
#       PyTorch's wheels'), runs
#       scripts/gpu-check (device peak = predicted, planned bitwise the
#       unplanned, GPU results against the CPU's) and bench/gpu/run.py (step
#       time against PyTorch eager on CUDA); writes the tables and JSON to
#       $OUT (else DIR/out). Exit status 1 when a check fails.
#
# With the device tool (docs/lowering.md, "Device figures"):
#   run(command="scripts/device-check.sh", carry=["build/device-check"], timeout_s=540)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = --prepare ]; then
  dir=${2:-$root/build/device-check}
  work=$(mktemp -d)
  start=$SECONDS
  python3 "$root/scripts/gpu-check" --prepare "$work/examples"
  python3 "$root/bench/gpu/run.py" --prepare "$work/steps"
  rm -rf "$dir"
  mkdir -p "$dir"
  python3 -c 'import sys, tarfile
with tarfile.open(sys.argv[1], "w:xz") as bundle:
    for name in ("examples", "steps"):
        bundle.add(sys.argv[2] + "/" + name, arcname=name)' "$dir/bundle.tar.xz" "$work"
  rm -rf "$work"
  echo "device-check: prepared in $((SECONDS - start)) s: $(du -h "$dir/bundle.tar.xz" | cut -f1) in $dir/bundle.tar.xz"
  exit 0
fi

dir=${1:-$root/build/device-check}
out=${OUT:-$dir/out}
mkdir -p "$out"
work=$(mktemp -d)
python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
  "$dir/bundle.tar.xz" "$work"
cublas=$(python3 - <<'PY'
import glob, os, site
found = glob.glob('/usr/local/cuda*/lib64/libcublas.so.13') + \
    glob.glob('/usr/local/cuda*/targets/*/lib/libcublas.so.13')
for packages in site.getsitepackages() + [site.getusersitepackages()]:
    found += glob.glob(os.path.join(packages, 'nvidia', '**', 'libcublas.so.13'),
                       recursive=True)
print(os.path.dirname(found[0]) if found else '')
PY
)
if [ -n "$cublas" ]; then
  export LD_LIBRARY_PATH=$cublas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
fi
echo "device-check: libcublas.so.13 from ${cublas:-the default search path}"
nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader || true

status=0
python3 "$root/scripts/gpu-check" "$work/examples" --repeat 20 2>&1 |
  tee "$out/gpu-check.txt" || status=1
PYTHONUNBUFFERED=1 python3 "$root/bench/gpu/run.py" "$work/steps" --repeat 50 \
  --json "$out/gpu-steps.json" 2>&1 | tee "$out/gpu-steps.md" || status=1
echo "device-check: exit status $status"
exit $status
