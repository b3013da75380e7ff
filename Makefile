# Two commands for a newcomer: `make demo` and `make test`. Both set everything up first, with
# the exact versions of requirements.lock; a second run reinstalls nothing.
# `make lock` re-resolves the dependencies (a deliberate upgrade: run `make test`, commit both).
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.vsafi-installed
PREVIEW := $(VENV)/.vsafi-preview
WEIGHTS := weights/.verified
LOCK    := requirements.lock

.PHONY: setup demo test test-quick weights bench preview lock clean

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

test: setup
	$(VPY) -m pytest -q

test-quick: setup
	$(VPY) -m pytest -q -m "not slow"

bench: setup
	$(VPY) benchmarks/speed.py

$(PREVIEW): $(STAMP)
	scripts/install.sh test,cluster,preview $(VENV)
	@touch $@

preview: setup $(PREVIEW)
	$(VENV)/bin/vspreview scripts/example.vpy

lock:
	scripts/lock.sh

clean:
	rm -rf $(VENV) demo weights/*.pkl $(WEIGHTS) *.egg-info
