"""Born convergence from a PM light cone vs the Limber C_ell: docs/figures/born_kappa_cl.png.

Setup (defaults): PM run of 64^3 particles in a 400 Mpc/h box (2LPT at a = 0.1, 10
kick-drift-kick steps on a 128^3 force mesh, snapshots at the centres of 200 Mpc/h
shells, planes painted at 128^2), LSST Y10 fiducial
cosmology, source plane z_s = 1, the box replicated along the line of sight with an
independent random shift/flip per replica, an 8 x 8 deg^2 field with 128^2 pixels,
averaged over several IC seeds.  The measured C_ell is compared with
:func:`cosmo.angular_cl.angular_cl` (flat-sky prefactor) for the linear and the
halofit power spectrum; the same light cones built from the linear density of the ICs
(a particle lattice weighted by 1 + D(a) delta_L, painted exactly) separate the
lensing code from the resolution of the PM run.

Usage:  python benchmarks/born_lensing_figure.py [--seeds 4]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _figures import FIGURES, save_figure  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--box", type=float, default=400.0, help="Mpc/h")
    p.add_argument("--planes-per-box", type=int, default=2)
    p.add_argument("--z-source", type=float, default=1.0)
    p.add_argument("--field-deg", type=float, default=8.0)
    p.add_argument("--npix", type=int, default=128)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--boost", type=int, default=2, help="force mesh / particle grid")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--out", default=os.path.join(FIGURES, "born_kappa_cl.png"))
    args = p.parse_args(argv)

    import numpy as np
    import jax
    import jax.numpy as jnp
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cosmo import lensing as L
    from cosmo import background as bg
    from cosmo.angular_cl import angular_cl
    from cosmo.cosmology import LSST_Y10_FIDUCIAL as C
    from cosmo.lognormal import measure_cl
    from cosmo.redshift import TomographicBins
    from cosmo.pm.nbody import simulate
    from cosmo.pm.lpt import particle_grid

    t0 = time.time()
    n, box_h = args.n, args.box
    h = float(C.h)
    box = box_h / h  # Mpc
    shape = (n,) * 3
    chi_s = float(jax.jit(bg.comoving_radial_distance)(C, 1.0 / (1.0 + args.z_source)))
    width = box / args.planes_per_box
    chi, a = L.plane_geometry(C, chi_s, width)
    a_np = np.asarray(a)
    coords = L.angular_grid(np.deg2rad(args.field_deg), args.npix)
    # a one-cell n(z) at z_s on the Limber grid, for both the Born sum and the reference
    dz = 0.01
    zg = (np.arange(300) + 0.5) * dz
    nz = np.zeros((1, zg.size))
    nz[0, np.argmin(np.abs(zg - args.z_source))] = 1.0
    bins = TomographicBins(zg, dz, nz, [1.0], 0.26)

    fine = (args.boost * n,) * 3
    growth = jax.jit(bg.growth_factor)(C, a)
    lattice = particle_grid(shape).reshape(-1, 3)

    @jax.jit
    def kappa_maps(cosmo, key):
        res = simulate(cosmo, key, shape, box_h, a_init=0.1, a_final=float(a_np.max()),
                       n_steps=args.steps, save_at=a_np, force_mesh_shape=fine)
        snaps = res.snapshots.reshape(chi.size, -1, 3)  # cells of the force mesh
        tkey = jax.random.fold_in(key, 1)
        planes = L.lightcone_planes(snaps, fine, box, chi, width, fine[0], key=tkey)
        k_pm = L.convergence_born(cosmo, planes, chi, a, width, box, coords, nz=bins)
        # the same light cone from the linear density (lattice weighted by 1 + D delta_L)
        w = 1.0 + growth[:, None] * res.linear.reshape(1, -1)
        planes = L.lightcone_planes(jnp.broadcast_to(lattice, (chi.size,) + lattice.shape),
                                    shape, box, chi, width, n, key=tkey, nbar=1.0, weights=w)
        k_lin = L.convergence_born(cosmo, planes, chi, a, width, box, coords, nz=bins)
        return k_pm, k_lin

    out = [kappa_maps(C, jax.random.PRNGKey(s)) for s in range(args.seeds)]
    maps = jnp.stack([o[0] for o in out])
    maps_lin = jnp.stack([o[1] for o in out])
    t_sim = time.time() - t0
    lmin = 2 * np.pi / np.deg2rad(args.field_deg)
    edges = np.geomspace(lmin, 0.5 * args.npix * lmin, 14)
    cl, n_modes = measure_cl(maps, args.field_deg, edges)
    cl = np.asarray(cl)[:, 0, 0]
    cl_lin = np.asarray(measure_cl(maps_lin, args.field_deg, edges)[0])[:, 0, 0].mean(0)
    ell = np.sqrt(edges[1:] * edges[:-1])
    limber = jax.jit(lambda c: (angular_cl(c, ell, bins, kind="flat", nonlinear=False),
                                angular_cl(c, ell, bins, kind="flat")))
    ref_lin, ref_nl = (np.asarray(x)[0, 0] for x in limber(C))
    mean = cl.mean(0)
    err = mean * np.sqrt(2.0 / (n_modes * args.seeds))  # full-plane mode count: 2x conservative

    print("| ell | Born PM / Limber halofit | Born linear planes / Limber linear | modes |")
    print("|---|---|---|---|")
    for e, c, cli, rl, rn, m in zip(ell, mean, cl_lin, ref_lin, ref_nl, n_modes):
        print(f"| {e:.0f} | {c / rn:.3f} | {cli / rl:.3f} | {m} |")
    kny_ell = np.pi * n / box * chi_s / 2  # ell of the particle-grid Nyquist at chi_s / 2
    print(f"\n{args.seeds} light cones of {chi.size} planes in {t_sim:.0f} s; mesh Nyquist "
          f"at chi_s/2 corresponds to ell ~ {kny_ell:.0f}")

    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].errorbar(ell, ell * (ell + 1) * mean / (2 * np.pi),
                   ell * (ell + 1) * err / (2 * np.pi), fmt="o", ms=3,
                   label=f"Born, PM {n}$^3$ light cone ({args.seeds} seeds)")
    ax[0].loglog(ell, ell * (ell + 1) * cl_lin / (2 * np.pi), "s", ms=3, color="C2",
                 label="Born, linear-density planes (same seeds)")
    ax[0].loglog(ell, ell * (ell + 1) * ref_lin / (2 * np.pi), "k--", label="Limber, linear P(k)")
    ax[0].loglog(ell, ell * (ell + 1) * ref_nl / (2 * np.pi), "k-", label="Limber, halofit")
    ax[0].axvline(kny_ell, color="0.6", lw=0.8, ls=":")
    ax[0].set_xlabel(r"$\ell$")
    ax[0].set_ylabel(r"$\ell(\ell+1) C_\ell^{\kappa\kappa} / 2\pi$")
    ax[0].set_title(f"$z_s = {args.z_source}$, {args.field_deg:g} deg field")
    ax[0].legend(fontsize=8)
    im = ax[1].imshow(np.asarray(maps[0, 0]).T, origin="lower", cmap="magma",
                      extent=[-args.field_deg / 2, args.field_deg / 2] * 2)
    ax[1].set_title(r"Born $\kappa$ (seed 0)")
    ax[1].set_xlabel("deg")
    fig.colorbar(im, ax=ax[1])
    save_figure(fig, args.out)


if __name__ == "__main__":
    main()
