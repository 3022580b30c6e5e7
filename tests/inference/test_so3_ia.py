"""IA: a conditional SO(3) diffusion model trained on the halo catalogue reproduces
the generator's ED correlation and w_g+ within their (paired) bootstrap errors."""

import jax
import numpy as np
import pytest

from cosmo import intrinsic_alignment as ia
from inference.so3 import ia as sia
from inference.so3 import lie

R_BINS = np.geomspace(1.0, 40.0, 9)


@pytest.fixture(scope="module")
def trained():
    train = ia.make_halo_catalogue(jax.random.PRNGKey(100), n_halos=20000, box_size=200.0)
    model, res = sia.train_ia_model(train, jax.random.PRNGKey(1), n_steps=4000,
                                    steps_per_call=250, progress=False)
    return model, res


@pytest.fixture(scope="module")
def test_cat():
    return ia.make_halo_catalogue(jax.random.PRNGKey(7), n_halos=4000, box_size=200.0)


@pytest.fixture(scope="module")
def sampled(trained, test_cat):
    model, res = trained
    return sia.sample_ia_orientations(model, res.ema_params, test_cat, jax.random.PRNGKey(2))


def test_sampled_frames_are_rotations(sampled):
    e1, e2 = lie.orthogonality_error(sampled)
    assert float(e1) < 1e-10 and float(e2) < 1e-10


def test_misalignment_depends_on_mass(sampled, test_cat):
    ang_m = np.asarray(lie.rotation_angle(test_cat.relative_orientations(sampled)))
    ang_t = np.asarray(lie.rotation_angle(test_cat.relative_orientations()))
    for lo, hi in ((11.5, 12.0), (12.0, 13.0), (13.0, 14.5)):
        m = (test_cat.log10_mass >= lo) & (test_cat.log10_mass < hi)
        se = np.sqrt((ang_m[m].var() + ang_t[m].var()) / m.sum())
        assert abs(ang_m[m].mean() - ang_t[m].mean()) < 4 * se + 0.03, (lo, hi)
    heavy, light = test_cat.log10_mass > 13, test_cat.log10_mass < 12
    assert ang_m[heavy].mean() < ang_m[light].mean() - 0.2


def test_ed_and_wgplus_agree_with_truth(sampled, test_cat):
    cat = test_cat
    ed_t = ia.ed_correlation(cat.positions, cat.galaxy_frames, cat.box_size, R_BINS)
    ed_m = ia.ed_correlation(cat.positions, sampled, cat.box_size, R_BINS)
    e_t = ia.projected_ellipticity(cat.galaxy_frames, cat.galaxy_axis_ratios)
    e_m = ia.projected_ellipticity(sampled, cat.galaxy_axis_ratios)
    w_t = ia.wgplus(cat.positions, e_t, cat.box_size, R_BINS, pi_max=30.0)
    w_m = ia.wgplus(cat.positions, e_m, cat.box_size, R_BINS, pi_max=30.0)
    c_ed = ia.compare_statistics(ed_t, ed_m)
    c_w = ia.compare_statistics(w_t, w_m)
    assert c_ed["pvalue"] > 0.01, c_ed
    assert c_w["pvalue"] > 0.01, c_w
    # the comparison has power: unaligned orientations are rejected by both statistics
    rnd = ia.random_orientations(5, len(cat))
    ed_r = ia.ed_correlation(cat.positions, rnd, cat.box_size, R_BINS)
    w_r = ia.wgplus(cat.positions, ia.projected_ellipticity(rnd, cat.galaxy_axis_ratios),
                    cat.box_size, R_BINS, pi_max=30.0)
    assert ia.compare_statistics(ed_t, ed_r)["pvalue"] < 1e-6
    assert ia.compare_statistics(w_t, w_r)["pvalue"] < 1e-6
