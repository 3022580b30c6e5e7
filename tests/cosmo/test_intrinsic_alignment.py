"""cosmo.intrinsic_alignment: generator, projected shapes, ED and w_g+ statistics."""

import math

import jax
import numpy as np
import pytest
from scipy import stats

from cosmo import intrinsic_alignment as ia

R_BINS = np.geomspace(1.0, 40.0, 9)


@pytest.fixture(scope="module")
def cat():
    return ia.make_halo_catalogue(jax.random.PRNGKey(0), n_halos=3000, box_size=200.0)


def _rot_z(t):
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def test_projected_ellipticity_analytic():
    q, s = 0.6, 0.3
    ar = np.array([[q, s]] * 3)
    frames = np.stack([np.eye(3), _rot_z(0.4), np.array([[0, 0, 1.0], [0, 1, 0], [-1, 0, 0]])])
    e = ia.projected_ellipticity(frames, ar)
    # major axis along x: |e| = (1 - q)/(1 + q), e2 = 0
    np.testing.assert_allclose(e[0], [(1 - q) / (1 + q), 0.0], atol=1e-14)
    # rotating the galaxy by theta about the line of sight rotates e by 2 theta
    np.testing.assert_allclose(e[1], (1 - q) / (1 + q) * np.array([math.cos(0.8), math.sin(0.8)]),
                               atol=1e-14)
    # major axis along the line of sight: projected axes are (s, q) along (x, y)
    np.testing.assert_allclose(e[2], [(s - q) / (s + q), 0.0], atol=1e-14)


def test_tidal_tensor_plane_wave():
    n, L = 16, 100.0
    x = np.arange(n) * L / n
    k = 2 * np.pi * 2 / L
    delta = np.cos(k * x)[None, :, None] * np.ones((n, n, n))   # varies along y
    T = ia.tidal_tensor(delta, L)
    np.testing.assert_allclose(T[..., 1, 1], delta, atol=1e-12)
    np.testing.assert_allclose(np.trace(T, axis1=-2, axis2=-1), delta, atol=1e-12)
    assert np.max(np.abs(T[..., 0, 0])) < 1e-12 and np.max(np.abs(T[..., 0, 1])) < 1e-12


def test_catalogue_contents(cat):
    assert len(cat) == 3000
    assert np.all((cat.positions >= 0) & (cat.positions < cat.box_size))
    for F in (cat.halo_frames, cat.galaxy_frames):
        np.testing.assert_allclose(np.swapaxes(F, 1, 2) @ F, np.broadcast_to(np.eye(3), F.shape),
                                   atol=1e-12)
        np.testing.assert_allclose(np.linalg.det(F), 1.0, atol=1e-12)
    assert 11.5 <= cat.log10_mass.min() and cat.log10_mass.max() <= 14.5
    # the mass function is the requested power law: mean of a truncated exponential
    lam = 0.9 * math.log(10)
    mean = 11.5 + 1 / lam - 3.0 / math.expm1(lam * 3.0)
    assert abs(cat.log10_mass.mean() - mean) < 4 * cat.log10_mass.std() / math.sqrt(3000)
    # deterministic in the key
    again = ia.make_halo_catalogue(jax.random.PRNGKey(0), n_halos=3000, box_size=200.0)
    np.testing.assert_array_equal(again.galaxy_frames, cat.galaxy_frames)
    assert cat.conditioning().shape == (3000, 2)


def test_misalignment_law(cat):
    # R_halo^T R_gal = exp(v), v ~ N(0, sigma^2 I): its angle is Maxwell(sigma) (no wrap
    # for sigma <= 0.5); test the normalised angle |v| / sigma against chi(3)
    rel = cat.relative_orientations()
    ang = np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1) / 2, -1, 1))
    m = cat.sigma <= 0.5
    assert m.sum() > 300
    assert stats.kstest(ang[m] / cat.sigma[m], stats.chi(3).cdf).pvalue > 1e-3
    assert stats.kstest(ang[m] / (1.1 * cat.sigma[m]), stats.chi(3).cdf).pvalue < 1e-3
    # heavier halos are better aligned
    assert ang[cat.log10_mass > 13].mean() < ang[cat.log10_mass < 12].mean() - 0.2


def test_wgplus_sign_and_normalisation():
    # one tracer at the centre, shapes on a ring at r_p = 5 with radial major axes
    L = 100.0
    n = 12
    phi = 2 * np.pi * np.arange(n) / n
    pos = np.stack([50 + 5 * np.cos(phi), 50 + 5 * np.sin(phi), np.full(n, 50.0)], -1)
    frames = np.stack([_rot_z(p) for p in phi])
    e = ia.projected_ellipticity(frames, np.array([[0.5, 0.4]] * n))
    bins = np.array([4.0, 6.0])
    w = ia.wgplus(pos, e, L, bins, pi_max=10.0, density_positions=np.array([[50.0, 50, 50]]),
                  n_boot=10)
    norm = n * 1 * np.pi * (36 - 16) / L ** 3
    np.testing.assert_allclose(w.value, [n * (1 - 0.5) / 1.5 / norm], rtol=1e-12)
    assert w.value[0] > 0   # radial alignment is positive
    ed = ia.ed_correlation(pos, frames, L, bins, density_positions=np.array([[50.0, 50, 50]]),
                           n_boot=10)
    np.testing.assert_allclose(ed.value, [1 - 1 / 3], atol=1e-12)   # perfectly radial


@pytest.fixture(scope="module")
def truth_stats(cat):
    e = ia.projected_ellipticity(cat.galaxy_frames, cat.galaxy_axis_ratios)
    return (ia.ed_correlation(cat.positions, cat.galaxy_frames, cat.box_size, R_BINS),
            ia.wgplus(cat.positions, e, cat.box_size, R_BINS, pi_max=30.0))


def _stats_for(cat, frames):
    e = ia.projected_ellipticity(frames, cat.galaxy_axis_ratios)
    return (ia.ed_correlation(cat.positions, frames, cat.box_size, R_BINS),
            ia.wgplus(cat.positions, e, cat.box_size, R_BINS, pi_max=30.0))


def test_alignment_signal_and_bootstrap_calibration(cat, truth_stats):
    ed, w = truth_stats
    # tidal alignment: positive ED and w_g+ at 5-40 Mpc/h, detected at many sigma
    sl = slice(4, 8)
    assert np.sum(ed.value[sl]) / math.sqrt(np.sum(ed.error[sl] ** 2)) > 8
    assert np.sum(w.value[sl]) / math.sqrt(np.sum(w.error[sl] ** 2)) > 5
    # a second draw of the orientations from the same law agrees within the errors ...
    rng = np.random.default_rng(7)
    from cosmo.intrinsic_alignment import _expmap
    other = cat.halo_frames @ _expmap(cat.sigma[:, None] * rng.normal(size=(len(cat), 3)))
    ed2, w2 = _stats_for(cat, other)
    assert ia.compare_statistics(ed, ed2)["pvalue"] > 1e-3
    assert ia.compare_statistics(w, w2)["pvalue"] > 1e-3
    # ... while unaligned (Haar-random) orientations are rejected
    ed0, w0 = _stats_for(cat, ia.random_orientations(3, len(cat)))
    assert ia.compare_statistics(ed, ed0)["pvalue"] < 1e-6
    assert ia.compare_statistics(w, w0)["pvalue"] < 1e-6
