"""Datasets: synthetic interaction generators."""

from ._samples_generator import make_interactions

__all__ = ["make_interactions"]
