"""GalSim's exception and warning classes.

Every error that ``jax_galsim`` raises on bad user input is one of these classes, with
the same base classes, attributes, messages, ``repr`` and pickling as GalSim's own, so
that code written against GalSim (``except galsim.GalSimValueError: ...``) keeps
working.

JAX notes: argument checks that need concrete values run eagerly in Python; when a
value is a tracer (inside ``jit``/``grad``/``vmap``) such checks are skipped rather
than raising one of these errors.
"""

import warnings
from contextlib import contextmanager

__all__ = [
    "GalSimError",
    "GalSimValueError",
    "GalSimKeyError",
    "GalSimIndexError",
    "GalSimRangeError",
    "GalSimBoundsError",
    "GalSimUndefinedBoundsError",
    "GalSimImmutableError",
    "GalSimIncompatibleValuesError",
    "GalSimSEDError",
    "GalSimHSMError",
    "GalSimFFTSizeError",
    "GalSimConfigError",
    "GalSimConfigValueError",
    "GalSimNotImplementedError",
    "GalSimWarning",
    "GalSimDeprecationWarning",
    "GalSimFFTSizeWarning",
    "convert_cpp_errors",
    "galsim_warn",
    "galsim_warn_fft",
]

#: When True, :func:`galsim_warn_fft` raises :class:`GalSimFFTSizeError` instead of
#: emitting a :class:`GalSimFFTSizeWarning` (as GalSim's module-level switch).
raise_fft_size_error = False


def _fft_memory_gb(size):
    """Memory in GB (2**30 bytes) GalSim estimates for a ``size`` x ``size`` FFT:
    24 bytes per pixel (a real and a complex double array)."""
    return size * size * 24.0 / 1024**3


def _fft_size_text(size, mem):
    return "\nThe required FFT size would be %s x %s, which requires %.2f GB of memory.\n" % (
        size,
        size,
        mem,
    )


class _ArgsMixin:
    """Shared ``repr``/pickling for errors whose constructors take extra arguments.

    Subclasses set ``_arg_names``: the attribute names, in constructor order, after
    ``message``.  ``repr`` is ``galsim.Name(message, arg, ...)`` and pickling calls the
    constructor again with the same arguments."""

    _arg_names = ()

    def _ctor_args(self):
        return (self.message,) + tuple(getattr(self, n) for n in self._arg_names)

    def __repr__(self):
        return "galsim.%s(%s)" % (type(self).__name__, ",".join(repr(a) for a in self._ctor_args()))

    def __reduce__(self):
        return type(self), self._ctor_args()


class GalSimError(RuntimeError):
    """Base class of GalSim's run-time errors (a :class:`RuntimeError`)."""

    def __repr__(self):
        return "galsim.%s(%r)" % (type(self).__name__, str(self))

    def __eq__(self, other):
        return self is other or repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))


class GalSimValueError(_ArgsMixin, GalSimError, ValueError):
    """A user-supplied value is invalid.

    Parameters:
        message:        Description of the problem.
        value:          The invalid value.
        allowed_values: The values that would have been accepted, if there is a short
                        list of them (default None).
    """

    _arg_names = ("value", "allowed_values")

    def __init__(self, message, value, allowed_values=None):
        self.message = message
        self.value = value
        self.allowed_values = allowed_values
        text = "%s Value %s" % (message, value)
        if allowed_values:
            text += " not in %s" % (allowed_values,)
        super().__init__(text)


class GalSimKeyError(_ArgsMixin, GalSimError, KeyError):
    """A dict-like object was accessed with an invalid key.

    Parameters:
        message:    Description of the problem.
        key:        The invalid key.
    """

    _arg_names = ("key",)

    def __init__(self, message, key):
        self.message = message
        self.key = key
        super().__init__(message, key)

    def __str__(self):
        return "%s Key %s" % (self.message, self.key)


class GalSimIndexError(_ArgsMixin, GalSimError, IndexError):
    """A list-like object was accessed with an invalid index.

    Parameters:
        message:    Description of the problem.
        index:      The invalid index.
    """

    _arg_names = ("index",)

    def __init__(self, message, index):
        self.message = message
        self.index = index
        super().__init__(message, index)

    def __str__(self):
        return "%s Index %s" % (self.message, self.index)


class GalSimRangeError(_ArgsMixin, GalSimError, ValueError):
    """A user-supplied value lies outside its allowed range.

    Parameters:
        message:    Description of the problem.
        value:      The invalid value.
        min:        The smallest allowed value (None if unbounded below).
        max:        The largest allowed value (None if unbounded above; default None).
    """

    _arg_names = ("value", "min", "max")

    def __init__(self, message, value, min, max=None):
        self.message = message
        self.value = value
        self.min = min
        self.max = max
        super().__init__("%s Value %s not in range [%s, %s]" % (message, value, min, max))


class GalSimBoundsError(_ArgsMixin, GalSimError, ValueError):
    """A position lies outside the bounds it was required to fall in.

    Parameters:
        message:    Description of the problem.
        pos:        The offending `Position`.
        bounds:     The `Bounds` it should have been inside.
    """

    _arg_names = ("pos", "bounds")

    def __init__(self, message, pos, bounds):
        self.message = message
        self.pos = pos
        self.bounds = bounds
        super().__init__("%s %s not in %s" % (message, pos, bounds))


class GalSimUndefinedBoundsError(GalSimError):
    """The extent of a `Bounds` that has not been defined was requested."""


class GalSimImmutableError(_ArgsMixin, GalSimError):
    """An attempt was made to modify an immutable (constant) `Image`.

    Parameters:
        message:    Description of the problem.
        image:      The image that was to be modified.
    """

    _arg_names = ("image",)

    def __init__(self, message, image):
        self.message = message
        self.image = image
        super().__init__("%s Image: %s" % (message, image))


class GalSimIncompatibleValuesError(_ArgsMixin, GalSimError, ValueError, TypeError):
    """Two or more user-supplied values cannot be used together.

    Parameters:
        message:    Description of the problem.
        values:     A dict ``{name: value}`` of the conflicting values; further
                    ``name=value`` keywords are added to it.
    """

    _arg_names = ("values",)

    def __init__(self, message, values={}, **kwargs):
        self.message = message
        self.values = dict(values, **kwargs)
        super().__init__("%s Values %s" % (message, self.values))

    def __eq__(self, other):
        return self is other or (
            isinstance(other, GalSimIncompatibleValuesError)
            and self.message == other.message
            and self.values == other.values
        )

    def __hash__(self):
        return hash(repr(self))


class GalSimSEDError(_ArgsMixin, GalSimError, TypeError):
    """An operation is invalid for the kind of `SED` given (e.g. a dimensionless
    `SED` where a spectral one is needed, or the reverse).

    Parameters:
        message:    Description of the problem.
        sed:        The offending `SED`.
    """

    _arg_names = ("sed",)

    def __init__(self, message, sed):
        self.message = message
        self.sed = sed
        super().__init__("%s SED: %s" % (message, sed))


class GalSimHSMError(GalSimError):
    """The HSM shape-measurement algorithms failed."""


class GalSimFFTSizeError(_ArgsMixin, GalSimError):
    """A required FFT is larger than ``gsparams.maximum_fft_size``.

    Parameters:
        message:    Description of the problem.
        size:       The FFT side length (pixels) that was too large.

    Attributes:
        mem:        Estimated memory the FFT would need, in GB.
    """

    _arg_names = ("size",)

    def __init__(self, message, size):
        self.message = message
        self.size = size
        self.mem = _fft_memory_gb(size)
        super().__init__(
            message
            + _fft_size_text(size, self.mem)
            + "If you can handle the large FFT, you may update gsparams.maximum_fft_size."
        )


class GalSimConfigError(GalSimError, ValueError):
    """Processing a configuration failed."""


class GalSimConfigValueError(GalSimValueError, GalSimConfigError):
    """A configuration entry has an invalid value (see `GalSimValueError`)."""


class GalSimNotImplementedError(GalSimError, NotImplementedError):
    """The requested feature is not implemented (in GalSim, or in this JAX port)."""


class GalSimWarning(UserWarning):
    """Base class of GalSim's warnings (a :class:`UserWarning`)."""

    def __repr__(self):
        return "galsim.%s(%r)" % (type(self).__name__, str(self))

    def __eq__(self, other):
        return self is other or repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))


class GalSimDeprecationWarning(GalSimWarning):
    """Warning for use of a deprecated GalSim feature."""


class GalSimFFTSizeWarning(_ArgsMixin, GalSimWarning):
    """A required FFT is larger than ``gsparams.maximum_fft_size`` (warning form of
    `GalSimFFTSizeError`).

    Parameters:
        message:    Description of the problem.
        size:       The FFT side length (pixels) that was too large.

    Attributes:
        mem:        Estimated memory the FFT would need, in GB.
    """

    _arg_names = ("size",)

    def __init__(self, message, size):
        self.message = message
        self.size = size
        self.mem = _fft_memory_gb(size)
        super().__init__(
            message
            + _fft_size_text(size, self.mem)
            + "If you can handle the large FFT and want to suppress this warning,\n"
            + "you may update gsparams.maximum_fft_size."
        )


def galsim_warn_fft(message, size):
    """Warn (or raise, if ``raise_fft_size_error`` is set) that an FFT of side
    ``size`` pixels exceeds the allowed maximum."""
    if raise_fft_size_error:
        raise GalSimFFTSizeError(message, size)
    warnings.warn(GalSimFFTSizeWarning(message, size))


@contextmanager
def convert_cpp_errors(error_type=GalSimError):
    """Context manager that re-raises any :class:`RuntimeError` from the block as
    ``error_type`` with the same message (GalSim uses it around its C++ calls)."""
    try:
        yield
    except RuntimeError as err:
        raise error_type(str(err)) from None


def galsim_warn(message):
    """Emit ``message`` as a :class:`GalSimWarning`."""
    warnings.warn(message, GalSimWarning)
