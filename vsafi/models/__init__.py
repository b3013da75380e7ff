"""The networks (parameter names and shapes load the published weights with strict=True), the
one Backend protocol every model implements (``backend.py``) and the model registry
(``registry.py``). Nothing here imports the engine, the modes or VapourSynth."""
