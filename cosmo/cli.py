"""Command-line entry point for drawing LSST Y10 log-normal lensing maps.

``lensing_maps_main(argv)`` implements ``jax-galsim lensing-maps`` (and
``python -m cosmo.cli``): draws tomographic convergence maps at the fiducial cosmology,
writes them to FITS (one HDU per map, 5 bins per cube), a PNG of the 5 bins and a plot
of the measured vs theoretical C_ell.
"""

import argparse
import os
import sys
import time

__all__ = ["lensing_maps_main", "build_parser"]


def build_parser(prog="jax-galsim lensing-maps"):
    p = argparse.ArgumentParser(prog=prog, description=(
        "Draw tomographic log-normal convergence maps (LSST Y10 setup) at the fiducial "
        "cosmology; write FITS, a PNG of the bins and a measured-vs-theory C_ell plot."))
    p.add_argument("-n", "--n-maps", type=int, default=4, help="number of maps (default 4)")
    p.add_argument("--npix", type=int, default=256, help="pixels per side (default 256)")
    p.add_argument("--field-deg", type=float, default=10.0, help="field side [deg] (default 10)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-noise", action="store_true", help="omit shape noise")
    p.add_argument("--shear", action="store_true", help="also write Kaiser-Squires shear maps")
    p.add_argument("--float64", action="store_true", help="enable jax_enable_x64")
    p.add_argument("-o", "--outdir", default="lensing_maps", help="output folder")
    for name in ("Omega_c", "Omega_b", "h", "n_s", "sigma8", "w0", "wa"):
        p.add_argument(f"--{name}", type=float, default=None,
                       help=f"override the fiducial {name}")
    return p


def _progress(i, n, t0, stream=sys.stderr):
    w = 30
    done = int(w * i / n)
    el = time.time() - t0
    eta = el / i * (n - i) if i else 0.0
    stream.write(f"\r  [{'#' * done}{'.' * (w - done)}] {i}/{n} maps  {el:6.1f}s  eta {eta:5.1f}s")
    stream.flush()
    if i == n:
        stream.write("\n")


def lensing_maps_main(argv=None):
    """Run the lensing-maps command with arguments ``argv`` (list of str); returns 0."""
    args = build_parser().parse_args(argv)
    import jax
    if args.float64:
        jax.config.update("jax_enable_x64", True)
    import numpy as np
    from astropy.io import fits
    from .cosmology import LSST_Y10_FIDUCIAL
    from .lognormal import LogNormalModel, measure_cl, kaiser_squires

    os.makedirs(args.outdir, exist_ok=True)
    over = {k: getattr(args, k) for k in LSST_Y10_FIDUCIAL.param_names
            if getattr(args, k) is not None}
    cosmo = LSST_Y10_FIDUCIAL.replace(**over)
    model = LogNormalModel(npix=args.npix, field_deg=args.field_deg)
    print(f"cosmology: {cosmo}")
    print(f"model: {args.npix}^2 pixels over {args.field_deg}^2 deg^2, {model.n_bins} bins, "
          f"shape-noise sigma per pixel {model.noise_sigma[0]:.4f}")
    t0 = time.time()
    power = jax.jit(model.power_maps)(cosmo)
    jax.block_until_ready(power)
    print(f"spectra, shifts and Gaussian power: {time.time() - t0:.1f}s (incl. compile); "
          f"shifts = {np.round(np.asarray(power['shift']), 5).tolist()}")

    @jax.jit
    def draw(key):
        k1, k2 = jax.random.split(key)
        z = jax.random.normal(k1, (model.n_bins, model.npix, model.npix))
        kap = model.kappa_from_latents(cosmo, z, power=power)
        noisy = kap + jax.numpy.asarray(model.noise_sigma)[:, None, None] * jax.random.normal(k2, kap.shape)
        return kap, noisy

    keys = jax.random.split(jax.random.PRNGKey(args.seed), args.n_maps)
    clean, maps = [], []
    t0 = time.time()
    _progress(0, args.n_maps, t0)
    for i in range(args.n_maps):
        kap, noisy = draw(keys[i])
        kap = np.asarray(kap)
        clean.append(kap)
        maps.append(kap if args.no_noise else np.asarray(noisy))
        _progress(i + 1, args.n_maps, t0)
    hdus = [fits.PrimaryHDU()]
    for i, m in enumerate(maps):
        h = fits.ImageHDU(m.astype(np.float32), name=f"KAPPA{i}")
        h.header["PIXSCALE"] = (model.pixel_arcmin, "arcmin")
        h.header["NOISE"] = (not args.no_noise, "shape noise added")
        for k, v in cosmo.to_dict().items():
            h.header[k[:8].upper()] = float(v)
        for b in range(model.n_bins):
            h.header[f"SHIFT{b}"] = float(power["shift"][b])
        hdus.append(h)
        if args.shear:
            g1, g2 = kaiser_squires(m)
            hdus.append(fits.ImageHDU(np.stack([np.asarray(g1), np.asarray(g2)], 1).astype(np.float32),
                                      name=f"SHEAR{i}"))
    fpath = os.path.join(args.outdir, "kappa_maps.fits")
    fits.HDUList(hdus).writeto(fpath, overwrite=True)
    print(f"wrote {fpath}")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, model.n_bins, figsize=(3.2 * model.n_bins, 3.4))
    ext = [0, args.field_deg, 0, args.field_deg]
    for b, ax in enumerate(axes):
        im = ax.imshow(maps[0][b], origin="lower", extent=ext, cmap="magma")
        ax.set_title(f"bin {b + 1}")
        ax.set_xlabel("deg")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    ppath = os.path.join(args.outdir, "kappa_maps.png")
    fig.savefig(ppath, dpi=110)
    plt.close(fig)
    print(f"wrote {ppath}")

    lmin = 2 * np.pi / np.deg2rad(args.field_deg)
    edges = np.geomspace(lmin * 1.1, np.pi / model.pixel_rad, 13)
    cl_meas, _ = measure_cl(np.stack(clean), args.field_deg, edges)
    cl_meas = np.asarray(cl_meas)
    lc = np.sqrt(edges[1:] * edges[:-1])
    cl_th = np.asarray(power["cl"])
    fig, axes = plt.subplots(1, model.n_bins, figsize=(3.2 * model.n_bins, 3.2), sharey=True)
    for b, ax in enumerate(axes):
        for j in range(b, model.n_bins):
            line, = ax.loglog(model.ell, model.ell * (model.ell + 1) * cl_th[b, j] / (2 * np.pi), lw=1)
            mu = cl_meas[:, b, j].mean(0)
            er = cl_meas[:, b, j].std(0, ddof=1) / np.sqrt(len(clean)) if len(clean) > 1 else 0 * mu
            ax.errorbar(lc, lc * (lc + 1) * mu / (2 * np.pi), yerr=lc * (lc + 1) * er / (2 * np.pi),
                        fmt="o", ms=3, color=line.get_color(), label=f"{b + 1}x{j + 1}")
        ax.set_xlim(edges[0], edges[-1])
        ax.set_xlabel(r"$\ell$")
        ax.legend(fontsize=6)
    axes[0].set_ylabel(r"$\ell(\ell+1)C_\ell/2\pi$")
    fig.suptitle(f"noiseless maps (points, mean of {len(clean)}) vs theory (lines)")
    fig.tight_layout()
    cpath = os.path.join(args.outdir, "cl_measured_vs_theory.png")
    fig.savefig(cpath, dpi=110)
    plt.close(fig)
    print(f"wrote {cpath}")
    return 0


if __name__ == "__main__":
    sys.exit(lensing_maps_main())
