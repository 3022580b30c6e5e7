"""Summary statistics of mesh fields: density from particles, binned power spectra.

Units: box size in Mpc/h, wavenumbers in h/Mpc, power in (Mpc/h)^3.  The estimator is
P(k) = (V / N^2) |delta_k|^2 averaged over the modes of each |k| bin, with V the box
volume and N the number of cells (``delta_k = rfftn(delta)``, numpy convention); the
half spectrum of the real FFT is weighted by the mode multiplicity so that a bin
averages over the full spectrum (both k and -k), and its mode count ``n_modes`` is the
full-spectrum count, so the Gaussian (cosmic-variance) error of a bin is
P sqrt(2 / n_modes).
"""

import numpy as np
import jax.numpy as jnp

from .. import distributed as dist
from .painting import cic_paint, compensate_cic
from .kernels import hermitian_weights, wavenumber_norm
from .initial import _box3

__all__ = ["density_contrast", "power_spectrum", "cross_power_spectrum", "default_kedges",
           "bin_modes"]


def density_contrast(positions, mesh_shape, mesh=None, halo=None):
    """CIC density contrast rho / rho_mean - 1 of equal-mass particles on the mesh.

    ``positions`` in mesh-cell units, shape (..., 3) (a sharded particle grid with a
    ``mesh``).  The mean is the number of particles per cell.
    """
    mesh_shape = tuple(int(n) for n in mesh_shape)
    n_part = int(np.prod(positions.shape[:-1]))
    # a zero field; with a mesh, shard_map inside cic_paint lays it out per device
    rho = cic_paint(jnp.zeros(mesh_shape, positions.dtype), positions, mesh=mesh, halo=halo)
    return rho * (np.prod(mesh_shape) / n_part) - 1.0


def default_kedges(mesh_shape, box_size):
    """Bin edges [h/Mpc] one fundamental mode wide, centred on multiples of the
    fundamental k_f = 2 pi / L, from k_f/2 up to the Nyquist frequency of the coarsest
    axis."""
    box = _box3(box_size)
    kf = 2 * np.pi / max(box)
    kny = min(np.pi * n / b for n, b in zip(mesh_shape, box))
    return kf * np.arange(0.5, kny / kf + 1e-9, 1.0)


def bin_modes(values, kvec_h, kedges, weights):
    """Weighted sums of ``values`` (real, FFT layout) and of the weights in |k| bins.

    ``kvec_h``: wavenumbers in h/Mpc; returns (sum of w |k|, sum of w values, sum of w)
    per bin, arrays of length ``len(kedges) - 1``.
    """
    kk = wavenumber_norm(kvec_h)
    kedges = jnp.asarray(kedges)
    nb = kedges.shape[0] - 1
    idx = jnp.digitize(kk, kedges) - 1
    idx = jnp.where((idx >= 0) & (idx < nb), idx, nb)  # overflow bin nb
    w = jnp.broadcast_to(weights, kk.shape)
    vals = jnp.broadcast_to(values, kk.shape)

    def bsum(x):
        return jnp.zeros(nb + 1, x.dtype).at[idx.ravel()].add(x.ravel())[:nb]

    return bsum(w * kk), bsum(w * vals), bsum(w)


def cross_power_spectrum(field_a, field_b, box_size, kedges=None, mesh=None,
                         compensate=False):
    """Binned cross spectrum Re<delta_a delta_b*> of two real fields (same mesh).

    Returns ``(k, P, n_modes)``: mean |k| of the modes in each bin [h/Mpc], power
    [(Mpc/h)^3] and full-spectrum mode counts.  ``compensate=True`` divides both fields
    by the CIC window (for CIC-painted particle densities); a pair of booleans chooses
    per field.  ``kedges`` defaults to
    :func:`default_kedges`.
    """
    shape = tuple(field_a.shape)
    box = _box3(box_size)
    kedges = default_kedges(shape, box) if kedges is None else kedges
    kvec = dist.fftfreq_grid(shape, mesh=mesh, real=True)
    ka = dist.rfftn(field_a, mesh=mesh)
    kb = ka if field_b is field_a else dist.rfftn(field_b, mesh=mesh)
    comp_a, comp_b = (compensate, compensate) if np.ndim(compensate) == 0 else compensate
    if comp_a:
        ka = compensate_cic(ka, kvec)
    if field_b is field_a:
        kb = ka
    elif comp_b:
        kb = compensate_cic(kb, kvec)
    n = float(np.prod(shape))
    vol = float(np.prod(box))
    p3 = jnp.real(ka * jnp.conj(kb)) * (vol / n**2)
    kvec_h = tuple(k * (m / b) for k, m, b in zip(kvec, shape, box))
    ksum, psum, nmodes = bin_modes(p3, kvec_h, kedges, hermitian_weights(kvec))
    safe = jnp.where(nmodes > 0, nmodes, 1.0)
    return ksum / safe, psum / safe, nmodes


def power_spectrum(field, box_size, kedges=None, mesh=None, compensate=False):
    """Binned auto power spectrum of a real field; see :func:`cross_power_spectrum`."""
    return cross_power_spectrum(field, field, box_size, kedges, mesh, compensate)
