# Two commands for a newcomer: `make demo` and `make test`. Both set everything up first;
# a second run reinstalls nothing.
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.vsafi-installed
WEIGHTS := weights/.verified

.PHONY: setup demo test test-quick weights bench clean

setup: $(STAMP) $(WEIGHTS)

$(STAMP): setup.py pyproject.toml
	@PY=$$(scripts/find-python.sh) || exit 1; \
	  [ -x $(VPY) ] || $$PY -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -e '.[test]'
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

clean:
	rm -rf $(VENV) demo weights/*.pkl $(WEIGHTS) *.egg-info
