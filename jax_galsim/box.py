"""Box, Pixel and TopHat profiles."""

import numpy as np

from .core.backend import as_scalar, computed_once, outer_grid
from .core import special as _special
from .gsobject import GSObject, _out, _concrete

__all__ = ["Box", "Pixel", "TopHat"]


class Box(GSObject):
    """A rectangular top-hat profile of the given ``width`` and ``height`` (world units),
    with total ``flux``.

    JAX notes: width, height and flux are traceable; the value of the profile is
    piecewise constant, so its gradient with respect to the size comes only through
    the flux normalisation when drawn in real space (use FFT drawing for smooth
    gradients)."""

    _params = ("width", "height", "flux")
    _req_params = {"width": float, "height": float}
    _opt_params = {"flux": float}

    _has_hard_edges = True
    _is_axisymmetric = False
    _is_analytic_x = True
    _is_analytic_k = True

    def __init__(self, width, height, flux=1.0, gsparams=None):
        from .gsparams import GSParams
        self._width = as_scalar(width)
        self._height = as_scalar(height)
        self._flux = as_scalar(flux)
        self._gsparams = GSParams.check(gsparams)

    @property
    def width(self):
        """The width of the `Box`."""
        return _out(self._width)

    @property
    def height(self):
        """The height of the `Box`."""
        return _out(self._height)

    @property
    def _norm(self):
        return self._flux / (self._width * self._height)

    @property
    def _maxk(self):
        xp = self._xp
        return 2.0 / (self.gsparams.maxk_threshold * xp.minimum(self._width, self._height))

    @property
    def _stepk(self):
        xp = self._xp
        return np.pi / xp.maximum(self._width, self._height)

    @property
    def _max_sb(self):
        return self._norm

    def _xValue(self, pos):
        xp = self._xp_for(pos.x, pos.y)
        inside = (2.0 * xp.abs(pos.x) < self._width) & (2.0 * xp.abs(pos.y) < self._height)
        return _out(xp.where(inside, self._norm, 0.0))

    def _xValue_array(self, x, y):
        # GalSim fills pixels with -w/2 <= x < w/2 (and likewise in y).
        xp = self._xp_for(x, y)
        hw, hh = 0.5 * self._width, 0.5 * self._height
        inside = (x >= -hw) & (x < hw) & (y >= -hh) & (y < hh)
        return xp.where(inside, self._norm, 0.0)

    def _kValue_real(self, kx, ky):
        xp = self._xp_for(kx, ky)
        # on a grid, each factor is computed once rather than per point (computed_once)
        once = computed_once if outer_grid(kx, ky) else (lambda v: v)
        return self._flux * once(xp.sinc(kx * self._width / (2 * np.pi))) * \
            once(xp.sinc(ky * self._height / (2 * np.pi)))

    def withFlux(self, flux):
        return Box(width=self._width, height=self._height, flux=flux, gsparams=self.gsparams)

    def _shoot(self, photons, rng):
        # Uniform over the rectangle.
        from .core.shoot import photon_rng
        r = photon_rng(rng)
        n = len(photons)
        u = r.uniform(2 * n)
        # Interleaved per photon, y's uniform first, as in GalSim's compiled code.
        photons.x = self._width * (u[1::2] - 0.5)
        photons.y = self._height * (u[0::2] - 0.5)
        photons.flux = self._flux / n


class Pixel(Box):
    """A square top-hat of side ``scale`` (world units): the pixel response.

    Parameters:
        scale:    The linear size of the pixel.
        flux:     The flux. [default: 1]
        gsparams: An optional `GSParams`."""

    _params = ("scale", "flux")
    _req_params = {"scale": float}

    def __init__(self, scale, flux=1.0, gsparams=None):
        from .gsparams import GSParams
        self._scale = as_scalar(scale)
        self._flux = as_scalar(flux)
        self._gsparams = GSParams.check(gsparams)

    @property
    def _width(self):
        return self._scale

    @property
    def _height(self):
        return self._scale

    @property
    def scale(self):
        """The linear scale size of the `Pixel`."""
        return _out(self._scale)

    def withFlux(self, flux):
        return Pixel(scale=self._scale, flux=flux, gsparams=self.gsparams)


class TopHat(GSObject):
    """A circular top-hat profile of the given ``radius`` (world units) and ``flux``."""

    _params = ("radius", "flux")
    _req_params = {"radius": float}
    _opt_params = {"flux": float}

    _has_hard_edges = True
    _is_axisymmetric = True
    _is_analytic_x = True
    _is_analytic_k = True

    def __init__(self, radius, flux=1.0, gsparams=None):
        from .gsparams import GSParams
        self._radius = as_scalar(radius)
        self._flux = as_scalar(flux)
        self._gsparams = GSParams.check(gsparams)

    @property
    def radius(self):
        """The radius of the `TopHat` profile."""
        return _out(self._radius)

    @property
    def _norm(self):
        return self._flux / (np.pi * self._radius ** 2)

    @property
    def _maxk(self):
        return (2.0 * np.sqrt(2.0 / np.pi) / self.gsparams.maxk_threshold) ** (2.0 / 3.0) / self._radius

    @property
    def _stepk(self):
        return np.pi / self._radius

    @property
    def _max_sb(self):
        return self._norm

    def _xValue_array(self, x, y):
        xp = self._xp_for(x, y)
        return xp.where(x * x + y * y < self._radius ** 2, self._norm, 0.0)

    def _kValue_real(self, kx, ky):
        return self._kValue_ksq(kx * kx + ky * ky)

    def _kValue_ksq(self, ksq):
        xp = self._xp_for(ksq)
        kr0sq = ksq * self._radius ** 2
        small = kr0sq < 1.0e-4
        safe = xp.where(small, 1.0, kr0sq)
        kr0 = xp.sqrt(safe)
        big = 2.0 * _special.j1(kr0) / kr0
        series = 1.0 - kr0sq * ((1.0 / 8.0) + (1.0 / 192.0) * kr0sq)
        return self._flux * xp.where(small, series, big)

    def withFlux(self, flux):
        return TopHat(radius=self._radius, flux=flux, gsparams=self.gsparams)

    def _shoot(self, photons, rng):
        # Uniform over the disk: r = R sqrt(u).
        self._shoot_radial(photons, rng, lambda u, xp: xp.sqrt(u), self._radius,
                           polar_map=lambda rsq: 1.0, reject_zero=False)
