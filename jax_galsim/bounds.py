"""Axis-aligned rectangles: :class:`BoundsD` (floating point) and :class:`BoundsI`
(integer, e.g. the pixel range of an image).

JAX notes
---------
* ``BoundsD`` is a pytree with leaves ``xmin, xmax, ymin, ymax``; whether it is defined
  is static.  When the limits are traced, a rectangle built from four values or from
  positions is taken to be defined (its min <= max cannot be checked at trace time),
  and intersections/unions are computed with ``jax.numpy.minimum``/``maximum``.
* ``BoundsI`` is entirely static (Python ints), because image bounds set array shapes,
  which must be known at trace time.
"""

import math

import jax
import jax.numpy as jnp

from .core.backend import is_traced
from .core.pytree import Pytree
from .errors import GalSimUndefinedBoundsError
from .position import Position, PositionD, PositionI, _PositionD, _PositionI, _to_float

__all__ = ["Bounds", "BoundsD", "BoundsI", "_BoundsD", "_BoundsI"]


def _min(a, b):
    return jnp.minimum(a, b) if is_traced(a, b) else min(a, b)


def _max(a, b):
    return jnp.maximum(a, b) if is_traced(a, b) else max(a, b)


def _le(a, b):
    """``a <= b`` as a Python bool when concrete, a traced boolean otherwise."""
    return jnp.less_equal(a, b) if is_traced(a, b) else bool(a <= b)


def _all(*conds):
    """Logical and of conditions that may be traced booleans."""
    if any(isinstance(c, jax.Array) for c in conds):
        out = conds[0]
        for c in conds[1:]:
            out = jnp.logical_and(out, c)
        return out
    return all(conds)


class Bounds(Pytree):
    """Base class of axis-aligned rectangles ``[xmin, xmax] x [ymin, ymax]``.

    Use :class:`BoundsD` (floating point limits) or :class:`BoundsI` (integer
    limits).  Constructors::

        BoundsI(xmin, xmax, ymin, ymax)     # or keywords xmin=..., xmax=..., ...
        BoundsI(pos1, pos2)                 # smallest rectangle containing both
        BoundsI(pos)                        # a single point
        BoundsI(other_bounds)
        BoundsI()                           # undefined

    A rectangle with ``xmin > xmax`` or ``ymin > ymax`` is undefined; all undefined
    bounds of a type compare equal.  ``b1 & b2`` is the intersection, ``b + b2`` and
    ``b + pos`` the smallest rectangle containing both (so ``b += pos`` grows ``b``).
    """

    def __init__(self):
        raise NotImplementedError("Cannot instantiate the base class. Use either BoundsD or BoundsI.")

    def _parse_args(self, args, kwargs):
        """(xmin, xmax, ymin, ymax, defined) from the constructor arguments."""
        name = type(self).__name__
        if kwargs:
            if args:
                raise TypeError("Cannot provide both keyword and non-keyword arguments to %s" % name)
            kwargs = dict(kwargs)
            try:
                vals = tuple(kwargs.pop(k) for k in ("xmin", "xmax", "ymin", "ymax"))
            except KeyError:
                raise TypeError(
                    "Keyword arguments, xmin, xmax, ymin, ymax are required for %s" % name
                ) from None
            if kwargs:
                raise TypeError("Got unexpected keyword arguments %s" % list(kwargs))
        elif len(args) == 0:
            return 0, 0, 0, 0, False
        elif len(args) == 4:
            vals = tuple(args)
        elif len(args) == 1:
            arg = args[0]
            if isinstance(arg, Bounds):
                # As GalSim: the stored limits are copied and definedness re-derived from
                # them, so a copy of BoundsI() is the defined single pixel (0, 0).
                vals = (arg.xmin, arg.xmax, arg.ymin, arg.ymax)
            elif isinstance(arg, Position):
                vals = (arg.x, arg.x, arg.y, arg.y)
            else:
                raise TypeError("Single argument to %s must be either a Bounds or a Position" % name)
        elif len(args) == 2:
            p1, p2 = args
            if not (isinstance(p1, Position) and isinstance(p2, Position)):
                raise TypeError("Two arguments to %s must be Positions" % name)
            vals = (_min(p1.x, p2.x), _max(p1.x, p2.x), _min(p1.y, p2.y), _max(p1.y, p2.y))
        else:
            raise TypeError("%s takes either 1, 2, or 4 arguments (%d given)" % (name, len(args)))

        xmin, xmax, ymin, ymax = vals
        if is_traced(*vals):
            defined = True
        else:
            # float() also rejects non-numeric input (ValueError/TypeError), as GalSim.
            defined = float(xmin) <= float(xmax) and float(ymin) <= float(ymax)
        return xmin, xmax, ymin, ymax, defined

    # --- derived quantities -------------------------------------------------------
    def isDefined(self):
        """Whether the rectangle is defined (min <= max in both directions)."""
        return self._isdefined

    def area(self):
        """Area of the rectangle.  For `BoundsD` this is ``(xmax-xmin)*(ymax-ymin)``;
        for `BoundsI` it is the number of pixels, ``(xmax-xmin+1)*(ymax-ymin+1)``
        (0 if undefined)."""
        return self._area()

    def getXMin(self):
        """The lower x limit."""
        return self.xmin

    def getXMax(self):
        """The upper x limit."""
        return self.xmax

    def getYMin(self):
        """The lower y limit."""
        return self.ymin

    def getYMax(self):
        """The upper y limit."""
        return self.ymax

    @property
    def origin(self):
        """The lower-left corner ``(xmin, ymin)`` as a position of the matching type."""
        return self._pos_class(self.xmin, self.ymin)

    @property
    def center(self):
        """The central position.  For `BoundsI` an integer `PositionI`, rounded up
        (right/above the true centre) when a side has an even number of pixels; for
        `BoundsD` the same as `true_center`."""
        if not self.isDefined():
            raise GalSimUndefinedBoundsError("center is invalid for an undefined Bounds")
        return self._center

    @property
    def true_center(self):
        """The exact centre ``((xmin+xmax)/2, (ymin+ymax)/2)`` as a `PositionD`."""
        if not self.isDefined():
            raise GalSimUndefinedBoundsError("true_center is invalid for an undefined Bounds")
        return _PositionD((self.xmax + self.xmin) / 2.0, (self.ymax + self.ymin) / 2.0)

    # --- operations ---------------------------------------------------------------
    def withBorder(self, dx, dy=None):
        """A copy enlarged by ``dx`` on the left and right and ``dy`` (default
        ``dx``) on the bottom and top.  Negative values shrink it."""
        self._check_scalar(dx, "dx")
        if dy is None:
            dy = dx
        else:
            self._check_scalar(dy, "dy")
        return type(self)(self.xmin - dx, self.xmax + dx, self.ymin - dy, self.ymax + dy)

    def expand(self, factor_x, factor_y=None):
        """A copy scaled about its centre by ``factor_x`` in x and ``factor_y``
        (default ``factor_x``) in y.  `BoundsI` grows by whole pixels (rounded up)."""
        if factor_y is None:
            factor_y = factor_x
        dx = (self.xmax - self.xmin) * 0.5 * (factor_x - 1.0)
        dy = (self.ymax - self.ymin) * 0.5 * (factor_y - 1.0)
        if isinstance(self, BoundsI):
            dx = int(math.ceil(dx))
            dy = int(math.ceil(dy))
        return self.withBorder(dx, dy)

    def shift(self, delta):
        """A copy translated by ``delta``, a position of the matching type."""
        if not isinstance(delta, self._pos_class):
            raise TypeError("delta must be a %s instance" % self._pos_class)
        return type(self)(
            self.xmin + delta.x, self.xmax + delta.x, self.ymin + delta.y, self.ymax + delta.y
        )

    def includes(self, *args):
        """Whether a point ``(x, y)``, a `Position` or a whole `Bounds` lies inside
        (edges included).  Undefined bounds include nothing.

        JAX notes: with traced values the result is a traced boolean."""
        if len(args) == 1:
            arg = args[0]
            if isinstance(arg, Bounds):
                if not (self.isDefined() and arg.isDefined()):
                    return False
                return _all(
                    _le(self.xmin, arg.xmin),
                    _le(arg.xmax, self.xmax),
                    _le(self.ymin, arg.ymin),
                    _le(arg.ymax, self.ymax),
                )
            if isinstance(arg, Position):
                x, y = arg.x, arg.y
            else:
                raise TypeError("Invalid argument %s" % (arg,))
        elif len(args) == 2:
            x, y = _to_float(args[0]), _to_float(args[1])
        elif len(args) == 0:
            raise TypeError("include takes at least 1 argument (0 given)")
        else:
            raise TypeError("include takes at most 2 arguments (%d given)" % len(args))
        if not self.isDefined():
            return False
        return _all(_le(self.xmin, x), _le(x, self.xmax), _le(self.ymin, y), _le(y, self.ymax))

    def __and__(self, other):
        if not isinstance(other, type(self)):
            raise TypeError("other must be a %s instance" % type(self).__name__)
        if not (self.isDefined() and other.isDefined()):
            return type(self)()
        xmin = _max(self.xmin, other.xmin)
        xmax = _min(self.xmax, other.xmax)
        ymin = _max(self.ymin, other.ymin)
        ymax = _min(self.ymax, other.ymax)
        if not is_traced(xmin, xmax, ymin, ymax) and (xmin > xmax or ymin > ymax):
            return type(self)()
        return type(self)(xmin, xmax, ymin, ymax)

    def __add__(self, other):
        if isinstance(other, type(self)):
            if not other.isDefined():
                return self
            if not self.isDefined():
                return other
            return type(self)(
                _min(self.xmin, other.xmin),
                _max(self.xmax, other.xmax),
                _min(self.ymin, other.ymin),
                _max(self.ymax, other.ymax),
            )
        if isinstance(other, self._pos_class):
            if not self.isDefined():
                return type(self)(other)
            return type(self)(
                _min(self.xmin, other.x),
                _max(self.xmax, other.x),
                _min(self.ymin, other.y),
                _max(self.ymax, other.y),
            )
        raise TypeError(
            "other must be either a %s or a %s" % (type(self).__name__, self._pos_class.__name__)
        )

    # --- equality and representation ----------------------------------------------
    def _getinitargs(self):
        if self.isDefined():
            return (self.xmin, self.xmax, self.ymin, self.ymax)
        return ()

    def _key(self):
        # All undefined bounds of a type are equal, whatever their stored limits.
        if not self.isDefined():
            return ()
        return super()._key()

    def _repr_args(self):
        if not self.isDefined():
            return []
        return [("xmin", self.xmin), ("xmax", self.xmax), ("ymin", self.ymin), ("ymax", self.ymax)]

    def __str__(self):
        if not self.isDefined():
            return "galsim.%s()" % type(self).__name__
        return "galsim.%s(%s,%s,%s,%s)" % (
            type(self).__name__,
            self.xmin,
            self.xmax,
            self.ymin,
            self.ymax,
        )

    @property
    def _b(self):
        # GalSim exposes its C++ bounds here; there is no separate layer in jax_galsim.
        return self


class BoundsD(Bounds):
    """Rectangle with floating point limits (see `Bounds`).

    JAX notes: ``xmin, xmax, ymin, ymax`` are pytree leaves; definedness is static."""

    _leaves = ("xmin", "xmax", "ymin", "ymax")
    _static = ("_isdefined",)
    _pos_class = PositionD

    def __init__(self, *args, **kwargs):
        xmin, xmax, ymin, ymax, defined = self._parse_args(args, kwargs)
        self._isdefined = defined
        self.xmin = _to_float(xmin)
        self.xmax = _to_float(xmax)
        self.ymin = _to_float(ymin)
        self.ymax = _to_float(ymax)

    def _check_scalar(self, x, name):
        if is_traced(x):
            return
        try:
            if x == float(x):
                return
        except (TypeError, ValueError):
            pass
        raise TypeError("%s must be a float value" % name)

    def _area(self):
        return (self.xmax - self.xmin) * (self.ymax - self.ymin)

    @property
    def _center(self):
        return _PositionD((self.xmax + self.xmin) / 2.0, (self.ymax + self.ymin) / 2.0)


class BoundsI(Bounds):
    """Rectangle with integer limits, typically an image's pixel range (see
    `Bounds`).  Non-integral limits raise TypeError.

    JAX notes: entirely static (Python ints), since it sets array shapes."""

    _leaves = ()
    _static = ("xmin", "xmax", "ymin", "ymax", "_isdefined")
    _pos_class = PositionI

    def __init__(self, *args, **kwargs):
        xmin, xmax, ymin, ymax, defined = self._parse_args(args, kwargs)
        vals = (xmin, xmax, ymin, ymax)
        if is_traced(*vals):
            raise TypeError(
                "BoundsI limits must be concrete integers, not traced values: image bounds set "
                "array shapes, which must be static under jax.jit/vmap."
            )
        if any(v != int(v) for v in vals):
            raise TypeError("BoundsI must be initialized with integer values")
        self._isdefined = defined
        self.xmin, self.xmax, self.ymin, self.ymax = (int(v) for v in vals)

    def _check_scalar(self, x, name):
        try:
            if x == int(x):
                return
        except (TypeError, ValueError):
            pass
        raise TypeError("%s must be an integer value" % name)

    def numpyShape(self):
        """The NumPy array shape ``(ny, nx)`` of an image with these bounds
        (``(0, 0)`` if undefined)."""
        if not self.isDefined():
            return 0, 0
        return self.ymax - self.ymin + 1, self.xmax - self.xmin + 1

    def _area(self):
        if not self.isDefined():
            return 0
        return (self.xmax - self.xmin + 1) * (self.ymax - self.ymin + 1)

    @property
    def _center(self):
        return _PositionI(
            self.xmin + (self.xmax - self.xmin + 1) // 2,
            self.ymin + (self.ymax - self.ymin + 1) // 2,
        )


def _BoundsD(xmin, xmax, ymin, ymax):
    """A defined `BoundsD` without argument parsing or checks."""
    ret = BoundsD.__new__(BoundsD)
    ret._isdefined = True
    ret.xmin, ret.xmax, ret.ymin, ret.ymax = (_to_float(v) for v in (xmin, xmax, ymin, ymax))
    return ret


def _BoundsI(xmin, xmax, ymin, ymax):
    """A defined `BoundsI` without argument parsing or checks (integer limits)."""
    ret = BoundsI.__new__(BoundsI)
    ret._isdefined = True
    ret.xmin, ret.xmax, ret.ymin, ret.ymax = (int(v) for v in (xmin, xmax, ymin, ymax))
    return ret
