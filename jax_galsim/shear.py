"""Shears: the area-preserving stretch of an ellipse, in GalSim's conventions.

A :class:`Shear` is stored as its reduced shear ``g = g1 + i g2`` and can be built from
any of GalSim's parametrisations (reduced shear ``g``, distortion ``e``, conformal shear
``eta``, axis ratio ``q`` with position angle ``beta``).

JAX notes
    :class:`Shear` is a pytree with two real leaves, ``g1`` and ``g2`` (not one complex
    leaf), so ``jax.grad``/``jax.jacfwd`` with respect to the shear components work.
    When both components are concrete Python floats every result is computed exactly as
    GalSim does (complex Python arithmetic, NumPy), giving bit-identical floats.  When a
    component is a JAX value (traced inside ``jit``/``grad``/``vmap``, or a JAX array)
    the same quantities are computed with real ``jax.numpy`` formulas written so that
    values and gradients stay finite at zero shear (no ``sqrt``/``arctan2`` of zero
    inside the differentiated path).  Range checks (``|g| <= 1`` etc.) run only on
    concrete values.
"""


import numpy as np

from .angle import Angle, _Angle, radians
from .core.backend import as_scalar, is_jax, is_traced, xp
from .core.pytree import Pytree
from .errors import GalSimIncompatibleValuesError, GalSimRangeError

__all__ = ["Shear", "_Shear"]


# --------------------------------------------------------------------------------------
# Scale factors between parametrisations.  Each returns the factor f such that
# (new components) = f * (old components).  The "_py" versions follow GalSim's own
# branches for Python floats; the "_arr" versions are array/JAX formulas expressed in
# terms of the *squared* modulus so that they are smooth (finite gradients) at zero.
# --------------------------------------------------------------------------------------


def _g2e_py(absgsq):
    # e = 2 g / (1 + g^2)
    return 2.0 / (1.0 + absgsq)


def _e2g_py(absesq):
    # g = e / (1 + sqrt(1 - e^2)); Taylor series near e = 0
    if absesq > 1.0e-4:
        return 1.0 / (1.0 + float(np.sqrt(1.0 - absesq)))
    return 0.5 + absesq * (0.125 + absesq * (0.0625 + absesq * 0.0390625))


def _g2eta_py(absg):
    # eta = 2 atanh(g)
    if absg > 1.0e-4:
        return 2.0 * float(np.arctanh(absg)) / absg
    absgsq = absg * absg
    return 2.0 + absgsq * ((2.0 / 3.0) + absgsq * 0.4)


def _eta2g_py(abseta):
    # g = tanh(eta / 2)
    if abseta > 1.0e-4:
        return float(np.tanh(0.5 * abseta)) / abseta
    absetasq = abseta * abseta
    return 0.5 + absetasq * ((-1.0 / 24.0) + absetasq * (1.0 / 240.0))


def _safe_sqrt(m, xsq, tiny):
    """sqrt(xsq) with a finite gradient at 0: (sqrt, is_small, safe_xsq)."""
    small = xsq <= tiny
    safe = m.where(small, 1.0, xsq)
    return m.where(small, 0.0, m.sqrt(safe)), small, safe


def _e2g_arr(m, esq):
    small = esq <= 1.0e-4
    safe = m.where(small, 0.5, esq)
    big = 1.0 / (1.0 + m.sqrt(1.0 - safe))
    taylor = 0.5 + esq * (0.125 + esq * (0.0625 + esq * 0.0390625))
    return m.where(small, taylor, big)


def _g2eta_arr(m, gsq):
    small = gsq <= 1.0e-8
    safe = m.where(small, 0.25, gsq)
    absg = m.sqrt(safe)
    big = 2.0 * m.arctanh(absg) / absg
    taylor = 2.0 + gsq * ((2.0 / 3.0) + gsq * 0.4)
    return m.where(small, taylor, big)


def _eta2g_arr(m, etasq):
    small = etasq <= 1.0e-8
    safe = m.where(small, 1.0, etasq)
    abseta = m.sqrt(safe)
    big = m.tanh(0.5 * abseta) / abseta
    taylor = 0.5 + etasq * ((-1.0 / 24.0) + etasq * (1.0 / 240.0))
    return m.where(small, taylor, big)


def _is_py(*values):
    """True if all values are Python floats (the GalSim-exact path)."""
    return all(isinstance(v, float) for v in values)


def _any_concrete(cond):
    """``np.any(cond)`` for concrete values; False when traced (checks are skipped)."""
    if is_traced(cond):
        return False
    return bool(np.any(np.asarray(cond)))


def _is_complex_value(value):
    if isinstance(value, complex):
        return True
    if is_jax(value) or isinstance(value, np.ndarray):
        return np.issubdtype(value.dtype, np.complexfloating)
    return False


def _split_complex(z):
    """(real, imag) of a complex scalar or array, Python floats when concrete scalar."""
    if isinstance(z, complex):
        return float(z.real), float(z.imag)
    return as_scalar(z.real), as_scalar(z.imag)


class Shear(Pytree):
    r"""A shear: the reduced shear :math:`g = g_1 + i g_2` and its other parametrisations.

    For an ellipse with semi-axes :math:`a \ge b` whose major axis is at position angle
    :math:`\beta` (counter-clockwise from +x), with axis ratio :math:`q = b/a`:

    * reduced shear  :math:`|g| = (a-b)/(a+b)`,
    * distortion     :math:`|e| = (a^2-b^2)/(a^2+b^2)`,
    * conformal shear :math:`|\eta| = \ln(a/b)`,

    and each complex form is its modulus times :math:`\exp(2i\beta)`.

    Construct with exactly one of (all keyword arguments):

    * ``g1``, ``g2`` (either may be omitted, default 0),
    * ``e1``, ``e2``,
    * ``eta1``, ``eta2``,
    * ``g`` and ``beta``, ``e`` and ``beta``, ``eta`` and ``beta``, ``q`` and ``beta``
      (``beta`` an :class:`Angle`),

    or one positional complex number ``g1 + 1j*g2`` (or another :class:`Shear`), or
    nothing for zero shear.

    ``s1 + s2`` is the shear equivalent to applying ``s2`` then ``s1`` (up to a
    rotation, see :meth:`rotationWith`); ``-s`` is the inverse shear; ``s1 - s2`` is
    ``s1 + (-s2)``.

    Raises:
        GalSimRangeError: for a modulus outside its allowed range (e.g. ``|g| > 1``).
        GalSimIncompatibleValuesError: if ``beta`` is missing or given without a modulus.
        TypeError: for unknown or conflicting arguments, or ``beta`` not an Angle.
    """

    _leaves = ("_g1", "_g2")
    _static = ()

    def __init__(self, *args, **kwargs):
        if len(kwargs) > 2:
            raise TypeError("Shear constructor received >2 keyword arguments: %s" % kwargs.keys())
        if len(args) > 1:
            raise TypeError("Shear constructor received >1 non-keyword arguments: %s" % str(args))

        if len(args) == 1:
            arg = args[0]
            if isinstance(arg, Shear):
                g1, g2 = arg._g1, arg._g2
            elif _is_complex_value(arg):
                g1, g2 = _split_complex(arg)
            else:
                raise TypeError("Non-keyword argument to Shear must be complex g1 + 1j * g2")
            if kwargs:
                raise TypeError(
                    "Shear constructor got unexpected extra argument(s): %s" % kwargs.keys()
                )
            self._g1, self._g2 = g1, g2
            return

        if not kwargs:
            g1, g2 = 0.0, 0.0

        elif "g1" in kwargs or "g2" in kwargs:
            g1 = as_scalar(kwargs.pop("g1", 0.0))
            g2 = as_scalar(kwargs.pop("g2", 0.0))
            if _is_py(g1, g2):
                absg = abs(complex(g1, g2))
                if absg > 1.0:
                    raise GalSimRangeError("Requested shear exceeds 1.", complex(g1, g2), 0.0, 1.0)
            elif _any_concrete(g1 * g1 + g2 * g2 > 1.0):
                raise GalSimRangeError("Requested shear exceeds 1.", (g1, g2), 0.0, 1.0)

        elif "e1" in kwargs or "e2" in kwargs:
            e1 = as_scalar(kwargs.pop("e1", 0.0))
            e2 = as_scalar(kwargs.pop("e2", 0.0))
            absesq = e1**2 + e2**2
            if _any_concrete(absesq > 1.0):
                raise GalSimRangeError(
                    "Requested distortion exceeds 1.", np.sqrt(np.asarray(absesq)), 0.0, 1.0
                )
            if _is_py(e1, e2):
                z = complex(e1, e2) * _e2g_py(absesq)
                g1, g2 = float(z.real), float(z.imag)
            else:
                f = _e2g_arr(xp(e1, e2), absesq)
                g1, g2 = e1 * f, e2 * f

        elif "eta1" in kwargs or "eta2" in kwargs:
            eta1 = as_scalar(kwargs.pop("eta1", 0.0))
            eta2 = as_scalar(kwargs.pop("eta2", 0.0))
            if _is_py(eta1, eta2):
                eta = complex(eta1, eta2)
                z = eta * _eta2g_py(abs(eta))
                g1, g2 = float(z.real), float(z.imag)
            else:
                f = _eta2g_arr(xp(eta1, eta2), eta1**2 + eta2**2)
                g1, g2 = eta1 * f, eta2 * f

        elif "g" in kwargs or "e" in kwargs or "eta" in kwargs or "q" in kwargs:
            name = [n for n in ("g", "e", "eta", "q") if n in kwargs][0]
            if "beta" not in kwargs:
                raise GalSimIncompatibleValuesError(
                    "Shear constructor requires beta when %s is specified." % name,
                    **{name: kwargs[name], "beta": None}
                )
            beta = kwargs.pop("beta")
            if not isinstance(beta, Angle):
                raise TypeError("beta must be an Angle instance.")
            value = as_scalar(kwargs.pop(name))
            g1, g2 = self._from_modulus(name, value, beta)

        elif "beta" in kwargs:
            raise GalSimIncompatibleValuesError(
                "beta provided to Shear constructor, but not g/e/eta/q",
                beta=kwargs["beta"], e=None, g=None, q=None, eta=None,
            )

        if kwargs:
            raise TypeError("Shear constructor got unexpected extra argument(s): %s" % kwargs.keys())

        self._g1, self._g2 = g1, g2

    @staticmethod
    def _from_modulus(name, value, beta):
        """(g1, g2) from a modulus ``value`` of kind ``name`` and a position angle."""
        if name == "g":
            if _any_concrete((value > 1) | (value < 0)):
                raise GalSimRangeError("Requested |shear| is outside [0,1].", value, 0.0, 1.0)
        elif name == "e":
            if _any_concrete((value > 1) | (value < 0)):
                raise GalSimRangeError("Requested distortion is outside [0,1].", value, 0.0, 1.0)
        elif name == "eta":
            if _any_concrete(value < 0):
                raise GalSimRangeError("Requested eta is below 0.", value, 0.0)
        else:  # q
            if _any_concrete((value <= 0) | (value > 1)):
                raise GalSimRangeError("Cannot use requested axis ratio.", value, 0.0, 1.0)

        beta_rad = beta.rad
        if _is_py(value) and not is_jax(beta_rad):
            if name == "g":
                absg = value
            elif name == "e":
                absg = _e2g_py(value**2) * value
            else:
                eta = -np.log(value) if name == "q" else value
                absg = _eta2g_py(eta) * eta
            z = absg * np.exp(2j * beta_rad)
            return float(z.real), float(z.imag)

        m = xp(value, beta_rad)
        if name == "g":
            absg = value
        elif name == "e":
            absg = _e2g_arr(m, value**2) * value
        else:
            eta = -m.log(value) if name == "q" else value
            absg = _eta2g_arr(m, eta**2) * eta
        return absg * m.cos(2.0 * beta_rad), absg * m.sin(2.0 * beta_rad)

    # --- helpers -----------------------------------------------------------------
    def _py(self):
        return _is_py(self._g1, self._g2)

    def _m(self):
        return xp(self._g1, self._g2)

    def _gsq(self):
        return self._g1 * self._g1 + self._g2 * self._g2

    # --- the parametrisations -------------------------------------------------------
    @property
    def g1(self):
        """The first component of the reduced shear."""
        return self._g1

    @property
    def g2(self):
        """The second component of the reduced shear."""
        return self._g2

    @property
    def g(self):
        """The magnitude of the reduced shear, ``|g|``."""
        if self._py():
            return abs(complex(self._g1, self._g2))
        return _safe_sqrt(self._m(), self._gsq(), 0.0)[0]

    @property
    def beta(self):
        """The position angle, an :class:`Angle` (half the phase of ``g``); 0 for zero shear."""
        if self._py():
            return _Angle(0.5 * float(np.arctan2(self._g2, self._g1)))
        m = self._m()
        zero = self._gsq() == 0.0
        y = m.where(zero, 0.0, self._g2)
        x = m.where(zero, 1.0, self._g1)
        return _Angle(0.5 * m.arctan2(y, x))

    @property
    def _g(self):
        # GalSim keeps the complex shear in ``_g``; some callers read it directly.
        return self.shear

    @property
    def shear(self):
        """The reduced shear as a complex number ``g1 + 1j*g2``."""
        if self._py():
            return complex(self._g1, self._g2)
        return self._g1 + 1j * self._g2

    @property
    def e1(self):
        """The first component of the distortion."""
        if self._py():
            return self._g1 * _g2e_py(self.g**2)
        return self._g1 * 2.0 / (1.0 + self._gsq())

    @property
    def e2(self):
        """The second component of the distortion."""
        if self._py():
            return self._g2 * _g2e_py(self.g**2)
        return self._g2 * 2.0 / (1.0 + self._gsq())

    @property
    def e(self):
        """The magnitude of the distortion, ``|e|``."""
        if self._py():
            return self.g * _g2e_py(self.g**2)
        return self.g * 2.0 / (1.0 + self._gsq())

    @property
    def esq(self):
        """The square of the distortion magnitude, ``|e|^2``."""
        if self._py():
            return self.e**2
        gsq = self._gsq()
        return 4.0 * gsq / (1.0 + gsq) ** 2

    @property
    def eta1(self):
        """The first component of the conformal shear."""
        if self._py():
            return self._g1 * _g2eta_py(self.g)
        return self._g1 * _g2eta_arr(self._m(), self._gsq())

    @property
    def eta2(self):
        """The second component of the conformal shear."""
        if self._py():
            return self._g2 * _g2eta_py(self.g)
        return self._g2 * _g2eta_arr(self._m(), self._gsq())

    @property
    def eta(self):
        """The magnitude of the conformal shear, ``|eta| = ln(a/b)``."""
        if self._py():
            return self.g * _g2eta_py(self.g)
        return self.g * _g2eta_arr(self._m(), self._gsq())

    @property
    def q(self):
        """The axis ratio ``b/a = (1-|g|)/(1+|g|)``."""
        g = self.g
        return (1.0 - g) / (1.0 + g)

    # --- operations -----------------------------------------------------------------
    def __neg__(self):
        return _Shear_from_components(-self._g1, -self._g2)

    def __add__(self, other):
        """The shear equivalent to applying ``other`` first, then ``self``."""
        if not isinstance(other, Shear):
            raise TypeError("Cannot add %r to a Shear" % (other,))
        if self._py() and other._py():
            a = complex(self._g1, self._g2)
            b = complex(other._g1, other._g2)
            z = (a + b) / (1.0 + a.conjugate() * b)
            return _Shear_from_components(float(z.real), float(z.imag))
        a1, a2, b1, b2 = self._g1, self._g2, other._g1, other._g2
        # (a + b) / (1 + conj(a) b) in real arithmetic
        nr, ni = a1 + b1, a2 + b2
        dr = 1.0 + a1 * b1 + a2 * b2
        di = a1 * b2 - a2 * b1
        den = dr * dr + di * di
        return _Shear_from_components((nr * dr + ni * di) / den, (ni * dr - nr * di) / den)

    def __sub__(self, other):
        if not isinstance(other, Shear):
            raise TypeError("Cannot subtract %r from a Shear" % (other,))
        return self + (-other)

    def _matrix_elements(self):
        """(m00, m01, m10, m11) of :meth:`getMatrix` for array/traced values."""
        m = self._m()
        norm = 1.0 / m.sqrt(1.0 - self._gsq())
        return (1.0 + self._g1) * norm, self._g2 * norm, self._g2 * norm, (1.0 - self._g1) * norm

    def getMatrix(self):
        r"""The 2x2 matrix that applies this shear to coordinates:

        .. math::
            \frac{1}{\sqrt{1-g^2}} \begin{pmatrix} 1+g_1 & g_2 \\ g_2 & 1-g_1 \end{pmatrix}

        It has unit determinant (area preserving).
        """
        if self._py():
            return np.array(
                [[1.0 + self._g1, self._g2], [self._g2, 1.0 - self._g1]]
            ) / np.sqrt(1.0 - self.g**2)
        m = self._m()
        a, b, c, d = self._matrix_elements()
        return m.stack([m.stack([a, b]), m.stack([c, d])])

    def rotationWith(self, other):
        r"""The rotation angle :math:`\theta` with
        ``(self + other).getMatrix() @ R(theta) == self.getMatrix() @ other.getMatrix()``,
        where ``R`` is the counter-clockwise rotation matrix; an :class:`Angle`."""
        if self._py() and other._py():
            first = self.getMatrix().dot(other.getMatrix()[:, :1])
            R = (-(self + other)).getMatrix().dot(first)
            return float(np.arctan2(R[1, 0], R[0, 0])) * radians
        m = xp(self._g1, self._g2, other._g1, other._g2)
        a1, b1, c1, d1 = self._matrix_elements()
        a2, _, c2, _ = other._matrix_elements()
        s0 = a1 * a2 + b1 * c2
        s1 = c1 * a2 + d1 * c2
        a3, b3, c3, d3 = (-(self + other))._matrix_elements()
        r0 = a3 * s0 + b3 * s1
        r1 = c3 * s0 + d3 * s1
        return _Angle(m.arctan2(r1, r0))

    # --- printing -------------------------------------------------------------------
    def __repr__(self):
        g1, g2 = self._g1, self._g2
        if not is_traced(g1, g2) and np.ndim(g1) == 0 and np.ndim(g2) == 0:
            return "galsim.Shear(%r)" % complex(float(g1), float(g2))
        return "galsim.Shear(g1=%r, g2=%r)" % (g1, g2)

    def __str__(self):
        return "galsim.Shear(g1=%s,g2=%s)" % (self._g1, self._g2)


def _Shear_from_components(g1, g2):
    ret = Shear.__new__(Shear)
    ret._g1 = g1
    ret._g2 = g2
    return ret


def _Shear(shear):
    """A :class:`Shear` from a complex reduced shear ``g1 + 1j*g2``, without checks."""
    g1, g2 = _split_complex(shear)
    return _Shear_from_components(g1, g2)
