#!/usr/bin/env python3
"""Which of GalSim's public names jax_galsim has: writes ``docs/api_coverage.md``.

Compares the public top-level names of the installed galsim with jax_galsim's, and
the public names of the submodules GalSim's users reach as ``galsim.<module>.<name>``.
A name that exists in jax_galsim but raises ``NotImplementedError`` when used still
counts as present here; the parity table (docs/parity.md) says what actually works.

Run: ``python3 tests/parity/api_coverage.py``.
"""

import importlib
import os
import types

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(REPO, "docs", "api_coverage.md")
SUBMODULES = ("utilities", "fits", "wcs", "random", "noise", "table", "hsm", "integ", "fft",
              "errors", "bessel", "interpolant", "photon_array")


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return {n for n in names if not isinstance(getattr(module, n, None), types.ModuleType)}


def coverage(galsim_mod, jax_mod):
    ours = set(dir(jax_mod)) if jax_mod is not None else set()
    theirs = public_names(galsim_mod)
    return sorted(theirs & ours), sorted(theirs - ours)


def main():
    import galsim
    import jax_galsim

    rows, missing_lists = [], []
    for label, gmod, jmod in [("galsim", galsim, jax_galsim)] + [
            ("galsim.%s" % s, getattr(galsim, s, None), getattr(jax_galsim, s, None))
            for s in SUBMODULES]:
        if gmod is None:
            continue
        if jmod is None:
            try:
                jmod = importlib.import_module("jax_galsim." + label.split(".", 1)[1])
            except ImportError:
                jmod = None
        have, missing = coverage(gmod, jmod)
        rows.append("| `%s` | %d | %d | %.0f%% |" % (label, len(have), len(have) + len(missing),
                                                   100.0 * len(have) / max(1, len(have) + len(missing))))
        if missing:
            missing_lists.append("- `%s`: %s" % (label, ", ".join("`%s`" % m for m in missing)))

    with open(DOCS, "w") as f:
        f.write("# API coverage\n\nPublic names of galsim %s that jax_galsim has (by name; "
                "what works is in [parity.md](parity.md)). Produced by "
                "`python3 tests/parity/api_coverage.py`.\n\n" % galsim.__version__)
        f.write("| namespace | present | GalSim's | coverage |\n|---|---:|---:|---:|\n")
        f.write("\n".join(rows) + "\n\n## Not yet in jax_galsim\n\n")
        f.write("\n".join(missing_lists) + "\n")
    print("\n".join(rows))
    print("wrote %s" % DOCS)


if __name__ == "__main__":
    main()
