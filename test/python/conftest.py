"""The remat package from the sources with the extension from the build tree
(test/CMakeLists.txt sets PYTHONPATH), or an installed one."""

import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.mlir"))


def pytest_configure(config):
    try:
        import remat
        from remat import _remat  # noqa: F401
    except ImportError as error:
        pytest.exit(
            f"cannot import remat's extension ({error}): build remat "
            "(scripts/build; scripts/setup installs nanobind) and put "
            "python-bindings and build/python-bindings on PYTHONPATH, as "
            "ctest does, or pip install ./python-bindings",
            returncode=1)


@pytest.fixture(params=EXAMPLE_FILES, ids=lambda path: path.stem)
def example(request):
    return request.param


@pytest.fixture
def matplotlib():
    return pytest.importorskip(
        "matplotlib", reason="matplotlib is not installed: the plot tests need "
        "it (scripts/setup installs it)")
