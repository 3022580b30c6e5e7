"""Two-dimensional discrete Fourier transforms with GalSim's conventions (``galsim.fft``).

The four functions agree with ``numpy.fft.fft2``, ``ifft2``, ``rfft2`` and ``irfft2`` on
the inputs GalSim accepts: two-dimensional arrays with even sizes in both directions
(``irfft2``: an even number of rows and ``N/2 + 1`` columns).  Real inputs are taken as
float64 and complex ones as complex128.  ``shift_in=True`` applies ``fftshift`` to the
input first (the array centre moves to index (0, 0)); ``shift_out=True`` applies it to
the output (for the half-plane transforms only along the first axis on the k side, as
GalSim does).

JAX notes
    NumPy arrays give NumPy results (GalSim's numbers); JAX arrays and tracers go
    through ``jax.numpy.fft`` so the functions work under ``jit``, ``vmap`` and ``grad``
    (the input is then kept in its own precision).
"""

import numpy as np

from .core.backend import is_jax
from .errors import GalSimValueError

__all__ = ["fft2", "ifft2", "rfft2", "irfft2"]


def _mod(a):
    if is_jax(a):
        import jax.numpy as jnp
        return jnp
    return np


def _check_even(a, what="Input array"):
    s = np.shape(a)
    if len(s) != 2:
        raise GalSimValueError("%s must be 2D." % what, s)
    M, N = s
    if M % 2 != 0 or N % 2 != 0:
        raise GalSimValueError("%s must have even sizes." % what, s)
    return M, N


def _as_float(a, xp):
    if xp is np:
        a = np.asarray(a)
        if a.dtype.kind == "c":
            return a.astype(np.complex128, copy=False)
        return a.astype(np.float64, copy=False)
    return a


def fft2(a, shift_in=False, shift_out=False):
    """The 2-d discrete Fourier transform of ``a`` (as ``numpy.fft.fft2``); returns a
    complex array of the same shape.  ``a`` must be 2-d with even sizes."""
    _check_even(a)
    xp = _mod(a)
    a = _as_float(a, xp)
    if shift_in:
        a = xp.fft.fftshift(a)
    k = xp.fft.fft2(a)
    if shift_out:
        k = xp.fft.fftshift(k)
    return k


def ifft2(a, shift_in=False, shift_out=False):
    """The 2-d inverse discrete Fourier transform of ``a`` (as ``numpy.fft.ifft2``);
    returns a complex array of the same shape.  ``a`` must be 2-d with even sizes."""
    _check_even(a)
    xp = _mod(a)
    a = _as_float(a, xp)
    if shift_in:
        a = xp.fft.fftshift(a)
    x = xp.fft.ifft2(a)
    if shift_out:
        x = xp.fft.fftshift(x)
    return x


def rfft2(a, shift_in=False, shift_out=False):
    """The 2-d discrete Fourier transform of a real array (as ``numpy.fft.rfft2``): for an
    ``(M, N)`` input, the ``(M, N/2 + 1)`` half plane of non-negative ``kx``.  With
    ``shift_out`` the ``ky`` axis is shifted so that ``ky = 0`` is in the middle row."""
    _check_even(a)
    xp = _mod(a)
    if xp is np:
        a = np.asarray(a).real.astype(np.float64, copy=False) if np.iscomplexobj(a) else \
            np.asarray(a, dtype=np.float64)
    if shift_in:
        a = xp.fft.fftshift(a)
    k = xp.fft.rfft2(a)
    if shift_out:
        k = xp.fft.fftshift(k, axes=(0,))
    return k


def irfft2(a, shift_in=False, shift_out=False):
    """The inverse of `rfft2` (as ``numpy.fft.irfft2``): an ``(M, N/2 + 1)`` half plane in,
    a real ``(M, N)`` array out.  ``M`` must be even.  ``shift_in`` takes the ``ky`` axis
    with ``ky = 0`` in the middle row; ``shift_out`` centres the output."""
    s = np.shape(a)
    if len(s) != 2:
        raise GalSimValueError("Input array must be 2D.", s)
    M, No2p1 = s
    if M % 2 != 0:
        raise GalSimValueError("Input array must have even sizes.", s)
    xp = _mod(a)
    if xp is np:
        a = np.asarray(a, dtype=np.complex128)
    if shift_in:
        a = xp.fft.fftshift(a, axes=(0,))
    x = xp.fft.irfft2(a, s=(M, 2 * (No2p1 - 1)))
    if shift_out:
        x = xp.fft.fftshift(x)
    return x
