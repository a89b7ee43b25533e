"""Benchmarks of Lockgate (``python -m bench engine``): figures to compare, never a pass/fail gate."""
