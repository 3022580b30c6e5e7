"""Choosing FFT sizes for drawing a profile.

Concrete parameters
    Exactly GalSim's rule (``GSObject.drawFFT_makeKImage``): the real-space period ``N``
    is the profile's good image size (from ``stepk``), at least twice the largest
    absolute pixel coordinate of the target image and its largest dimension, rounded up
    by :func:`good_fft_size` and raised to ``gsparams.minimum_fft_size``.  With
    ``dk = 2 pi / (N scale)``, the k-space grid extends to ``maxk``: ``Nk = N`` if
    ``N dk / 2 > maxk``, else ``Nk = 2 ceil(maxk / dk)`` (then wrapped back to ``N``).

Traced parameters (inside ``jit``/``grad``/``vmap``)
    Array shapes must be static, so ``N`` is taken from static data only::

        N_static = max(gsparams.minimum_fft_size, good_fft_size(image_N))

    where ``image_N`` is the target-image term above (it depends on the image bounds
    only).  This is GalSim's ``N`` whenever the profile's own good image size
    (``2 pi / (scale stepk)``) fits in ``N_static`` (true for any profile whose 99.5%
    flux radius fits in the stamp, or in the 128-pixel default minimum).  GalSim's
    ``Nk`` is computed at run time from the traced ``maxk``, and a ``lax.cond`` picks
    one of two static k grids (:func:`jax_galsim.core.draw.draw_fft_array`):

    * ``Nk <= N`` (the profile is sampled at or above Nyquist, the usual case of a
      PSF-convolved galaxy): the ``N``-point half-plane grid, nothing to fold --
      exactly GalSim's k image;
    * otherwise: a grid of ``K_FACTOR * N_static`` points (static, default 2), masked at
      ``Nk`` and folded onto ``N`` -- GalSim's k image whenever
      ``Nk <= K_FACTOR * N_static`` (``maxk`` up to ``K_FACTOR * pi`` per pixel).

    Under ``vmap`` the choice is made once for the batch (the larger grid if any stamp
    needs it; both grids give the same image for a stamp that needs no folding).  Users
    can raise both caps through ``GSParams.minimum_fft_size`` (static).
"""

import math

import numpy as np

__all__ = ["good_fft_size", "good_image_size", "image_fft_span", "K_FACTOR"]

#: How many times the real-space period ``N`` the traced k-grid spans (static).
K_FACTOR = 2


def good_fft_size(input_size):
    """The smallest ``2**n`` or ``3 * 2**n`` (even, at least 2) not below ``input_size``.

    Same numbers as ``galsim.Image.good_fft_size`` (including its slight downward slop
    against rounding)."""
    input_size = int(input_size)
    if input_size <= 2:
        return 2
    insize = (1.0 - 1.0e-5) * input_size
    log2n = math.log(2.0) * math.ceil(math.log(insize) / math.log(2.0))
    log2n3 = math.log(3.0) + math.log(2.0) * math.ceil((math.log(insize) - math.log(3.0)) / math.log(2.0))
    log2n3 = max(log2n3, math.log(6.0))
    return int(math.ceil(math.exp(min(log2n, log2n3)) - 1.0e-5))


def good_image_size(stepk, pixel_scale):
    """GalSim's ``getGoodImageSize``: an even N with ``N * pixel_scale >= 2 pi / stepk``."""
    nd = 2.0 * math.pi / (pixel_scale * stepk)
    n = int(math.ceil(nd * (1.0 - 1.0e-12)))
    return 2 * ((n + 1) // 2)


def image_fft_span(xmin, xmax, ymin, ymax):
    """The size an FFT must have to cover image bounds centred on pixel (0, 0)."""
    return max(max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) * 2, xmax - xmin + 1, ymax - ymin + 1)
