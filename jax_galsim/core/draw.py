"""Array kernels that render a profile onto a pixel grid.

Every profile provides two vectorised kernels, ``_xValue_array(x, y)`` (surface
brightness at positions ``x, y``, any broadcastable arrays) and
``_kValue_array(kx, ky)`` (its Fourier transform, normalised so that ``k = 0`` gives
the flux).  The functions here only lay out coordinate grids, call those kernels and
transform.  They are written against an array module ``xp`` (NumPy for concrete
parameters, so eager draws give GalSim's float64 numbers; ``jax.numpy`` when anything
is traced), see :func:`jax_galsim.core.backend.xp`.

Conventions: images are ``[y, x]`` arrays; pixel ``(i, j)`` of an image whose lower
left pixel has image coordinates ``(xmin, ymin)`` sits at ``((xmin + i) * scale,
(ymin + j) * scale)`` in the profile's coordinates; drawn values are the surface
brightness times the pixel area ``scale**2`` (GalSim's ``no_pixel`` convention).
"""

import functools
import math
import operator

import numpy as np

from .backend import computed_once, is_traced

__all__ = ["draw_real_array", "draw_fft_array", "draw_k_array", "kgrid_nk"]


def draw_real_array(prof, xmin, ymin, nx, ny, scale, xp, jac=None, xoff=0.0, yoff=0.0,
                    flux_ratio=1.0):
    """Surface brightness times pixel area at the pixel centres of an ``ny x nx`` grid.

    ``prof`` is drawn as if transformed by the 2x2 Jacobian ``jac`` (None: identity),
    shifted by ``(xoff, yoff)`` and multiplied by the amplitude ``flux_ratio`` (GalSim's
    ``SBProfile::draw``): the sampling grid is mapped back through the inverse Jacobian
    and the amplitude gathers ``flux_ratio`` and the pixel area in one factor."""
    concrete = xp is np
    # Pixel centres as (integer index) * scale: the same pixel gets the same coordinate
    # whatever the image origin, so sub-images and full images agree exactly.
    u = (xmin + xp.arange(nx, dtype=float)) * scale
    v = (ymin + xp.arange(ny, dtype=float)) * scale
    if not (concrete and xoff == 0.0):
        u = u - xoff
    if not (concrete and yoff == 0.0):
        v = v - yoff
    amp = flux_ratio
    if jac is None:
        vals = prof._xValue_array(u[None, :], v[:, None])
        if not (concrete and scale == 1.0):
            amp = amp * (scale * scale)
    elif concrete and jac[0, 1] == 0.0 and jac[1, 0] == 0.0:
        xscale = 1.0 / jac[0, 0]
        yscale = 1.0 / jac[1, 1]
        vals = prof._xValue_array((u * xscale)[None, :], (v * yscale)[:, None])
        amp = amp * abs((scale * xscale) * (scale * yscale))
    else:
        mA, mB, mC, mD = jac[0, 0], jac[0, 1], jac[1, 0], jac[1, 1]
        invdet = 1.0 / (mA * mD - mB * mC)
        x = (mD * u[None, :] - mB * v[:, None]) * invdet
        y = (-mC * u[None, :] + mA * v[:, None]) * invdet
        vals = prof._xValue_array(x, y)
        amp = amp * xp.abs(invdet * scale * scale)
    vals = xp.broadcast_to(vals, (ny, nx))
    if concrete and amp == 1.0:
        return vals
    return vals * amp


def kgrid_nk(N, maxk, dk, xp):
    """GalSim's k-grid size ``Nk`` for a real-space period ``N`` (may be traced)."""
    return xp.where(N * dk / 2.0 > maxk, N, 2 * xp.ceil(maxk / dk))


def _point_symmetric(prof):
    """Whether ``prof`` is known to satisfy ``I(-x) = I(x)`` (real Fourier transform):
    the leaf profiles that define ``_kValue_real``, and unshifted transformations, sums
    and convolutions of them.  Static (decided from the types and whether shifts are
    present)."""
    from ..transform import Transformation
    from ..convolve import Convolution
    from ..sum import Sum
    if isinstance(prof, Transformation):
        return (not prof._has_offset) and _point_symmetric(prof._original)
    if isinstance(prof, (Convolution, Sum)):
        return all(_point_symmetric(o) for o in prof._obj_list)
    return prof._kValue_real is not None


def _kvalues(prof, kx, ky, xp, ysym=False):
    """``prof._kValue_array(kx, ky)`` on a grid given as a row ``kx`` (1, C) and a
    column ``ky`` (R, 1), computed cheaply: point-symmetric parts are kept real, and the
    phase of every shift (a `Transformation` offset, also inside a `Convolution`) is an
    outer product of 1-d phase vectors instead of a 2-d complex exponential.  The result
    may be real (then it is the exact transform, whose imaginary part vanishes).

    ``ysym``: the column ``ky`` is known to be symmetric about its middle entry
    (``ky[R - 1 - r] = -ky[r]``, ``R`` odd); radial leaves are then evaluated on the
    rows ``ky >= 0`` only and mirrored (static flag)."""
    from ..transform import Transformation
    from ..convolve import Convolution
    from ..sum import Sum
    if isinstance(prof, Convolution) and len(prof._obj_list) > 1:
        out = None
        for obj in prof._obj_list:
            v = _kvalues(obj, kx, ky, xp, ysym)
            out = v if out is None else out * v
        return out
    if isinstance(prof, Transformation) and prof._has_offset:
        dx, dy = prof._dx, prof._dy
        core = prof.tree_replace(_dx=0.0, _dy=0.0)
        val = _kvalues(core, kx, ky, xp, ysym)
        phase = computed_once(xp.exp(-1j * kx * dx)) * computed_once(xp.exp(-1j * ky * dy))
        return val * phase
    if isinstance(prof, Transformation):
        # Push the (unshifted) transformation into the original's k values, keeping a
        # diagonal Jacobian's grid separable and the arithmetic real where it can be.
        jac = prof._jac
        if jac is None:
            kxt, kyt = kx, ky
        elif not is_traced(jac) and jac[0, 1] == 0.0 and jac[1, 0] == 0.0:
            kxt, kyt = jac[0, 0] * kx, jac[1, 1] * ky
        else:
            kxt, kyt = prof._fwdT(kx, ky)
            ysym = False
        return _kvalues(prof._original, kxt, kyt, xp, ysym) * prof._flux_scaling
    if isinstance(prof, Sum):
        out = None
        for obj in prof._obj_list:
            v = _kvalues(obj, kx, ky, xp, ysym)
            out = v if out is None else out + v
        return out
    kvalue = prof._kValue_real
    if ysym and prof._kValue_ksq is not None and getattr(ky, "ndim", 0) == 2 and ky.shape[0] > 2 \
            and ky.shape[0] % 2 == 1 and ky.shape[1] == 1:
        H = ky.shape[0] // 2
        val = kvalue(kx, ky[H:])
        val = xp.broadcast_to(val, (H + 1,) + tuple(val.shape[1:]))
        return xp.concatenate([val[:0:-1], val], axis=0)
    if kvalue is not None:
        return kvalue(kx, ky)
    val = prof._kValue_array(kx, ky)
    if _point_symmetric(prof) and xp.iscomplexobj(val):
        val = val.real
    return val


def _ky_even(prof):
    """Whether ``prof``'s k values are even in ``ky`` alone (static): radial leaves,
    `Box`/`Pixel` and `DeltaFunction`."""
    from ..box import Box
    from ..deltafunction import DeltaFunction
    return prof._kValue_ksq is not None or isinstance(prof, (Box, DeltaFunction))


def _kvalues_pm(prof, kx, ky, xp):
    """The real k values of a point-symmetric profile at ``(kx, ky)`` and at
    ``(kx, -ky)``: a pair ``(P, M)`` of arrays that broadcast against ``kx`` and ``ky``.
    ``M`` is None where the profile is even in ``ky`` (``M = P``), so it is neither
    computed nor stored twice.

    The ky-even factors of a convolution are multiplied together first and shared by
    ``P`` and ``M``; a general transformation goes to :func:`_transformed_pm`."""
    from ..transform import Transformation
    from ..convolve import Convolution
    from ..sum import Sum
    if isinstance(prof, (Convolution, Sum)):
        parts = [_kvalues_pm(obj, kx, ky, xp) for obj in prof._obj_list]
        if isinstance(prof, Sum):
            P = _reduce(operator.add, [p for p, _ in parts])
            if all(m is None for _, m in parts):
                return P, None
            return P, _reduce(operator.add, [p if m is None else m for p, m in parts])
        S = _reduce(operator.mul, [p for p, m in parts if m is None])
        odd = [(p, m) for p, m in parts if m is not None]
        if not odd:
            return S, None
        P = _reduce(operator.mul, [p for p, _ in odd])
        M = _reduce(operator.mul, [m for _, m in odd])
        return (P, M) if S is None else (S * P, S * M)
    if isinstance(prof, Transformation):
        orig, jac, scale = prof._original, prof._jac, prof._flux_scaling
        if jac is None:
            P, M = _kvalues_pm(orig, kx, ky, xp)
        elif not is_traced(jac) and jac[0, 1] == 0.0 and jac[1, 0] == 0.0:
            P, M = _kvalues_pm(orig, jac[0, 0] * kx, jac[1, 1] * ky, xp)
        else:
            P, M = _transformed_pm(orig, jac, kx, ky, xp)
        return P * scale, (None if M is None else M * scale)
    P = prof._kValue_real(kx, ky)
    return P, (None if _ky_even(prof) else prof._kValue_real(kx, -ky))


def _transformed_pm(prof, jac, kx, ky, xp):
    """``(P, M)`` of ``prof`` at ``J^T (kx, ky)`` and ``J^T (kx, -ky)`` for a general
    Jacobian ``J`` (the k values of ``prof`` transformed by ``J``, without its flux
    scaling).  The Jacobian is pushed through convolutions, sums and further
    transformations down to the leaves; a radial leaf is evaluated from the quadratic
    form ``|J^T k|^2 = A kx^2 + C ky^2 +- 2 B kx ky`` on the static grids ``kx^2``,
    ``ky^2``, ``kx ky``, so its derivatives with respect to ``J`` are three products each."""
    from ..transform import Transformation
    from ..convolve import Convolution
    from ..sum import Sum
    if isinstance(prof, (Convolution, Sum)):
        parts = [_transformed_pm(obj, jac, kx, ky, xp) for obj in prof._obj_list]
        op = operator.mul if isinstance(prof, Convolution) else operator.add
        return _reduce(op, [p for p, _ in parts]), _reduce(op, [m for _, m in parts])
    if isinstance(prof, Transformation):
        inner = prof._jac
        total = jac if inner is None else (xp if is_traced(jac, inner) else np).matmul(jac, inner)
        P, M = _transformed_pm(prof._original, total, kx, ky, xp)
        return P * prof._flux_scaling, M * prof._flux_scaling
    if prof._kValue_ksq is not None:
        A = jac[0, 0] * jac[0, 0] + jac[0, 1] * jac[0, 1]
        B = jac[0, 0] * jac[1, 0] + jac[0, 1] * jac[1, 1]
        C = jac[1, 0] * jac[1, 0] + jac[1, 1] * jac[1, 1]
        diag = A * (kx * kx) + C * (ky * ky)
        cross = (2.0 * B) * (kx * ky)
        return prof._kValue_ksq(diag + cross), prof._kValue_ksq(diag - cross)
    fwdT = lambda u, v: (jac[0, 0] * u + jac[1, 0] * v, jac[0, 1] * u + jac[1, 1] * v)
    return prof._kValue_real(*fwdT(kx, ky)), prof._kValue_real(*fwdT(kx, -ky))


def _reduce(op, values):
    """``values`` combined with the binary ``op`` (None for an empty list)."""
    return functools.reduce(op, values) if values else None


def _fold_rows(a, N, xp):
    """Fold rows holding k indices ``-L/2 .. L/2`` (``L + 1`` rows, ``L`` a multiple of
    ``N``) onto period ``N``, FFT order (row ``r`` holds k index ``r mod N``)."""
    L = a.shape[0] - 1
    M = L // N
    if M == 1:
        main = a[:N]
    else:
        main = a[:L].reshape((M, N) + a.shape[1:]).sum(axis=0)
    # k index L/2 is congruent to -L/2, the first entry of `main`.
    main = xp.concatenate([main[:1] + a[L:L + 1], main[1:]], axis=0)
    shift = (L // 2) % N
    return xp.roll(main, -shift, axis=0)


def draw_fft_array(prof, xmin, ymin, nx, ny, scale, N, M, nk, xp):
    """Draw ``prof`` on an ``ny x nx`` grid through a discrete Fourier transform.

    With a traced ``nk`` and ``M > 1`` the run-time choice between the plain grid
    (``nk <= N``: nothing to fold, the common case of a well-sampled profile) and the
    ``M``-times larger folded grid is a ``lax.cond``, so only the needed branch runs.
    Under ``vmap`` the predicate is reduced over the batch (:func:`_any_in_batch`): the
    whole batch takes the larger grid if any stamp needs it.  Both branches give the
    same image for a stamp with ``nk <= N`` (the extra k values are masked), so this is
    only a cost choice, and it keeps ``cond`` from turning into "evaluate both".  See
    :func:`_draw_fft_fixed` for the grid itself.
    """
    if xp is np:
        return _draw_fft_fixed(prof, xmin, ymin, nx, ny, scale, N, M, nk, xp)
    import jax
    from .batching import chunked
    # Only the traced leaves go through `chunked` (under vmap: cache-sized chunks on the
    # CPU); concrete ones stay concrete, keeping the static decisions below.
    leaves, treedef = jax.tree_util.tree_flatten(prof)
    traced = [i for i, leaf in enumerate(leaves) if is_traced(leaf)]

    def draw(traced_leaves, nk):
        full = list(leaves)
        for i, leaf in zip(traced, traced_leaves):
            full[i] = leaf
        p = jax.tree_util.tree_unflatten(treedef, full)
        if nk is None or M == 1:
            return _draw_fft_fixed(p, xmin, ymin, nx, ny, scale, N, M, nk, xp)
        return jax.lax.cond(
            _any_in_batch(jax.lax.stop_gradient(nk) > N),
            lambda: _draw_fft_fixed(p, xmin, ymin, nx, ny, scale, N, M, nk, xp),
            lambda: _draw_fft_fixed(p, xmin, ymin, nx, ny, scale, N, 1, None, xp))

    return chunked(draw, [leaves[i] for i in traced], nk)


def _make_any_in_batch():
    import jax
    import jax.numpy as jnp
    from jax import custom_batching

    @custom_batching.custom_vmap
    def any_in_batch(pred):
        return pred

    @any_in_batch.def_vmap
    def _rule(axis_size, in_batched, pred):
        return jnp.any(pred), False

    return any_in_batch


_ANY = []


def _any_in_batch(pred):
    """``pred`` itself; under ``vmap``, ``any(pred)`` over the batch (unbatched)."""
    if not _ANY:
        _ANY.append(_make_any_in_batch())
    return _ANY[0](pred)


def _draw_fft_fixed(prof, xmin, ymin, nx, ny, scale, N, M, nk, xp):
    """Draw ``prof`` on an ``ny x nx`` grid through a discrete Fourier transform.

    The k-space image is evaluated on the half plane ``kx >= 0`` of k indices
    ``-MN/2 .. MN/2`` (``ky``) and ``0 .. MN/2`` (``kx``) with spacing
    ``dk = 2 pi / (N scale)``; entries with an index beyond ``nk / 2`` are zeroed (``nk``
    may be traced; ``None`` keeps everything).  The full (Hermitian) plane is folded onto
    period ``N`` (GalSim's wrapping of the k-image: the Nyquist lines ``+-MN/2`` both
    count) using the half plane and its mirror ``F(-k) = conj F(k)``, and transformed
    with a real inverse FFT of size ``N``.  Traced draws of a point-symmetric profile
    (once its shifts are pulled out, :func:`_split_shift`) take the direct real DFT of
    :func:`_real_dft_window` instead where that is cheaper (:func:`_dft_is_cheap`).
    """
    N = int(N)
    M = int(M)
    MN = M * N
    H = MN // 2
    dk = 2.0 * math.pi / (N * scale)
    iy = np.arange(-H, H + 1)
    ixh = np.arange(0, H + 1)
    # NumPy grids: they stay concrete under tracing, so a profile can tell a drawing
    # grid from traced k values and use the grid's static structure.
    ky = (iy * dk)[:, None]
    kx = (ixh * dk)[None, :]

    def masked(values, rows, cols):
        """``values`` on the grid of k indices ``rows x cols``, zero beyond ``nk / 2``."""
        values = xp.broadcast_to(values, (len(rows), len(cols)))
        if nk is None:
            return values
        inside = (np.abs(rows)[:, None] <= nk / 2.0) & (cols[None, :] <= nk / 2.0)
        return xp.where(inside, values, 0.0)

    def kimage(p):
        return masked(_kvalues(p, kx, ky, xp, ysym=True), iy, ixh)

    split = _split_shift(prof) if xp is not np else None
    if split is not None and _point_symmetric(split[0]):
        core, sx, sy = split
        shift = (sx / scale, sy / scale)
        if _dft_is_cheap((MN + 1, H + 1), xmin, ymin, nx, ny, N, shift):
            # The half plane as (kx, ky >= 0) and its mirror (kx, -ky), kx down the rows:
            # the layout the matrix products read, with no transposes or reversals.
            kxc, kyr = (ixh * dk)[:, None], (ixh * dk)[None, :]
            halves = _kvalues_pm(core, kxc, kyr, xp)
            halves = [None if h is None else masked(h, ixh, ixh) for h in halves]
            return _real_dft_window(*halves, xmin, ymin, nx, ny, N, xp, shift)
    kim = kimage(prof)
    R = _fold_rows(kim, N, xp)                      # (N, H + 1), rows in FFT order
    if not xp.iscomplexobj(R):
        R = R + 0j
    if M == 1:
        # Only the Nyquist column kx = N/2 has a mirror image inside the half plane
        # (kx = -N/2): add conj(R[-r, N/2]).
        col = R[:, H:H + 1]
        colm = xp.concatenate([col[:1], col[:0:-1]], axis=0)
        G = xp.concatenate([R[:, :H], col + xp.conj(colm)], axis=1)
    else:
        # Fold columns c = 0 .. MN/2 onto c mod N (P), and separately without c = 0
        # (Q): the mirrored kx < 0 half contributes conj(Q[-r, (-m) mod N]).
        pad = xp.zeros((N, M * N - H - 1), dtype=R.dtype)
        P = xp.concatenate([R, pad], axis=1).reshape(N, M, N).sum(axis=1)
        Q = xp.concatenate([P[:, :1] - R[:, :1], P[:, 1:]], axis=1)
        # Q[(-r) mod N, (-m) mod N] for m = 0 .. N/2, by reversals (no gathers)
        Qr = xp.concatenate([Q[:1], Q[:0:-1]], axis=0)
        Qrm = xp.concatenate([Qr[:, :1], Qr[:, :N // 2 - 1:-1]], axis=1)
        G = P[:, :N // 2 + 1] + xp.conj(Qrm)
    # The inverse DFT normalisation 1/N^2 equals (dk scale / 2 pi)^2: surface
    # brightness times pixel area.
    real = xp.fft.irfft2(G, s=(N, N))
    return _periodic_window(real, xmin, ymin, nx, ny, N, xp)


def _split_shift(prof):
    """``(core, dx, dy)`` with ``prof`` equal to ``core`` shifted by ``(dx, dy)`` (floats,
    or traced scalars): the offsets of transformations and of the components of a
    convolution are pulled out (a shift is a pure phase in k space), an inner shift
    carried through an outer transformation's Jacobian.  Anything else stays in ``core``
    (a sum of shifted parts, say: then ``core`` is not point-symmetric).  Static."""
    from ..transform import Transformation
    from ..convolve import Convolution
    if isinstance(prof, Transformation):
        core, ox, oy = _split_shift(prof._original)
        jac = prof._jac
        if jac is not None and not (_is_zero(ox) and _is_zero(oy)):
            ox, oy = jac[0, 0] * ox + jac[0, 1] * oy, jac[1, 0] * ox + jac[1, 1] * oy
        dx, dy = (prof._dx, prof._dy) if prof._has_offset else (0.0, 0.0)
        core = prof.tree_replace(_original=core, _dx=0.0, _dy=0.0)
        return core, _float(dx + ox), _float(dy + oy)
    if type(prof) is Convolution and len(prof._obj_list) > 1:
        # (not its subclasses: an AutoConvolution's parts are not separate parameters)
        parts = [_split_shift(obj) for obj in prof._obj_list]
        core = prof.tree_replace(_obj_list=[part[0] for part in parts])
        return core, _float(sum(part[1] for part in parts)), _float(sum(part[2] for part in parts))
    return prof, 0.0, 0.0


def _is_zero(value):
    return not is_traced(value) and np.all(np.asarray(value) == 0.0)


def _float(value):
    return value if is_traced(value) else float(value)


def _dft_is_cheap(kshape, xmin, ymin, nx, ny, N, shift=(0.0, 0.0)):
    """Whether :func:`_real_dft_window` (three matrix products) is expected to be
    cheaper than folding plus a size-``N`` FFT: multiply-adds against
    ``16 N^2 log2 N`` (the break-even measured on CPU for 64x64 stamps of a 128 grid).
    Static."""
    rows, cols, _ = _dft_block(xmin, ymin, nx, ny, shift)
    # a traced shift doubles the first product (the modulated halves, 2 K x 2 J)
    first = (2 if is_traced(shift) else 1) * len(rows) * kshape[0] * kshape[1]
    macs = first + 2 * len(rows) * kshape[1] * len(cols)
    return macs <= 16 * N * N * math.log2(max(N, 2))


def _dft_block(xmin, ymin, nx, ny, shift=(0.0, 0.0)):
    """The pixel coordinates relative to the profile's centre, ``p = y - dy`` (rows)
    and ``q = x - dx`` (columns), at which :func:`_real_dft_window` evaluates, and
    whether the window is then unfolded from them (static).

    A point-symmetric profile has ``I(-p, -q) = I(p, q)``.  When the centre sits on a
    pixel or half-pixel lattice point (``2 dx``, ``2 dy`` integers) and the window's rows
    straddle it, only the rows ``p >= 0`` are computed, on the columns ``-qa .. qa``
    that cover the window and its mirror: about half the pixels of a centred stamp.  A
    traced shift leaves the integer pixel coordinates."""
    if is_traced(shift):
        # the shift modulates the k image instead (:func:`_real_dft_window`)
        return ymin + np.arange(ny, dtype=float), xmin + np.arange(nx, dtype=float), False
    dx, dy = shift
    P = ymin + np.arange(ny) - dy
    Q = xmin + np.arange(nx) - dx
    if float(2 * dx).is_integer() and float(2 * dy).is_integer() and P[0] < 0 <= P[-1]:
        r0, r1 = min(-P[P < 0].max(), P[P >= 0].min()), max(-P[0], P[-1])
        qa = max(abs(Q[0]), abs(Q[-1]))
        rows = r0 + np.arange(round(r1 - r0) + 1)
        cols = -qa + np.arange(round(2 * qa) + 1)
        if len(rows) * len(cols) < nx * ny:
            return rows, cols, True
    return P, Q, False


def _real_dft_window(P, M, xmin, ymin, nx, ny, N, xp, shift=(0.0, 0.0)):
    """The ``ny x nx`` window of the inverse DFT of a real, point-symmetric k image
    shifted by ``shift`` pixels, by matrix products with cosine/sine tables (cheaper
    than a size-``N`` FFT for a postage stamp, and batched well under ``vmap``).

    ``P[kx, j]`` holds the k image at ``(kx, ky) = (kx, j)`` and ``M[kx, j]`` at
    ``(kx, -j)``, in units of ``dk``, for ``kx, j = 0 .. K-1`` (``M`` None: the image is
    even in ``ky``, ``M = P``).  With ``F(-k) = F(k)`` real, the image at
    ``p = y - dy``, ``q = x - dx`` is
    ``I = N^-2 sum_{kx >= 0} w_kx [C(p, kx) cos(2 pi kx q / N) - S(p, kx) sin(...)]``
    with ``w_0 = 1`` and ``w = 2`` otherwise (the mirrored half plane, Nyquist lines
    included), where ``C`` sums the part of ``F`` even in ``ky`` (``P + M``, ``ky = 0``
    once) against ``cos(2 pi j p / N)`` and ``S`` the odd part (``P - M``) against the
    sine.  Summing every k of the (possibly ``M``-times larger) grid at integer pixels is
    GalSim's wrapping of the k image onto period ``N``; :func:`_dft_block` halves the
    pixels computed for a centred stamp.  A traced ``shift`` (a fitted centroid, say)
    enters through the angle-addition formulas as ``cos``/``sin`` modulations of the
    k image's columns (``dy``) and of the partial sums (``dx``), leaving the tables
    static."""
    K, J = P.shape[-2:]
    rows, cols, unfold = _dft_block(xmin, ymin, nx, ny, shift)
    # A static shift is already in rows and cols.  A traced one modulates the k image:
    # cos(j (p - d)) = cos(j p) cos(j d) + sin(j p) sin(j d), and likewise for sin, so
    # the tables stay static and the k image stays on the left of every product.
    traced = is_traced(shift)
    dx, dy = shift if traced else (0.0, 0.0)
    j, kx = np.arange(J), np.arange(K)
    two_pi_n = 2.0 * np.pi / N
    ay = two_pi_n * np.mod(j[:, None] * rows[None, :], N)                  # (J, R)
    ax = two_pi_n * np.mod(kx[:, None] * cols[None, :], N)                  # (K, Q)
    # ky weights: +-j both counted (j = 0 once)
    wy = (np.where(j == 0, 1.0, 2.0) if M is None else np.where(j == 0, 0.5, 1.0))[:, None]
    w = np.where(kx == 0, 1.0, 2.0)[:, None] / float(N) ** 2
    table = lambda a: xp.asarray(a, dtype=P.dtype)
    cos_y, sin_y = table(wy * np.cos(ay)), table(wy * np.sin(ay))
    even = P if M is None else P + M
    odd = None if M is None else P - M
    if traced:
        # With cx = cos(kx dx), sx = sin(kx dx) (rows) and cy, sy likewise in j (columns):
        #   C = [E cx cy - O sx sy] @ cos + [E cx sy + O sx cy] @ sin
        #   S = -[O cx sy + E sx cy] @ cos + [O cx cy - E sx sy] @ sin
        # (E, O the even and odd parts), one product of the stacked modulated halves.
        cy, sy = (v[None, :] for v in _phase_vectors(j, dy, N, xp))
        cx, sx = (v[:, None] for v in _phase_vectors(kx, dx, N, xp))
        cc, cs, sc, ss = cx * cy, cx * sy, sx * cy, sx * sy
        if odd is None:
            top = [even * cc, even * cs]
            bottom = [-(even * sc), -(even * ss)]
        else:
            top = [even * cc - odd * ss, even * cs + odd * sc]
            bottom = [-(odd * cs + even * sc), odd * cc - even * ss]
        halves = xp.concatenate([xp.concatenate(top, axis=-1), xp.concatenate(bottom, axis=-1)],
                                axis=-2)                                     # (2 K, 2 J)
        CS = xp.matmul(halves, xp.concatenate([cos_y, sin_y], axis=0))       # (2 K, R)
    elif odd is None:
        CS = xp.matmul(even, cos_y)                  # (K, R); no sine part
    else:
        CS = xp.concatenate([xp.matmul(even, cos_y), xp.matmul(odd, sin_y)], axis=0)
    right = w * np.cos(ax)                                                   # (K, Q)
    if CS.shape[-2] > K:
        right = np.concatenate([right, -w * np.sin(ax)], axis=0)           # (2 K, Q)
    block = xp.matmul(CS.T, table(right))                                    # (R, Q)
    return _unfold(block, rows, cols, unfold, xmin, ymin, nx, ny, shift, xp)


def _unfold(block, rows, cols, unfold, xmin, ymin, nx, ny, shift, xp):
    """The window from the computed ``block`` (see :func:`_dft_block`)."""
    if not unfold:
        return block
    # Window rows with p >= 0 read block rows p - r0 and columns q + qa; rows with
    # p < 0 read I(-p, -q), the same block reversed in both directions.
    dx, dy = shift
    P_ = ymin + np.arange(ny) - dy
    Q_ = xmin + np.arange(nx) - dx
    r0, qa = rows[0], -cols[0]
    n_lower = int((P_ < 0).sum())
    c0, c1 = round(Q_[0] + qa), round(Q_[-1] + qa)
    m0, m1 = round(qa - Q_[-1]), round(qa - Q_[0])
    u0 = round(P_[n_lower] - r0)
    upper = block[u0:u0 + ny - n_lower, c0:c1 + 1]
    l0, l1 = round(-P_[n_lower - 1] - r0), round(-P_[0] - r0)
    lower = block[l0:l1 + 1, m0:m1 + 1][::-1, ::-1]
    return xp.concatenate([lower, upper], axis=0)


def _phase_vectors(index, delta, N, xp):
    """``cos`` and ``sin`` of the angles ``2 pi index delta / N`` (``delta`` in pixels,
    may be traced), each computed once (:func:`~jax_galsim.core.backend.computed_once`)."""
    b = (2.0 * np.pi / N) * index * delta
    return computed_once(xp.cos(b)), computed_once(xp.sin(b))


def _periodic_window(real, xmin, ymin, nx, ny, N, xp):
    """``real[(ymin + j) mod N, (xmin + i) mod N]`` for an ``ny x nx`` window, by rolls and
    slices (static)."""
    x0 = xmin % N
    y0 = ymin % N
    if x0 + nx > N:
        real = xp.roll(real, -x0, axis=1)
        x0 = 0
    if y0 + ny > N:
        real = xp.roll(real, -y0, axis=0)
        y0 = 0
    return real[y0:y0 + ny, x0:x0 + nx]


def draw_k_array(prof, xmin, ymin, nx, ny, dk, xp):
    """The k-space image on an ``ny x nx`` grid of spacing ``dk``, pixel ``(i, j)`` at
    ``k = ((xmin + i) dk, (ymin + j) dk)``."""
    kx = (xmin + xp.arange(nx, dtype=float)) * dk
    ky = (ymin + xp.arange(ny, dtype=float)) * dk
    vals = prof._kValue_array(kx[None, :], ky[:, None])
    return xp.broadcast_to(vals, (ny, nx))
