# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "remat"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs",
                   "examples-py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.remat_obj_root, "test")

llvm_config.use_default_substitutions()
config.substitutions.append(("%remat_src_root", config.remat_src_root))
config.substitutions.append(("%examples", os.path.join(config.remat_src_root, "examples")))

tool_dirs = [config.remat_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["remat-opt", "remat-plan", "mlir-opt", "split-file", "not", "FileCheck"],
    tool_dirs)
