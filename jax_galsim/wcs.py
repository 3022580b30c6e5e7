"""World coordinate systems (WCS): the mapping between image coordinates (x, y) in
pixels and world coordinates (u, v), usually in arcsec.

The class hierarchy follows GalSim's::

    BaseWCS
        --- EuclideanWCS          world coordinates are (u, v) on a plane
                --- UniformWCS    constant pixel size and shape (affine map)
                        --- LocalWCS   image (0,0) maps to world (0,0) (linear map)
        --- CelestialWCS          world coordinates on the sphere (not implemented yet)

Implemented concrete classes:

* local:     :class:`PixelScale`, :class:`ShearWCS`, :class:`JacobianWCS`
* uniform:   :class:`OffsetWCS`, :class:`OffsetShearWCS`, :class:`AffineTransform`

JAX notes: every WCS is a pytree whose continuous parameters (``scale``; the
:class:`~jax_galsim.Shear` of a sheared WCS; ``dudx, dudy, dvdx, dvdy``; the ``origin``
and ``world_origin`` positions) are traced leaves, so ``jax.jit``, ``jax.grad`` and
``jax.vmap`` work over them (e.g. differentiate ``wcs.toWorld(x, y)`` with respect to
``wcs.dudx``).  Concrete inputs give GalSim's float64 results as Python floats.  Checks
that need concrete values (singular Jacobian, ...) are skipped when values are traced.
"""

import base64
import marshal
import math
import pickle
import types

import numpy as np

from .core.backend import as_scalar, is_jax, is_traced
from .core.pytree import Pytree
from .errors import GalSimError, GalSimIncompatibleValuesError
from . import position as _position

__all__ = [
    "BaseWCS",
    "PixelScale",
    "ShearWCS",
    "JacobianWCS",
    "OffsetWCS",
    "OffsetShearWCS",
    "AffineTransform",
    "UVFunction",
    "RaDecFunction",
]


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------
def _is_position(obj):
    return isinstance(obj, _position.Position)


def _posD(x, y):
    """A PositionD without argument checks (values may be tracers)."""
    fast = getattr(_position, "_PositionD", None)
    if fast is not None:
        return fast(x, y)
    return _position.PositionD(x, y)


def _posI(x, y):
    fast = getattr(_position, "_PositionI", None)
    if fast is not None:
        return fast(x, y)
    return _position.PositionI(x, y)


def _sqrt(v):
    if is_jax(v):
        import jax.numpy as jnp

        return jnp.sqrt(v)
    return math.sqrt(v)


def _abs(v):
    if is_jax(v):
        import jax.numpy as jnp

        return jnp.abs(v)
    return abs(v)


def _atan2(y, x):
    if is_jax(y, x):
        import jax.numpy as jnp

        return jnp.arctan2(y, x)
    return math.atan2(y, x)


def _array_module(*values):
    if is_jax(*values):
        import jax.numpy as jnp

        return jnp
    return np


def _Shear():
    from .shear import Shear

    return Shear


def _is_profile(obj):
    """True for a GSObject (or a ChromaticObject, once it exists)."""
    try:
        from .gsobject import GSObject
    except ImportError:  # pragma: no cover
        GSObject = ()
    if GSObject and isinstance(obj, GSObject):
        return True
    try:
        from .chromatic import ChromaticObject  # noqa: F401
    except ImportError:
        return False
    return isinstance(obj, ChromaticObject)


def _transform(obj, jac, flux_ratio, offset):
    """GalSim's ``Transform(obj, jac, offset, flux_ratio)``; ``jac`` is None or the
    tuple (dudx, dudy, dvdx, dvdy)."""
    from .transform import Transform

    return Transform(obj, jac=jac, offset=(offset.x, offset.y), flux_ratio=flux_ratio)


def _check_origin(origin, world_origin):
    """Validate and default the two origins as GalSim does."""
    if origin is None:
        origin = _posD(0.0, 0.0)
    elif not _is_position(origin):
        raise TypeError("origin must be a PositionD or PositionI argument")
    if world_origin is None:
        world_origin = _posD(0.0, 0.0)
    elif not _is_position(world_origin):
        raise TypeError("world_origin must be a PositionD argument")
    return origin, world_origin


def _header_value(v):
    """A concrete parameter as a Python number for a FITS header."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    return float(np.asarray(v))


# ---------------------------------------------------------------------------------------
# BaseWCS
# ---------------------------------------------------------------------------------------
class BaseWCS(Pytree):
    """The base class of all WCS transformations; it defines the common interface.

    Main operations (``wcs`` any WCS, positions in pixels for image coordinates and in
    world units, usually arcsec, for world coordinates):

    * ``wcs.toWorld(image_pos)`` / ``wcs.toImage(world_pos)``: convert a `Position`;
    * ``wcs.toWorld(x, y)`` / ``wcs.toImage(u, v)``: the same on scalars or arrays;
    * ``wcs.toWorld(profile)`` / ``wcs.toImage(profile)``: convert a `GSObject` surface
      brightness profile between the two coordinate systems;
    * ``wcs.toWorld(shear)`` / ``wcs.toImage(shear)``: convert a `Shear`;
    * ``wcs.local(image_pos)``, ``wcs.jacobian(image_pos)``, ``wcs.affine(image_pos)``:
      local linear / affine approximations;
    * ``wcs.pixelArea()``, ``wcs.minLinearScale()``, ``wcs.maxLinearScale()``;
    * ``wcs.isLocal()``, ``wcs.isUniform()``, ``wcs.isCelestial()``,
      ``wcs.isPixelScale()``.

    This class (and `EuclideanWCS`, `UniformWCS`, `LocalWCS`) cannot be constructed.
    """

    _color = None

    # --- conversions --------------------------------------------------------------
    def toWorld(self, *args, **kwargs):
        """Convert from image coordinates to world coordinates.

        * ``toWorld(image_pos)``: a `Position` in pixels -> the world `PositionD`
          (same as `posToWorld`);
        * ``toWorld(x, y)``: scalars or arrays of pixel coordinates -> ``(u, v)``
          (same as `xyTouv`);
        * ``toWorld(image_profile, image_pos=None, world_pos=None, flux_ratio=1,
          offset=(0,0))``: a `GSObject` in image coordinates -> the profile in world
          coordinates (same as `profileToWorld`);
        * ``toWorld(image_shear, image_pos=None, world_pos=None)``: a `Shear` measured
          in image coordinates -> the shear in world coordinates (same as
          `shearToWorld`).
        """
        if len(args) == 1:
            if _is_profile(args[0]):
                return self.profileToWorld(*args, **kwargs)
            elif isinstance(args[0], _Shear()):
                return self.shearToWorld(*args, **kwargs)
            else:
                return self.posToWorld(*args, **kwargs)
        elif len(args) == 2:
            if self._isCelestial:
                return self.xyToradec(*args, **kwargs)
            else:
                return self.xyTouv(*args, **kwargs)
        else:
            raise TypeError("toWorld() takes either 1 or 2 positional arguments")

    def posToWorld(self, image_pos, color=None, **kwargs):
        """Convert a `Position` from image coordinates (pixels) to world coordinates."""
        if color is None:
            color = self._color
        if not _is_position(image_pos):
            raise TypeError("image_pos must be a PositionD or PositionI argument")
        return self._posToWorld(image_pos, color=color, **kwargs)

    def profileToWorld(
        self, image_profile, image_pos=None, world_pos=None, color=None, flux_ratio=1.0, offset=(0, 0)
    ):
        """Convert a profile defined in image coordinates to world coordinates.

        ``flux_ratio`` scales the flux and ``offset`` (world units) shifts the result at
        the same time.  Non-uniform WCS types need ``image_pos`` or ``world_pos``.
        """
        if color is None:
            color = self._color
        return self.local(image_pos, world_pos, color=color)._profileToWorld(
            image_profile, flux_ratio, _position.PositionD(offset)
        )

    def shearToWorld(self, image_shear, image_pos=None, world_pos=None, color=None):
        """Convert a `Shear` measured in image coordinates (+e1 along x) to world
        coordinates (+e1 along u)."""
        if color is None:
            color = self._color
        return self.local(image_pos, world_pos, color=color)._shearToWorld(image_shear)

    def toImage(self, *args, **kwargs):
        """Convert from world coordinates to image coordinates.

        * ``toImage(world_pos)``: a world `Position` -> the image `PositionD` in pixels
          (same as `posToImage`);
        * ``toImage(u, v)``: scalars or arrays of world coordinates -> ``(x, y)``
          (same as `uvToxy`);
        * ``toImage(world_profile, image_pos=None, world_pos=None, flux_ratio=1,
          offset=(0,0))``: a `GSObject` in world coordinates -> the profile in image
          coordinates (same as `profileToImage`);
        * ``toImage(world_shear, image_pos=None, world_pos=None)``: a `Shear` in world
          coordinates -> the shear in image coordinates (same as `shearToImage`).
        """
        if len(args) == 1:
            if _is_profile(args[0]):
                return self.profileToImage(*args, **kwargs)
            elif isinstance(args[0], _Shear()):
                return self.shearToImage(*args, **kwargs)
            else:
                return self.posToImage(*args, **kwargs)
        elif len(args) == 2:
            if self._isCelestial:
                return self.radecToxy(*args, **kwargs)
            else:
                return self.uvToxy(*args, **kwargs)
        else:
            raise TypeError("toImage() takes either 1 or 2 positional arguments")

    def posToImage(self, world_pos, color=None):
        """Convert a `Position` from world coordinates to image coordinates (pixels)."""
        if color is None:
            color = self._color
        if self._isCelestial:
            from .celestial import CelestialCoord

            if not isinstance(world_pos, CelestialCoord):
                raise TypeError("world_pos must be a CelestialCoord argument")
        elif not _is_position(world_pos):
            raise TypeError("world_pos must be a PositionD or PositionI argument")
        return self._posToImage(world_pos, color=color)

    def profileToImage(
        self, world_profile, image_pos=None, world_pos=None, color=None, flux_ratio=1.0, offset=(0, 0)
    ):
        """Convert a profile defined in world coordinates to image coordinates.

        ``flux_ratio`` scales the flux and ``offset`` (pixels) shifts the result at the
        same time.  Non-uniform WCS types need ``image_pos`` or ``world_pos``.
        """
        if color is None:
            color = self._color
        return self.local(image_pos, world_pos, color=color)._profileToImage(
            world_profile, flux_ratio, _position.PositionD(offset)
        )

    def shearToImage(self, world_shear, image_pos=None, world_pos=None, color=None):
        """Convert a `Shear` measured in world coordinates to image coordinates
        (the inverse of `shearToWorld`)."""
        if color is None:
            color = self._color
        return self.local(image_pos, world_pos, color=color)._shearToImage(world_shear)

    # --- pixel size and shape -----------------------------------------------------------
    def pixelArea(self, image_pos=None, world_pos=None, color=None):
        """The area of a pixel in world units squared (arcsec**2)."""
        if color is None:
            color = self._color
        return self.local(image_pos, world_pos, color=color)._pixelArea()

    def minLinearScale(self, image_pos=None, world_pos=None, color=None):
        """The smallest linear scale of the transformation in any direction (the
        semi-minor axis of the Jacobian), in world units per pixel."""
        if color is None:
            color = self._color
        return self.local(image_pos, world_pos, color=color)._minScale()

    def maxLinearScale(self, image_pos=None, world_pos=None, color=None):
        """The largest linear scale of the transformation in any direction (the
        semi-major axis of the Jacobian), in world units per pixel."""
        if color is None:
            color = self._color
        return self.local(image_pos, world_pos, color=color)._maxScale()

    # --- kind queries ----------------------------------------------------------------
    def isPixelScale(self):
        """Whether this is a `PixelScale` or an `OffsetWCS`."""
        return self._isPixelScale

    def isLocal(self):
        """Whether this is a `LocalWCS` (image origin maps to world origin, linear)."""
        return self._isLocal

    def isUniform(self):
        """Whether the pixels all have the same size and shape (a `UniformWCS`)."""
        return self._isUniform

    def isCelestial(self):
        """Whether the world coordinates are celestial (`CelestialCoord`)."""
        return self._isCelestial

    _isPixelScale = False
    _isLocal = False
    _isUniform = False
    _isCelestial = False

    # --- local approximations -------------------------------------------------------
    def local(self, image_pos=None, world_pos=None, color=None):
        """The local linear approximation (a `LocalWCS`) of the WCS at a given point.

        Give at most one of ``image_pos`` and ``world_pos`` (neither for a uniform WCS).
        """
        if color is None:
            color = self._color
        if world_pos is not None:
            if image_pos is not None:
                raise GalSimIncompatibleValuesError(
                    "Only one of image_pos or world_pos may be provided",
                    image_pos=image_pos,
                    world_pos=world_pos,
                )
            image_pos = self.posToImage(world_pos, color)
        if image_pos is not None and not _is_position(image_pos):
            raise TypeError("image_pos must be a PositionD or PositionI argument")
        return self._local(image_pos, color)

    def jacobian(self, image_pos=None, world_pos=None, color=None):
        """The local `JacobianWCS` at a given point (like `local`, but always a
        `JacobianWCS`, whose ``dudx, dudy, dvdx, dvdy`` can be read directly)."""
        if color is None:
            color = self._color
        return self.local(image_pos, world_pos, color=color)._toJacobian()

    def affine(self, image_pos=None, world_pos=None, color=None):
        """The local `AffineTransform` at a given point: the Jacobian there, with the
        image origin at ``image_pos`` and the world origin at ``toWorld(image_pos)``
        (for celestial WCS the world origin is (0,0))."""
        if color is None:
            color = self._color
        jac = self.jacobian(image_pos, world_pos, color=color)
        if world_pos is not None:
            image_pos = self.toImage(world_pos, color=color)
        elif image_pos is None:
            image_pos = _posD(0.0, 0.0)
        if self._isCelestial:
            return jac.withOrigin(image_pos)
        if world_pos is None:
            world_pos = self.toWorld(image_pos, color=color)
        return jac.withOrigin(image_pos, world_pos, color=color)

    def shiftOrigin(self, origin, world_origin=None, color=None):
        """A new (non-local) WCS that treats image position ``origin`` as the current
        one treats (0,0).  For a Euclidean WCS, ``world_origin`` optionally sets the
        world position that ``origin`` maps to."""
        if color is None:
            color = self._color
        if not _is_position(origin):
            raise TypeError("origin must be a PositionD or PositionI argument")
        return self._shiftOrigin(origin, world_origin, color)

    def withOrigin(self, origin, world_origin=None, color=None):
        """Deprecated alias of `shiftOrigin` for non-local WCS types."""
        import warnings

        from .errors import GalSimDeprecationWarning

        warnings.warn(
            "withOrigin has been deprecated since GalSim version 2.3. Use shiftOrigin instead.",
            GalSimDeprecationWarning,
        )
        return self.shiftOrigin(origin, world_origin, color)

    def fixColor(self, color):
        """A copy of this WCS with the color term fixed to ``color``."""
        ret = self.copy()
        object.__setattr__(ret, "_color", color)
        return ret

    def copy(self):
        """A copy of this WCS."""
        children, aux = self._tree_flatten()
        return self._from_leaves(children, aux)

    # --- FITS headers ----------------------------------------------------------------
    def writeToFitsHeader(self, header, bounds):
        """Write this WCS to a FITS header (a `FitsHeader` or dict-like).

        Writes ``GS_XMIN``/``GS_YMIN`` (the image origin), ``GS_WCS`` (the class name),
        the class's own ``GS_*`` keys, and the standard linear keys (``CTYPE``,
        ``CRPIX``, ``CRVAL``, ``CD``) for the WCS shifted so that the image starts at
        (1,1), as ds9 assumes.  `readFromFitsHeader` reverses this.
        """
        header["GS_XMIN"] = (bounds.xmin, "GalSim image minimum x coordinate")
        header["GS_YMIN"] = (bounds.ymin, "GalSim image minimum y coordinate")
        if bounds.xmin != 1 or bounds.ymin != 1:
            delta = _posI(1 - bounds.xmin, 1 - bounds.ymin)
            bounds = bounds.shift(delta)
            wcs = self.shiftOrigin(delta)
        else:
            wcs = self
        wcs._writeHeader(header, bounds)
        if hasattr(self, "header"):
            for key in self.header:
                if key not in header and key.strip() not in ("", "COMMENT", "HISTORY"):
                    header[key] = self.header[key]

    def makeSkyImage(self, image, sky_level, color=None):
        """Fill ``image`` with a sky of ``sky_level`` (ADU per world unit squared),
        multiplied by each pixel's area."""
        if color is None:
            color = self._color
        self._makeSkyImage(image, sky_level, color)

    # --- pieces for subclasses ---------------------------------------------------------
    def __ne__(self, other):
        return not self.__eq__(other)


# ---------------------------------------------------------------------------------------
# EuclideanWCS / UniformWCS / LocalWCS
# ---------------------------------------------------------------------------------------
class EuclideanWCS(BaseWCS):
    """A WCS whose world coordinates (u, v) lie on a Euclidean plane (`PositionD`)."""

    @property
    def x0(self):
        """The x component of ``self.origin``."""
        return self.origin.x

    @property
    def y0(self):
        """The y component of ``self.origin``."""
        return self.origin.y

    @property
    def u0(self):
        """The x component (u) of ``self.world_origin``."""
        return self.world_origin.x

    @property
    def v0(self):
        """The y component (v) of ``self.world_origin``."""
        return self.world_origin.y

    def xyTouv(self, x, y, color=None):
        """Convert image coordinates x, y (scalars or arrays, pixels) to world u, v."""
        if color is None:
            color = self._color
        return self._xyTouv(x, y, color=color)

    def uvToxy(self, u, v, color=None):
        """Convert world coordinates u, v (scalars or arrays) to image x, y (pixels)."""
        if color is None:
            color = self._color
        return self._uvToxy(u, v, color)

    def _posToWorld(self, image_pos, color):
        x = image_pos.x - self.x0
        y = image_pos.y - self.y0
        return _posD(self._u(x, y, color) + self.u0, self._v(x, y, color) + self.v0)

    def _xyTouv(self, x, y, color):
        x = x - self.x0
        y = y - self.y0
        return self._u(x, y, color) + self.u0, self._v(x, y, color) + self.v0

    def _posToImage(self, world_pos, color):
        u = world_pos.x - self.u0
        v = world_pos.y - self.v0
        return _posD(self._x(u, v, color) + self.x0, self._y(u, v, color) + self.y0)

    def _uvToxy(self, u, v, color):
        u = u - self.u0
        v = v - self.v0
        return self._x(u, v, color) + self.x0, self._y(u, v, color) + self.y0

    def _shiftOrigin(self, origin, world_origin, color):
        # The new WCS is u' = f(x - x1) + u1 where f is this WCS's map about its own
        # origin.  Without world_origin, x1 = origin + x0 keeps u1 = u0; with it, x1 is
        # the given origin and u1 = world_origin + (u0 - u(x0)).
        if world_origin is None:
            if not self._isLocal:
                origin = origin + self.origin
                world_origin = self.world_origin
            return self._newOrigin(origin, world_origin)
        if not _is_position(world_origin):
            raise TypeError("world_origin must be a PositionD or PositionI argument")
        if not self._isLocal:
            world_origin = world_origin + (self.world_origin - self._posToWorld(self.origin, color=color))
        return self._newOrigin(origin, world_origin)

    def _local(self, image_pos, color):
        raise NotImplementedError(
            "Local approximations of non-uniform Euclidean WCS types are not implemented yet: later issue"
        )


class UniformWCS(EuclideanWCS):
    """A `EuclideanWCS` with a uniform pixel size and shape (an affine map)."""

    _isUniform = True

    def _u(self, x, y, color=None):
        return self._local_wcs._u(x, y)

    def _v(self, x, y, color=None):
        return self._local_wcs._v(x, y)

    def _x(self, u, v, color=None):
        return self._local_wcs._x(u, v)

    def _y(self, u, v, color=None):
        return self._local_wcs._y(u, v)

    def _local(self, image_pos, color):
        return self._local_wcs

    def inverse(self):
        """The inverse transformation, swapping the roles of image and world
        coordinates."""
        return self._inverse()

    def _inverse(self):
        return self._local_wcs._inverse()._newOrigin(self.world_origin, self.origin)

    def _makeSkyImage(self, image, sky_level, color):
        image.fill(sky_level * self.pixelArea())

    @property
    def origin(self):
        """The image coordinate position to use as the origin."""
        return self._origin

    @property
    def world_origin(self):
        """The world coordinate position to use as the origin."""
        return self._world_origin


class LocalWCS(UniformWCS):
    """A `UniformWCS` in which image (0,0) maps to world (0,0): a linear map."""

    _isLocal = True

    def withOrigin(self, origin, world_origin=None, color=None):
        """A non-local WCS with the same pixel shape whose image position ``origin``
        maps to ``world_origin`` (default (0,0)).  For a local WCS this is the same
        as `shiftOrigin`."""
        if not _is_position(origin):
            raise TypeError("origin must be a PositionD or PositionI argument")
        if world_origin is not None and not _is_position(world_origin):
            raise TypeError("world_origin must be a PositionD or PositionI argument")
        return self._newOrigin(origin, world_origin)

    @property
    def origin(self):
        """The image coordinate origin: always (0,0) for a local WCS."""
        return _posD(0.0, 0.0)

    @property
    def world_origin(self):
        """The world coordinate origin: always (0,0) for a local WCS."""
        return _posD(0.0, 0.0)

    def _posToWorld(self, image_pos, color=None):
        x = image_pos.x
        y = image_pos.y
        return _posD(self._u(x, y), self._v(x, y))

    def _xyTouv(self, x, y, color=None):
        return self._u(x, y), self._v(x, y)

    def _posToImage(self, world_pos, color=None):
        u = world_pos.x
        v = world_pos.y
        return _posD(self._x(u, v), self._y(u, v))

    def _uvToxy(self, u, v, color=None):
        return self._x(u, v), self._y(u, v)

    def _local(self, image_pos, color):
        return self

    @property
    def _local_wcs(self):
        return self


class CelestialWCS(BaseWCS):
    """A WCS whose world coordinates are on the celestial sphere.

    Not implemented yet in jax_galsim (later issue); defined so that ``isinstance``
    checks and the class hierarchy match GalSim's."""

    _isCelestial = True


# ---------------------------------------------------------------------------------------
# Local WCS classes
# ---------------------------------------------------------------------------------------
class PixelScale(LocalWCS):
    """The simplest WCS: a pixel scale.

        u = x * scale
        v = y * scale

    Parameters:
        scale:  The pixel scale, typically in arcsec/pixel.
    """

    _req_params = {"scale": float}
    _leaves = ("_scale",)
    _static = ()
    _isPixelScale = True

    def __init__(self, scale):
        self._scale = as_scalar(scale)

    @property
    def scale(self):
        """The pixel scale (world units per pixel)."""
        return self._scale

    @property
    def _invscale(self):
        return 1.0 / self._scale

    def _u(self, x, y, color=None):
        return x * self._scale

    def _v(self, x, y, color=None):
        return y * self._scale

    def _x(self, u, v, color=None):
        return u * self._invscale

    def _y(self, u, v, color=None):
        return v * self._invscale

    def _profileToWorld(self, image_profile, flux_ratio, offset):
        if not is_traced(self._scale) and self._scale == 1.0:
            jac = None
        else:
            jac = (self._scale, 0.0, 0.0, self._scale)
        return _transform(image_profile, jac, self._invscale**2 * flux_ratio, offset)

    def _profileToImage(self, world_profile, flux_ratio, offset):
        if not is_traced(self._scale) and self._scale == 1.0:
            jac = None
        else:
            inv = self._invscale
            jac = (inv, 0.0, 0.0, inv)
        return _transform(world_profile, jac, self._scale**2 * flux_ratio, offset)

    def _shearToWorld(self, image_shear):
        return image_shear

    def _shearToImage(self, world_shear):
        return world_shear

    def _pixelArea(self):
        return self._scale**2

    def _minScale(self):
        return self._scale

    def _maxScale(self):
        return self._scale

    def _inverse(self):
        return PixelScale._from_leaves((self._invscale,))

    def _toJacobian(self):
        return JacobianWCS._from_leaves((self._scale, 0.0, 0.0, self._scale))

    def _writeHeader(self, header, bounds):
        header["GS_WCS"] = ("PixelScale", "GalSim WCS name")
        header["GS_SCALE"] = (_header_value(self.scale), "GalSim image scale")
        return self.affine()._writeLinearWCS(header, bounds)

    @staticmethod
    def _readHeader(header):
        return PixelScale(header["GS_SCALE"])

    def _newOrigin(self, origin, world_origin):
        return OffsetWCS(self._scale, origin, world_origin)

    def __repr__(self):
        return "galsim.PixelScale(%r)" % (self._scale,)


class ShearWCS(LocalWCS):
    """A uniformly sheared coordinate system: a round object in world coordinates has
    the given shear in image coordinates.

        u = (x - g1 x - g2 y) * scale / sqrt(1-g1**2-g2**2)
        v = (y + g1 y - g2 x) * scale / sqrt(1-g1**2-g2**2)

    Parameters:
        scale:  The pixel scale, typically in arcsec/pixel.
        shear:  The shear, a `Shear` instance.
    """

    _leaves = ("_scale", "_shear")
    _static = ()

    def __init__(self, scale, shear):
        if not isinstance(shear, _Shear()):
            raise TypeError("shear must be a galsim.Shear instance")
        self._scale = as_scalar(scale)
        self._shear = shear

    @property
    def scale(self):
        """The pixel scale (world units per pixel)."""
        return self._scale

    @property
    def shear(self):
        """The applied `Shear`."""
        return self._shear

    @property
    def _g1(self):
        return self._shear.g1

    @property
    def _g2(self):
        return self._shear.g2

    @property
    def _gsq(self):
        return self._g1**2 + self._g2**2

    @property
    def _gfactor(self):
        return 1.0 / _sqrt(1.0 - self._gsq)

    def _u(self, x, y, color=None):
        u = x * (1.0 - self._g1) - y * self._g2
        return u * (self._gfactor * self._scale)

    def _v(self, x, y, color=None):
        v = y * (1.0 + self._g1) - x * self._g2
        return v * (self._gfactor * self._scale)

    def _x(self, u, v, color=None):
        x = u * (1.0 + self._g1) + v * self._g2
        return x * (self._gfactor / self._scale)

    def _y(self, u, v, color=None):
        y = v * (1.0 - self._g1) + u * self._g2
        return y * (self._gfactor / self._scale)

    def _profileToWorld(self, image_profile, flux_ratio, offset):
        return image_profile.dilate(self._scale).shear(-self._shear).shift(offset) * flux_ratio

    def _profileToImage(self, world_profile, flux_ratio, offset):
        return world_profile.dilate(1.0 / self._scale).shear(self._shear).shift(offset) * flux_ratio

    def _shearToWorld(self, image_shear):
        return self._toJacobian()._shearToWorld(image_shear)

    def _shearToImage(self, world_shear):
        return self._toJacobian()._shearToImage(world_shear)

    def _pixelArea(self):
        return self._scale**2

    def _minScale(self):
        return self._scale * (1.0 - _sqrt(self._gsq)) * self._gfactor

    def _maxScale(self):
        return self._scale * (1.0 + _sqrt(self._gsq)) * self._gfactor

    def _inverse(self):
        return ShearWCS._from_leaves((1.0 / self._scale, -self._shear))

    def _toJacobian(self):
        sc, gf = self._scale, self._gfactor
        return JacobianWCS._from_leaves(
            (
                (1.0 - self._g1) * sc * gf,
                -self._g2 * sc * gf,
                -self._g2 * sc * gf,
                (1.0 + self._g1) * sc * gf,
            )
        )

    def _writeHeader(self, header, bounds):
        header["GS_WCS"] = ("ShearWCS", "GalSim WCS name")
        header["GS_SCALE"] = (_header_value(self.scale), "GalSim image scale")
        header["GS_G1"] = (_header_value(self.shear.g1), "GalSim image shear g1")
        header["GS_G2"] = (_header_value(self.shear.g2), "GalSim image shear g2")
        return self.affine()._writeLinearWCS(header, bounds)

    @staticmethod
    def _readHeader(header):
        return ShearWCS(header["GS_SCALE"], _Shear()(g1=header["GS_G1"], g2=header["GS_G2"]))

    def _newOrigin(self, origin, world_origin):
        return OffsetShearWCS(self._scale, self._shear, origin, world_origin)

    def __repr__(self):
        return "galsim.ShearWCS(%r, %r)" % (self._scale, self._shear)


class _JacobianElements:
    """The four elements du/dx, du/dy, dv/dx, dv/dy, shared by `JacobianWCS` and
    `AffineTransform` (stored as traced leaves ``_dudx`` ...)."""

    def _set_jacobian(self, dudx, dudy, dvdx, dvdy):
        self._dudx = as_scalar(dudx)
        self._dudy = as_scalar(dudy)
        self._dvdx = as_scalar(dvdx)
        self._dvdy = as_scalar(dvdy)

    @property
    def dudx(self):
        """du/dx"""
        return self._dudx

    @property
    def dudy(self):
        """du/dy"""
        return self._dudy

    @property
    def dvdx(self):
        """dv/dx"""
        return self._dvdx

    @property
    def dvdy(self):
        """dv/dy"""
        return self._dvdy


class JacobianWCS(_JacobianElements, LocalWCS):
    """The most general local linear WCS, a 2x2 Jacobian matrix:

        u = dudx x + dudy y
        v = dvdx x + dvdy y

    Parameters:
        dudx, dudy, dvdx, dvdy:  The Jacobian elements (world units per pixel).

    ``getMatrix()`` returns the matrix; ``getDecomposition()`` its equivalent scale,
    shear, rotation and flip.
    """

    _req_params = {"dudx": float, "dudy": float, "dvdx": float, "dvdy": float}
    _leaves = ("_dudx", "_dudy", "_dvdx", "_dvdy")
    _static = ()

    def __init__(self, dudx, dudy, dvdx, dvdy):
        self._set_jacobian(dudx, dudy, dvdx, dvdy)

    @property
    def _det(self):
        return self._dudx * self._dvdy - self._dudy * self._dvdx

    @property
    def _invdet(self):
        det = self._det
        if not is_traced(det) and np.all(np.asarray(det) == 0.0):
            raise GalSimError("Transformation is singular")
        return 1.0 / det

    def _u(self, x, y, color=None):
        return self._dudx * x + self._dudy * y

    def _v(self, x, y, color=None):
        return self._dvdx * x + self._dvdy * y

    def _x(self, u, v, color=None):
        return (self._dvdy * u - self._dudy * v) * self._invdet

    def _y(self, u, v, color=None):
        return (-self._dvdx * u + self._dudx * v) * self._invdet

    def _profileToWorld(self, image_profile, flux_ratio, offset):
        jac = (self._dudx, self._dudy, self._dvdx, self._dvdy)
        return _transform(image_profile, jac, flux_ratio * _abs(self._invdet), offset)

    def _profileToImage(self, world_profile, flux_ratio, offset):
        invdet = self._invdet
        jac = (self._dvdy * invdet, -self._dudy * invdet, -self._dvdx * invdet, self._dudx * invdet)
        return _transform(world_profile, jac, flux_ratio * _abs(self._det), offset)

    def _shearToWorld(self, image_shear):
        # A shape matrix M ~ [[1+e1, e2], [e2, 1-e1]] in image coordinates becomes
        # J M J^T in world coordinates.
        e1 = image_shear.e1
        e2 = image_shear.e2
        xpm = _array_module(e1, e2, self._dudx, self._dudy, self._dvdx, self._dvdy)
        M = xpm.array([[1.0 + e1, e2], [e2, 1.0 - e1]])
        J = self.getMatrix()
        M = J.dot(M).dot(J.T)
        tr = M[0, 0] + M[1, 1]
        e1 = (M[0, 0] - M[1, 1]) / tr
        e2 = (2.0 * M[0, 1]) / tr
        if xpm is np:
            e1, e2 = float(e1), float(e2)
        return _Shear()(e1=e1, e2=e2)

    def _shearToImage(self, world_shear):
        return self._inverse()._shearToWorld(world_shear)

    def _pixelArea(self):
        return _abs(self._det)

    def getMatrix(self):
        """The Jacobian as an array ``[[dudx, dudy], [dvdx, dvdy]]``."""
        xpm = _array_module(self._dudx, self._dudy, self._dvdx, self._dvdy)
        if xpm is np:
            return np.array([[self._dudx, self._dudy], [self._dvdx, self._dvdy]], dtype=float)
        return xpm.array([[self._dudx, self._dudy], [self._dvdx, self._dvdy]])

    def getDecomposition(self):
        """The equivalent (scale, shear, theta, flip) of this Jacobian:

            J = scale/sqrt(1-g^2) [[1+g1, g2], [g2, 1-g1]] R(theta) F

        where R is a rotation and F is the identity or, if ``flip``, the swap of x and
        y.  Without a flip, ``prof.transform(dudx, dudy, dvdx, dvdy)`` equals
        ``prof.rotate(theta).shear(shear).expand(scale)``.

        Returns a tuple (scale: float, shear: `Shear`, theta: `Angle`, flip: bool).
        """
        from .angle import radians

        det = self._det
        if not is_traced(det):
            if det == 0.0:
                raise GalSimError("Transformation is singular")
            flip = bool(det < 0.0)
            if flip:
                scale = math.sqrt(-det) if not is_jax(det) else _sqrt(-det)
                dudx, dudy, dvdx, dvdy = self._dudy, self._dudx, self._dvdy, self._dvdx
            else:
                scale = math.sqrt(det) if not is_jax(det) else _sqrt(det)
                dudx, dudy, dvdx, dvdy = self._dudx, self._dudy, self._dvdx, self._dvdy
        else:
            import jax.numpy as jnp

            flip = det < 0.0
            scale = jnp.sqrt(jnp.abs(det))
            dudx = jnp.where(flip, self._dudy, self._dudx)
            dudy = jnp.where(flip, self._dudx, self._dudy)
            dvdx = jnp.where(flip, self._dvdy, self._dvdx)
            dvdy = jnp.where(flip, self._dvdx, self._dvdy)
        C = dudx + dvdy
        S = dvdx - dudy
        theta = _atan2(S, C) * radians
        factor = C * C + S * S
        C = C / factor
        S = S / factor
        g1 = C * (dudx - dvdy) - S * (dudy + dvdx)
        g2 = S * (dudx - dvdy) + C * (dudy + dvdx)
        return scale, _Shear()(g1=g1, g2=g2), theta, flip

    def _hvals(self):
        h1 = _sqrt((self._dudx + self._dvdy) ** 2 + (self._dudy - self._dvdx) ** 2)
        h2 = _sqrt((self._dudx - self._dvdy) ** 2 + (self._dudy + self._dvdx) ** 2)
        return h1, h2

    def _minScale(self):
        h1, h2 = self._hvals()
        return 0.5 * _abs(h1 - h2)

    def _maxScale(self):
        h1, h2 = self._hvals()
        return 0.5 * (h1 + h2)

    def _inverse(self):
        invdet = self._invdet
        return JacobianWCS._from_leaves(
            (self._dvdy * invdet, -self._dudy * invdet, -self._dvdx * invdet, self._dudx * invdet)
        )

    def _toJacobian(self):
        return self

    def _writeHeader(self, header, bounds):
        header["GS_WCS"] = ("JacobianWCS", "GalSim WCS name")
        return self.affine()._writeLinearWCS(header, bounds)

    @staticmethod
    def _readHeader(header):
        return JacobianWCS(
            header.get("CD1_1", 1.0),
            header.get("CD1_2", 0.0),
            header.get("CD2_1", 0.0),
            header.get("CD2_2", 1.0),
        )

    def _newOrigin(self, origin, world_origin):
        return AffineTransform(self._dudx, self._dudy, self._dvdx, self._dvdy, origin, world_origin)

    def __repr__(self):
        return "galsim.JacobianWCS(%r, %r, %r, %r)" % (self._dudx, self._dudy, self._dvdx, self._dvdy)


# ---------------------------------------------------------------------------------------
# Non-local uniform WCS classes
# ---------------------------------------------------------------------------------------
class OffsetWCS(UniformWCS):
    """A `PixelScale` whose image and world origins need not be (0,0):

        u = (x-x0) * scale + u0
        v = (y-y0) * scale + v0

    Parameters:
        scale:          The pixel scale, typically in arcsec/pixel.
        origin:         The image position (x0,y0), a `PositionD` or `PositionI`
                        [default: PositionD(0,0)].
        world_origin:   The world position (u0,v0), a `PositionD` [default: (0,0)].
    """

    _req_params = {"scale": float}
    _leaves = ("_scale", "_origin", "_world_origin")
    _static = ()
    _isPixelScale = True

    def __init__(self, scale, origin=None, world_origin=None):
        self._origin, self._world_origin = _check_origin(origin, world_origin)
        self._scale = as_scalar(scale)

    @property
    def scale(self):
        """The pixel scale (world units per pixel)."""
        return self._scale

    @property
    def _local_wcs(self):
        return PixelScale._from_leaves((self._scale,))

    def _writeHeader(self, header, bounds):
        header["GS_WCS"] = ("OffsetWCS", "GalSim WCS name")
        header["GS_SCALE"] = (_header_value(self.scale), "GalSim image scale")
        header["GS_X0"] = (_header_value(self.origin.x), "GalSim image origin x")
        header["GS_Y0"] = (_header_value(self.origin.y), "GalSim image origin y")
        header["GS_U0"] = (_header_value(self.world_origin.x), "GalSim world origin u")
        header["GS_V0"] = (_header_value(self.world_origin.y), "GalSim world origin v")
        return self.affine()._writeLinearWCS(header, bounds)

    @staticmethod
    def _readHeader(header):
        return OffsetWCS(
            header["GS_SCALE"],
            _position.PositionD(header["GS_X0"], header["GS_Y0"]),
            _position.PositionD(header["GS_U0"], header["GS_V0"]),
        )

    def _newOrigin(self, origin, world_origin):
        return OffsetWCS(self._scale, origin, world_origin)

    def __repr__(self):
        return "galsim.OffsetWCS(%r, %r, %r)" % (self._scale, self._origin, self._world_origin)


class OffsetShearWCS(UniformWCS):
    """A `ShearWCS` whose image and world origins need not be (0,0):

        u = ( (1-g1) (x-x0) - g2 (y-y0) ) * scale / sqrt(1-g1**2-g2**2) + u0
        v = ( (1+g1) (y-y0) - g2 (x-x0) ) * scale / sqrt(1-g1**2-g2**2) + v0

    Parameters:
        scale:          The pixel scale, typically in arcsec/pixel.
        shear:          The shear, a `Shear` instance.
        origin:         The image position (x0,y0) [default: PositionD(0,0)].
        world_origin:   The world position (u0,v0) [default: PositionD(0,0)].
    """

    _leaves = ("_scale", "_shear", "_origin", "_world_origin")
    _static = ()

    def __init__(self, scale, shear, origin=None, world_origin=None):
        self._origin, self._world_origin = _check_origin(origin, world_origin)
        local = ShearWCS(scale, shear)
        self._scale = local._scale
        self._shear = local._shear

    @property
    def scale(self):
        """The pixel scale (world units per pixel)."""
        return self._scale

    @property
    def shear(self):
        """The applied `Shear`."""
        return self._shear

    @property
    def _local_wcs(self):
        return ShearWCS._from_leaves((self._scale, self._shear))

    def _writeHeader(self, header, bounds):
        header["GS_WCS"] = ("OffsetShearWCS", "GalSim WCS name")
        header["GS_SCALE"] = (_header_value(self.scale), "GalSim image scale")
        header["GS_G1"] = (_header_value(self.shear.g1), "GalSim image shear g1")
        header["GS_G2"] = (_header_value(self.shear.g2), "GalSim image shear g2")
        header["GS_X0"] = (_header_value(self.origin.x), "GalSim image origin x coordinate")
        header["GS_Y0"] = (_header_value(self.origin.y), "GalSim image origin y coordinate")
        header["GS_U0"] = (_header_value(self.world_origin.x), "GalSim world origin u coordinate")
        header["GS_V0"] = (_header_value(self.world_origin.y), "GalSim world origin v coordinate")
        return self.affine()._writeLinearWCS(header, bounds)

    @staticmethod
    def _readHeader(header):
        return OffsetShearWCS(
            header["GS_SCALE"],
            _Shear()(g1=header["GS_G1"], g2=header["GS_G2"]),
            _position.PositionD(header["GS_X0"], header["GS_Y0"]),
            _position.PositionD(header["GS_U0"], header["GS_V0"]),
        )

    def _newOrigin(self, origin, world_origin):
        return OffsetShearWCS(self._scale, self._shear, origin, world_origin)

    def __repr__(self):
        return "galsim.OffsetShearWCS(%r, %r, %r, %r)" % (
            self._scale,
            self._shear,
            self._origin,
            self._world_origin,
        )


class AffineTransform(_JacobianElements, UniformWCS):
    """The most general uniform WCS: a 2x2 Jacobian plus an offset.

        u = dudx (x-x0) + dudy (y-y0) + u0
        v = dvdx (x-x0) + dvdy (y-y0) + v0

    Parameters:
        dudx, dudy, dvdx, dvdy:  The Jacobian elements (world units per pixel).
        origin:         The image position (x0,y0) [default: PositionD(0,0)].
        world_origin:   The world position (u0,v0) [default: PositionD(0,0)].
    """

    _req_params = {"dudx": float, "dudy": float, "dvdx": float, "dvdy": float}
    _leaves = ("_dudx", "_dudy", "_dvdx", "_dvdy", "_origin", "_world_origin")
    _static = ()

    def __init__(self, dudx, dudy, dvdx, dvdy, origin=None, world_origin=None):
        self._origin, self._world_origin = _check_origin(origin, world_origin)
        self._set_jacobian(dudx, dudy, dvdx, dvdy)

    @property
    def _local_wcs(self):
        return JacobianWCS._from_leaves((self._dudx, self._dudy, self._dvdx, self._dvdy))

    def _writeHeader(self, header, bounds):
        header["GS_WCS"] = ("AffineTransform", "GalSim WCS name")
        return self._writeLinearWCS(header, bounds)

    def _writeLinearWCS(self, header, bounds):
        header["CTYPE1"] = ("LINEAR", "name of the world coordinate axis")
        header["CTYPE2"] = ("LINEAR", "name of the world coordinate axis")
        header["CRVAL1"] = (_header_value(self.u0), "world coordinate at reference pixel = u0")
        header["CRVAL2"] = (_header_value(self.v0), "world coordinate at reference pixel = v0")
        header["CRPIX1"] = (_header_value(self.x0), "image coordinate of reference pixel = x0")
        header["CRPIX2"] = (_header_value(self.y0), "image coordinate of reference pixel = y0")
        header["CD1_1"] = (_header_value(self.dudx), "CD1_1 = dudx")
        header["CD1_2"] = (_header_value(self.dudy), "CD1_2 = dudy")
        header["CD2_1"] = (_header_value(self.dvdx), "CD2_1 = dvdx")
        header["CD2_2"] = (_header_value(self.dvdy), "CD2_2 = dvdy")
        return header

    @staticmethod
    def _readHeader(header):
        if "CD1_1" in header:
            dudx = header.get("CD1_1", 1.0)
            dudy = header.get("CD1_2", 0.0)
            dvdx = header.get("CD2_1", 0.0)
            dvdy = header.get("CD2_2", 1.0)
        else:
            dudx = header.get("CDELT1", 1.0)
            dudy = 0.0
            dvdx = 0.0
            dvdy = header.get("CDELT2", 1.0)
        x0 = header.get("CRPIX1", 0.0)
        y0 = header.get("CRPIX2", 0.0)
        u0 = header.get("CRVAL1", 0.0)
        v0 = header.get("CRVAL2", 0.0)
        return AffineTransform(
            dudx, dudy, dvdx, dvdy, _position.PositionD(x0, y0), _position.PositionD(u0, v0)
        )

    def _newOrigin(self, origin, world_origin):
        return AffineTransform(self._dudx, self._dudy, self._dvdx, self._dvdy, origin, world_origin)

    def __repr__(self):
        return "galsim.AffineTransform(%r, %r, %r, %r, origin=%r, world_origin=%r)" % (
            self._dudx,
            self._dudy,
            self._dvdx,
            self._dvdy,
            self._origin,
            self._world_origin,
        )


# ---------------------------------------------------------------------------------------
# Not implemented yet
# ---------------------------------------------------------------------------------------
def _not_implemented(name):
    from .errors import GalSimNotImplementedError

    raise GalSimNotImplementedError("galsim.%s is not implemented yet in jax_galsim: later issue" % name)


class UVFunction(EuclideanWCS):
    """A WCS given by arbitrary functions u(x,y) and v(x,y) (and optionally their
    inverses x(u,v), y(u,v)):

        u = ufunc(x-x0, y-y0) + u0
        v = vfunc(x-x0, y-y0) + v0

    Parameters:
        ufunc, vfunc:   The functions u(x,y), v(x,y): Python callables, or strings
                        that are evaluated as ``lambda x,y: <string>`` with ``math``,
                        ``numpy``/``np`` and ``galsim`` available.
        xfunc, yfunc:   Optional inverse functions x(u,v), y(u,v) (same forms).  Without
                        them, world -> image conversions raise
                        `GalSimNotImplementedError`. [default: None]
        origin:         The image position (x0,y0) [default: PositionD(0,0)].
        world_origin:   The world position (u0,v0) [default: PositionD(0,0)].
        uses_color:     Whether the functions take a third ``color`` argument.
                        [default: False]

    JAX notes: the origins are traced leaves; the functions are static.  Whether the
    conversions can be traced depends on the user's functions (string functions use
    NumPy).  ``local`` uses GalSim's central finite differences with a 1-pixel step.
    Python-callable functions are written to FITS headers as serialized byte code (as
    GalSim does), readable by the same Python version.
    """

    _leaves = ("_origin", "_world_origin")
    _static = ("_orig_ufunc", "_orig_vfunc", "_orig_xfunc", "_orig_yfunc", "_uses_color")

    def __init__(
        self, ufunc, vfunc, xfunc=None, yfunc=None, origin=None, world_origin=None, uses_color=False
    ):
        self._origin, self._world_origin = _check_origin(origin, world_origin)
        self._orig_ufunc = ufunc
        self._orig_vfunc = vfunc
        self._orig_xfunc = xfunc
        self._orig_yfunc = yfunc
        self._uses_color = bool(uses_color)

    def _compile(self, f, args):
        if isinstance(f, str):
            from .utilities import math_eval

            if self._uses_color:
                args = args + ",c"
            return math_eval("lambda %s : %s" % (args, f))
        return f

    @property
    def _funcs(self):
        funcs = self.__dict__.get("_compiled")
        if funcs is None:
            funcs = (
                self._compile(self._orig_ufunc, "x,y"),
                self._compile(self._orig_vfunc, "x,y"),
                self._compile(self._orig_xfunc, "u,v"),
                self._compile(self._orig_yfunc, "u,v"),
            )
            self.__dict__["_compiled"] = funcs
        return funcs

    def __getstate__(self):
        d = self.__dict__.copy()
        d.pop("_compiled", None)
        return d

    def __setstate__(self, d):
        self.__dict__.update(d)

    @property
    def ufunc(self):
        """The u(x,y) function."""
        return self._funcs[0]

    @property
    def vfunc(self):
        """The v(x,y) function."""
        return self._funcs[1]

    @property
    def xfunc(self):
        """The x(u,v) function (or None)."""
        return self._funcs[2]

    @property
    def yfunc(self):
        """The y(u,v) function (or None)."""
        return self._funcs[3]

    @property
    def origin(self):
        """The image coordinate position to use as the origin."""
        return self._origin

    @property
    def world_origin(self):
        """The world coordinate position to use as the origin."""
        return self._world_origin

    def _call(self, f, a, b, color):
        args = (a, b, color) if self._uses_color else (a, b)
        try:
            return f(*args)
        except Exception as e:
            # Functions that do not vectorise: evaluate element by element.
            try:
                rest = args[2:]
                return np.array([f(a1, b1, *rest) for a1, b1 in zip(a, b)])
            except Exception:
                raise e from None

    def _u(self, x, y, color=None):
        return self._call(self._funcs[0], x, y, color)

    def _v(self, x, y, color=None):
        return self._call(self._funcs[1], x, y, color)

    def _inverse_func(self, k):
        f = self._funcs[k]
        if f is None:
            from .errors import GalSimNotImplementedError

            raise GalSimNotImplementedError("World -> Image direction not implemented for this UVFunction")
        return f

    def _x(self, u, v, color=None):
        return self._call(self._inverse_func(2), u, v, color)

    def _y(self, u, v, color=None):
        return self._call(self._inverse_func(3), u, v, color)

    def _local(self, image_pos, color):
        if image_pos is None:
            raise TypeError("origin must be a PositionD or PositionI argument")
        # Central differences with a step of one pixel, as GalSim does.
        x0 = image_pos.x - self.x0
        y0 = image_pos.y - self.y0
        xpm = _array_module(x0, y0)
        xs = xpm.array([x0 + 1.0, x0 - 1.0, x0, x0], dtype=float)
        ys = xpm.array([y0, y0, y0 + 1.0, y0 - 1.0], dtype=float)
        u = self._u(xs, ys, color)
        v = self._v(xs, ys, color)
        vals = [0.5 * (u[0] - u[1]), 0.5 * (u[2] - u[3]), 0.5 * (v[0] - v[1]), 0.5 * (v[2] - v[3])]
        if xpm is np:
            vals = [float(a) for a in vals]
        return JacobianWCS(*vals)

    def _makeSkyImage(self, image, sky_level, color):
        b = image.bounds
        nx = b.xmax - b.xmin + 1 + 2
        ny = b.ymax - b.ymin + 1 + 2
        x, y = np.meshgrid(np.linspace(b.xmin - 1, b.xmax + 1, nx), np.linspace(b.ymin - 1, b.ymax + 1, ny))
        x = x - self.x0
        y = y - self.y0
        u = np.reshape(self._u(x.ravel(), y.ravel(), color), x.shape)
        v = np.reshape(self._v(x.ravel(), y.ravel(), color), x.shape)
        dudx = 0.5 * (u[1 : ny - 1, 2:nx] - u[1 : ny - 1, 0 : nx - 2])
        dudy = 0.5 * (u[2:ny, 1 : nx - 1] - u[0 : ny - 2, 1 : nx - 1])
        dvdx = 0.5 * (v[1 : ny - 1, 2:nx] - v[1 : ny - 1, 0 : nx - 2])
        dvdy = 0.5 * (v[2:ny, 1 : nx - 1] - v[0 : ny - 2, 1 : nx - 1])
        area = np.abs(dudx * dvdy - dvdx * dudy)
        image.array[:, :] = area * sky_level

    def _newOrigin(self, origin, world_origin):
        return UVFunction(
            self._orig_ufunc,
            self._orig_vfunc,
            self._orig_xfunc,
            self._orig_yfunc,
            origin,
            world_origin,
            self._uses_color,
        )

    def _writeHeader(self, header, bounds):
        funcs = (self._orig_ufunc, self._orig_vfunc, self._orig_xfunc, self._orig_yfunc)
        header["GS_WCS"] = ("UVFunction", "GalSim WCS name")
        header["GS_X0"] = (_header_value(self.origin.x), "GalSim image origin x")
        header["GS_Y0"] = (_header_value(self.origin.y), "GalSim image origin y")
        header["GS_U0"] = (_header_value(self.world_origin.x), "GalSim world origin u")
        header["GS_V0"] = (_header_value(self.world_origin.y), "GalSim world origin v")
        header["GS_COLOR"] = (int(self._uses_color), "GalSim wcs uses color?")
        for f, letter in zip(funcs, "UVXY"):
            _write_func(f, letter, header)
        return self.affine(bounds.true_center)._writeLinearWCS(header, bounds)

    @staticmethod
    def _readHeader(header):
        funcs = [_read_func(letter, header) for letter in "UVXY"]
        return UVFunction(
            *funcs,
            origin=_position.PositionD(header["GS_X0"], header["GS_Y0"]),
            world_origin=_position.PositionD(header["GS_U0"], header["GS_V0"]),
            uses_color=bool(header["GS_COLOR"]),
        )

    def __repr__(self):
        return "galsim.UVFunction(%r, %r, %r, %r, %r, %r, %r)" % (
            self._orig_ufunc,
            self._orig_vfunc,
            self._orig_xfunc,
            self._orig_yfunc,
            self._origin,
            self._world_origin,
            self._uses_color,
        )


_FITS_STR_LEN = 68


def _serialize_func(func):
    """A Python function as text: its byte code (marshal), name, defaults and closure
    values (modules by name), pickled and base64-encoded, as GalSim stores them.  Other
    callables are pickled whole.  Readable only by the same Python version."""
    if isinstance(func, types.FunctionType):
        closure = None
        if func.__closure__:
            closure = [("module_" + c.cell_contents.__name__)
                       if isinstance(c.cell_contents, types.ModuleType) else c.cell_contents
                       for c in func.__closure__]
        payload = (0, marshal.dumps(func.__code__), func.__name__, func.__defaults__, closure)
    else:
        payload = (1, func)
    return base64.b64encode(pickle.dumps(payload)).decode()


def _deserialize_func(text):
    payload = pickle.loads(base64.b64decode(text))
    if payload[0] != 0:
        return payload[1]
    code, name, defaults, closure_items = payload[1:]
    closure = None
    if closure_items is not None:
        closure = tuple(
            types.CellType(__import__(v[7:]) if isinstance(v, str) and v.startswith("module_") else v)
            for v in closure_items)
    return types.FunctionType(marshal.loads(code), globals(), name, defaults, closure)


def _write_func(func, letter, header):
    """Write a function over as many 68-character header cards as it needs (keys
    GS_<L>_N, then GS_<L>_STR for a string or GS_<L>_FN for a serialized callable, then
    GS_<L>0001, ...): GalSim's layout."""
    if func is None:
        return
    if isinstance(func, str):
        text, first = func, "GS_%s_STR" % letter
    else:
        text, first = _serialize_func(func), "GS_%s_FN" % letter
    n = (len(text) - 1) // _FITS_STR_LEN + 1
    header["GS_" + letter + "_N"] = n
    for i in range(n):
        key = first if i == 0 else "GS_%s%04d" % (letter, i)
        header[key] = text[i * _FITS_STR_LEN : (i + 1) * _FITS_STR_LEN]


def _read_func(letter, header):
    for suffix in ("_STR", "_FN"):
        first = "GS_" + letter + suffix
        if first in header:
            n = header["GS_" + letter + "_N"]
            text = "".join(header[first if i == 0 else "GS_%s%04d" % (letter, i)] for i in range(n))
            return text if suffix == "_STR" else _deserialize_func(text)
    return None


class RaDecFunction(CelestialWCS):
    """A celestial WCS given by arbitrary functions ra(x,y), dec(x,y).  Not implemented
    yet in jax_galsim (later issue): construction raises `GalSimNotImplementedError`."""

    def __init__(self, ra_func, dec_func=None, origin=None):
        _not_implemented("RaDecFunction")


# ---------------------------------------------------------------------------------------
# Module-level functions
# ---------------------------------------------------------------------------------------
def readFromFitsHeader(header, suppress_warning=True):
    """Read a WCS from a FITS header; returns ``(wcs, origin)``.

    A header written by `BaseWCS.writeToFitsHeader` (it has ``GS_WCS``) gives back the
    original WCS class; otherwise the linear FITS keys are read by `FitsWCS` (a
    `PixelScale` of 1 if there are none).  ``origin`` is the image origin
    (``GS_XMIN``, ``GS_YMIN``), default (1,1).
    """
    from .fitswcs import FitsWCS

    header = _as_fits_header(header)
    xmin = header.get("GS_XMIN", 1)
    ymin = header.get("GS_YMIN", 1)
    origin = _posI(xmin, ymin)
    wcs_name = header.get("GS_WCS", None)
    wcs_type = _wcs_class(wcs_name) if wcs_name is not None else None
    if wcs_type is not None:
        wcs = wcs_type._readHeader(header)
    else:
        wcs = FitsWCS(header=header, suppress_warning=suppress_warning)
    if xmin != 1 or ymin != 1:
        wcs = wcs.shiftOrigin(_posI(xmin - 1, ymin - 1))
    return wcs, origin


def _as_fits_header(header):
    try:
        from .fits import FitsHeader
    except ImportError:  # pragma: no cover
        return header
    if not isinstance(header, FitsHeader):
        header = FitsHeader(header)
    return header


def _wcs_class(name):
    """The implemented WCS class called ``name`` (None if it is not implemented)."""
    import jax_galsim

    cls = getattr(jax_galsim, str(name).strip(), None)
    if cls is None:
        cls = globals().get(str(name).strip())
    if isinstance(cls, type) and issubclass(cls, BaseWCS) and hasattr(cls, "_readHeader"):
        return cls
    return None


def compatible(wcs1, wcs2):
    """Whether two WCS are the same up to a shift of their origins."""
    if wcs1._isUniform and wcs2._isUniform:
        return wcs1.jacobian() == wcs2.jacobian()
    return wcs1 == wcs2.shiftOrigin(wcs1.origin, wcs1.world_origin)
