"""Bessel functions J0, J1 for real x >= 0 (Abramowitz & Stegun 9.4.1-9.4.6).

Polynomial approximations with absolute error < 1e-7 for all x >= 0; written with
``jnp.where`` on safe arguments so that gradients are finite everywhere.
"""

import jax.numpy as jnp

__all__ = ["j0", "j1", "disk_window"]


def _poly(t, coeffs):
    r = jnp.zeros_like(t)
    for c in reversed(coeffs):
        r = r * t + c
    return r


_J0_SMALL = (1.0, -2.2499997, 1.2656208, -0.3163866, 0.0444479, -0.0039444, 0.0002100)
_J1_SMALL = (0.5, -0.56249985, 0.21093573, -0.03954289, 0.00443319, -0.00031761, 0.00001109)
_F0 = (0.79788456, -0.00000077, -0.00552740, -0.00009512, 0.00137237, -0.00072805, 0.00014476)
_T0 = (-0.78539816, -0.04166397, -0.00003954, 0.00262573, -0.00054125, -0.00029333, 0.00013558)
_F1 = (0.79788456, 0.00000156, 0.01659667, 0.00017105, -0.00249511, 0.00113653, -0.00020033)
_T1 = (-2.35619449, 0.12499612, 0.00005650, -0.00637879, 0.00074348, 0.00079824, -0.00029166)


def j0(x):
    """Bessel function of the first kind of order 0, x >= 0."""
    x = jnp.asarray(x, dtype=float)
    small = x < 3.0
    xs = jnp.where(small, x, 3.0)
    xl = jnp.where(small, 3.0, x)
    t = (xs / 3.0) ** 2
    u = 3.0 / xl
    return jnp.where(small, _poly(t, _J0_SMALL),
                     _poly(u, _F0) * jnp.cos(xl + _poly(u, _T0)) / jnp.sqrt(xl))


def j1(x):
    """Bessel function of the first kind of order 1, x >= 0."""
    x = jnp.asarray(x, dtype=float)
    small = x < 3.0
    xs = jnp.where(small, x, 3.0)
    xl = jnp.where(small, 3.0, x)
    t = (xs / 3.0) ** 2
    u = 3.0 / xl
    return jnp.where(small, xs * _poly(t, _J1_SMALL),
                     _poly(u, _F1) * jnp.cos(xl + _poly(u, _T1)) / jnp.sqrt(xl))


def disk_window(x):
    """Fourier transform of the 2-D top-hat disk, W(x) = 2 J1(x)/x (W(0) = 1)."""
    x = jnp.asarray(x, dtype=float)
    small = x < 1e-4
    xs = jnp.where(small, 1.0, x)
    return jnp.where(small, 1.0 - x**2 / 8.0, 2.0 * j1(xs) / xs)
