"""Special functions that JAX lacks (Bessel J0, J1 and K_nu), usable in eager NumPy
code and under ``jit``/``grad``/``vmap``.

Concrete NumPy inputs call SciPy directly.  Traced inputs call SciPy on the host
through ``jax.pure_callback`` (so values are SciPy's double-precision ones) and carry
exact derivative rules through ``jax.custom_jvp``: ``J0' = -J1``,
``J1' = J0 - J1/x``, ``dK_nu/dx = -(K_{nu-1} + K_{nu+1})/2``; the derivative in the
order ``nu`` (no closed form) is a central difference with step 1e-5 (relative error
about 1e-10).  JAX note: on accelerators the callback runs on the host.
"""

import jax
import jax.numpy as jnp
import numpy as np
import scipy.special as _sp

from .backend import is_jax

__all__ = ["j0", "j1", "kv"]


def _callback(fn, *args):
    args = [jnp.asarray(a) for a in args]
    shape = jnp.broadcast_shapes(*[a.shape for a in args])
    dtype = jnp.result_type(*[a.dtype for a in args], float)
    args = [jnp.broadcast_to(a, shape).astype(dtype) for a in args]
    out = jax.ShapeDtypeStruct(shape, dtype)
    return jax.pure_callback(lambda *a: np.asarray(fn(*a), dtype=dtype), out, *args,
                             vmap_method="broadcast_all")


@jax.custom_jvp
def _j0(x):
    return _callback(_sp.j0, x)


@jax.custom_jvp
def _j1(x):
    return _callback(_sp.j1, x)


@_j0.defjvp
def _j0_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return _j0(x), -_j1(x) * t


@_j1.defjvp
def _j1_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    j1x = _j1(x)
    safe = jnp.where(x == 0, 1.0, x)
    d = jnp.where(x == 0, 0.5, _j0(x) - j1x / safe)
    return j1x, d * t


@jax.custom_jvp
def _kv(nu, x):
    return _callback(_sp.kv, nu, x)


@_kv.defjvp
def _kv_jvp(primals, tangents):
    nu, x = primals
    tnu, tx = tangents
    val = _kv(nu, x)
    dx = -0.5 * (_kv(nu - 1.0, x) + _kv(nu + 1.0, x))
    h = 1.0e-5
    dnu = (_kv(nu + h, x) - _kv(nu - h, x)) / (2.0 * h)
    return val, dx * tx + dnu * tnu


def j0(x):
    """Bessel function of the first kind, order 0."""
    if is_jax(x):
        return _j0(x)
    return _sp.j0(x)


def j1(x):
    """Bessel function of the first kind, order 1."""
    if is_jax(x):
        return _j1(x)
    return _sp.j1(x)


def kv(nu, x):
    """Modified Bessel function of the second kind, real order ``nu``."""
    if is_jax(nu, x):
        return _kv(nu, x)
    return _sp.kv(nu, x)
