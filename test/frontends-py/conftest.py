import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _tool(env, name):
    path = os.environ.get(env) or str(ROOT / 'build' / 'bin' / name)
    if not os.access(path, os.X_OK):
        pytest.skip('%s not found at %s (build remat, or set %s)' % (name, path, env))
    return path


@pytest.fixture(scope='session')
def remat_opt():
    return _tool('REMAT_OPT', 'remat-opt')


@pytest.fixture(scope='session')
def remat_run():
    return _tool('REMAT_RUN', 'remat-run')
