"""The Gaussian profile."""

import numpy as np

from .core.backend import as_scalar, computed_once, is_traced, outer_grid
from .errors import GalSimIncompatibleValuesError
from .gsobject import GSObject, _out

__all__ = ["Gaussian"]


class Gaussian(GSObject):
    r"""A 2D Gaussian surface brightness profile,
    :math:`I(r) = \frac{F}{2\pi\sigma^2} e^{-r^2 / 2\sigma^2}`.

    Parameters:
        half_light_radius: The half-light radius (world units, e.g. arcsec).
        sigma:             The standard deviation (world units).
        fwhm:              The full width at half maximum (world units).
                           [Exactly one of ``sigma``, ``fwhm`` or ``half_light_radius``.]
        flux:              The total flux (photons/cm^2/s). [default: 1]
        gsparams:          An optional `GSParams`.
    """

    _params = ("sigma", "flux")
    _opt_params = {"flux": float}
    _single_params = [{"sigma": float, "half_light_radius": float, "fwhm": float}]

    _fwhm_factor = 2.3548200450309493
    _hlr_factor = 1.1774100225154747
    _inv_twopi = 0.15915494309189535

    _has_hard_edges = False
    _is_axisymmetric = True
    _is_analytic_x = True
    _is_analytic_k = True

    def __init__(self, half_light_radius=None, sigma=None, fwhm=None, flux=1.0, gsparams=None):
        from .gsparams import GSParams
        if fwhm is not None:
            if sigma is not None or half_light_radius is not None:
                raise GalSimIncompatibleValuesError(
                    "Only one of sigma, fwhm, and half_light_radius may be specified",
                    fwhm=fwhm, sigma=sigma, half_light_radius=half_light_radius)
            sigma = fwhm / Gaussian._fwhm_factor
        elif half_light_radius is not None:
            if sigma is not None:
                raise GalSimIncompatibleValuesError(
                    "Only one of sigma, fwhm, and half_light_radius may be specified",
                    fwhm=fwhm, sigma=sigma, half_light_radius=half_light_radius)
            sigma = half_light_radius / Gaussian._hlr_factor
        elif sigma is None:
            raise GalSimIncompatibleValuesError(
                "One of sigma, fwhm, and half_light_radius must be specified",
                fwhm=fwhm, sigma=sigma, half_light_radius=half_light_radius)
        self._sigma = as_scalar(sigma)
        self._flux = as_scalar(flux)
        self._gsparams = GSParams.check(gsparams)

    @property
    def sigma(self):
        """The sigma of this Gaussian profile."""
        return _out(self._sigma)

    @property
    def half_light_radius(self):
        """The half-light radius of this Gaussian profile."""
        return _out(self._sigma * Gaussian._hlr_factor)

    @property
    def fwhm(self):
        """The FWHM of this Gaussian profile."""
        return _out(self._sigma * Gaussian._fwhm_factor)

    @property
    def _norm(self):
        return self._flux / (self._sigma ** 2) * Gaussian._inv_twopi

    @property
    def _maxk(self):
        return np.sqrt(-2.0 * np.log(self.gsparams.maxk_threshold)) / self._sigma

    @property
    def _stepk(self):
        R = max(np.sqrt(-2.0 * np.log(self.gsparams.folding_threshold)),
                self.gsparams.stepk_minimum_hlr * Gaussian._hlr_factor)
        return np.pi / (R * self._sigma)

    @property
    def _max_sb(self):
        return self._norm

    def _xValue_array(self, x, y):
        xp = self._xp_for(x, y)
        rsq = x * x + y * y
        return self._norm * xp.exp(-0.5 * rsq / (self._sigma ** 2))

    def _kValue_real(self, kx, ky):
        if outer_grid(kx, ky):
            # a grid row times a column: the Gaussian separates (R + C exponentials)
            xp = self._xp_for(kx, ky)
            c = -0.5 * self._sigma ** 2
            # (each factor computed once, not per grid point: computed_once)
            return self._flux * (computed_once(xp.exp(c * (kx * kx))) *
                                 computed_once(xp.exp(c * (ky * ky))))
        return self._kValue_ksq(kx * kx + ky * ky)

    def _kValue_ksq(self, ksq):
        xp = self._xp_for(ksq)
        return self._flux * xp.exp((-0.5 * self._sigma ** 2) * ksq)

    def withFlux(self, flux):
        return Gaussian(sigma=self._sigma, flux=flux, gsparams=self.gsparams)

    def _shoot(self, photons, rng):
        # Box-Muller radial map with a uniform azimuth.
        from .core.shoot import gaussian_radius
        self._shoot_radial(photons, rng, gaussian_radius, self._sigma,
                           polar_map=lambda rsq: np.sqrt(-2.0 * np.log(rsq) / rsq))
