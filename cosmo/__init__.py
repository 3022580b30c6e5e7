"""Differentiable cosmology and lensing-field simulators (see the issues for what lands here)."""

__version__ = "0.1.0"
