"""Adaptive moments (the HSM package of Hirata & Seljak 2003, Mandelbaum et al. 2005).

Adaptive moments are the second moments of the elliptical Gaussian that best fits an
object: starting from a round Gaussian weight of width ``guess_sig`` (pixels) centred
on ``guess_centroid``, the weighted centroid and covariance of the image are measured
with that weight, the weight is moved towards them, and this is repeated until the
weight reproduces itself.  :func:`FindAdaptiveMom` (also ``Image.FindAdaptiveMom``)
follows GalSim's algorithm step for step, so eager results agree with GalSim's to
floating-point rounding, and returns a :class:`ShapeData`.

JAX notes
---------
* :func:`FindAdaptiveMom` on a NumPy-backed image runs in NumPy, with GalSim's errors
  (``GalSimHSMError`` on failure when ``strict=True``).
* :func:`adaptive_moments` is the functional form for ``jax.jit``, ``jax.vmap``,
  ``jax.grad``, ``jax.jacfwd`` and ``jax.jacrev``: it takes a pixel array and returns
  ``(e1, e2, sigma, centroid)``.  The iteration runs in a ``lax.while_loop`` capped at
  ``max_mom2_iter`` iterations; failures give NaN instead of raising.  Its derivative
  is the exact derivative of the converged fixed point (implicit-function theorem:
  the weighted first moments vanish and the weighted covariance equals half the
  weight's covariance), not the derivative of the unrolled iterations.
  ``FindAdaptiveMom`` on an image whose pixels are traced uses it too and returns a
  ``ShapeData`` holding traced values.
* PSF correction (:func:`EstimateShear`) is not implemented.
"""

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .bounds import BoundsI
from .core.backend import is_traced
from .core.pytree import Pytree
from .errors import (
    GalSimDeprecationWarning,
    GalSimHSMError,
    GalSimIncompatibleValuesError,
    GalSimValueError,
)
from .image import Image
from .position import PositionD
from .shear import Shear

__all__ = [
    "HSMParams",
    "ShapeData",
    "FindAdaptiveMom",
    "EstimateShear",
    "adaptive_moments",
    "adaptive_moments_full",
    "GalSimHSMError",
]

# Error messages, worded as GalSim's C++ layer words them (GalSim's tests compare the
# stored error message with the raised one, and look for "Object is too small").
_MSG = {
    1: "Error: non positive definite adaptive moments!\n",
    2: "Bounds don't make sense",
    3: "Error: non positive-definite weight in find_ellipmom_2.\n",
    4: "Error: adaptive moment failed\n",
    5: "Error: HSM collapsed to singular moment matrix. Object is too small.\n",
    6: "Error: too many iterations in adaptive moments\n",
    7: "Error: NaN in calculation of adaptive moments\n",
}


def _f32(x):
    """Round to float32 and back (GalSim's ShapeData stores these fields as float)."""
    return float(np.float32(x))


# ---------------------------------------------------------------------------------------
# HSMParams
# ---------------------------------------------------------------------------------------
class HSMParams:
    """Parameters that control the HSM moments and shape-estimation routines.

    Parameters (all become read-only attributes):
        nsig_rg:               Truncation, in sigma, of the Gaussian approximation to the
                               pre-seeing galaxy in re-Gaussianization. [default: 3.0]
        nsig_rg2:              Truncation, in sigma, of the PSF residual in
                               re-Gaussianization. [default: 3.6]
        max_moment_nsig2:      Deprecated and unused (the moments window is now set by
                               ``convergence_threshold``). [default: 0]
        regauss_too_small:     1 to skip the re-Gaussianization cut on apparent
                               resolution, 0 to apply it. [default: 1]
        adapt_order:           Order of the circular adaptive moments (KSB and
                               ``round_moments``). [default: 2]
        convergence_threshold: Accuracy of the adaptive moments; pixels where the weight
                               falls below ``convergence_threshold/10`` are not summed.
                               [default: 1.e-6]
        max_mom2_iter:         Maximum number of adaptive-moment iterations. [default: 400]
        num_iter_default:      Iteration count reported on failure to converge.
                               [default: -1]
        bound_correct_wt:      Largest change of centroid and moments per iteration (in
                               units of the weight's minor-axis sigma, resp. its square).
                               [default: 0.25]
        max_amoment:           Largest allowed second moment (pixels**2). [default: 8000]
        max_ashift:            Largest allowed centroid shift from the initial guess
                               (pixels). [default: 15]
        ksb_moments_max:       Highest moment order used by KSB. [default: 4]
        ksb_sig_weight:        KSB weight width in pixels (0: from the measured moments).
                               [default: 0.0]
        ksb_sig_factor:        Factor on the KSB weight width. [default: 1.0]
        failed_moments:        Value reported for shapes when measurement fails.
                               [default: -1000.]

    Pixel-unit parameters stay in pixels even with ``use_sky_coords=True``.
    """

    _names = (
        "nsig_rg", "nsig_rg2", "max_moment_nsig2", "regauss_too_small", "adapt_order",
        "convergence_threshold", "max_mom2_iter", "num_iter_default", "bound_correct_wt",
        "max_amoment", "max_ashift", "ksb_moments_max", "ksb_sig_weight", "ksb_sig_factor",
        "failed_moments",
    )

    def __init__(self, nsig_rg=3.0, nsig_rg2=3.6, max_moment_nsig2=0, regauss_too_small=1,
                 adapt_order=2, convergence_threshold=1.e-6, max_mom2_iter=400,
                 num_iter_default=-1, bound_correct_wt=0.25, max_amoment=8000., max_ashift=15.,
                 ksb_moments_max=4, ksb_sig_weight=0.0, ksb_sig_factor=1.0,
                 failed_moments=-1000.):
        if max_moment_nsig2 != 0:
            warnings.warn(GalSimDeprecationWarning(
                "max_moment_nsig2 has been deprecated since GalSim version 2.4. "
                "This parameter is no longer used."))
        d = self.__dict__
        d["_nsig_rg"] = float(nsig_rg)
        d["_nsig_rg2"] = float(nsig_rg2)
        d["_regauss_too_small"] = int(regauss_too_small)
        d["_adapt_order"] = int(adapt_order)
        d["_convergence_threshold"] = float(convergence_threshold)
        d["_max_mom2_iter"] = int(max_mom2_iter)
        d["_num_iter_default"] = int(num_iter_default)
        d["_bound_correct_wt"] = float(bound_correct_wt)
        d["_max_amoment"] = float(max_amoment)
        d["_max_ashift"] = float(max_ashift)
        d["_ksb_moments_max"] = int(ksb_moments_max)
        d["_ksb_sig_weight"] = float(ksb_sig_weight)
        d["_ksb_sig_factor"] = float(ksb_sig_factor)
        d["_failed_moments"] = float(failed_moments)

    def __setattr__(self, name, value):
        raise AttributeError("HSMParams is immutable")

    nsig_rg = property(lambda self: self._nsig_rg)
    nsig_rg2 = property(lambda self: self._nsig_rg2)
    max_moment_nsig2 = property(lambda self: 0.)
    regauss_too_small = property(lambda self: self._regauss_too_small)
    adapt_order = property(lambda self: self._adapt_order)
    convergence_threshold = property(lambda self: self._convergence_threshold)
    max_mom2_iter = property(lambda self: self._max_mom2_iter)
    num_iter_default = property(lambda self: self._num_iter_default)
    bound_correct_wt = property(lambda self: self._bound_correct_wt)
    max_amoment = property(lambda self: self._max_amoment)
    max_ashift = property(lambda self: self._max_ashift)
    ksb_moments_max = property(lambda self: self._ksb_moments_max)
    ksb_sig_weight = property(lambda self: self._ksb_sig_weight)
    ksb_sig_factor = property(lambda self: self._ksb_sig_factor)
    failed_moments = property(lambda self: self._failed_moments)

    @staticmethod
    def check(hsmparams, default=None):
        """Return ``hsmparams`` if it is an HSMParams, ``default`` (or
        ``HSMParams.default``) if it is None; raise TypeError otherwise."""
        if hsmparams is None:
            return default if default is not None else HSMParams.default
        if not isinstance(hsmparams, HSMParams):
            raise TypeError("Invalid HSMParams: %s" % hsmparams)
        return hsmparams

    def _getinitargs(self):
        return tuple(getattr(self, n) for n in self._names)

    def __repr__(self):
        return "galsim.hsm.HSMParams(%s)" % ",".join(repr(v) for v in self._getinitargs())

    def __eq__(self, other):
        return self is other or (
            isinstance(other, HSMParams) and self._getinitargs() == other._getinitargs())

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("galsim.hsm.HSMParams", self._getinitargs()))

    def __getstate__(self):
        return self.__dict__.copy()

    def __setstate__(self, state):
        self.__dict__.update(state)


HSMParams.default = HSMParams()


# ---------------------------------------------------------------------------------------
# ShapeData
# ---------------------------------------------------------------------------------------
_SD_FIELDS = (
    "image_bounds", "moments_status", "observed_shape", "moments_sigma", "moments_amp",
    "moments_centroid", "moments_rho4", "moments_n_iter", "correction_status",
    "corrected_e1", "corrected_e2", "corrected_g1", "corrected_g2", "meas_type",
    "corrected_shape_err", "correction_method", "resolution_factor", "psf_sigma",
    "psf_shape", "error_message",
)
# Stored as C float (single precision) in GalSim's ShapeData.
_SD_F32 = (
    "moments_sigma", "moments_amp", "corrected_e1", "corrected_e2", "corrected_g1",
    "corrected_g2", "corrected_shape_err", "resolution_factor", "psf_sigma",
)


class ShapeData(Pytree):
    """The results of `FindAdaptiveMom` (and, in GalSim, `EstimateShear`).

    Attributes:
        image_bounds:        `BoundsI` of the measured image.
        moments_status:      0 on success, -1 if not measured.
        observed_shape:      `Shear` of the adaptive-moments ellipse
                             (``e1 = (Mxx-Myy)/(Mxx+Myy)``, ``e2 = 2 Mxy/(Mxx+Myy)``);
                             also ``observed_e1``, ``observed_e2``.
        moments_sigma:       ``(det M)**(1/4)`` in pixels (arcsec with
                             ``use_sky_coords=True``); -1 if not measured.
        moments_amp:         Total flux of the best-fit elliptical Gaussian (image units
                             times pixel area); -1 if not measured.
        moments_centroid:    `PositionD` of the adaptive centroid in image coordinates
                             (the lower-left pixel centre is ``(xmin, ymin)``).
        moments_rho4:        Weighted radial fourth moment (dimensionless).
        moments_n_iter:      Number of iterations used (0 if not measured).
        correction_status, corrected_e1, corrected_e2, corrected_g1, corrected_g2,
        meas_type, corrected_shape_err, correction_method, resolution_factor,
        psf_sigma, psf_shape:
                             PSF-correction results (defaults: -1, -10, "None", ...).
        error_message:       The failure message, "" on success.

    Single-precision fields (``moments_sigma``, ``moments_amp``, the observed and PSF
    shapes, the corrected shapes, ``resolution_factor``, ``psf_sigma``) are rounded
    to float32 as GalSim stores them.

    JAX notes: a pytree; when built from traced values (``FindAdaptiveMom`` on a traced
    image) the numeric fields hold tracers and no rounding is applied.
    """

    _leaves = (
        "moments_status", "observed_e1", "observed_e2", "moments_sigma", "moments_amp",
        "_cx", "_cy", "moments_rho4", "moments_n_iter", "correction_status",
        "corrected_e1", "corrected_e2", "corrected_g1", "corrected_g2",
        "corrected_shape_err", "resolution_factor", "psf_sigma", "psf_e1", "psf_e2",
    )
    _static = ("image_bounds", "meas_type", "correction_method", "_error_message")

    def __init__(self, image_bounds=BoundsI(), moments_status=-1,
                 observed_shape=Shear(), moments_sigma=-1.0, moments_amp=-1.0,
                 moments_centroid=PositionD(), moments_rho4=-1.0, moments_n_iter=0,
                 correction_status=-1, corrected_e1=-10., corrected_e2=-10.,
                 corrected_g1=-10., corrected_g2=-10., meas_type="None",
                 corrected_shape_err=-1.0, correction_method="None",
                 resolution_factor=-1.0, psf_sigma=-1.0,
                 psf_shape=Shear(), error_message=""):
        if not isinstance(image_bounds, BoundsI):
            raise TypeError("image_bounds must be a BoundsI instance")
        # GalSim's C++ ShapeData keeps plain integer limits: an undefined BoundsI comes
        # back as the (defined) BoundsI(0,0,0,0).
        self.image_bounds = BoundsI(image_bounds.xmin, image_bounds.xmax,
                                    image_bounds.ymin, image_bounds.ymax)
        vals = dict(
            moments_status=moments_status, observed_e1=observed_shape.e1,
            observed_e2=observed_shape.e2, moments_sigma=moments_sigma,
            moments_amp=moments_amp, _cx=moments_centroid.x, _cy=moments_centroid.y,
            moments_rho4=moments_rho4, moments_n_iter=moments_n_iter,
            correction_status=correction_status, corrected_e1=corrected_e1,
            corrected_e2=corrected_e2, corrected_g1=corrected_g1, corrected_g2=corrected_g2,
            corrected_shape_err=corrected_shape_err, resolution_factor=resolution_factor,
            psf_sigma=psf_sigma, psf_e1=psf_shape.e1, psf_e2=psf_shape.e2,
        )
        ints = ("moments_status", "moments_n_iter", "correction_status")
        f32 = _SD_F32 + ("observed_e1", "observed_e2", "psf_e1", "psf_e2")
        for name, v in vals.items():
            if not is_traced(v):
                if name in ints:
                    v = int(v)
                elif name in f32:
                    v = _f32(v)
                else:
                    v = float(v)
            setattr(self, name, v)
        self.meas_type = str(meas_type)
        self.correction_method = str(correction_method)
        self._error_message = str(error_message)

    @property
    def observed_shape(self):
        return Shear(e1=self.observed_e1, e2=self.observed_e2)

    @property
    def psf_shape(self):
        return Shear(e1=self.psf_e1, e2=self.psf_e2)

    @property
    def moments_centroid(self):
        return PositionD(self._cx, self._cy)

    @property
    def error_message(self):
        return self._error_message

    def _getinitargs(self):
        return tuple(getattr(self, n) for n in _SD_FIELDS)

    def __repr__(self):
        parts = []
        if self.image_bounds.isDefined():
            parts.append("image_bounds=%r" % self.image_bounds)
        if self.moments_status != -1:
            parts.append("moments_status=%r" % self.moments_status)
        parts.append("observed_shape=%r" % self.observed_shape)
        defaults = [
            ("moments_sigma", -1), ("moments_amp", -1), ("moments_centroid", PositionD()),
            ("moments_rho4", -1), ("moments_n_iter", 0), ("correction_status", -1),
            ("corrected_e1", -10.), ("corrected_e2", -10.), ("corrected_g1", -10.),
            ("corrected_g2", -10.), ("meas_type", "None"), ("corrected_shape_err", -1.),
            ("correction_method", "None"), ("resolution_factor", -1.), ("psf_sigma", -1.),
            ("psf_shape", Shear()), ("error_message", ""),
        ]
        for name, default in defaults:
            v = getattr(self, name)
            if v != default:
                parts.append("%s=%r" % (name, v))
        return "galsim.hsm.ShapeData(%s)" % ", ".join(parts)

    def __eq__(self, other):
        return self is other or (
            isinstance(other, ShapeData) and self._getinitargs() == other._getinitargs())

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("galsim.hsm.ShapeData", self._getinitargs()))

    def __getstate__(self):
        return self._getinitargs()

    def __setstate__(self, state):
        self.__init__(*state)

    def applyWCS(self, wcs, image_pos):
        """The moments converted from pixel (x, y) to sky (u, v) coordinates with the
        local Jacobian of ``wcs`` at ``image_pos``: ``moments_sigma`` in arcsec,
        ``observed_shape`` in (u, v), and ``moments_centroid`` in arcsec relative to
        ``image_pos``.  PSF-correction fields are reset to their defaults."""
        jac = wcs.jacobian(image_pos=image_pos)
        scale, shear, theta, flip = jac.getDecomposition()
        shape = self.observed_shape
        if flip:
            shape = Shear(g1=-shape.g1, g2=shape.g2)
        shape = Shear(g=shape.g, beta=shape.beta + theta)
        observed_shape = shear + shape
        centroid = jac.toWorld(self.moments_centroid) - jac.toWorld(image_pos)
        return ShapeData(image_bounds=self.image_bounds,
                         moments_status=self.moments_status,
                         observed_shape=observed_shape,
                         moments_sigma=self.moments_sigma * scale,
                         moments_amp=self.moments_amp,
                         moments_centroid=centroid,
                         moments_rho4=self.moments_rho4,
                         moments_n_iter=self.moments_n_iter,
                         error_message=self.error_message)


# ---------------------------------------------------------------------------------------
# input handling (as GalSim's Python layer)
# ---------------------------------------------------------------------------------------
def _check_weight_and_badpix(image, weight=None, badpix=None):
    if weight is not None:
        if weight.bounds != image.bounds:
            raise GalSimIncompatibleValuesError(
                "Weight image does not have same bounds as the input Image.",
                weight=weight, image=image)
        if np.any(np.asarray(weight.array) < 0):
            raise GalSimValueError("Weight image cannot contain negative values.", weight)
    if badpix is not None and badpix.bounds != image.bounds:
        raise GalSimIncompatibleValuesError(
            "Badpix image does not have the same bounds as the input Image.",
            badpix=badpix, image=image)


def _mask_array(image, weight=None, badpix=None):
    """(mask array of int, mask bounds): an int32 weight is used as it is (GalSim
    multiplies the image by it); any other weight becomes 1 where > 0, else 0; nonzero
    ``badpix`` pixels are set to 0."""
    if weight is None:
        mask = np.ones(image.array.shape, dtype=np.int32)
        mb = image.bounds
    else:
        warr = np.asarray(weight.array)
        mb = weight.bounds
        if warr.dtype == np.int32:
            mask = warr.copy()
        else:
            mask = (warr > 0.).astype(np.int32)
    if badpix is not None:
        mask[np.asarray(badpix.array) != 0] = 0
    if not np.any(mask):
        raise GalSimHSMError("No pixels are being used!")
    return mask, mb


def _nonzero_box(arr):
    """(ix1, ix2, iy1, iy2) array indices of the box around the nonzero pixels, or None."""
    nz = arr != 0
    rows = np.nonzero(np.any(nz, axis=1))[0]
    if rows.size == 0:
        return None
    cols = np.nonzero(np.any(nz, axis=0))[0]
    return cols[0], cols[-1], rows[0], rows[-1]


def _masked_data(image, mask, mb):
    """GalSim's masked image: over the intersection of the nonzero boxes of image and
    mask, the image (as float64) times the mask.  Returns (data, xmin, ymin)."""
    arr = np.asarray(image.array)
    ib = image.bounds
    b1 = _nonzero_box(arr)
    b2 = _nonzero_box(mask)
    if b1 is None or b2 is None:
        raise GalSimHSMError("Masked image is all 0's.")
    xmin = max(b1[0] + ib.xmin, b2[0] + mb.xmin)
    xmax = min(b1[1] + ib.xmin, b2[1] + mb.xmin)
    ymin = max(b1[2] + ib.ymin, b2[2] + mb.ymin)
    ymax = min(b1[3] + ib.ymin, b2[3] + mb.ymin)
    if xmin > xmax or ymin > ymax:
        raise GalSimHSMError("Masked image is all 0's.")
    data = arr[ymin - ib.ymin:ymax - ib.ymin + 1, xmin - ib.xmin:xmax - ib.xmin + 1]
    m = mask[ymin - mb.ymin:ymax - mb.ymin + 1, xmin - mb.xmin:xmax - mb.xmin + 1]
    data = np.asarray(data, dtype=np.float64) * m
    return data, xmin, ymin


# ---------------------------------------------------------------------------------------
# eager NumPy algorithm
# ---------------------------------------------------------------------------------------
class _Fail(Exception):
    """Internal: a measurement failure carrying one of the _MSG codes."""

    def __init__(self, code):
        super().__init__(_MSG[code])
        self.code = code


def _window_nsig2(hsmparams):
    """rho**2 beyond which the weight exp(-rho**2/2) is below convergence_threshold/10."""
    return -2. * math.log(hsmparams.convergence_threshold / 10.)


def _ellipmom_1_np(data, xmin, ymin, x0, y0, Mxx, Mxy, Myy, nsig2):
    """Weighted sums A, Bx, By, Cxx, Cxy, Cyy, rho4w of ``data`` with the elliptical
    Gaussian weight of centre (x0, y0) and covariance M, over rho**2 <= nsig2."""
    detM = Mxx * Myy - Mxy * Mxy
    if detM <= 0 or Mxx <= 0 or Myy <= 0:
        raise _Fail(1)
    Minv_xx = Myy / detM
    TwoMinv_xy = -Mxy / detM * 2.0
    Minv_yy = Mxx / detM
    ny, nx = data.shape
    xmax = xmin + nx - 1
    ymax = ymin + ny - 1
    hy = np.sqrt(nsig2 * Myy)
    iy1 = max(int(np.ceil(y0 - hy)), ymin)
    iy2 = min(int(np.floor(y0 + hy)), ymax)
    if iy1 > iy2:
        raise _Fail(2)
    hx = np.sqrt(nsig2 * Mxx)
    ix1 = max(int(np.ceil(x0 - hx)), xmin)
    ix2 = min(int(np.floor(x0 + hx)), xmax)
    if ix1 > ix2:
        z = np.float64(0.)
        return z, z, z, z, z, z, z
    sub = data[iy1 - ymin:iy2 - ymin + 1, ix1 - xmin:ix2 - xmin + 1]
    dx = np.arange(ix1, ix2 + 1, dtype=np.float64) - x0
    dy = (np.arange(iy1, iy2 + 1, dtype=np.float64) - y0)[:, None]
    rho2 = Minv_yy * dy * dy + TwoMinv_xy * dy * dx + Minv_xx * dx * dx
    w = np.where(rho2 <= nsig2, np.exp(-0.5 * rho2), 0.) * sub
    wx = w * dx
    wy = w * dy
    A = w.sum()
    return (A, wx.sum(), wy.sum(), (wx * dx).sum(), (wx * dy).sum(), (wy * dy).sum(),
            (w * rho2 * rho2).sum())


def _cmax(a, b):
    # std::max semantics (a NaN first argument propagates).
    return b if a < b else a


def _ellipmom_2_np(data, xmin, ymin, x0, y0, Mxx, Mxy, Myy, precision, hp):
    """GalSim's adaptive elliptical moments iteration.  Returns
    (A, x0, y0, Mxx, Mxy, Myy, rho4, num_iter); raises _Fail."""
    nsig2 = _window_nsig2(hp)
    bnd = hp.bound_correct_wt
    x0, y0, Mxx, Mxy, Myy = (np.float64(v) for v in (x0, y0, Mxx, Mxy, Myy))
    x00, y00 = x0, y0
    conv = 1.0
    num_iter = 0
    shiftscale0 = 0.
    Amp = np.float64(-1000.)
    rho4 = np.float64(-1.)
    while conv > precision:
        Amp, Bx, By, Cxx, Cxy, Cyy, rho4 = _ellipmom_1_np(
            data, xmin, ymin, x0, y0, Mxx, Mxy, Myy, nsig2)
        two_psi = np.arctan2(2 * Mxy, Mxx - Myy)
        semi_a2 = 0.5 * ((Mxx + Myy) + (Mxx - Myy) * np.cos(two_psi)) + Mxy * np.sin(two_psi)
        semi_b2 = Mxx + Myy - semi_a2
        if semi_b2 <= 0:
            raise _Fail(3)
        shiftscale = np.sqrt(semi_b2)
        if num_iter == 0:
            shiftscale0 = shiftscale
        d = [2. * Bx / (Amp * shiftscale), 2. * By / (Amp * shiftscale),
             4. * (Cxx / Amp - 0.5 * Mxx) / semi_b2, 4. * (Cxy / Amp - 0.5 * Mxy) / semi_b2,
             4. * (Cyy / Amp - 0.5 * Myy) / semi_b2]
        for i, v in enumerate(d):
            if v > bnd:
                v = bnd
            if v < -bnd:
                v = -bnd
            d[i] = v
        dx, dy, dxx, dxy, dyy = d
        conv = _cmax(abs(dx), abs(dy))
        conv = _cmax(abs(dxx), conv)
        conv = _cmax(abs(dxy), conv)
        conv = _cmax(abs(dyy), conv)
        if shiftscale < shiftscale0:
            conv *= shiftscale0 / shiftscale
        x0 = x0 + dx * shiftscale
        y0 = y0 + dy * shiftscale
        Mxx = Mxx + dxx * semi_b2
        Mxy = Mxy + dxy * semi_b2
        Myy = Myy + dyy * semi_b2
        if (abs(Mxx) > hp.max_amoment or abs(Mxy) > hp.max_amoment
                or abs(Myy) > hp.max_amoment
                or abs(x0 - x00) > hp.max_ashift or abs(y0 - y00) > hp.max_ashift):
            raise _Fail(4)
        detM = Mxx * Myy - Mxy * Mxy
        if abs(Mxx) < 1.e-8 or abs(Myy) < 1.e-8 or detM < 1.e-8:
            raise _Fail(5)
        num_iter += 1
        if num_iter > hp.max_mom2_iter:
            raise _Fail(6)
        if any(np.isnan(v) for v in (conv, Mxx, Myy, Mxy, x0, y0)):
            raise _Fail(7)
    return Amp, x0, y0, Mxx, Mxy, Myy, rho4 / Amp, num_iter


def _qho_wavefunctions(n, start, nmax, sigma):
    """1-d harmonic-oscillator (Gauss-Hermite) functions psi_0..psi_nmax of width
    ``sigma`` at positions start, start+1, ..., shape (n, nmax+1)."""
    beta = 1. / sigma
    x = start + np.arange(n, dtype=np.float64)
    psi = np.empty((n, nmax + 1))
    # pi**(-1/4) sqrt(beta) normalises psi_0 to unit L2 norm.
    psi[:, 0] = np.pi ** -0.25 * np.sqrt(beta) * np.exp(-0.5 * beta * beta * x * x)
    if nmax >= 1:
        psi[:, 1] = np.sqrt(2.) * psi[:, 0] * beta * x
    for k in range(1, nmax):
        psi[:, k + 1] = (beta * np.sqrt(2. / (k + 1.)) * x * psi[:, k]
                         - np.sqrt(k / (k + 1.)) * psi[:, k - 1])
    return psi


def _shapelet_moments(data, xmin, ymin, x0, y0, sigma, order):
    ny, nx = data.shape
    px = _qho_wavefunctions(nx, xmin - x0, order, sigma)
    py = _qho_wavefunctions(ny, ymin - y0, order, sigma)
    # moments[m, n] = sum_xy psi_m(x) I(x, y) psi_n(y)
    return px.T @ data.T @ py


def _round_moments_np(data, xmin, ymin, x0, y0, sigma, hp):
    """GalSim's adaptive circular moments (``round_moments=True``).  Returns
    (moments up to order 2, x0, y0, sigma, num_iter)."""
    sigma0 = sigma
    conv = 1.
    num_iter = 0
    order = max(hp.adapt_order, 2)
    bnd = hp.bound_correct_wt
    while conv > hp.convergence_threshold:
        m = _shapelet_moments(data, xmin, ymin, x0, y0, sigma, order)
        dx = math.sqrt(2.) * m[1, 0] / m[0, 0]
        dy = math.sqrt(2.) * m[0, 1] / m[0, 0]
        ds = math.sqrt(0.5) * (m[2, 0] + m[0, 2]) / m[0, 0]
        dx, dy, ds = (min(max(v, -bnd), bnd) for v in (dx, dy, ds))
        conv = max(abs(dx), abs(dy), abs(ds))
        if sigma < sigma0:
            conv *= sigma0 / sigma
        x0 += dx * sigma
        y0 += dy * sigma
        sigma += ds * sigma
        num_iter += 1
        if num_iter > hp.max_mom2_iter:
            raise GalSimHSMError("Warning: too many iterations in find_mom_2.\n")
        if not np.isfinite(conv):
            raise GalSimHSMError(_MSG[7])
    m = _shapelet_moments(data, xmin, ymin, x0, y0, sigma, 2)
    return m, x0, y0, sigma, num_iter


# ---------------------------------------------------------------------------------------
# public eager API
# ---------------------------------------------------------------------------------------
def FindAdaptiveMom(object_image, weight=None, badpix=None, guess_sig=5.0, precision=1.0e-6,
                    guess_centroid=None, strict=True, check=True, round_moments=False,
                    hsmparams=None, use_sky_coords=False):
    """Measure the adaptive moments of an object: the best-fit elliptical Gaussian,
    found by iterating an elliptical Gaussian weight onto the weighted moments of the
    image (Hirata & Seljak 2003).  Also available as ``image.FindAdaptiveMom(...)``.

    Parameters:
        object_image:   The `Image` of the object.
        weight:         Optional weight `Image` (same bounds); only whether a pixel's
                        weight is > 0 matters (an int32 weight multiplies the image as
                        it is, as in GalSim). [default: None]
        badpix:         Optional `Image` whose nonzero pixels are excluded. [default: None]
        guess_sig:      Initial weight sigma in pixels. [default: 5.0]
        precision:      Convergence criterion for the moments. [default: 1e-6]
        guess_centroid: Initial centroid `PositionD` in image coordinates.
                        [default: object_image.true_center]
        strict:         If True, raise `GalSimHSMError` on failure; if False, return a
                        `ShapeData` with ``error_message`` set. [default: True]
        check:          Check weight/badpix bounds and non-negative weights.
                        [default: True]
        round_moments:  Use a circular weight instead of an elliptical one.
                        [default: False]
        hsmparams:      An `HSMParams`. [default: None, i.e. HSMParams.default]
        use_sky_coords: Convert the results to sky coordinates with the image's WCS at
                        its true centre (see `ShapeData.applyWCS`). [default: False]

    Returns:
        a `ShapeData` (``moments_sigma`` in pixels, or arcsec with ``use_sky_coords``).

    JAX notes: for an image whose pixels are traced, the computation runs through
    :func:`adaptive_moments_full` (elliptical weight only; no weight/badpix
    cropping to nonzero pixels; failures give NaN and ``moments_status`` != 0 instead
    of an exception).
    """
    hsmparams = HSMParams.check(hsmparams)
    if is_traced(object_image.array):
        return _find_adaptive_mom_traced(object_image, weight, badpix, guess_sig, precision,
                                         guess_centroid, round_moments, hsmparams,
                                         use_sky_coords)
    if check:
        _check_weight_and_badpix(object_image, weight=weight, badpix=badpix)
    mask, mb = _mask_array(object_image, weight=weight, badpix=badpix)
    if guess_centroid is None:
        guess_centroid = object_image.true_center
    try:
        data, xmin, ymin = _masked_data(object_image, mask, mb)
        x0 = float(guess_centroid.x)
        y0 = float(guess_centroid.y)
        with np.errstate(all="ignore"):
            if not round_moments:
                amp, x0, y0, mxx, mxy, myy, rho4, niter = _ellipmom_2_np(
                    data, xmin, ymin, x0, y0, guess_sig ** 2, 0., guess_sig ** 2,
                    float(precision), hsmparams)
                result = ShapeData(
                    image_bounds=object_image.bounds, moments_status=0,
                    observed_shape=_shear_from_e(_f32((mxx - myy) / (mxx + myy)),
                                                 _f32(2. * mxy / (mxx + myy))),
                    moments_sigma=(mxx * myy - mxy * mxy) ** 0.25,
                    moments_amp=2.0 * amp,
                    moments_centroid=PositionD(float(x0), float(y0)),
                    moments_rho4=float(rho4), moments_n_iter=niter)
            else:
                m, x0, y0, sig, niter = _round_moments_np(
                    data, xmin, ymin, x0, y0, float(guess_sig), hsmparams)
                result = ShapeData(
                    image_bounds=object_image.bounds, moments_status=0,
                    observed_shape=_shear_from_e(
                        _f32(math.sqrt(2.) * 0.5 * (m[2, 0] - m[0, 2]) / m[0, 0]),
                        _f32(m[1, 1] / m[0, 0])),
                    moments_sigma=sig,
                    moments_amp=2. * math.sqrt(math.pi) * sig * m[0, 0],
                    moments_centroid=PositionD(float(x0), float(y0)),
                    moments_n_iter=niter)
        if use_sky_coords:
            result = result.applyWCS(object_image.wcs, image_pos=object_image.true_center)
        return result
    except (_Fail, GalSimHSMError) as err:
        if strict:
            raise GalSimHSMError(str(err)) from None
        return ShapeData(error_message=str(err))


def _shear_from_e(e1, e2):
    return Shear(e1=float(e1), e2=float(e2))


def EstimateShear(gal_image, PSF_image, weight=None, badpix=None, sky_var=0.0,
                  shear_est="REGAUSS", recompute_flux="FIT", guess_sig_gal=5.0,
                  guess_sig_PSF=3.0, precision=1.0e-6, guess_centroid=None,
                  strict=True, check=True, hsmparams=None):
    """PSF-corrected shear estimation (REGAUSS, LINEAR, BJ, KSB).  Not implemented in
    jax_galsim; use GalSim, or `FindAdaptiveMom` for the observed moments."""
    HSMParams.check(hsmparams)
    raise NotImplementedError(
        "galsim.hsm.EstimateShear (PSF correction) is not implemented in jax_galsim; "
        "only FindAdaptiveMom (adaptive moments) is available.")


# make FindAdaptiveMom a method of Image, as GalSim does
Image.FindAdaptiveMom = FindAdaptiveMom


# ---------------------------------------------------------------------------------------
# functional JAX algorithm
# ---------------------------------------------------------------------------------------
def _sums_xp(xp, data, xs, ys, theta, nsig2):
    """Weighted sums (A, Bx, By, Cxx, Cxy, Cyy, rho4w) with the window as a constant."""
    x0, y0, Mxx, Mxy, Myy = theta[0], theta[1], theta[2], theta[3], theta[4]
    detM = Mxx * Myy - Mxy * Mxy
    Minv_xx = Myy / detM
    TwoMinv_xy = -Mxy / detM * 2.0
    Minv_yy = Mxx / detM
    dx = (xs - x0)[None, :]
    dy = (ys - y0)[:, None]
    rho2 = Minv_yy * dy * dy + TwoMinv_xy * dy * dx + Minv_xx * dx * dx
    inside = jax.lax.stop_gradient(rho2 <= nsig2)
    w = xp.where(inside, xp.exp(-0.5 * xp.where(inside, rho2, 0.)), 0.) * data
    wx = w * dx
    wy = w * dy
    return (w.sum(), wx.sum(), wy.sum(), (wx * dx).sum(), (wx * dy).sum(), (wy * dy).sum(),
            (w * rho2 * rho2).sum())


def _fp_residual(theta, data, xs, ys, nsig2):
    """Fixed-point conditions of adaptive moments: zero weighted offset and weighted
    covariance equal to half the weight covariance."""
    A, Bx, By, Cxx, Cxy, Cyy, _ = _sums_xp(jnp, data, xs, ys, theta, nsig2)
    return jnp.stack([Bx / A, By / A, Cxx / A - 0.5 * theta[2], Cxy / A - 0.5 * theta[3],
                      Cyy / A - 0.5 * theta[4]])


def _iterate_jax(cfg, data, guess):
    """The eager iteration as a lax.while_loop.  Returns (theta, A, rho4w, n_iter,
    status) with floats only (status 0 = success, else a _MSG code)."""
    (xmin, ymin, precision, nsig2, bnd, max_amoment, max_ashift, max_iter) = cfg
    dt = data.dtype
    ny, nx = data.shape
    xs = xmin + jnp.arange(nx, dtype=dt)
    ys = ymin + jnp.arange(ny, dtype=dt)
    xmax = xmin + nx - 1
    ymax = ymin + ny - 1
    x00, y00, sig = guess[0], guess[1], guess[2]
    theta0 = jnp.stack([x00, y00, sig * sig, jnp.zeros_like(sig), sig * sig]).astype(dt)
    zero = jnp.zeros((), dt)

    def cond(s):
        theta, A, rho4, conv, n, ss0, status = s
        return (status == 0) & (conv > precision)

    def body(s):
        theta, _, _, _, n, ss0, status = s
        x0, y0, Mxx, Mxy, Myy = (theta[i] for i in range(5))
        detM = Mxx * Myy - Mxy * Mxy
        bad_pd = (detM <= 0) | (Mxx <= 0) | (Myy <= 0)
        hy = jnp.sqrt(jnp.abs(nsig2 * Myy))
        iy1 = jnp.maximum(jnp.ceil(y0 - hy), ymin)
        iy2 = jnp.minimum(jnp.floor(y0 + hy), ymax)
        bad_bounds = iy1 > iy2
        A, Bx, By, Cxx, Cxy, Cyy, rho4 = _sums_xp(jnp, data, xs, ys, theta, nsig2)
        two_psi = jnp.arctan2(2 * Mxy, Mxx - Myy)
        semi_a2 = 0.5 * ((Mxx + Myy) + (Mxx - Myy) * jnp.cos(two_psi)) + Mxy * jnp.sin(two_psi)
        semi_b2 = Mxx + Myy - semi_a2
        bad_w = semi_b2 <= 0
        shiftscale = jnp.sqrt(jnp.abs(semi_b2))
        ss0 = jnp.where(n == 0, shiftscale, ss0)
        d = jnp.stack([2. * Bx / (A * shiftscale), 2. * By / (A * shiftscale),
                       4. * (Cxx / A - 0.5 * Mxx) / semi_b2, 4. * (Cxy / A - 0.5 * Mxy) / semi_b2,
                       4. * (Cyy / A - 0.5 * Myy) / semi_b2])
        d = jnp.where(d > bnd, bnd, d)
        d = jnp.where(d < -bnd, -bnd, d)
        conv = jnp.max(jnp.abs(d))
        conv = jnp.where(jnp.any(jnp.isnan(d)), jnp.nan, conv)
        conv = jnp.where(shiftscale < ss0, conv * ss0 / shiftscale, conv)
        step = jnp.stack([shiftscale, shiftscale, semi_b2, semi_b2, semi_b2])
        new = theta + d * step
        nx0, ny0, nMxx, nMxy, nMyy = (new[i] for i in range(5))
        bad_amom = ((jnp.abs(nMxx) > max_amoment) | (jnp.abs(nMxy) > max_amoment)
                    | (jnp.abs(nMyy) > max_amoment) | (jnp.abs(nx0 - x00) > max_ashift)
                    | (jnp.abs(ny0 - y00) > max_ashift))
        ndet = nMxx * nMyy - nMxy * nMxy
        bad_small = (jnp.abs(nMxx) < 1.e-8) | (jnp.abs(nMyy) < 1.e-8) | (ndet < 1.e-8)
        n = n + 1
        bad_iter = n > max_iter
        bad_nan = jnp.isnan(conv) | jnp.any(jnp.isnan(new))
        new_status = jnp.select(
            [bad_pd, bad_bounds, bad_w, bad_amom, bad_small, bad_iter, bad_nan],
            [jnp.asarray(float(c), dt) for c in range(1, 8)], zero)
        return new, A, rho4, conv, n, ss0, new_status

    init = (theta0, jnp.asarray(-1000., dt), zero, jnp.ones((), dt), zero, zero, zero)
    theta, A, rho4, conv, n, ss0, status = jax.lax.while_loop(cond, body, init)
    return theta, A, rho4, n, status


@functools.partial(jax.custom_jvp, nondiff_argnums=(0,))
def _adaptive_fixed_point(cfg, data, guess):
    return _iterate_jax(cfg, data, guess)


@_adaptive_fixed_point.defjvp
def _adaptive_fixed_point_jvp(cfg, primals, tangents):
    data, guess = primals
    data_dot, _ = tangents
    out = _adaptive_fixed_point(cfg, data, guess)
    theta = out[0]
    xmin, ymin, nsig2 = cfg[0], cfg[1], cfg[3]
    ny, nx = data.shape
    xs = xmin + jnp.arange(nx, dtype=data.dtype)
    ys = ymin + jnp.arange(ny, dtype=data.dtype)
    # Implicit-function theorem at the fixed point G(theta, data) = 0.
    jac = jax.jacfwd(_fp_residual, argnums=0)(theta, data, xs, ys, nsig2)
    _, g_dot = jax.jvp(lambda d: _fp_residual(theta, d, xs, ys, nsig2), (data,), (data_dot,))
    theta_dot = -jnp.linalg.solve(jac, g_dot)
    zeros = tuple(jnp.zeros_like(o) for o in out[1:])
    return out, (theta_dot,) + zeros


def adaptive_moments_full(image, guess_sig=5.0, precision=1.0e-6, guess_centroid=None,
                          hsmparams=None, origin=(1, 1)):
    """Functional, differentiable adaptive moments (elliptical weight) of a pixel array.

    Parameters:
        image:          A 2-d array (``image[y, x]``), JAX or NumPy, or a jax_galsim
                        `Image` (then its bounds give the coordinates).
        guess_sig:      Initial weight sigma in pixels. [default: 5.0]
        precision:      Convergence criterion (static). [default: 1e-6]
        guess_centroid: Initial centroid (x, y) in image coordinates (a `PositionD` or
                        a length-2 array). [default: the array's true centre]
        hsmparams:      An `HSMParams` (static). [default: HSMParams.default]
        origin:         (xmin, ymin) of the array's lower-left pixel when ``image`` is
                        an array (static). [default: (1, 1), as ``Image(array)``]

    Returns:
        a dict of scalars: ``e1``, ``e2`` (distortion), ``sigma`` (``(det M)**(1/4)``,
        pixels), ``x``, ``y`` (centroid), ``Mxx``, ``Mxy``, ``Myy`` (pixels**2),
        ``amp`` (Gaussian flux), ``rho4``, ``n_iter`` and ``status`` (0 on success,
        otherwise a failure code; the other entries are then NaN).

    The iteration is GalSim's (same updates, clamps, window and stopping rule), so a
    successful result equals `FindAdaptiveMom`'s to rounding (which additionally
    rounds ``sigma``, ``e1``, ``e2``, ``amp`` to float32).  Derivatives (``jax.grad``,
    ``jacfwd``, ``jacrev``) are those of the exact fixed point with respect to the
    pixel values; the initial guesses get zero derivative.
    """
    hsmparams = HSMParams.check(hsmparams)
    if isinstance(image, Image):
        origin = (image.xmin, image.ymin)
        image = image.array
    data = jnp.asarray(image)
    if not jnp.issubdtype(data.dtype, jnp.floating):
        data = data.astype(jnp.result_type(float))
    ny, nx = data.shape
    xmin, ymin = int(origin[0]), int(origin[1])
    if guess_centroid is None:
        gx, gy = xmin + 0.5 * (nx - 1), ymin + 0.5 * (ny - 1)
    elif isinstance(guess_centroid, PositionD):
        gx, gy = guess_centroid.x, guess_centroid.y
    else:
        gx, gy = guess_centroid[0], guess_centroid[1]
    guess = jnp.stack([jnp.asarray(gx, data.dtype), jnp.asarray(gy, data.dtype),
                       jnp.asarray(guess_sig, data.dtype)])
    cfg = (xmin, ymin, float(precision), _window_nsig2(hsmparams), hsmparams.bound_correct_wt,
           hsmparams.max_amoment, hsmparams.max_ashift, hsmparams.max_mom2_iter)
    return _adaptive_core(cfg, data, guess)


@functools.partial(jax.jit, static_argnums=(0,))
def _adaptive_core(cfg, data, guess):
    xmin, ymin = cfg[0], cfg[1]
    ny, nx = data.shape
    theta, A, rho4w, n_iter, status = _adaptive_fixed_point(cfg, data, guess)
    ok = status == 0
    theta = jnp.where(ok, theta, jnp.nan)
    x0, y0, Mxx, Mxy, Myy = (theta[i] for i in range(5))
    # amp and rho4: the values of the last iteration (as GalSim), with the derivative
    # of the same sums evaluated at the fixed point.
    ys_ = ymin + jnp.arange(ny, dtype=data.dtype)
    xs_ = xmin + jnp.arange(nx, dtype=data.dtype)
    A_fp, _, _, _, _, _, r4_fp = _sums_xp(jnp, data, xs_, ys_, theta, cfg[3])
    A = A + (A_fp - jax.lax.stop_gradient(A_fp))
    rho4w = rho4w + (r4_fp - jax.lax.stop_gradient(r4_fp))
    return dict(
        e1=(Mxx - Myy) / (Mxx + Myy), e2=2. * Mxy / (Mxx + Myy),
        sigma=(Mxx * Myy - Mxy * Mxy) ** 0.25, x=x0, y=y0, Mxx=Mxx, Mxy=Mxy, Myy=Myy,
        amp=jnp.where(ok, 2. * A, jnp.nan), rho4=jnp.where(ok, rho4w / A, jnp.nan),
        n_iter=n_iter.astype(jnp.int32), status=status.astype(jnp.int32))


def adaptive_moments(image, guess_sig=5.0, precision=1.0e-6, guess_centroid=None,
                     hsmparams=None, origin=(1, 1)):
    """Functional adaptive moments: ``(e1, e2, sigma, centroid)`` of a pixel array.

    ``e1``, ``e2`` are the distortion of the adaptive-moments ellipse, ``sigma`` is
    ``(det M)**(1/4)`` in pixels and ``centroid`` is the array ``[x, y]`` in image
    coordinates (lower-left pixel centre at ``origin``).  NaN on failure.  Works under
    ``jax.jit``, ``jax.vmap``, ``jax.grad``, ``jax.jacfwd`` and ``jax.jacrev``.  See
    :func:`adaptive_moments_full` for the parameters and more outputs.
    """
    r = adaptive_moments_full(image, guess_sig=guess_sig, precision=precision,
                              guess_centroid=guess_centroid, hsmparams=hsmparams,
                              origin=origin)
    return r["e1"], r["e2"], r["sigma"], jnp.stack([r["x"], r["y"]])


def _find_adaptive_mom_traced(image, weight, badpix, guess_sig, precision, guess_centroid,
                              round_moments, hsmparams, use_sky_coords):
    if round_moments:
        raise NotImplementedError(
            "FindAdaptiveMom(round_moments=True) is only implemented for concrete images.")
    data = jnp.asarray(image.array)
    data = data.astype(jnp.result_type(data.dtype, float))
    if weight is not None:
        data = data * (jnp.asarray(weight.array) > 0)
    if badpix is not None:
        data = data * (jnp.asarray(badpix.array) == 0)
    if guess_centroid is None:
        guess_centroid = image.true_center
    r = adaptive_moments_full(data, guess_sig=guess_sig, precision=precision,
                              guess_centroid=guess_centroid, hsmparams=hsmparams,
                              origin=(image.xmin, image.ymin))
    result = ShapeData(image_bounds=image.bounds, moments_status=r["status"],
                       observed_shape=Shear(e1=r["e1"], e2=r["e2"]),
                       moments_sigma=r["sigma"], moments_amp=r["amp"],
                       moments_centroid=PositionD(r["x"], r["y"]), moments_rho4=r["rho4"],
                       moments_n_iter=r["n_iter"])
    if use_sky_coords:
        result = result.applyWCS(image.wcs, image_pos=image.true_center)
    return result
