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
config.substitutions.append(("%remat_lib_dir", os.path.join(config.remat_obj_root, "lib")))
config.substitutions.append(("%remat_plugin", os.path.join(config.remat_obj_root, "lib", "libRematPlugin.so")))
# Debian's mlir-opt by its full path: the plugin test must not run remat-opt.
config.substitutions.append(("%upstream_mlir_opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))

# Paths of remat's tools for scripts that call them (Execution/Inputs).
config.substitutions.append(("%remat_opt_path", os.path.join(config.remat_tools_dir, "remat-opt")))
config.substitutions.append(("%remat_run_path", os.path.join(config.remat_tools_dir, "remat-run")))

tool_dirs = [config.remat_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(
    ["remat-opt", "remat-plan", "remat-run", "remat-calibrate", "mlir-opt",
     "split-file", "not",
     "FileCheck", "llvm-nm"],
    tool_dirs)

# The CPU pipeline's matmuls call OpenBLAS (test/Execution/cpu-blas.test);
# a test that links a step by hand links it too (%remat_blas_libs).
if config.remat_have_blas.upper() in ("TRUE", "ON", "1", "YES"):
    config.available_features.add("openblas")
config.substitutions.append(
    ("%remat_blas_libs", " ".join(config.remat_blas_libraries.split(";"))))

# GPU compilation (test/Execution/nvvm-*): remat-run links the CUDA runtime,
# gpu-module-to-binary needs ptxas.
cuda_bin = "/usr/local/cuda/bin"
if (os.path.exists(os.path.join(config.remat_obj_root, "lib", "libremat_runtime_cuda.a"))
        and os.access(os.path.join(cuda_bin, "ptxas"), os.X_OK)):
    config.available_features.add("cuda-toolkit")
    llvm_config.with_environment("PATH", cuda_bin, append_path=True)
