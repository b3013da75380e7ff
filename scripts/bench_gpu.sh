#!/bin/sh
# The GPU benchmark: `make bench-gpu`, on this machine's CUDA GPU (docs/compile.md §6).
# Plays RIFE and GMFSS-union at 1080p, 23.976 -> 59.94, fp16, through the benchmarks in
# benchmarks/, and writes into $BENCH_GPU_OUT (default: bench-gpu/):
#   gpu.txt          GPU, driver, library versions, and each stage's exit status and elapsed seconds
#   speed.jsonl      benchmarks/speed.py rows: RIFE and GMFSS-union, every mode, eager;
#                    RIFE plain and forward, GMFSS-union plain again with NCHW weights ("layout";
#                    channels_last is CUDA's default); RIFE plain, forward and drba in batches of
#                    4 ("passes", "mean_batch"); RIFE forward at 4K; RIFE plain eager, then
#                    compiled from an empty graph cache ("compile_s")
#   precision.jsonl  benchmarks/precision.py: fp16 against fp32 frames, PSNR (target: >= 60 dB)
#   profile.txt      benchmarks/host_profile.py: where RIFE plain's wall time goes
#   tests.log        seek == playback on CUDA (every model x mode, compiled RIFE, batched RIFE)
#                    and the Triton splat
#   stderr.log       the benchmarks' stderr
# Settings: PY (default .venv/bin/python), BENCH_GPU_SIZE (1920x1080), BENCH_GPU_4K (3840x2160),
# BENCH_GPU_FRAMES (120 outputs a row), VSAFI_COMPILE_MODE (default: inductor's "default").
set -u
PY=${PY:-.venv/bin/python}
OUT=${BENCH_GPU_OUT:-bench-gpu}
SIZE=${BENCH_GPU_SIZE:-1920x1080}
SIZE4K=${BENCH_GPU_4K:-3840x2160}
FRAMES=${BENCH_GPU_FRAMES:-120}
if ! "$PY" -c "import sys, torch; sys.exit(not torch.cuda.is_available())" 2>/dev/null; then
    echo "bench-gpu: no CUDA GPU available to $PY (torch.cuda.is_available() is False); this benchmark needs one" >&2
    exit 1
fi
mkdir -p "$OUT"
rm -f "$OUT/gpu.txt" "$OUT/speed.jsonl" "$OUT/precision.jsonl" "$OUT/profile.txt" "$OUT/tests.log" "$OUT/stderr.log"
CACHE=$(mktemp -d)
trap 'rm -rf "$CACHE"' EXIT
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export VSAFI_COMPILE_CACHE="$CACHE"  # empty, so compile_s is a full build
export VSAFI_COMPILE_MODE="${VSAFI_COMPILE_MODE:-default}"
start=$(date +%s)
failed=0
log() {  # a stage's name and exit status
    echo "$1: exit $2 at $(( $(date +%s) - start )) s" >> "$OUT/gpu.txt"
    [ "$2" -eq 0 ] || failed=$((failed + 1))
}
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  "$PY" -c "import torch, triton, vapoursynth as vs; print('torch', torch.__version__, 'triton', triton.__version__, 'vs', vs.__version__, 'cudnn', torch.backends.cudnn.version())"
  echo "inductor mode: $VSAFI_COMPILE_MODE"; } > "$OUT/gpu.txt" 2>&1
LAYOUT=  # VSAFI_CHANNELS_LAST for speed.py: empty is CUDA's default (channels_last), 0 is NCHW
speed() {  # speed.py's arguments
    VSAFI_CHANNELS_LAST="$LAYOUT" "$PY" benchmarks/speed.py --device cuda --json "$@" \
        >> "$OUT/speed.jsonl" 2>> "$OUT/stderr.log"
    log "speed $*${LAYOUT:+ (VSAFI_CHANNELS_LAST=$LAYOUT)}" $?
}
speed --size "$SIZE" --frames "$FRAMES" --models rife
speed --size "$SIZE" --frames "$FRAMES" --models gmfss_union
LAYOUT=0
speed --size "$SIZE" --frames "$FRAMES" --models rife --modes plain,forward
speed --size "$SIZE" --frames 60 --models gmfss_union --modes plain
LAYOUT=
"$PY" benchmarks/host_profile.py --size "$SIZE" --frames "$FRAMES" --mode plain --device cuda \
    >> "$OUT/profile.txt" 2>> "$OUT/stderr.log"
log "host profile rife plain" $?
speed --size "$SIZE" --frames "$FRAMES" --models rife --modes plain,forward,drba --batch 4
precision() {  # precision.py's arguments
    "$PY" benchmarks/precision.py --device cuda --size "$SIZE" --outputs 8 "$@" \
        >> "$OUT/precision.jsonl" 2>> "$OUT/stderr.log"
    log "precision $*" $?
}
precision --models rife
precision --models gmfss_union --modes plain,drba
"$PY" -m pytest -q -p no:cacheprovider tests/test_seek_cuda.py tests/test_splat_triton.py > "$OUT/tests.log" 2>&1
log "tests" $?
speed --size "$SIZE4K" --frames 48 --models rife --modes forward
speed --size "$SIZE" --frames "$FRAMES" --models rife --modes plain --compile off,wait
cat "$OUT/gpu.txt" "$OUT/speed.jsonl" "$OUT/precision.jsonl"
if [ "$failed" -ne 0 ]; then
    echo "bench-gpu: $failed stage(s) failed; see $OUT/gpu.txt, $OUT/stderr.log and $OUT/tests.log" >&2
    exit 1
fi
