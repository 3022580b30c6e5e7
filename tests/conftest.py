"""Shared pytest settings for the project's own tests.

GalSim's upstream modules live in a separate process (tests/parity/run_parity.py
binds ``galsim`` to ``jax_galsim`` there), so a plain ``pytest tests`` never collects
the parity folder.
"""

collect_ignore_glob = ["parity/*"]
