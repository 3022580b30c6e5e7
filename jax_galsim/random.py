"""Random deviates (GalSim's ``galsim.random``) and the ``jax.random`` key path.

Randomness in jax_galsim has two layers.

**1. GalSim-compatible deviates, for eager code.**  `BaseDeviate`, `UniformDeviate`,
`GaussianDeviate`, `PoissonDeviate`, `BinomialDeviate`, `Chi2Deviate`, `GammaDeviate`,
`WeibullDeviate` and `DistDeviate` are stateful, mutable Python objects with GalSim's
interface: the same constructors and seeding rules (an integer seed, ``None`` or ``0``
for a seed from ``/dev/urandom``, a string produced by `BaseDeviate.serialize`, or another
deviate whose stream is then shared), ``seed``, ``reset``, ``duplicate``, ``clearCache``,
``discard``, ``raw``, ``generate``, ``add_generate``, ``serialize``, ``np``, pickling,
``repr`` and ``==``.  Underneath is a 32-bit Mersenne Twister (mt19937) seeded exactly as
GalSim seeds Boost's: a non-zero integer seed goes through two steps of an mt11213b
generator first.  The raw stream, and every distribution built on it, reproduce GalSim's
numbers for the same seed: each distribution follows the algorithm of the Boost 1.48
distribution GalSim compiles in (Box-Muller pairs for the Gaussian, inversion/PTRD for
the Poisson, inversion/BTRD for the binomial, Boost's rejection samplers for the gamma
and chi-square, inverse transform for the Weibull), evaluated in double precision with the
C library's ``log``/``exp``/``sin``/``cos``/``tan``/``pow`` (Python's ``math`` module), so
the values agree bit for bit with GalSim on the same platform.  These objects are *not*
pytrees and cannot be used inside ``jax.jit``: they hold mutable state on the host.

**2. The functional ``jax.random`` path, for ``jit``/``vmap``.**  Inside traced code
draw random numbers from explicit ``jax.random`` keys, e.g.::

    key = galsim.random.make_key(galsim.BaseDeviate(1234))   # or make_key(1234)
    k1, k2 = jax.random.split(key)
    noise = sigma * jax.random.normal(k1, image.array.shape)

:func:`make_key` maps a seed or a deviate deterministically to a ``jax.random`` key (a
seed ``s`` gives the same key as ``make_key(BaseDeviate(s))``; a deviate is advanced by two
raw draws, so successive calls give independent keys).  The key path does not reproduce
GalSim's numbers (JAX uses a counter-based generator), but it is deterministic given the
seed and works under ``jit``/``vmap``/``grad``.
"""

import ctypes
import math
import numbers
import os
import re

import numpy as np

from .errors import (
    GalSimIncompatibleValuesError,
    GalSimNotImplementedError,
    GalSimRangeError,
    GalSimValueError,
    galsim_warn,
)

__all__ = [
    "BaseDeviate",
    "UniformDeviate",
    "GaussianDeviate",
    "PoissonDeviate",
    "DistDeviate",
    "BinomialDeviate",
    "Chi2Deviate",
    "GammaDeviate",
    "WeibullDeviate",
]

_M32 = 0xFFFFFFFF
_N = 624  # mt19937 state size (32-bit words)
_TWO_M32 = 2.0**-32  # 1/(max+1): Boost's uniform_01 factor for a 32-bit engine
_TWO_PI = 2.0 * math.pi


def _isinteger(value):
    try:
        return value == int(value)
    except (TypeError, ValueError):
        return False


# ----------------------------------------------------------------------------------------
# The Mersenne-Twister engine
# ----------------------------------------------------------------------------------------
def _init_genrand(value, n=_N):
    """Knuth-style linear initialisation of an MT state from one 32-bit value."""
    x = [0] * n
    x[0] = value & _M32
    for i in range(1, n):
        prev = x[i - 1]
        x[i] = (1812433253 * (prev ^ (prev >> 30)) + i) & _M32
    return x


def _mt11213b_third(seed):
    """The third output of Boost's mt11213b seeded with ``seed`` (mod 2**32).

    GalSim passes an integer seed through this generator (discarding two values) before
    seeding the mt19937 it actually uses."""
    n, m, r, a = 351, 175, 19, 0xCCAB8EE7
    x = _init_genrand(seed & _M32, n)
    upper = (_M32 << r) & _M32
    lower = _M32 ^ upper
    # One full in-place twist (enough for the first n outputs).
    for j in range(n):
        nxt = x[(j + 1) % n]
        y = (x[j] & upper) | (nxt & lower)
        x[j] = x[(j + m) % n] ^ (y >> 1) ^ ((nxt & 1) * a)
    z = x[2]
    z ^= (z >> 11) & 0xFFFFFFFF
    z ^= (z << 7) & 0x31B6AB00
    z ^= (z << 15) & 0xFFE50000
    z ^= z >> 17
    return z


def _rewind_words(key, pos):
    """Boost's serialisation order for an mt19937 state.

    ``key`` holds the current block of 624 words of which ``pos`` have been used.  Boost
    writes the 624 most recently generated words (oldest first), so that reading them back
    with a fresh twist continues the same stream.  The words of the previous block that are
    still needed have been overwritten by the twist; they are recovered by inverting the
    twist recurrence  new[j] = old[j+m] ^ twist(upper(old[j]), lower(old[j+1])).
    """
    new = [int(v) for v in key]
    if pos >= _N:
        return new
    n, m, a = _N, 397, 0x9908B0DF
    old = [0] * (n + 1)
    old[n] = new[0]

    def untwist(j):
        # (upper bit of old[j], lower 31 bits of old[j+1]) from equation j.
        partner = old[j + m] if j + m < n else new[j + m - n]
        t = new[j] ^ partner
        if t & 0x80000000:
            y = (((t ^ a) << 1) | 1) & _M32
        else:
            y = (t << 1) & _M32
        return y & 0x80000000, y & 0x7FFFFFFF

    for j in range(n - 1, pos - 1, -1):
        up, _ = untwist(j)
        _, low = untwist(j - 1)
        old[j] = up | low
    return old[pos:n] + new[:pos]


class _MTState:
    """A mutable mt19937 state shared by every deviate built on the same stream.

    The words are held by a NumPy ``MT19937`` bit generator (whose raw output is the
    standard mt19937 stream), so blocks of raw values are produced at C speed."""

    __slots__ = ("bg",)

    def __init__(self):
        self.bg = np.random.MT19937(0)

    def set(self, words, pos=_N):
        self.bg.state = {
            "bit_generator": "MT19937",
            "state": {"key": np.asarray(words, dtype=np.uint32), "pos": int(pos)},
        }

    def get(self):
        st = self.bg.state["state"]
        return np.array(st["key"], dtype=np.uint32), int(st["pos"])

    def seed32(self, value):
        self.set(_init_genrand(value))

    def copy(self):
        other = _MTState()
        other.set(*self.get())
        return other

    def raw(self):
        return int(self.bg.random_raw())

    def raws(self, n):
        return self.bg.random_raw(int(n))

    def uniforms(self, n):
        """``n`` values of Boost's uniform_01 (raw / 2**32) as a float64 array."""
        return self.bg.random_raw(int(n)) * _TWO_M32

    def discard(self, n):
        n = int(n)
        while n > 0:
            k = min(n, 1 << 24)
            self.bg.random_raw(k)
            n -= k

    def serialize(self):
        return " ".join(str(w) for w in _rewind_words(*self.get()))

    def deserialize(self, text):
        """Read words as C++ ``istream >> word`` does, starting from the default-seeded
        state (seed 5489): a token that is not a number sets that word to 0 and stops;
        running out of tokens stops and leaves the remaining words as they were."""
        words = _init_genrand(5489)
        tokens = text.split()
        for j in range(_N):
            if j >= len(tokens):
                break
            mt = re.match(r"\+?(\d+)", tokens[j])
            if mt is None:
                words[j] = 0
                break
            words[j] = int(mt.group(1)) & _M32
            if mt.end() != len(tokens[j]):
                break
        self.set(words)


class _UniformStream:
    """Uniform draws for a Python loop, taken from the shared state in blocks.

    ``finish`` leaves the state exactly as if the values had been drawn one at a time."""

    def __init__(self, mt, block=4096):
        self.mt = mt
        self.saved = mt.get()
        self.block = block
        self.buf = []
        self.i = 0
        self.used = 0

    def __call__(self):
        if self.i == len(self.buf):
            self.used += self.i
            self.buf = self.mt.uniforms(self.block).tolist()
            self.i = 0
            self.block = min(self.block * 2, 1 << 20)
        v = self.buf[self.i]
        self.i += 1
        return v

    def finish(self):
        self.used += self.i
        self.mt.set(*self.saved)
        self.mt.discard(self.used)


def _seed_urandom():
    return int.from_bytes(os.urandom(4), "little")


# ----------------------------------------------------------------------------------------
# numpy Generator view
# ----------------------------------------------------------------------------------------
_U64F = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p)
_U32F = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p)
_DBLF = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_void_p)


class _BitGenT(ctypes.Structure):
    # numpy/random/bitgen.h
    _fields_ = [
        ("state", ctypes.c_void_p),
        ("next_uint64", _U64F),
        ("next_uint32", _U32F),
        ("next_double", _DBLF),
        ("next_raw", _U64F),
    ]


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


class GalSimBitGenerator(np.random.BitGenerator):
    """A NumPy bit generator that draws from a `BaseDeviate`'s raw stream, so that a
    ``numpy.random.Generator`` built on it advances the deviate (as GalSim's does):
    32-bit draws are raw values, 64-bit draws are two raw values (first in the high
    word), and doubles are ``raw / 2**32``."""

    def __init__(self, rng):
        super().__init__(0)
        self.rng = rng
        mt = rng._mt

        def next32(_):
            return mt.raw()

        def next64(_):
            hi = mt.raw()
            return (hi << 32) + mt.raw()

        def nextd(_):
            return mt.raw() * _TWO_M32

        self._callbacks = (_U64F(next64), _U32F(next32), _DBLF(nextd))
        bg = _BitGenT.from_address(_capsule_pointer(self.capsule, b"BitGenerator"))
        bg.next_uint64 = self._callbacks[0]
        bg.next_uint32 = self._callbacks[1]
        bg.next_double = self._callbacks[2]
        bg.next_raw = self._callbacks[0]


# ----------------------------------------------------------------------------------------
# Deviates
# ----------------------------------------------------------------------------------------
def _copy_into(array, values):
    np.copyto(array, np.asarray(values).reshape(array.shape), casting="unsafe")


class BaseDeviate:
    """Base class of GalSim's random deviates: a Mersenne-Twister (mt19937) stream.

    Parameters:
        seed:   Something that determines the stream [default: None]:

                - an ``int`` (or NumPy integer): seeds the stream as GalSim does; ``0``
                  is the same as ``None``;
                - ``None``: seeds from ``/dev/urandom`` (different every time);
                - a ``str`` from `serialize`: restores a saved state;
                - another `BaseDeviate`: *shares* its stream, so drawing from either
                  advances both.

    A pure `BaseDeviate` draws only raw 32-bit integers (`raw`); the subclasses turn the
    stream into floats with a given distribution.

    JAX notes: deviates are host-side, mutable objects for eager code (they are not
    pytrees).  For ``jit``/``vmap`` use ``jax.random`` keys; `make_key` turns a seed or a
    deviate into one deterministically.
    """

    _name = "BaseDeviate"

    def __init__(self, seed=None):
        self._rng_args = ()
        self.reset(seed)

    # --- seeding -----------------------------------------------------------------------
    def seed(self, seed=0):
        """Reseed the (shared) stream in place with an integer ``seed`` (0: from
        ``/dev/urandom``).  Other deviates sharing the stream follow; their caches (the
        second value of a Gaussian pair) are not cleared."""
        if _isinteger(seed) and not isinstance(seed, str):
            self._seed(int(seed))
        else:
            raise TypeError("BaseDeviate seed must be an integer.  Got %s" % seed)

    def _seed(self, seed=0):
        """Like `seed` without the type check."""
        if seed == 0:
            self._mt.seed32(_seed_urandom())
        else:
            self._mt.seed32(_mt11213b_third(seed))
        self.clearCache()

    def reset(self, seed=None):
        """Start a new stream from ``seed`` (see the class docstring), disconnecting from
        any deviate this one shared its stream with (unless ``seed`` is a deviate, whose
        stream is then shared)."""
        if isinstance(seed, BaseDeviate):
            self._reset(seed)
            return
        if isinstance(seed, str):
            self._mt = _MTState()
            self._mt.deserialize(seed)
        elif seed is None:
            self._mt = _MTState()
            self._mt.seed32(_seed_urandom())
        elif _isinteger(seed):
            self._mt = _MTState()
            seed = int(seed)
            if seed == 0:
                self._mt.seed32(_seed_urandom())
            else:
                self._mt.seed32(_mt11213b_third(seed))
        else:
            raise TypeError("BaseDeviate must be initialized with either an int or another BaseDeviate")
        self._init_cache()

    def _reset(self, rng):
        """Share the stream of the deviate ``rng``."""
        self._mt = rng._mt
        self._init_cache()

    def _init_cache(self):
        pass

    def clearCache(self):
        """Forget any value held back by the distribution (the Gaussian deviate makes
        values in pairs), so the next value is drawn afresh from the stream."""
        pass

    # --- numpy ------------------------------------------------------------------------
    @property
    def np(self):
        """A ``numpy.random.Generator`` that draws from this deviate's stream (shorthand
        for `as_numpy_generator`)."""
        return self.as_numpy_generator()

    def as_numpy_generator(self):
        """A ``numpy.random.Generator`` whose bit generator is this deviate's stream, so
        NumPy's distributions advance (and are reproducible from) the deviate."""
        return np.random.Generator(GalSimBitGenerator(self))

    # --- copies and pickling --------------------------------------------------------------
    def duplicate(self):
        """An independent copy with the same stream state (its distribution cache is
        empty, as in GalSim)."""
        ret = BaseDeviate.__new__(self.__class__)
        ret.__dict__.update(self.__dict__)
        ret._mt = self._mt.copy()
        ret._init_cache()
        return ret

    def __copy__(self):
        return self.duplicate()

    def __getstate__(self):
        d = self.__dict__.copy()
        d["rng_str"] = self.serialize()
        d.pop("_mt")
        for k in self._cache_attrs():
            d.pop(k, None)
        return d

    def __setstate__(self, d):
        d = dict(d)
        rng_str = d.pop("rng_str")
        self.__dict__.update(d)
        self._mt = _MTState()
        self._mt.deserialize(rng_str)
        self._init_cache()

    def _cache_attrs(self):
        return ()

    # --- stream access ---------------------------------------------------------------------
    def discard(self, n, suppress_warnings=False):
        """Advance the stream by ``n`` raw values (as if ``n`` values had been drawn, for
        deviates that use one raw value per value)."""
        if not self.has_reliable_discard and not suppress_warnings:
            galsim_warn(
                self.__class__.__name__
                + " does not use a consistent number of randoms per generated value, "
                + "so discard cannot be guaranteed to keep two random deviates in sync."
            )
        if n % 2 == 1 and self.generates_in_pairs and not suppress_warnings:
            galsim_warn(
                self.__class__.__name__
                + " uses two randoms per pair of generated values, so discarding "
                + "an odd number of randoms probably doesn't make sense."
            )
        self._mt.discard(int(n))

    @property
    def has_reliable_discard(self):
        """Whether each value uses a fixed number of raw values (so `discard` keeps two
        deviates in step)."""
        return True

    @property
    def generates_in_pairs(self):
        """Whether values are made two at a time from a pair of raw values."""
        return False

    def raw(self):
        """The next raw 32-bit integer of the stream."""
        return self._mt.raw()

    def _draw(self, u):
        raise RuntimeError("Cannot draw random values from a pure BaseDeviate object.")

    def _values(self, n):
        """``n`` values of the distribution (after the cache has been cleared)."""
        out = np.empty(n, dtype=float)
        stream = _UniformStream(self._mt)
        try:
            draw = self._draw
            for i in range(n):
                out[i] = draw(stream)
        finally:
            stream.finish()
        return out

    def generate(self, array):
        """Fill the NumPy ``array`` (in place) with values of the distribution."""
        self.clearCache()
        vals = self._values(int(np.size(array)))
        _copy_into(array, vals)

    def add_generate(self, array):
        """Add values of the distribution to the NumPy ``array`` (in place)."""
        self.clearCache()
        vals = self._values(int(np.size(array)))
        _copy_into(array, np.asarray(array, dtype=float).ravel() + vals)

    # --- comparison, repr ----------------------------------------------------------------
    def __eq__(self, other):
        return self is other or (
            isinstance(other, self.__class__)
            and type(other) is type(self)
            and self._rng_args == other._rng_args
            and self.serialize() == other.serialize()
        )

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def serialize(self):
        """The state of the stream as a string of 624 integers (Boost's format), from
        which ``BaseDeviate(string)`` restores it.  Clears the distribution cache."""
        self.clearCache()
        return self._mt.serialize()

    def _seed_repr(self):
        s = self.serialize().split(" ")
        return " ".join(s[:3]) + " ... " + " ".join(s[-3:])

    def __repr__(self):
        return "galsim.BaseDeviate(%r)" % self._seed_repr()

    def __str__(self):
        return "galsim.BaseDeviate(%r)" % self._seed_repr()


class UniformDeviate(BaseDeviate):
    """Uniform random values in [0, 1): each value is ``raw / 2**32`` (Boost's
    uniform_real_distribution), bit-identical to GalSim's for the same seed.

    Parameters:
        seed:   See `BaseDeviate` [default: None].
    """

    def __init__(self, seed=None):
        self._rng_args = ()
        self.reset(seed)

    def __call__(self):
        """The next uniform value in [0, 1)."""
        return self._mt.raw() * _TWO_M32

    def _draw(self, u):
        return u()

    def _values(self, n):
        return self._mt.uniforms(n)

    def __repr__(self):
        return "galsim.UniformDeviate(seed=%r)" % (self._seed_repr())

    def __str__(self):
        return "galsim.UniformDeviate()"


class _NormalCache:
    """Boost's normal_distribution: Box-Muller on a pair of uniforms, returning the cosine
    branch first and holding the sine branch back for the next call."""

    __slots__ = ("valid", "r1", "rho")

    def __init__(self):
        self.valid = False
        self.r1 = 0.0
        self.rho = 0.0

    def draw(self, u, mean, sigma):
        if not self.valid:
            self.r1 = u()
            r2 = u()
            self.rho = math.sqrt(-2.0 * math.log(1.0 - r2))
            self.valid = True
            return self.rho * math.cos(_TWO_PI * self.r1) * sigma + mean
        self.valid = False
        return self.rho * math.sin(_TWO_PI * self.r1) * sigma + mean

    def values(self, mt, n, mean, sigma):
        """``n`` values from an empty cache, leaving the cache as sequential calls would."""
        npair = (n + 1) // 2
        u = mt.uniforms(2 * npair)
        r1 = u[0::2]
        r2 = u[1::2].tolist()
        log, sqrt, cos, sin = math.log, math.sqrt, math.cos, math.sin
        rho = np.array([sqrt(-2.0 * log(1.0 - v)) for v in r2])
        angle = (_TWO_PI * r1).tolist()
        c = np.array([cos(t) for t in angle])
        s = np.array([sin(t) for t in angle])
        out = np.empty(2 * npair)
        out[0::2] = rho * c * sigma + mean
        out[1::2] = rho * s * sigma + mean
        if n % 2 == 1:
            self.valid = True
            self.r1 = float(r1[-1])
            self.rho = float(rho[-1])
        else:
            self.valid = False
        return out[:n]


class GaussianDeviate(BaseDeviate):
    """Gaussian random values with mean ``mean`` and standard deviation ``sigma``.

    Values are made in pairs by the Box-Muller transform of two uniforms, exactly as
    Boost's normal_distribution (which GalSim uses) does, so the stream matches GalSim's.

    Parameters:
        seed:   See `BaseDeviate` [default: None].
        mean:   Mean of the distribution [default: 0].
        sigma:  Standard deviation, >= 0 [default: 1].
    """

    def __init__(self, seed=None, mean=0.0, sigma=1.0):
        if sigma < 0.0:
            raise GalSimRangeError("GaussianDeviate sigma must be > 0.", sigma, 0.0)
        self._rng_args = (float(mean), float(sigma))
        self.reset(seed)

    def _init_cache(self):
        self._normal = _NormalCache()

    def _cache_attrs(self):
        return ("_normal",)

    def clearCache(self):
        self._normal.valid = False

    @property
    def mean(self):
        """The mean of the distribution."""
        return self._rng_args[0]

    @property
    def sigma(self):
        """The standard deviation of the distribution."""
        return self._rng_args[1]

    @property
    def generates_in_pairs(self):
        return True

    def __call__(self):
        """The next Gaussian value."""
        return self._normal.draw(self._mt_uniform, self.mean, self.sigma)

    def _mt_uniform(self):
        return self._mt.raw() * _TWO_M32

    def _draw(self, u):
        return self._normal.draw(u, self.mean, self.sigma)

    def _values(self, n):
        return self._normal.values(self._mt, n, self.mean, self.sigma)

    def generate_from_variance(self, array):
        """Replace each element of ``array`` (a variance) by a zero-mean Gaussian value
        with that variance."""
        var = np.asarray(array, dtype=float).ravel()
        self.clearCache()
        z = self._normal.values(self._mt, var.size, 0.0, 1.0)
        self.clearCache()
        _copy_into(array, z * np.sqrt(var))

    def __repr__(self):
        return "galsim.GaussianDeviate(seed=%r, mean=%r, sigma=%r)" % (
            self._seed_repr(),
            self.mean,
            self.sigma,
        )

    def __str__(self):
        return "galsim.GaussianDeviate(mean=%r, sigma=%r)" % (self.mean, self.sigma)


# --- binomial ------------------------------------------------------------------------------
_BINOMIAL_FC = (
    0.08106146679532726,
    0.04134069595540929,
    0.02767792568499834,
    0.02079067210376509,
    0.01664469118982119,
    0.01387612882307075,
    0.01189670994589177,
    0.01041126526197209,
    0.009255462182712733,
    0.008330563433362871,
)


def _binomial_fc(k):
    # Stirling-series correction to log(k!) (Boost's table for k < 10).
    if k < 10:
        return _BINOMIAL_FC[k]
    ikp1 = 1.0 / (k + 1)
    return (1.0 / 12 - (1.0 / 360 - (1.0 / 1260) * (ikp1 * ikp1)) * (ikp1 * ikp1)) * ikp1


class _Binomial:
    """Boost's binomial_distribution: inversion when (N+1) min(p,1-p) < 11, otherwise
    the BTRD rejection algorithm (Hormann 1993)."""

    def __init__(self, t, p):
        self.t = t
        self.p = p
        pp = (1 - p) if 0.5 < p else p
        self.m = int((t + 1) * pp)
        if self.m < 11:
            self.q_n = math.pow(1 - pp, float(t))
        else:
            r = pp / (1 - pp)
            self.r = r
            self.nr = (t + 1) * r
            self.npq = t * pp * (1 - pp)
            sqrt_npq = math.sqrt(self.npq)
            self.b = 1.15 + 2.53 * sqrt_npq
            self.a = -0.0873 + 0.0248 * self.b + 0.01 * pp
            self.c = t * pp + 0.5
            self.alpha = (2.83 + 5.1 / self.b) * sqrt_npq
            self.v_r = 0.92 - 4.2 / self.b
            self.u_rv_r = 0.86 * self.v_r

    def draw(self, u):
        t, p = self.t, self.p
        if self.m < 11:
            if 0.5 < p:
                return t - self._invert(t, 1 - p, u)
            return self._invert(t, p, u)
        if 0.5 < p:
            return t - self._btrd(u)
        return self._btrd(u)

    def _invert(self, t, p, u):
        q = 1 - p
        s = p / q
        a = (t + 1) * s
        r = self.q_n
        v = u()
        x = 0
        while v > r:
            v = v - r
            x += 1
            r = ((a / x) - s) * r
        return x

    def _btrd(self, uni):
        floor, log = math.floor, math.log
        t, m = self.t, self.m
        a, b, c, v_r, alpha = self.a, self.b, self.c, self.v_r, self.alpha
        r, nr, npq = self.r, self.nr, self.npq
        while True:
            v = uni()
            if v <= self.u_rv_r:
                u = v / v_r - 0.43
                return int(floor((2 * a / (0.5 - abs(u)) + b) * u + c))
            if v >= v_r:
                u = uni() - 0.5
            else:
                u = v / v_r - 0.93
                u = (-0.5 if u < 0 else 0.5) - u
                v = uni() * v_r
            us = 0.5 - abs(u)
            k = int(floor((2 * a / us + b) * u + c))
            if k < 0 or k > t:
                continue
            v = v * alpha / (a / (us * us) + b)
            km = float(abs(k - m))
            if km <= 15:
                f = 1.0
                if m < k:
                    i = m
                    while True:
                        i += 1
                        f = f * (nr / i - r)
                        if i == k:
                            break
                elif m > k:
                    i = k
                    while True:
                        i += 1
                        v = v * (nr / i - r)
                        if i == m:
                            break
                if v <= f:
                    return k
                continue
            v = log(v)
            rho = (km / npq) * (((km / 3.0 + 0.625) * km + 1.0 / 6) / npq + 0.5)
            tt = -km * km / (2 * npq)
            if v < tt - rho:
                return k
            if v > tt + rho:
                continue
            nm = t - m + 1
            h = (m + 0.5) * log((m + 1) / (r * nm)) + _binomial_fc(m) + _binomial_fc(t - m)
            nk = t - k + 1
            if v <= (
                h
                + (t + 1) * log(float(nm) / nk)
                + (k + 0.5) * log(nk * r / (k + 1))
                - _binomial_fc(k)
                - _binomial_fc(t - k)
            ):
                return k


class BinomialDeviate(BaseDeviate):
    """Binomial random values: the number of successes in ``N`` trials of probability
    ``p`` (as floats).  Same algorithm and stream as GalSim (Boost's binomial_distribution).

    Parameters:
        seed:   See `BaseDeviate` [default: None].
        N:      The number of trials [default: 1].
        p:      The probability of success of each trial [default: 0.5].
    """

    def __init__(self, seed=None, N=1, p=0.5):
        self._rng_args = (int(N), float(p))
        self._dist = _Binomial(int(N), float(p))
        self.reset(seed)

    @property
    def n(self):
        """The number of trials."""
        return self._rng_args[0]

    @property
    def p(self):
        """The probability of success of each trial."""
        return self._rng_args[1]

    def __call__(self):
        """The next binomial value."""
        return float(self._dist.draw(self._uniform))

    def _uniform(self):
        return self._mt.raw() * _TWO_M32

    def _draw(self, u):
        return self._dist.draw(u)

    def __repr__(self):
        return "galsim.BinomialDeviate(seed=%r, N=%r, p=%r)" % (self._seed_repr(), self.n, self.p)

    def __str__(self):
        return "galsim.BinomialDeviate(N=%r, p=%r)" % (self.n, self.p)


# --- Poisson -------------------------------------------------------------------------------
_POISSON_LOG_FACTORIAL = (
    0.0,
    0.0,
    0.69314718055994529,
    1.7917594692280550,
    3.1780538303479458,
    4.7874917427820458,
    6.5792512120101012,
    8.5251613610654147,
    10.604602902745251,
    12.801827480081469,
)
_LOG_SQRT_2PI = 0.91893853320467267
_MAX_POISSON = float(1 << 30)


class _Poisson:
    """Boost's poisson_distribution: inversion for mean < 10, otherwise the PTRD
    rejection algorithm (Hormann 1993)."""

    __slots__ = ("mean", "exp_mean", "smu", "b", "a", "inv_alpha", "v_r")

    def __init__(self, mean):
        self.mean = mean
        if mean < 10:
            self.exp_mean = math.exp(-mean)
        else:
            self.smu = math.sqrt(mean)
            self.b = 0.931 + 2.53 * self.smu
            self.a = -0.059 + 0.02483 * self.b
            self.inv_alpha = 1.1239 + 1.1328 / (self.b - 3.4)
            self.v_r = 0.9277 - 3.6224 / (self.b - 2)

    def draw(self, uni):
        mean = self.mean
        if mean < 10:
            p = self.exp_mean
            x = 0
            u = uni()
            while u > p:
                u = u - p
                x += 1
                p = mean * p / x
            return x
        a, b, v_r = self.a, self.b, self.v_r
        while True:
            v = uni()
            if v <= 0.86 * v_r:
                u = v / v_r - 0.43
                return int(math.floor((2 * a / (0.5 - abs(u)) + b) * u + mean + 0.445))
            k = self._attempt(v, uni())
            if k is not None:
                return k

    def _attempt(self, v, u2):
        """One PTRD attempt whose first uniform ``v`` missed the fast region (it always
        takes exactly one more uniform ``u2``): the value, or None if rejected."""
        floor, log = math.floor, math.log
        mean, a, b, v_r = self.mean, self.a, self.b, self.v_r
        if v >= v_r:
            u = u2 - 0.5
        else:
            u = v / v_r - 0.93
            u = (-0.5 if u < 0 else 0.5) - u
            v = u2 * v_r
        us = 0.5 - abs(u)
        if us < 0.013 and v > us:
            return None
        k = floor((2 * a / us + b) * u + mean + 0.445)
        v = v * self.inv_alpha / (a / (us * us) + b)
        if k >= 10:
            if log(v * self.smu) <= (
                (k + 0.5) * log(mean / k)
                - mean
                - _LOG_SQRT_2PI
                + k
                - (1 / 12.0 - (1 / 360.0 - 1 / (1260.0 * k * k)) / (k * k)) / k
            ):
                return int(k)
        elif k >= 0:
            if log(v) <= k * log(mean) - mean - _POISSON_LOG_FACTORIAL[int(k)]:
                return int(k)
        return None

    def values(self, mt, n):
        """``n`` values for this one mean, leaving ``mt`` as ``n`` sequential draws would.

        Inversion (mean < 10) takes one uniform per value.  For PTRD the stream splits
        into attempts of one uniform (fast acceptance, when it is <= 0.86 v_r) or two
        (everything else), independently of the outcome, so the attempt boundaries are
        found with array operations and only the two-uniform attempts run in Python."""
        mean = self.mean
        if n == 0:
            return np.empty(0)
        if mean < 10:
            u = mt.uniforms(n)
            x = np.zeros(n)
            p = np.full(n, self.exp_mean)
            idx = np.nonzero(u > p)[0]
            while idx.size:
                u[idx] = u[idx] - p[idx]
                x[idx] += 1
                p[idx] = mean * p[idx] / x[idx]
                idx = idx[u[idx] > p[idx]]
            return x
        a, b, v_r = self.a, self.b, self.v_r
        thresh = 0.86 * v_r
        saved = mt.get()
        pieces = []
        have = 0
        consumed = 0  # uniforms used by the attempts already kept
        # Expected uniforms per value: (2 - fast fraction) per attempt, plus rejections.
        U = mt.uniforms(int(n * (2.0 - thresh) * 1.15) + 64)
        while True:
            L = U.size
            fast = U <= thresh
            pos = np.arange(L)
            last_fast = np.maximum.accumulate(np.where(fast, pos, -1))
            prev = np.concatenate(([-1], last_fast[:-1]))
            starts = pos[(pos - prev - 1) % 2 == 0]
            if starts.size and not fast[starts[-1]] and starts[-1] == L - 1:
                starts = starts[:-1]  # its second uniform is in the next block
            sfast = fast[starts]
            vals = np.empty(starts.size)
            ok = np.ones(starts.size, dtype=bool)
            u = U[starts[sfast]] / v_r - 0.43
            vals[sfast] = np.floor((2 * a / (0.5 - np.abs(u)) + b) * u + mean + 0.445)
            slow = np.nonzero(~sfast)[0]
            if slow.size:
                attempt = self._attempt
                s0 = starts[slow]
                res = [attempt(v, w) for v, w in zip(U[s0].tolist(), U[s0 + 1].tolist())]
                ok[slow] = [r is not None for r in res]
                vals[slow] = [0 if r is None else r for r in res]
            count = np.cumsum(ok)
            got = int(count[-1]) if count.size else 0
            if have + got >= n:
                last = int(np.searchsorted(count, n - have))
                end = int(starts[last]) + (1 if sfast[last] else 2)
                pieces.append(vals[ok][: n - have])
                mt.set(*saved)
                mt.discard(consumed + end)
                return np.concatenate(pieces)
            pieces.append(vals[ok])
            have += got
            end = int(starts[-1]) + (1 if sfast[-1] else 2) if starts.size else 0
            consumed += end
            U = np.concatenate((U[end:], mt.uniforms(int((n - have) * (2.0 - thresh) * 1.15) + 64)))


class PoissonDeviate(BaseDeviate):
    """Poisson random values with mean ``mean`` (as floats).

    For ``mean > 2**30`` (and for ``mean == 0``) GalSim switches to a Gaussian with
    variance ``mean`` (whose values need not be integers); this does the same.  Same
    algorithms and stream as GalSim (Boost's poisson_distribution).

    Parameters:
        seed:   See `BaseDeviate` [default: None].
        mean:   The mean of the distribution, >= 0 [default: 1].
    """

    def __init__(self, seed=None, mean=1.0):
        if mean < 0:
            raise GalSimValueError("PoissonDeviate is only defined for mean >= 0.", mean)
        self._rng_args = (float(mean),)
        self.reset(seed)

    def _init_cache(self):
        self._cur_mean = None
        self._pd = None
        self._gd = None
        self._set_mean(self._rng_args[0])

    def _cache_attrs(self):
        return ("_cur_mean", "_pd", "_gd")

    def _set_mean(self, mean):
        # As GalSim's PoissonDeviateImpl::setMean: nothing happens for an unchanged mean;
        # changing it (re)parametrises the distribution, which clears the Gaussian cache.
        if mean != self._cur_mean:
            self._cur_mean = mean
            if mean > _MAX_POISSON or mean == 0.0:
                self._pd = None
                if self._gd is None:
                    self._gd = _NormalCache()
                self._gd.valid = False
                self._gd_sigma = math.sqrt(mean)
            else:
                self._gd = None
                self._pd = _Poisson(mean)

    def clearCache(self):
        if self._gd is not None:
            self._gd.valid = False

    @property
    def mean(self):
        """The mean of the distribution."""
        return self._rng_args[0]

    @property
    def has_reliable_discard(self):
        return False

    def _uniform(self):
        return self._mt.raw() * _TWO_M32

    def _draw(self, u):
        if self._gd is not None:
            return self._gd.draw(u, self._cur_mean, self._gd_sigma)
        return float(self._pd.draw(u))

    def __call__(self):
        """The next Poisson value."""
        return self._draw(self._uniform)

    def _values(self, n):
        if self._gd is not None:
            return self._gd.values(self._mt, n, self._cur_mean, self._gd_sigma)
        return self._pd.values(self._mt, n)

    def generate_from_expectation(self, array):
        """Replace each element of ``array`` (an expectation value, >= 0) by a Poisson
        value with that mean.  Elements equal to 0 are left as they are."""
        if np.any(np.asarray(array) < 0):
            raise GalSimValueError("Expectation array may not have values < 0.", array)
        means = np.asarray(array, dtype=float).ravel()
        out = means.copy()
        old_mean = self._cur_mean
        idx = np.nonzero(means > 0.0)[0]
        if idx.size > 0:
            sub = means[idx]
            if np.all(sub == sub[0]):
                # One mean for every element (e.g. a flat sky): same sequence, drawn as a
                # block.
                self._set_mean(float(sub[0]))
                if self._gd is not None and not self._gd.valid:
                    out[idx] = self._gd.values(self._mt, idx.size, self._cur_mean, self._gd_sigma)
                else:
                    out[idx] = self._values_loop(idx.size)
            else:
                stream = _UniformStream(self._mt)
                try:
                    vals = np.empty(idx.size)
                    setm, draw = self._set_mean, self._draw
                    for j, mu in enumerate(sub.tolist()):
                        setm(mu)
                        vals[j] = draw(stream)
                    out[idx] = vals
                finally:
                    stream.finish()
        self._set_mean(old_mean)
        _copy_into(array, out)

    def _values_loop(self, n):
        if self._pd is not None:
            return self._pd.values(self._mt, n)
        return BaseDeviate._values(self, n)

    def __repr__(self):
        return "galsim.PoissonDeviate(seed=%r, mean=%r)" % (self._seed_repr(), self.mean)

    def __str__(self):
        return "galsim.PoissonDeviate(mean=%r)" % (self.mean)


class WeibullDeviate(BaseDeviate):
    """Weibull random values with shape ``a`` and scale ``b``: ``b (-ln(1-u))**(1/a)``
    for a uniform ``u`` (Boost's weibull_distribution), the same stream as GalSim.

    Parameters:
        seed:   See `BaseDeviate` [default: None].
        a:      The shape parameter [default: 1].
        b:      The scale parameter [default: 1].
    """

    def __init__(self, seed=None, a=1.0, b=1.0):
        self._rng_args = (float(a), float(b))
        self.reset(seed)

    @property
    def a(self):
        """The shape parameter a."""
        return self._rng_args[0]

    @property
    def b(self):
        """The scale parameter b."""
        return self._rng_args[1]

    def _draw(self, u):
        a, b = self._rng_args
        return b * math.pow(-math.log(1 - u()), 1 / a)

    def __call__(self):
        """The next Weibull value."""
        a, b = self._rng_args
        return b * math.pow(-math.log(1 - self._mt.raw() * _TWO_M32), 1 / a)

    def _values(self, n):
        a, b = self._rng_args
        ia = 1 / a
        pw, log = math.pow, math.log
        return np.array([b * pw(-log(1 - v), ia) for v in self._mt.uniforms(n).tolist()], dtype=float)

    def __repr__(self):
        return "galsim.WeibullDeviate(seed=%r, a=%r, b=%r)" % (self._seed_repr(), self.a, self.b)

    def __str__(self):
        return "galsim.WeibullDeviate(a=%r, b=%r)" % (self.a, self.b)


def _gamma_draw(alpha, beta, p, uni):
    """Boost's gamma_distribution (shape ``alpha``, scale ``beta``; ``p = e/(alpha+e)``)."""
    log, exp = math.log, math.exp
    if alpha == 1.0:
        return (-1.0 / 1.0 * log(1.0 - uni())) * beta
    if alpha > 1.0:
        s = math.sqrt(2.0 * alpha - 1.0)
        while True:
            y = math.tan(math.pi * uni())
            x = s * y + alpha - 1.0
            if x <= 0.0:
                continue
            if uni() > (1.0 + y * y) * exp((alpha - 1.0) * log(x / (alpha - 1.0)) - s * y):
                continue
            return x * beta
    while True:
        u = uni()
        y = -1.0 / 1.0 * log(1.0 - uni())
        if u < p:
            x = exp(-y / alpha)
            q = p * exp(-x)
        else:
            x = 1.0 + y
            q = p + (1.0 - p) * math.pow(x, alpha - 1.0)
        if u >= q:
            continue
        return x * beta


class GammaDeviate(BaseDeviate):
    """Gamma random values with shape ``k`` and scale ``theta`` (pdf proportional to
    ``x**(k-1) exp(-x/theta)``), with Boost's algorithm and GalSim's stream.

    Parameters:
        seed:   See `BaseDeviate` [default: None].
        k:      The shape parameter, > 0 [default: 1].
        theta:  The scale parameter, > 0 [default: 1].
    """

    def __init__(self, seed=None, k=1.0, theta=1.0):
        self._rng_args = (float(k), float(theta))
        self.reset(seed)

    @property
    def k(self):
        """The shape parameter k."""
        return self._rng_args[0]

    @property
    def theta(self):
        """The scale parameter theta."""
        return self._rng_args[1]

    @property
    def has_reliable_discard(self):
        return False

    def _draw(self, u):
        k, theta = self._rng_args
        return _gamma_draw(k, theta, math.e / (k + math.e), u)

    def __call__(self):
        """The next gamma value."""
        return self._draw(lambda: self._mt.raw() * _TWO_M32)

    def __repr__(self):
        return "galsim.GammaDeviate(seed=%r, k=%r, theta=%r)" % (self._seed_repr(), self.k, self.theta)

    def __str__(self):
        return "galsim.GammaDeviate(k=%r, theta=%r)" % (self.k, self.theta)


class Chi2Deviate(BaseDeviate):
    """Chi-square random values with ``n`` degrees of freedom (twice a gamma value of
    shape ``n/2``), with Boost's algorithm and GalSim's stream.

    Parameters:
        seed:   See `BaseDeviate` [default: None].
        n:      The number of degrees of freedom [default: 1].
    """

    def __init__(self, seed=None, n=1.0):
        self._rng_args = (float(n),)
        self.reset(seed)

    @property
    def n(self):
        """The number of degrees of freedom."""
        return self._rng_args[0]

    @property
    def has_reliable_discard(self):
        return False

    def _draw(self, u):
        alpha = self._rng_args[0] / 2
        return 2 * _gamma_draw(alpha, 1.0, math.e / (alpha + math.e), u)

    def __call__(self):
        """The next chi-square value."""
        return self._draw(lambda: self._mt.raw() * _TWO_M32)

    def __repr__(self):
        return "galsim.Chi2Deviate(seed=%r, n=%r)" % (self._seed_repr(), self.n)

    def __str__(self):
        return "galsim.Chi2Deviate(n=%r)" % (self.n)


# --- DistDeviate ---------------------------------------------------------------------------
class DistDeviate(BaseDeviate):
    """Random values drawn from an arbitrary probability distribution, by inverting its
    cumulative distribution (tabulated and linearly interpolated) at a uniform value.

    Parameters:
        seed:           See `BaseDeviate` [default: None].
        function:       The (unnormalised) probability density: a `LookupTable`, a
                        callable of one variable, a string that evaluates to a function
                        of ``x`` (``'x**2'``), or the name of a two-column file.
        x_min, x_max:   The range of x (required for a callable or string function;
                        taken from the table otherwise).
        interpolant:    The interpolant for a file name [default: 'linear'].
        npoints:        The number of points at which a function is integrated to build
                        the cumulative distribution [default: 256; for a `LookupTable`
                        without log axes its own abscissae are used].
        clip_neg:       Set negative probabilities to 0 instead of raising [default:
                        False].

    The uniform values are those of a `UniformDeviate` on the same stream, so the values
    match GalSim's up to the rounding of the tabulated inverse cdf.
    """

    def __init__(
        self, seed=None, function=None, x_min=None, x_max=None, interpolant=None, npoints=None, clip_neg=False
    ):
        from . import integ
        from .utilities import math_eval

        self._rng_args = ()
        self.reset(seed)
        if function is None:
            raise TypeError("You must pass a function to DistDeviate!")
        from .table import LookupTable, _LookupTable
        self._interpolant = interpolant
        self._npoints = npoints
        self._xmin = x_min
        self._xmax = x_max

        if isinstance(function, str):
            self._function = function
            if os.path.isfile(function):
                if interpolant is None:
                    interpolant = "linear"
                if x_min or x_max:
                    raise GalSimIncompatibleValuesError(
                        "Cannot pass x_min or x_max with a filename argument",
                        function=function,
                        x_min=x_min,
                        x_max=x_max,
                    )
                function = LookupTable.from_file(function, interpolant=interpolant)
                x_min = function.x_min
                x_max = function.x_max
            else:
                try:
                    function = math_eval("lambda x : " + function)
                    if x_min is not None:
                        function(x_min)
                    else:
                        function(0.6)
                except Exception as e:
                    raise GalSimValueError(
                        "String function must either be a valid filename or something that "
                        "can eval to a function of x.\n"
                        "Caught error: {0}".format(e),
                        self._function,
                    )
        else:
            if not hasattr(function, "__call__"):
                raise TypeError("function must be a callable function or a string")
            if interpolant:
                raise GalSimIncompatibleValuesError(
                    "Cannot provide an interpolant with a callable function argument",
                    interpolant=interpolant,
                    function=function,
                )
            if isinstance(function, LookupTable):
                if (x_min not in (None, function.x_min)) or (x_max not in (None, function.x_max)):
                    raise GalSimIncompatibleValuesError(
                        "Cannot provide x_min or x_max with a LookupTable function",
                        function=function,
                        x_min=x_min,
                        x_max=x_max,
                    )
                x_min = function.x_min
                x_max = function.x_max
            else:
                if x_min is None or x_max is None:
                    raise GalSimIncompatibleValuesError(
                        "Must provide x_min and x_max when function argument is a regular python callable function",
                        function=function,
                        x_min=x_min,
                        x_max=x_max,
                    )
            self._function = function

        is_table = isinstance(function, LookupTable)
        if npoints is None and is_table and not function.x_log and not function.f_log:
            xarray = np.array(function.x, dtype=float)
            pdf = np.array(function.f, dtype=float)
            pdf[1:] = pdf[1:] + pdf[:-1]
            pdf[1:] *= np.diff(xarray)
            pdf[0] = 0.0
        else:
            if npoints is None:
                npoints = 256
            xarray = x_min + (1.0 * x_max - x_min) / (npoints - 1) * np.array(range(npoints), float)
            pdf = [0.0] + [integ.int1d(function, xarray[i], xarray[i + 1]) for i in range(npoints - 1)]
            pdf = np.array(pdf)

        if clip_neg:
            pdf[~(pdf >= 0)] = 0.0
        elif not np.all(pdf >= 0.0):
            raise GalSimValueError("Negative probability found in DistDeviate.", function)

        cdf = np.cumsum(pdf)
        cdf /= cdf[-1]
        self._inverse_cdf = _LookupTable(cdf, xarray, interpolant='linear')
        self.x_min = x_min
        self.x_max = x_max

    def val(self, p):
        """The value x at which the cumulative probability is ``p`` (0 <= p <= 1)."""
        if p < 0 or p > 1:
            raise GalSimRangeError("Invalid cumulative probability for DistDeviate", p, 0.0, 1.0)
        return self._inverse_cdf(p)

    def __call__(self):
        """The next value of the distribution."""
        return self._inverse_cdf(self._mt.raw() * _TWO_M32)

    def _values(self, n):
        return np.asarray(self._inverse_cdf(self._mt.uniforms(n)), dtype=float)

    def __repr__(self):
        return ("galsim.DistDeviate(seed=%r, function=%r, x_min=%r, x_max=%r, interpolant=%r, npoints=%r)") % (
            self._seed_repr(),
            self._function,
            self._xmin,
            self._xmax,
            self._interpolant,
            self._npoints,
        )

    def __str__(self):
        return 'galsim.DistDeviate(function="%s", x_min=%s, x_max=%s, interpolant=%s, npoints=%s)' % (
            self._function,
            self._xmin,
            self._xmax,
            self._interpolant,
            self._npoints,
        )

    def __eq__(self, other):
        return self is other or (
            isinstance(other, DistDeviate)
            and self.serialize() == other.serialize()
            and self._function == other._function
            and self._xmin == other._xmin
            and self._xmax == other._xmax
            and self._interpolant == other._interpolant
            and self._npoints == other._npoints
        )

    __hash__ = None


# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------
def permute(rng, *args):
    """Shuffle the lists ``args`` in place, all by the same permutation, using a
    `UniformDeviate` on the stream of ``rng`` (a seed or a `BaseDeviate`)."""
    ud = UniformDeviate(rng)
    if len(args) == 0:
        raise TypeError("permute called with no lists to permute")
    n = len(args[0])
    for i in range(n - 1, 1, -1):
        j = int((i + 1) * ud())
        if j == i + 1:
            j = i
        for lst in args:
            lst[i], lst[j] = lst[j], lst[i]


def make_key(seed_or_deviate):
    """A ``jax.random`` key determined by a seed or by a deviate's stream.

    Parameters:
        seed_or_deviate:    An integer seed (as for `BaseDeviate`; the key is that of
                            ``make_key(BaseDeviate(seed))``, so 0/None are random), a
                            `BaseDeviate` (advanced by two raw values, so successive calls
                            give independent keys), or an existing ``jax.random`` key
                            (returned unchanged).

    Returns:
        A key for ``jax.random`` functions (``jax.random.PRNGKey``'s format for the default
        implementation), usable inside ``jit``/``vmap``.
    """
    import jax

    if isinstance(seed_or_deviate, jax.Array) and not isinstance(seed_or_deviate, numbers.Number):
        if np.ndim(seed_or_deviate) > 0 or jax.dtypes.issubdtype(seed_or_deviate.dtype, jax.dtypes.prng_key):
            return seed_or_deviate
    if isinstance(seed_or_deviate, BaseDeviate):
        dev = seed_or_deviate
    else:
        dev = BaseDeviate(seed_or_deviate)
    hi = dev.raw()
    lo = dev.raw()
    key = jax.random.PRNGKey(np.uint32(hi))
    return jax.random.fold_in(key, np.uint32(lo))
