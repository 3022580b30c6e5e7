"""Thinning of tabulated functions: drop tabulated points while the integral of
``|f|`` stays accurate to a requested relative error (GalSim's
``utilities.thin_tabulated_values``; used by ``SED.thin`` and ``Bandpass.thin``).

The algorithm is a greedy bisection: start from the two end points, repeatedly split
the interval whose piecewise approximation has the largest integrated absolute error
at the interior point that best reduces that error, and stop once the summed error of
all open intervals is below ``rel_err`` times the total integral.  NumPy only (the
inputs are concrete tables).
"""

import heapq

import numpy as np

from ..errors import GalSimIncompatibleValuesError, GalSimRangeError, GalSimValueError

__all__ = ["thin_tabulated_values"]


def _trapz(f, x, interpolant="linear"):
    from ..table import trapz

    return trapz(f, x, interpolant)


def _split_errors_linear(x, f, left, right, i):
    """Integrated |f - approx| on [left, i] and [i, right] for the two-segment linear
    approximation through points left, i, right."""
    xl, xr = x[left : i + 1], x[i : right + 1]
    fl, fr = f[left : i + 1], f[i : right + 1]
    line_l = f[left] + (f[i] - f[left]) / (x[i] - x[left]) * (xl - x[left])
    line_r = f[i] + (f[right] - f[i]) / (x[right] - x[i]) * (xr - x[i])
    return _trapz(np.abs(fl - line_l), xl), _trapz(np.abs(fr - line_r), xr)


def _split_exact_linear(x, f, left, right, splitpoints):
    """O(N^2): the split minimising the integrated absolute error exactly."""
    errs = [_split_errors_linear(x, f, left, right, i) for i in range(left + 1, right)]
    k = int(np.argmin(np.sum(errs, axis=1)))
    return k + left + 1, errs[k]


def _split_fast_linear(x, f, left, right, splitpoints):
    """O(N): the split minimising the integrated *squared* error (closed form via
    cumulative sums), reported with its absolute error."""
    xs = x[left : right + 1]
    fs = f[left : right + 1]
    w = xs[2:] - xs[:-2]  # trapezoid weights (times 2) of the interior points
    # left segment from point 0 to candidate j (j = 1..n-2)
    df = fs[1:-1] - fs[0]
    dx = xs[1:-1] - xs[0]
    m = df / dx
    err_l = np.cumsum(w * df**2) - 2 * m * np.cumsum(w * df * dx) + m**2 * np.cumsum(w * dx**2)
    # right segment from candidate j to the last point, accumulated right to left
    wr = w[::-1]
    df = fs[-2:0:-1] - fs[-1]
    dx = xs[-2:0:-1] - xs[-1]
    m = df / dx
    err_r = np.cumsum(wr * df**2) - 2 * m * np.cumsum(wr * df * dx) + m**2 * np.cumsum(wr * dx**2)
    err_r = err_r[::-1]
    k = int(np.argmin(err_l + err_r))
    return k + left + 1, _split_errors_linear(xs, fs, 0, len(xs) - 1, k + 1)


def _split_spline(x, f, left, right, splitpoints):
    """O(N^2) for spline tables: refit the spline through the current split points plus
    each candidate and measure the (linear) integrated absolute error."""
    from ..table import _LookupTable

    errs = []
    for i in range(left + 1, right):
        idx = sorted(splitpoints + [i])
        tab = _LookupTable(x[idx], f[idx], "spline")
        xl, xr = x[left : i + 1], x[i : right + 1]
        errs.append(
            (
                _trapz(np.abs(f[left : i + 1] - tab(xl)), xl),
                _trapz(np.abs(f[i : right + 1] - tab(xr)), xr),
            )
        )
    k = int(np.argmin(np.sum(errs, axis=1)))
    return k + left + 1, errs[k]


def thin_tabulated_values(
    x, f, rel_err=1.0e-4, trim_zeros=True, preserve_range=True, fast_search=True, interpolant="linear"
):
    """Remove tabulated points while keeping the integral of ``|f|`` accurate to
    ``rel_err`` (relative).

    Parameters:
        x, f:           The tabulation (x sorted ascending).
        rel_err:        Allowed relative error of the integral, in (0, 1). [default: 1.e-4]
        trim_zeros:     Drop redundant leading/trailing zeros of f, keeping one zero at
                        each end. [default: True]
        preserve_range: Keep the full x range (True) or also trim ends whose integral
                        is negligible (False). [default: True]
        fast_search:    Use the O(N) split search (True) or the O(N^2) exact one.
                        [default: True]
        interpolant:    'linear' or 'spline': how the table is interpolated.
                        [default: 'linear']

    Returns:
        (x_new, f_new) as NumPy arrays.
    """
    if interpolant == "spline":
        split = _split_spline
    elif fast_search:
        split = _split_fast_linear
    else:
        split = _split_exact_linear

    x = np.asarray(x, dtype=float)
    f = np.asarray(f, dtype=float)
    if len(x) != len(f):
        raise GalSimIncompatibleValuesError("len(x) != len(f)", x=x, f=f)
    if rel_err <= 0 or rel_err >= 1:
        raise GalSimRangeError("rel_err must be between 0 and 1", rel_err, 0.0, 1.0)
    if not (np.diff(x) >= 0).all():
        raise GalSimValueError("input x is not sorted.", x)
    if len(x) <= 2:
        return x, f

    total = _trapz(np.abs(f), x, interpolant)
    if total == 0:
        return np.array([x[0], x[-1]]), np.array([f[0], f[-1]])
    thresh = total * rel_err

    if trim_zeros:
        nz = f.nonzero()[0]
        lo = max(nz[0] - 1, 0)
        hi = min(nz[-1] + 1, len(x) - 1)
        x, f = x[lo : hi + 1], f[lo : hi + 1]

    if not preserve_range:
        # Trim each end while its share of the error budget (proportional to the
        # trimmed x length) exceeds the integral removed.
        span = x[-1] - x[0]
        k0 = 0
        cut = 0.5 * (abs(f[0]) + abs(f[1])) * (x[1] - x[0])
        while k0 < len(x) - 2 and cut < thresh * (x[k0 + 1] - x[0]) / span:
            k0 += 1
            cut += 0.5 * (abs(f[k0]) + abs(f[k0 + 1])) * (x[k0 + 1] - x[k0])
        k1 = len(x) - 1
        cut = 0.5 * (abs(f[k1 - 1]) + abs(f[k1])) * (x[k1] - x[k1 - 1])
        while k1 > k0 and cut < thresh * (x[-1] - x[k1 - 1]) / span:
            k1 -= 1
            cut += 0.5 * (abs(f[k1 - 1]) + abs(f[k1])) * (x[k1] - x[k1 - 1])
        if interpolant == "spline":
            kept = _trapz(np.abs(f[k0 : k1 + 1]), x[k0 : k1 + 1], "spline")
            thresh -= np.abs(kept - total)
        else:
            thresh -= _trapz(np.abs(f[:k0]), x[:k0]) + _trapz(np.abs(f[k1:]), x[k1:])
        x = x[k0 : k1 + 1]
        f = f[k0 : k1 + 1]

    if len(x) <= 2:
        return x, f

    # max-heap of open intervals keyed by their error (negated for heapq)
    heap = [(-2 * thresh, 0, len(x) - 1)]
    points = [0, len(x) - 1]
    while heap:
        _, left, right = heapq.heappop(heap)
        i, (err_l, err_r) = split(x, f, left, right, points)
        points.append(i)
        if i > left + 1:
            heapq.heappush(heap, (-err_l, left, i))
        if right > i + 1:
            heapq.heappush(heap, (-err_r, i, right))
        if -sum(h[0] for h in heap) < thresh:
            if interpolant != "spline":
                break
            points = sorted(points)
            if np.abs(_trapz(f[points], x[points], interpolant) - total) < thresh:
                break
    points = sorted(points)
    return x[points], f[points]
