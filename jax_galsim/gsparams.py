"""`GSParams`: the numerical speed/accuracy settings of a profile.

JAX notes: a `GSParams` is a pytree with no leaves; all of its values are static
(hashable Python numbers), since they decide FFT sizes, table spacings and other
structure that must be fixed at trace time.
"""

import warnings

from .core.pytree import Pytree
from .errors import GalSimDeprecationWarning

__all__ = ["GSParams"]

# (name, converter, default), in GalSim's positional order.
_FIELDS = (
    ("minimum_fft_size", int, 128),
    ("maximum_fft_size", int, 8192),
    ("folding_threshold", float, 5.0e-3),
    ("stepk_minimum_hlr", float, 5),
    ("maxk_threshold", float, 1.0e-3),
    ("kvalue_accuracy", float, 1.0e-5),
    ("xvalue_accuracy", float, 1.0e-5),
    ("table_spacing", int, 1),
    ("realspace_relerr", float, 1.0e-4),
    ("realspace_abserr", float, 1.0e-6),
    ("integration_relerr", float, 1.0e-6),
    ("integration_abserr", float, 1.0e-8),
    ("shoot_accuracy", float, 1.0e-5),
)
_NAMES = tuple(name for name, _, _ in _FIELDS)
# For GSParams.combine: whether larger (max) or smaller (min) is more restrictive.
_COMBINE_WITH_MAX = {"minimum_fft_size", "maximum_fft_size", "stepk_minimum_hlr"}

# Parameters GalSim still accepts but no longer uses (deprecated since 2.1).
_UNUSED_DEFAULTS = {
    "allowed_flux_variation": 0.81,
    "range_division_for_extrema": 32,
    "small_fraction_of_flux": 1.0e-4,
}


class GSParams(Pytree):
    """Numbers that trade speed for accuracy when drawing a `GSObject`.

    Parameters:
        minimum_fft_size:   Smallest FFT side length (pixels) used [default: 128].
        maximum_fft_size:   Largest FFT side length allowed; larger raises (or warns,
                            see `GalSimFFTSizeError`) [default: 8192].
        folding_threshold:  Fraction of flux allowed to alias (fold) in real space;
                            sets the k-space sampling ``stepk`` [default: 5e-3].
        stepk_minimum_hlr:  ``stepk`` is at most pi/(this times the half-light
                            radius) [default: 5].
        maxk_threshold:     Fourier amplitude (relative to flux) below which k-space is
                            truncated; sets ``maxk`` [default: 1e-3].
        kvalue_accuracy:    Accuracy of k-space values, relative to flux
                            [default: 1e-5].
        xvalue_accuracy:    Accuracy of real-space values, relative to flux
                            [default: 1e-5].
        table_spacing:      Lookup-table refinement factor (spacing divided by this)
                            [default: 1].
        realspace_relerr:   Relative accuracy of real-space convolution integrals
                            [default: 1e-4].
        realspace_abserr:   Absolute accuracy of real-space convolution integrals,
                            relative to flux [default: 1e-6].
        integration_relerr: Relative accuracy of other numerical integrals
                            [default: 1e-6].
        integration_abserr: Absolute accuracy of other numerical integrals, relative to
                            flux [default: 1e-8].
        shoot_accuracy:     Accuracy of photon-shooting sampling tables, relative to
                            flux [default: 1e-5].

    ``allowed_flux_variation``, ``range_division_for_extrema`` and
    ``small_fraction_of_flux`` are accepted for compatibility; giving a non-default
    value emits a `GalSimDeprecationWarning` (they have no effect, as in GalSim).

    Instances are immutable and hashable; use `withParams` for a modified copy.
    ``GSParams.default`` is the all-defaults instance.
    """

    _leaves = ()
    _static = tuple("_" + name for name in _NAMES)

    def __init__(
        self,
        minimum_fft_size=128,
        maximum_fft_size=8192,
        folding_threshold=5.0e-3,
        stepk_minimum_hlr=5,
        maxk_threshold=1.0e-3,
        kvalue_accuracy=1.0e-5,
        xvalue_accuracy=1.0e-5,
        table_spacing=1,
        realspace_relerr=1.0e-4,
        realspace_abserr=1.0e-6,
        integration_relerr=1.0e-6,
        integration_abserr=1.0e-8,
        shoot_accuracy=1.0e-5,
        allowed_flux_variation=0.81,
        range_division_for_extrema=32,
        small_fraction_of_flux=1.0e-4,
    ):
        given = locals()
        for name, conv, _ in _FIELDS:
            object.__setattr__(self, "_" + name, conv(given[name]))
        for name, default in _UNUSED_DEFAULTS.items():
            if given[name] != default:
                warnings.warn(
                    "%s has been deprecated since GalSim version 2.1.  "
                    "This parameter is no longer used." % name,
                    GalSimDeprecationWarning,
                )

    # Read-only accessors.
    minimum_fft_size = property(lambda self: self._minimum_fft_size)
    maximum_fft_size = property(lambda self: self._maximum_fft_size)
    folding_threshold = property(lambda self: self._folding_threshold)
    stepk_minimum_hlr = property(lambda self: self._stepk_minimum_hlr)
    maxk_threshold = property(lambda self: self._maxk_threshold)
    kvalue_accuracy = property(lambda self: self._kvalue_accuracy)
    xvalue_accuracy = property(lambda self: self._xvalue_accuracy)
    table_spacing = property(lambda self: self._table_spacing)
    realspace_relerr = property(lambda self: self._realspace_relerr)
    realspace_abserr = property(lambda self: self._realspace_abserr)
    integration_relerr = property(lambda self: self._integration_relerr)
    integration_abserr = property(lambda self: self._integration_abserr)
    shoot_accuracy = property(lambda self: self._shoot_accuracy)

    @staticmethod
    def check(gsparams, default=None, **kwargs):
        """``gsparams`` (or ``default``, or `GSParams.default` if both are None) with
        the keyword changes of `withParams` applied.  Raises TypeError if ``gsparams``
        is neither None nor a `GSParams`."""
        if gsparams is None:
            gsparams = default if default is not None else GSParams.default
        elif not isinstance(gsparams, GSParams):
            raise TypeError("Invalid GSParams: %s" % (gsparams,))
        return gsparams.withParams(**kwargs)

    def withParams(self, **kwargs):
        """A copy with the given parameters changed (``self`` if none are given).
        An unknown name raises TypeError."""
        if not kwargs:
            return self
        for k in kwargs:
            if k not in _NAMES:
                raise TypeError("parameter %s is invalid" % k)
        args = dict(zip(_NAMES, self._getinitargs()))
        args.update(kwargs)
        return GSParams(**args)

    @staticmethod
    def combine(gsp_list):
        """The most restrictive combination of a list of `GSParams`: the larger FFT
        size limits and ``stepk_minimum_hlr``, and the smaller of every threshold and
        accuracy.  Returns the first entry if all are equal."""
        if len(gsp_list) == 1:
            return gsp_list[0]
        if all(g == gsp_list[0] for g in gsp_list[1:]):
            return gsp_list[0]
        gsps = [g for g in gsp_list if g is not None]
        args = [
            (max if name in _COMBINE_WITH_MAX else min)(getattr(g, name) for g in gsps)
            for name in _NAMES
        ]
        return GSParams(*args)

    def _getinitargs(self):
        return tuple(getattr(self, "_" + name) for name in _NAMES)

    def __setattr__(self, name, value):
        raise AttributeError("GSParams is immutable; use withParams to make a modified copy.")

    def __delattr__(self, name):
        raise AttributeError("GSParams is immutable.")

    def __getstate__(self):
        return self._getinitargs()

    def __setstate__(self, state):
        for name, value in zip(_NAMES, state):
            object.__setattr__(self, "_" + name, value)

    def _key(self):
        return self._getinitargs()

    def __eq__(self, other):
        return self is other or (isinstance(other, GSParams) and self._getinitargs() == other._getinitargs())

    def __hash__(self):
        return hash(("galsim.GSParams", self._getinitargs()))

    def __repr__(self):
        return "galsim.GSParams(%d,%d,%r,%r,%r,%r,%r,%d,%r,%r,%r,%r,%r)" % self._getinitargs()


GSParams.default = GSParams()
