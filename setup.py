"""Installs the three import packages: jax_galsim, cosmo and inference."""

from setuptools import find_packages, setup

REFERENCE = ["galsim==2.8.5", "matplotlib>=3.7"]

setup(
    name="jax-galsim-project",
    version="0.1.0",
    description="GalSim's API on JAX, differentiable cosmology and inference for weak lensing",
    long_description=open("README.md").read() if __import__("os").path.exists("README.md") else "",
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["jax_galsim", "jax_galsim.*", "cosmo", "cosmo.*",
                                    "inference", "inference.*"]),
    install_requires=[
        "jax>=0.4.35",
        "numpy>=1.24",
        "scipy>=1.10",
        "astropy>=5.3",
    ],
    extras_require={
        # galsim itself is the reference the demo, the benchmarks and the tests compare to
        "demo": REFERENCE,
        # pyccl is the reference the cosmology tests compare to
        "test": REFERENCE + ["pytest>=7", "pytest-xdist>=3", "LSSTDESC.Coord>=1.2", "pyccl>=3",
                            "optax>=0.2.3"],
        "cosmo": ["matplotlib>=3.7"],
        "inference": ["optax>=0.2.3", "matplotlib>=3.7"],
    },
    entry_points={"console_scripts": ["jax-galsim=jax_galsim.cli:main"]},
)
