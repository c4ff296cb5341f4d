"""Build symkeras._core with CMake (CMakeLists.txt), so that one build description serves
`pip install .`, `pip install -e .` and a developer's incremental rebuilds.

The CMake build directory is kept under build/ in the source tree: after a one-file change,
`pip install -e .` (or `python setup.py build_ext --inplace`) recompiles only that file.
"""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        import pybind11

        out_dir = Path(self.get_ext_fullpath(ext.name)).resolve().parent
        tag = sysconfig.get_config_var("SOABI") or "py%d%d" % sys.version_info[:2]
        ninja = shutil.which("ninja")
        # pip builds in a fresh temporary environment each time: the tools' paths are passed
        # on every run so a cached path from an earlier build is never used.
        build_dir = ROOT / "build" / ("cmake-%s-%s" % (tag, "ninja" if ninja else "make"))
        build_dir.mkdir(parents=True, exist_ok=True)
        config = os.environ.get("SYMKERAS_BUILD_TYPE", "Release")
        args = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir),
            "-DCMAKE_BUILD_TYPE=" + config,
            "-DPython_EXECUTABLE=" + sys.executable,
            "-Dpybind11_DIR=" + pybind11.get_cmake_dir(),
            "-DSYMKERAS_OUTPUT_DIR=" + str(out_dir),
        ]
        if os.environ.get("SYMKERAS_ARCH"):
            args.append("-DSYMKERAS_ARCH=" + os.environ["SYMKERAS_ARCH"])
        if os.environ.get("SYMKERAS_SANITIZE"):
            args.append("-DSYMKERAS_SANITIZE=" + os.environ["SYMKERAS_SANITIZE"])
        if ninja:
            args += ["-G", "Ninja", "-DCMAKE_MAKE_PROGRAM=" + ninja]
        subprocess.check_call(args)
        jobs = str(os.cpu_count() or 2)
        subprocess.check_call(["cmake", "--build", str(build_dir), "--parallel", jobs])


setup(ext_modules=[CMakeExtension("symkeras._core")], cmdclass={"build_ext": CMakeBuild})
