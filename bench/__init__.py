"""Benchmarks: each measures a feature and a floor in the same run and prints the ratio (``make bench``)."""
