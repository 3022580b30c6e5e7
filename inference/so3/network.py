"""A small conditional score network on SO(3): a plain MLP written in JAX.

Inputs: the 9 entries of the rotation matrix (optionally with their products up to
degree 3, see :func:`rotation_features`), Fourier features of the diffusion time
``t`` in [0, 1] and an optional conditioning vector ``y``. Output: a tangent vector in
R^3 (space frame). The diffusion module divides it by the noise scale ``sigma(t)``.
Parameters are a pytree (list of ``(W, b)`` pairs), usable with optax directly.
"""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["init_mlp", "apply_mlp", "score_features", "n_time_features", "n_rotation_features"]


def n_time_features(n_freq):
    """Number of time features produced for ``n_freq`` frequencies."""
    return 1 + 2 * n_freq


def _monomials(degree):
    return [np.array(c) for c in itertools.combinations_with_replacement(range(9), degree)]


def n_rotation_features(degree):
    """Number of rotation features: all monomials of the 9 matrix entries up to ``degree``."""
    return sum(math.comb(9 + d - 1, d) for d in range(1, degree + 1))


def rotation_features(R, degree=1):
    """Monomials of degree 1..``degree`` in the entries of ``R`` (a polynomial embedding).

    Degree 1 holds the spin-1 harmonics (the matrix entries); degrees 2 and 3 add the
    products that span spins up to 2 and 3, which distributions with a discrete
    symmetry need (a tetrahedrally symmetric density has no spin-1 or spin-2 part).
    """
    r = R.reshape(9)
    parts = [r]
    for d in range(2, degree + 1):
        idx = np.stack(_monomials(d), 0)        # (n_d, d)
        parts.append(jnp.prod(r[idx], axis=-1))
    return jnp.concatenate(parts)


def score_features(R, t, y=None, n_freq=6, degree=1):
    """Feature vector for one rotation ``R`` (3, 3), time ``t`` (scalar) and ``y`` (c,)."""
    dtype = R.dtype
    t = jnp.asarray(t, dtype=dtype)
    k = jnp.arange(1, n_freq + 1, dtype=dtype) * math.pi
    tf = jnp.concatenate([(2 * t - 1)[None], jnp.sin(k * t), jnp.cos(k * t)])
    parts = [rotation_features(R, degree), tf]
    if y is not None:
        parts.append(jnp.asarray(y, dtype=dtype).reshape(-1))
    return jnp.concatenate(parts)


def init_mlp(key, n_in, hidden=(256, 256, 256), n_out=3, dtype=jnp.float32):
    """Initialise an MLP (LeCun-normal weights, zero biases; zero last layer).

    The last layer starts at zero so the initial score is zero (the uniform density).
    """
    sizes = (n_in,) + tuple(hidden) + (n_out,)
    params = []
    keys = jax.random.split(key, len(sizes) - 1)
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i == len(sizes) - 2:
            W = jnp.zeros((a, b), dtype)
        else:
            W = jax.random.normal(keys[i], (a, b), dtype) / math.sqrt(a)
        params.append((W, jnp.zeros((b,), dtype)))
    return params


def apply_mlp(params, x):
    """Apply the MLP (SiLU activations) to a feature vector or batch ``x``."""
    h = x.astype(params[0][0].dtype)
    for W, b in params[:-1]:
        h = jax.nn.silu(h @ W + b)
    W, b = params[-1]
    return h @ W + b
