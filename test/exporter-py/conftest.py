"""Where torch must be there (CI, scripts/test: scripts/setup installs it), its
absence (or torchvision's) stops the run with an error instead of skipping the exporter tests.

REMAT_REQUIRE_TORCH=1 (set by scripts/test) or CI=true asks for that; otherwise
a module without torch skips, saying why (pytest run by hand).
"""

import os

import pytest


def torch_required():
    return os.environ.get('REMAT_REQUIRE_TORCH') == '1' or os.environ.get('CI') == 'true'


def pytest_configure(config):
    if not torch_required():
        return
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        raise pytest.UsageError(
            'torch or torchvision cannot be imported (%s), and the exporter tests must run here '
            '(REMAT_REQUIRE_TORCH=1 or CI=true): scripts/setup installs it' % e)
