"""Convolutions of profiles."""

import numpy as np

from .errors import GalSimError, GalSimNotImplementedError, galsim_warn
from .gsobject import GSObject, _out, _concrete
from .sum import _ComponentList, _parse_list, _reduce
from .core import realspace as _rs

__all__ = ["Convolve", "Convolution", "Deconvolve", "Deconvolution",
           "AutoConvolve", "AutoConvolution", "AutoCorrelate", "AutoCorrelation"]


def Convolve(*args, **kwargs):
    """Convolve two or more `GSObject` instances (or one list of them); returns a
    `Convolution`."""
    return Convolution(*args, **kwargs)


class Convolution(_ComponentList, GSObject):
    """The convolution of two or more profiles, done by multiplying their Fourier
    transforms (or, with ``real_space=True`` and two components, by integration in real
    space).

    Parameters:
        args:               The objects, as arguments or as one list.
        real_space:         Whether to convolve in real space (None: automatic, true for
                            two components that both have hard edges). [default: None]
        gsparams:           An optional `GSParams` (default: the most restrictive
                            combination of the components').
        propagate_gsparams: Whether to apply gsparams to the components. [default: True]

    JAX notes: the components are pytree leaves; their number and ``real_space`` are
    static.  Real-space convolution of two profiles (any two profiles analytic in real
    space) uses the split Gauss-Legendre quadrature of
    :mod:`jax_galsim.core.realspace`: the sub-intervals end exactly at the hard edges of
    both profiles (boxes, truncated or top-hat disks, and their affine transforms), so the
    integrand is smooth on each piece; the node count is static (from
    ``gsparams.realspace_relerr``), so the same code runs eagerly and under
    ``jit``/``grad``.
    """

    _leaves = ("_obj_list",)
    _static = ("_real_space", "_gsparams", "_propagate_gsparams")

    def __init__(self, *args, **kwargs):
        if len(args) == 0:
            raise TypeError("At least one GSObject must be provided.")
        args = _parse_list(args, "Convolution")
        real_space = kwargs.pop("real_space", None)
        gsparams = kwargs.pop("gsparams", None)
        self._propagate_gsparams = kwargs.pop("propagate_gsparams", True)
        if kwargs:
            raise TypeError(
                "Convolution constructor got unexpected keyword argument(s): %s" % kwargs.keys())
        hard_edge = True
        for obj in args:
            if not isinstance(obj, GSObject):
                raise TypeError("Arguments to Convolution must be GSObjects, not %s" % obj)
            if not obj.has_hard_edges:
                hard_edge = False
        if real_space is None:
            real_space = hard_edge if len(args) <= 2 else False
        elif bool(real_space) != real_space:
            raise TypeError("real_space must be a boolean")
        if not real_space and hard_edge:
            if len(args) == 2:
                galsim_warn("Doing convolution of 2 objects, both with hard edges. "
                            "This might be more accurate and/or faster using real_space=True")
            else:
                galsim_warn("Doing convolution where all objects have hard edges. "
                            "There might be some inaccuracies due to ringing in k-space.")
        if real_space:
            if len(args) > 2:
                galsim_warn("Real-space convolution of more than 2 objects is not implemented. "
                            "Switching to DFT method.")
                real_space = False
            else:
                for obj in args:
                    if not obj.is_analytic_x:
                        galsim_warn("A component to be convolved is not analytic in real space. "
                                    "Cannot use real space convolution. Switching to DFT method.")
                        real_space = False
                        break
        self._real_space = bool(real_space)
        self._set_components(args, gsparams)

    @property
    def obj_list(self):
        """The list of objects being convolved."""
        return self._obj_list

    @property
    def real_space(self):
        """Whether this convolution is done in real space."""
        return self._real_space

    @property
    def _maxk(self):
        return _reduce([obj._maxk for obj in self._obj_list], "min")

    @property
    def _stepk(self):
        inv = sum(obj._stepk ** (-2) for obj in self._obj_list)
        return inv ** (-0.5)

    @property
    def _has_hard_edges(self):
        return len(self._obj_list) == 1 and self._obj_list[0].has_hard_edges

    @property
    def _is_axisymmetric(self):
        return all(obj.is_axisymmetric for obj in self._obj_list)

    @property
    def _is_analytic_x(self):
        if len(self._obj_list) == 1:
            return self._obj_list[0].is_analytic_x
        elif self._real_space and len(self._obj_list) == 2:
            return all(obj.is_analytic_x for obj in self._obj_list)
        return False

    @property
    def _is_analytic_k(self):
        return all(obj.is_analytic_k for obj in self._obj_list)

    @property
    def _centroid(self):
        cen = [obj.centroid for obj in self._obj_list]
        return sum(cen[1:], cen[0])

    @property
    def _flux(self):
        out = self._obj_list[0]._flux
        for obj in self._obj_list[1:]:
            out = out * obj._flux
        return out

    def _calc_pn(self):
        p_net = self._obj_list[0]._positive_flux
        n_net = self._obj_list[0]._negative_flux
        for obj in self._obj_list[1:]:
            p, n = obj._positive_flux, obj._negative_flux
            p_net, n_net = p_net * p + n_net * n, p_net * n + n_net * p
        return p_net, n_net

    @property
    def _positive_flux(self):
        return self._calc_pn()[0]

    @property
    def _negative_flux(self):
        return self._calc_pn()[1]

    @property
    def _flux_per_photon(self):
        return self._calculate_flux_per_photon()

    def _shoot(self, photons, rng):
        # Shoot each component and add the positions (convolving the photon arrays).
        from .core.shoot import photon_rng
        from .photon_array import PhotonArray
        r = photon_rng(rng)
        self._obj_list[0]._shoot(photons, r)
        for obj in self._obj_list[1:]:
            p1 = PhotonArray(len(photons))
            obj._shoot(p1, r)
            photons.convolve(p1, r)

    @property
    def _max_sb(self):
        area = sum(obj._flux / obj._max_sb for obj in self._obj_list)
        return self._flux / area

    def _xValue(self, pos):
        if len(self._obj_list) == 1:
            return self._obj_list[0]._xValue(pos)
        if len(self._obj_list) != 2 or not all(o.is_analytic_x for o in self._obj_list):
            raise GalSimError(
                "At least one profile in %s does not implement real-space convolution" % self)
        return _out(self._xValue_array(pos.x, pos.y))

    def _xValue_array(self, x, y):
        if len(self._obj_list) == 1:
            return self._obj_list[0]._xValue_array(x, y)
        if len(self._obj_list) != 2 or not all(o.is_analytic_x for o in self._obj_list):
            raise GalSimError(
                "At least one profile in %s does not implement real-space convolution" % self)
        a, b = self._obj_list
        xp = self._xp_for(x, y)
        n = _rs.nodes_for_relerr(self.gsparams.realspace_relerr)
        gsp = self.gsparams
        abserr = gsp.realspace_abserr * self._flux if _concrete(self._flux) else 0.0
        return _rs.convolve_real_space(a._xValue_array, _support(a), b._xValue_array,
                                       _support(b), x, y, xp, n,
                                       relerr=gsp.realspace_relerr, abserr=abs(abserr))

    def _kValue_array(self, kx, ky):
        out = self._obj_list[0]._kValue_array(kx, ky)
        for obj in self._obj_list[1:]:
            out = out * obj._kValue_array(kx, ky)
        return out

    def __repr__(self):
        return "galsim.Convolution(%r, real_space=%r, gsparams=%r, propagate_gsparams=%r)" % (
            self._obj_list, self._real_space, self._gsparams, self._propagate_gsparams)

    def __str__(self):
        s = "galsim.Convolve(%s" % (", ".join(str(obj) for obj in self._obj_list))
        if self._real_space:
            s += ", real_space=True"
        return s + ")"


# ------------------------------------------------------------------ real-space supports
def _support(obj):
    """The `~jax_galsim.core.realspace.Support` of a profile: where it may be non-zero.

    A profile class may provide its own ``_realspace_support()``; otherwise boxes,
    top hats, truncated Moffats and their transformations are recognised, and anything
    else is treated as smooth with negligible flux beyond ``2 pi / stepk`` of its
    centroid."""
    from .box import Box, TopHat
    from .moffat import Moffat
    from .transform import Transformation
    custom = getattr(obj, "_realspace_support", None)
    if custom is not None:
        return custom()
    if isinstance(obj, Box):
        return _rs.Support("parallelogram", 0.0, 0.0,
                           ((0.5 * obj._width, 0.0), (0.0, 0.5 * obj._height)))
    if isinstance(obj, TopHat):
        return _rs.Support("ellipse", 0.0, 0.0, ((obj._radius, 0.0), (0.0, obj._radius)))
    if isinstance(obj, Moffat) and obj._trunc > 0.0:
        return _rs.Support("ellipse", 0.0, 0.0, ((obj._trunc, 0.0), (0.0, obj._trunc)))
    if isinstance(obj, Convolution) and len(obj.obj_list) == 1:
        return _support(obj.obj_list[0])
    if isinstance(obj, Transformation):
        s = _support(obj._original)
        if s.kind != "none":
            jac = obj.jac
            A = ((jac[0, 0], jac[0, 1]), (jac[1, 0], jac[1, 1]))
            cx = A[0][0] * s.cx + A[0][1] * s.cy + obj._dx
            cy = A[1][0] * s.cx + A[1][1] * s.cy + obj._dy
            J = tuple(tuple(A[i][0] * s.J[0][j] + A[i][1] * s.J[1][j] for j in range(2))
                      for i in range(2))
            return _rs.Support(s.kind, cx, cy, J)
    cen = obj._centroid
    return _rs.Support("none", cen.x, cen.y, 2.0 * np.pi / obj._stepk)


# ------------------------------------------------------------------ deconvolution
def Deconvolve(obj, gsparams=None, propagate_gsparams=True):
    """Deconvolve by a `GSObject`; returns a `Deconvolution`."""
    if isinstance(obj, GSObject):
        return Deconvolution(obj, gsparams=gsparams, propagate_gsparams=propagate_gsparams)
    raise TypeError("Argument to Deconvolve must be either a GSObject or a ChromaticObject.")


class _WrappedObject:
    """Shared by the profiles built from one other profile (`Deconvolution`,
    `FourierSqrtProfile`, `AutoConvolution`, `AutoCorrelation`): the wrapped object in
    ``_orig_obj`` and GalSim's GSParams rule for it."""

    def _init_wrapper(self, obj, gsparams, propagate_gsparams, what):
        from .gsparams import GSParams
        if not isinstance(obj, GSObject):
            raise TypeError("Argument to %s must be a GSObject." % what)
        self._gsparams = GSParams.check(gsparams, obj.gsparams)
        self._propagate_gsparams = propagate_gsparams
        self._orig_obj = obj.withGSParams(self._gsparams) if propagate_gsparams else obj

    @property
    def orig_obj(self):
        """The original object being wrapped."""
        return self._orig_obj

    def _prepareDraw(self):
        self._orig_obj._prepareDraw()

    def _with_gsparams(self, gsparams):
        ret = self.tree_replace(_gsparams=gsparams)
        if self._propagate_gsparams:
            ret = ret.tree_replace(_orig_obj=self._orig_obj.withGSParams(gsparams))
        return ret


class _Wrapper(_WrappedObject, GSObject):
    """Shared machinery of profiles that wrap one other profile (``orig_obj``)."""

    _leaves = ("_orig_obj",)
    _static = ("_gsparams", "_propagate_gsparams")

    def __repr__(self):
        return "galsim.%s(%r, gsparams=%r, propagate_gsparams=%r)" % (
            type(self).__name__, self._orig_obj, self._gsparams, self._propagate_gsparams)

    def _no_xvalue(self, *args, **kwargs):
        raise GalSimNotImplementedError(
            "%s does not implement xValue (it is not analytic in real space)"
            % type(self).__name__)


class Deconvolution(_Wrapper):
    """The deconvolution kernel of a `GSObject`: its Fourier transform is ``1 / f(k)``.

    Normally made by `Deconvolve`.  Where ``|f(k)|`` falls below
    ``flux * gsparams.kvalue_accuracy`` the inverse is capped at the inverse of that
    value, and drawn k images are zero beyond the original's ``maxk`` (GalSim's rule).
    Not analytic in real space; cannot be photon shot.

    Parameters:
        obj:                The object to deconvolve.
        gsparams:           An optional `GSParams` (default: the object's).
        propagate_gsparams: Whether to apply gsparams to the object. [default: True]

    JAX notes: the wrapped profile is a pytree leaf; the cap and the ``maxk`` cut are
    applied with ``where`` so the kernel is differentiable.
    """

    _has_hard_edges = False
    _is_analytic_x = False

    def __init__(self, obj, gsparams=None, propagate_gsparams=True):
        self._init_wrapper(obj, gsparams, propagate_gsparams, "Deconvolution")

    def __str__(self):
        return "galsim.Deconvolve(%s)" % self._orig_obj

    @property
    def _min_acc_kvalue(self):
        return self._orig_obj._flux * self.gsparams.kvalue_accuracy

    @property
    def _maxk(self):
        return self._orig_obj._maxk

    @property
    def _stepk(self):
        return self._orig_obj._stepk

    @property
    def _is_axisymmetric(self):
        return self._orig_obj.is_axisymmetric

    @property
    def _is_analytic_k(self):
        return self._orig_obj.is_analytic_k

    @property
    def _centroid(self):
        return -self._orig_obj.centroid

    @property
    def _flux(self):
        return 1.0 / self._orig_obj._flux

    @property
    def _max_sb(self):
        return -self._orig_obj._max_sb / self._orig_obj._flux ** 2

    _xValue = _Wrapper._no_xvalue

    def _inverse(self, kval, xp):
        small = xp.abs(kval) < self._min_acc_kvalue
        return xp.where(small, 1.0 / self._min_acc_kvalue, 1.0 / xp.where(small, 1.0, kval))

    def _kValue(self, kpos):
        from .gsobject import _cout
        kval = self._orig_obj._kValue(kpos)
        xp = self._xp_for(kval)
        return _cout(self._inverse(xp.asarray(kval), xp))

    def _kValue_array(self, kx, ky):
        xp = self._xp_for(kx, ky)
        inv = self._inverse(self._orig_obj._kValue_array(kx, ky), xp)
        return xp.where(kx * kx + ky * ky > self._maxk ** 2, 0.0, inv)


# ------------------------------------------------------------------ auto-convolution
def AutoConvolve(obj, real_space=None, gsparams=None, propagate_gsparams=True):
    """Convolve a `GSObject` with itself; returns an `AutoConvolution`."""
    if isinstance(obj, GSObject):
        return AutoConvolution(obj, real_space=real_space, gsparams=gsparams,
                               propagate_gsparams=propagate_gsparams)
    raise TypeError("Argument to AutoConvolve must be either a GSObject or a ChromaticObject.")


def AutoCorrelate(obj, real_space=None, gsparams=None, propagate_gsparams=True):
    """Correlate a `GSObject` with itself; returns an `AutoCorrelation`."""
    if isinstance(obj, GSObject):
        return AutoCorrelation(obj, real_space=real_space, gsparams=gsparams,
                               propagate_gsparams=propagate_gsparams)
    raise TypeError("Argument to AutoCorrelate must be either a GSObject or a ChromaticObject.")


class _AutoBase(_WrappedObject, Convolution):
    _leaves = ("_orig_obj",)
    _static = ("_real_space", "_gsparams", "_propagate_gsparams")
    _what = ""

    def __init__(self, obj, real_space=None, gsparams=None, propagate_gsparams=True):
        name = type(self).__name__
        if not isinstance(obj, GSObject):
            raise TypeError("Argument to %s must be a GSObject." % name)
        hard_edge = obj.has_hard_edges
        if real_space is None:
            real_space = hard_edge
        elif bool(real_space) != real_space:
            raise TypeError("real_space must be a boolean")
        if not real_space and hard_edge:
            galsim_warn("Doing auto-%s of object with hard edges. "
                        "This might be more accurate and/or faster using real_space=True"
                        % self._what)
        if real_space and not obj.is_analytic_x:
            galsim_warn("Object to be auto-%s is not analytic in real space. "
                        "Cannot use real space convolution. Switching to DFT method."
                        % ("convolved" if self._what == "convolution" else "correlated"))
            real_space = False
        self._real_space = bool(real_space)
        self._init_wrapper(obj, gsparams, propagate_gsparams, name)

    def __repr__(self):
        return "galsim.%s(%r, real_space=%r, gsparams=%r, propagate_gsparams=%r)" % (
            type(self).__name__, self._orig_obj, self._real_space, self._gsparams,
            self._propagate_gsparams)

    def __str__(self):
        s = "galsim.%s(%s" % (self._str_name, self._orig_obj)
        if self._real_space:
            s += ", real_space=True"
        return s + ")"


class AutoConvolution(_AutoBase):
    """The convolution of a `GSObject` with itself (``Convolve([obj, obj])``).

    Parameters:
        obj:                The object to be convolved with itself.
        real_space:         Whether to convolve in real space (None: automatic, true when
                            the object has hard edges). [default: None]
        gsparams:           An optional `GSParams` (default: the object's).
        propagate_gsparams: Whether to apply gsparams to the object. [default: True]

    JAX notes: the object is a pytree leaf; ``real_space`` is static.
    """
    _what = "convolution"
    _str_name = "AutoConvolve"

    @property
    def _obj_list(self):
        return [self._orig_obj, self._orig_obj]


class AutoCorrelation(_AutoBase):
    """The correlation of a `GSObject` with itself: ``Convolve([obj, obj rotated by
    180 degrees])``, as used for correlated noise.

    Parameters:
        obj:                The object to be correlated with itself.
        real_space:         Whether to convolve in real space (None: automatic, true when
                            the object has hard edges). [default: None]
        gsparams:           An optional `GSParams` (default: the object's).
        propagate_gsparams: Whether to apply gsparams to the object. [default: True]

    JAX notes: the object is a pytree leaf; ``real_space`` is static.
    """
    _what = "correlation"
    _str_name = "AutoCorrelate"

    @property
    def _obj_list(self):
        return [self._orig_obj, self._orig_obj.transform(-1.0, 0.0, 0.0, -1.0)]


# FourierSqrt lives in its own module (as in GalSim); re-exported here so that
# ``jax_galsim.FourierSqrt`` exists whether or not ``__init__`` imports that module.
from .fouriersqrt import FourierSqrt, FourierSqrtProfile  # noqa: E402

__all__ += ["FourierSqrt", "FourierSqrtProfile"]
