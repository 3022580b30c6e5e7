"""The Moffat profile."""

import math

import numpy as np

from .core.backend import as_scalar, is_traced, outer_grid, xp as _xp_of
from .core import special as _special
from .errors import GalSimIncompatibleValuesError, GalSimRangeError, GalSimNotImplementedError
from .gsobject import GSObject, _out

__all__ = ["Moffat"]


def _kv2_np(beta, ksq):
    """Moffat k profile normalised to 1 at k = 0, for scale radius 1 (NumPy)."""
    from scipy.special import kv, gamma
    k = np.sqrt(ksq)
    if ksq == 0:
        return 1.0
    return 4.0 / (gamma(beta - 1.0) * 2.0 ** beta) * kv(beta - 1.0, k) * k ** (beta - 1.0)


def _maxk_unit(beta, maxk_threshold):
    """maxk (for scale radius 1) where the normalised k profile falls to maxk_threshold
    (GalSim's Brent solve in k^2 bracketed from [0, 100])."""
    from scipy.optimize import brentq
    f = lambda ksq: _kv2_np(beta, ksq) - maxk_threshold
    hi = 100.0
    while f(hi) > 0:
        hi *= 2.0
    return math.sqrt(brentq(f, 0.0, hi, xtol=1.0e-14, rtol=1.0e-14))


def _maxk_unit_vec(beta, maxk_threshold):
    beta = np.asarray(beta, dtype=float)
    out = np.vectorize(lambda b: _maxk_unit(float(b), maxk_threshold))(beta)
    return np.asarray(out, dtype=beta.dtype)


class Moffat(GSObject):
    r"""A Moffat profile, :math:`I(r) \propto (1 + (r/r_0)^2)^{-\beta}`, optionally
    truncated at radius ``trunc``.

    Parameters:
        beta:              The :math:`\beta` parameter (> 1.1 unless truncated).
        scale_radius:      The scale radius :math:`r_0` (world units).
        half_light_radius: The half-light radius (world units).
        fwhm:              The full width at half maximum (world units).
                           [Exactly one of the three sizes.]
        trunc:             Truncation radius (world units); 0 for none. [default: 0]
        flux:              The total flux. [default: 1]
        gsparams:          An optional `GSParams`.

    JAX notes: ``beta``, the size and ``flux`` may be traced; ``trunc`` is static.
    With a traced ``beta`` the Fourier profile and ``maxk`` come from a pure
    ``jax.numpy`` quadrature of the Bessel function (:mod:`jax_galsim.core.moffat_k`,
    relative accuracy about 1e-9 for ``beta >= 1.5``).
    """

    _params = ("beta", "scale_radius", "flux")
    _static_params = ("trunc",)
    _param_order = ("beta", "scale_radius", "trunc", "flux")
    _str_defaults = {"flux": 1.0, "trunc": 0.0}
    _req_params = {"beta": float}
    _opt_params = {"trunc": float, "flux": float}
    _single_params = [{"scale_radius": float, "half_light_radius": float, "fwhm": float}]

    @property
    def _has_hard_edges(self):
        # A truncated Moffat drops to zero at r = trunc (static, so a Python bool).
        return self._trunc != 0.0
    _is_axisymmetric = True
    _is_analytic_x = True
    _is_analytic_k = True

    def __init__(self, beta, scale_radius=None, half_light_radius=None, fwhm=None, trunc=0.0,
                 flux=1.0, gsparams=None):
        from .gsparams import GSParams
        self._beta = as_scalar(beta)
        self._trunc = float(trunc)
        self._flux = as_scalar(flux)
        self._gsparams = GSParams.check(gsparams)
        beta_c = None if is_traced(self._beta) else float(self._beta)
        if self._trunc == 0.0 and beta_c is not None and beta_c <= 1.1:
            raise GalSimRangeError("Moffat profiles with beta <= 1.1 must be truncated", beta, 1.1)
        if self._trunc < 0.0:
            raise GalSimRangeError("Moffat trunc must be >= 0", self._trunc, 0.0)
        if half_light_radius is not None:
            if scale_radius is not None or fwhm is not None:
                raise GalSimIncompatibleValuesError(
                    "Only one of scale_radius, half_light_radius, or fwhm may be specified",
                    half_light_radius=half_light_radius, scale_radius=scale_radius, fwhm=fwhm)
            hlr = as_scalar(half_light_radius)
            if self._trunc > 0.0 and not is_traced(hlr) and self._trunc <= math.sqrt(2.0) * hlr:
                raise GalSimRangeError("Moffat trunc must be > sqrt(2) * half_light_radius.",
                                       self._trunc, math.sqrt(2.0) * hlr)
            self._scale_radius = self._r0_from_hlr(hlr)
        elif fwhm is not None:
            if scale_radius is not None:
                raise GalSimIncompatibleValuesError(
                    "Only one of scale_radius, half_light_radius, or fwhm may be specified",
                    half_light_radius=half_light_radius, scale_radius=scale_radius, fwhm=fwhm)
            fwhm = as_scalar(fwhm)
            self._scale_radius = as_scalar(fwhm / (2.0 * _xp_of(fwhm, self._beta).sqrt(2.0 ** (1.0 / self._beta) - 1.0)))
        elif scale_radius is not None:
            self._scale_radius = as_scalar(scale_radius)
        else:
            raise GalSimIncompatibleValuesError(
                "One of scale_radius, half_light_radius, or fwhm must be specified",
                half_light_radius=half_light_radius, scale_radius=scale_radius, fwhm=fwhm)

    def _r0_from_hlr(self, hlr):
        beta = self._beta
        xp = _xp_of(hlr, beta)
        r1 = hlr / xp.sqrt(0.5 ** (1.0 / (1.0 - beta)) - 1.0)
        if self._trunc == 0.0:
            return as_scalar(r1)
        if is_traced(hlr, beta):
            raise GalSimNotImplementedError(
                "A truncated Moffat given by half_light_radius needs concrete parameters.")
        from scipy.optimize import brentq
        rm, re, beta = self._trunc, float(hlr), float(beta)
        f = lambda rd: 2.0 * (1.0 + re * re / rd ** 2) ** (1.0 - beta) - 1.0 - (1.0 + rm * rm / rd ** 2) ** (1.0 - beta)
        r2 = 2.0 * r1
        while f(r2) * f(r1) > 0:
            r2 *= 2.0
        return brentq(f, r1, r2, xtol=1.0e-15, rtol=1.0e-15)

    # ---- parameters
    @property
    def beta(self):
        """The beta parameter of this `Moffat` profile."""
        return _out(self._beta)

    @property
    def scale_radius(self):
        """The scale radius of this `Moffat` profile."""
        return _out(self._scale_radius)

    @property
    def trunc(self):
        """The truncation radius (if any) of this `Moffat` profile."""
        return self._trunc

    @property
    def _r0(self):
        return self._scale_radius

    @property
    def _fluxFactor(self):
        if self._trunc > 0.0:
            return 1.0 - (1.0 + (self._trunc / self._r0) ** 2) ** (1.0 - self._beta)
        return 1.0

    @property
    def half_light_radius(self):
        """The half-light radius of this `Moffat` profile."""
        xp = self._xp
        return _out(self._r0 * xp.sqrt((1.0 - 0.5 * self._fluxFactor) ** (1.0 / (1.0 - self._beta)) - 1.0))

    @property
    def fwhm(self):
        """The FWHM of this `Moffat` profile."""
        xp = self._xp
        return _out(self._r0 * (2.0 * xp.sqrt(2.0 ** (1.0 / self._beta) - 1.0)))

    # ---- physics
    @property
    def _maxRrD(self):
        if self._trunc > 0.0:
            return self._trunc / self._r0
        xp = self._xp
        return xp.sqrt(self.gsparams.xvalue_accuracy ** (1.0 / (1.0 - self._beta)) - 1.0)

    @property
    def _norm(self):
        return self._flux * (self._beta - 1.0) / (np.pi * self._fluxFactor * self._r0 ** 2)

    @property
    def _max_sb(self):
        return self._norm

    @property
    def _maxk(self):
        if self._trunc > 0.0:
            return self._trunc_table()[2] / self._r0
        thr = self.gsparams.maxk_threshold
        if is_traced(self._beta):
            from .core import moffat_k
            return moffat_k.maxk_unit(self._beta - 1.0, thr) / self._r0
        return _maxk_unit(float(self._beta), thr) / self._r0

    @property
    def _stepk(self):
        xp = self._xp
        maxR = self._maxRrD * self._r0
        if not is_traced(self._beta) and self._beta <= 1.1:
            return np.pi / maxR
        R = self.gsparams.folding_threshold ** (0.5 / (1.0 - self._beta)) * self._r0
        R = xp.minimum(R, maxR)
        R = xp.maximum(R, self.gsparams.stepk_minimum_hlr * self._hlr_internal)
        return np.pi / R

    @property
    def _hlr_internal(self):
        xp = self._xp
        return self._r0 * xp.sqrt((1.0 - 0.5 * self._fluxFactor) ** (1.0 / (1.0 - self._beta)) - 1.0)

    def _xValue_array(self, x, y):
        xp = self._xp_for(x, y)
        rsq = (x * x + y * y) / self._r0 ** 2
        val = self._norm * (1.0 + rsq) ** (-self._beta)
        return xp.where(rsq <= self._maxRrD ** 2, val, 0.0)

    def _kValue_real(self, kx, ky):
        if outer_grid(kx, ky) and self._xp_for(kx, ky) is not np and self._trunc == 0.0 \
                and self._special_beta() is None:
            # A drawing grid: a Gaussian mixture, as matrix products (no look-ups).
            from .core import moffat_k
            row, col = (kx, ky) if kx.shape[0] == 1 else (ky, kx)
            return self._flux * moffat_k.kgrid(self._beta - 1.0, self._r0, row, col)
        return self._kValue_ksq(kx * kx + ky * ky)

    def _special_beta(self):
        """The half-integer beta (1.5, 2.5, 3.5) with an elementary k profile, if the
        concrete beta is one of them (else None)."""
        if is_traced(self._beta):
            return None
        b = float(self._beta)
        for special in (1.5, 2.5, 3.5):
            if abs(b - special) < self.gsparams.kvalue_accuracy:
                return special
        return None

    def _kValue_ksq(self, ksq):
        xp = self._xp_for(ksq)
        ksq = ksq * self._r0 ** 2
        if self._trunc > 0.0:
            return self._trunc_kvalue(ksq, xp)
        beta = self._beta
        special = self._special_beta()
        if special is not None:
            # safe sqrt: finite gradients at k = 0
            k = xp.where(ksq > 0, xp.sqrt(xp.where(ksq > 0, ksq, 1.0)), 0.0)
            e = xp.exp(-k)
            if special == 1.5:
                v = e
            elif special == 2.5:
                v = e * (1.0 + k)
            else:
                v = e * (3.0 + (3.0 + k) * k) / 3.0
            return self._flux * v
        if xp is not np:
            from .core import moffat_k
            # Traced k: pure jax.numpy K_nu quadrature through a radial table.
            pos = ksq > 0
            k = xp.where(pos, xp.sqrt(xp.where(pos, ksq, 1.0)), 0.0)
            return self._flux * moffat_k.kprofile(beta - 1.0, k)
        # General beta: flux * 4 / (Gamma(beta-1) 2^beta) * K_{beta-1}(k) k^{beta-1}.
        from jax.scipy.special import gammaln as jgammaln
        from scipy.special import gammaln
        lg = jgammaln(beta - 1.0) if is_traced(beta) else gammaln(beta - 1.0)
        pos = ksq > 0
        safe = xp.where(pos, ksq, 1.0)
        k = xp.sqrt(safe)
        logk = xp.log(k)
        kvv = _special.kv(beta - 1.0 + 0.0 * k, k)
        v = xp.exp(np.log(4.0) - lg - beta * np.log(2.0) + (beta - 1.0) * logk) * kvv
        return self._flux * xp.where(pos, v, 1.0)

    # ---- truncated Fourier profile (Hankel transform, concrete parameters only)
    def _trunc_table(self):
        cache = self.__dict__.get("_trunc_cache")
        if cache is not None:
            return cache
        if is_traced(self._beta):
            raise GalSimNotImplementedError(
                "Fourier transform of a truncated Moffat needs a concrete beta.")
        beta = float(self._beta)
        R = self._trunc / float(self._r0)
        # Gauss-Legendre nodes in r on [0, R], for scale radius 1.
        # composite rule: 100 panels of 40 nodes
        npan = 100
        xg, wg = np.polynomial.legendre.leggauss(40)
        edges = np.linspace(0.0, R, npan + 1)
        half = 0.5 * np.diff(edges)
        mid = 0.5 * (edges[1:] + edges[:-1])
        r = (mid[:, None] + half[:, None] * xg[None, :]).ravel()
        w = (half[:, None] * wg[None, :]).ravel()
        prof = (1.0 + r * r) ** (-beta) * r * w
        fluxf = 1.0 - (1.0 + R * R) ** (1.0 - beta)
        norm = 2.0 * (beta - 1.0) / fluxf  # 2 pi * (beta-1)/(pi fluxFactor)
        from scipy.special import j0
        gsp = self.gsparams
        thr = gsp.maxk_threshold
        dk = gsp.table_spacing * np.sqrt(np.sqrt(gsp.kvalue_accuracy / 10.0))
        ks = np.arange(0.0, 50.0, dk)
        vals = np.empty_like(ks)
        for i0 in range(0, len(ks), 128):
            kb = ks[i0:i0 + 128]
            vals[i0:i0 + 128] = norm * (j0(kb[:, None] * r[None, :]) @ prof)
        # GalSim's scan: stop after 5 values in a row below kvalue_accuracy.
        below = np.abs(vals) <= gsp.kvalue_accuracy
        run = 0
        kend = len(ks)
        for i, bl in enumerate(below):
            run = run + 1 if bl else 0
            if run == 5:
                kend = i + 1
                break
        above = np.nonzero(np.abs(vals[:kend]) > thr)[0]
        maxk = ks[above[-1]] if len(above) else 0.0
        k1, k2 = maxk, maxk + dk
        if k2 < 50:
            f1 = abs(norm * (j0(k1 * r) @ prof))
            f2 = abs(norm * (j0(k2 * r) @ prof))
            maxk = (k1 * (f2 - thr) + k2 * (thr - f1)) / (f2 - f1)
        kmax_table = ks[kend - 1]
        from scipy.interpolate import CubicSpline
        spline = CubicSpline(ks[:kend] ** 2, vals[:kend])
        self.__dict__["_trunc_cache"] = (norm, spline, maxk, r, kmax_table)
        return self.__dict__["_trunc_cache"]

    def _trunc_kvalue(self, ksq, xp):
        # Cubic spline in k^2 of the Hankel transform (as GalSim), zero past the table.
        norm, spline, maxk, r, kmax_table = self._trunc_table()
        ksq = np.asarray(ksq, dtype=float)
        out = np.where(ksq > kmax_table ** 2, 0.0, spline(np.minimum(ksq, kmax_table ** 2)))
        return self._flux * out

    def withFlux(self, flux):
        return Moffat(beta=self._beta, scale_radius=self._scale_radius, trunc=self._trunc,
                      flux=flux, gsparams=self.gsparams)

    def _shoot(self, photons, rng):
        # Analytic inverse of the (possibly truncated) enclosed-flux fraction.
        from .core.shoot import moffat_radius
        beta, ff = self._beta, self._fluxFactor
        self._shoot_radial(photons, rng, lambda u, xp: moffat_radius(u, beta, ff, xp),
                           self._r0, polar_map=lambda rsq: np.sqrt(
                               ((1.0 - rsq * ff) ** (1.0 / (1.0 - beta)) - 1.0) / rsq))
