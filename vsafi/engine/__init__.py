"""Device, precision, padding, frame<->tensor conversion, caches and per-output rendering."""
