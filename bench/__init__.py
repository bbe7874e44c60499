"""Throughput and freshness bench: ``python -m bench`` (see docs/performance.md)."""
