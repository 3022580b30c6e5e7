"""JAX behaviour of jax_galsim.Image (pytree round trips, gradients, traced mutation)
and parity of the numerical helpers (FFTs, wrap, depixelize, sizes) with GalSim."""

import pickle

import galsim
import jax
import jax.numpy as jnp
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)

import jax_galsim as jg  # noqa: E402


def _rng(seed=1):
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------------------
# pytree / jit
# --------------------------------------------------------------------------------------
def test_jit_image_round_trip():
    a = _rng().normal(size=(5, 7))
    im = jg.ImageD(a.copy(), xmin=3, ymin=-2, scale=0.25)

    @jax.jit
    def f(image):
        out = image * 2.0 + 1.0
        out += image
        return out

    out = f(im)
    assert isinstance(out, jg.Image)
    assert out.bounds == im.bounds
    assert out.wcs == im.wcs
    assert out.dtype == np.float64
    # Outputs of jit come back as writeable NumPy host buffers.
    assert isinstance(out.array, np.ndarray)
    assert out.array.flags.writeable
    np.testing.assert_allclose(out.array, 3 * a + 1.0, rtol=1e-15)
    out.setValue(3, -2, 17.0)
    assert out(3, -2) == 17.0


def test_tree_structure_static_and_leaves():
    im = jg.ImageF(4, 3, scale=0.5, init_value=2)
    leaves, treedef = jax.tree_util.tree_flatten(im)
    # the pixel array and the pixel scale are the leaves
    assert any(isinstance(x, np.ndarray) and x.shape == (3, 4) for x in leaves)
    im2 = jax.tree_util.tree_unflatten(treedef, leaves)
    assert im2 == im
    const = im.view(make_const=True)
    c2 = jax.tree_util.tree_map(lambda x: x, const)
    assert c2.isconst


def test_concrete_jax_array_becomes_numpy():
    a = jnp.arange(12.0).reshape(3, 4)
    im = jg.Image(a)
    assert isinstance(im.array, np.ndarray)
    im.array[0, 0] = 5.0  # writeable host buffer
    assert im(1, 1) == 5.0


# --------------------------------------------------------------------------------------
# gradients and traced mutation
# --------------------------------------------------------------------------------------
def test_grad_through_arithmetic():
    a = _rng(3).normal(size=(4, 6))

    def loss(arr):
        im = jg.ImageD(arr, scale=0.2)
        im2 = im * 3.0 + im**2
        im2 -= 0.5 * im
        return im2.array.sum()

    g = jax.grad(loss)(a)
    np.testing.assert_allclose(g, 2.5 + 2 * a, rtol=1e-13)
    # central finite difference of one element
    eps = 1e-6
    da = np.zeros_like(a)
    da[1, 2] = eps
    fd = (loss(a + da) - loss(a - da)) / (2 * eps)
    np.testing.assert_allclose(g[1, 2], fd, rtol=1e-7)


def test_grad_through_set_and_add_value():
    a = _rng(4).normal(size=(3, 3))

    def loss(arr, v):
        im = jg.ImageD(arr)
        im.setValue(2, 2, v)
        im.addValue(1, 1, 2 * v)
        im[jg.BoundsI(2, 3, 2, 3)] *= 2.0
        return (im.array ** 2).sum()

    ga, gv = jax.grad(loss, argnums=(0, 1))(a, 0.7)
    # analytic: pixel (2,2) -> 2v (x2), (1,1) -> a00 + 2v, rest of block doubled
    v = 0.7
    expect_v = 2 * (2 * v) * 2 + 2 * (a[0, 0] + 2 * v) * 2
    np.testing.assert_allclose(gv, expect_v, rtol=1e-13)
    expect_a = 2 * a.copy()
    expect_a[1:, 1:] *= 4
    expect_a[1, 1] = 0.0
    expect_a[0, 0] = 2 * (a[0, 0] + 2 * v)
    np.testing.assert_allclose(ga, expect_a, rtol=1e-13)


def test_traced_subimage_writes_through_to_parent():
    a = np.zeros((4, 5))

    @jax.jit
    def f(arr):
        im = jg.ImageD(arr)
        sub = im[jg.BoundsI(2, 3, 2, 4)]
        sub += 1.0
        sub.setValue(3, 4, 7.0)
        return im

    out = f(a)
    expect = np.zeros((4, 5))
    expect[1:4, 1:3] = 1.0
    expect[3, 2] = 7.0
    np.testing.assert_array_equal(out.array, expect)


def test_assign_eager_and_traced():
    parent = jg.ImageD(6, 6)
    sub = parent[jg.BoundsI(2, 4, 3, 5)]
    sub._assign(np.full((3, 3), 2.0))
    assert parent.array.sum() == 18.0  # wrote into the shared buffer

    def f(v):
        im = jg.ImageD(np.zeros((3, 3)))
        im._assign(v * jnp.ones((3, 3)))
        return im.array.sum()

    assert jax.grad(f)(1.3) == pytest.approx(9.0)


def test_vmap_over_arrays():
    stack = _rng(5).normal(size=(4, 3, 5))
    out = jax.vmap(lambda a: (jg.ImageD(a, scale=0.1) * 2.0).array.sum())(stack)
    np.testing.assert_allclose(out, 2 * stack.sum(axis=(1, 2)), rtol=1e-13)


def test_integer_image_rounding_traced_and_eager():
    im = jg.ImageI(np.array([[1, 2], [3, 4]], dtype=np.int32))
    im *= 1.6
    np.testing.assert_array_equal(im.array, np.around(np.array([[1, 2], [3, 4]]) * 1.6))
    assert im.dtype == np.int32

    @jax.jit
    def f(arr):
        m = jg.ImageI(arr)
        m *= 1.6
        return m

    out = f(np.array([[1, 2], [3, 4]], dtype=np.int32))
    np.testing.assert_array_equal(out.array, [[2, 3], [5, 6]])


# --------------------------------------------------------------------------------------
# eager semantics
# --------------------------------------------------------------------------------------
def test_eager_views_write_through():
    im = jg.ImageD(5, 4)
    sub = im[jg.BoundsI(2, 3, 2, 3)]
    sub += 1.0
    assert im.array.sum() == 4.0
    v = im.view()
    v.fill(2.0)
    assert im(1, 1) == 2.0
    c = jg.ImageCD(3, 3)
    c.real.fill(1.0)
    c.imag.fill(2.0)
    np.testing.assert_array_equal(c.array, 1 + 2j)
    const = im.view(make_const=True)
    with pytest.raises(jg.GalSimImmutableError):
        const.setValue(1, 1, 3.0)


def test_eq_hash_repr_pickle():
    im = jg.ImageS(np.arange(6, dtype=np.int16).reshape(2, 3), xmin=2, scale=0.3)
    with pytest.raises(TypeError):
        hash(im)
    im2 = eval(repr(im), {"galsim": jg, "array": np.array, "int16": np.int16})
    assert im2 == im
    im3 = pickle.loads(pickle.dumps(im))
    assert im3 == im
    assert im != im.view(make_const=True)


# --------------------------------------------------------------------------------------
# parity of numerical helpers with GalSim
# --------------------------------------------------------------------------------------
def test_good_fft_size_parity():
    for n in range(0, 300):
        assert jg.Image.good_fft_size(n) == galsim.Image.good_fft_size(n)


@pytest.mark.parametrize("shape,xmin,ymin", [((8, 8), -4, -4), ((9, 7), -3, -5), ((6, 10), 1, 1)])
def test_fft_parity_eager_and_jit(shape, xmin, ymin):
    a = _rng(6).normal(size=shape)
    g = galsim.ImageD(a.copy(), xmin=xmin, ymin=ymin, scale=0.3)
    j = jg.ImageD(a.copy(), xmin=xmin, ymin=ymin, scale=0.3)
    gk, jk = g.calculate_fft(), j.calculate_fft()
    assert (jk.xmin, jk.xmax, jk.ymin, jk.ymax) == (gk.xmin, gk.xmax, gk.ymin, gk.ymax)
    np.testing.assert_allclose(jk.array, gk.array, atol=1e-13)
    assert jk.scale == pytest.approx(gk.scale, rel=1e-15)
    gx, jx = gk.calculate_inverse_fft(), jk.calculate_inverse_fft()
    np.testing.assert_allclose(jx.array, gx.array, atol=1e-13)

    jk2 = jax.jit(lambda arr: jg.ImageD(arr, xmin=xmin, ymin=ymin, scale=0.3).calculate_fft())(a)
    np.testing.assert_allclose(jk2.array, gk.array, atol=1e-13)


def test_inverse_fft_with_wrapping_parity():
    r = _rng(7)
    kar = r.normal(size=(14, 6)) + 1j * r.normal(size=(14, 6))
    g = galsim.ImageCD(kar.copy(), xmin=0, ymin=-7, scale=0.5).calculate_inverse_fft()
    j = jg.ImageCD(kar.copy(), xmin=0, ymin=-7, scale=0.5).calculate_inverse_fft()
    np.testing.assert_allclose(j.array, g.array, atol=1e-14)


@pytest.mark.parametrize("herm", [False, "x", "y"])
def test_wrap_parity_eager_and_jit(herm):
    r = _rng(8)
    if herm == "x":
        arr = r.normal(size=(21, 9)) + 1j * r.normal(size=(21, 9))
        xmin, ymin, b = 0, -10, (0, 4, -3, 4)
    elif herm == "y":
        arr = r.normal(size=(9, 21)) + 1j * r.normal(size=(9, 21))
        xmin, ymin, b = -10, 0, (-3, 4, 0, 4)
    else:
        arr = r.normal(size=(11, 13)) + 1j * r.normal(size=(11, 13))
        xmin, ymin, b = -5, 2, (-1, 3, 4, 8)
    gw = galsim.ImageCD(arr.copy(), xmin=xmin, ymin=ymin).wrap(galsim.BoundsI(*b), hermitian=herm)
    jw = jg.ImageCD(arr.copy(), xmin=xmin, ymin=ymin).wrap(jg.BoundsI(*b), hermitian=herm)
    np.testing.assert_allclose(jw.array, gw.array, atol=1e-13)

    def f(a):
        return jg.ImageCD(a, xmin=xmin, ymin=ymin).wrap(jg.BoundsI(*b), hermitian=herm)

    np.testing.assert_allclose(jax.jit(f)(arr).array, gw.array, atol=1e-13)


def test_depixelize_parity():
    a = _rng(9).normal(size=(7, 9))
    for interp in (galsim.Lanczos(3), galsim.Quintic()):
        g = galsim.ImageD(a.copy()).depixelize(interp)
        j = jg.ImageD(a.copy()).depixelize(interp)
        np.testing.assert_allclose(j.array, g.array, atol=1e-12)


def test_measurements_parity_and_jit():
    x, y = np.meshgrid(np.arange(21) - 10.2, np.arange(19) - 8.7)
    a = np.exp(-(x * x + 1.3 * y * y) / 8)
    g = galsim.ImageD(a.copy(), scale=0.2)
    j = jg.ImageD(a.copy(), scale=0.2)
    assert j.calculateHLR() == pytest.approx(g.calculateHLR(), rel=1e-14)
    assert j.calculateFWHM() == pytest.approx(g.calculateFWHM(), rel=1e-14)
    np.testing.assert_allclose(j.calculateMomentRadius(rtype="both"),
                               g.calculateMomentRadius(rtype="both"), rtol=1e-14)
    hlr = jax.jit(lambda arr: jg.ImageD(arr, scale=0.2).calculateHLR())(a)
    assert float(hlr) == pytest.approx(g.calculateHLR(), rel=1e-13)
