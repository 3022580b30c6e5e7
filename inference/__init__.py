"""Explicit and implicit inference on top of cosmo and jax_galsim."""

__version__ = "0.1.0"
