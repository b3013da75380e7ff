"""Torch modules whose parameter names and shapes load the published weights with strict=True."""
