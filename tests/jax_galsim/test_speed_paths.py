"""The fast drawing paths: half-plane k grids with GalSim's wrapping, the run-time choice
of the folded grid (also under vmap), the pure-JAX Moffat Fourier profile, galsim.fft.
Checked against real GalSim, SciPy and NumPy (float64)."""

import galsim as G
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp

jax.config.update("jax_enable_x64", True)

import jax_galsim as galsim  # noqa: E402
from jax_galsim.core import moffat_k  # noqa: E402


def _gauss(mod, sigma):
    return mod.Gaussian(sigma=sigma, flux=2.0).shift(0.03, -0.02)


def test_undersampled_fold_matches_galsim_eager_and_jit():
    # maxk * scale > pi: GalSim wraps a k grid larger than N onto N.
    sigma = 0.22
    assert G.Gaussian(sigma=sigma).maxk * 0.2 > np.pi
    ref = _gauss(G, sigma).drawImage(nx=20, ny=18, scale=0.2, dtype=float).array
    eager = _gauss(galsim, sigma).drawImage(nx=20, ny=18, scale=0.2, dtype=float).array
    np.testing.assert_allclose(eager, ref, rtol=0, atol=1e-12 * ref.max())
    f = jax.jit(lambda s: _gauss(galsim, s).drawImage(nx=20, ny=18, scale=0.2, dtype=float).array)
    np.testing.assert_allclose(np.asarray(f(sigma)), ref, rtol=0, atol=1e-10 * ref.max())
    # A well-sampled value through the same compiled function (the other branch).
    ref2 = _gauss(G, 0.6).drawImage(nx=20, ny=18, scale=0.2, dtype=float).array
    np.testing.assert_allclose(np.asarray(f(0.6)), ref2, rtol=0, atol=1e-10 * ref2.max())


def test_vmap_mixed_sampling_matches_galsim():
    # One stamp needs the folded grid, the other does not: the batch takes the folded
    # grid and both must still equal GalSim.
    sig = jnp.array([0.22, 0.6])
    f = jax.jit(jax.vmap(lambda s: _gauss(galsim, s).drawImage(
        nx=16, ny=16, scale=0.2, dtype=float).array))
    out = np.asarray(f(sig))
    for i, s in enumerate([0.22, 0.6]):
        ref = _gauss(G, s).drawImage(nx=16, ny=16, scale=0.2, dtype=float).array
        np.testing.assert_allclose(out[i], ref, rtol=0, atol=1e-10 * ref.max())


def test_grad_through_folded_branch():
    w = np.random.RandomState(3).uniform(size=(16, 16))

    def loss(s):
        return (_gauss(galsim, s).drawImage(nx=16, ny=16, scale=0.2, dtype=float).array * w).sum()

    g = float(jax.jit(jax.grad(loss))(0.22))
    eps = 1e-5
    fd = (float(loss(jnp.asarray(0.22 + eps))) - float(loss(jnp.asarray(0.22 - eps)))) / (2 * eps)
    assert abs(g - fd) <= 1e-6 * abs(fd)


@pytest.mark.parametrize("beta", [1.5, 2.0, 2.7, 3.5, 4.7])
def test_moffat_kprofile_matches_scipy(beta):
    nu = beta - 1.0
    q = np.concatenate([[0.0], np.geomspace(1e-3, 1, 20), np.linspace(1, 30, 300)])
    ref = np.where(q > 0, 2 ** (1 - nu) / sp.gamma(nu) * np.where(q > 0, q, 1) ** nu
                   * sp.kv(nu, np.where(q > 0, q, 1)), 1.0)
    exact = np.asarray(moffat_k.f_exact(jnp.asarray(nu), jnp.asarray(q)))
    table = np.asarray(moffat_k.kprofile(jnp.asarray(nu), jnp.asarray(q)))
    np.testing.assert_allclose(exact, ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(table, ref, rtol=0, atol=1e-7)
    from jax_galsim.moffat import _maxk_unit
    assert abs(float(moffat_k.maxk_unit(jnp.asarray(nu), 1e-3)) / _maxk_unit(beta, 1e-3) - 1) < 1e-8


def test_moffat_traced_beta_matches_galsim_and_no_callback():
    f = jax.jit(lambda b: galsim.Moffat(beta=b, fwhm=0.7).drawImage(
        nx=32, ny=32, scale=0.2, dtype=float).array)
    jaxpr = str(jax.make_jaxpr(f)(2.7))
    assert "callback" not in jaxpr
    for b in (2.7, 4.1):
        ref = G.Moffat(beta=b, fwhm=0.7).drawImage(nx=32, ny=32, scale=0.2, dtype=float).array
        np.testing.assert_allclose(np.asarray(f(b)), ref, rtol=0, atol=1e-7 * ref.max())


def test_moffat_gammaln():
    x = np.linspace(0.05, 12, 200)
    np.testing.assert_allclose(np.asarray(moffat_k.gammaln(jnp.asarray(x))), sp.gammaln(x),
                               rtol=0, atol=1e-13)


def test_fft_module_numpy_and_jax():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(6, 8))
    np.testing.assert_allclose(galsim.fft.fft2(a, shift_in=True, shift_out=True),
                               np.fft.fftshift(np.fft.fft2(np.fft.fftshift(a))), atol=1e-12)
    k = galsim.fft.rfft2(a)
    np.testing.assert_allclose(galsim.fft.irfft2(k), a, atol=1e-12)
    kj = galsim.fft.rfft2(jnp.asarray(a))
    assert isinstance(kj, jax.Array)
    np.testing.assert_allclose(np.asarray(kj), k, atol=1e-12)
    with pytest.raises(galsim.GalSimValueError):
        galsim.fft.fft2(np.zeros((5, 4)))


def test_sb_and_drawreal_agree_exactly():
    scale = 0.35
    obj = galsim.Exponential(flux=177, scale_radius=2)
    im1 = galsim.ImageD(33, 33, scale=scale)
    im2 = galsim.ImageD(33, 33, scale=scale)
    im2.setCenter(0, 0)
    obj.drawImage(im1, method="sb")
    (obj / scale ** 2).drawReal(im2)
    np.testing.assert_array_almost_equal(im1.array, im2.array, 15)


@pytest.mark.parametrize("beta", [1.2, 2.0, 2.7, 3.5, 4.7, 7.5])
def test_moffat_separable_kgrid_matches_scipy(beta):
    # The Gaussian-mixture evaluation used on drawing grids (no table look-ups).
    nu = beta - 1.0
    for r0dk in (0.04, 0.18, 0.5):
        kx = (np.arange(0, 65) * 1.0)[None, :]
        ky = (np.arange(-64, 65) * 1.0)[:, None]
        q = r0dk * np.sqrt(kx ** 2 + ky ** 2)
        qs = np.where(q > 0, q, 1.0)
        ref = np.where(q > 0, 2 ** (1 - nu) / sp.gamma(nu) * qs ** nu * sp.kv(nu, qs), 1.0)
        got = np.asarray(moffat_k.kgrid(jnp.asarray(nu), jnp.asarray(r0dk), kx, ky))
        tol = 2e-9 if nu <= 4 else 2e-7
        np.testing.assert_allclose(got, ref, rtol=0, atol=tol)
        # derivatives in nu and r0 against central differences of the reference
        def ref_f(n, c):
            qq = c * np.sqrt(kx ** 2 + ky ** 2)
            qq = np.where(qq > 0, qq, 1.0)
            return np.where(q > 0, 2 ** (1 - n) / sp.gamma(n) * qq ** n * sp.kv(n, qq), 1.0)
        h = 1e-6
        fd_nu = (ref_f(nu + h, r0dk) - ref_f(nu - h, r0dk)) / (2 * h)
        fd_r0 = (ref_f(nu, r0dk + h) - ref_f(nu, r0dk - h)) / (2 * h)
        t_nu = jax.jvp(lambda n: moffat_k.kgrid(n, jnp.asarray(r0dk), kx, ky), (jnp.asarray(nu),),
                       (jnp.asarray(1.0),))[1]
        t_r0 = jax.jvp(lambda c: moffat_k.kgrid(jnp.asarray(nu), c, kx, ky), (jnp.asarray(r0dk),),
                       (jnp.asarray(1.0),))[1]
        np.testing.assert_allclose(np.asarray(t_nu), fd_nu, rtol=0, atol=100 * tol + 1e-8)
        np.testing.assert_allclose(np.asarray(t_r0), fd_r0, rtol=0, atol=100 * tol + 1e-8)


def _scene(mod, flux, hlr, g1, g2, beta):
    gal = mod.Exponential(half_light_radius=hlr, flux=flux).shear(g1=g1, g2=g2)
    return mod.Convolve(gal, mod.Moffat(beta=beta, fwhm=0.7))


def test_shifted_symmetric_stamp_uses_direct_dft_and_matches_galsim():
    # Even stamps put the profile half a pixel off the grid: still the real DFT path.
    from jax_galsim.core import draw
    th = (1.3, 0.9, 0.2, -0.1, 3.1)
    f = lambda t: _scene(galsim, *t).drawImage(nx=32, ny=26, scale=0.2, dtype=float).array
    hlo = jax.jit(f).lower(tuple(jnp.asarray(v) for v in th)).as_text()
    assert "fft" not in hlo and "gather" not in hlo
    ref = _scene(G, *th).drawImage(nx=32, ny=26, scale=0.2, dtype=float).array
    np.testing.assert_allclose(np.asarray(jax.jit(f)(tuple(jnp.asarray(v) for v in th))), ref,
                               rtol=0, atol=1e-7 * ref.max())
    # the folding of a centred window onto half its rows is exact
    rng = np.random.default_rng(2)
    full = rng.normal(size=(65, 65))
    full = full + full[::-1, ::-1]
    # P[kx, j] = F(kx, j), M[kx, j] = F(kx, -j) for kx, j = 0 .. 32
    halves = (full[32:, 32:].T, full[32::-1, 32:].T)
    even = full + full[::-1, :]
    even_halves = (even[32:, 32:].T, None)
    for (x0, y0, nx, ny, shift) in [(-16, -13, 32, 26, (-0.5, -0.5)), (-5, -9, 11, 19, (0.0, 0.5)),
                                   (3, 4, 10, 7, (0.3, 0.1))]:
        P = y0 + np.arange(ny) - shift[1]
        Q = x0 + np.arange(nx) - shift[0]
        k = np.arange(-32, 33)
        want = (np.exp(2j * np.pi * np.outer(P, k) / 64) @ full @
                np.exp(2j * np.pi * np.outer(k, Q) / 64)).real / 64 ** 2
        got = np.asarray(draw._real_dft_window(*map(jnp.asarray, halves), x0, y0, nx, ny, 64,
                                               jnp, shift))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
        # a k image even in ky alone: the cosine part only
        want = (np.exp(2j * np.pi * np.outer(P, k) / 64) @ even @
                np.exp(2j * np.pi * np.outer(k, Q) / 64)).real / 64 ** 2
        got = np.asarray(draw._real_dft_window(jnp.asarray(even_halves[0]), None, x0, y0, nx, ny,
                                               64, jnp, shift))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_chunked_vmap_matches_full_vectorisation_and_derivatives():
    from jax_galsim.core import batching
    n = 11  # not a multiple of the chunk
    rng = np.random.default_rng(4)
    g = rng.uniform(-0.3, 0.3, size=(2, n))
    thb = (jnp.full(n, 1.0), jnp.linspace(0.8, 1.2, n), jnp.asarray(g[0]), jnp.asarray(g[1]),
           jnp.linspace(2.5, 4.5, n))
    f = lambda t: _scene(galsim, *t).drawImage(nx=24, ny=24, scale=0.2, dtype=float).array
    chunked = np.asarray(jax.jit(jax.vmap(f))(thb))
    old = batching.CPU_CHUNK
    try:
        batching.CPU_CHUNK = None
        full = np.asarray(jax.jit(jax.vmap(f))(thb))
    finally:
        batching.CPU_CHUNK = old
    np.testing.assert_allclose(chunked, full, rtol=0, atol=1e-15)
    for i in (0, n - 1):
        ref = _scene(G, *[float(t[i]) for t in thb]).drawImage(nx=24, ny=24, scale=0.2,
                                                               dtype=float).array
        np.testing.assert_allclose(chunked[i], ref, rtol=0, atol=1e-7 * ref.max())
    w = jnp.asarray(rng.normal(size=(24, 24)))
    loss = lambda t: (f(t) * w).sum()
    grads = jax.jit(jax.vmap(jax.grad(loss)))(thb)
    one = tuple(t[3] for t in thb)
    g1 = jax.grad(loss)(one)
    eps = 1e-5
    lj = jax.jit(loss)
    for j in range(5):
        up = tuple(v + eps if k == j else v for k, v in enumerate(one))
        dn = tuple(v - eps if k == j else v for k, v in enumerate(one))
        fd = (float(lj(up)) - float(lj(dn))) / (2 * eps)
        assert abs(float(g1[j]) - fd) <= 1e-6 * max(abs(fd), 1e-3)
        assert abs(float(grads[j][3]) - float(g1[j])) <= 1e-12


def _symmetric_profiles(mod, a):
    """Point-symmetric profiles covering each branch of the half-plane k evaluation: a
    radial leaf, a transformed radial leaf (quadratic form), a transformed box (general
    transformation), a diagonal transformation, nested transformations, sums and
    convolutions mixing parts even and not even in ky."""
    gal = mod.Exponential(half_light_radius=a, flux=1.3).shear(g1=0.2, g2=-0.1)
    box = mod.Box(0.6 * a, 0.4).rotate(0.3 * mod.radians)
    return {
        "moffat": mod.Moffat(beta=2.0 + a, fwhm=0.7),
        "sheared exponential": gal,
        "rotated box": box,
        "stretched gaussian": mod.Gaussian(sigma=a).transform(1.2, 0.0, 0.0, 0.8),
        "nested": mod.TopHat(radius=0.5 * a).shear(g1=0.1, g2=0.05).rotate(0.4 * mod.radians),
        "sum": mod.Add([gal, mod.Gaussian(sigma=0.4 * a, flux=0.5)]),
        "convolution": mod.Convolve(gal, box, mod.Moffat(beta=3.0, fwhm=0.5), mod.Pixel(0.2)),
        "sheared convolution": mod.Convolve(mod.Gaussian(sigma=a), box).shear(g1=-0.2, g2=0.1),
        "transformed convolution of transforms": mod.Convolve(
            gal, mod.Moffat(beta=2.5 + a, fwhm=0.6)).shear(g1=0.1 * a, g2=0.05).rotate(
            0.2 * mod.radians).dilate(1.1),
    }


@pytest.mark.parametrize("name", list(_symmetric_profiles(G, 1.0)))
def test_half_plane_k_values_match_kvalue(name):
    # P at (kx, ky >= 0) and M at (kx, -ky), kx down the rows, against kValue pointwise.
    from jax_galsim.core import draw
    kx = (np.arange(9) * 0.7)[:, None]
    ky = (np.arange(7) * 0.6)[None, :]

    def halves(a):
        P, M = draw._kvalues_pm(_symmetric_profiles(galsim, a)[name], kx, ky, jnp)
        return jnp.broadcast_to(P, (9, 7)), None if M is None else jnp.broadcast_to(M, (9, 7))

    P, M = jax.jit(halves)(0.9)
    ref = _symmetric_profiles(G, 0.9)[name]
    KX, KY = np.broadcast_arrays(kx, ky)
    want_p = np.vectorize(lambda u, v: ref.kValue(u, v).real)(KX, KY)
    want_m = np.vectorize(lambda u, v: ref.kValue(u, -v).real)(KX, KY)
    np.testing.assert_allclose(np.asarray(P), want_p, rtol=0, atol=2e-9 * abs(want_p).max())
    # M None claims the profile is even in ky, so that P stands for M too
    got_m = np.asarray(P) if M is None else np.asarray(M)
    np.testing.assert_allclose(got_m, want_m, rtol=0, atol=2e-9 * abs(want_p).max())


@pytest.mark.parametrize("name", ["convolution", "sum", "sheared convolution",
                                  "transformed convolution of transforms"])
def test_half_plane_draw_and_gradient(name):
    # Traced draws of the composite cases go through the real DFT with both halves; they
    # match the eager (NumPy, FFT) draw, and their gradient matches a central difference.
    # (Against GalSim itself the sheared Gaussian differs by up to kvalue_accuracy: GalSim
    # approximates exp(-k^2 sigma^2 / 2) on transformed k grids.)
    # no_pixel where the profile holds a Pixel already
    method = "no_pixel" if name == "convolution" else "auto"
    f = lambda a: _symmetric_profiles(galsim, a)[name].drawImage(
        nx=24, ny=20, scale=0.2, dtype=float, method=method).array
    assert "fft" not in jax.jit(f).lower(0.9).as_text()
    ref = np.asarray(f(0.9))
    got = np.asarray(jax.jit(f)(0.9))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-9 * ref.max())
    w = jnp.asarray(np.random.default_rng(7).normal(size=ref.shape))
    loss = jax.jit(lambda a: (f(a) * w).sum())
    eps = 1e-5
    fd = (loss(0.9 + eps) - loss(0.9 - eps)) / (2 * eps)
    np.testing.assert_allclose(float(jax.grad(loss)(0.9)), float(fd), rtol=1e-6)


def _shifted_scene(mod, dx, dy):
    # shifts at three levels: inside a sheared profile (carried through its Jacobian), on
    # the PSF, and on the whole convolution
    gal = mod.Exponential(half_light_radius=0.9, flux=1.2).shift(0.5 * dx, 0.1).shear(
        g1=0.25, g2=-0.1)
    psf = mod.Moffat(beta=3.0, fwhm=0.7).shift(-0.03, 0.5 * dy)
    return mod.Convolve(gal, psf).shift(0.5 * dx, 0.5 * dy)


def test_traced_shift_uses_modulated_dft_and_matches_galsim():
    from jax_galsim.core import draw
    calls = []
    orig = draw._real_dft_window

    def spy(P, M, *args, **kwargs):
        calls.append(args[-1])
        return orig(P, M, *args, **kwargs)

    f = lambda d: _shifted_scene(galsim, d[0], d[1]).drawImage(nx=26, ny=31, scale=0.2,
                                                              dtype=float).array
    draw._real_dft_window = spy
    try:
        jf = jax.jit(f)
        got = np.asarray(jf(jnp.asarray([0.137, -0.21])))
    finally:
        draw._real_dft_window = orig
    assert calls and any(draw.is_traced(shift) for shift in calls)
    ref = _shifted_scene(G, 0.137, -0.21).drawImage(nx=26, ny=31, scale=0.2, dtype=float).array
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-7 * ref.max())
    # a batch of different shifts, and the derivative with respect to the shift
    ds = jnp.asarray([[0.0, 0.0], [0.3, -0.4], [-1.7, 0.9]])
    batch = np.asarray(jax.jit(jax.vmap(f))(ds))
    for i, d in enumerate(np.asarray(ds)):
        ref = _shifted_scene(G, *d).drawImage(nx=26, ny=31, scale=0.2, dtype=float).array
        np.testing.assert_allclose(batch[i], ref, rtol=0, atol=1e-7 * ref.max())
    w = jnp.asarray(np.random.default_rng(3).normal(size=ref.shape))
    loss = jax.jit(lambda d: (f(d) * w).sum())
    d0 = jnp.asarray([0.137, -0.21])
    g = np.asarray(jax.grad(loss)(d0))
    eps = 1e-5
    for k in range(2):
        e = jnp.zeros(2).at[k].set(eps)
        fd = (loss(d0 + e) - loss(d0 - e)) / (2 * eps)
        np.testing.assert_allclose(g[k], float(fd), rtol=1e-6, atol=1e-9 * abs(g).max())


def test_computed_once_is_exact_and_kept_out_of_large_fusions():
    import re
    from jax_galsim.core.backend import computed_once
    v = jnp.linspace(-3.0, 3.0, 65)
    np.testing.assert_array_equal(np.asarray(jax.jit(computed_once)(v)), np.asarray(v))
    np.testing.assert_array_equal(np.asarray(jax.jit(computed_once)(v[:, None])),
                                  np.asarray(v[:, None]))
    g = jax.grad(lambda t: (computed_once(jnp.cos(v * t)) ** 2).sum())(0.7)
    np.testing.assert_allclose(float(g), float(jax.grad(lambda t: (jnp.cos(v * t) ** 2).sum())(0.7)),
                               rtol=1e-13)
    batch = jax.vmap(computed_once)(jnp.stack([v, 2 * v]))
    np.testing.assert_array_equal(np.asarray(batch), np.asarray(jnp.stack([v, 2 * v])))
    # the cosine is evaluated on the vector, not on each element of the large product
    big = jnp.ones((300, 65))
    hlo = jax.jit(lambda t: big * computed_once(jnp.cos(v * t))).lower(0.3).compile().as_text()
    shapes = re.findall(r"= (f64\[[0-9,]*\])\S* cosine\(", hlo)
    assert shapes and all(s == "f64[65]" for s in shapes), shapes
