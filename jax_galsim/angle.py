"""Angles and angular units.

GalSim takes :class:`Angle` and :class:`AngleUnit` from the LSSTDESC ``coord`` package.
Here they are our own classes with the same behaviour, and :class:`Angle` is a JAX
pytree whose single leaf is its value in radians, so ``jax.grad``, ``jax.jit`` and
``jax.vmap`` see through it::

    >>> theta = 30 * galsim.degrees
    >>> theta.rad          # a Python float when the value is concrete
    0.5235987755982988
    >>> jax.grad(lambda t: (t * galsim.degrees).sin())(30.)   # d sin / d degrees

JAX notes
    * A concrete angle stores its radians as a Python ``float`` and its methods return
      Python floats, exactly as ``coord`` does.  A traced angle (inside ``jit``, ``grad``
      or ``vmap``) stores a JAX value and its methods compute with ``jax.numpy``.
    * Comparisons of traced angles return JAX booleans; :meth:`Angle.hms` and
      :meth:`Angle.dms` need a concrete value.
    * :class:`AngleUnit` is static (a plain Python number in radians), never traced.
"""

import math
import re

import numpy as np

from .core.backend import as_scalar, is_jax, is_traced
from .core.pytree import Pytree

__all__ = ["AngleUnit", "Angle", "_Angle", "radians", "hours", "degrees", "arcmin", "arcsec"]


def _math_module(value):
    """``math`` for a Python scalar, ``jax.numpy`` for JAX values, NumPy otherwise."""
    if is_jax(value):
        import jax.numpy as jnp

        return jnp
    if isinstance(value, (float, int)):
        return math
    return np


def _is_plain_number(value):
    """True for a real scalar accepted as a multiplier/divisor of an Angle."""
    if isinstance(value, (Angle, AngleUnit)) or isinstance(value, (str, bytes)):
        return False
    if is_jax(value):
        return True
    try:
        f = float(value)
    except (TypeError, ValueError):
        return False
    return f == value


class AngleUnit:
    """A unit of angle, given by its size in radians.

    Multiplying a number by a unit makes an :class:`Angle`; dividing an angle by a unit
    gives the number of those units in it::

        >>> gradians = galsim.AngleUnit(2. * math.pi / 400.)
        >>> theta = 50 * gradians
        >>> theta / galsim.degrees
        45.0

    Built-in units: ``galsim.radians`` (1), ``galsim.degrees`` (pi/180),
    ``galsim.hours`` (pi/12), ``galsim.arcmin`` (pi/10800), ``galsim.arcsec`` (pi/648000).

    Parameters:
        value:  The size of the unit in radians (a real number).

    Attributes:
        value:  The size of the unit in radians (read-only float).
    """

    valid_names = ["rad", "deg", "hr", "hour", "arcmin", "arcsec"]

    def __init__(self, value):
        if isinstance(value, AngleUnit):
            raise TypeError("AngleUnit value must be a number of radians, not %r" % (value,))
        # float() raises ValueError for strings like 'spam' and TypeError for other objects.
        self._value = float(value)

    @property
    def value(self):
        """The size of this unit in radians."""
        return self._value

    def __rmul__(self, theta):
        # number * unit -> Angle
        return Angle(theta, self)

    def __truediv__(self, unit):
        """unit1 / unit2 is the (float) number of unit2 in one unit1."""
        if not isinstance(unit, AngleUnit):
            raise TypeError("Cannot divide AngleUnit by %r" % (unit,))
        return self._value / unit._value

    __div__ = __truediv__

    @staticmethod
    def from_name(unit):
        """The :class:`AngleUnit` named by a string.

        Only the start of the (case-insensitive) name is checked: ``'rad'``,
        ``'deg'``, ``'hour'`` or ``'hr'``, ``'arcmin'``, ``'arcsec'`` (so ``'degrees'``
        works too).  Raises ValueError for anything else.
        """
        name = unit.strip().lower()
        for prefix, value in (
            ("rad", radians),
            ("deg", degrees),
            ("hour", hours),
            ("hr", hours),
            ("arcmin", arcmin),
            ("arcsec", arcsec),
        ):
            if name.startswith(prefix):
                return value
        raise ValueError("Unknown Angle unit: %s" % unit)

    def __repr__(self):
        for name, unit in _NAMED_UNITS:
            if self._value == unit._value:
                return "galsim." + name
        return "galsim.AngleUnit(%r)" % self._value

    def __eq__(self, other):
        return isinstance(other, AngleUnit) and self._value == other._value

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("galsim.AngleUnit", self._value))


radians = AngleUnit(1.0)
hours = AngleUnit(math.pi / 12.0)
degrees = AngleUnit(math.pi / 180.0)
arcmin = AngleUnit(math.pi / 10800.0)
arcsec = AngleUnit(math.pi / 648000.0)

_NAMED_UNITS = (
    ("radians", radians),
    ("degrees", degrees),
    ("hours", hours),
    ("arcmin", arcmin),
    ("arcsec", arcsec),
)


class Angle(Pytree):
    """An angle: a value together with an :class:`AngleUnit`.

    Usually made by multiplying a number by a unit (``0.27 * galsim.arcsec``), or
    explicitly as ``Angle(theta, unit)``; ``Angle(other_angle)`` copies.

    Arithmetic: ``angle + angle``, ``angle - angle``, ``angle * x``, ``x * angle``,
    ``angle / x``, ``-angle``, ``abs(angle)`` give angles; ``angle / unit`` gives the
    number of units.  Angles compare with ``==``, ``<``, ``<=``, ``>``, ``>=``.

    Parameters:
        theta:  The value, in ``unit`` (or an :class:`Angle` to copy, with no unit).
        unit:   An :class:`AngleUnit`.

    Attributes:
        rad:    The angle in radians.
        deg:    The angle in degrees.
    """

    _leaves = ("_rad",)
    _static = ()

    def __init__(self, theta, unit=None):
        if isinstance(theta, Angle):
            if unit is not None:
                raise TypeError("Cannot provide unit if theta is already an Angle instance")
            self._rad = theta._rad
        elif unit is None:
            raise TypeError("Must provide unit for Angle.__init__")
        elif not isinstance(unit, AngleUnit):
            raise TypeError("Invalid unit %s of type %s" % (unit, type(unit)))
        else:
            if isinstance(theta, (str, bytes)):
                theta = float(theta)  # ValueError for non-numeric strings, as coord
            self._rad = as_scalar(theta) * unit.value

    # --- values -------------------------------------------------------------------
    @property
    def rad(self):
        """The angle in radians (equivalent to ``angle / galsim.radians``)."""
        return self._rad

    @property
    def deg(self):
        """The angle in degrees (equivalent to ``angle / galsim.degrees``)."""
        return self / degrees

    # --- arithmetic ---------------------------------------------------------------
    def __neg__(self):
        return _Angle(-self._rad)

    def __pos__(self):
        return self

    def __abs__(self):
        return _Angle(abs(self._rad))

    def __add__(self, other):
        if not isinstance(other, Angle):
            raise TypeError("Cannot add %s of type %s to an Angle" % (other, type(other)))
        return _Angle(self._rad + other._rad)

    def __sub__(self, other):
        if not isinstance(other, Angle):
            raise TypeError("Cannot subtract %s of type %s from an Angle" % (other, type(other)))
        return _Angle(self._rad - other._rad)

    def __mul__(self, other):
        if not _is_plain_number(other):
            raise TypeError("Cannot multiply Angle by %s of type %s" % (other, type(other)))
        return _Angle(self._rad * other)

    __rmul__ = __mul__

    def __truediv__(self, other):
        if isinstance(other, AngleUnit):
            return self._rad / other.value
        if not _is_plain_number(other):
            raise TypeError("Cannot divide Angle by %s of type %s" % (other, type(other)))
        return _Angle(self._rad / other)

    __div__ = __truediv__

    def wrap(self, center=None):
        """The equivalent angle in ``[center - pi, center + pi)``.

        Parameters:
            center:  The centre of the range, an :class:`Angle`. [default: 0 radians,
                     i.e. wrap into [-pi, pi)]
        """
        center_rad = 0.0 if center is None else center._rad
        start = center_rad - math.pi
        ncycles = (self._rad - start) // (2.0 * math.pi)
        return _Angle(self._rad - ncycles * 2.0 * math.pi)

    # --- trigonometry ---------------------------------------------------------------
    def sin(self):
        """sin of the angle."""
        return _math_module(self._rad).sin(self._rad)

    def cos(self):
        """cos of the angle."""
        return _math_module(self._rad).cos(self._rad)

    def tan(self):
        """tan of the angle."""
        return _math_module(self._rad).tan(self._rad)

    def sincos(self):
        """``(sin, cos)`` of the angle as a tuple."""
        m = _math_module(self._rad)
        return m.sin(self._rad), m.cos(self._rad)

    # --- comparisons ----------------------------------------------------------------
    def _check_other(self, other):
        if not isinstance(other, Angle):
            raise TypeError("Cannot compare %s of type %s to an Angle" % (other, type(other)))

    def __le__(self, other):
        self._check_other(other)
        return self._rad <= other._rad

    def __lt__(self, other):
        self._check_other(other)
        return self._rad < other._rad

    def __ge__(self, other):
        self._check_other(other)
        return self._rad >= other._rad

    def __gt__(self, other):
        self._check_other(other)
        return self._rad > other._rad

    # Pytree provides __eq__/__ne__; defining __eq__ elsewhere would unset __hash__.
    __eq__ = Pytree.__eq__
    __ne__ = Pytree.__ne__
    __hash__ = Pytree.__hash__

    # --- printing -------------------------------------------------------------------
    def __str__(self):
        return str(self._rad) + " radians"

    def __repr__(self):
        rad = self._rad
        if not is_traced(rad) and np.ndim(rad) == 0:
            rad = float(rad)
        return "galsim.Angle(%r, galsim.radians)" % (rad,)

    # --- sexagesimal strings --------------------------------------------------------
    @staticmethod
    def _make_dms_string(decimal, sep, prec, pad, plus_sign):
        """Format a value in degrees (or hours) as d:m:s."""
        decimal = float(decimal)
        if decimal < 0:
            sign = "-"
            decimal = -decimal
        elif plus_sign:
            sign = "+"
        else:
            sign = ""

        sep1 = sep2 = ""
        sep3 = None
        if len(sep) == 1:
            sep1 = sep2 = sep
        elif len(sep) == 2:
            sep1, sep2 = sep
        elif len(sep) == 3:
            sep1, sep2, sep3 = sep

        ndigits = 8 if prec is None else prec
        scale = 10**ndigits
        # Work in integer units of 10^-ndigits seconds, rounding to nearest.
        total = int(3600 * scale * decimal + 0.5)
        d, total = divmod(total, 3600 * scale)
        m, total = divmod(total, 60 * scale)
        s, frac = divmod(total, scale)

        fmt = "%02d" if pad else "%d"
        out = "%s%s%s%s%s%s.%0*d" % (sign, fmt % d, sep1, fmt % m, sep2, fmt % s, ndigits, frac)
        if not prec:
            out = out.rstrip("0").rstrip(".")
        if sep3:
            out += sep3
        return out

    def hms(self, sep=":", prec=None, pad=True, plus_sign=False):
        """The angle as an hours:minutes:seconds string, ``[+-]hh:mm:ss.decimal``.

        Parameters:
            sep:        Separator between fields; a string or tuple of up to 3 items
                        (e.g. ``'hms'``). [default: ':']
            prec:       Digits after the decimal point. [default: None, i.e. as many as
                        needed up to 8]
            pad:        Zero-pad the fields to 2 digits. [default: True]
            plus_sign:  Write a '+' for positive angles. [default: False]
        """
        if not len(sep) <= 3:
            raise ValueError("sep must be a string or tuple of length <= 3")
        if prec is not None and not prec >= 0:
            raise ValueError("prec must be >= 0")
        return self._make_dms_string(self / hours, sep, prec, pad, plus_sign)

    def dms(self, sep=":", prec=None, pad=True, plus_sign=False):
        """The angle as a degrees:arcmin:arcsec string, ``[+-]dd:mm:ss.decimal``.

        Parameters as for :meth:`hms`.
        """
        if not len(sep) <= 3:
            raise ValueError("sep must be a string or tuple of length <= 3")
        if prec is not None and not prec >= 0:
            raise ValueError("prec must be >= 0")
        return self._make_dms_string(self / degrees, sep, prec, pad, plus_sign)

    @staticmethod
    def from_hms(str):
        """The :class:`Angle` for a string ``[+-]hh:mm:ss.decimal`` (hours).

        Any non-digit characters may separate the fields; minutes and seconds are
        optional."""
        return Angle._parse_dms(str) * hours

    @staticmethod
    def from_dms(str):
        """The :class:`Angle` for a string ``[+-]dd:mm:ss.decimal`` (degrees).

        Any non-digit characters may separate the fields; minutes and seconds are
        optional."""
        return Angle._parse_dms(str) * degrees

    @staticmethod
    def _parse_dms(text):
        """Parse ``[+-]dd:mm:ss.decimal`` into a float number of the leading unit."""
        parts = [p for p in re.split(r"([\.\d]+)", text.strip()) if p]
        if len(parts) <= 1:
            raise ValueError("string is not of the expected format")
        sign = 1.0
        try:
            first = float(parts[0])
        except ValueError:
            if parts[0].strip() == "-":
                sign = -1.0
            parts = parts[1:]
            first = float(parts[0])
            if len(parts) <= 1:
                raise ValueError("string is not of the expected format")
        # parts alternate number, separator, number, separator, number
        if len(parts) <= 2:
            return sign * first
        minutes = float(parts[2])
        if len(parts) <= 4:
            return sign * (first + minutes / 60)
        if len(parts) >= 7:
            raise ValueError("string is not of the expected format")
        seconds = float(parts[4])
        return sign * (first + minutes / 60.0 + seconds / 3600.0)


def _Angle(theta):
    """An :class:`Angle` of ``theta`` radians, without argument checking."""
    ret = Angle.__new__(Angle)
    ret._rad = theta
    return ret
