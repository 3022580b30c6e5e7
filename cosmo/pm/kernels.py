"""Fourier-space kernels of the particle-mesh solver.

Every kernel takes ``kvec = (kx, ky, kz)``, the wavenumbers of the mesh in radians per
cell (``2 pi fftfreq``), as returned by :func:`cosmo.distributed.fftfreq_grid`: three
arrays that broadcast against each other to the (real-FFT, possibly sharded) layout of
the field, so the same kernel code serves a single device and a sharded mesh.  With
``kvec`` in radians per cell, the kernels act on fields whose positions are in mesh-cell
units; multiply a wavenumber by ``n / L`` (cells over box size in Mpc/h) for h/Mpc.

Conventions (those of FastPM, Feng et al. 2016, MNRAS 463, 2273, and JaxPM):

* ``invlaplace_kernel`` is the Fourier form of the inverse Laplacian, -1/k^2, with the
  k = 0 mode set to zero (the mean of a periodic potential is arbitrary);
* ``gradient_kernel(kvec, i)`` is the Fourier form of d/dx_i: i k_i exactly
  (``order=0``) or the fourth-order centred finite difference
  i (8 sin k_i - sin 2k_i) / 6 (``order=1``, FastPM's default force gradient), which
  is odd in k_i and so vanishes on the Nyquist plane;
* the gravitational "force" of a density contrast delta is
  F = -grad invlaplace delta (in cells): it points towards overdensities, and for the
  linear field delta_lin it is the Zel'dovich displacement per unit growth factor.
"""

import numpy as np
import jax.numpy as jnp

__all__ = ["wavenumber_squared", "wavenumber_norm", "gradient_kernel",
           "invlaplace_kernel", "longrange_kernel", "hermitian_weights"]


def wavenumber_squared(kvec):
    """|k|^2 [radians^2 per cell^2] of a broadcastable ``kvec``."""
    return sum(ki**2 for ki in kvec)


def wavenumber_norm(kvec):
    """|k| [radians per cell] of a broadcastable ``kvec``."""
    return jnp.sqrt(wavenumber_squared(kvec))


def gradient_kernel(kvec, axis, order=1):
    """Fourier multiplier of the derivative d/dx_axis (x in cells; result per cell).

    ``order=0``: the exact spectral derivative i k.  ``order=1``: the fourth-order
    centred finite difference (f(x-2) - 8 f(x-1) + 8 f(x+1) - f(x+2)) / 12, whose
    multiplier is i (8 sin k - sin 2k) / 6 (FastPM's default).
    """
    w = kvec[axis]
    if order == 0:
        return 1j * w
    if order == 1:
        return 1j * (8.0 * jnp.sin(w) - jnp.sin(2.0 * w)) / 6.0
    raise ValueError("gradient order must be 0 (exact) or 1 (4th-order finite difference)")


def invlaplace_kernel(kvec):
    """Fourier multiplier of the inverse Laplacian, -1/|k|^2 [cells^2], zero at k = 0."""
    kk = wavenumber_squared(kvec)
    safe = jnp.where(kk == 0, 1.0, kk)
    return jnp.where(kk == 0, 0.0, -1.0 / safe)


def longrange_kernel(kvec, r_split):
    """Gaussian long-range filter exp(-|k|^2 r_split^2) (r_split in cells).

    The long-range part of a TreePM split (Bagla 2002); ``r_split = 0`` returns 1.
    """
    if r_split == 0:
        return jnp.ones(())
    return jnp.exp(-wavenumber_squared(kvec) * r_split**2)


def hermitian_weights(kvec):
    """Mode multiplicity of each coefficient of a real FFT (last axis halved).

    2 for modes whose conjugate partner is not stored, 1 on the k_z = 0 and Nyquist
    planes, so that a sum over the half-spectrum with these weights equals the sum over
    the full spectrum.
    """
    kz = kvec[-1]
    edge = (kz == 0) | (jnp.abs(jnp.abs(kz) - np.pi) < 1e-4)
    return jnp.where(edge, 1.0, 2.0)
