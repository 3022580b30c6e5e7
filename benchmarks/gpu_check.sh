#!/usr/bin/env bash
# One-command GPU check: JAX devices, the jax_galsim unit tests, and the drawing,
# log-normal and particle-mesh benchmarks, on whatever accelerator JAX sees.  Prints everything and, when
# $OUT is set, leaves the logs there.  Usage: bash benchmarks/gpu_check.sh
# (dependencies must already be importable: jax with CUDA, galsim, astropy, ...).
set -u
OUT=${OUT:-output/gpu_check}
mkdir -p "$OUT"
export XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1
python3 -c "import jax; print('jax', jax.__version__, jax.devices())" 2>&1 | tee "$OUT/devices.txt"
nvidia-smi --query-gpu=name,memory.total --format=csv 2>/dev/null | tee -a "$OUT/devices.txt"
timeout 240 python3 -m pytest tests/jax_galsim -q -x -p no:cacheprovider \
    2>&1 | tail -25 | tee "$OUT/unit_tests.txt"
timeout 200 python3 benchmarks/bench_draw.py --no-write 2>&1 | tee "$OUT/bench_draw.txt"
timeout 120 python3 benchmarks/bench_lognormal.py 2>&1 | tail -20 | tee "$OUT/bench_lognormal.txt"
timeout 300 python3 benchmarks/bench_pm.py --no-write --sizes 32 64 128 256 2>&1 | tail -20 | tee "$OUT/bench_pm.txt"
