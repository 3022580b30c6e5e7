"""Sums of profiles."""

import numpy as np

from .gsobject import GSObject, _out

__all__ = ["Add", "Sum"]


def Add(*args, **kwargs):
    """Add two or more `GSObject` instances (or one list of them); returns a `Sum`."""
    return Sum(*args, **kwargs)


def _parse_list(args, what):
    if len(args) == 0:
        raise TypeError("At least one ChromaticObject or GSObject must be provided.")
    if len(args) == 1:
        if isinstance(args[0], GSObject):
            args = [args[0]]
        elif isinstance(args[0], (list, tuple)):
            args = list(args[0])
        else:
            raise TypeError("Single input argument must be a GSObject, ChromaticObject or "
                            "a (possibly mixed) list of them.")
    return list(args)


class _ComponentList:
    """Shared by `Sum` and `Convolution`: a list of component profiles in ``_obj_list``
    and GalSim's GSParams rule (the components' combined gsparams unless given, passed
    down to the components when ``propagate_gsparams``)."""

    def _set_components(self, args, gsparams):
        from .gsparams import GSParams
        if gsparams is None:
            self._gsparams = GSParams.combine([obj.gsparams for obj in args])
        else:
            self._gsparams = GSParams.check(gsparams)
        if self._propagate_gsparams:
            self._obj_list = [obj.withGSParams(self._gsparams) for obj in args]
        else:
            self._obj_list = list(args)

    def _prepareDraw(self):
        for obj in self._obj_list:
            obj._prepareDraw()

    def _with_gsparams(self, gsparams):
        ret = self.tree_replace(_gsparams=gsparams)
        if self._propagate_gsparams:
            ret = ret.tree_replace(_obj_list=[o.withGSParams(gsparams) for o in self._obj_list])
        return ret


class Sum(_ComponentList, GSObject):
    """The sum of two or more `GSObject` profiles (``Add(a, b)`` or ``a + b``).

    Parameters:
        args:               The objects, as arguments or as one list.
        gsparams:           An optional `GSParams` (default: the most restrictive
                            combination of the components').
        propagate_gsparams: Whether to apply gsparams to the components. [default: True]

    JAX notes: the list of components is a pytree leaf; its length and the profile
    types are static.
    """

    _leaves = ("_obj_list",)
    _static = ("_gsparams", "_propagate_gsparams")

    def __init__(self, *args, **kwargs):
        gsparams = kwargs.pop("gsparams", None)
        self._propagate_gsparams = kwargs.pop("propagate_gsparams", True)
        if kwargs:
            raise TypeError("Sum constructor got unexpected keyword argument(s): %s" % kwargs.keys())
        args = _parse_list(args, "Sum")
        new_args = []
        for a in args:
            if isinstance(a, Sum):
                new_args.extend(a._obj_list)
            else:
                new_args.append(a)
        args = new_args
        for obj in args:
            if not isinstance(obj, GSObject):
                raise TypeError("Arguments to Sum must be GSObjects, not %s" % obj)
        self._set_components(args, gsparams)

    @property
    def obj_list(self):
        """The list of objects being added."""
        return self._obj_list

    @property
    def _flux(self):
        return sum(obj._flux for obj in self._obj_list[1:]) + self._obj_list[0]._flux

    @property
    def _maxk(self):
        return _reduce([obj._maxk for obj in self._obj_list], "max")

    @property
    def _stepk(self):
        return _reduce([obj._stepk for obj in self._obj_list], "min")

    @property
    def _has_hard_edges(self):
        return any(obj.has_hard_edges for obj in self._obj_list)

    @property
    def _is_axisymmetric(self):
        return all(obj.is_axisymmetric for obj in self._obj_list)

    @property
    def _is_analytic_x(self):
        return all(obj.is_analytic_x for obj in self._obj_list)

    @property
    def _is_analytic_k(self):
        return all(obj.is_analytic_k for obj in self._obj_list)

    @property
    def _centroid(self):
        cen = [obj.centroid * obj.flux for obj in self._obj_list]
        return sum(cen[1:], cen[0]) / self.flux

    @property
    def _positive_flux(self):
        return sum(obj._positive_flux for obj in self._obj_list)

    @property
    def _negative_flux(self):
        return sum(obj._negative_flux for obj in self._obj_list)

    @property
    def _flux_per_photon(self):
        return self._calculate_flux_per_photon()

    def _shoot(self, photons, rng):
        # Each photon comes from component k with probability w_k / W, where
        # w_k = |positive_flux| + |negative_flux| of the component, and carries flux W / N
        # with the sign the component gave it, so the expected total is the sum's flux.
        # (GalSim weights by positive + negative flux, the same for positive components.)
        from .core.shoot import photon_rng
        from .photon_array import PhotonArray
        r = photon_rng(rng)
        xp = r.xp
        n = len(photons)
        objs = self._obj_list
        w = [abs(o._positive_flux) + abs(o._negative_flux) for o in objs]
        W = sum(w[1:], w[0])
        cdf = xp.cumsum(xp.stack([xp.asarray(v) * 1.0 for v in w])) / W
        u = r.uniform(n)
        use_k = xp.minimum(xp.sum(u[None, :] >= cdf[:, None], axis=0), len(objs) - 1)
        flux_per = W / n
        if r.is_jax:
            # Functional path: every component shoots n photons; pick per photon.
            x = xp.zeros(n)
            y = xp.zeros(n)
            f = xp.zeros(n)
            for kk, obj in enumerate(objs):
                temp = PhotonArray(n)
                obj._shoot(temp, r)
                sel = use_k == kk
                x = xp.where(sel, temp.x, x)
                y = xp.where(sel, temp.y, y)
                f = xp.where(sel, xp.sign(temp.flux) * flux_per, f)
            photons.x, photons.y, photons.flux = x, y, f
            return
        for kk, obj in enumerate(objs):
            use = use_k == kk
            this_n = int(np.sum(use))
            if this_n == 0:
                continue
            temp = PhotonArray(this_n)
            temp._copyFrom(photons, slice(None), use, do_xy=False, do_flux=False)
            obj._shoot(temp, r)
            temp.flux = np.sign(np.asarray(temp.flux)) * flux_per
            photons._copyFrom(temp, use, slice(None))

    @property
    def _max_sb(self):
        return sum(obj._max_sb for obj in self._obj_list)

    def _xValue(self, pos):
        return _out(sum(obj._xValue(pos) for obj in self._obj_list))

    def _xValue_array(self, x, y):
        out = self._obj_list[0]._xValue_array(x, y)
        for obj in self._obj_list[1:]:
            out = out + obj._xValue_array(x, y)
        return out

    def _kValue_array(self, kx, ky):
        out = self._obj_list[0]._kValue_array(kx, ky)
        for obj in self._obj_list[1:]:
            out = out + obj._kValue_array(kx, ky)
        return out

    def __repr__(self):
        return "galsim.Sum(%r, gsparams=%r, propagate_gsparams=%r)" % (
            self._obj_list, self._gsparams, self._propagate_gsparams)

    def __str__(self):
        return "(" + " + ".join(str(obj) for obj in self._obj_list) + ")"


def _reduce(vals, how):
    from .core.backend import is_traced
    if not is_traced(vals):
        vals = [float(v) for v in vals]
        return max(vals) if how == "max" else min(vals)
    import jax.numpy as jnp
    arr = jnp.stack([jnp.asarray(v, dtype=float) for v in vals])
    return arr.max() if how == "max" else arr.min()
