"""The :class:`Cosmology` pytree: flat w0-wa CDM with photons and massless neutrinos.

Units follow pyccl: distances in Mpc (not Mpc/h), wavenumbers in 1/Mpc, power spectra
in Mpc^3, H in km/s/Mpc.  Radiation (photons at ``T_CMB`` plus ``Neff`` massless
neutrino species) is included in E(a) exactly as CCL does, so that background
quantities agree with pyccl to ~1e-6; the dark-energy density closes the budget
(flat universe).
"""

import jax
import jax.numpy as jnp

__all__ = ["Cosmology", "LSST_Y10_FIDUCIAL", "constants"]


class constants:
    """Physical constants (SI unless stated), the values CCL 3 uses."""

    c_km_s = 299792.458  #: speed of light [km/s]
    c_m_s = 299792458.0  #: speed of light [m/s]
    stefan_boltzmann = 5.670374419e-8  #: [W m^-2 K^-4]
    rho_crit_h2_msun_mpc3 = 277536627203.6856  #: critical density / h^2 [M_sun Mpc^-3]
    solar_mass_kg = 1.988409871e30  #: [kg]
    mpc_m = 3.085677581491367e22  #: [m]
    ia_c1_h2_mpc3_msun = 5e-14  #: NLA normalisation C1 [h^-2 M_sun^-1 Mpc^3] (Brown et al. 2002)


def _omega_radiation_h2(T_CMB, Neff):
    """Return (Omega_g h^2, Omega_nu_rel h^2) for photons and massless neutrinos."""
    rho_g = 4.0 * constants.stefan_boltzmann / constants.c_m_s**3 * T_CMB**4  # kg/m^3
    rho_crit_h2 = constants.rho_crit_h2_msun_mpc3 * constants.solar_mass_kg / constants.mpc_m**3
    og = rho_g / rho_crit_h2
    onu = Neff * 7.0 / 8.0 * (4.0 / 11.0) ** (4.0 / 3.0) * og
    return og, onu


@jax.tree_util.register_pytree_node_class
class Cosmology:
    """Flat w0-wa CDM cosmology; every continuous parameter is a traced pytree leaf.

    Parameters
    ----------
    Omega_c, Omega_b : float
        Cold dark matter and baryon density parameters today (dimensionless).
    h : float
        Hubble constant H0 / (100 km/s/Mpc).
    n_s : float
        Primordial scalar spectral index.
    sigma8 : float
        rms of the linear matter density contrast in 8 Mpc/h top-hat spheres at z=0.
    w0, wa : float
        Dark-energy equation of state w(a) = w0 + wa (1 - a) (CPL).
    T_CMB : float, static
        CMB temperature [K] (default 2.7255, as CCL).
    Neff : float, static
        Effective number of massless neutrino species (default 3.044, as CCL).

    JAX notes: ``jit``, ``vmap`` and ``grad`` work over the seven physical parameters
    (the leaves); ``T_CMB`` and ``Neff`` are static auxiliary data.
    """

    param_names = ("Omega_c", "Omega_b", "h", "n_s", "sigma8", "w0", "wa")

    def __init__(self, Omega_c, Omega_b, h, n_s, sigma8, w0=-1.0, wa=0.0,
                 T_CMB=2.7255, Neff=3.044):
        self.Omega_c = Omega_c
        self.Omega_b = Omega_b
        self.h = h
        self.n_s = n_s
        self.sigma8 = sigma8
        self.w0 = w0
        self.wa = wa
        self.T_CMB = float(T_CMB)
        self.Neff = float(Neff)

    # -- pytree ---------------------------------------------------------------
    def tree_flatten(self):
        return tuple(getattr(self, n) for n in self.param_names), (self.T_CMB, self.Neff)

    @classmethod
    def tree_unflatten(cls, aux, leaves):
        obj = object.__new__(cls)
        for n, v in zip(cls.param_names, leaves):
            setattr(obj, n, v)
        obj.T_CMB, obj.Neff = aux
        return obj

    # -- conveniences ---------------------------------------------------------
    def replace(self, **kwargs):
        """Return a copy with some parameters replaced."""
        d = self.to_dict()
        d.update(kwargs)
        return Cosmology(**d, T_CMB=self.T_CMB, Neff=self.Neff)

    def to_dict(self):
        """The seven physical parameters as a dict."""
        return {n: getattr(self, n) for n in self.param_names}

    @classmethod
    def from_params(cls, params, base=None):
        """Build from a Cosmology, a dict (missing keys from ``base``) or a length-7 array
        ordered as :attr:`param_names`."""
        base = LSST_Y10_FIDUCIAL if base is None else base
        if isinstance(params, Cosmology):
            return params
        if isinstance(params, dict):
            return base.replace(**params)
        arr = jnp.asarray(params)
        return base.replace(**{n: arr[i] for i, n in enumerate(cls.param_names)})

    def to_array(self):
        """The seven physical parameters as an array ordered as :attr:`param_names`."""
        return jnp.stack([jnp.asarray(getattr(self, n), dtype=float) for n in self.param_names])

    def __repr__(self):
        s = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.param_names)
        return f"Cosmology({s}, T_CMB={self.T_CMB!r}, Neff={self.Neff!r})"

    # -- derived densities ----------------------------------------------------
    @property
    def Omega_m(self):
        """Total matter density today (CDM + baryons)."""
        return self.Omega_c + self.Omega_b

    @property
    def Omega_g(self):
        """Photon density today."""
        return _omega_radiation_h2(self.T_CMB, self.Neff)[0] / self.h**2

    @property
    def Omega_nu_rel(self):
        """Massless-neutrino density today."""
        return _omega_radiation_h2(self.T_CMB, self.Neff)[1] / self.h**2

    @property
    def Omega_r(self):
        """Total radiation density today (photons + massless neutrinos)."""
        og, onu = _omega_radiation_h2(self.T_CMB, self.Neff)
        return (og + onu) / self.h**2

    @property
    def Omega_de(self):
        """Dark-energy density today, closing a flat universe."""
        return 1.0 - self.Omega_m - self.Omega_r

    @property
    def hubble_distance(self):
        """c / H0 [Mpc]."""
        return constants.c_km_s / (100.0 * self.h)


#: The fiducial cosmology of the LSST Y10 log-normal benchmark (Zeghal et al. 2024 setup).
LSST_Y10_FIDUCIAL = Cosmology(Omega_c=0.2664, Omega_b=0.0492, h=0.6727, n_s=0.9645,
                              sigma8=0.831, w0=-1.0, wa=0.0)
