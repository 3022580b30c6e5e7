"""Choosing between NumPy and ``jax.numpy`` for a computation.

GalSim's value types (positions, shears, WCS, images) must behave exactly like
GalSim's when their values are concrete Python numbers: ``Shear(g1=0.2).g1`` is the
float ``0.2`` even when ``jax_enable_x64`` is off.  When a value is a JAX array (a
tracer inside ``jit``/``grad``/``vmap``, or a concrete device array) the same code
must run on ``jax.numpy``.  :func:`xp` picks the array module from the inputs.
"""

import numbers

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["is_traced", "is_jax", "xp", "as_scalar", "concrete_or_none", "outer_grid",
           "computed_once"]


def is_traced(*values):
    """True if any of ``values`` (or any leaf inside them) is a JAX tracer."""
    for leaf in jax.tree_util.tree_leaves(values):
        if isinstance(leaf, jax.core.Tracer):
            return True
    return False


def is_jax(*values):
    """True if any of ``values`` (or any leaf inside them) is a JAX array or tracer."""
    for leaf in jax.tree_util.tree_leaves(values):
        if isinstance(leaf, jax.Array):
            return True
    return False


def xp(*values):
    """The array module to compute with: ``jax.numpy`` if any input is a JAX array,
    otherwise NumPy (so concrete inputs give GalSim's exact float64 results)."""
    return jnp if is_jax(*values) else np


def as_scalar(value, dtype=float):
    """Normalise a scalar parameter.

    Python numbers and 0-d arrays that are concrete become ``dtype`` (``float`` by
    default), as GalSim stores them.  Tracers and arrays with dimensions are returned
    unchanged so that ``jit``, ``vmap`` and vectorised calls keep working.
    """
    if isinstance(value, jax.core.Tracer):
        return value
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return dtype(value)
    if isinstance(value, (np.ndarray, np.generic, jax.Array)):
        if np.ndim(value) == 0:
            return dtype(value)
        return value
    return dtype(value)


def concrete_or_none(value):
    """``value`` as a NumPy value if it is concrete, ``None`` if it is traced.

    Used to run GalSim's eager argument checks only where the values are known
    (DESIGN rule 3: validate eagerly, compute functionally)."""
    if is_traced(value):
        return None
    return np.asarray(value)


def outer_grid(a, b):
    """Whether ``a`` and ``b`` are concrete 2-d arrays shaped as a row and a column (either
    way round), so that a function of them broadcasts to an outer-product grid: the
    k grids drawing evaluates profiles on (static)."""
    if is_traced(a, b) or getattr(a, "ndim", 0) != 2 or getattr(b, "ndim", 0) != 2:
        return False
    return (a.shape[0] == 1 and b.shape[1] == 1) or (a.shape[1] == 1 and b.shape[0] == 1)


#: Largest array :func:`computed_once` materialises (its cost grows as the square).
COMPUTED_ONCE_MAX = 1024


def computed_once(x):
    """``x`` itself (a small traced array, such as a row or column of a k grid), made into
    a separate kernel's output.

    XLA:CPU fuses a small producer, say ``cos`` of a length-n vector, into every large
    element-wise consumer that broadcasts it, and then re-evaluates it for each element of
    the consumer: n^2 transcendentals instead of n.  An optimization barrier does not stop
    this on the CPU; a product with the identity matrix (exact for finite values, n^2
    multiply-adds) does.  Arrays larger than ``COMPUTED_ONCE_MAX`` are returned as they
    are."""
    if not is_traced(x) or x.size > COMPUTED_ONCE_MAX:
        return x
    flat = jnp.reshape(x, (-1,))
    eye = jnp.eye(flat.shape[0], dtype=flat.dtype)
    return jnp.reshape(jnp.matmul(flat, eye, precision=jax.lax.Precision.HIGHEST), jnp.shape(x))
