"""Import remat.exporter from the source tree (python-bindings/).

The `remat` package's __init__ loads the nanobind extension's Python API; the
exporter needs none of it. Where that package cannot be imported here (not built,
or mid-change), the exporter is loaded under a bare `remat` namespace instead.
"""

import os
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINDINGS = os.path.join(ROOT, 'python-bindings')


def import_exporter():
    if BINDINGS not in sys.path:
        sys.path.insert(0, BINDINGS)
    if 'remat' not in sys.modules:
        try:
            import remat  # noqa: F401
        except Exception:   # the package proper failed: keep only its folder
            for mod in [m for m in sys.modules if m == 'remat' or m.startswith('remat.')]:
                del sys.modules[mod]
            pkg = types.ModuleType('remat')
            pkg.__path__ = [os.path.join(BINDINGS, 'remat')]
            sys.modules['remat'] = pkg
    import remat.exporter
    return remat.exporter
