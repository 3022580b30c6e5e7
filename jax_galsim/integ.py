"""Numerical integration (GalSim's ``galsim.integ``)."""

import numpy as np

__all__ = ["int1d"]


def int1d(func, min, max, rel_err=1.0e-6, abs_err=1.0e-12):
    """Integrate the 1-d function ``func`` from ``min`` to ``max`` (either may be
    infinite) to the requested relative or absolute accuracy, adaptively (SciPy's QUADPACK).

    Returns the integral as a float."""
    from scipy.integrate import quad
    from .errors import GalSimError
    f = lambda x: float(func(x))
    try:
        val, err = quad(f, float(min), float(max), epsabs=abs_err, epsrel=rel_err, limit=500)
    except Exception as e:  # pragma: no cover
        raise GalSimError("Failed to integrate: %s" % e)
    return float(val)
