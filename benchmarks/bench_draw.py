#!/usr/bin/env python3
"""jax_galsim against GalSim drawing one postage stamp, side by side in one run.

Scene: ``Exponential(half_light_radius=1).shear(g1=.2, g2=.1)`` convolved with
``Moffat(beta=3.5, fwhm=0.7)``, 64x64 pixels at scale 0.2, ``method='auto'``; also
``no_pixel`` and ``real_space`` variants, a Gaussian PSF, and the scene drawn at a traced
``offset`` (a different one per stamp in the batches; jacfwd then also over dx, dy).
Rows: GalSim (construct + draw, one stamp); jax_galsim jitted single stamp;
``jit(vmap)`` over 256 and 1024 stamps with a different shear per stamp (time per
stamp); ``jacfwd`` of the stamp with respect to (flux, hlr, g1, g2, beta).  Compile time (first call) is reported separately
from steady-state time.  GalSim, the single stamp and jacfwd are called in turn, so the
ratios between them hold on a machine whose speed drifts; batches, which flush the caches,
are timed on their own next to GalSim.  Float64 throughout (GalSim's precision).

Run: ``python3 benchmarks/bench_draw.py [--quick]``; writes its section of
``docs/benchmarks.md``.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import (first_call_time, interleaved_times, machine_line, publish,  # noqa: E402
                     steady_time)

NX = NY = 64
SCALE = 0.2
THETA0 = dict(flux=1.0, hlr=1.0, g1=0.2, g2=0.1, beta=3.5, dx=0.13, dy=-0.21)
PARAMS = ("flux", "hlr", "g1", "g2", "beta")

CASES = {
    "Moffat PSF, auto": dict(psf="moffat", method="auto"),
    "Moffat PSF, no_pixel": dict(psf="moffat", method="no_pixel"),
    "Moffat PSF, real_space": dict(psf="moffat", method="real_space"),
    "Gaussian PSF, auto": dict(psf="gaussian", method="auto"),
    # the draw offset (pixels) traced too: a fitted or randomised centroid
    "Moffat PSF, auto, traced offset": dict(psf="moffat", method="auto", offset=True),
}


def scene(gs, flux, hlr, g1, g2, beta, psf):
    gal = gs.Exponential(half_light_radius=hlr, flux=flux).shear(g1=g1, g2=g2)
    if psf == "moffat":
        p = gs.Moffat(beta=beta, fwhm=0.7)
    else:
        p = gs.Gaussian(fwhm=0.7)
    return gs.Convolve(gal, p, real_space=None)


def draw(gs, theta, psf, method):
    """The stamp for ``theta`` = (flux, hlr, g1, g2, beta) or (..., dx, dy) with a draw
    offset in pixels."""
    obj = scene(gs, *theta[:5], psf=psf)
    offset = tuple(theta[5:]) if len(theta) > 5 else None
    return obj.drawImage(nx=NX, ny=NY, scale=SCALE, method=method, offset=offset).array


def bench_case(name, psf, method, sizes, quick, offset=False):
    import galsim
    import jax
    import jax.numpy as jnp
    import jax_galsim

    names = PARAMS + (("dx", "dy") if offset else ())
    theta = tuple(THETA0[k] for k in names)
    seconds = 0.3 if quick else 1.0
    th = tuple(jnp.asarray(v) for v in theta)
    single = jax.jit(lambda th: draw(jax_galsim, th, psf, method))
    jac = jax.jit(jax.jacfwd(lambda th: draw(jax_galsim, th, psf, method)))
    t_compile = first_call_time(lambda: single(th).block_until_ready())
    t_c_jac = first_call_time(lambda: jax.block_until_ready(jac(th)))
    # galsim, the single stamp and its jacfwd are timed in turn, so their ratios come
    # from the same machine conditions
    t = interleaved_times({
        "galsim": lambda: draw(galsim, theta, psf, method),
        "single": lambda: single(th).block_until_ready(),
        "jac": lambda: jax.block_until_ready(jac(th))}, min_seconds=seconds)
    t_gs, t_single, t_j = t["galsim"], t["single"], t["jac"]
    ref = draw(galsim, theta, psf, method)
    err = float(np.abs(np.asarray(single(th)) - ref).max() / np.abs(ref).max())
    rows = [(name, "galsim: construct + draw, one stamp", None, t_gs, 1.0),
            (name, "jax_galsim jit, one stamp (max rel. diff to galsim %.1e)" % err,
             t_compile, t_single, t_single / t_gs)]

    batched = jax.jit(jax.vmap(lambda th: draw(jax_galsim, th, psf, method)))
    for n in sizes:
        rng = np.random.default_rng(n)
        g = rng.uniform(-0.3, 0.3, size=(2, n))
        thn = (jnp.full(n, theta[0]), jnp.full(n, theta[1]), jnp.asarray(g[0]),
               jnp.asarray(g[1]), jnp.full(n, theta[4]))
        if offset:
            thn += tuple(jnp.asarray(v) for v in rng.uniform(-0.5, 0.5, size=(2, n)))
        t_c = first_call_time(lambda: batched(thn).block_until_ready())
        # A batch flushes the caches, so calling it in turn with galsim would slow galsim
        # down: both are timed on their own, one after the other.
        t_ref = steady_time(lambda: draw(galsim, theta, psf, method), min_seconds=seconds)
        t_b = steady_time(lambda: batched(thn).block_until_ready(), min_repeat=3,
                          min_seconds=seconds) / n
        rows.append((name, "jax_galsim jit(vmap) over %d stamps, per stamp (galsim timed on "
                     "its own: %.0f us)" % (n, t_ref * 1e6), t_c, t_b, t_b / t_ref))

    rows.append((name, "jax_galsim jit(jacfwd) over %d parameters (x forward: %.2f)"
                 % (len(theta), t_j / t_single),
                 t_c_jac, t_j, t_j / t_gs))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timings, 256 stamps only")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    import jax
    jax.config.update("jax_enable_x64", True)
    sizes = (256,) if args.quick else (256, 1024)

    rows = []
    for name, case in CASES.items():
        try:
            rows += bench_case(name, case["psf"], case["method"], sizes, args.quick,
                               case.get("offset", False))
        except NotImplementedError as err:
            rows.append((name, "not implemented yet: %s" % err, None, None, None))
        print("done:", name, flush=True)

    lines = ["## Drawing a postage stamp (jax_galsim vs galsim)", "",
             "Command: `python3 benchmarks/bench_draw.py%s`  " % (" --quick" if args.quick else ""),
             "Machine: %s. Float64. Times are medians of steady-state calls.  galsim, the "
             "single stamp and jacfwd are called in turn (round robin), so their ratios "
             "compare calls made under the same machine conditions; a vmapped batch flushes "
             "the caches, so it and galsim are timed on their own, one after the other.  "
             "Compile is the first call of the jitted function (trace + compile + run)."
             % machine_line(), "",
             "| case | row | compile (s) | time (us) | ratio to galsim |",
             "|---|---|---:|---:|---:|"]
    for name, row, t_c, t, ratio in rows:
        fmt = lambda v, f: "" if v is None else f % v
        lines.append("| %s | %s | %s | %s | %s |" % (name, row, fmt(t_c, "%.2f"),
                                                    fmt(None if t is None else t * 1e6, "%.1f"),
                                                    fmt(ratio, "%.2f")))
    publish("bench_draw", lines, write=not args.no_write)


if __name__ == "__main__":
    main()
