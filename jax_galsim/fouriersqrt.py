"""The Fourier-space square root of a profile."""


from .convolve import _Wrapper
from .gsobject import GSObject, _cout

__all__ = ["FourierSqrt", "FourierSqrtProfile"]


def FourierSqrt(obj, gsparams=None, propagate_gsparams=True):
    """The Fourier-space square root of a `GSObject`; returns a `FourierSqrtProfile`."""
    if isinstance(obj, GSObject):
        return FourierSqrtProfile(obj, gsparams=gsparams, propagate_gsparams=propagate_gsparams)
    raise TypeError("Argument to FourierSqrt must be either a GSObject or a ChromaticObject.")


class FourierSqrtProfile(_Wrapper):
    """The profile whose Fourier transform is the (principal) square root of another's,
    so that its auto-convolution gives back the original.

    Normally made by `FourierSqrt`.  Not analytic in real space; cannot be photon shot.

    Parameters:
        obj:                The object to take the Fourier square root of.
        gsparams:           An optional `GSParams` (default: the object's).
        propagate_gsparams: Whether to apply gsparams to the object. [default: True]

    JAX notes: the wrapped profile is a pytree leaf.
    """

    _sqrt2 = 1.4142135623730951
    _has_hard_edges = False
    _is_analytic_x = False

    def __init__(self, obj, gsparams=None, propagate_gsparams=True):
        self._init_wrapper(obj, gsparams, propagate_gsparams, "FourierSqrtProfile")

    def __str__(self):
        return "galsim.FourierSqrt(%s)" % self._orig_obj

    @property
    def _maxk(self):
        return self._orig_obj._maxk

    @property
    def _stepk(self):
        return self._orig_obj._stepk * self._sqrt2

    @property
    def _is_axisymmetric(self):
        return self._orig_obj.is_axisymmetric

    @property
    def _is_analytic_k(self):
        return self._orig_obj.is_analytic_k

    @property
    def _centroid(self):
        return 0.5 * self._orig_obj.centroid

    def _sqrt(self, v):
        return self._xp_for(v).sqrt(v)

    @property
    def _flux(self):
        return self._sqrt(self._orig_obj._flux)

    @property
    def _positive_flux(self):
        return self._sqrt(self._orig_obj._positive_flux)

    @property
    def _negative_flux(self):
        return self._sqrt(self._orig_obj._negative_flux)

    @property
    def _max_sb(self):
        return 2.0 * self._orig_obj._max_sb / self._flux

    _xValue = _Wrapper._no_xvalue

    def _kValue(self, kpos):
        kval = self._orig_obj._kValue(kpos)
        return _cout(self._xp_for(kval).sqrt(kval + 0j))

    def _kValue_array(self, kx, ky):
        kval = self._orig_obj._kValue_array(kx, ky)
        xp = self._xp_for(kval)
        return xp.sqrt(xp.asarray(kval) + 0j)
