"""Convolutions of profiles."""

import numpy as np

from .errors import GalSimError, GalSimNotImplementedError, galsim_warn
from .gsobject import GSObject, _out, _concrete
from .sum import _parse_list, _reduce

__all__ = ["Convolve", "Convolution"]

#: Gauss-Legendre nodes per axis for real-space convolution with a box (pixel).
_REAL_SPACE_NODES = 24


def Convolve(*args, **kwargs):
    """Convolve two or more `GSObject` instances; returns a `Convolution`."""
    if len(args) == 0:
        raise TypeError("At least one ChromaticObject or GSObject must be provided.")
    elif len(args) == 1:
        if isinstance(args[0], GSObject):
            args = [args[0]]
        elif isinstance(args[0], (list, tuple)):
            args = args[0]
        else:
            raise TypeError("Single input argument must be a GSObject, ChromaticObject, "
                            + "or a (possibly mixed) list of them.")
    return Convolution(*args, **kwargs)


class Convolution(GSObject):
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
    static.  Real-space convolution is implemented when one of the two components is a
    `Box`/`Pixel` (the usual pixel convolution), by Gauss-Legendre quadrature over the
    box.
    """

    _leaves = ("_obj_list",)
    _static = ("_real_space", "_gsparams", "_propagate_gsparams")

    def __init__(self, *args, **kwargs):
        from .gsparams import GSParams
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
        if gsparams is None:
            self._gsparams = GSParams.combine([obj.gsparams for obj in args])
        else:
            self._gsparams = GSParams.check(gsparams)
        if self._propagate_gsparams:
            self._obj_list = [obj.withGSParams(self._gsparams) for obj in args]
        else:
            self._obj_list = list(args)

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
        from .box import Box
        a, b = self._obj_list
        if isinstance(a, Box) and not isinstance(b, Box):
            a, b = b, a
        if not isinstance(b, Box):
            raise GalSimNotImplementedError(
                "Real-space convolution is implemented only when one component is a Box or "
                "Pixel; use real_space=False.")
        # (a * box)(x) = box_norm * integral over the box of a(x - u) du
        xp = self._xp_for(x, y)
        t, w = np.polynomial.legendre.leggauss(_REAL_SPACE_NODES)
        hw, hh = 0.5 * b._width, 0.5 * b._height
        x = xp.asarray(x)[..., None, None]
        y = xp.asarray(y)[..., None, None]
        u = hw * xp.asarray(t)[:, None]
        v = hh * xp.asarray(t)[None, :]
        ww = xp.asarray(np.outer(w, w)) * (hw * hh)
        vals = a._xValue_array(x - u, y - v)
        return (vals * ww).sum(axis=(-1, -2)) * b._norm

    def _kValue_array(self, kx, ky):
        out = self._obj_list[0]._kValue_array(kx, ky)
        for obj in self._obj_list[1:]:
            out = out * obj._kValue_array(kx, ky)
        return out

    def _prepareDraw(self):
        for obj in self._obj_list:
            obj._prepareDraw()

    def _with_gsparams(self, gsparams):
        ret = self.tree_replace(_gsparams=gsparams)
        if self._propagate_gsparams:
            ret = ret.tree_replace(_obj_list=[o.withGSParams(gsparams) for o in self._obj_list])
        return ret

    def __repr__(self):
        return "galsim.Convolution(%r, real_space=%r, gsparams=%r, propagate_gsparams=%r)" % (
            self._obj_list, self._real_space, self._gsparams, self._propagate_gsparams)

    def __str__(self):
        s = "galsim.Convolve(%s" % (", ".join(str(obj) for obj in self._obj_list))
        if self._real_space:
            s += ", real_space=True"
        return s + ")"
