"""Settings for the inference tests: float64 everywhere (the library never flips it)."""

import jax

jax.config.update("jax_enable_x64", True)
