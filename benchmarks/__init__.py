"""Runnable comparisons with peers: ``python -m benchmarks.<name>``. Never imported by tests for timing asserts."""
