"""Differentiable cosmology (background, growth, EH/halofit P(k), Limber C_ell) and LSST Y10 log-normal lensing maps."""

__version__ = "0.1.0"
