"""The parity harness itself: manifest parsing, argument splitting, the galsim alias."""

import os
import subprocess
import sys
import textwrap

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PARITY = os.path.join(os.path.dirname(HERE), "parity")
sys.path.insert(0, PARITY)

import run_parity  # noqa: E402


def test_manifest_round_trip(tmp_path):
    path = tmp_path / "manifest.txt"
    path.write_text(textwrap.dedent("""\
        # comment
        test_a.py::test_one  pass
        test_a.py::test_two  xfail: needs noise (later issue)
    """))
    entries = run_parity.read_manifest(str(path))
    assert entries == {"test_a.py::test_one": ("pass", ""),
                       "test_a.py::test_two": ("xfail", "needs noise (later issue)")}
    run_parity.write_manifest(entries, str(path))
    assert run_parity.read_manifest(str(path)) == entries


@pytest.mark.parametrize("line", ["test_a.py::f  xfail:", "test_a.py::f  skip", "test_a.py::f"])
def test_manifest_rejects_bad_outcomes(tmp_path, line):
    path = tmp_path / "manifest.txt"
    path.write_text(line + "\n")
    with pytest.raises(SystemExit):
        run_parity.read_manifest(str(path))


def test_split_args_keeps_option_values():
    names, rest = run_parity.split_args(["test_image.py", "-k", "basic", "shear", "-x"])
    assert names == ["test_image.py", "shear"]
    assert rest == ["-k", "basic", "-x"]


def test_functions_in_reads_without_importing(tmp_path):
    mod = tmp_path / "test_mod.py"
    mod.write_text("import no_such_module\n\ndef test_a():\n    pass\n\ndef helper():\n    pass\n"
                   "\ndef test_b():\n    pass\n")
    assert run_parity.functions_in(str(mod)) == ["test_a", "test_b"]


def test_alias_binds_galsim_submodules_to_jax_galsim():
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, %r)
        import alias
        alias.install()
        import galsim, jax_galsim
        import galsim.errors
        from galsim.core import pytree
        assert galsim is jax_galsim
        assert galsim.errors is jax_galsim.errors
        assert pytree is jax_galsim.core.pytree
        try:
            import galsim.no_such_module
        except ImportError:
            print("ok")
    """ % PARITY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_manifest_covers_every_function_of_the_named_modules():
    """Every upstream module the issues name is in the manifest, function by function."""
    import upstream
    manifest = run_parity.read_manifest()
    modules = {k.split("::")[0] for k in manifest}
    required = {  # the modules the issues name: foundation, then the drawing engine
        "test_shear.py", "test_image.py", "test_utilities.py", "test_celestial.py",
        "test_errors.py", "test_wcs.py",
        "test_gaussian.py", "test_exponential.py", "test_moffat.py", "test_box.py",
        "test_deltafunction.py", "test_sum.py", "test_transforms.py", "test_convolve.py",
        "test_draw.py", "test_fouriersqrt.py", "test_shear_position.py", "test_calc.py"}
    assert required <= modules
    upstream.ensure_tests_dir()   # downloads GalSim's test modules once
    for name in modules:
        path = os.path.join(upstream.TESTS_DIR, name)
        for func in run_parity.functions_in(path):
            assert "%s::%s" % (name, func) in manifest
