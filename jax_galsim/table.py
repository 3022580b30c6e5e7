"""Interpolating lookup tables (GalSim's ``galsim.table``): `LookupTable`,
`_LookupTable`, `trapz`.

A `LookupTable` stores ``f(x)`` at tabulated abscissae and interpolates between them
('linear', natural cubic 'spline', 'floor', 'ceil', 'nearest', or a `jax_galsim`
``Interpolant`` for evenly spaced abscissae), optionally in ``log(x)`` and/or
``log(f)``.

JAX notes:
    A `LookupTable` is a pytree whose leaves are the tabulated ``x`` and ``f`` arrays
    (the interpolant and the log flags are static), so a table can be passed into
    ``jit``/``vmap``-ed functions.  Calling a table with NumPy values (or Python
    numbers) gives GalSim's values exactly (the same index search and the same
    arithmetic as GalSim's C++ tables; a Python float for scalar input).  Calling it with
    JAX arrays (or tracers) computes the same formulas with ``jax.numpy``, so
    ``jax.grad`` of ``table(x)`` with respect to ``x`` (and, through the leaves, ``f``) is
    the derivative of the interpolating function (piecewise constant for floor, ceil and
    nearest: zero gradient in x).  Out-of-range arguments raise `GalSimRangeError`
    whenever they are concrete; traced arguments cannot be checked, and values outside
    the table are then extrapolated from the first/last interval.
    ``integrate`` and ``integrate_product`` work on concrete tables only.
"""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .errors import (
    GalSimIncompatibleValuesError,
    GalSimNotImplementedError,
    GalSimRangeError,
    GalSimValueError,
)
from .core.pytree import Pytree

__all__ = ["LookupTable", "LookupTable2D", "_LookupTable", "_LookupTable2D", "trapz"]

_BUILTIN = ("nearest", "linear", "ceil", "floor", "spline")


def _convert_interpolant(interpolant):
    """A `jax_galsim` Interpolant from an Interpolant or its name (GalSim's
    ``convert_interpolant``)."""
    try:
        from .interpolant import convert_interpolant
    except ImportError:
        convert_interpolant = None
    if convert_interpolant is not None:
        return convert_interpolant(interpolant)
    if hasattr(interpolant, "xval") and hasattr(interpolant, "xrange"):
        return interpolant  # any Interpolant-like object (duck-typed)
    if isinstance(interpolant, str):
        name = interpolant.lower()
        known = name in ("quintic", "linear", "cubic", "nearest", "delta", "sinc") or name.startswith("lanczos")
        if not known:
            raise GalSimValueError(
                "Invalid Interpolant name %s.",
                interpolant,
                ("linear", "cubic", "quintic", "lanczosN", "nearest", "delta", "sinc"),
            )
    raise GalSimNotImplementedError("LookupTable with a galsim.Interpolant needs jax_galsim.interpolant")


def _str_array(a):
    # Abbreviated array text (first and last two values) for __str__.
    with np.printoptions(threshold=5, edgeitems=2, linewidth=1000):
        return repr(np.asarray(a))


def _is_jax(x):
    return isinstance(x, jax.Array)


def _spline_y2_numpy(xs, fs):
    """Second derivatives of the natural cubic spline through (xs, fs), solved with the
    Thomas algorithm in the order GalSim's C++ uses (so values agree to the last bit)."""
    n = len(xs)
    y2 = [0.0] * n
    if n == 3:
        y2[1] = 3.0 * ((fs[2] - fs[1]) / (xs[2] - xs[1]) - (fs[1] - fs[0]) / (xs[1] - xs[0])) / (xs[2] - xs[0])
    elif n > 3:
        x = xs.tolist()
        f = fs.tolist()
        c = [0.0] * (n - 3)
        for i in range(1, n - 1):
            y2[i] = 6.0 * ((f[i + 1] - f[i]) / (x[i + 1] - x[i]) - (f[i] - f[i - 1]) / (x[i] - x[i - 1]))
        bb = 2.0 * (x[2] - x[0])
        for i in range(1, n - 1):
            y2[i] /= bb
            if i == n - 2:
                break
            a = x[i + 1] - x[i]
            c[i - 1] = a / bb
            bb = 2.0 * (x[i + 2] - x[i]) - a * c[i - 1]
            y2[i + 1] -= a * y2[i]
        for i in range(n - 3, 0, -1):
            y2[i] -= c[i - 1] * y2[i + 1]
    return np.array(y2, dtype=float)


def _spline_y2_jax(xs, fs):
    """The natural-spline second derivatives with jax.numpy (traced tables)."""
    n = xs.shape[0]
    if n <= 2:
        return jnp.zeros_like(fs)
    h = xs[1:] - xs[:-1]
    rhs = 6.0 * ((fs[2:] - fs[1:-1]) / h[1:] - (fs[1:-1] - fs[:-2]) / h[:-1])
    diag = 2.0 * (xs[2:] - xs[:-2])
    if n == 3:
        inner = rhs / diag
    else:
        off = h[1:-1]
        dl = jnp.concatenate([jnp.zeros(1, off.dtype), off])
        du = jnp.concatenate([off, jnp.zeros(1, off.dtype)])
        inner = jax.lax.linalg.tridiagonal_solve(dl, diag, du, rhs[:, None])[:, 0]
    z = jnp.zeros(1, fs.dtype)
    return jnp.concatenate([z, inner, z])


class LookupTable(Pytree):
    """A table of ``f(x)`` values, interpolated between the tabulated points.

    ``table = galsim.LookupTable(x=args, f=vals)``; then ``table(x)`` interpolates at
    ``x`` (a number, a list/tuple, or a NumPy/JAX array of any shape).  Arguments outside
    ``[x_min, x_max]`` (beyond a slop of 1e-6 of the range) raise `GalSimRangeError`.

    Interpolants:

    - 'floor': the value at the previous tabulated point;
    - 'ceil': the value at the next tabulated point;
    - 'nearest': the value at the nearest tabulated point;
    - 'linear': linear interpolation;
    - 'spline': a natural cubic spline (smooth first and second derivatives; the
      default);
    - a `jax_galsim` ``Interpolant`` (or a name convertible to one, e.g. 'lanczos3',
      'quintic'); the abscissae must then be evenly spaced (in log(x) if ``x_log``).

    With ``x_log`` and/or ``f_log`` the interpolation is done in ``log(x)`` and/or
    ``log(f)`` (a good choice for functions that are close to power laws); inputs and
    outputs are still ``x`` and ``f``.

    Also see the factories `LookupTable.from_func` and `LookupTable.from_file`.

    Parameters:
        x:              The abscissae (list, tuple or array of numbers; need not be
                        sorted).
        f:              The function values at ``x``.
        interpolant:    'floor', 'ceil', 'nearest', 'linear', 'spline', or an
                        ``Interpolant`` (or its name). [default: 'spline']
        x_log:          Interpolate in log(x). [default: False]
        f_log:          Interpolate in log(f). [default: False]
    """

    _leaves = ("x", "f")
    _static = ("interpolant", "x_log", "f_log")

    def __init__(self, x, f, interpolant="spline", x_log=False, f_log=False):
        self.x_log = x_log
        self.f_log = f_log
        if interpolant in _BUILTIN:
            interp1d = None
        else:
            interp1d = _convert_interpolant(interpolant)
        self.interpolant = interpolant
        self.__dict__["_interp1d"] = interp1d

        if len(x) != len(f):
            raise GalSimIncompatibleValuesError("Input array lengths don't match", x=x, f=f)
        if len(x) < 2:
            raise GalSimValueError("Input arrays too small to interpolate", x)

        x = np.asarray(x, dtype=float)
        if np.all(x[1:] >= x[:-1]):
            self.x = np.ascontiguousarray(x, dtype=float)
            self.f = np.ascontiguousarray(f, dtype=float)
        else:
            f = np.asarray(f, dtype=float)
            s = np.argsort(x)
            self.x = np.ascontiguousarray(x[s])
            self.f = np.ascontiguousarray(f[s])

        if self.x[0] == self.x[-1]:
            raise GalSimValueError("All x values are equal", x)
        if self.x_log and self.x[0] <= 0.0:
            raise GalSimValueError("Cannot interpolate in log(x) when table contains x<=0.", x)
        if self.f_log and np.any(self.f <= 0.0):
            raise GalSimValueError("Cannot interpolate in log(f) when table contains f<=0.", f)

        # As GalSim: an infinite upper end is replaced by 1.e300.
        if self.x[-1] == np.inf:
            self.x[-1] = 1.0e300

        if interp1d is not None:
            if self.x_log:
                ratio = self.x[1:] / self.x[:-1]
                if not np.allclose(ratio, ratio[0]):
                    raise GalSimIncompatibleValuesError(
                        "Cannot use a galsim.Interpolant with x_log=True unless log(x) is equally spaced.",
                        interpolant=interpolant,
                        x_log=x_log,
                        x=x,
                    )
            else:
                dx = np.diff(self.x)
                if not np.allclose(dx, dx[0]):
                    raise GalSimIncompatibleValuesError(
                        "Cannot use a galsim.Interpolant with x_log=False unless x is equally spaced.",
                        interpolant=interpolant,
                        x_log=x_log,
                        x=x,
                    )

    # --- derived data (computed lazily; never pickled) ---------------------------------
    @property
    def _interp(self):
        d = self.__dict__
        if "_interp1d" not in d:
            d["_interp1d"] = None if self.interpolant in _BUILTIN else _convert_interpolant(self.interpolant)
        return d["_interp1d"]

    def _concrete(self):
        return not (_is_jax(self.x) or _is_jax(self.f))

    def _np_data(self):
        """(xs, fs, y2, equal_spaced, da) in interpolation space, as NumPy (cached)."""
        d = self.__dict__
        cache = d.get("_np_cache")
        if cache is None:
            xs = np.log(self.x) if self.x_log else np.asarray(self.x, dtype=float)
            fs = np.log(self.f) if self.f_log else np.asarray(self.f, dtype=float)
            n = len(xs)
            da = (xs[-1] - xs[0]) / (n - 1)
            equal = bool(np.all(np.abs((xs[1:] - xs[0]) / da - np.arange(1, n)) <= 0.01))
            y2 = _spline_y2_numpy(xs, fs) if self.interpolant == "spline" else None
            cache = (xs, fs, y2, equal, da)
            d["_np_cache"] = cache
        return cache

    def _jax_data(self):
        if self._concrete():
            xs, fs, y2, _, _ = self._np_data()
            return jnp.asarray(xs), jnp.asarray(fs), (None if y2 is None else jnp.asarray(y2))
        xs = jnp.log(self.x) if self.x_log else jnp.asarray(self.x)
        fs = jnp.log(self.f) if self.f_log else jnp.asarray(self.f)
        y2 = _spline_y2_jax(xs, fs) if self.interpolant == "spline" else None
        return xs, fs, y2

    @property
    def x_min(self):
        """The smallest tabulated x."""
        return self.x[0]

    @property
    def x_max(self):
        """The largest tabulated x."""
        return self.x[-1]

    def __len__(self):
        return len(self.x)

    # --- evaluation ----------------------------------------------------------------
    def _index(self, a, xp):
        """GalSim's upper index i (xs[i-1] <= a <= xs[i], 1 <= i <= n-1)."""
        if xp is np:
            xs, _, _, equal, da = self._np_data()
            n = len(xs)
            if equal:
                with np.errstate(invalid="ignore"):
                    idx = np.ceil((a - xs[0]) / da)
                idx = np.nan_to_num(idx, nan=1.0)
                idx = np.clip(idx, 1, n - 1).astype(int)
            else:
                idx = np.clip(np.searchsorted(xs, a, side="left"), 1, n - 1)
            return idx
        xs = self._jax_data()[0]
        n = xs.shape[0]
        return jnp.clip(jnp.searchsorted(xs, a, side="left"), 1, n - 1)

    def _interp_at(self, a, i, xp, data=None):
        """Interpolated value (in interpolation space) at ``a`` using interval ``i``."""
        if data is None:
            if xp is np:
                xs, fs, y2 = self._np_data()[:3]
            else:
                xs, fs, y2 = self._jax_data()
        else:
            xs, fs, y2 = data
        interp = self.interpolant
        if interp == "linear":
            ax = (xs[i] - a) / (xs[i] - xs[i - 1])
            bx = 1.0 - ax
            return fs[i] * bx + fs[i - 1] * ax
        if interp == "spline":
            h = xs[i] - xs[i - 1]
            aa = xs[i] - a
            bb = h - aa
            return (aa * fs[i - 1] + bb * fs[i] - (1.0 / 6.0) * aa * bb * ((aa + h) * y2[i - 1] + (bb + h) * y2[i])) / h
        if interp == "floor":
            j = xp.where(a == xs[i], i + 1, i)
            return fs[j - 1]
        if interp == "ceil":
            j = xp.where(a == xs[i - 1], i - 1, i)
            return fs[j]
        if interp == "nearest":
            j = xp.where((a - xs[i - 1]) < (xs[i] - a), i - 1, i)
            return fs[j]
        return self._gsinterp_at(a, i, xp, xs, fs)

    def _gsinterp_at(self, a, i, xp, xs, fs):
        """Interpolation with a galsim Interpolant (evenly spaced abscissae)."""
        gs = self._interp
        n = xs.shape[0]
        xr = float(gs.xrange)
        dagrid = xs[i] - xs[i - 1]
        da = (a - xs[i - 1]) / dagrid
        eps = 10.0 * np.finfo(float).eps
        lo = i - 1 + xp.ceil(da - xr).astype(int)
        hi = i - 1 + xp.floor(da + xr).astype(int)
        at0 = xp.abs(da) < eps
        at1 = xp.abs(da - 1.0) < eps
        lo = xp.where(at0, i - 1, xp.where(at1, i, lo))
        hi = xp.where(at0, i - 1, xp.where(at1, i, hi))
        lo = xp.maximum(lo, 0)
        hi = xp.minimum(hi, n - 1)
        kmax = int(math.ceil(xr)) + 1
        total = xp.zeros(xp.shape(a), dtype=float) if xp is np else jnp.zeros(jnp.shape(a))
        for off in range(-kmax, kmax + 2):
            ia = i - 1 + off
            use = (ia >= lo) & (ia <= hi)
            iac = xp.clip(ia, 0, n - 1)
            w = gs.xval(i - 1 + da - ia)
            total = total + xp.where(use, fs[iac] * w, 0.0)
        return total

    def _check_range(self, x):
        slop = (self.x_max - self.x_min) * 1.0e-6
        if np.min(x, initial=self.x_min) < self.x_min - slop:
            xx = np.array(x)
            raise GalSimRangeError(
                "x value(s) below the range of the LookupTable.", xx[xx < self.x_min], self.x_min, self.x_max
            ) from None
        if np.max(x, initial=self.x_max) > self.x_max + slop:
            xx = np.array(x)
            raise GalSimRangeError(
                "x value(s) above the range of the LookupTable.", xx[xx > self.x_max], self.x_min, self.x_max
            ) from None

    def __call__(self, x):
        """Interpolate the table at ``x``.

        Parameters:
            x:  A number, or a list, tuple or array (NumPy or JAX, any shape) of numbers.
                Even with ``x_log``, give x itself, not log(x).

        Returns:
            ``f(x)``: a float for a scalar argument, else an array of ``x``'s shape (a JAX
            array for JAX input).
        """
        if _is_jax(x) or not self._concrete():
            return self._call_jax(x)
        orig_x = x
        if self.x_log:
            x = np.log(x)
        x = np.asarray(x, dtype=float)
        xs = self._np_data()[0]
        slop = 1.0e-6 * (xs[-1] - xs[0])
        ok = (x >= xs[0] - slop) & (x <= xs[-1] + slop)
        if not np.all(ok):
            self._check_range(orig_x)
            raise GalSimRangeError(
                "x value(s) outside the range of the LookupTable.", orig_x, self.x_min, self.x_max
            )
        if x.shape == ():
            f = float(self._interp_at(float(x), int(self._index(float(x), np)), np))
        else:
            flat = x.ravel()
            f = np.asarray(self._interp_at(flat, self._index(flat, np), np), dtype=float).reshape(x.shape)
        if self.f_log:
            f = np.exp(f)
        return f

    def _call_jax(self, x):
        xj = jnp.asarray(x)
        if self.x_log:
            xj = jnp.log(xj)
        if not isinstance(x, jax.core.Tracer) and self._concrete():
            xn = np.asarray(x, dtype=float)
            xsn = self._np_data()[0]
            slop = 1.0e-6 * (xsn[-1] - xsn[0])
            with np.errstate(invalid="ignore", divide="ignore"):
                xl = np.log(xn) if self.x_log else xn
            if not np.all((xl >= xsn[0] - slop) & (xl <= xsn[-1] + slop)):
                self._check_range(xn)
                raise GalSimRangeError("x value(s) outside the range of the LookupTable.", xn, self.x_min, self.x_max)
        data = self._jax_data()
        i = self._index(xj, jnp)
        f = self._interp_at(xj, i, jnp, data)
        if self.f_log:
            f = jnp.exp(f)
        return f

    # --- integration ------------------------------------------------------------------
    def _check_integrable(self):
        if self.x_log:
            raise GalSimNotImplementedError("log x spacing not implemented yet.")
        if self.f_log:
            raise GalSimNotImplementedError("log f values not implemented yet.")
        if not isinstance(self.interpolant, str):
            raise GalSimNotImplementedError("Integration with interpolant=%s is not implemented." % (self.interpolant))
        if not self._concrete():
            raise GalSimNotImplementedError("LookupTable integration needs a concrete (non-traced) table.")

    def integrate(self, x_min=None, x_max=None):
        """An estimate of the integral of the tabulated function from ``x_min`` to
        ``x_max``, integrating the interpolating function exactly (so 'linear' is the
        trapezoid rule, 'spline' integrates the cubic spline).  The function is taken to
        be zero outside the table; ``x_min > x_max`` gives minus the integral.

        Not implemented for ``x_log``, ``f_log`` or a galsim ``Interpolant``.

        Parameters:
            x_min:  The lower limit [default: None, meaning ``self.x_min``].
            x_max:  The upper limit [default: None, meaning ``self.x_max``].

        Returns:
            the integral, a float.
        """
        self._check_integrable()
        if x_min is None:
            x_min = self.x_min
        else:
            x_min = max(x_min, self.x_min)
        if x_max is None:
            x_max = self.x_max
        else:
            x_max = min(x_max, self.x_max)
        if x_min < x_max:
            return float(self._integrate(float(x_min), float(x_max)))
        elif x_min == x_max:
            return 0.0
        else:
            return -self.integrate(x_max, x_min)

    def _step(self, kind, x1, f1, x2, f2, i):
        """Integral of one interval's piece (``kind``: 'mid', 'first', 'last', 'full'),
        with GalSim's formulas; arrays welcome."""
        xs, _, y2 = self._np_data()[:3]
        interp = self.interpolant
        if interp == "floor":
            return f1 * (x2 - x1)
        if interp == "ceil":
            return f2 * (x2 - x1)
        if interp == "linear":
            return 0.5 * (f1 + f2) * (x2 - x1)
        if interp == "nearest":
            if kind == "mid":
                return 0.5 * (f1 + f2) * (x2 - x1)
            if kind == "first":
                xm = 0.5 * (xs[i - 1] + x2)
                return f2 * (x2 - x1) if x1 >= xm else f1 * (xm - x1) + f2 * (x2 - xm)
            if kind == "last":
                xm = 0.5 * (x1 + xs[i])
                return f1 * (x2 - x1) if x2 <= xm else f1 * (xm - x1) + f2 * (x2 - xm)
            xm = 0.5 * (xs[i - 1] + xs[i])
            if x2 <= xm:
                return f1 * (x2 - x1)
            elif x1 >= xm:
                return f2 * (x2 - x1)
            return f1 * (xm - x1) + f2 * (x2 - xm)
        # spline
        h = x2 - x1
        h3 = h * h * h
        if kind == "mid":
            return 0.5 * (f1 + f2) * h - (1.0 / 24.0) * (y2[i - 1] + y2[i]) * h3
        if kind == "first":
            x0 = xs[i - 1]
            z2 = x1 + x2 - 2 * x0
            return 0.5 * (f1 + f2) * h - (1.0 / 24.0) * (y2[i - 1] * h + y2[i] * z2) * h3 / (x2 - x0)
        if kind == "last":
            x3 = xs[i]
            z1 = 2 * x3 - x1 - x2
            return 0.5 * (f1 + f2) * h - (1.0 / 24.0) * (y2[i - 1] * z1 + y2[i] * h) * h3 / (x3 - x1)
        x0 = xs[i - 1]
        x3 = xs[i]
        z1 = 2 * x3 - x1 - x2
        z2 = x1 + x2 - 2 * x0
        return 0.5 * (f1 + f2) * h - (1.0 / 24.0) * (y2[i - 1] * z1 + y2[i] * z2) * h3 / (x3 - x0)

    def _integrate(self, xmin, xmax):
        xs, fs = self._np_data()[:2]
        i = int(np.clip(np.searchsorted(xs, xmin, side="left"), 1, len(xs) - 1))
        x2 = xs[i]
        if x2 > xmax:
            f1 = self._interp_at(xmin, i, np)
            f2 = self._interp_at(xmax, i, np)
            return self._step("full", xmin, f1, xmax, f2, i)
        parts = []
        if x2 > xmin:
            parts.append(np.atleast_1d(self._step("first", xmin, self._interp_at(xmin, i, np), x2, fs[i], i)))
        m = int(np.searchsorted(xs, xmax, side="right")) - 1
        if m > i:
            k = np.arange(i + 1, m + 1)
            parts.append(np.asarray(self._step("mid", xs[k - 1], fs[k - 1], xs[k], fs[k], k), dtype=float))
        if xs[m] < xmax:
            parts.append(np.atleast_1d(self._step("last", xs[m], fs[m], xmax, self._interp_at(xmax, m + 1, np), m + 1)))
        if not parts:
            return 0.0
        # Sequential accumulation, as GalSim's loop.
        return np.cumsum(np.concatenate(parts))[-1]

    def integrate_product(self, g, x_min=None, x_max=None, x_factor=1.0):
        """An estimate of the integral of ``f(x * x_factor) * g(x)`` from ``x_min`` to
        ``x_max``.

        ``g`` is evaluated at the abscissae of this table (divided by ``x_factor``) and,
        if it is a `LookupTable`, at its own abscissae too, and is taken to be linear in
        between; the product is then integrated exactly.  Functions are zero outside
        their tables.  Not implemented for ``x_log``, ``f_log`` or a galsim
        ``Interpolant``.

        Parameters:
            g:          The other function: a `LookupTable` or any callable.
            x_min:      The lower limit [default: None, meaning ``self.x_min / x_factor``].
            x_max:      The upper limit [default: None, meaning ``self.x_max / x_factor``].
            x_factor:   Scale of this table's argument [default: 1].

        Returns:
            the integral, a float.
        """
        from .utilities import merge_sorted

        self._check_integrable()
        if x_min is None:
            x_min = self.x_min / x_factor
        else:
            x_min = max(x_min, self.x_min / x_factor)
        if x_max is None:
            x_max = self.x_max / x_factor
        else:
            x_max = min(x_max, self.x_max / x_factor)
        if x_min > x_max:
            return -self.integrate_product(g, x_max, x_min, x_factor)
        elif x_min == x_max:
            return 0.0

        if isinstance(g, LookupTable):
            x_min = max(x_min, g.x_min)
            x_max = min(x_max, g.x_max)
            if x_min >= x_max:
                return 0.0
        else:
            gx = self.x / x_factor
            gx = gx[(gx >= x_min) & (gx <= x_max)]
            gx = merge_sorted([gx, [x_min, x_max]])
            gf = g(gx)
            try:
                len(gf)
            except TypeError:
                gf1 = gf
                gf = np.empty_like(gx, dtype=float)
                gf.fill(gf1)
            g = _LookupTable(gx, gf, "linear")
        return float(self._integrate_product(g, float(x_min), float(x_max), float(x_factor)))

    def _integrate_product(self, g, xmin, xmax, xfact):
        xs = self._np_data()[0]
        gxs = g._np_data()[0]
        inner = np.concatenate([xs / xfact, gxs])
        inner = inner[(inner > xmin) & (inner < xmax)]
        pts = np.unique(np.concatenate([[xmin], inner, [xmax]]))
        x1 = pts[:-1]
        x2 = pts[1:]
        mid = 0.5 * (x1 + x2)
        n = len(xs)
        i = np.clip(np.searchsorted(xs, mid * xfact, side="left"), 1, n - 1)
        j = np.clip(np.searchsorted(gxs, mid, side="left"), 1, len(gxs) - 1)
        f1 = self._interp_at(x1 * xfact, i, np)
        f2 = self._interp_at(x2 * xfact, i, np)
        g1 = g._interp_at(x1, j, np)
        g2 = g._interp_at(x2, j, np)
        steps = self._prod_step(x1, f1, x2, f2, i, xfact, g1, g2)
        return np.cumsum(steps)[-1]

    def _prod_step(self, x1, f1, x2, f2, i, xfact, g1, g2):
        xs, _, y2 = self._np_data()[:3]
        interp = self.interpolant
        if interp == "floor":
            return 0.5 * f1 * (g1 + g2) * (x2 - x1)
        if interp == "ceil":
            return 0.5 * f2 * (g1 + g2) * (x2 - x1)
        if interp == "linear":
            return (1.0 / 6.0) * (x2 - x1) * (f1 * (2.0 * g1 + g2) + f2 * (g1 + 2.0 * g2))
        x0 = xs[i - 1] / xfact
        x3 = xs[i] / xfact
        if interp == "nearest":
            xm = 0.5 * (x0 + x3)
            gm = (g1 * (x2 - xm) + g2 * (xm - x1)) / (x2 - x1)
            split = 0.5 * f1 * (g1 + gm) * (xm - x1) + 0.5 * f2 * (gm + g2) * (x2 - xm)
            return np.where(
                x2 <= xm, 0.5 * f1 * (g1 + g2) * (x2 - x1), np.where(x1 >= xm, 0.5 * f2 * (g1 + g2) * (x2 - x1), split)
            )
        h = x2 - x1
        h3 = h * h * h
        z1 = x1 * g2 + x2 * g1 + (15 * x3 - 8 * (x1 + x2)) * (g1 + g2)
        z2 = x1 * g1 + x2 * g2 + (7 * (x1 + x2) - 15 * x0) * (g1 + g2)
        step = (1.0 / 6.0) * h * (f1 * (2.0 * g1 + g2) + f2 * (g1 + 2.0 * g2))
        step = step - (1.0 / 360.0) * (y2[i - 1] * z1 + y2[i] * z2) * h3 * xfact * xfact / (x3 - x0)
        return step

    # --- accessors -------------------------------------------------------------------
    def getArgs(self):
        """The tabulated x values."""
        return self.x

    def getVals(self):
        """The tabulated f values."""
        return self.f

    def getInterp(self):
        """The interpolant."""
        return self.interpolant

    def isLogX(self):
        """Whether the interpolation is in log(x)."""
        return self.x_log

    def isLogF(self):
        """Whether the interpolation is in log(f)."""
        return self.f_log

    # --- comparison, repr, pickling ------------------------------------------------------
    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, LookupTable):
            return False
        if not (self.x_log == other.x_log and self.f_log == other.f_log and self.interpolant == other.interpolant):
            return False
        if _is_jax(self.x) or _is_jax(other.x) or _is_jax(self.f) or _is_jax(other.f):
            return self._key() == other._key()
        return np.array_equal(self.x, other.x) and np.array_equal(self.f, other.f)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        if "_hash" not in self.__dict__:
            self.__dict__["_hash"] = hash(
                (
                    "galsim.LookupTable",
                    tuple(np.asarray(self.x).tolist()),
                    tuple(np.asarray(self.f).tolist()),
                    self.x_log,
                    self.f_log,
                    self.interpolant,
                )
            )
        return self.__dict__["_hash"]

    def __repr__(self):
        return "galsim.LookupTable(x=array(%r), f=array(%r), interpolant=%r, x_log=%r, f_log=%r)" % (
            np.asarray(self.x).tolist(),
            np.asarray(self.f).tolist(),
            self.interpolant,
            self.x_log,
            self.f_log,
        )

    def __str__(self):
        s = "galsim.LookupTable(x=%s, f=%s" % (_str_array(self.x), _str_array(self.f))
        if self.interpolant != "spline":
            s += ", interpolant=%r" % (self.interpolant)
        if self.x_log:
            s += ", x_log=True"
        if self.f_log:
            s += ", f_log=True"
        s += ")"
        return s

    def __getstate__(self):
        d = self.__dict__.copy()
        d.pop("_np_cache", None)
        d.pop("_hash", None)
        return d

    def __setstate__(self, d):
        self.__dict__ = d

    # --- factories -----------------------------------------------------------------
    @classmethod
    def from_file(cls, file_name, interpolant="spline", x_log=False, f_log=False, amplitude=1.0):
        """A `LookupTable` from a text file of two columns, x and f (``#`` comments
        allowed).

        Parameters:
            file_name:      The file to read.
            interpolant:    The interpolant. [default: 'spline']
            x_log:          Interpolate in log(x). [default: False]
            f_log:          Interpolate in log(f). [default: False]
            amplitude:      A factor applied to the f values. [default: 1.0]
        """
        ParserError = AttributeError
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pandas
                from pandas.errors import ParserError
            data = pandas.read_csv(file_name, comment="#", sep=r"\s+", header=None)
            data = data.values.transpose()
        except (ImportError, AttributeError, ParserError):
            data = np.loadtxt(file_name).transpose()
        if data.shape[0] != 2:
            raise GalSimValueError("File provided for LookupTable does not have 2 columns", file_name)
        x = data[0]
        f = data[1]
        if amplitude != 1.0:
            f[:] *= amplitude
        return LookupTable(x, f, interpolant=interpolant, x_log=x_log, f_log=f_log)

    @classmethod
    def from_func(cls, func, x_min, x_max, npoints=2000, interpolant="spline", x_log=False, f_log=False):
        """A `LookupTable` of ``func`` evaluated at ``npoints`` points from ``x_min`` to
        ``x_max`` (evenly spaced in x, or in log(x) if ``x_log``).

        Parameters:
            func:           A callable of one variable.
            x_min, x_max:   The range of x.
            npoints:        The number of tabulated points. [default: 2000]
            interpolant:    The interpolant. [default: 'spline']
            x_log:          Space the points (and interpolate) in log(x). [default: False]
            f_log:          Interpolate in log(f). [default: False]
        """
        if x_log:
            x = np.exp(np.linspace(np.log(x_min), np.log(x_max), npoints))
        else:
            x = np.linspace(x_min, x_max, npoints)
        f = np.array([func(xx) for xx in x], dtype=float)
        return cls(x, f, interpolant=interpolant, x_log=x_log, f_log=f_log)


def _LookupTable(x, f, interpolant="spline", x_log=False, f_log=False):
    """A `LookupTable` without the checks and sorting of the constructor: ``x`` must be
    strictly increasing (and positive with ``x_log``; ``f`` positive with ``f_log``)."""
    ret = LookupTable.__new__(LookupTable)
    ret.x = np.ascontiguousarray(x, dtype=float)
    ret.f = np.ascontiguousarray(f, dtype=float)
    ret.interpolant = interpolant
    ret.x_log = x_log
    ret.f_log = f_log
    ret.__dict__["_interp1d"] = None if interpolant in _BUILTIN else _convert_interpolant(interpolant)
    return ret


def trapz(f, x, interpolant="linear"):
    """The integral of tabulated values ``f`` at abscissae ``x`` by the trapezoid rule
    (or another table interpolant), like ``numpy.trapezoid(f, x)`` for 1-d input; 0 for
    fewer than 2 points.

    Parameters:
        f:              The function values.
        x:              The (increasing) abscissae.
        interpolant:    The interpolant between points [default: 'linear', the trapezoid
                        rule].
    """
    if len(x) >= 2:
        return _LookupTable(x, f, interpolant=interpolant).integrate()
    else:
        return 0.0


class LookupTable2D:
    """GalSim's two-dimensional lookup table.  Not implemented in jax_galsim yet."""

    def __init__(self, *args, **kwargs):
        raise GalSimNotImplementedError("LookupTable2D is not implemented in jax_galsim yet.")


def _LookupTable2D(*args, **kwargs):
    """See `LookupTable2D` (not implemented yet)."""
    raise GalSimNotImplementedError("LookupTable2D is not implemented in jax_galsim yet.")
