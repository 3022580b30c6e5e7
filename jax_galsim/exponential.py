"""The Exponential profile."""

import math

import numpy as np

from .core.backend import as_scalar
from .errors import GalSimIncompatibleValuesError
from .gsobject import GSObject, _out

__all__ = ["Exponential"]


def _stepk_r(gsparams):
    """Radius (in units of r0) enclosing all but folding_threshold of the flux, at least
    stepk_minimum_hlr half-light radii (solves (1+R) exp(-R) = folding_threshold)."""
    logx = math.log(gsparams.folding_threshold)
    R = -logx
    for _ in range(3):
        R = math.log(1.0 + R) - logx
    return max(R, gsparams.stepk_minimum_hlr * Exponential._hlr_factor)


class Exponential(GSObject):
    r"""An exponential profile, :math:`I(r) = \frac{F}{2\pi r_0^2} e^{-r / r_0}`.

    Parameters:
        half_light_radius: The half-light radius (world units).
        scale_radius:      The scale radius :math:`r_0` (world units).
                           [Exactly one of ``scale_radius`` or ``half_light_radius``.]
        flux:              The total flux. [default: 1]
        gsparams:          An optional `GSParams`.
    """

    _params = ("scale_radius", "flux")
    _opt_params = {"flux": float}
    _single_params = [{"scale_radius": float, "half_light_radius": float}]

    _hlr_factor = 1.6783469900166605
    _one_third = 1.0 / 3.0
    _inv_twopi = 0.15915494309189535

    _has_hard_edges = False
    _is_axisymmetric = True
    _is_analytic_x = True
    _is_analytic_k = True

    def __init__(self, half_light_radius=None, scale_radius=None, flux=1.0, gsparams=None):
        from .gsparams import GSParams
        if half_light_radius is not None:
            if scale_radius is not None:
                raise GalSimIncompatibleValuesError(
                    "Only one of scale_radius and half_light_radius may be specified",
                    half_light_radius=half_light_radius, scale_radius=scale_radius)
            scale_radius = half_light_radius / Exponential._hlr_factor
        elif scale_radius is None:
            raise GalSimIncompatibleValuesError(
                "Either scale_radius or half_light_radius must be specified",
                half_light_radius=half_light_radius, scale_radius=scale_radius)
        self._scale_radius = as_scalar(scale_radius)
        self._flux = as_scalar(flux)
        self._gsparams = GSParams.check(gsparams)

    @property
    def scale_radius(self):
        """The scale radius of the profile."""
        return _out(self._scale_radius)

    @property
    def half_light_radius(self):
        """The half-light radius of the profile."""
        return _out(self._scale_radius * Exponential._hlr_factor)

    @property
    def _r0(self):
        return self._scale_radius

    @property
    def _norm(self):
        return self._flux * Exponential._inv_twopi / self._r0 ** 2

    @property
    def _maxk(self):
        return (self.gsparams.maxk_threshold ** -Exponential._one_third) / self._r0

    @property
    def _stepk(self):
        return (math.pi / _stepk_r(self.gsparams)) / self._r0

    @property
    def _max_sb(self):
        return self._norm

    def _xValue_array(self, x, y):
        xp = self._xp_for(x, y)
        rsq = x * x + y * y
        # safe sqrt: finite gradients when a sample sits on the centre
        r = xp.where(rsq > 0, xp.sqrt(xp.where(rsq > 0, rsq, 1.0)), 0.0)
        return self._norm * xp.exp(-r / self._r0)

    def _kValue_real(self, kx, ky):
        return self._kValue_ksq(kx * kx + ky * ky)

    def _kValue_ksq(self, ksq):
        xp = self._xp_for(ksq)
        ksqp1 = ksq * self._r0 ** 2 + 1.0
        return self._flux / (ksqp1 * xp.sqrt(ksqp1))

    def withFlux(self, flux):
        return Exponential(scale_radius=self._scale_radius, flux=flux, gsparams=self.gsparams)

    def _shoot(self, photons, rng):
        # Inverse of the enclosed-flux fraction 1 - (1 + r) exp(-r), uniform azimuth.
        from .core.shoot import exponential_radius
        self._shoot_radial(photons, rng, exponential_radius, self._r0)
