"""cosmo.distributed: sharded 3-D FFTs and halo exchange vs one device (float64).

The sharded checks run on 8 emulated CPU devices in subprocesses (see
_distributed_check.py) for the layouts (1, 8), (8, 1), (2, 4), (4, 2); the rest runs here
on one device, plus the shard_map path itself on a (1, 1) mesh.
"""

import os

import numpy as np
import pytest
import jax
import jax.numpy as jnp

from cosmo import distributed as dist

from _distributed_check import LAYOUTS, HALOS, sharded_results

TOL = 1e-12
FFT_CHECKS = ["fftn", "ifftn", "rfftn", "irfftn",
              "grad_fftn", "grad_ifftn", "grad_rfftn", "grad_irfftn"]
HALO_CHECKS = (["halo_exchange_%dx%d" % h for h in HALOS]
               + ["halo_reduce_adjoint_%dx%d" % h for h in HALOS])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sharded_fft_and_halo_match_single_device(layout):
    res = sharded_results()[layout]
    bad = {k: res[k] for k in FFT_CHECKS + HALO_CHECKS if not res[k] <= TOL}
    assert not bad, bad
    for name in ("fftn", "rfftn"):
        assert res[name + "_layout_differs"] == 0.0, name + " changed the layout"


def test_sharded_errors():
    msg = sharded_results()["errors"]["fft_indivisible"]
    assert msg is not None and "not divisible" in msg and "'y'" in msg


def _rng_field(shape=(8, 6, 10), seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def test_single_device_matches_numpy_and_round_trips():
    x = _rng_field()
    xc = x + 1j * _rng_field(seed=1)
    np.testing.assert_allclose(dist.fftn(xc), np.fft.fftn(xc), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dist.ifftn(xc), np.fft.ifftn(xc), rtol=0, atol=1e-12)
    k = dist.rfftn(x)
    assert k.shape == (8, 6, 6)
    np.testing.assert_allclose(k, np.fft.rfftn(x), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dist.irfftn(k, x.shape), x, rtol=0, atol=1e-13)
    x9 = _rng_field((4, 4, 9))
    np.testing.assert_allclose(dist.irfftn(dist.rfftn(x9), x9.shape), x9, atol=1e-13)


def test_trivial_mesh_runs_the_shard_map_path():
    """A (1, 1) mesh goes through shard_map (with every exchange skipped) in-process."""
    mesh = dist.make_mesh((1, 1))
    x = _rng_field((4, 6, 7))
    xs = dist.shard(x, mesh)
    f = jax.jit(lambda a: dist.irfftn(dist.rfftn(a, mesh) * 2.0, a.shape, mesh))
    np.testing.assert_allclose(f(xs), 2 * x, atol=1e-13)
    np.testing.assert_allclose(dist.fftn(xs, mesh), np.fft.fftn(x), atol=1e-12)
    g = jax.grad(lambda a: jnp.sum(jnp.abs(dist.fftn(a, mesh)) ** 2))(xs)
    np.testing.assert_allclose(g, 2 * x.size * x, rtol=1e-12)  # Parseval


def test_fftfreq_grid():
    kx, ky, kz = dist.fftfreq_grid((8, 6, 10))
    assert kx.shape == (8, 1, 1) and ky.shape == (1, 6, 1) and kz.shape == (1, 1, 6)
    np.testing.assert_allclose(kx.ravel(), 2 * np.pi * np.fft.fftfreq(8), atol=0)
    np.testing.assert_allclose(kz.ravel(), 2 * np.pi * np.fft.rfftfreq(10), atol=0)
    kz_full = dist.fftfreq_grid((8, 6, 10), real=False)[2]
    np.testing.assert_allclose(kz_full.ravel(), 2 * np.pi * np.fft.fftfreq(10), atol=0)
    # the wavenumbers match the FFT: the spectrum of a plane wave peaks at its k
    n = 16
    x = np.cos(2 * np.pi * 3 * np.arange(n) / n)[:, None, None] * np.ones((n, n, n))
    kx, _, _ = dist.fftfreq_grid(x.shape)
    peak = np.unravel_index(np.argmax(np.abs(dist.rfftn(x))), (n, n, n // 2 + 1))
    assert np.isclose(abs(kx[peak[0], 0, 0]), 2 * np.pi * 3 / n)


def test_halo_exchange_local_wrap_and_adjoint():
    x = _rng_field((6, 5, 3))
    h = (2, 3)
    np.testing.assert_array_equal(
        dist.halo_exchange(x, h, (None, None)),
        np.pad(x, ((2, 2), (3, 3), (0, 0)), mode="wrap"))
    b = _rng_field((10, 11, 3), seed=2)
    lhs = np.vdot(dist.halo_exchange(x, h, (None, None)), b)
    rhs = np.vdot(x, dist.halo_reduce(b, h, (None, None)))
    assert abs(lhs - rhs) < 1e-12 * np.linalg.norm(b) * np.linalg.norm(x) * 10
    assert dist.halo_reduce(b, h, (None, None)).shape == x.shape
    with pytest.raises(ValueError, match="exceeds the local block size"):
        dist.halo_exchange(x, (7, 1), (None, None))


def test_argument_errors():
    with pytest.raises(ValueError, match="needs 2 devices"):
        dist.make_mesh((1, 2), devices=jax.devices()[:1])
    with pytest.raises(ValueError, match="3-D"):
        dist.rfftn(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="does not match"):
        dist.irfftn(jnp.zeros((4, 4, 4), complex), (4, 4, 8))
    assert dist.field_sharding(None) is None and dist.shard(1.0, None) == 1.0
    assert tuple(dist.field_spec()) == ("x", "y")


def test_backend_switch(monkeypatch):
    if os.environ.get("COSMO_FFT_BACKEND", "jax").strip().lower() not in ("", "jax"):
        pytest.skip("COSMO_FFT_BACKEND is set")
    assert dist.get_fft_backend() == "jax"
    with pytest.raises(ValueError, match="unknown FFT backend"):
        dist.set_fft_backend("fftw")
    with pytest.raises(ValueError, match="unknown FFT backend"):
        dist._parse_backend("cufft")  # what COSMO_FFT_BACKEND goes through
    assert dist._parse_backend(" JAXdecomp ") == "jaxdecomp" and dist._parse_backend("") == "jax"
    try:
        import jaxdecomp  # noqa: F401
        pytest.skip("jaxdecomp is installed")
    except ImportError:
        pass
    with pytest.raises(ImportError, match="jaxdecomp"):
        dist.set_fft_backend("jaxdecomp")
    assert dist.get_fft_backend() == "jax"
    # selected through the environment: the first sharded FFT reports the missing package
    monkeypatch.setattr(dist, "_backend", "jaxdecomp")
    mesh = dist.make_mesh((1, 1))
    with pytest.raises(ImportError, match="jaxdecomp"):
        dist.fftn(jnp.zeros((2, 2, 2)), mesh)
    # the single-device path never needs it
    np.testing.assert_allclose(dist.fftn(jnp.ones((2, 2, 2))).real.sum(), 8.0)


_JAXDECOMP_SCRIPT = r"""
import json, os, sys
import numpy as np, jax, jax.numpy as jnp
from cosmo import distributed as D
D.set_fft_backend("jaxdecomp")
rng = np.random.default_rng(0)
x = rng.normal(size=(16, 16, 8)) + 1j * rng.normal(size=(16, 16, 8))
ref = np.fft.fftn(x)
out = {}
for layout in ((1, 8), (8, 1), (2, 4), (4, 2)):
    mesh = D.make_mesh(layout)
    xs = D.shard(jnp.asarray(x), mesh)
    k = jax.jit(lambda a: D.fftn(a, mesh))(xs)
    back = jax.jit(lambda a: D.ifftn(a, mesh))(k)
    loss = lambda f: (lambda a: jnp.sum(jnp.abs(f(a)) ** 2 * jnp.cos(jnp.arange(8.0))))
    g = jax.grad(loss(lambda a: D.fftn(a, mesh)))(xs.real + 0j)
    g0 = jax.grad(loss(jnp.fft.fftn))(jnp.asarray(x.real) + 0j)
    out["%dx%d" % layout] = [float(np.abs(np.asarray(k) - ref).max() / np.abs(ref).max()),
                             float(np.abs(np.asarray(back) - x).max()),
                             float(np.abs(np.asarray(g) - np.asarray(g0)).max()
                                   / np.abs(np.asarray(g0)).max())]
print("RESULT " + json.dumps(out))
"""


def test_jaxdecomp_backend_matches_numpy():
    # The optional backend (jaxdecomp needs Python >= 3.12), on 8 emulated devices.
    pytest.importorskip("jaxdecomp")
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, JAX_ENABLE_X64="1", JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_force_host_platform_device_count=8",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-c", _JAXDECOMP_SCRIPT], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    import json
    res = json.loads(run.stdout.split("RESULT ", 1)[1])
    for layout, errors in res.items():
        assert max(errors) < 1e-12, (layout, errors)
