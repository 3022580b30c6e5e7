"""Differentiable particle-mesh (PM) N-body simulation with LPT initial conditions.

Modules (import them explicitly; this package imports none of them):

* ``cosmo.pm.painting``: cloud-in-cell painting and reading, single device or sharded.
* ``cosmo.pm.kernels``: Fourier-space kernels (gradient, inverse Laplacian, smoothing).
* ``cosmo.pm.initial``: Gaussian initial density fields from a linear power spectrum.
* ``cosmo.pm.lpt``: first- and second-order Lagrangian perturbation theory displacements.
* ``cosmo.pm.nbody``: the PM force and time integration.
* ``cosmo.pm.hybrid``: hybrid PM / lensing forward models.

Distributed FFTs and halo exchange live in :mod:`cosmo.distributed`.
"""
