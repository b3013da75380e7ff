# Two commands for a newcomer: `make demo` and `make test`. Both set everything up first, with
# the exact versions of requirements.lock; a second run reinstalls nothing.
# `make lock` re-resolves the dependencies (a deliberate upgrade: run `make test`, commit both).
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.vsafi-installed
PREVIEW := $(VENV)/.vsafi-preview
WEIGHTS := weights/.verified
LOCK    := requirements.lock

.PHONY: setup demo test test-slow weights bench bench-gpu preview lock clean

setup: $(STAMP) $(WEIGHTS)

$(STAMP): setup.py pyproject.toml $(LOCK) scripts/install.sh
	scripts/install.sh test,cluster $(VENV)
	$(VENV)/bin/vapoursynth config >/dev/null
	@touch $@

$(WEIGHTS): $(STAMP) weights/manifest.json
	$(VPY) -m vsafi.weights install
	@touch $@

weights: $(WEIGHTS)

demo: setup
	$(VPY) -m vsafi.demo --out demo

# `make test`: every test but the long ones marked slow (1080p memory runs, compiling models,
# Ray jobs, seeking with every intermediate evicted); `make test-slow` runs those. CI runs both.
test: setup
	$(VPY) -m pytest -q -m "not slow"

test-slow: setup
	$(VPY) -m pytest -q -m slow

bench: setup
	$(VPY) benchmarks/speed.py

# The GPU benchmark on this machine's CUDA GPU; results in bench-gpu/ (scripts/bench_gpu.sh).
bench-gpu: setup
	PY=$(VPY) sh scripts/bench_gpu.sh

$(PREVIEW): $(STAMP)
	scripts/install.sh test,cluster,preview $(VENV)
	@touch $@

preview: setup $(PREVIEW)
	$(VENV)/bin/vspreview scripts/example.vpy

lock:
	scripts/lock.sh

clean:
	rm -rf $(VENV) demo weights/*.pkl $(WEIGHTS) *.egg-info
