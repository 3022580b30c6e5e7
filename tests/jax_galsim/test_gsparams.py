"""GSParams: parity with GalSim and static-pytree behaviour."""

import pickle
import warnings

import galsim
import jax
import pytest

import jax_galsim


def test_defaults_and_repr_match_galsim():
    ours = jax_galsim.GSParams()
    ref = galsim.GSParams()
    assert repr(ours) == repr(ref)
    assert ours._getinitargs() == ref._getinitargs()
    custom = dict(folding_threshold=1e-3, maximum_fft_size=10000, table_spacing=2)
    assert repr(jax_galsim.GSParams(**custom)) == repr(galsim.GSParams(**custom))
    assert jax_galsim.GSParams.default == ours
    assert eval(repr(ours), {"galsim": jax_galsim}) == ours


def test_with_params_check_combine():
    g = jax_galsim.GSParams()
    assert g.withParams() is g
    g2 = g.withParams(maxk_threshold=1e-4, minimum_fft_size=64)
    assert g2.maxk_threshold == 1e-4 and g2.minimum_fft_size == 64
    assert g.maxk_threshold == 1e-3  # unchanged
    with pytest.raises(TypeError):
        g.withParams(not_a_param=1)
    assert jax_galsim.GSParams.check(None) is jax_galsim.GSParams.default
    assert jax_galsim.GSParams.check(None, default=g2) is g2
    assert jax_galsim.GSParams.check(g, folding_threshold=0.1).folding_threshold == 0.1
    with pytest.raises(TypeError):
        jax_galsim.GSParams.check("fast")

    a = jax_galsim.GSParams(minimum_fft_size=256, folding_threshold=1e-2)
    b = jax_galsim.GSParams(maximum_fft_size=4096, folding_threshold=1e-3, stepk_minimum_hlr=7)
    c = jax_galsim.GSParams.combine([a, b])
    ref = galsim.GSParams.combine(
        [
            galsim.GSParams(minimum_fft_size=256, folding_threshold=1e-2),
            galsim.GSParams(maximum_fft_size=4096, folding_threshold=1e-3, stepk_minimum_hlr=7),
        ]
    )
    assert c._getinitargs() == ref._getinitargs()
    assert jax_galsim.GSParams.combine([a]) is a
    assert jax_galsim.GSParams.combine([a, jax_galsim.GSParams(minimum_fft_size=256, folding_threshold=1e-2)]) is a


def test_immutable_hashable_pickle():
    g = jax_galsim.GSParams(kvalue_accuracy=1e-6)
    with pytest.raises(AttributeError):
        g.kvalue_accuracy = 1.0
    with pytest.raises(AttributeError):
        g._kvalue_accuracy = 1.0
    g2 = pickle.loads(pickle.dumps(g))
    assert g2 == g and hash(g2) == hash(g)
    assert g != jax_galsim.GSParams()
    assert len({g, g2, jax_galsim.GSParams()}) == 2


def test_static_under_jit():
    g = jax_galsim.GSParams(minimum_fft_size=64)
    assert jax.tree_util.tree_leaves(g) == []
    out = jax.jit(lambda gs, x: x * gs.minimum_fft_size)(g, 2.0)
    assert float(out) == 128.0
    # Unflattening gives back an equal object.
    leaves, tdef = jax.tree_util.tree_flatten(g)
    assert jax.tree_util.tree_unflatten(tdef, leaves) == g


def test_deprecated_parameters_warn():
    with pytest.warns(jax_galsim.GalSimDeprecationWarning):
        jax_galsim.GSParams(allowed_flux_variation=0.9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jax_galsim.GSParams(small_fraction_of_flux=1e-4)
