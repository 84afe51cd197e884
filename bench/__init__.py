"""Benchmarks: scripts that print their figures, each speed as a ratio against a baseline run in the same process."""
