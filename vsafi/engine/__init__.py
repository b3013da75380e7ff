"""The engine: devices and precision, the model canvas, the cache, the per-output renderer and
cut flags. It knows tensors and threads, never a VapourSynth frame or a concrete model."""
