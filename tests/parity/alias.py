"""Make ``import galsim`` (and ``import galsim.<anything>``) give ``jax_galsim``.

A meta-path finder maps ``galsim`` to ``jax_galsim`` and ``galsim.x.y`` to
``jax_galsim.x.y``: the very same module objects, so ``galsim.fits is
jax_galsim.fits`` and ``from galsim._pyfits import pyfits`` works.  A submodule that
jax_galsim does not have fails to import as it would in GalSim without it.
"""

import importlib
import importlib.abc
import importlib.util
import sys


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass  # already executed under its real name


class GalSimAliasFinder(importlib.abc.MetaPathFinder):
    """Resolves ``galsim[.sub]`` to ``jax_galsim[.sub]``."""

    def __init__(self, alias="galsim", target="jax_galsim"):
        self.alias = alias
        self.target = target

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.alias and not fullname.startswith(self.alias + "."):
            return None
        real = self.target + fullname[len(self.alias):]
        if fullname != self.alias and importlib.util.find_spec(real) is None:
            return None  # the lookup then fails inside jax_galsim's own package path
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


def install():
    """Install the finder; refuse if the real galsim was already imported here."""
    real = sys.modules.get("galsim")
    if real is not None and not real.__name__.startswith("jax_galsim"):
        raise RuntimeError("the real galsim is already imported in this process; run the "
                           "parity tests in a process of their own (tests/parity/run_parity.py)")
    importlib.import_module("jax_galsim")  # fail loudly here, never fall back to galsim
    if not any(isinstance(f, GalSimAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, GalSimAliasFinder())
    import galsim  # noqa: F401  (binds sys.modules['galsim'] to jax_galsim)
