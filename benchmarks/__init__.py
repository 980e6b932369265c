"""Benchmark scripts (not tests): each prints figures; docs/performance.md says how to run them."""
