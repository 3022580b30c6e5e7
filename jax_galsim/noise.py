"""Noise models (GalSim's ``galsim.noise``): `GaussianNoise`, `PoissonNoise`, `CCDNoise`,
`DeviateNoise`, `VariableGaussianNoise`, and ``Image.addNoiseSNR``.

Two ways to add noise, matching the two layers of :mod:`jax_galsim.random`:

**Eager (GalSim-exact).**  ``image.addNoise(noise)`` / ``noise.applyTo(image)`` on an
image that holds a NumPy buffer draws from the noise's `BaseDeviate` exactly as GalSim
does, so for the same seed the pixel values equal GalSim's.

**Functional (``jit``/``vmap``/``grad``).**  ``noise.apply_with_key(image, key)`` returns
a *new* image (or array, if given an array) with noise drawn from the ``jax.random`` key
``key``; nothing is mutated, the noise parameters (``sigma``, ``sky_level``, ``gain``,
``read_noise``) may be traced, and gradients flow through the pixel values (the Gaussian
part is reparameterised; Poisson draws have zero gradient).  Example::

    noise = galsim.GaussianNoise(sigma=0.1)

    @jax.jit
    def simulate(flux, key):
        im = galsim.Gaussian(flux=flux, sigma=1.0).drawImage(nx=32, ny=32, scale=0.2)
        return noise.apply_with_key(im, key).array

    keys = jax.random.split(galsim.random.make_key(1234), 8)
    stamps = jax.vmap(simulate, in_axes=(None, 0))(100.0, keys)

``applyTo`` on a *traced* image (inside ``jit``) also works for the Gaussian, Poisson,
CCD and variable-Gaussian models: it takes a key from the noise's deviate with
`jax_galsim.random.make_key` (advancing the deviate by two raw values) and then does as
``apply_with_key``.  Note that the key is then fixed when the function is traced, so a
``jit``-compiled function gives the same noise on every call; pass keys explicitly
(``apply_with_key``) whenever a function is compiled once and called many times.  The
functional path does not reproduce GalSim's numbers (JAX's generator differs).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from .errors import GalSimError, GalSimIncompatibleValuesError, GalSimNotImplementedError
from .image import Image, ImageD
from .random import BaseDeviate, GaussianDeviate, PoissonDeviate, make_key

__all__ = [
    "BaseNoise",
    "GaussianNoise",
    "PoissonNoise",
    "CCDNoise",
    "DeviateNoise",
    "VariableGaussianNoise",
]


def _is_tracer(x):
    return isinstance(x, jax.core.Tracer)


def _eager_image(image):
    """True if ``image`` holds a host (NumPy) buffer, so GalSim's exact path applies."""
    return isinstance(image.array, np.ndarray)


def _norm(v):
    """A concrete 0-d JAX value becomes a Python float (so the eager GalSim path is
    used); Python numbers and tracers are kept as given."""
    if isinstance(v, jax.Array) and not _is_tracer(v) and np.ndim(v) == 0:
        return float(v)
    return v


def _sqrt(x):
    return jnp.sqrt(x) if isinstance(x, jax.Array) else math.sqrt(x)


def _split_target(image):
    """(array, wrap) where ``wrap(new_array)`` rebuilds the caller's type: a new Image
    with the same bounds, WCS and dtype, or the array itself."""
    if isinstance(image, Image):
        arr = jnp.asarray(image.array)
        dtype = arr.dtype

        def wrap(new):
            ret = image.copy()
            if np.issubdtype(dtype, np.integer):
                new = jnp.round(new)
            ret.array = jnp.asarray(new).astype(dtype)
            return ret

        return arr, wrap
    arr = jnp.asarray(image)
    dtype = arr.dtype

    def wrap_array(new):
        return jnp.asarray(new).astype(dtype) if np.issubdtype(dtype, np.integer) else jnp.asarray(new)

    return arr, wrap_array


def _float_dtype(arr):
    """The floating dtype to draw noise in for an image array (float32 stays float32)."""
    dt = jnp.result_type(arr.dtype, jnp.float32)
    if jnp.issubdtype(dt, jnp.complexfloating):
        dt = jnp.finfo(dt).dtype
    return dt


# ---------------------------------------------------------------------------------------
# Image.addNoise / addNoiseSNR
# ---------------------------------------------------------------------------------------
def addNoise(self, noise):
    """Add noise to the image according to the noise model ``noise`` (a `BaseNoise`).

    Equivalent to ``noise.applyTo(image)``."""
    noise.applyTo(self)


def addNoiseSNR(self, noise, snr, preserve_flux=False):
    """Add noise so that the image reaches the signal-to-noise ratio ``snr``.

    The S/N is GalSim's (Great08) matched-filter definition with a constant per-pixel
    noise variance V: ``(S/N)**2 = sum(I**2) / V``.  With ``preserve_flux=False`` (the
    default) the noise model is kept and the image is rescaled so that its S/N with the
    model's variance is ``snr``; with ``preserve_flux=True`` the image is kept and the
    noise variance is set to ``sum(I**2) / snr**2`` (via ``noise.withVariance``).
    For Poisson-type models the object's own shot noise makes the final S/N slightly
    lower than ``snr``.  Models without a single variance (`VariableGaussianNoise`,
    `DeviateNoise`) raise `GalSimError`.

    Parameters:
        noise:          The noise (`BaseNoise`) model to use.
        snr:            The desired signal-to-noise ratio after the noise is added.
        preserve_flux:  Keep the image's flux (True) or the noise variance (False).
                        [default: False]

    Returns:
        the variance of the noise that was added (per pixel, in the image's units
        squared).

    JAX notes: works on traced images and a traced ``snr`` (the sums use jax.numpy);
    the noise itself is then added as described in `BaseNoise.applyTo`.
    """
    noise_var = noise.getVariance()
    arr = self.array
    if isinstance(arr, np.ndarray) and not _is_tracer(snr):
        sumsq = np.sum(arr**2, dtype=float)
    else:
        sumsq = jnp.sum(jnp.asarray(arr) ** 2)
    if preserve_flux:
        new_noise_var = sumsq / snr / snr
        noise = noise.withVariance(new_noise_var)
        self.addNoise(noise)
        return new_noise_var
    else:
        sn_meas = (jnp.sqrt if isinstance(sumsq, jax.Array) else np.sqrt)(sumsq / noise_var)
        flux = snr / sn_meas
        self *= flux
        self.addNoise(noise)
        return noise_var


Image.addNoise = addNoise
Image.addNoiseSNR = addNoiseSNR


# ---------------------------------------------------------------------------------------
# Noise models
# ---------------------------------------------------------------------------------------
class BaseNoise:
    """Base class of the noise models; use one of `GaussianNoise`, `PoissonNoise`,
    `CCDNoise`, `VariableGaussianNoise` or `DeviateNoise`.  ``isinstance(noise,
    galsim.BaseNoise)`` tells whether an object is a noise model.

    Parameters:
        rng:    The `BaseDeviate` whose stream the noise draws from [default: None, a new
                `BaseDeviate` seeded from the system].

    JAX notes: noise models hold a host-side, mutable deviate and are not pytrees.  See
    the module docstring for the functional ``apply_with_key`` path.
    """

    def __init__(self, rng=None):
        if rng is None:
            self._rng = BaseDeviate()
        else:
            if not isinstance(rng, BaseDeviate):
                raise TypeError("rng must be a galsim.BaseDeviate instance.")
            self._rng = rng

    @property
    def rng(self):
        """The `BaseDeviate` this noise model draws from."""
        return self._rng

    def getVariance(self):
        """The variance per pixel that this model adds (image units squared)."""
        return self._getVariance()

    def _getVariance(self):
        raise NotImplementedError("Cannot call getVariance on a pure BaseNoise object")

    def withVariance(self, variance):
        """A new noise model of the same kind (sharing the rng) with variance
        ``variance`` per pixel."""
        return self._withVariance(variance)

    def _withVariance(self, variance):
        raise NotImplementedError("Cannot call withVariance on a pure BaseNoise object")

    def withScaledVariance(self, variance_ratio):
        """A new noise model whose variance is ``variance_ratio`` times this one's
        (the same as ``noise * variance_ratio``)."""
        return self._withScaledVariance(variance_ratio)

    def _withScaledVariance(self, variance_ratio):
        raise NotImplementedError("Cannot call withScaledVariance on a pure BaseNoise object")

    def __mul__(self, variance_ratio):
        """The noise with its variance multiplied by ``variance_ratio``."""
        return self.withScaledVariance(variance_ratio)

    def __div__(self, variance_ratio):
        """The noise with its variance divided by ``variance_ratio``."""
        return self.withScaledVariance(1.0 / variance_ratio)

    __rmul__ = __mul__
    __truediv__ = __div__

    def applyTo(self, image):
        """Add noise from this model to ``image`` (a `jax_galsim.Image`) in place.

        Same as ``image.addNoise(noise)``.  On an eager image the values equal GalSim's
        for the same rng state.  On a traced image (inside ``jit``) the image's array is
        rebound to a new JAX array with noise drawn from a key made from this model's rng
        (see the module docstring; prefer `apply_with_key` in compiled code).
        """
        if not isinstance(image, Image):
            raise TypeError("Provided image must be a galsim.Image")
        return self._applyTo(image)

    def _applyTo(self, image):
        raise NotImplementedError("Cannot call applyTo on a pure BaseNoise object")

    # --- functional path ---------------------------------------------------------------
    def apply_with_key(self, image, key):
        """A copy of ``image`` with noise from this model drawn with a ``jax.random`` key.

        Parameters:
            image:  A `jax_galsim.Image` or a 2-d array (NumPy or JAX, possibly traced).
            key:    A ``jax.random`` key (e.g. from ``galsim.random.make_key(seed)`` or
                    ``jax.random.split``).

        Returns:
            a new Image (same bounds, WCS and dtype) or a JAX array, as given.  Nothing is
            modified in place, so this works inside ``jit``/``vmap``/``grad``.
        """
        arr, wrap = _split_target(image)
        return wrap(self._noisy_array(arr, key))

    def _noisy_array(self, arr, key):
        raise GalSimNotImplementedError(
            "%s has no jax.random implementation; add it eagerly with applyTo" % type(self).__name__
        )

    def _apply_traced(self, image):
        """Traced image: rebind its array to a noisy JAX array (key from the rng)."""
        key = make_key(self.rng)
        arr = jnp.asarray(image.array)
        new = self._noisy_array(arr, key)
        if np.issubdtype(arr.dtype, np.integer):
            new = jnp.round(new)
        image.array = new.astype(arr.dtype)

    def __eq__(self, other):
        # As GalSim: two noise models are equal if their reprs (which include the rng
        # state) are equal.
        return self is other or repr(self) == repr(other)

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None


class GaussianNoise(BaseNoise):
    """Gaussian noise with the same rms ``sigma`` in every pixel.

    Example::

        >>> gaussian_noise = galsim.GaussianNoise(rng, sigma=1.0)
        >>> image.addNoise(gaussian_noise)

    Parameters:
        rng:    A `BaseDeviate` to draw the random numbers from [default: None].
        sigma:  The rms of the noise in each pixel, in image units (e.g. ADU).
                [default: 1.]

    Attributes:
        rng:    The random number generator (read-only).
        sigma:  The constructor's ``sigma`` (read-only).

    JAX notes: ``sigma`` may be a JAX value (traced) for the functional path
    (`BaseNoise.apply_with_key`); the eager GalSim-exact path needs a concrete sigma.
    """

    def __init__(self, rng=None, sigma=1.0):
        BaseNoise.__init__(self, rng)
        sigma = _norm(sigma)
        self._sigma = sigma
        self._gd = None if isinstance(sigma, jax.Array) else GaussianDeviate(self.rng, sigma=sigma)

    @property
    def sigma(self):
        """The rms of the noise per pixel."""
        return self._sigma

    def _applyTo(self, image):
        if not _eager_image(image) or self._gd is None:
            return self._apply_traced(image)
        self._gd.clearCache()
        noise = np.empty(int(np.prod(image.array.shape)), dtype=float)
        self._gd.generate(noise)
        image.array[:, :] += noise.reshape(image.array.shape).astype(image.dtype)

    def _noisy_array(self, arr, key):
        dt = _float_dtype(arr)
        z = jax.random.normal(key, arr.shape, dtype=dt)
        return arr + self.sigma * z

    def _getVariance(self):
        return self.sigma**2

    def _withVariance(self, variance):
        return GaussianNoise(self.rng, _sqrt(variance))

    def _withScaledVariance(self, variance_ratio):
        return GaussianNoise(self.rng, self.sigma * _sqrt(variance_ratio))

    def copy(self, rng=None):
        """A copy of the model; it shares this model's rng unless ``rng`` is given."""
        if rng is None:
            rng = self.rng
        return GaussianNoise(rng, self.sigma)

    def __setstate__(self, d):
        self.__dict__.update(d)
        if self.__dict__.get("_gd") is not None:
            self._gd._reset(self._rng)  # share the stream again after unpickling

    def __repr__(self):
        return "galsim.GaussianNoise(rng=%r, sigma=%r)" % (self.rng, self.sigma)

    def __str__(self):
        return "galsim.GaussianNoise(sigma=%s)" % (self.sigma)


def _split_sky(sky_level, dtype):
    """GalSim's handling of the sky for integer images: the fractional part of the sky
    (after conversion to the image's type) is subtracted from the float result and the
    integer part from the integer image, so integer images round consistently."""
    frac_sky = sky_level - dtype(sky_level)
    int_sky = sky_level - frac_sky
    return frac_sky, int_sky


class PoissonNoise(BaseNoise):
    """Poisson noise from the counts in each pixel plus an optional sky level.

    Each pixel is replaced by a Poisson draw with mean ``pixel + sky_level`` (negative
    means are clipped to 0), after which ``sky_level`` is subtracted again: the sky is
    taken to have already been subtracted from the image, but still contributes its
    shot noise.  If the image already contains the sky, use ``sky_level=0``.

    Example::

        >>> poisson_noise = galsim.PoissonNoise(rng, sky_level=0.)
        >>> image.addNoise(poisson_noise)

    Parameters:
        rng:        A `BaseDeviate` to draw the random numbers from [default: None].
        sky_level:  The sky level in electrons per pixel that was in the image but has been
                    subtracted off. [default: 0.]

    Attributes:
        rng:        The random number generator (read-only).
        sky_level:  The constructor's ``sky_level`` (read-only).

    JAX notes: the functional path uses ``jax.random.poisson``; the draws carry no
    gradient with respect to the pixel values or the sky level.
    """

    def __init__(self, rng=None, sky_level=0.0):
        BaseNoise.__init__(self, rng)
        self._sky_level = _norm(sky_level)
        self._pd = PoissonDeviate(self.rng)

    @property
    def sky_level(self):
        """The sky level (electrons per pixel) that was subtracted from the image."""
        return self._sky_level

    def _applyTo(self, image):
        if not _eager_image(image) or isinstance(self.sky_level, jax.Array):
            return self._apply_traced(image)
        noise = np.empty(int(np.prod(image.array.shape)), dtype=float)
        noise.reshape(image.array.shape)[:, :] = image.array
        frac_sky, int_sky = _split_sky(self.sky_level, image.dtype)
        if self.sky_level != 0.0:
            noise += self.sky_level
        noise = noise.clip(0.0)
        self._pd.generate_from_expectation(noise)
        if frac_sky != 0.0:
            noise -= frac_sky
        np.copyto(image.array, noise.reshape(image.array.shape), casting="unsafe")
        if int_sky != 0.0:
            image -= int_sky

    def _noisy_array(self, arr, key):
        dt = _float_dtype(arr)
        lam = jnp.clip(arr.astype(dt) + self.sky_level, 0.0)
        counts = jax.random.poisson(key, jax.lax.stop_gradient(lam), arr.shape).astype(dt)
        return counts - self.sky_level

    def _getVariance(self):
        return self.sky_level

    def _withVariance(self, variance):
        return PoissonNoise(self.rng, variance)

    def _withScaledVariance(self, variance_ratio):
        return PoissonNoise(self.rng, self.sky_level * variance_ratio)

    def copy(self, rng=None):
        """A copy of the model; it shares this model's rng unless ``rng`` is given."""
        if rng is None:
            rng = self.rng
        return PoissonNoise(rng, self.sky_level)

    def __setstate__(self, d):
        self.__dict__.update(d)
        self._pd._reset(self._rng)

    def __repr__(self):
        return "galsim.PoissonNoise(rng=%r, sky_level=%r)" % (self.rng, self.sky_level)

    def __str__(self):
        return "galsim.PoissonNoise(sky_level=%s)" % (self.sky_level)


class CCDNoise(BaseNoise):
    """A basic CCD noise model: Poisson noise on the electrons in each pixel (signal plus
    sky) and Gaussian read noise.

    Units, as usually quoted: ``sky_level`` in ADU per pixel, ``gain`` in electrons per
    ADU, ``read_noise`` in electrons per pixel (ADU per pixel if ``gain <= 0``).  The sky
    is taken to have been subtracted from the image already; it contributes shot noise
    only.

    Example::

        >>> ccd_noise = galsim.CCDNoise(rng, sky_level=0., gain=1., read_noise=0.)
        >>> image.addNoise(ccd_noise)

    Parameters:
        rng:            A `BaseDeviate` to draw the random numbers from [default: None].
        sky_level:      The subtracted sky level, ADU per pixel. [default: 0.]
        gain:           Electrons per ADU; ``gain <= 0`` turns the Poisson noise off and
                        makes ``read_noise`` an rms in ADU. [default: 1.]
        read_noise:     The rms read noise per pixel, in electrons (gain > 0) or ADU
                        (gain <= 0); 0 turns the Gaussian noise off. [default: 0.]

    Attributes:
        rng, sky_level, gain, read_noise: the constructor's values (read-only).

    JAX notes: on the functional path the parameters may be traced, but whether the
    Poisson and Gaussian parts are present is decided from ``gain > 0`` and
    ``read_noise > 0`` when those are concrete; with traced values both parts are
    always drawn (a zero read noise then adds exactly zero).
    """

    def __init__(self, rng=None, sky_level=0.0, gain=1.0, read_noise=0.0):
        BaseNoise.__init__(self, rng)
        sky_level, gain, read_noise = _norm(sky_level), _norm(gain), _norm(read_noise)
        traced = any(isinstance(v, jax.Array) for v in (sky_level, gain, read_noise))
        if traced:
            self._sky_level, self._gain, self._read_noise = sky_level, gain, read_noise
            self._pd = PoissonDeviate(self.rng)
            self._gd = None
            return
        self._sky_level = float(sky_level)
        self._gain = float(gain)
        self._read_noise = float(read_noise)
        self._pd = PoissonDeviate(self.rng)
        if gain > 0.0:
            self._gd = GaussianDeviate(self.rng, sigma=self.read_noise / self.gain)
        else:
            self._gd = GaussianDeviate(self.rng, sigma=self.read_noise)

    @property
    def sky_level(self):
        """The subtracted sky level, ADU per pixel."""
        return self._sky_level

    @property
    def gain(self):
        """The gain, electrons per ADU."""
        return self._gain

    @property
    def read_noise(self):
        """The read noise, electrons (or ADU if gain <= 0) per pixel."""
        return self._read_noise

    def _applyTo(self, image):
        if not _eager_image(image) or self._gd is None:
            return self._apply_traced(image)
        noise = np.empty(int(np.prod(image.array.shape)), dtype=float)
        noise.reshape(image.array.shape)[:, :] = image.array
        frac_sky, int_sky = _split_sky(self.sky_level, image.dtype)
        if self.sky_level != 0.0:
            noise += self.sky_level
        if self.gain > 0.0:
            noise *= self.gain
            noise = noise.clip(0.0)
            self._pd.generate_from_expectation(noise)
            noise /= self.gain
        if self.read_noise > 0.0:
            self._gd.clearCache()
            self._gd.add_generate(noise)
        if frac_sky != 0.0:
            noise -= frac_sky
        np.copyto(image.array, noise.reshape(image.array.shape), casting="unsafe")
        if int_sky != 0.0:
            image -= int_sky

    def _noisy_array(self, arr, key):
        dt = _float_dtype(arr)
        k1, k2 = jax.random.split(key)
        sky, gain, rn = self.sky_level, self.gain, self.read_noise
        x = arr.astype(dt) + sky
        concrete = not any(isinstance(v, jax.Array) for v in (gain, rn))
        if not concrete or gain > 0.0:
            lam = jnp.clip(x * gain, 0.0)
            counts = jax.random.poisson(k1, jax.lax.stop_gradient(lam), arr.shape).astype(dt)
            shot = counts / gain
            if concrete:
                x = shot
            else:
                x = jnp.where(gain > 0.0, shot, x)
        if not concrete or rn > 0.0:
            sig = rn / gain if concrete and gain > 0.0 else (rn if concrete else jnp.where(gain > 0.0, rn / gain, rn))
            x = x + sig * jax.random.normal(k2, arr.shape, dtype=dt)
        return x - sky

    def _getVariance(self):
        if self.gain > 0.0:
            return self.sky_level / self.gain + (self.read_noise / self.gain) ** 2
        else:
            return self.read_noise**2

    def _withVariance(self, variance):
        current_var = self._getVariance()
        if current_var > 0.0:
            return self._withScaledVariance(variance / current_var)
        else:
            return CCDNoise(self.rng, sky_level=variance)

    def _withScaledVariance(self, variance_ratio):
        return CCDNoise(
            self.rng,
            gain=self.gain,
            sky_level=self.sky_level * variance_ratio,
            read_noise=self.read_noise * _sqrt(variance_ratio),
        )

    def copy(self, rng=None):
        """A copy of the model; it shares this model's rng unless ``rng`` is given."""
        if rng is None:
            rng = self.rng
        return CCDNoise(rng, self.sky_level, self.gain, self.read_noise)

    def __setstate__(self, d):
        self.__dict__.update(d)
        self._pd._reset(self._rng)
        if self.__dict__.get("_gd") is not None:
            self._gd._reset(self._rng)

    def __repr__(self):
        return "galsim.CCDNoise(rng=%r, sky_level=%r, gain=%r, read_noise=%r)" % (
            self.rng,
            self.sky_level,
            self.gain,
            self.read_noise,
        )

    def __str__(self):
        return "galsim.CCDNoise(sky_level=%r, gain=%r, read_noise=%r)" % (
            self.sky_level,
            self.gain,
            self.read_noise,
        )


class DeviateNoise(BaseNoise):
    """Noise drawn, pixel by pixel, from an arbitrary deviate (e.g. a `UniformDeviate`
    or a `DistDeviate`), added to the image.

    Example::

        >>> dev_noise = galsim.DeviateNoise(dev)
        >>> image.addNoise(dev_noise)

    Parameters:
        dev:    The `BaseDeviate` (subclass) whose values are added to the pixels.

    Attributes:
        rng:    The deviate (read-only).

    JAX notes: eager only (no ``jax.random`` counterpart for an arbitrary deviate).
    """

    def __init__(self, dev):
        BaseNoise.__init__(self, dev)

    def _applyTo(self, image):
        if not _eager_image(image):
            raise GalSimNotImplementedError("DeviateNoise cannot be applied to a traced image")
        noise = np.empty(int(np.prod(image.array.shape)), dtype=float)
        self._rng.generate(noise)
        image.array[:, :] += noise.reshape(image.array.shape).astype(image.dtype)

    def _getVariance(self):
        raise GalSimError("No single variance value for DeviateNoise")

    def _withVariance(self, variance):
        raise GalSimError("Changing the variance is not allowed for DeviateNoise")

    def _withScaledVariance(self, variance):
        raise GalSimError("Changing the variance is not allowed for DeviateNoise")

    def copy(self, rng=None):
        """A copy.  Without ``rng`` it shares this deviate; with ``rng`` it is a deviate of
        the same kind and parameters that follows ``rng``'s stream."""
        if rng is None:
            dev = self.rng
        else:
            dev = self.rng.duplicate()
            dev.reset(rng)
        return DeviateNoise(dev)

    def __repr__(self):
        return "galsim.DeviateNoise(dev=%r)" % self.rng

    def __str__(self):
        return "galsim.DeviateNoise(dev=%s)" % self.rng


class VariableGaussianNoise(BaseNoise):
    """Gaussian noise whose variance differs from pixel to pixel.

    Example::

        >>> variable_noise = galsim.VariableGaussianNoise(rng, var_image)
        >>> image.addNoise(variable_noise)

    Parameters:
        rng:        A `BaseDeviate` to draw the random numbers from.
        var_image:  An `Image` with the variance of the noise in each pixel (image units
                    squared); it must have the shape of the images the noise is applied to.
                    It is stored as an `ImageD`.

    Attributes:
        rng:        The random number generator (read-only).
        var_image:  The variance image (read-only).
    """

    def __init__(self, rng, var_image):
        BaseNoise.__init__(self, rng)
        self._gd = GaussianDeviate(rng)
        self._var_image = ImageD(var_image)

    @property
    def var_image(self):
        """The variance image."""
        return self._var_image

    def applyTo(self, image):
        """Add the noise to ``image`` in place (see `BaseNoise.applyTo`).  The image must
        have the shape of ``var_image``."""
        if not isinstance(image, Image):
            raise TypeError("Provided image must be a galsim.Image")
        if image.array.shape != self.var_image.array.shape:
            raise GalSimIncompatibleValuesError(
                "Provided image shape does not match the shape of var_image",
                image=image,
                var_image=self.var_image,
            )
        return self._applyTo(image)

    def _applyTo(self, image):
        if not _eager_image(image) or not isinstance(self.var_image.array, np.ndarray):
            return self._apply_traced(image)
        noise = self.var_image.array.flatten()
        self._gd.generate_from_variance(noise)
        image.array[:, :] += noise.reshape(image.array.shape).astype(image.dtype)

    def _noisy_array(self, arr, key):
        dt = _float_dtype(arr)
        var = jnp.asarray(self.var_image.array).astype(dt)
        return arr + jnp.sqrt(var) * jax.random.normal(key, arr.shape, dtype=dt)

    def copy(self, rng=None):
        """A copy of the model; it shares this model's rng unless ``rng`` is given."""
        if rng is None:
            rng = self.rng
        return VariableGaussianNoise(rng, self.var_image)

    def _getVariance(self):
        raise GalSimError("No single variance value for VariableGaussianNoise")

    def _withVariance(self, variance):
        raise GalSimError("Changing the variance is not allowed for VariableGaussianNoise")

    def _withScaledVariance(self, variance):
        raise GalSimError("Changing the variance is not allowed for VariableGaussianNoise")

    def __setstate__(self, d):
        self.__dict__.update(d)
        self._gd._reset(self._rng)

    def __repr__(self):
        return "galsim.VariableGaussianNoise(rng=%r, var_image=%r)" % (self.rng, self.var_image)

    def __str__(self):
        return "galsim.VariableGaussianNoise(var_image=%s)" % (self.var_image)
