#!/bin/sh
# Issue 11's GPU run, as one command on a lent device machine (docs/compile.md §6). Here, first:
#   .venv/bin/python scripts/device_weights.py pack .dev/w16 gmfss_union   # float16 copies, 37.7 MB
#   python3 -m pip download ... -d .whl VapourSynth==81                     # README of the device tool
# then run(command="sh scripts/gpu_check.sh", carry=[".whl", ".dev/w16"], timeout_s=590).
# Each stage has its own time limit, so a slow one cannot starve the rest. Into $OUT:
#   gpu.txt      GPU, driver, versions, and each stage's exit status and elapsed seconds
#   speed.jsonl  benchmarks/speed.py rows: RIFE and GMFSS-union, every mode, eager, 1080p;
#                RIFE plain and forward, GMFSS-union plain again with NCHW weights ("layout";
#                channels_last is CUDA's default);
#                RIFE plain, forward and drba in batches of 4 ("batch", "mean_batch");
#                RIFE forward at 4K; RIFE plain eager then compiled (VSAFI_COMPILE_MODE)
#   precision.jsonl  benchmarks/precision.py: fp16 against fp32 frames, PSNR (issue 11: >= 60 dB)
#   profile.txt  benchmarks/host_profile.py: where RIFE plain's wall time goes (forward's waits:
#                benchmarks/model_pacing.py on the CPU)
#   tests.log    seek == playback on CUDA (every model × mode, compiled RIFE, batched RIFE), the
#                Triton splat
#   stderr.log   the benchmarks' stderr
# Rehearsed on the CPU in a throw-away clone (restore rewrites weights/manifest.json):
#   PY=.venv/bin/python GPU_CHECK_DEVICE=cpu GPU_CHECK_SIZE=128x64 GPU_CHECK_4K=256x128 GPU_CHECK_FRAMES=6 sh scripts/gpu_check.sh
set -u
PY=${PY:-python3}
OUT=${OUT:-/tmp/gpu_check}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
SIZE=${GPU_CHECK_SIZE:-1920x1080}
SIZE4K=${GPU_CHECK_4K:-3840x2160}
FRAMES=${GPU_CHECK_FRAMES:-120}
W16=${GPU_CHECK_WEIGHTS16:-.dev/w16}
mkdir -p "$OUT"
if ! "$PY" -c "import vapoursynth" 2>/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/vapoursynth-*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export VSAFI_COMPILE_CACHE="${VSAFI_COMPILE_CACHE:-/tmp/vsafi-compiled}"
export VSAFI_COMPILE_MODE="${VSAFI_COMPILE_MODE:-default}"
start=$(date +%s)
log() { echo "$1: exit $2 at $(( $(date +%s) - start )) s" >> "$OUT/gpu.txt"; }
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  "$PY" -c "import torch, triton, vapoursynth as vs; print('torch', torch.__version__, 'triton', triton.__version__, 'vs', vs.__version__, 'cudnn', torch.backends.cudnn.version())"
  echo "inductor mode: $VSAFI_COMPILE_MODE"; } > "$OUT/gpu.txt" 2>&1
if [ -d "$W16" ]; then
    "$PY" scripts/device_weights.py restore "$W16" >> "$OUT/gpu.txt" 2>&1
    log "weights restored from float16 copies" $?
fi
speed() {  # limit_s, then speed.py's arguments
    limit=$1; shift
    timeout "$limit" "$PY" benchmarks/speed.py --device "$DEVICE" --json "$@" >> "$OUT/speed.jsonl" 2>> "$OUT/stderr.log"
    log "speed $*" $?
}
speed 60 --size "$SIZE" --frames "$FRAMES" --models rife
speed 90 --size "$SIZE" --frames "$FRAMES" --models gmfss_union
(export VSAFI_CHANNELS_LAST=0
 speed 35 --size "$SIZE" --frames "$FRAMES" --models rife --modes plain,forward
 speed 30 --size "$SIZE" --frames 60 --models gmfss_union --modes plain)
timeout 20 "$PY" benchmarks/host_profile.py --size "$SIZE" --frames "$FRAMES" --mode plain --device "$DEVICE" \
    >> "$OUT/profile.txt" 2>> "$OUT/stderr.log"
log "host profile rife plain" $?
speed 40 --size "$SIZE" --frames "$FRAMES" --models rife --modes plain,forward,drba --batch 4
precision() {  # limit_s, then precision.py's arguments
    limit=$1; shift
    timeout "$limit" "$PY" benchmarks/precision.py --device "$DEVICE" --size "$SIZE" --outputs 8 "$@" \
        >> "$OUT/precision.jsonl" 2>> "$OUT/stderr.log"
    log "precision $*" $?
}
precision 15 --models rife
precision 15 --models gmfss_union --modes plain,drba
# Compiled and batched RIFE first: speed.py checks seeking for every eager model x mode already.
timeout 130 "$PY" -m pytest -q -p no:cacheprovider tests/test_seek_cuda.py::test_seek_equals_playback_on_cuda_with_compiled_rife \
    tests/test_seek_cuda.py::test_seek_equals_playback_on_cuda_in_batches tests/test_splat_triton.py tests/test_seek_cuda.py::test_seek_equals_playback_on_cuda > "$OUT/tests.log" 2>&1
log "tests" $?
speed 40 --size "$SIZE4K" --frames 48 --models rife --modes forward
speed 105 --size "$SIZE" --frames "$FRAMES" --models rife --modes plain --compile off,wait
cat "$OUT/gpu.txt" "$OUT/speed.jsonl" "$OUT/precision.jsonl"
