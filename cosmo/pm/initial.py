"""Gaussian initial conditions on a (possibly sharded) periodic mesh.

Units: the box side ``box_size`` is in Mpc/h (a scalar for a cube or three numbers),
wavenumbers in h/Mpc and power spectra in (Mpc/h)^3, the N-body convention.  The
linear spectrum comes from :func:`cosmo.power.linear_power`, which works in 1/Mpc and
Mpc^3; the conversion is k[1/Mpc] = h k[h/Mpc] and P[(Mpc/h)^3] = h^3 P[Mpc^3].

Normalisation.  With ``w`` a unit white-noise field on the N = nx ny nz cells and
``W = rfftn(w)`` (so <|W_k|^2> = N), the density contrast is

    delta = irfftn( W sqrt(P(k) / V_cell) ),   V_cell = (L/n)^3 [(Mpc/h)^3],

whose discrete power (V / N^2) <|delta_k|^2> equals P(k): the estimator of
:func:`cosmo.pm.statistics.power_spectrum` returns P(k) on average.  The k = 0 mode is
zero (the mean density contrast of the box vanishes).
"""

import numpy as np
import jax
import jax.numpy as jnp

from .. import distributed as dist
from .. import power as _power
from .. import background as bg
from .kernels import wavenumber_squared

__all__ = ["white_noise", "linear_field", "physical_wavenumbers", "cell_volume"]


def _box3(box_size):
    b = np.broadcast_to(np.asarray(box_size, dtype=float), (3,))
    return tuple(float(x) for x in b)


def cell_volume(mesh_shape, box_size):
    """Volume of one mesh cell [(Mpc/h)^3]."""
    box = _box3(box_size)
    return float(np.prod([b / n for b, n in zip(box, mesh_shape)]))


def physical_wavenumbers(mesh_shape, box_size, mesh=None, real=True):
    """The mesh wavenumbers (kx, ky, kz) in h/Mpc, broadcastable to the FFT layout."""
    box = _box3(box_size)
    kvec = dist.fftfreq_grid(tuple(mesh_shape), mesh=mesh, real=real)
    return tuple(k * (n / b) for k, n, b in zip(kvec, mesh_shape, box))


def white_noise(key, mesh_shape, mesh=None, dtype=None):
    """Unit-variance Gaussian white noise on the mesh, sharded like a field.

    The values do not depend on ``mesh`` (JAX's partitionable threefry), so a sharded
    draw equals the single-device one.  ``dtype`` defaults to JAX's default float.
    """
    mesh_shape = tuple(int(n) for n in mesh_shape)
    dtype = jnp.zeros(()).dtype if dtype is None else dtype
    w = jax.random.normal(key, mesh_shape, dtype=dtype)
    return w if mesh is None else dist.shard(w, mesh)


def linear_field(key_or_noise, mesh_shape, box_size, cosmo, a=1.0, mesh=None,
                 wiggles=True):
    """Gaussian linear density contrast delta(x) on the mesh, with spectrum P_lin(k, a).

    Parameters
    ----------
    key_or_noise : jax.random key or array (nx, ny, nz)
        A PRNG key, or a unit white-noise field (the latent variable for inference;
        e.g. from :func:`white_noise`).  The result is linear in the noise.
    mesh_shape : tuple of 3 ints
        Cells per side.
    box_size : float or 3 floats
        Box side [Mpc/h].
    cosmo : Cosmology
        Linear power spectrum: Eisenstein-Hu normalised to ``cosmo.sigma8``.
    a : float
        Scale factor of the spectrum (default 1, i.e. z = 0; the field scales as D(a)).
    mesh : jax.sharding.Mesh, optional
        Shard the field over this device mesh (axes "x", "y").

    Returns the real field (nx, ny, nz), dimensionless, whose power spectrum in
    (Mpc/h)^3 is P_lin(k, a) for k in h/Mpc (see the module docstring for the
    normalisation).  Differentiable in ``cosmo`` and in the noise.
    """
    mesh_shape = tuple(int(n) for n in mesh_shape)
    if tuple(getattr(key_or_noise, "shape", ())) == mesh_shape:
        noise = jnp.asarray(key_or_noise)
    else:
        noise = white_noise(key_or_noise, mesh_shape, mesh=mesh)
    kvec = physical_wavenumbers(mesh_shape, box_size, mesh=mesh)
    kk = jnp.sqrt(wavenumber_squared(kvec))
    h = cosmo.h
    pk = _power.linear_power(cosmo, jnp.where(kk == 0, 1.0, kk) * h, 1.0, wiggles) * h**3
    if not (isinstance(a, (int, float)) and a == 1.0):
        pk = pk * bg.growth_factor(cosmo, a) ** 2
    amp = jnp.where(kk == 0, 0.0, jnp.sqrt(pk / cell_volume(mesh_shape, box_size)))
    wk = dist.rfftn(noise, mesh=mesh)
    return dist.irfftn(wk * amp.astype(wk.real.dtype), mesh_shape, mesh=mesh)
