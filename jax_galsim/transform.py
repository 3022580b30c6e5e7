"""Affine transformations of profiles: Jacobian, shift and flux ratio."""

import math

import numpy as np

from .core.backend import is_traced, xp as _xp_of, as_scalar
from .errors import GalSimError, GalSimNotImplementedError
from .gsobject import GSObject, _out, _concrete
from .position import PositionD, _PositionD

__all__ = ["Transform", "Transformation", "_Transform"]


def Transform(obj, jac=None, offset=(0.0, 0.0), flux_ratio=1.0, gsparams=None,
              propagate_gsparams=True):
    """Transform a `GSObject`: ``jac = (dudx, dudy, dvdx, dvdy)`` (None for the unit
    matrix), then shift by ``offset``; the surface brightness is multiplied by
    ``flux_ratio`` (the flux by ``|det(jac)| * flux_ratio``).  Returns a
    `Transformation`."""
    if not isinstance(obj, GSObject):
        raise TypeError("Argument to Transform must be a GSObject.")
    if hasattr(jac, "__call__") or hasattr(offset, "__call__") or hasattr(flux_ratio, "__call__"):
        raise GalSimNotImplementedError(
            "Transform with a callable jac, offset or flux_ratio makes a "
            "ChromaticTransformation in GalSim; chromatic objects are not implemented in "
            "jax_galsim yet.")
    return Transformation(obj, jac, offset, flux_ratio, gsparams, propagate_gsparams)


def _as_jac(jac):
    if jac is None:
        return None
    if is_traced(jac) or any(is_traced(j) for j in (jac if isinstance(jac, (list, tuple)) else [])):
        import jax.numpy as jnp
        if isinstance(jac, (list, tuple)):
            jac = jnp.stack([jnp.asarray(j, dtype=float) for j in jac])
        return jnp.asarray(jac, dtype=float).reshape(2, 2)
    import jax
    if isinstance(jac, jax.Array):
        return jac.astype(float).reshape(2, 2)
    return np.asarray(jac, dtype=float).reshape(2, 2)


class Transformation(GSObject):
    """A profile transformed by a Jacobian, a shift and a flux ratio.

    Normally made by `GSObject` methods (``shear``, ``dilate``, ``shift``, ...) or the
    `Transform` function.  In world coordinates (u, v) of the new profile,
    ``(u, v) = jac (x, y) + offset`` for coordinates (x, y) of the original.

    Parameters:
        obj:          The original `GSObject`.
        jac:          (dudx, dudy, dvdx, dvdy) or a 2x2 matrix; None for the unit matrix.
        offset:       The shift (a `PositionD` or tuple). [default: (0, 0)]
        flux_ratio:   Factor multiplying the surface brightness. [default: 1]
        gsparams, propagate_gsparams: as for other composite profiles.

    JAX notes: the original profile, the Jacobian, the offset and the flux ratio are
    pytree leaves (traceable); whether a Jacobian is present is static.
    """

    _leaves = ("_original", "_jac", "_dx", "_dy", "_flux_ratio")
    _static = ("_gsparams", "_propagate_gsparams")

    unit_jac = np.array([[1, 0], [0, 1]], dtype=float)

    def __init__(self, obj, jac=None, offset=(0.0, 0.0), flux_ratio=1.0,
                 gsparams=None, propagate_gsparams=True):
        from .gsparams import GSParams
        self._jac = _as_jac(jac)
        offset = PositionD(offset)
        self._dx = offset.x
        self._dy = offset.y
        self._flux_ratio = as_scalar(flux_ratio)
        self._gsparams = GSParams.check(gsparams, obj.gsparams)
        self._propagate_gsparams = propagate_gsparams
        if self._propagate_gsparams:
            obj = obj.withGSParams(self._gsparams)
        self._combine(obj)
        if _concrete(self._jac) and self._jac is not None and self._det == 0.0:
            raise GalSimError("Attempt to Transform with degenerate matrix")

    def _combine(self, obj):
        if isinstance(obj, Transformation):
            if obj._has_offset:
                if self._jac is None:
                    dx1, dy1 = obj._dx, obj._dy
                else:
                    dx1, dy1 = self._fwd(obj._dx, obj._dy)
                self._dx = self._dx + dx1
                self._dy = self._dy + dy1
            if self._jac is None:
                self._jac = obj._jac
            elif obj._jac is not None:
                self._jac = self._jac @ obj._jac
            self._flux_ratio = self._flux_ratio * obj._flux_ratio
            self._original = obj._original
        else:
            self._original = obj

    # ---- attributes
    @property
    def original(self):
        """The original object being transformed."""
        return self._original

    @property
    def jac(self):
        """The Jacobian matrix of the transformation (2x2)."""
        return self.unit_jac if self._jac is None else self._jac

    @property
    def offset(self):
        """The shift of the transformation."""
        return _PositionD(self._dx, self._dy)

    @property
    def flux_ratio(self):
        """The flux ratio of the transformation."""
        return _out(self._flux_ratio)

    @property
    def _has_offset(self):
        if not _concrete(self._dx, self._dy):
            return True
        return self._dx != 0.0 or self._dy != 0.0

    @property
    def _det(self):
        if self._jac is None:
            return 1.0
        j = self._jac
        return j[0, 0] * j[1, 1] - j[0, 1] * j[1, 0]

    @property
    def _flux_scaling(self):
        xp = _xp_of(self._det, self._flux_ratio)
        return xp.abs(self._det) * self._flux_ratio

    @property
    def _flux(self):
        return self._flux_scaling * self._original._flux

    def _fwd(self, x, y):
        if self._jac is None:
            return x, y
        j = self._jac
        return j[0, 0] * x + j[0, 1] * y, j[1, 0] * x + j[1, 1] * y

    def _fwdT(self, x, y):
        if self._jac is None:
            return x, y
        j = self._jac
        return j[0, 0] * x + j[1, 0] * y, j[0, 1] * x + j[1, 1] * y

    def _inv(self, x, y):
        if self._jac is None:
            return x, y
        j = self._jac
        d = self._det
        return (j[1, 1] * x - j[0, 1] * y) / d, (-j[1, 0] * x + j[0, 0] * y) / d

    def _major_minor(self):
        if self._jac is None:
            return 1.0, 1.0
        j = self._jac
        xp = _xp_of(j)
        h1 = xp.hypot(j[0, 0] + j[1, 1], j[0, 1] - j[1, 0])
        h2 = xp.hypot(j[0, 0] - j[1, 1], j[0, 1] + j[1, 0])
        return 0.5 * abs(h1 + h2), 0.5 * abs(h1 - h2)

    @property
    def _maxk(self):
        major, minor = self._major_minor()
        return self._original._maxk / minor

    @property
    def _stepk(self):
        major, minor = self._major_minor()
        stepk = self._original._stepk / major
        if self._has_offset:
            xp = _xp_of(self._dx, self._dy)
            dr = xp.hypot(self._dx, self._dy)
            stepk = np.pi / (np.pi / stepk + dr)
        return stepk

    @property
    def _has_hard_edges(self):
        return self._original.has_hard_edges

    @property
    def _is_axisymmetric(self):
        if not self._original.is_axisymmetric:
            return False
        if not _concrete(self._jac, self._dx, self._dy):
            return False
        j = self._jac
        return bool((j is None or (j[0, 0] == j[1, 1] and j[0, 1] == -j[1, 0]))
                    and self._dx == 0.0 and self._dy == 0.0)

    @property
    def _is_analytic_x(self):
        return self._original.is_analytic_x

    @property
    def _is_analytic_k(self):
        return self._original.is_analytic_k

    @property
    def _centroid(self):
        cen = self._original.centroid
        x, y = self._fwd(cen.x, cen.y)
        return _PositionD(x + self._dx, y + self._dy)

    @property
    def _positive_flux(self):
        return self._flux_scaling * self._original._positive_flux

    @property
    def _negative_flux(self):
        return self._flux_scaling * self._original._negative_flux

    def _shoot(self, photons, rng):
        # Shoot the original, then apply the jacobian, the offset and the flux scaling.
        from .core.shoot import photon_rng
        self._original._shoot(photons, photon_rng(rng))
        x, y = self._fwd(photons.x, photons.y)
        photons.x = x + self._dx
        photons.y = y + self._dy
        photons.scaleFlux(self._flux_scaling)

    @property
    def _max_sb(self):
        return self._flux_ratio * self._original._max_sb

    def _xValue(self, pos):
        x, y = self._inv(pos.x - self._dx, pos.y - self._dy)
        return _out(self._original._xValue(_PositionD(x, y)) * self._flux_ratio)

    def _xValue_array(self, x, y):
        xi, yi = self._inv(x - self._dx, y - self._dy)
        return self._original._xValue_array(xi, yi) * self._flux_ratio

    def _kValue_array(self, kx, ky):
        kxt, kyt = self._fwdT(kx, ky)
        val = self._original._kValue_array(kxt, kyt) * self._flux_scaling
        if self._has_offset:
            xp = _xp_of(kx, ky, self._dx, self._dy)
            val = val * xp.exp(-1j * (kx * self._dx + ky * self._dy))
        return val

    def _prepareDraw(self):
        self._original._prepareDraw()

    # ---- derived API overrides
    def _with_gsparams(self, gsparams):
        ret = self.tree_replace(_gsparams=gsparams)
        if self._propagate_gsparams:
            ret = ret.tree_replace(_original=self._original.withGSParams(gsparams))
        return ret

    def __repr__(self):
        from .core.pytree import format_value
        jac = None if self._jac is None else np.asarray(self._jac).tolist() if _concrete(self._jac) else self._jac
        return ("galsim.Transformation(%r, jac=%r, offset=%r, flux_ratio=%s, gsparams=%r, "
                "propagate_gsparams=%r)") % (self._original, jac, self.offset,
                                             format_value(self._flux_ratio), self._gsparams,
                                             self._propagate_gsparams)

    @classmethod
    def _str_from_jac(cls, jac):
        from .wcs import JacobianWCS
        dudx, dudy, dvdx, dvdy = np.asarray(jac).ravel()
        scale, shear, theta, flip = JacobianWCS(dudx, dudy, dvdx, dvdy).getDecomposition()
        s = None
        if flip:
            s = 0
        if abs(theta.rad) > 1.0e-12:
            s = ".rotate(%s)" % theta if s is None else 0
        if shear.g > 1.0e-12:
            s = ".shear(%s)" % shear if s is None else 0
        if abs(scale - 1.0) > 1.0e-12:
            s = ".expand(%s)" % scale if s is None else 0
        if s == 0:
            s = ".transform(%s,%s,%s,%s)" % (dudx, dudy, dvdx, dvdy)
        if s is None:
            s = ".transform(%r,%r,%r,%r)" % (float(dudx), float(dudy), float(dvdx), float(dvdy))
        return s

    def __str__(self):
        s = str(self._original)
        if self._jac is not None:
            s += self._str_from_jac(self._jac)
        if self._dx != 0 or self._dy != 0:
            s += ".shift(%s,%s)" % (self._dx, self._dy)
        if self._flux_ratio != 1.0:
            s += " * %s" % self._flux_ratio
        return s

    def __getstate__(self):
        return {n: getattr(self, n) for n in self._leaves + self._static}


def _Transform(obj, jac=None, offset=(0.0, 0.0), flux_ratio=1.0):
    """`Transform` without the sanity checks or a new gsparams (jac a 2x2 matrix or None)."""
    ret = Transformation.__new__(Transformation)
    ret._gsparams = obj.gsparams
    ret._propagate_gsparams = True
    ret._jac = _as_jac(jac)
    ret._dx, ret._dy = offset
    ret._flux_ratio = flux_ratio
    ret._combine(obj)
    return ret
