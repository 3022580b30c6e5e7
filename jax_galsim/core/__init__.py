"""JAX machinery shared by many ``jax_galsim`` modules.

Nothing in this package carries a GalSim name: it holds the pytree registration
mechanism, backend selection (NumPy for concrete values, ``jax.numpy`` for traced
ones) and, later, the drawing kernels and FFT sizing.
"""
