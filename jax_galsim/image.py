"""The :class:`Image` class: a pixel array with a bounding box and a WCS.

GalSim's ``Image`` API (all eight pixel types, views, sub-images, arithmetic with
GalSim's dtype rules, FFT helpers) on top of a NumPy buffer in eager code and a JAX
array inside ``jit``/``grad``/``vmap``.  See the class docstring's "JAX notes".
"""

import jax
import jax.numpy as jnp
import numpy as np

from .core.pytree import Pytree
from .errors import (
    GalSimBoundsError,
    GalSimError,
    GalSimImmutableError,
    GalSimIncompatibleValuesError,
    GalSimUndefinedBoundsError,
    GalSimValueError,
)
from .bounds import BoundsI, BoundsD, _BoundsI
from .position import PositionI, _PositionD, parse_pos_args

__all__ = [
    "Image",
    "_Image",
    "ImageUS",
    "ImageUI",
    "ImageS",
    "ImageI",
    "ImageF",
    "ImageD",
    "ImageCF",
    "ImageCD",
]


# ---------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------
def _is_tracer(x):
    return isinstance(x, jax.core.Tracer)


def _any_traced(*xs):
    return any(_is_tracer(x) for x in xs)


def _to_host(arr):
    """A concrete ``jax.Array`` becomes a writeable NumPy copy; anything else unchanged."""
    if isinstance(arr, jax.Array) and not _is_tracer(arr):
        return np.array(arr)
    return arr


def _is_np(arr):
    return isinstance(arr, np.ndarray)


def _xp_of(*xs):
    for x in xs:
        if isinstance(x, jax.Array):
            return jnp
    return np


def _dtype_type(dt):
    return np.dtype(dt).type


def _good_fft_size(n):
    """Smallest 2**k or 3 * 2**k that is >= n (n >= 1)."""
    n = int(n)
    if n <= 2:
        return 2
    # Next power of two at or above n.
    p2 = 1 << (n - 1).bit_length()
    # 3 * 2**(k-2) lies between p2/2 and p2; use it if it is big enough (GalSim
    # only uses 3 * 2**k with k >= 1, so 3 itself rounds up to 4).
    three = 3 * (p2 >> 2)
    return three if (p2 >= 8 and three >= n) else p2


class Image(Pytree):
    """An image: a 2-d array of pixel values, a `BoundsI` giving the (x, y) pixel
    coordinates of the array's corners, and optionally a WCS mapping pixel coordinates
    to world coordinates (arcsec, or whatever world unit the WCS uses).

    Pixel ``(x, y)`` is ``image.array[y - ymin, x - xmin]``: x is the column index,
    y the row index (the astronomy convention used by ds9, SExtractor, ...).

    Pixel types: ``numpy.uint16, uint32, int16, int32, float32, float64, complex64,
    complex128``; the aliases ``int -> int32``, ``float -> float64``,
    ``complex -> complex128`` and ``numpy.int64 -> int32`` are accepted for ``dtype``.
    The default for a newly allocated image is float32.

    Construction (any of the first arguments may also be given by keyword):

    * ``Image(ncol, nrow, dtype=numpy.float32, init_value=0, xmin=1, ymin=1, ...)``
      allocates ``nrow`` rows by ``ncol`` columns.
    * ``Image(bounds, dtype=numpy.float32, init_value=0, ...)`` allocates an image
      covering a `BoundsI`.
    * ``Image(array, xmin=1, ymin=1, make_const=False, copy=False, ...)`` views an
      existing 2-d array (a NumPy array shares memory with the image; ``copy=True``
      makes a private copy; ``make_const=True`` makes the image read-only).
      ``bounds=`` may replace ``xmin, ymin``.
    * ``Image(image, dtype=image.dtype, copy=True)`` copies (and possibly retypes)
      another image.

    The remaining keywords set the pixel-to-world mapping: ``scale`` (pixel size in
    world units, making a `PixelScale`) or ``wcs`` (any `BaseWCS`); with neither the
    WCS is None.  ``image.scale`` works only when the WCS is a `PixelScale`.

    JAX notes:
        An Image is a pytree: its leaves are the pixel array and the WCS, while the
        bounds, the dtype and const-ness are static.  In eager code the pixel array is a
        NumPy array (a host buffer), so GalSim's mutating idioms work as in GalSim:
        ``im.array[...] = x``, ``im.setValue``, ``im += x``, and views (``im[bounds]``,
        ``im.subImage``, ``im.view()``, ``im.real``/``im.imag`` of complex images) write
        through to their parent because they share the buffer.  A concrete
        ``jax.Array`` given to the constructor (or produced by a ``jit``-ed function
        that returns an Image) is copied to NumPy.

        When an Image holds a JAX tracer (it was built from, or unflattened with,
        traced values inside ``jit``/``grad``/``vmap``), every operation is
        functional: in-place operators, ``setValue``, ``fill`` etc. rebind the image's
        array to a new JAX array.  Writes into a sub-image made with ``im[bounds]``,
        ``subImage`` or ``view()`` are pushed on to the parent image, but a view does
        not see later writes made to its parent, and ``real``/``imag`` views never
        write through.  ``im.array[...] = x`` cannot work on a JAX array; use
        ``im[bounds] = ...``, ``im.setValue`` or ``im.array = new_array`` instead.
        Const-ness of a traced image is a static flag.
    """

    _leaves = ("_array", "_wcs")
    _static = ("_bounds", "_dtype", "isconst")

    _valid_array_dtypes = (
        np.uint16,
        np.uint32,
        np.int16,
        np.int32,
        np.float32,
        np.float64,
        np.complex64,
        np.complex128,
    )
    # Kept under GalSim's name too: some code inspects Image._cpp_valid_dtypes.
    _cpp_valid_dtypes = list(_valid_array_dtypes)

    _alias_dtypes = {
        int: np.int32,
        float: np.float64,
        complex: np.complex128,
        np.int64: np.int32,
    }

    valid_dtypes = _cpp_valid_dtypes + list(_alias_dtypes.keys())

    # -----------------------------------------------------------------------------------
    # construction
    # -----------------------------------------------------------------------------------
    def __init__(self, *args, **kwargs):
        ncol = nrow = bounds = array = image = None
        make_const = False
        xmin = ymin = 1
        if len(args) > 2:
            raise TypeError("Error, too many unnamed arguments to Image constructor")
        elif len(args) == 2:
            ncol, nrow = args
            xmin = kwargs.pop("xmin", 1)
            ymin = kwargs.pop("ymin", 1)
        elif len(args) == 1:
            a0 = args[0]
            if isinstance(a0, (np.ndarray, jax.Array)):
                array, xmin, ymin = self._get_xmin_ymin(a0, kwargs)
                make_const = kwargs.pop("make_const", False)
            elif isinstance(a0, BoundsI):
                bounds = a0
            elif isinstance(a0, (list, tuple)):
                array, xmin, ymin = self._get_xmin_ymin(np.array(a0), kwargs)
                make_const = kwargs.pop("make_const", False)
            elif isinstance(a0, Image):
                image = a0
            else:
                raise TypeError("Unable to parse %s as an array, bounds, or image." % (a0,))
        else:
            if "array" in kwargs:
                array, xmin, ymin = self._get_xmin_ymin(kwargs.pop("array"), kwargs)
                make_const = kwargs.pop("make_const", False)
            elif "bounds" in kwargs:
                bounds = kwargs.pop("bounds")
            elif "image" in kwargs:
                image = kwargs.pop("image")
            else:
                ncol = kwargs.pop("ncol", None)
                nrow = kwargs.pop("nrow", None)
                xmin = kwargs.pop("xmin", 1)
                ymin = kwargs.pop("ymin", 1)

        dtype = kwargs.pop("dtype", None)
        init_value = kwargs.pop("init_value", None)
        scale = kwargs.pop("scale", None)
        wcs = kwargs.pop("wcs", None)
        copy = kwargs.pop("copy", None)
        if kwargs:
            raise TypeError("Image constructor got unexpected keyword arguments: %s" % kwargs)

        dtype = Image._alias_dtypes.get(dtype, dtype)
        if dtype is not None and dtype not in Image.valid_dtypes:
            raise GalSimValueError("Invalid dtype.", dtype, Image.valid_dtypes)

        if array is not None:
            if copy is None:
                copy = False
            adt = _dtype_type(array.dtype)
            if dtype is None:
                if adt in Image._alias_dtypes:
                    dtype = Image._alias_dtypes[adt]
                    array = array.astype(dtype) if not _is_np(array) else array.astype(dtype, copy=copy)
                elif adt not in Image._valid_array_dtypes:
                    raise GalSimValueError(
                        "Invalid dtype of provided array.", array.dtype, Image._cpp_valid_dtypes
                    )
                elif copy:
                    array = np.array(array) if _is_np(array) else array
            else:
                if _is_np(array):
                    array = array.astype(dtype, copy=copy)
                else:
                    array = array.astype(dtype)
            if _is_np(array) and not array.dtype.isnative:
                array = array.astype(array.dtype.newbyteorder("="))
            self._dtype = _dtype_type(array.dtype)
        elif dtype is not None:
            self._dtype = dtype
        else:
            self._dtype = np.float32

        if ncol is not None or nrow is not None:
            if ncol is None or nrow is None:
                raise GalSimIncompatibleValuesError(
                    "Both nrow and ncol must be provided", ncol=ncol, nrow=nrow
                )
            if ncol != int(ncol) or nrow != int(nrow):
                raise TypeError("nrow, ncol must be integers")
            ncol = int(ncol)
            nrow = int(nrow)
            self._array = self._make_empty((nrow, ncol), self._dtype)
            self._bounds = BoundsI(xmin, xmin + ncol - 1, ymin, ymin + nrow - 1)
            self._wcs = None
            if init_value:
                self.fill(init_value)
        elif bounds is not None:
            if not isinstance(bounds, BoundsI):
                raise TypeError("bounds must be a galsim.BoundsI instance")
            self._array = self._make_empty(bounds.numpyShape(), self._dtype)
            self._bounds = bounds
            self._wcs = None
            if init_value:
                self.fill(init_value)
        elif array is not None:
            if array.ndim != 2:
                raise GalSimValueError("Image array must be 2-dimensional", array.shape)
            if _is_np(array):
                self._array = array.view()
                if make_const or not array.flags.writeable:
                    self._array.flags.writeable = False
            else:
                self._array = array
                self._const_flag = bool(make_const)
            nr, nc = array.shape
            self._bounds = BoundsI(xmin, xmin + nc - 1, ymin, ymin + nr - 1)
            self._wcs = None
            if init_value is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot specify init_value with array", init_value=init_value, array=array
                )
        elif image is not None:
            if not isinstance(image, Image):
                raise TypeError("image must be an Image")
            if init_value is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot specify init_value with image", init_value=init_value, image=image
                )
            if wcs is None and scale is None:
                wcs = image.wcs
            self._bounds = image.bounds
            self._dtype = image.dtype if dtype is None else dtype
            src = image._array
            if _is_np(src):
                if copy is False:
                    self._array = src.astype(self._dtype, copy=False)
                else:
                    self._array = self._make_empty(image.bounds.numpyShape(), self._dtype)
                    self._array[:, :] = src
            else:
                self._array = src.astype(self._dtype)
            self._wcs = None
        else:
            self._array = np.zeros((1, 1), dtype=self._dtype)
            self._bounds = BoundsI()
            self._wcs = None
            if init_value is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot specify init_value without setting an initial size",
                    init_value=init_value, ncol=ncol, nrow=nrow, bounds=bounds,
                )

        if scale is not None:
            if wcs is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot provide both scale and wcs to Image constructor", wcs=wcs, scale=scale
                )
            self._wcs = PixelScale(scale if _is_tracer(scale) else float(scale))
        else:
            if wcs is not None and not isinstance(wcs, BaseWCS):
                raise TypeError("wcs parameters must be a galsim.BaseWCS instance")
            self._wcs = wcs

    @staticmethod
    def _get_xmin_ymin(array, kwargs):
        """Parse ``xmin``, ``ymin`` or ``bounds`` given with an array.  Returns
        ``(array, xmin, ymin)``, with ``array=None`` for a formally undefined image."""
        if isinstance(array, (list, tuple)):
            array = np.array(array)
        if not isinstance(array, (np.ndarray, jax.Array)):
            raise TypeError("array must be a numpy.ndarray instance")
        array = _to_host(array)
        xmin = kwargs.pop("xmin", 1)
        ymin = kwargs.pop("ymin", 1)
        if "bounds" in kwargs:
            b = kwargs.pop("bounds")
            if not isinstance(b, BoundsI):
                raise TypeError("bounds must be a galsim.BoundsI instance")
            if b.xmax - b.xmin + 1 != array.shape[1] or b.ymax - b.ymin + 1 != array.shape[0]:
                # An undefined BoundsI with a 1x1 array is allowed below.
                if b.isDefined():
                    raise GalSimIncompatibleValuesError(
                        "Shape of array is inconsistent with provided bounds", array=array, bounds=b
                    )
            if b.isDefined():
                xmin, ymin = b.xmin, b.ymin
            else:
                kwargs.setdefault("dtype", _dtype_type(array.dtype))
                return None, None, None
        elif array.ndim == 2 and array.shape[1] == 0:
            kwargs.setdefault("dtype", _dtype_type(array.dtype))
            return None, None, None
        return array, xmin, ymin

    @staticmethod
    def _make_empty(shape, dtype):
        """A zeroed NumPy array of ``shape``; degenerate shapes give a 1x1 array."""
        if shape[0] <= 0 or shape[1] <= 0:
            return np.zeros((1, 1), dtype=dtype)
        return np.zeros(shape, dtype=dtype)

    # -----------------------------------------------------------------------------------
    # pytree protocol
    # -----------------------------------------------------------------------------------
    def _tree_flatten(self):
        return (self._array, self._wcs), (self._bounds, self._dtype, self.isconst)

    @classmethod
    def _tree_unflatten(cls, aux, children):
        obj = cls.__new__(cls)
        array, wcs = children
        bounds, dtype, isconst = aux
        array = _to_host(array)
        if _is_np(array) and isconst and array.flags.writeable:
            array = array.view()
            array.flags.writeable = False
        obj._array = array
        obj._wcs = wcs
        obj._bounds = bounds
        obj._dtype = dtype
        obj._const_flag = isconst
        return obj

    def tree_replace(self, **changes):
        """A new Image with some of ``_array``, ``_wcs``, ``_bounds``, ``_dtype``,
        ``isconst`` replaced (no validation)."""
        children, aux = self._tree_flatten()
        children = tuple(changes.pop(n, v) for n, v in zip(self._leaves, children))
        aux = tuple(changes.pop(n, v) for n, v in zip(self._static, aux))
        if changes:
            raise TypeError("Not declared parameters of Image: %s" % sorted(changes))
        return self._tree_unflatten(aux, children)

    # -----------------------------------------------------------------------------------
    # repr / str / pickling / equality
    # -----------------------------------------------------------------------------------
    def __repr__(self):
        s = "galsim.Image(bounds=%r" % (self.bounds,)
        if self.bounds.isDefined():
            arr = self._array
            if isinstance(arr, jax.Array) and not _is_tracer(arr):
                arr = np.asarray(arr)
            s += ", array=\n%r" % (arr,)
        s += ", wcs=%r" % (self.wcs,)
        if self.isconst:
            s += ", make_const=True"
        return s + ")"

    def __str__(self):
        t = "%s.%s" % (self.dtype.__module__, self.dtype.__name__)
        if self.wcs is not None and self.wcs._isPixelScale:
            return "galsim.Image(bounds=%s, scale=%s, dtype=%s)" % (self.bounds, self.scale, t)
        return "galsim.Image(bounds=%s, wcs=%s, dtype=%s)" % (self.bounds, self.wcs, t)

    def __getstate__(self):
        d = self.__dict__.copy()
        d.pop("_parent_link", None)
        return d, self.isconst

    def __setstate__(self, state):
        d, isconst = state
        self.__dict__ = d
        if isconst:
            if _is_np(self._array):
                self._array.flags.writeable = False
            self._const_flag = True

    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, Image):
            return False
        if self.bounds != other.bounds or self.wcs != other.wcs or self.isconst != other.isconst:
            return False
        if not self.bounds.isDefined():
            return True
        a, b = self._array, other._array
        if _any_traced(a, b):
            return a is b
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))

    def __ne__(self, other):
        return not self.__eq__(other)

    # Images are mutable, so (as in GalSim) they are not hashable.
    __hash__ = None

    # -----------------------------------------------------------------------------------
    # basic attributes
    # -----------------------------------------------------------------------------------
    @property
    def dtype(self):
        """The NumPy scalar type of the pixel values (e.g. ``numpy.float32``)."""
        return self._dtype

    @property
    def bounds(self):
        """The `BoundsI` of the image, in pixel coordinates."""
        return self._bounds

    @property
    def array(self):
        """The pixel array, indexed ``[y - ymin, x - xmin]`` (a NumPy array in eager
        code, a JAX array when traced)."""
        return self._array

    @array.setter
    def array(self, other):
        # A read-only NumPy buffer raises NumPy's ValueError, as in GalSim.
        if self.isconst and not _is_np(self._array):
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        self._assign(other)

    @property
    def wcs(self):
        """The WCS (a `BaseWCS`, or None)."""
        return self._wcs

    @wcs.setter
    def wcs(self, value):
        self._wcs = value

    @property
    def nrow(self):
        """The number of rows (the y extent) of the array."""
        return self._array.shape[0]

    @property
    def ncol(self):
        """The number of columns (the x extent) of the array."""
        return self._array.shape[1]

    @property
    def isconst(self):
        """Whether the image is read-only."""
        if _is_np(self._array):
            return not self._array.flags.writeable
        return bool(getattr(self, "_const_flag", False))

    @property
    def iscomplex(self):
        """Whether the pixel values are complex."""
        return np.dtype(self._dtype).kind == "c"

    @property
    def isinteger(self):
        """Whether the pixel values are integers."""
        return np.dtype(self._dtype).kind in ("i", "u")

    @property
    def iscontiguous(self):
        """Whether each row of the array has unit stride (rows need not abut)."""
        if _is_np(self._array):
            return self._array.strides[1] // self._array.itemsize == 1
        return True

    @property
    def scale(self):
        """The pixel scale (world units per pixel); only defined when the WCS is a
        `PixelScale` (None when there is no WCS).  May be set when the WCS is None or a
        `PixelScale`."""
        try:
            return self.wcs.scale
        except Exception:
            if self.wcs:
                raise GalSimError(
                    "image.wcs is not a simple PixelScale; scale is undefined."
                ) from None
            return None

    @scale.setter
    def scale(self, value):
        if self.wcs is not None and not self.wcs._isPixelScale:
            raise GalSimError("image.wcs is not a simple PixelScale; scale is undefined.")
        self.wcs = PixelScale(value)

    @property
    def xmin(self):
        """``bounds.xmin``"""
        return self._bounds.xmin

    @property
    def xmax(self):
        """``bounds.xmax``"""
        return self._bounds.xmax

    @property
    def ymin(self):
        """``bounds.ymin``"""
        return self._bounds.ymin

    @property
    def ymax(self):
        """``bounds.ymax``"""
        return self._bounds.ymax

    @property
    def outer_bounds(self):
        """The `BoundsD` of the outer pixel edges: (xmin-0.5, xmax+0.5, ymin-0.5, ymax+0.5)."""
        return BoundsD(self.xmin - 0.5, self.xmax + 0.5, self.ymin - 0.5, self.ymax + 0.5)

    @property
    def center(self):
        """The nominal centre pixel as a `PositionI` (rounding up for even sizes)."""
        return self.bounds.center

    @property
    def true_center(self):
        """The exact centre of the image as a `PositionD` (half-integer for even sizes)."""
        return self.bounds.true_center

    @property
    def origin(self):
        """The (x, y) of the lower-left pixel as a `PositionI`."""
        return self.bounds.origin

    # -----------------------------------------------------------------------------------
    # the single place that writes pixels
    # -----------------------------------------------------------------------------------
    def _rebind(self, new_array):
        """Replace the array by a new JAX array and push it on to a parent we view."""
        self._array = new_array
        link = self.__dict__.get("_parent_link")
        if link is not None:
            parent, index = link
            parent._set_at(index, new_array)

    def _set_at(self, index, values, add=False):
        """``array[index] = values`` (or ``+=``), in place when eager, functionally when
        traced."""
        arr = self._array
        if _is_np(arr) and not _any_traced(values):
            values = _to_host(values)
            if add:
                arr[index] += values
            else:
                arr[index] = values
        else:
            jarr = jnp.asarray(arr)
            values = jnp.asarray(values)
            if values.dtype != jarr.dtype:
                values = values.astype(jarr.dtype)
            new = jarr.at[index].add(values) if add else jarr.at[index].set(values)
            self._rebind(new)

    def _assign(self, values):
        """Replace all pixel values by ``values`` (same shape, or broadcastable).

        Eager image and concrete values: written into the existing buffer, so views of
        this image and its parents see the change.  Traced values (or a traced image):
        the image's array is rebound to a new JAX array.  Values are cast to the
        image's dtype as GalSim does (rounded first for integer images)."""
        values = _to_host(values)
        if not _any_traced(values) and not isinstance(values, (np.ndarray, jax.Array)):
            values = np.asarray(values)
        values = self._safe_cast(values)
        arr = self._array
        if _is_np(arr) and not _any_traced(values):
            arr[...] = values
        else:
            values = jnp.asarray(values)
            shape = arr.shape
            try:
                values = jnp.broadcast_to(values, shape)
            except (ValueError, TypeError) as e:
                raise ValueError(str(e)) from None
            self._rebind(values.astype(arr.dtype))

    def _safe_cast(self, array):
        """Cast to this image's dtype, rounding first for integer images."""
        xp = _xp_of(array)
        if not hasattr(array, "dtype"):
            array = xp.asarray(array)
        if self.isinteger:
            if np.dtype(array.dtype).kind == "c":
                array = array.real
            if np.dtype(array.dtype).kind == "f":
                array = xp.around(array)
        target = self._array.dtype
        if xp is np:
            if np.dtype(array.dtype).kind == "c" and np.dtype(target).kind != "c":
                array = array.real
            return array.astype(target, copy=False)
        if np.dtype(array.dtype).kind == "c" and np.dtype(target).kind != "c":
            array = jnp.real(array)
        return array.astype(target)

    # -----------------------------------------------------------------------------------
    # views and copies
    # -----------------------------------------------------------------------------------
    def _derived(self, array, bounds, wcs, link_index=None, const=None):
        ret = _Image(array, bounds, wcs)
        if not _is_np(ret._array):
            ret._const_flag = self.isconst if const is None else const
            if link_index is not None:
                ret._parent_link = (self, link_index)
        return ret

    @property
    def real(self):
        """The real part of the image.  For NumPy-backed images this is a view that
        writes through to the original (for real images it is the same as `view`)."""
        arr = self._array
        if _is_np(arr):
            return _Image(arr.real, self.bounds, self.wcs)
        if self.iscomplex:
            return self._derived(jnp.real(arr), self.bounds, self.wcs)
        return self._derived(arr, self.bounds, self.wcs, link_index=(slice(None), slice(None)))

    @property
    def imag(self):
        """The imaginary part of the image (read-only zeros for a real image)."""
        arr = self._array
        if _is_np(arr):
            return _Image(arr.imag, self.bounds, self.wcs)
        if self.iscomplex:
            return self._derived(jnp.imag(arr), self.bounds, self.wcs)
        return self._derived(jnp.zeros_like(arr), self.bounds, self.wcs, const=True)

    @property
    def conjugate(self):
        """The complex conjugate of the image (a copy for complex images; a view for
        real ones)."""
        arr = self._array
        if _is_np(arr):
            return _Image(arr.conjugate(), self.bounds, self.wcs)
        return self._derived(jnp.conjugate(arr), self.bounds, self.wcs)

    def copy(self):
        """A deep copy of the image."""
        arr = self._array
        if _is_np(arr):
            return _Image(arr.copy(), self.bounds, self.wcs)
        return self._derived(arr, self.bounds, self.wcs, const=False)

    def get_pixel_centers(self):
        """The x and y pixel-centre coordinates, each an array shaped like ``array``."""
        ny, nx = self._array.shape
        x, y = np.meshgrid(
            np.arange(nx, dtype=float) + self.bounds.xmin,
            np.arange(ny, dtype=float) + self.bounds.ymin,
        )
        return x, y

    def resize(self, bounds, wcs=None):
        """Give the image new bounds with a fresh, zeroed array (old values are lost).

        Parameters:
            bounds:     The new `BoundsI`.
            wcs:        Optionally a new WCS. [default: None, keep the current one]
        """
        if self.isconst:
            raise GalSimImmutableError("Cannot modify an immutable Image", self)
        if not isinstance(bounds, BoundsI):
            raise TypeError("bounds must be a galsim.BoundsI instance")
        self._array = self._make_empty(bounds.numpyShape(), self.dtype)
        self.__dict__.pop("_parent_link", None)
        self._bounds = bounds
        if wcs is not None:
            self.wcs = wcs

    def subImage(self, bounds):
        """A view of the part of the image within ``bounds`` (same as ``self[bounds]``)."""
        if not isinstance(bounds, BoundsI):
            raise TypeError("bounds must be a galsim.BoundsI instance")
        if not self.bounds.isDefined():
            raise GalSimUndefinedBoundsError("Attempt to access subImage of undefined image")
        if not self.bounds.includes(bounds):
            raise GalSimBoundsError(
                "Attempt to access subImage not (fully) in image", bounds, self.bounds
            )
        index = (
            slice(bounds.ymin - self.ymin, bounds.ymax - self.ymin + 1),
            slice(bounds.xmin - self.xmin, bounds.xmax - self.xmin + 1),
        )
        return self._derived(self._array[index], bounds, self.wcs, link_index=index)

    def setSubImage(self, bounds, rhs):
        """Copy the values of image ``rhs`` into the part of this image within
        ``bounds`` (same as ``self[bounds] = rhs``)."""
        if self.isconst:
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        self.subImage(bounds).copyFrom(rhs)

    def __getitem__(self, *args):
        """``im[bounds]`` is a sub-image view; ``im[pos]`` / ``im[x, y]`` a pixel value."""
        if len(args) == 1:
            a = args[0]
            if isinstance(a, BoundsI):
                return self.subImage(a)
            elif isinstance(a, PositionI):
                return self(a)
            elif isinstance(a, tuple):
                return self.getValue(*a)
            raise TypeError("image[index] only accepts BoundsI or PositionI for the index")
        elif len(args) == 2:
            return self(*args)
        raise TypeError("image[..] requires either 1 or 2 args")

    def __setitem__(self, *args):
        """``im[bounds] = image`` sets a sub-image; ``im[pos] = v`` / ``im[x, y] = v``
        a pixel."""
        if len(args) == 2:
            a = args[0]
            if isinstance(a, BoundsI):
                self.setSubImage(*args)
            elif isinstance(a, PositionI):
                self.setValue(*args)
            elif isinstance(a, tuple):
                self.setValue(*args)
            else:
                raise TypeError("image[index] only accepts BoundsI or PositionI for the index")
        elif len(args) == 3:
            self.setValue(*args)
        else:
            raise TypeError("image[..] requires either 1 or 2 args")

    def copyFrom(self, rhs):
        """Copy the pixel values of another image of the same shape into this one."""
        if self.isconst:
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        if not isinstance(rhs, Image):
            raise TypeError("Trying to copyFrom a non-image")
        if self.bounds.numpyShape() != rhs.bounds.numpyShape():
            raise GalSimIncompatibleValuesError(
                "Trying to copy images that are not the same shape", self_image=self, rhs=rhs
            )
        self._copyFrom(rhs)

    def _copyFrom(self, rhs):
        """`copyFrom` without the checks."""
        self._assign(rhs._array)

    def view(self, scale=None, wcs=None, origin=None, center=None, make_const=False,
             dtype=None, contiguous=False):
        """A new Image sharing this image's pixels, optionally with a different WCS,
        origin or centre.

        Parameters:
            scale:      Use this pixel scale for the view. [default: None]
            wcs:        Use this WCS for the view. [default: None, keep the current one]
            origin:     Make this `PositionI` the lower-left pixel. [default: None]
            center:     Make this `PositionI` the centre pixel. [default: None]
            make_const: Make the view read-only. [default: False]
            dtype:      Pixel type of the view; a different type means a copy.
                        [default: None, the current type]
            contiguous: Ensure the array rows are contiguous (may copy). [default: False]
        """
        if origin is not None and center is not None:
            raise GalSimIncompatibleValuesError(
                "Cannot provide both center and origin", center=center, origin=origin
            )
        if scale is not None:
            if wcs is not None:
                raise GalSimIncompatibleValuesError(
                    "Cannot provide both scale and wcs", scale=scale, wcs=wcs
                )
            wcs = PixelScale(scale)
        elif wcs is not None:
            if not isinstance(wcs, BaseWCS):
                raise TypeError("wcs parameters must be a galsim.BaseWCS instance")
        else:
            wcs = self.wcs

        dtype = Image._alias_dtypes.get(dtype, dtype) if dtype else self.dtype
        if not self.bounds.isDefined():
            return Image(wcs=wcs, dtype=dtype)

        arr = self._array
        link = None
        if _is_np(arr):
            if dtype != arr.dtype:
                arr = arr.astype(dtype)
            elif contiguous:
                arr = np.ascontiguousarray(arr)
            if make_const:
                arr = arr.view()
                arr.flags.writeable = False
            ret = _Image(arr, self.bounds, wcs)
        else:
            if dtype != self.dtype:
                arr = arr.astype(dtype)
            else:
                link = (slice(None), slice(None))
            ret = self._derived(arr, self.bounds, wcs, link_index=link,
                                const=self.isconst or make_const)
        if origin is not None:
            ret.setOrigin(origin)
        elif center is not None:
            ret.setCenter(center)
        return ret

    def _view(self):
        """`view` without options or checks."""
        arr = self._array
        if _is_np(arr):
            return _Image(arr.view(), self.bounds, self.wcs)
        return self._derived(arr, self.bounds, self.wcs, link_index=(slice(None), slice(None)))

    # -----------------------------------------------------------------------------------
    # coordinates
    # -----------------------------------------------------------------------------------
    def shift(self, *args, **kwargs):
        """Shift the pixel coordinates by an integer (dx, dy) (or a `PositionI`), so
        that the pixel that was at (x, y) is now at (x + dx, y + dy)."""
        delta = parse_pos_args(args, kwargs, "dx", "dy", integer=True)
        self._shift(delta)

    def _shift(self, delta):
        """`shift` by a `PositionI` without argument parsing."""
        if delta.x != 0 or delta.y != 0:
            self._bounds = self._bounds.shift(delta)
            if self.wcs is not None:
                self.wcs = self.wcs.shiftOrigin(delta)

    def setCenter(self, *args, **kwargs):
        """Shift the coordinates so that the centre pixel is at the given integer
        (xcen, ycen) (or `PositionI`)."""
        cen = parse_pos_args(args, kwargs, "xcen", "ycen", integer=True)
        self._shift(cen - self.center)

    def setOrigin(self, *args, **kwargs):
        """Shift the coordinates so that the lower-left pixel is at the given integer
        (x0, y0) (or `PositionI`)."""
        origin = parse_pos_args(args, kwargs, "x0", "y0", integer=True)
        self._shift(origin - self.origin)

    # -----------------------------------------------------------------------------------
    # pixel access
    # -----------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        """The pixel value at (x, y) (or a `PositionI`; or keywords x=, y=)."""
        pos = parse_pos_args(args, kwargs, "x", "y", integer=True)
        return self.getValue(pos.x, pos.y)

    def getValue(self, x, y):
        """The pixel value at integer (x, y)."""
        if not self.bounds.isDefined():
            raise GalSimUndefinedBoundsError("Attempt to access values of an undefined image")
        if not self.bounds.includes(x, y):
            raise GalSimBoundsError(
                "Attempt to access position not in bounds of image.", PositionI(x, y), self.bounds
            )
        return self._getValue(x, y)

    def _getValue(self, x, y):
        """`getValue` without the bounds checks."""
        return self._array[y - self.ymin, x - self.xmin]

    def setValue(self, *args, **kwargs):
        """Set the pixel at (x, y) to ``value``: ``setValue(x, y, value)``,
        ``setValue(pos, value)`` or keywords x=, y=, value=."""
        if self.isconst:
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        if not self.bounds.isDefined():
            raise GalSimUndefinedBoundsError("Attempt to set value of an undefined image")
        pos, value = parse_pos_args(args, kwargs, "x", "y", integer=True, others=["value"])
        if not self.bounds.includes(pos):
            raise GalSimBoundsError("Attempt to set position not in bounds of image", pos, self.bounds)
        self._setValue(pos.x, pos.y, value)

    def _setValue(self, x, y, value):
        """`setValue` without checks."""
        self._set_at((y - self.ymin, x - self.xmin), value)

    def addValue(self, *args, **kwargs):
        """Add ``value`` to the pixel at (x, y): same arguments as `setValue`."""
        if self.isconst:
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        if not self.bounds.isDefined():
            raise GalSimUndefinedBoundsError("Attempt to set value of an undefined image")
        pos, value = parse_pos_args(args, kwargs, "x", "y", integer=True, others=["value"])
        if not self.bounds.includes(pos):
            raise GalSimBoundsError("Attempt to set position not in bounds of image", pos, self.bounds)
        self._addValue(pos.x, pos.y, value)

    def _addValue(self, x, y, value):
        """`addValue` without checks."""
        self._set_at((y - self.ymin, x - self.xmin), value, add=True)

    def fill(self, value):
        """Set every pixel to ``value``."""
        if self.isconst:
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        if not self.bounds.isDefined():
            raise GalSimUndefinedBoundsError("Attempt to set values of an undefined image")
        self._fill(value)

    def _fill(self, value):
        """`fill` without checks."""
        self._set_at((slice(None), slice(None)), value)

    def setZero(self):
        """Set every pixel to zero."""
        if self.isconst:
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        self._fill(0)

    def invertSelf(self):
        """Replace each pixel value v by 1/v, leaving zeros at zero."""
        if self.isconst:
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        if not self.bounds.isDefined():
            raise GalSimUndefinedBoundsError("Attempt to set values of an undefined image")
        self._invertSelf()

    def _invertSelf(self):
        """`invertSelf` without checks."""
        arr = self._array
        xp = _xp_of(arr)
        nonzero = arr != 0
        safe = xp.where(nonzero, arr, 1)
        inv = xp.where(nonzero, 1.0 / safe, 0)
        # C-style truncation for integer images (as a C++ cast would do).
        if xp is np:
            self._array[...] = inv.astype(arr.dtype)
        else:
            self._rebind(inv.astype(arr.dtype))

    def replaceNegative(self, replace_value=0):
        """Replace negative pixel values by ``replace_value`` [default: 0]."""
        arr = self._array
        if _is_np(arr) and not _any_traced(replace_value):
            arr[arr < 0] = replace_value
        else:
            arr = jnp.asarray(arr)
            self._rebind(jnp.where(arr < 0, jnp.asarray(replace_value).astype(arr.dtype), arr))

    # -----------------------------------------------------------------------------------
    # wrapping, binning, FFTs
    # -----------------------------------------------------------------------------------
    def wrap(self, bounds, hermitian=False):
        """Fold (alias) the whole image onto the sub-image ``bounds`` and return that
        sub-image: each pixel (x, y) is added to the pixel of ``bounds`` congruent to it
        modulo the size of ``bounds``.

        ``hermitian='x'`` (or ``'y'``) says the image stores only x >= 0 (y >= 0) of a
        Hermitian function f(-x,-y) = conj(f(x,y)); then the image's and the bounds'
        xmin (ymin) must be 0, and the other direction should be symmetric.

        Parameters:
            bounds:     The `BoundsI` to wrap onto.
            hermitian:  False, 'x' or 'y'. [default: False]

        Returns:
            the sub-image ``self[bounds]`` holding the wrapped values.
        """
        if not isinstance(bounds, BoundsI):
            raise TypeError("bounds must be a galsim.BoundsI instance")
        if not hermitian:
            return self._wrap(bounds, False, False)
        elif hermitian in ("x", "y"):
            # The stored half-plane starts at 0 along the hermitian axis, for both images.
            for which, b in (("self.bounds", self.bounds), ("bounds", bounds)):
                if getattr(b, hermitian + "min") != 0:
                    raise GalSimIncompatibleValuesError(
                        "hermitian == '%s' requires %s.%smin == 0" % (hermitian, which, hermitian),
                        hermitian=hermitian, bounds=b)
            return self._wrap(bounds, hermitian == "x", hermitian == "y")
        raise GalSimValueError("Invalid value for hermitian", hermitian, (False, "x", "y"))

    def _wrap(self, bounds, hermx, hermy):
        """`wrap` without the checks; ``hermx``/``hermy`` select the Hermitian mode."""
        ret = self.subImage(bounds)
        arr = self._array
        xp = _xp_of(arr)
        if hermy:
            # Transpose so the implicit direction is x, wrap, and transpose back.
            arrT = arr.T
            wrapped = _wrap_hermx(xp, arrT, self.ymin, self.xmin,
                                  _BoundsI(bounds.ymin, bounds.ymax, bounds.xmin, bounds.xmax)).T
        elif hermx:
            wrapped = _wrap_hermx(xp, arr, self.xmin, self.ymin, bounds)
        else:
            wrapped = _wrap_plain(xp, arr, self.xmin, self.ymin, bounds)
        ret._assign(wrapped)
        return ret

    def bin(self, nx, ny):
        """A new image whose pixels are the sums of ``nx`` x ``ny`` blocks of this one
        (partial blocks at the upper edges sum fewer pixels).  A uniform WCS is scaled to
        match; otherwise the new WCS is None.

        Parameters:
            nx:     Pixels per block in x.
            ny:     Pixels per block in y.

        Returns:
            a new float64 `Image` with bounds (1, nbins_x, 1, nbins_y).
        """
        ncol = self.xmax - self.xmin + 1
        nrow = self.ymax - self.ymin + 1
        nbx = (ncol - 1) // nx + 1
        nby = (nrow - 1) // ny + 1
        arr = self._array
        xp = _xp_of(arr)
        a = arr.astype(complex if np.dtype(arr.dtype).kind == "c" else float)
        a = xp.pad(a, ((0, nby * ny - nrow), (0, nbx * nx - ncol)))
        target = a.reshape(nby, ny, nbx, nx).sum(axis=(1, 3))

        target_wcs = self._scaled_wcs(nx, ny, binning=True)
        return _Image(target, _BoundsI(1, nbx, 1, nby), target_wcs)

    def subsample(self, nx, ny, dtype=None):
        """A new image with each pixel split evenly into ``nx`` x ``ny`` sub-pixels (the
        inverse of `bin`).  A uniform WCS is scaled to match; otherwise None.

        Parameters:
            nx:     Sub-pixels per pixel in x.
            ny:     Sub-pixels per pixel in y.
            dtype:  Pixel type of the result. [default: None, the current type]
        """
        ncol = self.xmax - self.xmin + 1
        nrow = self.ymax - self.ymin + 1
        arr = self._array
        xp = _xp_of(arr)
        target = xp.repeat(xp.repeat(arr, ny, axis=0), nx, axis=1)
        if dtype is not None:
            target = target.astype(Image._alias_dtypes.get(dtype, dtype))
        res_dtype = target.dtype
        target = target / (nx * ny)
        if np.dtype(res_dtype).kind in "fc":
            target = target.astype(res_dtype)
        target_wcs = self._scaled_wcs(nx, ny, binning=False)
        return _Image(target, _BoundsI(1, ncol * nx, 1, nrow * ny), target_wcs)

    def _scaled_wcs(self, nx, ny, binning):
        if self.wcs is None or not self.wcs._isUniform:
            return None
        f = (lambda v, n: v * n) if binning else (lambda v, n: v / n)
        if self.wcs._isPixelScale and nx == ny:
            new = PixelScale(f(self.scale, nx))
        else:
            dudx, dudy, dvdx, dvdy = np.asarray(self.wcs.jacobian().getMatrix()).ravel()
            new = JacobianWCS(f(dudx, nx), f(dudy, ny), f(dvdx, nx), f(dvdy, ny))
        if binning:
            x0 = (self.wcs.origin.x - self.xmin + 0.5) / nx + 0.5
            y0 = (self.wcs.origin.y - self.ymin + 0.5) / ny + 0.5
        else:
            x0 = (self.wcs.origin.x - self.xmin + 0.5) * nx + 0.5
            y0 = (self.wcs.origin.y - self.ymin + 0.5) * ny + 0.5
        return new.shiftOrigin(_PositionD(x0, y0), self.wcs.world_origin)

    def calculate_fft(self):
        """The Fourier transform of this real-space image, as a complex k-space image.

        The image is zero-padded to bounds (-N/2, N/2-1, -N/2, N/2-1); the result has
        bounds (0, N/2, -N/2, N/2-1) (only kx >= 0 is stored: it is Hermitian), pixel
        scale dk = 2 pi / (N dx) in inverse world units, and values
        ``dx^2 sum_xy f(x,y) exp(-i (kx x + ky y))``.  Requires a `PixelScale` WCS.
        """
        if self.wcs is None:
            raise GalSimError("calculate_fft requires that the scale be set.")
        if not self.wcs._isPixelScale:
            raise GalSimError("calculate_fft requires that the image has a PixelScale wcs.")
        if not self.bounds.isDefined():
            raise GalSimUndefinedBoundsError(
                "calculate_fft requires that the image have defined bounds."
            )
        No2 = max(-self.bounds.xmin, self.bounds.xmax + 1, -self.bounds.ymin, self.bounds.ymax + 1)
        N = 2 * No2
        arr = self._array
        xp = _xp_of(arr, self.scale)
        full = xp.zeros((N, N), dtype=complex if self.iscomplex else float)
        iy0, ix0 = self.ymin + No2, self.xmin + No2
        region = (slice(iy0, iy0 + self.nrow), slice(ix0, ix0 + self.ncol))
        if xp is np:
            full[region] = arr
        else:
            full = full.at[region].set(arr)
        full = xp.fft.ifftshift(full)  # x = y = 0 to index 0
        if self.iscomplex:
            kfull = xp.fft.fft2(full)[:, : No2 + 1]
        else:
            kfull = xp.fft.rfft2(full)
        kfull = xp.fft.fftshift(kfull, axes=0)  # ky = -N/2 .. N/2-1
        dx = self.scale
        kfull = kfull * (dx * dx)
        dk = np.pi / (No2 * dx)
        out = _Image(kfull.astype(np.complex128), _BoundsI(0, No2, -No2, No2 - 1), PixelScale(dk))
        return out

    def calculate_inverse_fft(self):
        """The inverse Fourier transform of this (Hermitian) k-space image, as a real
        image.

        Only kx >= 0 is used (f(-k) = conj f(k) is implied).  The input is zero-padded or
        wrapped to bounds (0, N/2, -N/2, N/2-1); the result has bounds
        (-N/2, N/2-1, -N/2, N/2-1), scale dx = 2 pi / (N dk) in world units, and values
        ``(dk / 2 pi)^2 sum_k F(k) exp(i k.x)``.  Requires a `PixelScale` WCS.
        """
        if self.wcs is None:
            raise GalSimError("calculate_inverse_fft requires that the scale be set.")
        if not self.wcs._isPixelScale:
            raise GalSimError("calculate_inverse_fft requires that the image has a PixelScale wcs.")
        if not self.bounds.isDefined():
            raise GalSimUndefinedBoundsError(
                "calculate_inverse_fft requires that the image have defined bounds."
            )
        if not self.bounds.includes(0, 0):
            raise GalSimBoundsError(
                "calculate_inverse_fft requires that the image includes (0,0)",
                PositionI(0, 0), self.bounds,
            )
        No2 = max(self.bounds.xmax, -self.bounds.ymin, self.bounds.ymax)
        N = 2 * No2
        target_bounds = _BoundsI(0, No2, -No2, No2 - 1)
        if self.bounds == target_bounds:
            kimage = self
        else:
            kimage = Image(_BoundsI(0, No2, -No2, No2), dtype=self.dtype, init_value=0)
            posx = _BoundsI(0, self.bounds.xmax, self.bounds.ymin, self.bounds.ymax)
            kimage[posx] = self[posx]
            kimage = kimage.wrap(target_bounds, hermitian="x")
        karr = kimage._array
        xp = _xp_of(karr, self.scale)
        karr = xp.fft.ifftshift(karr.astype(complex), axes=0)  # ky = 0 to index 0
        # The kx = 0 and kx = N/2 columns must be Hermitian in ky for a real result;
        # irfft2 keeps their real parts' symmetric combination as GalSim's irfft does.
        xarr = xp.fft.irfft2(karr, s=(N, N)) * (N * N)
        xarr = xp.fft.fftshift(xarr)
        dk = self.scale
        dx = np.pi / (No2 * dk)
        xarr = xarr * (dk / (2.0 * np.pi)) ** 2
        out = _Image(xarr.astype(np.float64), _BoundsI(-No2, No2 - 1, -No2, No2 - 1), PixelScale(dx))
        return out

    @classmethod
    def good_fft_size(cls, input_size):
        """Round ``input_size`` up to the next 2^k or 3 * 2^k (sizes FFTs like)."""
        return _good_fft_size(input_size)

    # -----------------------------------------------------------------------------------
    # measurements
    # -----------------------------------------------------------------------------------
    def _centered_coords(self, center):
        if center is None:
            center = self.true_center
        x, y = self.get_pixel_centers()
        return x - center.x, y - center.y

    def calculateHLR(self, center=None, flux=None, flux_frac=0.5):
        """The half-light radius (or the radius enclosing ``flux_frac`` of ``flux``) of
        a drawn profile, in world units of the `PixelScale` WCS.

        Parameters:
            center:     Centre (pixel coordinates). [default: self.true_center]
            flux:       Total flux. [default: sum of the pixels]
            flux_frac:  Enclosed fraction. [default: 0.5]
        """
        arr = self._array
        xp = _xp_of(arr, flux)
        if flux is None:
            flux = xp.sum(arr.astype(float))
        x, y = self._centered_coords(center)
        rsq = (x * x + y * y).ravel()
        order = _xp_of(rsq).argsort(rsq)
        rsqf = xp.asarray(rsq[order])
        data = arr.ravel()[order].astype(float)
        cum = xp.cumsum(data)
        k = xp.argmax(cum > flux_frac * flux)
        fk = cum[k] / flux
        fkm1 = cum[k - 1] / flux
        first = rsqf[0] * (flux_frac / fk)
        inner = (rsqf[k - 1] * (fk - flux_frac) + rsqf[k] * (flux_frac - fkm1)) / (fk - fkm1)
        hlrsq = xp.where(k == 0, first, inner)
        res = xp.sqrt(hlrsq) * self.scale
        return float(res) if xp is np else res

    def calculateMomentRadius(self, center=None, flux=None, rtype="det"):
        """A size from unweighted second moments, in world units of the `PixelScale` WCS.

        Parameters:
            center: Centre (pixel coordinates). [default: self.true_center]
            flux:   Total flux. [default: sum of the pixels]
            rtype:  'trace' for sqrt(T/2), 'det' for det(Q)^(1/4), 'both' for both.
                    [default: 'det']
        """
        if rtype not in ("trace", "det", "both"):
            raise GalSimValueError("Invalid rtype.", rtype, ("trace", "det", "both"))
        arr = self._array
        xp = _xp_of(arr, flux)
        a = arr.astype(float)
        if flux is None:
            flux = xp.sum(a)
        x, y = self._centered_coords(center)
        out = []
        if rtype in ("trace", "both"):
            irr = xp.sum((x * x + y * y) * a) / flux
            out.append((irr / 2.0) ** 0.5 * self.scale)
        if rtype in ("det", "both"):
            ixx = xp.sum(x * x * a) / flux
            iyy = xp.sum(y * y * a) / flux
            ixy = xp.sum(x * y * a) / flux
            out.append((ixx * iyy - ixy**2) ** 0.25 * self.scale)
        if xp is np:
            out = [float(v) for v in out]
        return tuple(out) if rtype == "both" else out[0]

    def calculateFWHM(self, center=None, Imax=0.0):
        """The full width at half maximum of a drawn profile (drawn without pixel
        convolution), in world units of the `PixelScale` WCS.

        Parameters:
            center: Centre (pixel coordinates). [default: self.true_center]
            Imax:   The peak surface brightness; the image maximum is used if larger.
                    [default: 0.]
        """
        arr = self._array
        if not _is_np(arr):
            raise NotImplementedError("calculateFWHM is only available on concrete images")
        Imax = max(Imax, np.max(arr))
        x, y = self._centered_coords(center)
        rsq = (x * x + y * y).ravel()
        order = np.argsort(rsq)
        rsqf = rsq[order]
        data = arr.ravel()[order]
        k = int(np.argmax(data < 0.5 * Imax))
        k2 = np.searchsorted(rsqf, rsqf[k], side="right")
        Ik = np.mean(data[k:k2]) / Imax
        if k == 0:
            rsqhm = rsqf[0] * (0.5 / Ik)
        else:
            k1 = np.searchsorted(rsqf, rsqf[k - 1], side="left")
            Ikm1 = np.mean(data[k1:k]) / Imax
            rsqhm = (rsqf[k - 1] * (Ik - 0.5) + rsqf[k] * (0.5 - Ikm1)) / (Ik - Ikm1)
        return float(2.0 * np.sqrt(rsqhm) * self.scale)

    # -----------------------------------------------------------------------------------
    # arithmetic
    # -----------------------------------------------------------------------------------
    def check_image_consistency(self, im2, integer=False):
        """Raise if ``im2`` (an Image or anything else) cannot be combined with this
        image (shape mismatch, or non-integer images for integer-only operators)."""
        if integer and not self.isinteger:
            raise GalSimValueError("Image must have integer values.", self)
        if isinstance(im2, Image):
            if self._array.shape != im2._array.shape:
                raise GalSimIncompatibleValuesError(
                    "Image shapes are inconsistent", im1=self, im2=im2
                )
            if integer and not im2.isinteger:
                raise GalSimValueError("Image must have integer values.", im2)

    @staticmethod
    def _operand(other):
        if isinstance(other, Image):
            return other._array
        return _to_host(other) if isinstance(other, jax.Array) else other

    def _binary(self, op, other, integer=False, reflected=False):
        self.check_image_consistency(other, integer)
        a = self._operand(other)
        mine = self._array
        if _any_traced(a) and _is_np(mine):
            mine = jnp.asarray(mine)
        result = op(a, mine) if reflected else op(mine, a)
        return _Image(result, self.bounds, self.wcs)

    def _inplace(self, op, other, integer=False):
        self.check_image_consistency(other, integer)
        if self.isconst and not _is_np(self._array):
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        a = self._operand(other)
        mine = self._array
        if _any_traced(a) and _is_np(mine):
            mine = jnp.asarray(mine)
        self._assign(op(mine, a))
        return self

    def __add__(self, other):
        return self._binary(lambda a, b: a + b, other)

    __radd__ = __add__

    def __iadd__(self, other):
        return self._inplace(lambda a, b: a + b, other)

    def __sub__(self, other):
        return self._binary(lambda a, b: a - b, other)

    def __rsub__(self, other):
        return self._binary(lambda a, b: a - b, other, reflected=True)

    def __isub__(self, other):
        return self._inplace(lambda a, b: a - b, other)

    def __mul__(self, other):
        return self._binary(lambda a, b: a * b, other)

    __rmul__ = __mul__

    def __imul__(self, other):
        return self._inplace(lambda a, b: a * b, other)

    def __truediv__(self, other):
        return self._binary(lambda a, b: a / b, other)

    __div__ = __truediv__

    def __rtruediv__(self, other):
        return self._binary(lambda a, b: a / b, other, reflected=True)

    __rdiv__ = __rtruediv__

    def __itruediv__(self, other):
        return self._inplace(lambda a, b: a / b, other)

    __idiv__ = __itruediv__

    def __floordiv__(self, other):
        return self._binary(lambda a, b: a // b, other, integer=True)

    def __rfloordiv__(self, other):
        return self._binary(lambda a, b: a // b, other, integer=True, reflected=True)

    def __ifloordiv__(self, other):
        return self._inplace(lambda a, b: a // b, other, integer=True)

    def __mod__(self, other):
        return self._binary(lambda a, b: a % b, other, integer=True)

    def __rmod__(self, other):
        return self._binary(lambda a, b: a % b, other, integer=True, reflected=True)

    def __imod__(self, other):
        return self._inplace(lambda a, b: a % b, other, integer=True)

    def __pow__(self, other):
        result = self.copy()
        result **= other
        return result

    def __ipow__(self, other):
        if isinstance(other, bool) or not (
            isinstance(other, (int, float, np.integer, np.floating)) or
            (_is_tracer(other) and np.ndim(other) == 0)
        ):
            raise TypeError("Can only raise an image to a float or int power!")
        if self.isconst and not _is_np(self._array):
            raise GalSimImmutableError("Cannot modify the values of an immutable Image", self)
        self._assign(self._array ** other)
        return self

    def __neg__(self):
        result = self.copy()
        result *= np.int64(-1)
        return result

    def __and__(self, other):
        return self._binary(lambda a, b: a & b, other, integer=True)

    __rand__ = __and__

    def __iand__(self, other):
        return self._inplace(lambda a, b: a & b, other, integer=True)

    def __xor__(self, other):
        return self._binary(lambda a, b: a ^ b, other, integer=True)

    __rxor__ = __xor__

    def __ixor__(self, other):
        return self._inplace(lambda a, b: a ^ b, other, integer=True)

    def __or__(self, other):
        return self._binary(lambda a, b: a | b, other, integer=True)

    __ror__ = __or__

    def __ior__(self, other):
        return self._inplace(lambda a, b: a | b, other, integer=True)

    # -----------------------------------------------------------------------------------
    # flips and rotations (all return new images with wcs=None)
    # -----------------------------------------------------------------------------------
    def _transposed_bounds(self):
        return _BoundsI(self.ymin, self.ymax, self.xmin, self.xmax)

    def transpose(self):
        """The transposed image (x <-> y); its WCS is None."""
        return _Image(self._array.T, self._transposed_bounds(), None)

    def flip_lr(self):
        """The image flipped left to right; its WCS is None."""
        return _Image(self._array[:, ::-1], self._bounds, None)

    def flip_ud(self):
        """The image flipped top to bottom; its WCS is None."""
        return _Image(self._array[::-1, :], self._bounds, None)

    def rot_cw(self):
        """The image rotated 90 degrees clockwise; its WCS is None."""
        return _Image(self._array.T[::-1, :], self._transposed_bounds(), None)

    def rot_ccw(self):
        """The image rotated 90 degrees counter-clockwise; its WCS is None."""
        return _Image(self._array.T[:, ::-1], self._transposed_bounds(), None)

    def rot_180(self):
        """The image rotated by 180 degrees; its WCS is None."""
        return _Image(self._array[::-1, ::-1], self._bounds, None)

    # -----------------------------------------------------------------------------------
    # depixelize
    # -----------------------------------------------------------------------------------
    def depixelize(self, x_interpolant):
        """An image which, used in an `InterpolatedImage` with ``x_interpolant`` and
        drawn with pixel convolution, reproduces this image.

        Solves the separable linear system ``A_y X A_x^T = image`` where
        ``A[i, j] = u[|i - j|]`` and ``u`` are the interpolant's integrals over unit
        pixels (``x_interpolant.unit_integrals``).
        """
        ny, nx = self._array.shape
        u = np.asarray(x_interpolant.unit_integrals(max_len=max(nx, ny)))
        arr = self._array
        xp = _xp_of(arr, u)

        def toeplitz(n):
            i = np.arange(n)
            d = np.abs(i[:, None] - i[None, :])
            uu = xp.concatenate([xp.asarray(u), xp.zeros(max(n - len(u), 0))])
            return uu[d]

        ax = toeplitz(nx)
        ay = toeplitz(ny)
        tmp = xp.linalg.solve(ay, arr.astype(float))
        res = xp.linalg.solve(ax, tmp.T).T
        return _Image(res.astype(arr.dtype), self.bounds, self.wcs)

    @staticmethod
    def clear_depixelize_cache():
        """No cache is kept (the solve is separable), so this does nothing."""

    # -----------------------------------------------------------------------------------
    # features provided by later modules
    # -----------------------------------------------------------------------------------
    def addNoise(self, noise):
        """Add noise drawn from the `BaseNoise` object ``noise`` to the image."""
        noise.applyTo(self)

    # addNoiseSNR is attached by jax_galsim.noise (imported by the package), as in GalSim.

    # FindAdaptiveMom is attached by jax_galsim.hsm (imported by the package), as in GalSim.


def _wrap_plain(xp, arr, xmin, ymin, b):
    """Sum every pixel of ``arr`` (lower-left at xmin, ymin) into the pixel of bounds
    ``b`` congruent to it modulo b's size; returns the wrapped (ny_b, nx_b) array."""
    ny, nx = arr.shape
    nbx = b.xmax - b.xmin + 1
    nby = b.ymax - b.ymin + 1
    ix = (np.arange(nx) + xmin - b.xmin) % nbx
    iy = (np.arange(ny) + ymin - b.ymin) % nby
    # Sum columns onto nbx bins, then rows onto nby bins (one-hot matrix products).
    mx = (ix[:, None] == np.arange(nbx)[None, :]).astype(float)
    my = (iy[None, :] == np.arange(nby)[:, None]).astype(float)
    if np.dtype(arr.dtype).kind in "iu":
        arr = arr.astype(float)
    if xp is np:
        out = np.zeros((nby, nbx), dtype=np.result_type(arr.dtype, float))
        tmp = np.zeros((ny, nbx), dtype=out.dtype)
        np.add.at(tmp, (slice(None), ix), arr)
        np.add.at(out, iy, tmp)
        return out
    return my @ (arr @ mx)


def _wrap_hermx(xp, arr, xmin, ymin, b):
    """Wrap an image that stores only x >= 0 (xmin == 0) of a Hermitian function onto
    bounds ``b`` (b.xmin == 0): rebuild the full plane, wrap it, keep x >= 0."""
    ny, nx = arr.shape
    # Full plane in x: columns -(nx-1) .. nx-1.  The y range must be symmetric for the
    # reflection (y -> -y) to stay within the image.
    left = xp.conjugate(arr[::-1, :0:-1])  # f(-x, -y) for x = nx-1 .. 1
    if ymin + (ny - 1) != -ymin:
        # Not symmetric in y: reflect into a symmetric frame padded with zeros.
        ylo = min(ymin, -(ymin + ny - 1))
        yhi = -ylo
        pad_lo = ymin - ylo
        pad_hi = yhi - (ymin + ny - 1)
        arr_p = xp.pad(arr, ((pad_lo, pad_hi), (0, 0)))
        left = xp.conjugate(arr_p[::-1, :0:-1])  # now symmetric in y
        full = xp.concatenate([left, arr_p], axis=1)
        fymin = ylo
    else:
        full = xp.concatenate([left, arr], axis=1)
        fymin = ymin
    # Full wrap bounds in x: -(b.xmax - 1) .. b.xmax (period 2 * b.xmax).
    bfull = _BoundsI(-b.xmax + 1, b.xmax, b.ymin, b.ymax)
    wrapped = _wrap_plain(xp, full, -(nx - 1), fymin, bfull)
    return wrapped[:, b.xmax - 1:]


def _Image(array, bounds, wcs):
    """``Image(array, bounds=bounds, wcs=wcs)`` without the checks or the other
    construction options.  A concrete ``jax.Array`` is copied to NumPy."""
    ret = Image.__new__(Image)
    array = _to_host(array)
    dt = _dtype_type(array.dtype)
    if dt in Image._alias_dtypes:
        dt = Image._alias_dtypes[dt]
        array = array.astype(dt)
    ret._wcs = wcs
    ret._dtype = dt
    ret._array = array
    ret._bounds = bounds
    return ret


def _typed(dtype, name):
    def make(*args, **kwargs):
        kwargs["dtype"] = dtype
        return Image(*args, **kwargs)

    make.__name__ = name
    make.__qualname__ = name
    make.__doc__ = "``galsim.Image(..., dtype=numpy.%s)``" % np.dtype(dtype).name
    return make


ImageUS = _typed(np.uint16, "ImageUS")
ImageUI = _typed(np.uint32, "ImageUI")
ImageS = _typed(np.int16, "ImageS")
ImageI = _typed(np.int32, "ImageI")
ImageF = _typed(np.float32, "ImageF")
ImageD = _typed(np.float64, "ImageD")
ImageCF = _typed(np.complex64, "ImageCF")
ImageCD = _typed(np.complex128, "ImageCD")

# At the end to avoid a circular import (wcs uses Image).
from .wcs import BaseWCS, PixelScale, JacobianWCS  # noqa: E402
