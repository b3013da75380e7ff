"""Every model, one folder each (``rife/``, ``gmfss/``), with the operations they share in
``ops/``. At this level, the runtime they all use: the one Backend protocol (``backend.py``),
batched passes (``batching.py``), compiled graphs (``compiled.py``) and the registry
(``registry.py``). Adding a model is one folder and one registry entry. Nothing here imports the
engine, the modes or VapourSynth."""
