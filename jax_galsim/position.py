"""2-D positions on the plane: :class:`PositionD` (floating point) and
:class:`PositionI` (integer, e.g. pixel indices).

JAX notes
---------
* ``PositionD`` is a pytree whose leaves are ``x`` and ``y``: it can be passed through
  ``jax.jit``, differentiated with ``jax.grad`` and batched with ``jax.vmap``.  Concrete
  inputs are stored as Python floats (exactly as GalSim); JAX tracers are stored
  unchanged, and arithmetic on them uses ``jax.numpy``.
* ``PositionI`` holds Python ints as *static* data (no leaves): integer positions fix
  image bounds, which set array shapes and so must be known at trace time.  A
  ``PositionI`` built from traced values (e.g. ``PositionD(traced).round()``) keeps the
  traced values and still supports arithmetic, but cannot itself be passed across a
  ``jit`` boundary.
"""


import jax
import jax.numpy as jnp
import numpy as np

from .core.backend import as_scalar, is_traced
from .core.pytree import Pytree

__all__ = ["Position", "PositionI", "PositionD", "_PositionI", "_PositionD"]


def _is_tracer(v):
    return isinstance(v, jax.core.Tracer)


def _to_float(value):
    """A coordinate of a `PositionD`: a Python float when concrete (so strings that do not
    parse raise ValueError, and None raises TypeError, as GalSim); tracers and arrays
    with dimensions are kept as they are."""
    return as_scalar(value, float)


def _to_int(value):
    """A coordinate of a `PositionI`: a Python int; non-integral values raise TypeError.
    Tracers are rounded to the nearest integer with ``jax.numpy``."""
    if _is_tracer(value):
        return jnp.round(value).astype(int) if jnp.issubdtype(value.dtype, jnp.floating) else value
    if isinstance(value, (np.ndarray, jax.Array)) and np.ndim(value) > 0:
        arr = np.asarray(value)
        if np.any(arr != np.round(arr)):
            raise TypeError("PositionI must be initialized with integer values")
        return arr.astype(int)
    if value != int(value):
        raise TypeError("PositionI must be initialized with integer values")
    return int(value)


class Position(Pytree):
    """Base class of 2-D positions (``x``, ``y``).

    Use :class:`PositionD` (floating point values) or :class:`PositionI` (integer
    values).  Either can be built as ``PositionD(x, y)``, ``PositionD(x=x, y=y)``,
    ``PositionD((x, y))``, ``PositionD(other_position)`` or ``PositionD()`` (the
    origin).

    Supported arithmetic: ``p1 + p2``, ``p1 - p2``, ``p * s``, ``s * p``, ``p / s`` and
    ``-p``.  Adding or subtracting a `PositionI` and a `PositionD` gives a `PositionD`;
    a `PositionI` may only be multiplied or divided by integers.  ``position + bounds``
    is the smallest `Bounds` containing both.  In-place forms (``+=`` etc.) rebind the
    name to a new object.
    """

    def __init__(self):
        raise NotImplementedError(
            "Cannot instantiate the base class.  Use either PositionD or PositionI."
        )

    def _parse_args(self, args, kwargs):
        """(x, y) from any of the accepted constructor signatures."""
        name = type(self).__name__
        if kwargs:
            if args:
                raise TypeError(
                    "%s takes x and y as either named or unnamed arguments (given %s, %s)"
                    % (name, args, kwargs)
                )
            kwargs = dict(kwargs)
            if "x" not in kwargs or "y" not in kwargs:
                raise TypeError("Keyword arguments x,y are required for %s" % name)
            x = kwargs.pop("x")
            y = kwargs.pop("y")
            if kwargs:
                raise TypeError("Got unexpected keyword arguments %s" % list(kwargs))
            return x, y
        if len(args) == 0:
            return 0, 0
        if len(args) == 2:
            return args
        if len(args) == 1:
            arg = args[0]
            if isinstance(arg, Position):
                return arg.x, arg.y
            try:
                x, y = arg
            except (TypeError, ValueError):
                raise TypeError(
                    "Single argument to %s must be either a Position or a tuple." % name
                ) from None
            return x, y
        raise TypeError("%s takes at most 2 arguments (%d given)" % (name, len(args)))

    # --- arithmetic ---------------------------------------------------------------
    def __mul__(self, other):
        self._check_scalar(other, "multiply")
        return type(self)(self.x * other, self.y * other)

    def __rmul__(self, other):
        return self.__mul__(other)

    def __truediv__(self, other):
        self._check_scalar(other, "divide")
        return type(self)(self.x / other, self.y / other)

    __div__ = __truediv__

    def __neg__(self):
        return type(self)(-self.x, -self.y)

    def __add__(self, other):
        from .bounds import Bounds

        if isinstance(other, Bounds):
            return other + self
        if not isinstance(other, Position):
            raise TypeError("Can only add a Position to a %s" % type(self).__name__)
        if isinstance(other, type(self)):
            return type(self)(self.x + other.x, self.y + other.y)
        return PositionD(self.x + other.x, self.y + other.y)

    def __sub__(self, other):
        if not isinstance(other, Position):
            raise TypeError("Can only subtract a Position from a %s" % type(self).__name__)
        if isinstance(other, type(self)):
            return type(self)(self.x - other.x, self.y - other.y)
        return _PositionD(self.x - other.x, self.y - other.y)

    # --- representation -----------------------------------------------------------
    def __str__(self):
        return "galsim.%s(%s,%s)" % (type(self).__name__, self.x, self.y)

    def _repr_args(self):
        return [("x", self.x), ("y", self.y)]

    def shear(self, shear):
        """The position transformed by the shear matrix of ``shear`` (a `Shear`);
        see `Shear.getMatrix`.  Always returns a `PositionD`."""
        m = shear.getMatrix()
        return PositionD(
            self.x * m[0, 0] + self.y * m[0, 1],
            self.x * m[1, 0] + self.y * m[1, 1],
        )

    @property
    def _p(self):
        # GalSim exposes its C++ position here; there is no separate layer in jax_galsim.
        return self


class PositionD(Position):
    """A position with floating point ``x`` and ``y`` (see `Position`).

    JAX notes: ``x`` and ``y`` are pytree leaves (traceable)."""

    _leaves = ("x", "y")
    _static = ()

    def __init__(self, *args, **kwargs):
        x, y = self._parse_args(args, kwargs)
        self.x = _to_float(x)
        self.y = _to_float(y)

    def round(self):
        """The nearest integer position, as a `PositionI`."""
        if is_traced(self.x, self.y):
            return _PositionI(jnp.round(self.x).astype(int), jnp.round(self.y).astype(int))
        return _PositionI(int(round(self.x)), int(round(self.y)))

    def _check_scalar(self, other, op):
        if _is_tracer(other):
            return
        try:
            if other == float(other):
                return
        except (TypeError, ValueError):
            pass
        raise TypeError("Can only %s a PositionD by float values" % op)


class PositionI(Position):
    """A position with integer ``x`` and ``y``, typically a pixel on an image (see
    `Position`).  Non-integral values raise TypeError.

    JAX notes: ``x`` and ``y`` are static (hashable Python ints), because integer
    positions determine image bounds and hence array shapes."""

    _leaves = ()
    _static = ("x", "y")

    def __init__(self, *args, **kwargs):
        x, y = self._parse_args(args, kwargs)
        self.x = _to_int(x)
        self.y = _to_int(y)

    # Concrete integer positions flatten to static data only.  One built from traced
    # values (e.g. ``PositionD(traced).round()`` inside ``jit``) flattens to leaves, so
    # that it can be returned from a transformed function without leaking tracers.
    _TRACED = "__traced__"

    def _tree_flatten(self):
        if isinstance(self.x, jax.Array) or isinstance(self.y, jax.Array):
            return (self.x, self.y), (self._TRACED,)
        return (), (self.x, self.y)

    @classmethod
    def _tree_unflatten(cls, aux, children):
        obj = cls.__new__(cls)
        if aux == (cls._TRACED,):
            obj.x, obj.y = children
        else:
            obj.x, obj.y = aux
        return obj

    def round(self):
        """Itself (already integral)."""
        return self

    def _check_scalar(self, other, op):
        if _is_tracer(other):
            return
        try:
            if other == int(other):
                return
        except (TypeError, ValueError):
            pass
        raise TypeError("Can only %s a PositionI by integer values" % op)

    def __truediv__(self, other):
        self._check_scalar(other, "divide")
        if is_traced(other, self.x, self.y):
            return _PositionI(self.x // other, self.y // other)
        # GalSim divides with "/" and requires an integral result.
        return PositionI(self.x / other, self.y / other)

    __div__ = __truediv__


def _PositionD(x, y):
    """`PositionD` without argument parsing: ``x`` and ``y`` must be numbers (or
    tracers)."""
    ret = PositionD.__new__(PositionD)
    ret.x = _to_float(x)
    ret.y = _to_float(y)
    return ret


def _PositionI(x, y):
    """`PositionI` without argument parsing: ``x`` and ``y`` must be integers."""
    ret = PositionI.__new__(PositionI)
    ret.x = x if _is_tracer(x) else int(x)
    ret.y = y if _is_tracer(y) else int(y)
    return ret


def parse_pos_args(args, kwargs, name1, name2, integer=False, others=[]):
    """Parse a function's ``args``/``kwargs`` as a position, GalSim style.

    Accepted forms: ``f(x, y)``, ``f(position)``, ``f((x, y))`` (anything indexable)
    and ``f(name1=x, name2=y)``.  With ``integer=True`` a `PositionI` is returned,
    otherwise a `PositionD`.  ``others`` names further arguments that may follow the
    position (positionally or as keywords); their values are returned after the
    position in a tuple.  ``kwargs`` is consumed.
    """
    others = list(others)

    def canindex(arg):
        try:
            arg[0], arg[1]
        except (TypeError, IndexError):
            return False
        return True

    other_vals = []
    if len(args) == 0:
        try:
            x = kwargs.pop(name1)
            y = kwargs.pop(name2)
        except KeyError:
            raise TypeError("Expecting kwargs %s, %s.  Got %s" % (name1, name2, kwargs.keys())) from None
    elif (
        isinstance(args[0], PositionI) or (not integer and isinstance(args[0], PositionD))
    ) and len(args) <= 1 + len(others):
        x, y = args[0].x, args[0].y
        for arg in args[1:]:
            other_vals.append(arg)
            others.pop(0)
    elif canindex(args[0]) and len(args) <= 1 + len(others):
        x, y = args[0][0], args[0][1]
        for arg in args[1:]:
            other_vals.append(arg)
            others.pop(0)
    elif len(args) == 1:
        raise TypeError(
            "Cannot parse argument %s as a %s" % (args[0], "PositionI" if integer else "PositionD")
        )
    elif len(args) <= 2 + len(others):
        x, y = args[0], args[1]
        for arg in args[2:]:
            other_vals.append(arg)
            others.pop(0)
    else:
        raise TypeError("Too many arguments supplied")
    for name in others:
        other_vals.append(kwargs.pop(name))
    if kwargs:
        raise TypeError("Received unexpected keyword arguments: %s" % kwargs)

    if integer:
        pos = _PositionI(
            x if _is_tracer(x) else int(x), y if _is_tracer(y) else int(y)
        )
    else:
        pos = _PositionD(x, y)
    if other_vals:
        return (pos,) + tuple(other_vals)
    return pos
