"""Score-based diffusion models on the rotation group SO(3).

Submodules
----------
lie        hat/vee, exp/log, quaternions, axis-angle, geodesic distance, Haar sampling
igso3      the isotropic Gaussian IGSO(3) (heat kernel): density, sampling, score
network    a small MLP score network (pure JAX pytrees)
diffusion  denoising score matching (optax), probability-flow ODE and reverse-SDE
           samplers with geometric integrators, exact ODE log-likelihood
toys       IGSO(3) mixtures, a distribution with a discrete symmetry, a conditional
           family, all with known densities
ia         the conditional model of galaxy orientations in their halo frame (IA)

Conventions are in :mod:`inference.so3.lie`: rotation matrices act on column vectors,
tangent vectors are space-frame rotation vectors (radians), densities are with respect
to the normalised Haar measure (total mass 1; the angle metric gives SO(3) volume 8 pi^2).
"""

from . import diffusion, ia, igso3, lie, network, toys
from .diffusion import (SO3ScoreModel, TrainResult, dsm_loss, geometric_heun_step, integrate,
                        ode_log_likelihood, pf_ode_sample, reverse_sde_sample,
                        train_score_model, velocity_divergence)
from .igso3 import (igso3_angle_cdf, igso3_angle_pdf, igso3_density, igso3_dlog_density,
                    igso3_log_density, igso3_log_prob, igso3_sample, igso3_sample_angle,
                    igso3_score)
from .lie import (chordal_mean, exp, geodesic_distance, hat, log, matrix_to_quaternion,
                  quaternion_to_matrix, random_rotation, rotation_angle, vee)
from .toys import ConditionalToy, IGSO3Mixture, random_mixture, symmetric_mixture

__all__ = [
    "diffusion", "ia", "igso3", "lie", "network", "toys",
    "SO3ScoreModel", "TrainResult", "dsm_loss", "geometric_heun_step", "integrate",
    "ode_log_likelihood", "pf_ode_sample", "reverse_sde_sample", "train_score_model",
    "velocity_divergence",
    "igso3_angle_cdf", "igso3_angle_pdf", "igso3_density", "igso3_dlog_density",
    "igso3_log_density", "igso3_log_prob", "igso3_sample", "igso3_sample_angle", "igso3_score",
    "chordal_mean", "exp", "geodesic_distance", "hat", "log", "matrix_to_quaternion",
    "quaternion_to_matrix", "random_rotation", "rotation_angle", "vee",
    "ConditionalToy", "IGSO3Mixture", "random_mixture", "symmetric_mixture",
]
