"""Assorted helpers from ``galsim.utilities``: array rolls, Fourier grids, polynomial
evaluation, caching, moments, and the checks GalSim's test-suite uses
(``check_pickle``, ``check_all_diff``, ``timer``, ``CaptureLog``, ``Profile``).

JAX notes: the numerical helpers (``roll2d``, ``horner``, ``horner2d``,
``g1g2_to_e1e2``, ``rotate_xy``, ``unweighted_moments``, ``unweighted_shape``) accept
NumPy or JAX arrays.  NumPy (concrete) input gives NumPy output with GalSim's values;
JAX input (including tracers inside ``jit``/``grad``/``vmap``) is computed with
``jax.numpy``.  There is no OpenMP layer: ``get_omp_threads`` reports 1 and
``set_omp_threads`` does nothing but report it.
"""

import cProfile
import copy
import functools
import logging
import math
import os
import pickle
import pstats
import time
import warnings
import weakref
from collections import Counter
from collections.abc import Hashable
from contextlib import contextmanager
from io import StringIO

import jax
import jax.numpy as jnp
import numpy as np

from .core.backend import is_jax
from .core.thin import thin_tabulated_values  # noqa: F401  (GalSim's public name)
from .errors import (
    GalSimError,
    GalSimIncompatibleValuesError,
    GalSimRangeError,
    GalSimValueError,
    galsim_warn,
)
from .position import Position, PositionD, _PositionD, parse_pos_args  # noqa: F401

__all__ = []  # galsim.utilities exports nothing into the top-level galsim namespace.

basestring = (str, bytes)


# --------------------------------------------------------------------------------------
# Decorators and small generic helpers
# --------------------------------------------------------------------------------------
class lazy_property:
    """Decorator like ``@property`` that computes the value once per instance and then
    stores it as an ordinary instance attribute (so later accesses cost nothing).
    Only for values that never change."""

    def __init__(self, fget):
        self.fget = fget
        self.func_name = fget.__name__
        functools.update_wrapper(self, fget)

    def __get__(self, obj, cls):
        if obj is None:
            return self
        value = self.fget(obj)
        setattr(obj, self.func_name, value)
        return value


class doc_inherit:
    """Method decorator that gives the method the docstring of the same-named method
    of the nearest base class that documents it."""

    def __init__(self, mthd):
        self.mthd = mthd
        self.name = mthd.__name__

    def _parent_doc(self, cls):
        for klass in cls.__mro__[1:]:
            parent = getattr(klass, self.name, None)
            if parent is not None and getattr(parent, "__doc__", None):
                return parent.__doc__
        raise NameError("Can't find '%s' in parents" % self.name)

    def __get__(self, obj, cls):
        mthd = self.mthd

        if obj is not None:

            @functools.wraps(mthd, assigned=("__name__", "__module__"))
            def f(*args, **kwargs):
                return mthd(obj, *args, **kwargs)

        else:

            @functools.wraps(mthd, assigned=("__name__", "__module__"))
            def f(*args, **kwargs):
                return mthd(*args, **kwargs)

        f.__doc__ = self._parent_doc(cls)
        return f


def isinteger(value):
    """Whether ``value == int(value)`` (False if it cannot be converted)."""
    try:
        return value == int(value)
    except (TypeError, ValueError):
        return False


def ensure_dir(target):
    """Create the directory that will hold the file ``target`` if it does not exist
    (tolerating another process creating it at the same time).  Raises OSError if a
    non-directory file is in the way."""
    dirname = os.path.dirname(target)
    if dirname == "":
        return
    if os.path.exists(dirname):
        if not os.path.isdir(dirname):
            raise OSError(
                "tried to make directory '%s' but a non-directory file of that name already exists"
                % dirname
            )
        return
    os.makedirs(dirname, exist_ok=True)


def listify(arg):
    """``[arg]`` unless ``arg`` is already iterable, in which case ``arg`` itself."""
    return arg if hasattr(arg, "__iter__") else [arg]


def dol_to_lod(dol, N=None, scalar_string=True):
    """Turn a dict of lists into a generator of N dicts of scalars, broadcasting
    scalars and length-1 lists.

    Parameters:
        dol:            dict whose values are lists (or scalars).
        N:              Number of dicts to make [default: the longest list length, or 1].
        scalar_string:  Whether a string value is a scalar (broadcast as a whole) rather
                        than a list of characters [default: True].

    Raises GalSimIncompatibleValuesError if lists of different lengths (other than 1)
    are mixed, or a value cannot be indexed by an integer (e.g. a dict).
    """

    def is_scalar_string(v):
        return scalar_string and isinstance(v, str)

    if N is None:
        lens = [len(v) for v in dol.values() if hasattr(v, "__len__") and not is_scalar_string(v)]
        N = max(lens) if lens else 1
    for i in range(N):
        out = {}
        for k, v in dol.items():
            if is_scalar_string(v):
                out[k] = v
                continue
            try:
                out[k] = v[i]
            except IndexError:
                if len(v) != 1:
                    raise GalSimIncompatibleValuesError(
                        "Cannot broadcast kwargs of different non-length-1 lengths.", dol=dol
                    ) from None
                out[k] = v[0]
            except TypeError:
                # Not indexable: a scalar, broadcast as is.
                out[k] = v
            except Exception:
                raise GalSimIncompatibleValuesError(
                    "Cannot broadcast kwarg %s=%s" % (k, v), dol=dol
                ) from None
        yield out


def functionize(f):
    """Decorator: let ``f`` (a function of scalars) take callables for any argument.
    If any argument is callable, the result is a function of the same inner arguments
    that calls each callable argument with them and then ``f``; otherwise ``f`` is
    called directly."""

    @functools.wraps(f)
    def ff(*args, **kwargs):
        if not any(callable(a) for a in args + tuple(kwargs.values())):
            return f(*args, **kwargs)

        def fff(*inner_args, **inner_kwargs):
            new_args = [a(*inner_args, **inner_kwargs) if callable(a) else a for a in args]
            new_kwargs = {
                k: (v(*inner_args, **inner_kwargs) if callable(v) else v) for k, v in kwargs.items()
            }
            return f(*new_args, **new_kwargs)

        return fff

    return ff


def math_eval(str, other_modules=()):
    """Evaluate a string expression with ``numpy``/``np``, ``math``, ``galsim`` (this
    package), ``coord`` and a few NumPy/astropy names available."""
    import jax_galsim

    gdict = {"galsim": jax_galsim, "numpy": np, "np": np, "math": math}
    try:
        import coord

        gdict["coord"] = coord
    except ImportError:  # pragma: no cover
        pass
    for name in (
        "array", "uint16", "uint32", "int16", "int32", "float32", "float64",
        "complex64", "complex128", "ndarray",
    ):
        gdict[name] = getattr(np, name)
    try:
        from astropy.units import Unit

        gdict["Unit"] = Unit
    except ImportError:  # pragma: no cover
        pass
    for m in other_modules:
        exec("import " + m, gdict)
    return eval(str, gdict)


class WeakMethod:
    """A bound method held through a weak reference to its instance."""

    def __init__(self, f):
        self.f = f.__func__
        self.c = weakref.ref(f.__self__)

    def __call__(self, *args):
        obj = self.c()
        if obj is None:
            raise GalSimError("Method called on dead object")
        return self.f(obj, *args)


class OrderedWeakRef(weakref.ref):
    """A ``weakref.ref`` with an arbitrary (id-based) ordering, usable in a heap."""

    def __lt__(self, other):
        return id(self) < id(other)


class SimpleGenerator:
    """A callable that returns the object it was built with (a trivial factory)."""

    def __init__(self, obj):
        self._obj = obj

    def __call__(self):
        return self._obj


# --------------------------------------------------------------------------------------
# LRU cache
# --------------------------------------------------------------------------------------
class LRU_Cache:
    """A least-recently-used cache of ``user_function``'s results.

    ``cache(*args)`` returns ``user_function(*args)``, computing it only if ``args``
    is not among the ``maxsize`` most recently used argument tuples.

    Internals (relied upon by GalSim's tests): ``self.cache`` is a dict with exactly
    ``maxsize`` entries mapping an argument tuple (or a placeholder key for an unused
    slot) to its link ``[prev, next, key, result]`` in a circular list ordered from
    least to most recently used, starting after ``self.root``.

    Parameters:
        user_function:  The function to cache.
        maxsize:        Number of results to keep [default: 1024].
    """

    def __init__(self, user_function, maxsize=1024):
        self.user_function = user_function
        self.cache = {}
        self.maxsize = maxsize
        self.clear()

    def clear(self):
        """Forget all cached results."""
        self.root = root = [None, None, None, None]
        root[0] = root[1] = root
        self.cache.clear()
        for _ in range(self.maxsize):
            self._insert_oldest(self._new_slot())

    def _new_slot(self):
        key = object()
        link = [None, None, key, None]
        self.cache[key] = link
        return link

    def _unlink(self, link):
        link[0][1] = link[1]
        link[1][0] = link[0]

    def _insert_newest(self, link):
        root = self.root
        last = root[0]
        link[0], link[1] = last, root
        last[1] = root[0] = link

    def _insert_oldest(self, link):
        root = self.root
        first = root[1]
        link[0], link[1] = root, first
        first[0] = root[1] = link

    def __call__(self, *key):
        link = self.cache.get(key)
        if link is not None:
            self._unlink(link)
            self._insert_newest(link)
            return link[3]
        result = self.user_function(*key)
        # Recycle the least recently used slot for this result.
        oldest = self.root[1]
        self._unlink(oldest)
        del self.cache[oldest[2]]
        oldest[2], oldest[3] = key, result
        self.cache[key] = oldest
        self._insert_newest(oldest)
        return result

    def resize(self, maxsize):
        """Change the number of cached results.  Growing keeps everything; shrinking
        drops the least recently used entries.  ``maxsize`` must be positive."""
        if maxsize == self.maxsize:
            return
        if maxsize <= 0:
            raise GalSimValueError("Invalid maxsize", maxsize)
        if maxsize < self.maxsize:
            for _ in range(self.maxsize - maxsize):
                oldest = self.root[1]
                self._unlink(oldest)
                del self.cache[oldest[2]]
        else:
            for _ in range(maxsize - self.maxsize):
                self._insert_oldest(self._new_slot())
        self.maxsize = maxsize


# --------------------------------------------------------------------------------------
# Arrays, Fourier grids, shapes
# --------------------------------------------------------------------------------------
def roll2d(image, shape):
    """Circularly shift a 2-D array by ``shape = (iroll, jroll)`` along axes 0 and 1.

    NumPy input gives a C-contiguous NumPy array; JAX input a JAX array."""
    iroll, jroll = shape
    if is_jax(image):
        return jnp.roll(image, (iroll, jroll), axis=(0, 1))
    return np.ascontiguousarray(np.roll(image, (iroll, jroll), axis=(0, 1)))


roll2D = roll2d


def kxky(array_shape=(256, 256)):
    """``(kx, ky)`` grids (radians per pixel) of the DFT of an integer-sampled array of
    NumPy shape ``array_shape = (ny, nx)``, in FFT order: ``k`` spans about
    ``(-pi, pi]`` with ``(0, 0)`` in element ``[0, 0]``; ``kx`` varies along the last
    axis."""
    kx_1d = 2.0 * np.pi * np.fft.fftfreq(array_shape[1])
    ky_1d = 2.0 * np.pi * np.fft.fftfreq(array_shape[0])
    kx = np.ascontiguousarray(np.broadcast_to(kx_1d[np.newaxis, :], tuple(array_shape)))
    ky = np.ascontiguousarray(np.broadcast_to(ky_1d[:, np.newaxis], tuple(array_shape)))
    return kx, ky


def g1g2_to_e1e2(g1, g2):
    """Convert reduced shear ``(g1, g2)`` to distortion ``(e1, e2)``, where
    ``|g| = (a-b)/(a+b)`` and ``|e| = (a^2-b^2)/(a^2+b^2)`` for an ellipse with axes
    ``a >= b`` (see `Shear`).  Both scalars or arrays; traceable."""
    if is_jax(g1, g2):
        gsq = g1 * g1 + g2 * g2
        safe = jnp.where(gsq == 0.0, 1.0, gsq)
        g = jnp.sqrt(safe)
        # e/g = 2/(1+g^2)
        ratio = 2.0 / (1.0 + safe)
        return (
            jnp.where(gsq == 0.0, 0.0, g1 * ratio),
            jnp.where(gsq == 0.0, 0.0, g2 * ratio),
        )
    gsq = g1 * g1 + g2 * g2
    if np.ndim(gsq) == 0 and gsq == 0.0:
        return 0.0, 0.0
    g = np.sqrt(gsq)
    boa = (1 - g) / (1 + g)
    e = (1 - boa * boa) / (1 + boa * boa)
    return g1 * (e / g), g2 * (e / g)


def rotate_xy(x, y, theta):
    """Rotate points ``(x, y)`` counter-clockwise by the `Angle` ``theta`` about the
    origin; returns ``(x_rot, y_rot)``."""
    sint, cost = theta.sincos()
    return x * cost - y * sint, x * sint + y * cost


def rand_arr(shape, deviate):
    """A 2-D float array of ``shape`` filled by ``deviate.generate``."""
    tmp = np.empty(tuple(shape), dtype=float)
    deviate.generate(tmp.ravel())
    return tmp


def binomial(a, b, n):
    """Coefficients of ``(a x + b y)^n`` in order of decreasing powers of x, as a
    float array of length ``n+1``."""
    ratio = float(b) / float(a)
    out = np.empty(n + 1, dtype=float)
    c = a**n
    out[0] = c
    for i in range(n):
        c *= ratio * (n - i) / (i + 1)
        out[i + 1] = c
    return out


def nCr(n, r):
    """The binomial coefficient "n choose r" (an exact int; 0 unless 0 <= r <= n)."""
    if 0 <= r <= n:
        return math.comb(n, r)
    return 0


# --------------------------------------------------------------------------------------
# Polynomials
# --------------------------------------------------------------------------------------
def _result_dtype(*values):
    return np.result_type(*[np.min_scalar_type(v) for v in values])


def horner(x, coef, dtype=None):
    """Evaluate ``sum_i coef[i] x**i`` with Horner's scheme.

    Parameters:
        x:      Values (scalar or array) at which to evaluate.
        coef:   1-D coefficients in increasing powers of x.
        dtype:  dtype of the result [default: the common type of x and coef].

    Returns:
        An array the shape of ``x`` (NumPy for NumPy input, JAX for JAX input).
    """
    if is_jax(x, coef):
        coef = jnp.asarray(coef)
        if coef.ndim != 1:
            raise GalSimValueError("coef must be 1-dimensional", coef)
        x = jnp.asarray(x)
        if dtype is not None:
            x = x.astype(jnp.result_type(x.dtype, dtype))
        return _horner_jax(x, coef)

    if dtype is None:
        dtype = _result_dtype(x, coef)
    x = np.asarray(x)
    coef = np.asarray(coef)
    if coef.ndim != 1:
        raise GalSimValueError("coef must be 1-dimensional", coef)
    result = np.empty_like(x, dtype=dtype)
    _horner(x, coef, result)
    return result


def _horner(x, coef, result):
    """`horner` into the preallocated array ``result`` (same shape as ``x``)."""
    coef = np.trim_zeros(np.asarray(coef), trim="b")
    if len(coef) == 0:
        result.fill(0)
        return
    result.fill(coef[-1])
    for c in coef[-2::-1]:
        result *= x
        if c != 0:
            result += c


def _horner_jax(x, coef):
    result = jnp.zeros(jnp.shape(x), dtype=jnp.result_type(x, coef)) + coef[-1]
    for i in range(coef.shape[0] - 2, -1, -1):
        result = result * x + coef[i]
    return result


def horner2d(x, y, coefs, dtype=None, triangle=False):
    """Evaluate ``sum_ij coefs[i, j] x**i y**j`` with nested Horner schemes.

    Parameters:
        x, y:       Values (same shape) at which to evaluate.
        coefs:      2-D coefficients; axis 0 is the power of x, axis 1 the power of y.
        dtype:      dtype of the result [default: the common type of the inputs].
        triangle:   Whether only the upper-left triangle of the (square) ``coefs`` is
                    non-zero (a hint; the result is the same) [default: False].
    """
    use_jax = is_jax(x, y, coefs)
    mod = jnp if use_jax else np
    if dtype is None and not use_jax:
        dtype = _result_dtype(x, y, coefs)
    x = mod.asarray(x)
    y = mod.asarray(y)
    coefs = mod.asarray(coefs)
    if x.shape != y.shape:
        raise GalSimIncompatibleValuesError("x and y are not the same shape", x=x, y=y)
    if coefs.ndim != 2:
        raise GalSimValueError("coefs must be 2-dimensional", coefs)
    if triangle and coefs.shape[0] != coefs.shape[1]:
        raise GalSimIncompatibleValuesError(
            "coefs must be square if triangle is True", coefs=coefs, triangle=triangle
        )
    if use_jax:
        if dtype is not None:
            x = x.astype(jnp.result_type(x.dtype, dtype))
        result = _horner_jax(y, coefs[-1]) + jnp.zeros_like(x)
        for i in range(coefs.shape[0] - 2, -1, -1):
            result = result * x + _horner_jax(y, coefs[i])
        return result

    result = np.empty_like(x, dtype=dtype)
    temp = np.empty_like(x, dtype=dtype)
    _horner2d(x, y, coefs, result, temp, triangle)
    return result


def _horner2d(x, y, coefs, result, temp, triangle=False):
    """`horner2d` into the preallocated ``result`` using work space ``temp``."""
    n = coefs.shape[0]
    if triangle:
        # Row i (power x**i) only has its first n-i entries non-zero.
        result.fill(coefs[-1][0])
        for i in range(n - 2, -1, -1):
            result *= x
            _horner(y, coefs[i][: n - i], temp)
            result += temp
    else:
        _horner(y, coefs[-1], result)
        for i in range(n - 2, -1, -1):
            result *= x
            _horner(y, coefs[i], temp)
            result += temp


def horner3d(x, y, u, coefs):
    """Evaluate a trivariate polynomial; ``coefs[i, j, k]`` multiplies
    ``x**i y**j u**k``."""
    result = horner2d(y, u, coefs[-1])
    for coef in coefs[-2::-1]:
        result = result * x + horner2d(y, u, coef)
    return result


def horner4d(x, y, u, v, coefs):
    """Evaluate a 4-variate polynomial; ``coefs[i, j, k, l]`` multiplies
    ``x**i y**j u**k v**l``."""
    result = horner3d(y, u, v, coefs[-1])
    for coef in coefs[-2::-1]:
        result = result * x + horner3d(y, u, v, coef)
    return result


# --------------------------------------------------------------------------------------
# Sorted arrays, wavelength lists
# --------------------------------------------------------------------------------------
def _is_sorted(a):
    """Non-decreasing, allowing NaNs only at the end (where ``np.sort`` puts them)."""
    nan = np.isnan(a)
    n_good = len(a) - int(nan.sum())
    if np.any(nan[:n_good]):
        return False
    good = a[:n_good]
    return bool(np.all(good[1:] >= good[:-1]))


def merge_sorted(arrays):
    """The sorted union (duplicates removed) of already sorted 1-D arrays (lists,
    tuples, ranges or arrays), as float64; equivalent to
    ``np.unique(np.concatenate(arrays))``.  If the first input is a NumPy array that
    already holds exactly the merged values, it is returned itself.

    Raises GalSimError if no arrays are given, and GalSimValueError naming the first
    input that is not sorted."""
    arrays = list(arrays)
    if len(arrays) == 0:
        raise GalSimError("merge_sorted requires at least one array")
    farrays = [np.asarray(a, dtype=float).ravel() for a in arrays]
    for i, a in enumerate(farrays):
        if not _is_sorted(a):
            raise GalSimValueError(
                "Not all arrays input to merge_sorted are sorted."
                + "The first such case is at index %s" % i,
                value=arrays[i],
            )
    merged = np.unique(np.concatenate(farrays))
    a0 = farrays[0]
    if (
        isinstance(arrays[0], np.ndarray)
        and len(a0) == len(merged)
        and np.array_equal(a0, merged, equal_nan=True)
    ):
        return arrays[0]
    return merged


def combine_wave_list(*args):
    """Combine the ``wave_list`` of several `SED`, `Bandpass` or chromatic objects,
    restricted to the overlap of their ``blue_limit``/``red_limit``.

    Returns:
        ``(wave_list, blue_limit, red_limit)``
    """
    if len(args) == 1:
        if isinstance(args[0], (list, tuple)):
            args = args[0]
        else:
            raise TypeError("Single input argument must be a list or tuple")
    if len(args) == 0:
        return np.array([], dtype=float), 0.0, np.inf
    if len(args) == 1:
        obj = args[0]
        return obj.wave_list, getattr(obj, "blue_limit", 0.0), getattr(obj, "red_limit", np.inf)
    blue_limit = np.max([getattr(obj, "blue_limit", 0.0) for obj in args])
    red_limit = np.min([getattr(obj, "red_limit", np.inf) for obj in args])
    if blue_limit > red_limit:
        raise GalSimError("Empty wave_list intersection.")
    waves = [np.asarray(obj.wave_list) for obj in args]
    waves = [w[(blue_limit <= w) & (w <= red_limit)] for w in waves]
    if any(len(w) > 0 for w in waves):
        waves.append([blue_limit, red_limit])
    return merge_sorted(waves), blue_limit, red_limit


# --------------------------------------------------------------------------------------
# Moments
# --------------------------------------------------------------------------------------
def unweighted_moments(image, origin=None):
    """Unweighted moments of an `Image` in pixel coordinates (the image's bounds are
    respected; its wcs is ignored).

    Parameters:
        image:      The `Image`.
        origin:     Origin (image coordinates) for ``Mx``, ``My`` [default: (0, 0)].

    Returns:
        dict with ``M0`` (sum), ``Mx``, ``My`` (centroid), ``Mxx``, ``Myy``, ``Mxy``
        (central second moments, pixels^2).
    """
    if origin is None:
        origin = _PositionD(0.0, 0.0)
    arr = image.array
    mod = jnp if is_jax(arr, origin.x, origin.y) else np
    a = mod.asarray(arr).astype(float)
    offset = image.origin - origin
    ny, nx = a.shape
    x = mod.arange(nx) + offset.x
    y = mod.arange(ny) + offset.y
    M0 = mod.sum(a)
    Mx = mod.sum(a.sum(axis=0) * x) / M0
    My = mod.sum(a.sum(axis=1) * y) / M0
    dx = x - Mx
    dy = y - My
    Mxx = mod.sum(a.sum(axis=0) * dx**2) / M0
    Myy = mod.sum(a.sum(axis=1) * dy**2) / M0
    Mxy = mod.sum(a * dy[:, None] * dx[None, :]) / M0
    return dict(M0=M0, Mx=Mx, My=My, Mxx=Mxx, Myy=Myy, Mxy=Mxy)


def unweighted_shape(arg):
    """Unweighted size and ellipticity from an `Image` or from the dict returned by
    `unweighted_moments`: ``rsqr = Mxx + Myy``, ``e1 = (Mxx - Myy)/rsqr``,
    ``e2 = 2 Mxy/rsqr``.  Returns a dict with ``rsqr``, ``e1``, ``e2``."""
    if not isinstance(arg, dict):
        arg = unweighted_moments(arg)
    rsqr = arg["Mxx"] + arg["Myy"]
    return dict(rsqr=rsqr, e1=(arg["Mxx"] - arg["Myy"]) / rsqr, e2=2 * arg["Mxy"] / rsqr)


# --------------------------------------------------------------------------------------
# Interleaving
# --------------------------------------------------------------------------------------
def _parse_interleave_N(N):
    if isinstance(N, int):
        return N, N
    try:
        n1, n2 = N
    except (TypeError, ValueError):
        raise TypeError("N must be an integer or a tuple of two integers") from None
    return n1, n2


def _interleaved_wcs(wcs, n1, n2, finer):
    """The uniform wcs ``wcs`` with pixels ``n1`` times larger in x and ``n2`` in y
    (smaller if ``finer``): a `PixelScale` if that is a pure scale, else a
    `JacobianWCS`."""
    from .wcs import JacobianWCS, PixelScale

    jac = wcs.jacobian()
    if finer:
        new = JacobianWCS(jac.dudx / n1, jac.dudy / n2, jac.dvdx / n1, jac.dvdy / n2)
    else:
        new = JacobianWCS(jac.dudx * n1, jac.dudy * n2, jac.dvdx * n1, jac.dvdy * n2)
    scale, shear, _, _ = new.getDecomposition()
    if shear.g == 0:
        return PixelScale(scale)
    return new


def deInterleaveImage(image, N, conserve_flux=False, suppress_warnings=False):
    """Split an `Image` into ``N[0]*N[1]`` lower-resolution images, each taking every
    ``N``-th pixel: the inverse of `interleaveImages`.

    Parameters:
        image:              The `Image` to split (dimensions divisible by N).
        N:                  Integer, or ``(nx, ny)`` tuple, of the interleaving factors.
        conserve_flux:      Multiply each output by ``nx*ny`` so that it has the total
                            flux of the input [default: False].
        suppress_warnings:  Do not warn when no wcs can be assigned [default: False].

    Returns:
        ``(im_list, offsets)``: the images and the `PositionD` offsets (in units of the
        output pixels) of their pixel centres.
    """
    from .image import Image

    n1, n2 = _parse_interleave_N(N)
    if not isinstance(image, Image):
        raise TypeError("image must be an instance of galsim.Image")
    y_size, x_size = image.array.shape
    if x_size % n1 or y_size % n2:
        raise GalSimIncompatibleValuesError(
            "The value of N is incompatible with the dimensions of the image to be deinterleaved",
            N=N,
            image=image,
        )
    arr = image.array
    mod = jnp if is_jax(arr) else np
    im_list, offsets = [], []
    for i in range(n1):
        for j in range(n2):
            sub = mod.array(arr[j::n2, i::n1])
            img = Image(sub)
            if conserve_flux is True:
                img *= n1 * n2
            im_list.append(img)
            offsets.append(_PositionD(0.5 - (i + 0.5) / n1, 0.5 - (j + 0.5) / n2))

    wcs = image.wcs
    if wcs is not None and wcs._isUniform:
        for img in im_list:
            img.wcs = _interleaved_wcs(wcs, n1, n2, finer=False)
            img.setOrigin(image.origin)
    elif suppress_warnings is False:
        galsim_warn("Individual images could not be assigned a WCS automatically.")
    return im_list, offsets


def interleaveImages(
    im_list, N, offsets, add_flux=True, suppress_warnings=False, catch_offset_errors=True
):
    """Combine ``N[0]*N[1]`` images drawn with sub-pixel ``offsets`` into one image with
    ``N`` times finer pixels (the inverse of `deInterleaveImage`).

    Parameters:
        im_list:                Equal-size `Image` objects sharing one wcs.
        N:                      Integer, or ``(nx, ny)`` tuple, of interleaving factors.
        offsets:                `PositionD` offsets (input pixel units) with which each
                                image was drawn; x spaced by 1/nx and y by 1/ny about 0.
        add_flux:               Keep the summed flux; if False, divide by the number of
                                images [default: True].
        suppress_warnings:      Do not warn about an unassignable wcs or differing
                                origins [default: False].
        catch_offset_errors:    Check that the offsets lie on the expected grid; if
                                False they are wrapped onto it [default: True].

    Returns:
        The interleaved `Image`, with origin that of the first input.
    """
    from .image import Image

    n1, n2 = _parse_interleave_N(N)
    if len(im_list) < 2:
        raise GalSimValueError("im_list must have at least two instances of galsim.Image", im_list)
    if n1 * n2 != len(im_list):
        raise GalSimIncompatibleValuesError(
            "N is incompatible with the number of images in im_list", N=N, im_list=im_list
        )
    if len(im_list) != len(offsets):
        raise GalSimIncompatibleValuesError(
            "im_list and offsets must be lists of same length", im_list=im_list, offsets=offsets
        )
    for offset in offsets:
        if not isinstance(offset, PositionD):
            raise TypeError("offsets must be a list of galsim.PositionD instances")
    if not isinstance(im_list[0], Image):
        raise TypeError("im_list must be a list of galsim.Image instances")
    y_size, x_size = im_list[0].array.shape
    wcs = im_list[0].wcs
    for im in im_list[1:]:
        if not isinstance(im, Image):
            raise TypeError("im_list must be a list of galsim.Image instances")
        if im.array.shape != (y_size, x_size):
            raise GalSimIncompatibleValuesError(
                "All galsim.Image instances in im_list must be of the same size", im_list=im_list
            )
        if im.wcs != wcs:
            raise GalSimIncompatibleValuesError(
                "All galsim.Image instances in im_list must have the same WCS", im_list=im_list
            )

    use_jax = any(is_jax(im.array) for im in im_list)
    img_array = (jnp if use_jax else np).zeros((n2 * y_size, n1 * x_size))
    bad_offsets = (
        "offsets must be a list of galsim.PositionD instances with x values "
        "spaced by 1/{0} and y values by 1/{1} around 0.".format(n1, n2)
    )
    for im, offset in zip(im_list, offsets):
        fi = (n1 - 1) * 0.5 - n1 * offset.x
        fj = (n2 - 1) * 0.5 - n2 * offset.y
        i, j = int(round(fi)), int(round(fj))
        if catch_offset_errors is True:
            tol = 1.0e-6
            if abs(fi - round(fi)) > tol or abs(fj - round(fj)) > tol:
                raise GalSimIncompatibleValuesError(bad_offsets, N=N, offsets=offsets)
            if i < 0 or j < 0 or i >= n1 or j >= n2:
                raise GalSimIncompatibleValuesError(bad_offsets, N=N, offsets=offsets)
        else:
            i, j = i % n1, j % n2
        if use_jax:
            img_array = img_array.at[j::n2, i::n1].set(im.array)
        else:
            img_array[j::n2, i::n1] = im.array

    img = Image(img_array)
    if not add_flux:
        img /= 1.0 * len(im_list)

    if wcs is not None and wcs._isUniform:
        img.wcs = _interleaved_wcs(wcs, n1, n2, finer=True)
    elif not suppress_warnings:
        galsim_warn("Interleaved image could not be assigned a WCS automatically.")

    orig = im_list[0].origin
    img.setOrigin(orig)
    if any(im.origin != orig for im in im_list[1:]) and not suppress_warnings:
        galsim_warn(
            "Images in im_list have multiple values for origin. Assigning the "
            "origin of the first Image instance in im_list to the interleaved image."
        )
    return img


# --------------------------------------------------------------------------------------
# Random selection
# --------------------------------------------------------------------------------------
def _deviate_classes():
    try:
        from .random import BaseDeviate, UniformDeviate
    except ImportError:
        return None, None
    return BaseDeviate, UniformDeviate


def rand_with_replacement(n, n_choices, rng, weight=None, _n_rng_calls=False):
    """``n`` random integers in ``[0, n_choices)``, drawn with replacement using the
    `BaseDeviate` ``rng`` (the same sequence as GalSim for the same seed).  With
    ``weight`` (length ``n_choices``, values in [0, 1]) an index ``i`` is kept with
    probability ``weight[i]`` and redrawn otherwise.

    Returns:
        A NumPy int array of length ``n`` (and, with ``_n_rng_calls=True``, the number
        of uniform deviates consumed).
    """
    BaseDeviate, UniformDeviate = _deviate_classes()
    if BaseDeviate is None:
        raise NotImplementedError(
            "rand_with_replacement needs jax_galsim.random (BaseDeviate/UniformDeviate), "
            "which is not available in this build."
        )
    if not isinstance(rng, BaseDeviate):
        raise TypeError("The rng provided to rand_with_replacement() must be a BaseDeviate")
    ud = UniformDeviate(rng)

    if not isinteger(n) or n < 1:
        raise GalSimValueError("n must be an integer >= 1.", n)
    if not isinteger(n_choices) or n_choices < 1:
        raise GalSimValueError("n_choices must be an integer >= 1.", n_choices)
    n = int(n)
    if weight is not None:
        if len(weight) != n_choices:
            raise GalSimIncompatibleValuesError(
                "Array of weights has wrong length", weight=weight, n_choices=n_choices
            )
        weight = np.asarray(weight)
        if not np.all(np.isfinite(weight)) or np.min(weight) < 0 or np.max(weight) > 1:
            raise GalSimRangeError(
                "Supplied weights include values outside [0,1] or inf/NaN.", weight, 0.0, 1.0
            )

    def uniforms(m):
        out = np.zeros(m)
        ud.generate(out)
        return out

    index = (n_choices * uniforms(n)).astype(int)
    n_calls = n
    if weight is not None:
        test_vals = uniforms(n)
        n_calls += n
        redo = test_vals > weight[index]
        while np.any(redo):
            n_fail = int(redo.sum())
            index[redo] = (n_choices * uniforms(n_fail)).astype(int)
            test_vals[redo] = uniforms(n_fail)
            n_calls += 2 * n_fail
            redo = test_vals > weight[index]
    if _n_rng_calls:
        return index, n_calls
    return index


# --------------------------------------------------------------------------------------
# Lensing-position parsing and least squares
# --------------------------------------------------------------------------------------
def _convertPositions(pos, units, func):
    """Positions given to lensing getters (``getShear`` etc.) as ``[x, y]`` in arcsec.

    ``pos`` may be a `Position`, a list of `Position`, an ``(x, y)`` pair of numbers or
    an ``(xlist, ylist)`` pair; ``units`` is an `AngleUnit` or its name.  ``func`` names
    the caller in error messages."""
    from .angle import AngleUnit, arcsec

    if isinstance(pos, Position):
        pos = [pos.x, pos.y]
    elif len(pos) == 0:
        raise TypeError("Unable to parse the input pos argument for %s." % func)
    elif isinstance(pos[0], Position):
        pos = [
            np.array([p.x for p in pos], dtype=float),
            np.array([p.y for p in pos], dtype=float),
        ]
    elif len(pos) != 2:
        raise TypeError("Unable to parse the input pos argument for %s." % func)
    else:
        try:
            pos = [float(pos[0]), float(pos[1])]
        except TypeError:
            pos = [np.array(pos[0], dtype=float), np.array(pos[1], dtype=float)]

    if isinstance(units, str):
        units = AngleUnit.from_name(units)
    if not isinstance(units, AngleUnit):
        raise GalSimValueError(
            "units must be either an AngleUnit or a string",
            units,
            ("arcsec", "arcmin", "degree", "hour", "radian"),
        )
    if units != arcsec:
        scale = 1.0 * units / arcsec
        pos[0] *= scale
        pos[1] *= scale
    return pos


def least_squares(fun, x0, args=(), kwargs={}, max_iter=1000, tol=1e-9, lambda_init=1.0):
    """Minimise ``0.5 * sum(fun(x)**2)`` with Levenberg-Marquardt (as GalSim's
    replacement for ``scipy.optimize.least_squares`` with default options).

    The Jacobian is a forward finite difference with step ``tol``; the damping starts
    at ``lambda_init`` and is divided by 3 after an improving step, multiplied by 3
    otherwise.  Iteration stops when the step norm falls below ``tol`` or after
    ``max_iter`` iterations.

    Returns:
        A named tuple with ``x`` (the solution) and ``cost`` (0.5 * sum of squared
        residuals).
    """
    from collections import namedtuple

    params = np.array(x0)
    lam = lambda_init
    nparam = len(params)
    residuals = None
    for _ in range(max_iter):
        residuals = fun(params, *args, **kwargs)
        jac = np.zeros((len(residuals), nparam))
        for j in range(nparam):
            step = np.zeros(nparam)
            step[j] = tol
            jac[:, j] = (fun(params + step, *args, **kwargs) - residuals) / tol
        jtj = jac.T @ jac
        jtr = jac.T @ residuals
        try:
            delta = np.linalg.solve(jtj + lam * np.eye(len(jtj)), jtr)
        except np.linalg.LinAlgError:
            lam *= 2
            continue
        trial = params - delta
        trial_residuals = fun(trial, *args, **kwargs)
        if np.linalg.norm(trial_residuals) < np.linalg.norm(residuals):
            params, residuals = trial, trial_residuals
            lam /= 3
        else:
            lam *= 3
        if np.linalg.norm(delta) < tol:
            break
    if residuals is None:
        residuals = fun(params, *args, **kwargs)
    Result = namedtuple("Result", ["x", "cost"])
    return Result(x=params, cost=0.5 * np.sum(residuals**2))


# --------------------------------------------------------------------------------------
# Threads (there is no OpenMP layer in jax_galsim)
# --------------------------------------------------------------------------------------
def set_omp_threads(num_threads, logger=None):
    """Accepted for compatibility; jax_galsim has no OpenMP layer (XLA manages its own
    threads).  Returns the number of threads that will be used: 1."""
    if logger:
        logger.debug("jax_galsim has no OpenMP layer; using 1 thread.")
        if num_threads is not None and num_threads != 1:
            logger.warning("Unable to use multiple threads, since OpenMP is not enabled.")
    return 1


def get_omp_threads():
    """The number of OpenMP threads: always 1 (no OpenMP layer in jax_galsim)."""
    return 1


@contextmanager
def single_threaded(*, num_threads=1):
    """Context manager for code that wants (Open)MP threading off; in jax_galsim it only
    silences the DeprecationWarning Python >= 3.12 emits about forking a process that
    has used threads."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        yield


# --------------------------------------------------------------------------------------
# Printing and pickling helpers
# --------------------------------------------------------------------------------------
@contextmanager
def printoptions(*args, **kwargs):
    """Temporarily set NumPy print options (as ``numpy.printoptions``)."""
    original = np.get_printoptions()
    np.set_printoptions(*args, **kwargs)
    try:
        yield
    finally:
        np.set_printoptions(**original)


_pickle_shared = False


@contextmanager
def pickle_shared():
    """Within this context, objects with shared state include it when pickled."""
    global _pickle_shared
    original = _pickle_shared
    _pickle_shared = True
    try:
        yield
    finally:
        _pickle_shared = original


def _eval_namespace():
    """Names available to ``eval(repr(obj))`` in `check_pickle`: ``galsim`` is this
    package, plus NumPy, coord and astropy names that reprs may use."""
    import jax_galsim

    ns = {"galsim": jax_galsim, "np": np, "numpy": np, "jnp": jnp, "jax": jax}
    for name in (
        "array", "uint16", "uint32", "int16", "int32", "float32", "float64",
        "complex64", "complex128", "ndarray",
    ):
        ns[name] = getattr(np, name)
    try:
        import coord

        ns["coord"] = coord
    except ImportError:  # pragma: no cover
        pass
    try:
        import astropy
        import astropy.io.fits
        from astropy.units import Unit

        ns["astropy"] = astropy
        ns["Unit"] = Unit
    except ImportError:  # pragma: no cover
        pass
    return ns


def check_pickle(obj, func=lambda x: x, irreprable=False, random=None):
    """Assert that ``obj`` behaves as GalSim requires of its objects:

    1. ``pickle.loads(pickle.dumps(obj))`` is a new object equivalent to ``obj``
       (compared through ``func``);
    2. ``func(obj)`` is unequal to an unrelated ``object()``, both ways round;
    3. equivalent objects hash equally (if hashable);
    4. ``copy.copy(obj)`` is equivalent (unless the object is random);
    5. ``copy.deepcopy(obj)`` is equivalent;
    6. ``eval(repr(obj))`` (with ``galsim`` bound to this package) is equivalent,
       unless random or ``irreprable``, in which case ``repr`` must still work.

    Parameters:
        obj:            The object to test.
        func:           Function of the object used to compare [default: identity].
        irreprable:     Skip the ``eval(repr(obj))`` check [default: False].
        random:         Whether the object has intrinsic randomness [default: True if it
                        has an ``rng`` attribute, is a `BaseDeviate`, or its repr
                        mentions ``rng``].
    """
    BaseDeviate, _ = _deviate_classes()
    is_deviate = BaseDeviate is not None and isinstance(obj, BaseDeviate)

    print("Try pickling ", str(obj))

    obj2 = pickle.loads(pickle.dumps(obj))
    assert obj2 is not obj
    f1 = func(obj)
    f2 = func(obj2)
    assert f2 == f1, (
        f"func(obj) = {f1}\nfunc(obj2) = {f2}\nrepr(obj) = {repr(obj)}\nrepr(obj2)={repr(obj2)}"
    )

    assert f1 != object()
    assert object() != f1

    if isinstance(obj, Hashable):
        assert hash(obj) == hash(obj2), f"hash(obj) = {hash(obj)}, hash(obj2) = {hash(obj2)}"

    obj3 = copy.copy(obj)
    assert obj3 is not obj
    if random is None:
        random = hasattr(obj, "rng") or is_deviate or "rng" in repr(obj)
    if not random:
        f3 = func(obj3)
        assert f3 == f1
    elif is_deviate:
        f1 = func(obj)
        f3 = func(obj3)
        assert f3 == f1, f"func(obj) = {f1}\nfunc(obj3) = {f3}"

    obj4 = copy.deepcopy(obj)
    assert obj4 is not obj
    f4 = func(obj4)
    if random:
        f1 = func(obj)
    assert f4 == f1, f"func(obj) = {f1}\nfunc(obj4) = {f4}"

    if not random and not irreprable:
        with printoptions(precision=20, threshold=np.inf):
            obj5 = eval(repr(obj), _eval_namespace())
        f5 = func(obj5)
        assert f5 == f1, (
            f"func(obj) = {f1}\nfunc(obj5) = {f5}\nrepr(obj) = {repr(obj)}\nrepr(obj5)={repr(obj5)}"
        )
    else:
        repr(obj)


def check_all_diff(objs, check_hash=True):
    """Assert that every pair of distinct entries of ``objs`` compares unequal (both
    ways, with ``!=`` and ``==``), each compares equal to itself, and, if
    ``check_hash`` and the objects are hashable, that all hashes differ."""
    for i, obji in enumerate(objs):
        assert obji == obji
        assert not (obji != obji)
        for j, objj in enumerate(objs):
            if i == j:
                continue
            assert obji != objj, "Found equivalent objects {0} == {1} at indices {2} and {3}".format(
                obji, objj, i, j
            )

    if not check_hash:
        return
    if not isinstance(objs[0], Hashable):
        return
    hashes = [hash(obj) for obj in objs]
    if len(hashes) != len(set(hashes)):
        for k, v in Counter(hashes).items():
            if v <= 1:
                continue
            print("Found multiple equivalent object hashes:")
            for i, obj in enumerate(objs):
                if hash(obj) == k:
                    print(i, repr(obj))
    assert len(hashes) == len(set(hashes))


# --------------------------------------------------------------------------------------
# Timing, logging and profiling helpers
# --------------------------------------------------------------------------------------
def timer(f):
    """Decorator printing how long each call of ``f`` took (seconds)."""

    @functools.wraps(f)
    def f2(*args, **kwargs):
        t0 = time.time()
        result = f(*args, **kwargs)
        t1 = time.time()
        print("time for %s = %.2f" % (f.__qualname__, t1 - t0))
        return result

    return f2


class CaptureLog:
    """Context manager capturing what is logged to ``self.logger`` into the string
    ``self.output`` (set on exit).

    Parameters:
        level:  Verbosity 0-3 (CRITICAL, WARNING, INFO, DEBUG) [default: 3].
    """

    _levels = {0: logging.CRITICAL, 1: logging.WARNING, 2: logging.INFO, 3: logging.DEBUG}

    def __init__(self, level=3):
        self.logger = logging.getLogger("CaptureLog")
        self.logger.setLevel(self._levels[level])
        self.stream = StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.logger.addHandler(self.handler)

    def __enter__(self):
        return self

    def __exit__(self, type, value, traceback):
        self.handler.flush()
        self.output = self.stream.getvalue().strip()
        self.handler.close()
        self.logger.removeHandler(self.handler)


class Profile:
    """Context manager that profiles its block with cProfile and prints the top lines.

    Parameters:
        sortby:     Sort key for the statistics [default: 'tottime'].
        nlines:     Number of lines to print [default: 30].
        reverse:    Print in reverse order [default: False].
        filename:   Also dump the raw statistics to this file [default: None].
    """

    def __init__(self, sortby="tottime", nlines=30, reverse=False, filename=None):
        self.sortby = sortby
        self.nlines = nlines
        self.reverse = reverse
        self.filename = filename

    def __enter__(self):
        self.pr = cProfile.Profile()
        self.pr.enable()
        return self

    def __exit__(self, type, value, traceback):
        self.pr.disable()
        if self.filename:
            self.pr.dump_stats(self.filename)
        ps = pstats.Stats(self.pr).sort_stats(self.sortby)
        if self.reverse:
            ps = ps.reverse_order()
        ps.print_stats(self.nlines)
