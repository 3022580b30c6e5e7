"""Array kernels that render a profile onto a pixel grid.

Every profile provides two vectorised kernels, ``_xValue_array(x, y)`` (surface
brightness at positions ``x, y``, any broadcastable arrays) and
``_kValue_array(kx, ky)`` (its Fourier transform, normalised so that ``k = 0`` gives
the flux).  The functions here only lay out coordinate grids, call those kernels and
transform.  They are written against an array module ``xp`` (NumPy for concrete
parameters, so eager draws give GalSim's float64 numbers; ``jax.numpy`` when anything
is traced), see :func:`jax_galsim.core.backend.xp`.

Conventions: images are ``[y, x]`` arrays; pixel ``(i, j)`` of an image whose lower
left pixel has image coordinates ``(xmin, ymin)`` sits at ``((xmin + i) * scale,
(ymin + j) * scale)`` in the profile's coordinates; drawn values are the surface
brightness times the pixel area ``scale**2`` (GalSim's ``no_pixel`` convention).
"""

import math

import numpy as np

__all__ = ["draw_real_array", "draw_fft_array", "draw_k_array", "kgrid_nk"]


def draw_real_array(prof, xmin, ymin, nx, ny, scale, xp):
    """Surface brightness times pixel area at the pixel centres of an ``ny x nx`` grid."""
    x = (xmin + xp.arange(nx, dtype=float)) * scale
    y = (ymin + xp.arange(ny, dtype=float)) * scale
    vals = prof._xValue_array(x[None, :], y[:, None])
    return xp.broadcast_to(vals, (ny, nx)) * (scale * scale)


def _wrap_axis(a, N, M, axis, xp):
    """Fold an axis of length ``M N + 1`` (k indices ``-MN/2 .. MN/2``) onto period ``N``.

    Returns the folded axis in FFT order (index ``m`` holds k index ``m mod N``)."""
    a = xp.moveaxis(a, axis, 0)
    MN = M * N
    main = a[:MN].reshape((M, N) + a.shape[1:]).sum(axis=0)
    # k index MN/2 is congruent to -MN/2, which is the first entry of `main`.
    main = main + xp.concatenate([a[MN:MN + 1], xp.zeros((N - 1,) + a.shape[1:], dtype=a.dtype)], axis=0)
    # entry j of main holds k index -MN/2 + j (mod N); put k index 0 first.
    shift = (MN // 2) % N
    main = xp.roll(main, -shift, axis=0)
    return xp.moveaxis(main, 0, axis)


def kgrid_nk(N, maxk, dk, xp):
    """GalSim's k-grid size ``Nk`` for a real-space period ``N`` (may be traced)."""
    return xp.where(N * dk / 2.0 > maxk, N, 2 * xp.ceil(maxk / dk))


def draw_fft_array(prof, xmin, ymin, nx, ny, scale, N, M, nk, xp):
    """Draw ``prof`` on an ``ny x nx`` grid through a discrete Fourier transform.

    The k-space image is evaluated on the full plane of k indices ``-MN/2 .. MN/2`` in
    both directions with spacing ``dk = 2 pi / (N scale)``, entries with an index beyond
    ``nk / 2`` are zeroed (``nk`` may be traced; ``None`` keeps everything), the result
    is folded onto period ``N`` (GalSim's wrapping of the k-image) and transformed.
    """
    N = int(N)
    M = int(M)
    MN = M * N
    dk = 2.0 * math.pi / (N * scale)
    idx = np.arange(-(MN // 2), MN // 2 + 1)
    k = xp.asarray(idx * dk)
    kim = prof._kValue_array(k[None, :], k[:, None])
    kim = xp.broadcast_to(kim, (MN + 1, MN + 1))
    if nk is not None:
        inside = xp.abs(xp.asarray(idx, dtype=float)) <= nk / 2.0
        kim = xp.where(inside[None, :] & inside[:, None], kim, 0.0)
    kw = _wrap_axis(kim, N, M, 0, xp)
    kw = _wrap_axis(kw, N, M, 1, xp)
    # Hermitian by construction; the inverse DFT normalisation 1/N^2 equals
    # (dk scale / 2 pi)^2, i.e. the surface brightness times the pixel area.
    real = xp.fft.ifft2(kw).real
    ix = (xmin + np.arange(nx)) % N
    iy = (ymin + np.arange(ny)) % N
    return real[iy[:, None], ix[None, :]]


def draw_k_array(prof, xmin, ymin, nx, ny, dk, xp):
    """The k-space image on an ``ny x nx`` grid of spacing ``dk``, pixel ``(i, j)`` at
    ``k = ((xmin + i) dk, (ymin + j) dk)``."""
    kx = (xmin + xp.arange(nx, dtype=float)) * dk
    ky = (ymin + xp.arange(ny, dtype=float)) * dk
    vals = prof._kValue_array(kx[None, :], ky[:, None])
    return xp.broadcast_to(vals, (ny, nx))
