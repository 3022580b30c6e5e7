"""Arrays of photons (GalSim's ``PhotonArray``), the output of photon shooting.

A `PhotonArray` holds, for N photons, their positions ``x``, ``y`` (the units of the
profile that shot them; image pixels when drawn through ``drawImage``) and their
``flux`` (photons), plus optional per-photon arrays that are only allocated when set
or explicitly allocated: the incidence angle tangents ``dxdz``, ``dydz``, the
``wavelength`` (nm), the entrance-pupil position ``pupil_u``, ``pupil_v`` (m) and the
``time`` (s).

Eager use follows GalSim: the arrays are NumPy float64 arrays and assignments such as
``photons.x += dx`` or ``photons.flux = 2.`` write into them in place.

Photon operators (``photon_ops`` of ``drawImage``): `FRatioAngles`, `Refraction`,
`FocusDepth`, `PupilAnnulusSampler`, `TimeSampler`, `ScaleFlux`, `ScaleWavelength` (and
any `GSObject`, which convolves the photons by itself).  The chromatic operators
(``WavelengthSampler``, ``PhotonDCR``, ``PupilImageSampler``) need SEDs and bandpasses
and are not implemented.

JAX notes
    A `PhotonArray` is also a pytree whose leaves are its arrays (the optional ones that
    are not allocated are ``None``), so it can be returned from, or passed into, a
    ``jit``-ed function.  When an array is a JAX array (photon shooting with a
    ``jax.random`` key, see :meth:`GSObject.shoot`), assignments rebind the attribute to
    a new JAX array instead of writing in place, and :meth:`addTo` adds the photons to
    the image functionally (``.at[...].add``), so everything works under ``jit`` and
    ``vmap``.  The number of photons is static (it sets the array shapes).
"""

import numpy as np

import jax

from .errors import (GalSimError, GalSimRangeError, GalSimValueError, GalSimUndefinedBoundsError,
                     GalSimIncompatibleValuesError)

__all__ = ["PhotonArray", "PhotonOp", "FRatioAngles", "Refraction", "FocusDepth",
           "PupilAnnulusSampler", "TimeSampler", "ScaleFlux", "ScaleWavelength"]

_OPTIONAL = ("_dxdz", "_dydz", "_wave", "_pupil_u", "_pupil_v", "_time")


def _is_jax(a):
    return isinstance(a, jax.Array)


class PhotonArray:
    """A collection of N photons: positions ``x``, ``y``, ``flux`` and optional per-photon
    angles, wavelengths, pupil positions and times (see the module docstring).

    Parameters:
        N:          The number of photons (fixed for the life of the array).
        x, y:       Optional initial positions. [default: None, meaning zeros]
        flux:       Optional initial fluxes (photons). [default: None, meaning zeros]
        dxdz, dydz: Optional initial incidence-angle tangents. [default: None]
        wavelength: Optional initial wavelengths (nm). [default: None]
        pupil_u, pupil_v: Optional initial pupil positions (m). [default: None]
        time:       Optional initial times (s). [default: None]
    """

    def __init__(self, N, x=None, y=None, flux=None, dxdz=None, dydz=None, wavelength=None,
                 pupil_u=None, pupil_v=None, time=None):
        N = int(N)
        self._x = np.zeros(N, dtype=float)
        self._y = np.zeros(N, dtype=float)
        self._flux = np.zeros(N, dtype=float)
        for name in _OPTIONAL:
            setattr(self, name, None)
        self._is_corr = False
        if x is not None:
            self.x = x
        if y is not None:
            self.y = y
        if flux is not None:
            self.flux = flux
        if dxdz is not None:
            self.dxdz = dxdz
        if dydz is not None:
            self.dydz = dydz
        if wavelength is not None:
            self.wavelength = wavelength
        if pupil_u is not None:
            self.pupil_u = pupil_u
        if pupil_v is not None:
            self.pupil_v = pupil_v
        if time is not None:
            self.time = time

    # ------------------------------------------------------------------ construction
    @classmethod
    def fromArrays(cls, x, y, flux, dxdz=None, dydz=None, wavelength=None, pupil_u=None,
                   pupil_v=None, time=None, is_corr=False):
        """A `PhotonArray` that uses the given float64, C-contiguous NumPy arrays (all of
        the same length) directly, without copying: changes to the photons show in the
        arrays."""
        args = [("x", x), ("y", y), ("flux", flux)]
        for name, a in (("dxdz", dxdz), ("dydz", dydz), ("wavelength", wavelength),
                        ("pupil_u", pupil_u), ("pupil_v", pupil_v), ("time", time)):
            if a is not None:
                args.append((name, a))
        N = len(x)
        for name, a in args:
            if not isinstance(a, np.ndarray):
                raise TypeError("Argument {} must be an ndarray".format(name))
            if not a.dtype == np.float64:
                raise TypeError("Array {} dtype must be np.float64".format(name))
            if not len(a) == N:
                raise ValueError("Arrays must all be the same length")
            if not a.flags.c_contiguous:
                raise ValueError("Array {} must be c_contiguous".format(name))
        return cls._fromArrays(x, y, flux, dxdz, dydz, wavelength, pupil_u, pupil_v, time,
                               is_corr)

    @classmethod
    def _fromArrays(cls, x, y, flux, dxdz=None, dydz=None, wavelength=None, pupil_u=None,
                    pupil_v=None, time=None, is_corr=False):
        """`fromArrays` without checks (also accepts JAX arrays)."""
        ret = PhotonArray.__new__(PhotonArray)
        ret._x = x
        ret._y = y
        ret._flux = flux
        ret._dxdz = dxdz
        ret._dydz = dydz
        ret._wave = wavelength
        ret._pupil_u = pupil_u
        ret._pupil_v = pupil_v
        ret._time = time
        ret._is_corr = bool(is_corr)
        return ret

    @classmethod
    def concatenate(cls, photon_arrays):
        """One `PhotonArray` holding all the photons of a list of them, in order.  The
        optional arrays are kept if the first array has them (all must agree)."""
        p1 = photon_arrays[0]
        xp = jax.numpy if any(_is_jax(p._x) for p in photon_arrays) else np
        kwargs = dict(x=xp.concatenate([p.x for p in photon_arrays]),
                      y=xp.concatenate([p.y for p in photon_arrays]),
                      flux=xp.concatenate([p.flux for p in photon_arrays]))
        if p1.hasAllocatedAngles():
            kwargs["dxdz"] = xp.concatenate([p.dxdz for p in photon_arrays])
            kwargs["dydz"] = xp.concatenate([p.dydz for p in photon_arrays])
        if p1.hasAllocatedWavelengths():
            kwargs["wavelength"] = xp.concatenate([p.wavelength for p in photon_arrays])
        if p1.hasAllocatedPupil():
            kwargs["pupil_u"] = xp.concatenate([p.pupil_u for p in photon_arrays])
            kwargs["pupil_v"] = xp.concatenate([p.pupil_v for p in photon_arrays])
        if p1.hasAllocatedTimes():
            kwargs["time"] = xp.concatenate([p.time for p in photon_arrays])
        return cls._fromArrays(**kwargs)

    # ------------------------------------------------------------------ size
    def size(self):
        """The number of photons (same as ``len(self)``)."""
        return len(self._x)

    def __len__(self):
        return len(self._x)

    # ------------------------------------------------------------------ arrays
    def _set(self, name, value):
        """Write ``value`` into array ``name``: in place for NumPy, by rebinding for JAX."""
        cur = getattr(self, name)
        if _is_jax(cur) or _is_jax(value):
            import jax.numpy as jnp
            new = jnp.broadcast_to(jnp.asarray(value, dtype=jnp.result_type(float)),
                                   (len(self._x),))
            setattr(self, name, new)
        else:
            cur[:] = value

    def _alloc(self):
        if _is_jax(self._x):
            import jax.numpy as jnp
            return jnp.zeros_like(self._x)
        return np.zeros_like(self._x)

    @property
    def x(self):
        """The x positions (image pixels when drawn onto an image)."""
        return self._x

    @x.setter
    def x(self, value):
        self._set("_x", value)

    @property
    def y(self):
        """The y positions (image pixels when drawn onto an image)."""
        return self._y

    @y.setter
    def y(self, value):
        self._set("_y", value)

    @property
    def flux(self):
        """The flux of each photon (photons)."""
        return self._flux

    @flux.setter
    def flux(self, value):
        self._set("_flux", value)

    @property
    def dxdz(self):
        """Tangent of the incidence angle in x, dx/dz (zeros if never set)."""
        self.allocateAngles()
        return self._dxdz

    @dxdz.setter
    def dxdz(self, value):
        self.allocateAngles()
        self._set("_dxdz", value)

    @property
    def dydz(self):
        """Tangent of the incidence angle in y, dy/dz (zeros if never set)."""
        self.allocateAngles()
        return self._dydz

    @dydz.setter
    def dydz(self, value):
        self.allocateAngles()
        self._set("_dydz", value)

    @property
    def wavelength(self):
        """The wavelength of each photon (nm; zeros if never set)."""
        self.allocateWavelengths()
        return self._wave

    @wavelength.setter
    def wavelength(self, value):
        self.allocateWavelengths()
        self._set("_wave", value)

    @property
    def pupil_u(self):
        """Horizontal position in the entrance pupil (m; zeros if never set)."""
        self.allocatePupil()
        return self._pupil_u

    @pupil_u.setter
    def pupil_u(self, value):
        self.allocatePupil()
        self._set("_pupil_u", value)

    @property
    def pupil_v(self):
        """Vertical position in the entrance pupil (m; zeros if never set)."""
        self.allocatePupil()
        return self._pupil_v

    @pupil_v.setter
    def pupil_v(self, value):
        self.allocatePupil()
        self._set("_pupil_v", value)

    @property
    def time(self):
        """Time stamp of each photon at the pupil (s; zeros if never set)."""
        self.allocateTimes()
        return self._time

    @time.setter
    def time(self, value):
        self.allocateTimes()
        self._set("_time", value)

    def hasAllocatedAngles(self):
        """Whether the `dxdz` and `dydz` arrays exist."""
        return self._dxdz is not None and self._dydz is not None

    def allocateAngles(self):
        """Allocate (zero) `dxdz` and `dydz` if they do not exist yet."""
        if self._dxdz is None:
            self._dxdz = self._alloc()
            self._dydz = self._alloc()

    def hasAllocatedWavelengths(self):
        """Whether the `wavelength` array exists."""
        return self._wave is not None

    def allocateWavelengths(self):
        """Allocate (zero) `wavelength` if it does not exist yet."""
        if self._wave is None:
            self._wave = self._alloc()

    def hasAllocatedPupil(self):
        """Whether the `pupil_u` and `pupil_v` arrays exist."""
        return self._pupil_u is not None and self._pupil_v is not None

    def allocatePupil(self):
        """Allocate (zero) `pupil_u` and `pupil_v` if they do not exist yet."""
        if self._pupil_u is None:
            self._pupil_u = self._alloc()
            self._pupil_v = self._alloc()

    def hasAllocatedTimes(self):
        """Whether the `time` array exists."""
        return self._time is not None

    def allocateTimes(self):
        """Allocate (zero) `time` if it does not exist yet."""
        if self._time is None:
            self._time = self._alloc()

    def isCorrelated(self):
        """Whether the photons are marked as correlated (deprecated in GalSim)."""
        return self._is_corr

    def setCorrelated(self, is_corr=True):
        """Mark the photons as correlated or not (deprecated in GalSim)."""
        self._is_corr = is_corr

    # ------------------------------------------------------------------ flux and scaling
    def getTotalFlux(self):
        """The total flux of all the photons."""
        tot = self._flux.sum()
        return float(tot) if not isinstance(tot, jax.core.Tracer) else tot

    def setTotalFlux(self, flux):
        """Rescale the photon fluxes so that they sum to ``flux`` (nothing happens if the
        current total is zero)."""
        tot = self.getTotalFlux()
        if isinstance(tot, jax.core.Tracer):
            import jax.numpy as jnp
            self.scaleFlux(jnp.where(tot == 0.0, 1.0, flux / jnp.where(tot == 0.0, 1.0, tot)))
        elif tot != 0.0:
            self.scaleFlux(flux / tot)

    def scaleFlux(self, scale):
        """Multiply the photon fluxes by ``scale``."""
        if _is_jax(self._flux) or _is_jax(scale):
            self._flux = self._flux * scale
        else:
            self._flux *= scale

    def scaleXY(self, scale):
        """Multiply the photon positions (x and y) by ``scale``."""
        if _is_jax(self._x) or _is_jax(scale):
            self._x = self._x * scale
            self._y = self._y * scale
        else:
            self._x *= scale
            self._y *= scale

    # ------------------------------------------------------------------ copying
    def assignAt(self, istart, rhs):
        """Copy the photons of ``rhs`` into this array starting at index ``istart``."""
        if istart + rhs.size() > self.size():
            raise GalSimValueError(
                "The given rhs does not fit into this array starting at %d" % istart, rhs)
        s = slice(istart, istart + rhs.size())
        self._copyFrom(rhs, s, slice(None))

    def copyFrom(self, rhs, target_indices=slice(None), source_indices=slice(None),
                 do_xy=True, do_flux=True, do_other=True):
        """Copy ``rhs[source_indices]`` into ``self[target_indices]`` (slices, index lists,
        boolean masks, ...); ``do_xy``, ``do_flux`` and ``do_other`` choose which arrays
        (positions, fluxes, the optional arrays) are copied."""
        try:
            a1 = np.asarray(self.flux)[target_indices]
            n1 = len(np.atleast_1d(a1))
            assert n1 > 0
        except (IndexError, AssertionError):
            raise GalSimValueError("target_indices is invalid for the target PhotonArray",
                                   target_indices)
        try:
            a2 = np.asarray(rhs.flux)[source_indices]
            n2 = len(np.atleast_1d(a2))
            assert n2 > 0
        except (IndexError, AssertionError):
            raise GalSimValueError("source_indices is invalid for the source PhotonArray",
                                   source_indices)
        if n1 != n2:
            raise GalSimIncompatibleValuesError(
                "target_indices and source_indices do not reference the same number of elements"
                "in their respective PhotonArrays ({} and {} respectively)".format(n1, n2),
                dict(target_indices=target_indices, source_indices=source_indices))
        self._copyFrom(rhs, target_indices, source_indices, do_xy, do_flux, do_other)

    def _copy_array(self, name, rhs_arr, s1, s2):
        cur = getattr(self, name)
        if _is_jax(cur) or _is_jax(rhs_arr):
            import jax.numpy as jnp
            setattr(self, name, jnp.asarray(cur).at[s1].set(jnp.asarray(rhs_arr)[s2]))
        else:
            cur[s1] = rhs_arr[s2]

    def _copyFrom(self, rhs, target_indices, source_indices, do_xy=True, do_flux=True,
                  do_other=True):
        """`copyFrom` without checking the indices."""
        s1, s2 = target_indices, source_indices
        if do_xy:
            self._copy_array("_x", rhs._x, s1, s2)
            self._copy_array("_y", rhs._y, s1, s2)
        if do_flux:
            self._copy_array("_flux", rhs._flux, s1, s2)
        if do_other and rhs.hasAllocatedAngles():
            self.allocateAngles()
            self._copy_array("_dxdz", rhs._dxdz, s1, s2)
            self._copy_array("_dydz", rhs._dydz, s1, s2)
        if do_other and rhs.hasAllocatedWavelengths():
            self.allocateWavelengths()
            self._copy_array("_wave", rhs._wave, s1, s2)
        if do_other and rhs.hasAllocatedPupil():
            self.allocatePupil()
            self._copy_array("_pupil_u", rhs._pupil_u, s1, s2)
            self._copy_array("_pupil_v", rhs._pupil_v, s1, s2)
        if do_other and rhs.hasAllocatedTimes():
            self.allocateTimes()
            self._copy_array("_time", rhs._time, s1, s2)

    # ------------------------------------------------------------------ convolution
    def convolve(self, rhs, rng=None):
        """Convolve with another `PhotonArray` of the same size: positions add and fluxes
        multiply (times N, so that the total flux is the product of the two totals).
        Optional arrays only ``rhs`` has are copied over.  If both arrays are marked
        correlated, ``rhs``'s photons are paired in a random order (``rng``)."""
        if rhs.size() != self.size():
            raise GalSimIncompatibleValuesError("PhotonArray.convolve with unequal size arrays",
                                                self_pa=self, rhs=rhs)
        if rhs.hasAllocatedAngles() and not self.hasAllocatedAngles():
            self.dxdz = rhs.dxdz
            self.dydz = rhs.dydz
        if rhs.hasAllocatedWavelengths() and not self.hasAllocatedWavelengths():
            self.wavelength = rhs.wavelength
        if rhs.hasAllocatedPupil() and not self.hasAllocatedPupil():
            self.pupil_u = rhs.pupil_u
            self.pupil_v = rhs.pupil_v
        if rhs.hasAllocatedTimes() and not self.hasAllocatedTimes():
            self.time = rhs.time
        N = self.size()
        rx, ry, rf = rhs._x, rhs._y, rhs._flux
        if self._is_corr and rhs._is_corr:
            from .core.shoot import photon_rng
            r = photon_rng(rng)
            if r.is_jax:
                perm = jax.random.permutation(r.next_key(), N)
            else:
                perm = np.argsort(r.uniform(N), kind="stable")
            rx, ry, rf = rx[perm], ry[perm], rf[perm]
        if any(_is_jax(a) for a in (self._x, rx)):
            self._x = self._x + rx
            self._y = self._y + ry
            self._flux = self._flux * rf * N
        else:
            self._x += rx
            self._y += ry
            self._flux *= rf * N
        if rhs._is_corr:
            self._is_corr = True

    # ------------------------------------------------------------------ images
    def addTo(self, image):
        """Add the photons' fluxes to the pixels of ``image`` that they land in.

        A photon at (x, y) lands in pixel ``(floor(x + 0.5), floor(y + 0.5))`` (pixel
        centres are at integer coordinates); photons outside the image bounds are
        dropped.  Returns the total flux of the photons that landed on the image."""
        if not image.bounds.isDefined():
            raise GalSimUndefinedBoundsError(
                "Attempting to PhotonArray::addTo an Image with undefined Bounds")
        b = image.bounds
        nx = b.xmax - b.xmin + 1
        ny = b.ymax - b.ymin + 1
        if any(_is_jax(a) for a in (self._x, self._y, self._flux)) or not isinstance(
                image.array, np.ndarray):
            import jax.numpy as jnp
            ix = jnp.floor(self._x + 0.5).astype(jnp.int32) - b.xmin
            iy = jnp.floor(self._y + 0.5).astype(jnp.int32) - b.ymin
            inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
            f = jnp.where(inside, self._flux, 0.0)
            idx = jnp.where(inside, iy * nx + ix, 0)
            acc = jnp.zeros(nx * ny, dtype=f.dtype).at[idx].add(f).reshape(ny, nx)
            _add_to_image(image, acc)
            return f.sum()
        ix = np.floor(self._x + 0.5) - b.xmin
        iy = np.floor(self._y + 0.5) - b.ymin
        inside = (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
        idx = (iy[inside] * nx + ix[inside]).astype(np.int64)
        f = self._flux[inside]
        acc = _accurate_bincount(idx, f, nx * ny).reshape(ny, nx)
        _add_to_image(image, acc)
        return float(f.sum())

    @classmethod
    def makeFromImage(cls, image, max_flux=1.0, rng=None):
        """Photons that would reproduce ``image`` when added to an image like it.

        Each pixel makes ``ceil(|value| / max_flux)`` photons (at least one), sharing its
        value equally, at uniformly random positions within the pixel; positions are in
        world units if the image has a pixel scale other than 1.

        Parameters:
            image:      The `Image` to convert.
            max_flux:   The largest absolute flux of any photon. [default: 1]
            rng:        A `BaseDeviate` for the positions. [default: None]
        """
        from .core.shoot import photon_rng
        max_flux = float(max_flux)
        if max_flux <= 0:
            raise GalSimRangeError("max_flux must be positive", max_flux, 0.0)
        arr = np.asarray(image.array)
        b = image.bounds
        ny, nx = arr.shape
        vals = arr.ravel().astype(float)
        absv = np.abs(vals)
        nper = np.where(absv <= max_flux, 1, np.ceil(absv / max_flux)).astype(np.int64)
        xs = np.tile(np.arange(b.xmin, b.xmin + nx), ny)
        ys = np.repeat(np.arange(b.ymin, b.ymin + ny), nx)
        N = int(nper.sum())
        r = photon_rng(rng)
        u = r.uniform(2 * N).reshape(N, 2)
        photons = cls._fromArrays(np.repeat(xs, nper) + u[:, 0] - 0.5,
                                  np.repeat(ys, nper) + u[:, 1] - 0.5,
                                  np.repeat(vals / nper, nper))
        if image.wcs is not None and image.wcs._isPixelScale and image.scale != 1.0:
            photons.scaleXY(image.scale)
        return photons

    # ------------------------------------------------------------------ I/O
    def write(self, file_name):
        """Write the photons to a FITS binary table (columns id, x, y, flux and any
        allocated optional arrays); read back with `PhotonArray.read`."""
        from astropy.io import fits
        cols = [fits.Column(name="id", format="J", array=np.arange(self.size())),
                fits.Column(name="x", format="D", array=np.asarray(self.x)),
                fits.Column(name="y", format="D", array=np.asarray(self.y)),
                fits.Column(name="flux", format="D", array=np.asarray(self.flux))]
        if self.hasAllocatedAngles():
            cols.append(fits.Column(name="dxdz", format="D", array=np.asarray(self.dxdz)))
            cols.append(fits.Column(name="dydz", format="D", array=np.asarray(self.dydz)))
        if self.hasAllocatedWavelengths():
            cols.append(fits.Column(name="wavelength", format="D",
                                    array=np.asarray(self.wavelength)))
        if self.hasAllocatedPupil():
            cols.append(fits.Column(name="pupil_u", format="D", array=np.asarray(self.pupil_u)))
            cols.append(fits.Column(name="pupil_v", format="D", array=np.asarray(self.pupil_v)))
        if self.hasAllocatedTimes():
            cols.append(fits.Column(name="time", format="D", array=np.asarray(self.time)))
        table = fits.BinTableHDU.from_columns(fits.ColDefs(cols))
        fits.HDUList([fits.PrimaryHDU(), table]).writeto(file_name, overwrite=True)

    @classmethod
    def read(cls, file_name):
        """Read a `PhotonArray` written by `PhotonArray.write`."""
        from astropy.io import fits
        with fits.open(file_name) as f:
            data = f[1].data
            names = data.columns.names
            N = len(data)
            kw = {}
            for name in ("x", "y", "flux", "dxdz", "dydz", "wavelength", "pupil_u",
                         "pupil_v", "time"):
                if name in names:
                    kw[name] = np.array(data[name], dtype=float)
        return cls(N, **kw)

    # ------------------------------------------------------------------ repr, eq, pickle
    def __repr__(self):
        def a(v):
            return "array(%r)" % (np.asarray(v).tolist(),)
        s = "galsim.PhotonArray(%d, x=%s, y=%s, flux=%s" % (self.size(), a(self.x), a(self.y),
                                                           a(self.flux))
        if self.hasAllocatedAngles():
            s += ", dxdz=%s, dydz=%s" % (a(self.dxdz), a(self.dydz))
        if self.hasAllocatedWavelengths():
            s += ", wavelength=%s" % a(self.wavelength)
        if self.hasAllocatedPupil():
            s += ", pupil_u=%s, pupil_v=%s" % (a(self.pupil_u), a(self.pupil_v))
        if self.hasAllocatedTimes():
            s += ", time=%s" % a(self.time)
        return s + ")"

    def __str__(self):
        return "galsim.PhotonArray(%d)" % self.size()

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, d):
        self.__dict__ = d

    __hash__ = None

    def __eq__(self, other):
        if self is other:
            return True
        if not isinstance(other, PhotonArray):
            return False
        eq = np.array_equal
        if not (eq(self.x, other.x) and eq(self.y, other.y) and eq(self.flux, other.flux)):
            return False
        for has, names in ((PhotonArray.hasAllocatedAngles, ("_dxdz", "_dydz")),
                           (PhotonArray.hasAllocatedWavelengths, ("_wave",)),
                           (PhotonArray.hasAllocatedPupil, ("_pupil_u", "_pupil_v")),
                           (PhotonArray.hasAllocatedTimes, ("_time",))):
            if has(self) != has(other):
                return False
            if has(self) and not all(eq(getattr(self, n), getattr(other, n)) for n in names):
                return False
        return True

    def __ne__(self, other):
        return not self == other


# ----------------------------------------------------------------------------------------
# Photon operators
# ----------------------------------------------------------------------------------------
def _uniform(rng, lo, hi, n):
    """``n`` uniforms in [lo, hi) from a seed, `BaseDeviate`, None, ``jax.random`` key or
    :class:`~jax_galsim.core.shoot.PhotonRNG`."""
    from .core.shoot import PhotonRNG, is_jax_key
    from .random import BaseDeviate
    if isinstance(rng, PhotonRNG):
        rng = rng.key if rng.is_jax else rng.deviate
        if is_jax_key(rng):
            # Advance nothing shared: derive a fresh key from the held one.
            rng = jax.random.fold_in(rng, n)
    if is_jax_key(rng):
        return jax.random.uniform(rng, (n,), minval=lo, maxval=hi,
                                  dtype=jax.numpy.result_type(float))
    return BaseDeviate(rng).as_numpy_generator().uniform(lo, hi, size=n)


def _split(rng):
    """Two independent random sources from ``rng`` (keys are split; deviates shared)."""
    from .core.shoot import PhotonRNG, is_jax_key
    if isinstance(rng, PhotonRNG) and rng.is_jax:
        return rng.next_key(), rng.next_key()
    if is_jax_key(rng):
        k1, k2 = jax.random.split(rng)
        return k1, k2
    if isinstance(rng, PhotonRNG):
        return rng.deviate, rng.deviate
    from .random import BaseDeviate
    if not isinstance(rng, BaseDeviate):
        rng = BaseDeviate(rng)
    return rng, rng


def _xp_of(*a):
    return jax.numpy if any(_is_jax(v) for v in a) else np


class PhotonOp:
    """Base class of photon operators: objects whose ``applyTo(photon_array, local_wcs=None,
    rng=None)`` modifies a `PhotonArray` in place (used in ``photon_ops`` lists).  ``rng``
    may be a seed, a `BaseDeviate`, None or a ``jax.random`` key."""

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        raise NotImplementedError("Cannot call applyTo on a pure PhotonOp object")

    def __eq__(self, other):
        return type(self) is type(other) and repr(self) == repr(other)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(repr(self))


class FRatioAngles(PhotonOp):
    """Give photons incidence angles as from a uniformly illuminated (annular) pupil of
    focal ratio ``fratio``: azimuth uniform, sin(inclination) uniform between the
    obscuration's and the pupil edge's.

    Parameters:
        fratio:         The focal ratio of the telescope (>= 0).
        obscuration:    The linear central obscuration as a fraction of the pupil diameter,
                        in [0, 1). [default: 0]
        rng:            Deprecated in GalSim; give ``rng`` to `applyTo`. [default: None]
    """
    _req_params = {"fratio": float}
    _opt_params = {"obscuration": float}

    def __init__(self, fratio, obscuration=0.0, rng=None):
        if fratio < 0:
            raise GalSimRangeError("The f-ratio must be positive.", fratio, 0.0)
        if obscuration < 0 or obscuration >= 1:
            raise GalSimRangeError("Invalid obscuration.", obscuration, 0.0, 1.0)
        self.fratio = fratio
        self.obscuration = obscuration
        self.rng = rng

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        """Set ``dxdz`` and ``dydz`` of the photons."""
        n = len(photon_array)
        r1, r2 = _split(rng)
        edge = np.arctan(0.5 / self.fratio)
        inner = np.arctan(0.5 * self.obscuration / self.fratio)
        phi = _uniform(r1, 0.0, 2 * np.pi, n)
        sint = _uniform(r2, np.sin(inner), np.sin(edge), n)
        xp = _xp_of(phi, sint)
        tant = sint / xp.sqrt(1.0 - sint * sint)
        photon_array.dxdz = tant * xp.sin(phi)
        photon_array.dydz = tant * xp.cos(phi)

    def __str__(self):
        return "galsim.FRatioAngles(fratio=%s, obscuration=%s)" % (self.fratio, self.obscuration)

    def __repr__(self):
        return "galsim.FRatioAngles(fratio=%r, obscuration=%r, rng=%r)" % (
            self.fratio, self.obscuration, self.rng)


class Refraction(PhotonOp):
    """Refract the photons' directions at a plane interface by Snell's law.

    Parameters:
        index_ratio:    n2 / n1, the refractive index past the interface over the one
                        before it (a number, or a function of wavelength in nm).
    Photons that would be totally internally reflected get zero flux.
    """
    _req_params = {"index_ratio": float}

    def __init__(self, index_ratio):
        self.index_ratio = index_ratio

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        """Change ``dxdz`` and ``dydz`` (and zero the flux of reflected photons)."""
        m = self.index_ratio
        if callable(m):
            m = m(photon_array.wavelength)
        t2 = photon_array.dxdz ** 2 + photon_array.dydz ** 2
        xp = _xp_of(photon_array.dxdz, photon_array.dydz, m)
        with np.errstate(invalid="ignore"):
            denom = xp.sqrt(m * m * (1.0 + t2) - t2)
        photon_array.dxdz = photon_array.dxdz / denom
        photon_array.dydz = photon_array.dydz / denom
        photon_array.flux = xp.where(xp.isnan(denom), 0.0, photon_array.flux)

    def __repr__(self):
        return "galsim.Refraction(index_ratio=%r)" % (self.index_ratio,)


class FocusDepth(PhotonOp):
    """Move photons along their directions by ``depth`` (pixels; positive is into the
    detector): ``x += depth * dxdz``, ``y += depth * dydz``.  Needs angles to be set."""
    _req_params = {"depth": float}

    def __init__(self, depth):
        self.depth = depth

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        """Shift ``x`` and ``y``."""
        if not photon_array.hasAllocatedAngles():
            raise GalSimError("FocusDepth requires that angles be set")
        photon_array.x = photon_array.x + self.depth * photon_array.dxdz
        photon_array.y = photon_array.y + self.depth * photon_array.dydz

    def __repr__(self):
        return "galsim.FocusDepth(depth=%r)" % (self.depth,)


class PupilAnnulusSampler(PhotonOp):
    """Give photons pupil positions uniform over an annulus ``R_inner <= r < R_outer``
    (meters)."""
    _req_params = {"R_outer": float}
    _opt_params = {"R_inner": float}

    def __init__(self, R_outer, R_inner=0.0):
        self.R_outer = R_outer
        self.R_inner = R_inner

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        """Set ``pupil_u`` and ``pupil_v``."""
        n = len(photon_array)
        r1, r2 = _split(rng)
        rsq = _uniform(r1, self.R_inner ** 2, self.R_outer ** 2, n)
        phi = _uniform(r2, 0.0, 2 * np.pi, n)
        xp = _xp_of(rsq, phi)
        r = xp.sqrt(rsq)
        photon_array.pupil_u = r * xp.cos(phi)
        photon_array.pupil_v = r * xp.sin(phi)

    def __repr__(self):
        s = "galsim.PupilAnnulusSampler(R_outer=%r" % (self.R_outer,)
        if self.R_inner != 0.0:
            s += ", R_inner=%r" % (self.R_inner,)
        return s + ")"


class TimeSampler(PhotonOp):
    """Give photons times uniform in ``[t0, t0 + exptime)`` (seconds)."""
    _opt_params = {"t0": float, "exptime": float}

    def __init__(self, t0=0.0, exptime=0.0):
        self.t0 = t0
        self.exptime = exptime

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        """Set ``time``."""
        photon_array.time = _uniform(rng, self.t0, self.t0 + self.exptime, len(photon_array))

    def __repr__(self):
        args = []
        if self.t0 != 0.0:
            args.append("t0=%r" % (self.t0,))
        if self.exptime != 0.0:
            args.append("exptime=%r" % (self.exptime,))
        return "galsim.TimeSampler(%s)" % ", ".join(args)


class ScaleFlux(PhotonOp):
    """Multiply the photon fluxes by ``x``."""
    _req_params = {"x": float}

    def __init__(self, x):
        self.x = x

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        """Scale ``flux``."""
        photon_array.scaleFlux(self.x)

    def __repr__(self):
        return "galsim.ScaleFlux(%r)" % (self.x,)


class ScaleWavelength(PhotonOp):
    """Multiply the photon wavelengths by ``x`` (e.g. ``1 + z`` for a redshift)."""
    _req_params = {"x": float}

    def __init__(self, x):
        self.x = x

    def applyTo(self, photon_array, local_wcs=None, rng=None):
        """Scale ``wavelength``."""
        photon_array.wavelength = photon_array.wavelength * self.x

    def __repr__(self):
        return "galsim.ScaleWavelength(%r)" % (self.x,)


def _accurate_bincount(idx, f, n):
    """Per-bin sums of ``f`` with (nearly) one rounding per bin.

    Each flux is split into a high part, a multiple of 2**(e - 21) where 2**e bounds
    max|f| (so up to 2**32 of them add exactly in double precision), and the exact
    remainder, whose sum carries only a tiny relative error.  A pixel hit by a million
    equal photons thus gets their total to ~1 ulp, rather than the ~N ulp drift of a
    plain running sum."""
    if f.size == 0:
        return np.zeros(n)
    m = float(np.max(np.abs(f)))
    if not np.isfinite(m) or m == 0.0:
        return np.bincount(idx, weights=f, minlength=n)
    e = np.frexp(m)[1]
    scale = np.ldexp(1.0, 21 - int(e))
    hi = np.round(f * scale) / scale
    lo = f - hi
    return np.bincount(idx, weights=hi, minlength=n) + np.bincount(idx, weights=lo, minlength=n)


def _add_to_image(image, acc):
    """Add the float accumulation ``acc`` (shape of ``image.array``) into ``image``."""
    arr = image.array
    if isinstance(arr, np.ndarray) and isinstance(acc, np.ndarray):
        tot = arr + acc
        if np.issubdtype(arr.dtype, np.integer):
            tot = np.around(tot)
        arr[...] = tot
        return
    import jax.numpy as jnp
    new = jnp.asarray(arr) + acc
    image._assign(new)


def _flatten(p):
    return ((p._x, p._y, p._flux) + tuple(getattr(p, n) for n in _OPTIONAL), p._is_corr)


def _unflatten(aux, children):
    ret = PhotonArray.__new__(PhotonArray)
    ret._x, ret._y, ret._flux = children[:3]
    for n, v in zip(_OPTIONAL, children[3:]):
        setattr(ret, n, v)
    ret._is_corr = aux
    return ret


jax.tree_util.register_pytree_node(PhotonArray, _flatten, _unflatten)
