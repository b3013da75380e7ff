#!/bin/sh
# Issue 11's GPU run, as one command on a lent device machine (docs/compile.md §6), e.g.
#   run(command="sh scripts/gpu_check.sh", carry=[".whl", "weights/rife.pkl"], timeout_s=590)
# with the VapourSynth wheel in .whl/ (README of the device tool). Everything lands in $OUT:
#   gpu.txt           GPU, driver, torch / Triton / VapourSynth versions
#   tests.log         seek == playback on CUDA (eager, and compiled RIFE), the Triton splat
#   speed_eager.jsonl RIFE, every mode, eager, at 1080p
#   speed_compiled.jsonl RIFE plain, eager then compiled (inductor mode: VSAFI_COMPILE_MODE)
# Only RIFE: GMFSS's weights do not fit the 64 MiB a call carries. Rehearsed on the CPU with
#   PY=.venv/bin/python GPU_CHECK_DEVICE=cpu GPU_CHECK_SIZE=128x64 GPU_CHECK_FRAMES=6 sh scripts/gpu_check.sh
set -u
PY=${PY:-python3}
OUT=${OUT:-/tmp/gpu_check}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
SIZE=${GPU_CHECK_SIZE:-1920x1080}
FRAMES=${GPU_CHECK_FRAMES:-120}
mkdir -p "$OUT"
if ! "$PY" -c "import vapoursynth" 2>/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/vapoursynth-*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export VSAFI_COMPILE_CACHE="${VSAFI_COMPILE_CACHE:-/tmp/vsafi-compiled}"
export VSAFI_COMPILE_MODE="${VSAFI_COMPILE_MODE:-default}"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  "$PY" -c "import torch, triton, vapoursynth as vs; print('torch', torch.__version__, 'triton', triton.__version__, 'vs', vs.__version__)"
  echo "inductor mode: $VSAFI_COMPILE_MODE"; } > "$OUT/gpu.txt" 2>&1
start=$(date +%s)
"$PY" -m pytest -q -p no:cacheprovider tests/test_seek_cuda.py tests/test_splat_triton.py > "$OUT/tests.log" 2>&1
echo "tests: exit $? after $(( $(date +%s) - start )) s" >> "$OUT/gpu.txt"
"$PY" benchmarks/speed.py --size "$SIZE" --frames "$FRAMES" --device "$DEVICE" --models rife --json \
    > "$OUT/speed_eager.jsonl" 2> "$OUT/speed_eager.err"
echo "eager speed: exit $? after $(( $(date +%s) - start )) s" >> "$OUT/gpu.txt"
"$PY" benchmarks/speed.py --size "$SIZE" --frames "$FRAMES" --device "$DEVICE" --models rife --modes plain \
    --compile off,wait --json > "$OUT/speed_compiled.jsonl" 2> "$OUT/speed_compiled.err"
echo "compiled speed: exit $? after $(( $(date +%s) - start )) s" >> "$OUT/gpu.txt"
cat "$OUT/gpu.txt" "$OUT"/speed_*.jsonl
