"""The DeltaFunction profile."""

from .core.backend import as_scalar
from .gsobject import GSObject, _out

__all__ = ["DeltaFunction"]


class DeltaFunction(GSObject):
    """A point source with total ``flux`` (photons/cm^2/s).  Its Fourier transform is the
    constant ``flux``; it cannot be drawn in real space on its own."""

    _params = ("flux",)
    _opt_params = {"flux": float}
    _mock_inf = 1.0e300

    _has_hard_edges = False
    _is_axisymmetric = True
    _is_analytic_x = False
    _is_analytic_k = True

    def __init__(self, flux=1.0, gsparams=None):
        from .gsparams import GSParams
        self._flux = as_scalar(flux)
        self._gsparams = GSParams.check(gsparams)

    @property
    def _maxk(self):
        return DeltaFunction._mock_inf

    @property
    def _stepk(self):
        return DeltaFunction._mock_inf

    @property
    def _max_sb(self):
        return DeltaFunction._mock_inf

    def _xValue(self, pos):
        if pos.x == 0.0 and pos.y == 0.0:
            return DeltaFunction._mock_inf
        return 0.0

    def _kValue_real(self, kx, ky):
        xp = self._xp_for(kx, ky)
        return self._flux * xp.ones_like(kx * ky)

    def withFlux(self, flux):
        return DeltaFunction(flux=flux, gsparams=self.gsparams)

    def _shoot(self, photons, rng):
        # All photons at the origin.
        n = len(photons)
        photons.x = 0.0
        photons.y = 0.0
        photons.flux = self._flux / n
