"""The ``jax-galsim`` command.

Subcommands:

``demo``
    Draw a small scene (a sheared exponential galaxy convolved with a Moffat PSF) with
    jax_galsim and with GalSim, write a PNG comparing them, and print the largest
    pixel difference and both timings (jax_galsim eager, jitted compile and
    steady-state, and the gradient of the image with respect to the galaxy size).
``lensing-maps [options]``
    Draw tomographic log-normal convergence maps at the LSST Y10 fiducial (``cosmo``),
    write FITS and a PNG of the bins, and plot measured against theoretical C_ell
    (``jax-galsim lensing-maps --help``).
``so3-demo [options]``
    Train the SO(3) diffusion model on a toy IGSO(3) mixture and on the intrinsic-
    alignment halo catalogue, and write plots to ``output/so3-demo/`` (``inference``).
``parity [FILE ...]``
    Run GalSim's own test modules against jax_galsim (needs a source checkout: it runs
    ``tests/parity/run_parity.py``).  Arguments are passed through.
"""

import argparse
import os
import subprocess
import sys
import time

DEMO_PARAMS = dict(flux=1000.0, hlr=1.0, g1=0.2, g2=0.1, psf_beta=3.5, psf_fwhm=0.7,
                   nx=64, ny=64, scale=0.2)


def _scene(galsim, flux, hlr, g1, g2, psf_beta, psf_fwhm):
    gal = galsim.Exponential(half_light_radius=hlr, flux=flux).shear(g1=g1, g2=g2)
    psf = galsim.Moffat(beta=psf_beta, fwhm=psf_fwhm)
    return galsim.Convolve(gal, psf)


def _best_time(func, repeat):
    """Best wall time of ``func()`` over ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def demo(args):
    import jax
    import jax.numpy as jnp
    import numpy as np

    if not args.float32:
        jax.config.update("jax_enable_x64", True)   # GalSim works in float64
    import galsim
    import jax_galsim

    p = dict(DEMO_PARAMS)
    shape = dict(nx=p.pop("nx"), ny=p.pop("ny"), scale=p.pop("scale"),
                 dtype=np.float32 if args.float32 else np.float64)

    def draw_galsim():
        return _scene(galsim, **p).drawImage(**shape).array

    def draw_jax(flux, hlr, g1, g2):
        obj = _scene(jax_galsim, flux, hlr, g1, g2, p["psf_beta"], p["psf_fwhm"])
        return obj.drawImage(**shape).array

    ref = draw_galsim()
    t_galsim = _best_time(draw_galsim, args.repeat)

    eager = np.asarray(draw_jax(p["flux"], p["hlr"], p["g1"], p["g2"]))
    t_eager = _best_time(lambda: draw_jax(p["flux"], p["hlr"], p["g1"], p["g2"]), max(1, args.repeat // 10))

    jitted = jax.jit(draw_jax)
    theta = tuple(jnp.asarray(p[k]) for k in ("flux", "hlr", "g1", "g2"))
    t0 = time.perf_counter()
    jitted(*theta).block_until_ready()
    t_compile = time.perf_counter() - t0
    jit_img = np.asarray(jitted(*theta))
    t_jit = _best_time(lambda: jitted(*theta).block_until_ready(), args.repeat)

    # d(image)/d(hlr): the gradient GalSim cannot give.
    dimg_dhlr = jax.jit(jax.jacfwd(draw_jax, argnums=1))
    t0 = time.perf_counter()
    grad = np.asarray(dimg_dhlr(*theta))
    t_grad_compile = time.perf_counter() - t0

    peak = np.abs(ref).max()
    diff_eager = np.abs(eager - ref).max()
    diff_jit = np.abs(jit_img - ref).max()

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    _write_png(args.output, ref, jit_img, grad)

    print("Scene: Exponential(hlr=%(hlr)g, flux=%(flux)g).shear(g1=%(g1)g, g2=%(g2)g) * "
          "Moffat(beta=%(psf_beta)g, fwhm=%(psf_fwhm)g)" % p)
    print("Image: %d x %d at scale %g arcsec/pixel, method='auto', %s"
          % (shape["nx"], shape["ny"], shape["scale"], np.dtype(shape["dtype"]).name))
    print("max |jax_galsim - galsim| (eager):  %.3e  (peak pixel %.4g, relative %.2e)"
          % (diff_eager, peak, diff_eager / peak))
    print("max |jax_galsim - galsim| (jit):    %.3e  (relative %.2e)" % (diff_jit, diff_jit / peak))
    print("galsim, construct + draw:           %9.1f us" % (t_galsim * 1e6))
    print("jax_galsim eager, construct + draw: %9.1f us" % (t_eager * 1e6))
    print("jax_galsim jit compile:             %9.3f s" % t_compile)
    print("jax_galsim jit steady state:        %9.1f us  (ratio to galsim %.2f)"
          % (t_jit * 1e6, t_jit / t_galsim))
    print("jacfwd d(image)/d(hlr) compile+run: %9.3f s" % t_grad_compile)
    print("wrote %s" % args.output)
    return 0


def _write_png(path, ref, ours, grad):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    panels = [(ref, "galsim"), (ours, "jax_galsim (jit)"), (ours - ref, "jax_galsim - galsim"),
              (grad, "d image / d hlr (jax.jacfwd)")]
    for k, (ax, (arr, title)) in enumerate(zip(axes, panels)):
        if k < 2:
            im = ax.imshow(arr, origin="lower", cmap="viridis")
        else:  # signed maps: diverging colours centred on zero
            lim = float(abs(arr).max()) or 1.0
            im = ax.imshow(arr, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def parity(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runner = os.path.join(root, "tests", "parity", "run_parity.py")
    if not os.path.exists(runner):
        print("jax-galsim parity needs a source checkout (tests/parity/run_parity.py not found "
              "beside %s)" % root, file=sys.stderr)
        return 2
    # A process of its own: the runner binds the name galsim to jax_galsim.
    return subprocess.call([sys.executable, runner] + list(argv))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="jax-galsim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="draw a scene with jax_galsim and galsim and compare")
    d.add_argument("--output", default="output/demo.png", help="PNG to write [output/demo.png]")
    d.add_argument("--repeat", type=int, default=50, help="timing repetitions [50]")
    d.add_argument("--float32", action="store_true",
                   help="float32 images and JAX's default precision (default: float64 as GalSim)")
    sub.add_parser("parity", help="run GalSim's test modules against jax_galsim",
                   add_help=False)
    sub.add_parser("lensing-maps", help="log-normal lensing maps at LSST Y10 (cosmo)",
                   add_help=False)
    if argv and argv[0] == "parity":
        return parity(argv[1:])
    sub.add_parser("so3-demo", help="SO(3) diffusion: toy and intrinsic alignments (inference)",
                   add_help=False)
    if argv and argv[0] == "so3-demo":
        from inference.cli_so3 import main as so3_main
        return so3_main(argv[1:])
    if argv and argv[0] == "lensing-maps":
        from cosmo.cli import lensing_maps_main
        return lensing_maps_main(argv[1:])
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args)
    parser.error("unknown command")


if __name__ == "__main__":
    sys.exit(main())
