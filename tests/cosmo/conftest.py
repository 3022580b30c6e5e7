"""Tests of ``cosmo`` run in float64 (the library itself never flips the flag)."""

import jax

jax.config.update("jax_enable_x64", True)
