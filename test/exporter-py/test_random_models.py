"""fuzz/random-models.py on six of its models (docs/fuzzing.md, "Random
PyTorch models"): a convolutional network with batch norm, a transformer with
SDPA, a small U-Net, a text CNN with batch norm (those four with a
cross-entropy target built inside the step), a recurrent model and a
convolutional network with dropout in training mode (seed 2), each
exported and swept (every plan run: measured = planned peak, bitwise results)
and compiled with remat's partition at activation budgets 0, 0.4 and 1 (the
default partition's losses and gradients, and float64 eager's to 1e-3 but
for the model with dropout)."""

import os
import subprocess
import sys

import pytest

pytest.importorskip('torch', reason='PyTorch is not installed (pip install torch); the '
                    'random-model driver needs it')

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
REMAT_OPT = os.environ.get('REMAT_OPT', os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
REMAT_RUN = os.environ.get('REMAT_RUN', os.path.join(ROOT, 'build', 'bin', 'remat-run'))


@pytest.mark.parametrize('seed', [2, 9, 13, 14, 20, 35])
def test_random_model_both_routes(seed, tmp_path):
    if not os.access(REMAT_OPT, os.X_OK):
        pytest.skip('remat-opt not built at %s (set REMAT_OPT)' % REMAT_OPT)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, 'fuzz', 'random-models.py'),
                           REMAT_OPT, REMAT_RUN, '--seed', str(seed), '--count', '1',
                           '--points', '4', '--workdir', str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert 'PASS: 1 models, 2 checks' in proc.stdout, proc.stdout
