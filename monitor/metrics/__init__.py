"""Prometheus metrics: definitions and the publisher that copies site snapshots into them."""

from .registry import Metrics

__all__ = ["Metrics"]
