"""The base class of all surface-brightness profiles, and drawing.

A profile class says its parameters once (DESIGN rule 9)::

    class Gaussian(GSObject):
        _params = ("sigma", "flux")        # traced constructor parameters, stored as _sigma, _flux
        _static_params = ()                # static constructor parameters (shapes, switches)

From that declaration :class:`GSObject` derives the pytree registration (the
``_params`` attributes are leaves, the ``_static_params`` and ``gsparams`` are static
auxiliary data), ``==``, ``hash``, ``repr`` (``galsim.Gaussian(sigma=..., flux=...,
gsparams=...)``, which evaluates back), ``str`` (parameters other than ``gsparams``,
leaving out those at their ``_str_defaults``), ``withGSParams`` and pickling.  A profile
file then holds only its physics: vectorised ``_xValue_array(x, y)`` and
``_kValue_array(kx, ky)`` kernels, ``_stepk``, ``_maxk``, ``_max_sb`` and its
constructor's argument handling.  Derived quantities are computed from the declared
attributes on demand (never stored by ``__init__``), because JAX rebuilds objects from
their leaves without calling ``__init__``.

JAX notes
    Scalar properties (``flux``, ``stepk``, ``maxk``, ``xValue``, ...) are Python floats
    when the parameters are concrete (GalSim's exact numbers) and JAX scalars when they
    are traced.  Drawing with concrete parameters uses NumPy and exactly GalSim's image
    and FFT sizes; drawing with traced parameters uses ``jax.numpy`` and the static FFT
    size rule of :mod:`jax_galsim.core.fft_size`.  Photon shooting (``drawPhot``,
    ``shoot``, ``makePhot``, ``method='phot'``) follows GalSim's photon bookkeeping; with a
    `BaseDeviate` (or None) it is eager and deterministic given the seed, and with a
    ``jax.random`` key as ``rng`` it is functional and works under ``jit``/``vmap``
    (``n_photons`` must then be given, as a concrete number: it sets array shapes), e.g.::

        key = jax.random.PRNGKey(0)
        photons = obj.shoot(10000, key)                      # PhotonArray of JAX arrays
        draw = jax.jit(lambda flux, key: galsim.Gaussian(sigma=1., flux=flux).drawImage(
            nx=32, ny=32, scale=0.2, method='phot', n_photons=10000, rng=key).array)
"""

import math
import numbers

import jax
import numpy as np

from .core.backend import is_traced, xp as _xp_of
from .core.pytree import Pytree, format_value
from .core import draw as _draw
from .core import fft_size as _fft
from .errors import (GalSimError, GalSimValueError, GalSimRangeError,
                     GalSimIncompatibleValuesError, GalSimNotImplementedError,
                     galsim_warn, galsim_warn_fft)
from .position import Position, PositionD, PositionI, _PositionD, _PositionI, parse_pos_args
from .utilities import lazy_property

__all__ = ["GSObject"]


def _out(value):
    """A Python float for a concrete scalar, the value itself when traced."""
    if isinstance(value, jax.core.Tracer):
        return value
    if isinstance(value, jax.Array):
        if value.ndim == 0:
            return float(value)
        return value
    if isinstance(value, (numbers.Real, np.floating, np.integer)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    return value


def _cout(value):
    """A Python complex for a concrete scalar, the value itself when traced."""
    if isinstance(value, jax.core.Tracer):
        return value
    if np.ndim(value) == 0:
        return complex(value)
    return value


def _concrete(*values):
    return not is_traced(*values)


class GSObject(Pytree):
    """Base class for all surface-brightness profiles (GalSim's ``GSObject``).

    Not instantiated directly.  See the module docstring for how subclasses declare
    their parameters."""

    _params = ()
    _static_params = ()
    _str_defaults = {"flux": 1.0}

    _has_hard_edges = False
    _is_axisymmetric = False
    _is_analytic_x = True
    _is_analytic_k = True

    def __init_subclass__(cls, **kwargs):
        d = cls.__dict__
        if "_params" in d or "_static_params" in d:
            cls._leaves = tuple("_" + p for p in cls._params)
            cls._static = tuple("_" + p for p in cls._static_params) + ("_gsparams",)
        # Methods overridden without a docstring inherit the base class's (GalSim's
        # doc_inherit), e.g. each profile's withFlux.
        for name, value in list(d.items()):
            if callable(value) and getattr(value, "__doc__", None) is None:
                for base in cls.__mro__[1:]:
                    doc = getattr(getattr(base, name, None), "__doc__", None)
                    if doc:
                        try:
                            value.__doc__ = doc
                        except (AttributeError, TypeError):
                            pass
                        break
        super().__init_subclass__(**kwargs)

    def __init__(self):
        raise NotImplementedError("The GSObject base class should not be instantiated directly.")

    # ------------------------------------------------------------------ derived API
    #: Optional order of the constructor parameters in repr/str (default: _params
    #: then _static_params).
    _param_order = None

    def _ordered_params(self):
        return self._param_order or (self._params + self._static_params)

    def _repr_args(self):
        return [(p, getattr(self, "_" + p)) for p in self._ordered_params()] + [
            ("gsparams", self._gsparams)]

    def __str__(self):
        parts = []
        for p in self._ordered_params():
            v = getattr(self, "_" + p)
            if p in self._str_defaults and _concrete(v) and v == self._str_defaults[p]:
                continue
            parts.append("%s=%s" % (p, _fmt_str(v)))
        return "galsim.%s(%s)" % (type(self).__name__, ", ".join(parts))

    def __getstate__(self):
        # Only the declared state; caches are recomputed on demand.
        return {n: getattr(self, n) for n in self._leaves + self._static}

    def __setstate__(self, state):
        self.__dict__.update(state)

    # ------------------------------------------------------------------ properties
    @property
    def flux(self):
        """The flux of the profile."""
        return _out(self._flux)

    @property
    def gsparams(self):
        """The `GSParams` of this object."""
        return self._gsparams

    @property
    def maxk(self):
        """The value of k beyond which aliasing can be neglected (inverse profile units)."""
        return _out(self._maxk)

    @property
    def stepk(self):
        """The sampling in k space necessary to avoid folding of the image in x space."""
        return _out(self._stepk)

    @property
    def nyquist_scale(self):
        """The pixel spacing that does not alias maxk: ``pi / maxk``."""
        return _out(math.pi / self._maxk if _concrete(self._maxk) else np.pi / self._maxk)

    @property
    def has_hard_edges(self):
        """Whether there are any hard edges in the profile (real-space convolution is better)."""
        return bool(self._has_hard_edges)

    @property
    def is_axisymmetric(self):
        """Whether the profile is axially symmetric."""
        return bool(self._is_axisymmetric)

    @property
    def is_analytic_x(self):
        """Whether the real-space values can be determined immediately at any position."""
        return bool(self._is_analytic_x)

    @property
    def is_analytic_k(self):
        """Whether the k-space values can be determined immediately at any position."""
        return bool(self._is_analytic_k)

    @property
    def centroid(self):
        """The (x, y) centroid of the object."""
        return self._centroid

    @property
    def _centroid(self):
        return _PositionD(0.0, 0.0)

    @property
    def positive_flux(self):
        """The expectation value of the flux in positive photons."""
        return _out(self._positive_flux)

    @property
    def negative_flux(self):
        """The expectation value of the absolute flux in negative photons."""
        return _out(self._negative_flux)

    @property
    def _positive_flux(self):
        return self._flux + self._negative_flux

    @property
    def _negative_flux(self):
        return 0.0

    @property
    def _flux_per_photon(self):
        return self._calculate_flux_per_photon()

    def _calculate_flux_per_photon(self):
        if _concrete(self._negative_flux) and self._negative_flux == 0.0:
            return 1.0
        p, n = self._positive_flux, self._negative_flux
        return _out((p - n) / (p + n))

    @property
    def max_sb(self):
        """An estimate of the maximum surface brightness (exact for most profiles)."""
        return _out(self._max_sb)

    @property
    def _max_sb(self):
        return 1.0e500

    @property
    def noise(self):
        """An estimate of the noise already in the profile (None for analytic profiles);
        may be set with ``obj.noise = noise``."""
        return self._noise

    @noise.setter
    def noise(self, n):
        self._noise = n

    @lazy_property
    def _noise(self):
        return None

    @property
    def separable(self):
        return True

    @property
    def interpolated(self):
        return False

    def deinterpolated(self):
        return self

    @property
    def sed(self):
        return None

    @property
    def spectral(self):
        return False

    @property
    def dimensionless(self):
        return True

    @property
    def wave_list(self):
        return np.array([], dtype=float)

    @property
    def _xp(self):
        return _xp_of(*[getattr(self, n) for n in self._leaves])

    def _xp_for(self, *arrays):
        """The array module for evaluating this profile at ``arrays``."""
        return _xp_of(*arrays, *[getattr(self, n) for n in self._leaves])

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        from .sum import Add
        return Add([self, other])

    def __sub__(self, other):
        from .sum import Add
        return Add([self, (-1.0 * other)])

    def __mul__(self, other):
        return self.withScaledFlux(other)

    def __rmul__(self, other):
        return self.__mul__(other)

    def __truediv__(self, other):
        return self * (1.0 / other)

    __div__ = __truediv__

    def __neg__(self):
        return -1.0 * self

    # ------------------------------------------------------------------ evaluation
    def xValue(self, *args, **kwargs):
        """The surface brightness at a position (a `Position`, a tuple, or x, y)."""
        pos = parse_pos_args(args, kwargs, "x", "y")
        return self._xValue(pos)

    def _xValue(self, pos):
        if not self.is_analytic_x:
            raise GalSimError("%s does not implement xValue" % self.__class__.__name__)
        return _out(self._xValue_array(pos.x, pos.y))

    def kValue(self, *args, **kwargs):
        """The Fourier amplitude at a k position (a `Position`, a tuple, or kx, ky)."""
        kpos = parse_pos_args(args, kwargs, "kx", "ky")
        return self._kValue(kpos)

    def _kValue(self, kpos):
        return _cout(self._kValue_array(kpos.x, kpos.y))

    def _xValue_array(self, x, y):
        raise NotImplementedError("%s does not implement xValue" % self.__class__.__name__)

    def _kValue_array(self, kx, ky):
        if self._kValue_real is not None:
            return self._kValue_real(kx, ky) + 0j
        raise NotImplementedError("%s does not implement kValue" % self.__class__.__name__)

    #: Point-symmetric leaf profiles, whose Fourier transform is real, define
    #: ``_kValue_real(kx, ky)`` (a real array) instead of ``_kValue_array``: drawing then
    #: keeps the k image (and its derivatives) in real arithmetic.
    _kValue_real = None

    #: Radial leaf profiles also define ``_kValue_ksq(ksq)``, their (real) Fourier
    #: transform as a function of ``|k|^2``: a transformed radial profile is then
    #: drawn from the quadratic form ``|J^T k|^2`` directly.
    _kValue_ksq = None

    # ------------------------------------------------------------------ modifiers
    def withGSParams(self, gsparams=None, **kwargs):
        """A copy of this object with the given `GSParams` (or updated named parameters)."""
        from .gsparams import GSParams
        if gsparams == self.gsparams and not kwargs:
            return self
        new = GSParams.check(gsparams, self.gsparams, **kwargs)
        if new == self.gsparams:
            return self
        return self._with_gsparams(new)

    def _with_gsparams(self, gsparams):
        return self.tree_replace(_gsparams=gsparams)

    def withFlux(self, flux):
        """A version of this object with total flux ``flux``."""
        return self.withScaledFlux(flux / self.flux)

    def withScaledFlux(self, flux_ratio):
        """A version of this object with the flux multiplied by ``flux_ratio``."""
        from .transform import Transform
        if hasattr(flux_ratio, "__call__"):
            raise TypeError("callable flux_ratio must be an SED.")
        if _concrete(flux_ratio) and flux_ratio == 1:
            return self
        return Transform(self, flux_ratio=flux_ratio)

    def expand(self, scale):
        """Expand the linear size by ``scale``, preserving surface brightness."""
        from .transform import Transform
        return Transform(self, jac=[scale, 0.0, 0.0, scale])

    def dilate(self, scale):
        """Dilate the linear size by ``scale``, preserving flux."""
        from .transform import Transform
        return Transform(self, jac=[scale, 0.0, 0.0, scale], flux_ratio=scale ** -2)

    def magnify(self, mu):
        """Apply a lensing magnification ``mu`` (area and flux scale by ``mu``)."""
        return self.expand(_sqrt(mu))

    def shear(self, *args, **kwargs):
        """Apply an area-preserving shear (a `Shear`, or its keyword arguments)."""
        from .shear import Shear
        from .transform import Transform
        if len(args) == 1:
            if kwargs:
                raise TypeError("Error, gave both unnamed and named arguments to GSObject.shear!")
            if not isinstance(args[0], Shear):
                raise TypeError("Error, unnamed argument to GSObject.shear is not a Shear!")
            shear = args[0]
        elif len(args) > 1:
            raise TypeError("Error, too many unnamed arguments to GSObject.shear!")
        elif len(kwargs) == 0:
            raise TypeError("Error, shear argument is required")
        else:
            shear = Shear(**kwargs)
        return Transform(self, shear.getMatrix())

    def _shear(self, shear):
        from .transform import _Transform
        return _Transform(self, shear.getMatrix())

    def lens(self, g1, g2, mu):
        """Apply a lensing shear ``(g1, g2)`` and magnification ``mu``."""
        from .shear import Shear
        from .transform import Transform
        shear = Shear(g1=g1, g2=g2)
        return Transform(self, shear.getMatrix() * _sqrt(mu))

    def _lens(self, g1, g2, mu):
        from .shear import Shear
        from .transform import _Transform
        shear = Shear(g1=g1, g2=g2)
        return _Transform(self, shear.getMatrix() * _sqrt(mu))

    def rotate(self, theta):
        """Rotate anticlockwise by an `Angle` ``theta``."""
        from .angle import Angle
        from .transform import Transform
        if not isinstance(theta, Angle):
            raise TypeError("Input theta should be an Angle")
        s, c = theta.sincos()
        return Transform(self, jac=[c, -s, s, c])

    def transform(self, dudx, dudy, dvdx, dvdy):
        """Apply a general Jacobian ``u = dudx x + dudy y``, ``v = dvdx x + dvdy y``."""
        from .transform import Transform
        return Transform(self, jac=[dudx, dudy, dvdx, dvdy])

    def shift(self, *args, **kwargs):
        """Shift the profile by ``(dx, dy)`` (or a `Position`) in world units."""
        from .transform import Transform
        offset = parse_pos_args(args, kwargs, "dx", "dy")
        return Transform(self, offset=offset)

    def _shift(self, dx, dy):
        from .transform import _Transform
        return _Transform(self, offset=(dx, dy))

    def atRedshift(self, redshift):
        import copy
        ret = copy.copy(self)
        ret.redshift = redshift
        return ret

    redshift = 0

    # ------------------------------------------------------------------ calculations
    def calculateHLR(self, size=None, scale=None, centroid=None, flux_frac=0.5):
        """An estimate of the radius enclosing ``flux_frac`` of the flux (world units).

        Returns ``half_light_radius`` when the profile has one; otherwise draws the profile
        (default pixel scale half the Nyquist scale, offset by (0.2, 0.33) pixels, size
        chosen by `drawImage` unless ``size`` is given) and measures it, as GalSim does."""
        try:
            return self.half_light_radius
        except (AttributeError, GalSimError):
            pass
        if scale is None:
            scale = self.nyquist_scale * 0.5
        if centroid is None:
            centroid = self.centroid
        offset = _PositionD(0.2, 0.33)
        im = self.drawImage(nx=size, ny=size, scale=scale, offset=offset, dtype=float)
        center = im.true_center + offset + centroid / scale
        return im.calculateHLR(center=center, flux=self.flux, flux_frac=flux_frac)

    def calculateMomentRadius(self, size=None, scale=None, centroid=None, rtype="det"):
        """A radius from the second moments of the drawn profile (world units):
        ``sqrt(Tr(Q)/2)`` for ``rtype='trace'``, ``det(Q)**0.25`` for ``'det'``, both for
        ``'both'``.  Profiles with a ``sigma`` return it directly (GalSim's rule)."""
        if rtype not in ("trace", "det", "both"):
            raise GalSimValueError("Invalid rtype.", rtype, ("trace", "det", "both"))
        if hasattr(self, "sigma"):
            if rtype == "both":
                return self.sigma, self.sigma
            return self.sigma
        if scale is None:
            scale = self.nyquist_scale
        if centroid is None:
            centroid = self.centroid
        im = self.drawImage(nx=size, ny=size, scale=scale, dtype=float)
        center = im.true_center + centroid / scale
        return im.calculateMomentRadius(center=center, flux=self.flux, rtype=rtype)

    def calculateFWHM(self, size=None, scale=None, centroid=None):
        """An estimate of the full width at half maximum (world units); ``fwhm`` when the
        profile has one, else measured on a surface-brightness image as GalSim does."""
        if hasattr(self, "fwhm"):
            return self.fwhm
        if scale is None:
            scale = self.nyquist_scale
        if centroid is None:
            centroid = self.centroid
        offset = _PositionD(0.2, 0.33)
        im = self.drawImage(nx=size, ny=size, scale=scale, offset=offset, method="sb", dtype=float)
        if self.is_analytic_x:
            Imax = self.xValue(centroid)
        else:
            im1 = self.drawImage(nx=1, ny=1, scale=scale, method="sb", offset=-centroid / scale)
            Imax = im1(1, 1)
        center = im.true_center + offset + centroid / scale
        return im.calculateFWHM(center=center, Imax=Imax)

    # ------------------------------------------------------------------ drawing: setup
    def getGoodImageSize(self, pixel_scale):
        """An even image size (pixels) that holds all but ``folding_threshold`` of the flux."""
        if is_traced(self._stepk, pixel_scale):
            raise GalSimValueError(
                "getGoodImageSize needs concrete parameters; under jax.jit give the image size "
                "(nx, ny, bounds or image) explicitly.", pixel_scale)
        return _fft.good_image_size(float(self._stepk), float(pixel_scale))

    def _setup_image(self, image, nx, ny, bounds, add_to_image, dtype, center, odd=False):
        from .image import Image
        from .bounds import _BoundsI
        if image is not None:
            if bounds is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot provide bounds if image is provided", bounds=bounds, image=image)
            if nx is not None or ny is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot provide nx,ny if image is provided", nx=nx, ny=ny, image=image)
            if dtype is not None and image.array.dtype != dtype:
                raise GalSimIncompatibleValuesError(
                    "Cannot specify dtype != image.array.dtype if image is provided",
                    dtype=dtype, image=image)
            if not image.bounds.isDefined():
                if add_to_image:
                    raise GalSimIncompatibleValuesError(
                        "Cannot add_to_image if image bounds are not defined",
                        add_to_image=add_to_image, image=image)
                N = self.getGoodImageSize(1.0)
                if odd:
                    N += 1
                image.resize(_BoundsI(1, N, 1, N))
        else:
            if add_to_image:
                raise GalSimIncompatibleValuesError(
                    "Cannot add_to_image if image is None", add_to_image=add_to_image, image=image)
            if bounds is not None:
                if nx is not None or ny is not None:
                    raise GalSimIncompatibleValuesError(
                        "Cannot set both bounds and (nx, ny)", nx=nx, ny=ny, bounds=bounds)
                if not bounds.isDefined():
                    raise GalSimValueError("Cannot use undefined bounds", bounds)
                image = Image(bounds=bounds, dtype=dtype)
            elif nx is not None or ny is not None:
                if nx is None or ny is None:
                    raise GalSimIncompatibleValuesError(
                        "Must set either both or neither of nx, ny", nx=nx, ny=ny)
                image = Image(nx, ny, dtype=dtype)
                if center is not None:
                    image.shift(_PositionI(int(np.floor(center.x + 0.5 - image.true_center.x)),
                                           int(np.floor(center.y + 0.5 - image.true_center.y))))
            else:
                N = self.getGoodImageSize(1.0)
                if odd:
                    N += 1
                image = Image(N, N, dtype=dtype)
                if center is not None:
                    image.setCenter(_PositionI(int(np.ceil(center.x)), int(np.ceil(center.y))))
        return image

    def _local_wcs(self, wcs, image, offset, center, use_true_center, new_bounds):
        if wcs._isUniform:
            return wcs.local()
        bounds = new_bounds if image is None else image.bounds
        if not bounds.isDefined():
            raise GalSimIncompatibleValuesError(
                "Cannot provide non-local wcs with automatically sized image",
                wcs=wcs, image=image, bounds=new_bounds)
        elif center is not None:
            obj_cen = center
        elif use_true_center:
            obj_cen = bounds.true_center
        else:
            obj_cen = bounds.center
            obj_cen = _PositionD(obj_cen.x, obj_cen.y)
        obj_cen += offset
        return wcs.local(image_pos=obj_cen)

    def _parse_offset(self, offset):
        if offset is None:
            return _PositionD(0.0, 0.0)
        elif isinstance(offset, Position):
            return _PositionD(offset.x, offset.y)
        else:
            return _PositionD(offset[0], offset[1])

    def _parse_center(self, center):
        if center is None:
            return None
        elif isinstance(center, Position):
            return _PositionD(center.x, center.y)
        else:
            return _PositionD(center[0], center[1])

    def _get_new_bounds(self, image, nx, ny, bounds, center):
        from .bounds import BoundsI
        if image is not None and image.bounds.isDefined():
            return image.bounds
        elif nx is not None and ny is not None:
            b = BoundsI(1, nx, 1, ny)
            if center is not None:
                b = b.shift(_PositionI(int(np.floor(center.x + 0.5 - b.true_center.x)),
                                       int(np.floor(center.y + 0.5 - b.true_center.y))))
            return b
        elif bounds is not None and bounds.isDefined():
            return bounds
        else:
            return BoundsI()

    def _adjust_offset(self, new_bounds, offset, center, use_true_center):
        if center is not None:
            if new_bounds.isDefined():
                offset += center - new_bounds.center
            else:
                offset += _PositionD(center.x - np.ceil(center.x), center.y - np.ceil(center.y))
        elif use_true_center:
            dx = offset.x
            dy = offset.y
            shape = new_bounds.numpyShape()
            if shape[1] % 2 == 0:
                dx -= 0.5
            if shape[0] % 2 == 0:
                dy -= 0.5
            offset = _PositionD(dx, dy)
        return offset

    def _determine_wcs(self, scale, wcs, image, default_wcs=None):
        from .wcs import BaseWCS, PixelScale
        if wcs is not None:
            if scale is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot provide both wcs and scale", wcs=wcs, scale=scale)
            if not isinstance(wcs, BaseWCS):
                raise TypeError("wcs must be a BaseWCS instance")
            if image is not None:
                image.wcs = None
        elif scale is not None:
            wcs = PixelScale(scale)
            if image is not None:
                image.wcs = None
        elif image is not None and image.wcs is not None:
            wcs = image.wcs
        if wcs is None or (wcs._isPixelScale and _concrete(wcs.scale) and not wcs.scale > 0):
            if default_wcs is None:
                wcs = PixelScale(self.nyquist_scale)
            else:
                wcs = default_wcs
        return wcs

    def _prepareDraw(self):
        pass

    # ------------------------------------------------------------------ drawing
    def drawImage(self, image=None, nx=None, ny=None, bounds=None, scale=None, wcs=None, dtype=None,
                  method="auto", area=1.0, exptime=1.0, gain=1.0, add_to_image=False,
                  center=None, use_true_center=True, offset=None,
                  n_photons=0.0, rng=None, max_extra_noise=0.0,
                  poisson_flux=None, sensor=None, photon_ops=None, n_subsample=3, maxN=None,
                  save_photons=False, bandpass=None, setup_only=False, surface_ops=None):
        """Draw an `Image` of the profile (GalSim's ``drawImage``).

        Methods ``'auto'`` and ``'fft'`` convolve by the pixel and draw through an FFT
        (or in real space for real-space convolutions), ``'real_space'`` integrates the
        pixel in real space, ``'no_pixel'`` samples the profile at pixel centres times
        the pixel area, ``'sb'`` gives the surface brightness.  ``'phot'`` shoots photons
        (see `drawPhot`; ``rng`` may be a `BaseDeviate` or a ``jax.random`` key).  Image size, WCS, centring and flux scaling follow GalSim exactly
        (``area * exptime / gain``).  Returns the drawn image, with ``added_flux``.

        JAX notes: under ``jit`` give the image size (``nx``/``ny``, ``bounds`` or an
        ``image``) and a concrete ``scale``/``wcs`` structure; the returned image holds a
        JAX array.  FFT sizes under tracing follow :mod:`jax_galsim.core.fft_size`.
        """
        from .image import Image
        from .wcs import PixelScale
        from .box import Pixel
        from .convolve import Convolve, Convolution

        if surface_ops is not None:
            photon_ops = surface_ops
        if image is not None and not isinstance(image, Image):
            raise TypeError("image is not an Image instance", image)
        if _concrete(gain) and not gain > 0.0:
            raise GalSimRangeError("Invalid gain <= 0.", gain, 0.0, None)
        if _concrete(area) and not area > 0.0:
            raise GalSimRangeError("Invalid area <= 0.", area, 0.0, None)
        if _concrete(exptime) and not exptime > 0.0:
            raise GalSimRangeError("Invalid exptime <= 0.", exptime, 0.0, None)
        if method not in ("auto", "fft", "real_space", "phot", "no_pixel", "sb"):
            raise GalSimValueError("Invalid method name", method,
                                   ("auto", "fft", "real_space", "phot", "no_pixel", "sb"))
        if method == "auto" and isinstance(self, Convolution):
            if any(isinstance(obj, Pixel) for obj in self.obj_list):
                galsim_warn(
                    "You called drawImage with ``method='auto'`` "
                    "for an object that includes convolution by a Pixel.  "
                    "This is probably an error.  Normally, you should let GalSim "
                    "handle the Pixel convolution for you.  If you want to handle the Pixel "
                    "convolution yourself, you can use method=no_pixel.  Or if you really meant "
                    "for your profile to include the Pixel and also have GalSim convolve by "
                    "an _additional_ Pixel, you can suppress this warning by using method=fft.")
        if method != "phot":
            if n_photons != 0.0:
                raise GalSimIncompatibleValuesError(
                    "n_photons is only relevant for method='phot'",
                    method=method, sensor=sensor, n_photons=n_photons)
            if max_extra_noise != 0.0:
                raise GalSimIncompatibleValuesError(
                    "max_extra_noise is only relevant for method='phot'",
                    method=method, sensor=sensor, max_extra_noise=max_extra_noise)
            if poisson_flux is not None:
                raise GalSimIncompatibleValuesError(
                    "poisson_flux is only relevant for method='phot'",
                    method=method, sensor=sensor, poisson_flux=poisson_flux)
        if method != "phot" and sensor is None and not photon_ops:
            if rng is not None:
                raise GalSimIncompatibleValuesError(
                    "rng is only relevant for method='phot' or when using a sensor",
                    method=method, sensor=sensor, rng=rng)
            if maxN is not None:
                raise GalSimIncompatibleValuesError(
                    "maxN is only relevant for method='phot' or when using a sensor",
                    method=method, sensor=sensor, maxN=maxN)
            if save_photons:
                raise GalSimIncompatibleValuesError(
                    "save_photons is only valid for method='phot' or when using a sensor",
                    method=method, sensor=sensor, save_photons=save_photons)
        elif save_photons and maxN is not None:
            raise GalSimIncompatibleValuesError("Setting maxN is incompatible with save_photons=True")

        if method != "phot":
            self._prepareDraw()

        wcs = self._determine_wcs(scale, wcs, image)
        offset = self._parse_offset(offset)
        center = self._parse_center(center)
        new_bounds = self._get_new_bounds(image, nx, ny, bounds, center)
        local_wcs = self._local_wcs(wcs, image, offset, center, use_true_center, new_bounds)

        flux_scale = area * exptime
        if method == "sb":
            flux_scale /= local_wcs.pixelArea()
        if method != "phot" and (_concrete(gain) and gain != 1 or not _concrete(gain)):
            flux_scale /= gain

        offset = self._adjust_offset(new_bounds, offset, center, use_true_center)
        prof = local_wcs.profileToImage(self, flux_ratio=flux_scale, offset=offset)
        prof_no_pixel = prof

        if method in ("auto", "fft", "real_space"):
            real_space = {"auto": None, "fft": False, "real_space": True}[method]
            prof = Convolve(prof, Pixel(scale=1.0, gsparams=self.gsparams),
                            real_space=real_space, gsparams=self.gsparams)

        image = prof._setup_image(image, nx, ny, bounds, add_to_image, dtype, center)
        image.wcs = wcs
        if setup_only:
            image.added_flux = 0.0
            return image

        if method != "phot" and (sensor is not None or photon_ops):
            return self._draw_sensor_image(prof_no_pixel, method, image, local_wcs, offset,
                                           flux_scale, add_to_image, rng, sensor, photon_ops,
                                           n_subsample, maxN, save_photons)
        if method == "phot":
            return self._draw_phot_image(prof, image, wcs, local_wcs, offset, flux_scale, gain,
                                         add_to_image, n_photons, rng, max_extra_noise,
                                         poisson_flux, photon_ops, maxN, save_photons,
                                         sensor)

        b = image.bounds
        cen = image.center
        arr = prof._draw_pixels(b.xmin - cen.x, b.ymin - cen.y, b.xmax - b.xmin + 1,
                                b.ymax - b.ymin + 1, 1.0)
        added = _write(image, arr, add_to_image)
        image.added_flux = _out(added / flux_scale)
        return image

    def _draw_sensor_image(self, prof, method, image, local_wcs, offset, flux_scale,
                           add_to_image, rng, sensor, photon_ops, n_subsample, maxN,
                           save_photons):
        """`drawImage` with a sensor or photon operators but not ``method='phot'``
        (GalSim's algorithm): draw ``prof`` (image coordinates, no pixel yet) on an image
        subsampled ``n_subsample`` times, turn that into photons
        (`PhotonArray.makeFromImage`), apply the operators and accumulate the photons."""
        from .box import Pixel
        from .convolve import Convolve
        from .image import ImageD
        from .photon_array import PhotonArray
        from .wcs import PixelScale
        from .core.shoot import photon_rng
        if sensor is not None and not callable(getattr(sensor, "accumulate", None)):
            raise TypeError("The sensor provided is not a Sensor instance")
        if offset.x != 0.0 or offset.y != 0.0:
            local_wcs = local_wcs.shiftOrigin(offset)
        n = int(n_subsample)
        if method in ("auto", "fft", "real_space"):
            real_space = {"auto": None, "fft": False, "real_space": True}[method]
            prof = Convolve(prof, Pixel(scale=1.0 / n, gsparams=self.gsparams),
                            real_space=real_space, gsparams=self.gsparams)
        elif n != 1:
            from . import convolve as _conv
            if not hasattr(_conv, "Deconvolve"):
                raise GalSimNotImplementedError(
                    "method=%r with a sensor or photon_ops needs n_subsample=1 in jax_galsim "
                    "(Deconvolve is not available)." % (method,))
            prof = Convolve(prof, _conv.Deconvolve(Pixel(scale=1.0, gsparams=self.gsparams)),
                            Pixel(scale=1.0 / n, gsparams=self.gsparams), gsparams=self.gsparams)
        imview = image._view()
        imview._shift(-image.center)
        imview.wcs = PixelScale(1.0)
        orig_center = image.center
        dtype = None if imview.dtype in (np.float32, np.float64) else np.float64
        draw_image = imview.real.subsample(n, n, dtype=dtype)
        draw_image._shift(-draw_image.center)
        if prof.is_analytic_x:
            drawn = prof.drawReal(draw_image, False)
        else:
            drawn = prof.drawFFT(draw_image, False)
        if not add_to_image:
            imview.setZero()
        if maxN is not None and maxN < drawn:
            niter = int(np.ceil(drawn / maxN))
            draw_image /= niter
        else:
            niter = 1
        rng = photon_rng(rng)
        added = 0.0
        resume = False
        photons = None
        for _ in range(niter):
            photons = PhotonArray.makeFromImage(draw_image, rng=rng)
            for op in photon_ops or ():
                op.applyTo(photons, local_wcs, rng.for_ops())
            if imview.dtype in (np.float32, np.float64):
                if sensor is None:
                    added = added + photons.addTo(imview)
                else:
                    added = added + sensor.accumulate(photons, imview, orig_center, resume=resume)
                    resume = True
            else:
                im1 = ImageD(bounds=imview.bounds)
                if sensor is None:
                    added = added + photons.addTo(im1)
                else:
                    added = added + sensor.accumulate(photons, im1, orig_center)
                imview += im1
        if not isinstance(imview._array, np.ndarray):
            image._assign(imview._array)
        image.added_flux = _out(added / flux_scale)
        if save_photons:
            image.photons = photons
        return image

    def _draw_phot_image(self, prof, image, wcs, local_wcs, offset, flux_scale, gain,
                         add_to_image, n_photons, rng, max_extra_noise, poisson_flux,
                         photon_ops, maxN, save_photons, sensor=None):
        """The ``method='phot'`` part of `drawImage`: shoot ``prof`` (already in image
        coordinates) onto a view of ``image`` centred on (0, 0)."""
        from .wcs import PixelScale
        if offset.x != 0.0 or offset.y != 0.0 or not _concrete(offset.x, offset.y):
            local_wcs = local_wcs.shiftOrigin(offset)
        imview = image._view()
        imview._shift(-image.center)
        imview.wcs = PixelScale(1.0)
        added, photons = prof.drawPhot(imview, gain, add_to_image, n_photons, rng,
                                       max_extra_noise, poisson_flux, sensor, photon_ops or (),
                                       maxN, image.center, local_wcs)
        if not isinstance(imview._array, np.ndarray):
            # Functional path: the view was rebound to a new JAX array; it is the result.
            image._assign(imview._array)
        image.added_flux = _out(added / flux_scale)
        if save_photons:
            image.photons = photons
        return image

    def _draw_pixels(self, xmin, ymin, nx, ny, scale):
        """Pixel values of this (image-coordinate) profile; the real-space kernel if the
        profile is analytic in real space, else an FFT."""
        if self.is_analytic_x:
            return self._draw_real_pixels(xmin, ymin, nx, ny, scale)
        return self._draw_fft_pixels(xmin, ymin, nx, ny, scale)

    def _draw_real_pixels(self, xmin, ymin, nx, ny, scale):
        """Surface brightness times pixel area at pixel centres, pixel (0, 0) at the origin.

        A `Transformation` is unwrapped first and its Jacobian, shift and flux scaling are
        applied to the sampling grid and to one overall amplitude, in GalSim's order of
        floating-point operations (``SBProfile::draw``), so that equivalent calls
        (``drawImage(method='sb')`` against ``(obj / scale**2).drawReal``, a dilation by
        1, ...) give identical numbers."""
        from .transform import Transformation
        prof, jac, dx, dy, flux_scaling = self, None, 0.0, 0.0, 1.0
        while isinstance(prof, Transformation):
            if prof._has_offset:
                if jac is not None:
                    x1 = jac[0, 0] * prof._dx + jac[0, 1] * prof._dy
                    y1 = jac[1, 0] * prof._dx + jac[1, 1] * prof._dy
                else:
                    x1, y1 = prof._dx, prof._dy
                dx = dx + x1
                dy = dy + y1
            flux_scaling = flux_scaling * prof._flux_scaling
            if jac is None:
                jac = prof._jac
            elif prof._jac is not None:
                jac = jac @ prof._jac
            prof = prof._original
        xp = _xp_of(prof, scale, jac, dx, dy, flux_scaling)
        return _draw.draw_real_array(prof, xmin, ymin, nx, ny, scale, xp, jac=jac,
                                     xoff=dx, yoff=dy, flux_ratio=flux_scaling)

    def _fft_sizes(self, xmin, ymin, nx, ny, scale):
        """(N, M, nk): real-space period, k-grid multiple, k mask (None = no mask)."""
        gsp = self.gsparams
        image_N = _fft.image_fft_span(xmin, xmin + nx - 1, ymin, ymin + ny - 1)
        if _concrete(self, scale):
            scale = float(scale)
            N = _fft.good_image_size(float(self._stepk), scale)
            N = max(N, image_N)
            N = _fft.good_fft_size(N)
            N = max(N, gsp.minimum_fft_size)
            dk = 2.0 * np.pi / (N * scale)
            maxk = float(self._maxk)
            if N * dk / 2 > maxk:
                Nk = N
            else:
                Nk = int(np.ceil(maxk / dk)) * 2
            if Nk > gsp.maximum_fft_size:
                galsim_warn_fft("drawFFT requires a very large FFT.", Nk)
            M = -(-Nk // N)
            nk = None if Nk == M * N else Nk
            return N, M, nk
        import jax.numpy as jnp
        N = max(gsp.minimum_fft_size, _fft.good_fft_size(image_N))
        M = _fft.K_FACTOR
        dk = 2.0 * np.pi / (N * scale)
        maxk = jax.lax.stop_gradient(jnp.asarray(self._maxk))
        nk = jnp.minimum(_draw.kgrid_nk(N, maxk, jax.lax.stop_gradient(dk), jnp), M * N)
        return N, M, nk

    def _draw_fft_pixels(self, xmin, ymin, nx, ny, scale):
        N, M, nk = self._fft_sizes(xmin, ymin, nx, ny, scale)
        xp = _xp_of(self, scale, nk)
        return _draw.draw_fft_array(self, xmin, ymin, nx, ny, scale, N, M, nk, xp)

    def drawReal(self, image, add_to_image=False):
        """Draw by direct evaluation at pixel centres (times pixel area), centred on pixel
        (0, 0) of ``image`` (which must have a `PixelScale` wcs).  Returns the drawn flux."""
        if image.wcs is None or not image.wcs._isPixelScale:
            raise GalSimValueError("drawReal requires an image with a PixelScale wcs", image)
        b = image.bounds
        arr = self._draw_real_pixels(b.xmin, b.ymin, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1,
                                     image.scale)
        return _out(_write(image, arr, add_to_image))

    def _drawReal(self, image, jac=None, offset=(0.0, 0.0), flux_scaling=1.0):
        self.drawReal(image)

    def drawFFT(self, image, add_to_image=False):
        """Draw through an FFT of the k-space profile, centred on pixel (0, 0) of ``image``
        (which must have a `PixelScale` wcs).  Returns the drawn flux."""
        if image.wcs is None or not image.wcs._isPixelScale:
            raise GalSimValueError("drawFFT requires an image with a PixelScale wcs", image)
        b = image.bounds
        arr = self._draw_fft_pixels(b.xmin, b.ymin, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1,
                                    image.scale)
        return _out(_write(image, arr, add_to_image))

    def drawFFT_makeKImage(self, image):
        """The blank k-space image (and wrap size N) GalSim's drawFFT would use."""
        from .image import ImageCD, ImageCF
        from .bounds import _BoundsI
        b = image.bounds
        N, M, nk = self._fft_sizes(b.xmin, b.ymin, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1,
                                   image.scale)
        Nk = M * N if nk is None else int(nk)
        dk = 2.0 * np.pi / (N * image.scale)
        kb = _BoundsI(0, Nk // 2, -Nk // 2, Nk // 2)
        if image.dtype in (np.complex128, np.float64, np.int32, np.uint32):
            kimage = ImageCD(bounds=kb, scale=dk)
        else:
            kimage = ImageCF(bounds=kb, scale=dk)
        return kimage, N

    def drawKImage(self, image=None, nx=None, ny=None, bounds=None, scale=None,
                   add_to_image=False, recenter=True, bandpass=None, setup_only=False):
        """Draw the k-space (complex) image of the profile (GalSim's ``drawKImage``)."""
        from .image import Image
        from .wcs import PixelScale
        if image is not None:
            if not isinstance(image, Image):
                raise TypeError("Provided image must be galsim.Image", image)
            if not image.iscomplex:
                raise GalSimValueError("Provided image must be complex", image)
        if scale is None:
            if image is not None and image.bounds.isDefined():
                scale = image.scale
        if scale is None or (_concrete(scale) and scale <= 0):
            dk = self.stepk
        else:
            dk = scale if not _concrete(scale) else float(scale)
        if image is not None and image.bounds.isDefined():
            dx = np.pi / (max(image.array.shape) // 2 * dk)
        elif scale is None or (_concrete(scale) and scale <= 0):
            dx = self.nyquist_scale
        else:
            dx = self.nyquist_scale * dk / self.stepk
        if image is None or not image.bounds.isDefined():
            real_prof = PixelScale(dx).profileToImage(self)
            dtype = np.complex128 if image is None else image.dtype
            image = real_prof._setup_image(image, nx, ny, bounds, add_to_image, dtype,
                                           center=None, odd=True)
        else:
            if bounds is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot provide bounds if image is provided", bounds=bounds, image=image)
            if nx is not None or ny is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot provide nx,ny if image is provided", nx=nx, ny=ny, image=image)
        if recenter and image.center != _PositionI(0, 0) and add_to_image:
            raise GalSimIncompatibleValuesError(
                "Cannot use add_to_image=True unless image is centered at (0,0) or recenter=False",
                recenter=recenter, image=image, add_to_image=add_to_image)
        if recenter:
            image._shift(-image.center)
        image.scale = dk
        if setup_only:
            return image
        b = image.bounds
        xp = _xp_of(self, dk)
        arr = _draw.draw_k_array(self, b.xmin, b.ymin, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1,
                                 dk, xp)
        _write(image, arr, add_to_image)
        return image

    def _drawKImage(self, image, jac=None):
        b = image.bounds
        xp = _xp_of(self, image.scale)
        arr = _draw.draw_k_array(self, b.xmin, b.ymin, b.xmax - b.xmin + 1, b.ymax - b.ymin + 1,
                                 image.scale, xp)
        _write(image, arr, False)

    # ------------------------------------------------------------------ photons
    def _calculate_nphotons(self, n_photons, poisson_flux, max_extra_noise, rng):
        """(number of photons, flux factor g) for shooting this profile (GalSim's rule).

        With ``n_photons == 0`` the number is ``|flux| / eta**2`` (``eta`` =
        ``_flux_per_photon``), divided by ``1 + max_extra_noise / |max_sb|`` when
        ``max_extra_noise > 0`` (each photon then carries that factor more flux).  With
        ``poisson_flux`` the total flux is a Poisson realisation (mean ``eta**2 |flux|``,
        rescaled).  The number is rounded to the nearest integer; it must be concrete
        (it sets array shapes), so under ``jit`` give ``n_photons`` explicitly."""
        from .core.shoot import photon_rng
        flux = self._flux
        traced = is_traced(flux)
        if not traced and flux == 0.0:
            return 0, 1.0
        eta = self._flux_per_photon
        mod_flux = flux / (eta * eta)
        g = 1.0
        if poisson_flux:
            xp = _xp_of(flux, eta)
            absflux = abs(flux) if not traced else xp.abs(flux)
            mean = eta * eta * absflux
            r = photon_rng(rng)
            pd_val = r.poisson(mean) - mean + absflux
            ratio = pd_val / absflux
            g = g * ratio
            mod_flux = mod_flux * ratio
        if n_photons == 0.0:
            if is_traced(mod_flux):
                raise GalSimValueError(
                    "Photon shooting with a traced flux needs a concrete n_photons (it sets "
                    "the number of photons, an array shape); pass n_photons > 0.", n_photons)
            n_photons = abs(float(mod_flux))
            if max_extra_noise > 0.0:
                gfactor = 1.0 + max_extra_noise / abs(float(self._max_sb))
                n_photons /= gfactor
                g = g * gfactor
        iN = int(n_photons + 0.5)
        if iN <= 0:
            g = 1.0
        return iN, g

    def _check_phot_args(self, n_photons, poisson_flux):
        if not n_photons >= 0.0:
            raise GalSimRangeError("Invalid n_photons < 0.", n_photons, 0.0, None)
        if poisson_flux is None:
            poisson_flux = n_photons == 0.0
        if n_photons == 0.0 and _concrete(self._flux) and self._flux == 1.0:
            galsim_warn(
                "Warning: drawImage for object with flux == 1, area == 1, and "
                "exptime == 1, but n_photons == 0.  This will only shoot a single photon.")
        return poisson_flux

    def _shoot_or_raise(self, n, rng):
        try:
            return self.shoot(n, rng)
        except (GalSimError, NotImplementedError) as e:
            raise GalSimNotImplementedError(
                "Unable to draw this GSObject with photon shooting.  Perhaps it "
                "is a Deconvolve or is a compound including one or more "
                "Deconvolve objects.\nOriginal error: %r" % (e,))

    def makePhot(self, n_photons=0, rng=None, max_extra_noise=0.0, poisson_flux=None,
                 photon_ops=(), local_wcs=None, surface_ops=None):
        """Shoot photons for this profile and return them as a `PhotonArray` (as
        `drawPhot` would, without drawing them).  Positions are in the profile's units.

        Parameters are those of `drawPhot`: ``n_photons`` (0: automatic from the flux),
        ``rng`` (a `BaseDeviate`, None, or a ``jax.random`` key), ``max_extra_noise``,
        ``poisson_flux`` [default: True iff n_photons == 0], ``photon_ops`` (operators
        with an ``applyTo(photons, local_wcs, rng)`` method, e.g. a `GSObject`) and
        ``local_wcs``."""
        from .core.shoot import photon_rng
        if surface_ops is not None:
            photon_ops = surface_ops
        poisson_flux = self._check_phot_args(n_photons, poisson_flux)
        rng = photon_rng(rng)
        Ntot, g = self._calculate_nphotons(n_photons, poisson_flux, max_extra_noise, rng)
        photons = self._shoot_or_raise(Ntot, rng)
        if not _concrete(g) or g != 1.0:
            photons.scaleFlux(g)
        for op in (photon_ops or ()):
            op.applyTo(photons, local_wcs, rng.for_ops())
        return photons

    def drawPhot(self, image, gain=1.0, add_to_image=False, n_photons=0, rng=None,
                 max_extra_noise=0.0, poisson_flux=None, sensor=None, photon_ops=(),
                 maxN=None, orig_center=_PositionI(0, 0), local_wcs=None, surface_ops=None):
        """Draw this (image-coordinate) profile into ``image`` by shooting photons,
        centred on pixel (0, 0) of ``image``, which must have a `PixelScale` wcs.  The
        result is the profile integrated over each pixel, with shot noise.

        Parameters:
            image:          The `Image` to draw on (bounds must be defined).
            gain:           Photons per ADU. [default: 1]
            add_to_image:   Add to the existing pixel values. [default: False]
            n_photons:      Number of photons (0: ``|flux| / eta**2``, see
                            `_calculate_nphotons`). [default: 0]
            rng:            A `BaseDeviate`, None (seeded from the system), or a
                            ``jax.random`` key (functional path). [default: None]
            max_extra_noise: Extra variance per pixel allowed to use fewer photons when
                            ``n_photons == 0``. [default: 0]
            poisson_flux:   Let the total flux have Poisson scatter. [default: True iff
                            n_photons == 0]
            sensor:         None (photons are added to the pixel they land in), or an
                            object with GalSim's ``Sensor.accumulate(photons, image,
                            orig_center, resume)`` method. [default: None]
            photon_ops:     Operators applied to the photons before they are added (any
                            object with ``applyTo(photons, local_wcs, rng)``, e.g. a PSF
                            `GSObject`). [default: ()]
            maxN:           Most photons shot at a time. [default: None, no limit]
            orig_center:    Unused without a sensor. [default: (0, 0)]
            local_wcs:      Passed to the photon operators. [default: None]

        Returns:
            ``(added_flux, photons)``: the flux that landed on the image (ADU) and the last
            `PhotonArray` shot.
        """
        from .core.shoot import photon_rng
        from .image import ImageD
        if surface_ops is not None:
            photon_ops = surface_ops
        poisson_flux = self._check_phot_args(n_photons, poisson_flux)
        if image.wcs is None or not image.wcs._isPixelScale:
            raise GalSimValueError("drawPhot requires an image with a PixelScale wcs", image)
        if sensor is not None and not callable(getattr(sensor, "accumulate", None)):
            raise TypeError("The sensor provided is not a Sensor instance")
        rng = photon_rng(rng)
        Ntot, g = self._calculate_nphotons(n_photons, poisson_flux, max_extra_noise, rng)
        if not _concrete(gain) or gain != 1.0:
            g = g / gain
        if maxN is None:
            maxN = Ntot
        maxN = int(maxN)
        if not add_to_image:
            image.setZero()
        added_flux = 0.0
        photons = None
        resume = False
        Nleft = Ntot
        while Nleft > 0:
            thisN = min(maxN, Nleft)
            photons = self._shoot_or_raise(thisN, rng)
            if not _concrete(g) or g != 1.0 or thisN != Ntot:
                photons.scaleFlux(g * thisN / Ntot)
            if not _concrete(image.scale) or image.scale != 1.0:
                photons.scaleXY(1.0 / image.scale)
            for op in (photon_ops or ()):
                op.applyTo(photons, local_wcs, rng.for_ops())
            if image.dtype in (np.float32, np.float64):
                if sensor is None:
                    added_flux = added_flux + photons.addTo(image)
                else:
                    added_flux = added_flux + sensor.accumulate(photons, image, orig_center,
                                                                resume=resume)
                    resume = True
            else:
                im1 = ImageD(bounds=image.bounds)
                if sensor is None:
                    added_flux = added_flux + photons.addTo(im1)
                else:
                    added_flux = added_flux + sensor.accumulate(photons, im1, orig_center)
                image += im1
            Nleft -= thisN
        return _out(added_flux), photons

    def shoot(self, n_photons, rng=None):
        """Shoot ``n_photons`` photons from this profile into a new `PhotonArray`
        (positions in the profile's units; fluxes summing to the flux in expectation).

        Parameters:
            n_photons:  The number of photons (a concrete integer: it sets array sizes).
            rng:        A `BaseDeviate` (GalSim-compatible, deterministic for a given
                        seed), None (seeded from the system) or a ``jax.random`` key,
                        which gives JAX arrays and works under ``jit``/``vmap``.
                        [default: None]
        """
        from .photon_array import PhotonArray
        from .core.shoot import photon_rng
        n = int(n_photons)
        photons = PhotonArray(n)
        if n == 0:
            return photons
        self._shoot(photons, photon_rng(rng))
        return photons

    def _shoot(self, photons, rng):
        """Fill ``photons`` (a `PhotonArray`) with photons of this profile, drawing
        uniforms from ``rng`` (a `BaseDeviate`, a ``jax.random`` key, or a
        :class:`jax_galsim.core.shoot.PhotonRNG`)."""
        raise NotImplementedError("%s does not implement shoot" % self.__class__.__name__)

    def _shoot_radial(self, photons, rng, radius_fn, scale, polar_map=None, reject_zero=True):
        """Shared `_shoot` for axisymmetric profiles, each photon carrying ``flux / N``.

        With a `BaseDeviate` and a ``polar_map``, GalSim's own algorithm: a point
        ``(xu, yu)`` uniform in the unit disk by rejection, mapped to
        ``scale * polar_map(rsq) * (xu, yu)`` (same stream use as GalSim).  Otherwise
        (the ``jax.random`` path, fixed shapes) the radius ``scale * radius_fn(u, xp)``
        of one uniform with a uniform azimuth from another."""
        from .core.shoot import photon_rng, disk_angles
        r = photon_rng(rng)
        xp = r.xp
        n = len(photons)
        if polar_map is not None and not r.is_jax:
            xu, yu, rsq = r.polar_pairs(n, reject_zero)
            fac = scale * polar_map(rsq)
            photons.x = fac * xu
            photons.y = fac * yu
            photons.flux = self._flux / n
            return
        u = r.uniform(2 * n)
        c, s = disk_angles(u[:n], xp)
        rad = scale * radius_fn(u[n:], xp)
        photons.x = rad * c
        photons.y = rad * s
        photons.flux = self._flux / n

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        """Convolve the photons of ``photon_array`` by this profile (so a `GSObject` can be
        used as a photon operator, e.g. a PSF in ``photon_ops``)."""
        from .photon_array import PhotonArray
        from .core.shoot import photon_rng
        obj = local_wcs.toImage(self) if local_wcs is not None else self
        p1 = PhotonArray(len(photon_array))
        obj._shoot(p1, photon_rng(rng))
        keep = (photon_array._dxdz, photon_array._dydz, photon_array._wave,
                photon_array._pupil_u, photon_array._pupil_v, photon_array._time)
        photon_array.convolve(p1, rng)
        (photon_array._dxdz, photon_array._dydz, photon_array._wave,
         photon_array._pupil_u, photon_array._pupil_v, photon_array._time) = keep


def _write(image, arr, add_to_image):
    """Write (or add) ``arr`` into ``image``; return the drawn flux (sum of ``arr``)."""
    added = arr.sum()
    new = image.array + arr if add_to_image else arr
    image._assign(new)
    return added


def _sqrt(v):
    if _concrete(v):
        return math.sqrt(v)
    import jax.numpy as jnp
    return jnp.sqrt(v)


def _fmt_str(v):
    if isinstance(v, (np.ndarray, jax.Array, np.generic)) and np.ndim(v) == 0 and _concrete(v):
        return str(np.asarray(v).item())
    return str(v)
