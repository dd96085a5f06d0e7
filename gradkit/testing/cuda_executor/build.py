"""Compile a CUDA source into a shared library for the executor, cached on disk.

The translation unit is the kernel source (includes inlined, dynamic shared memory
rewritten) after include/cuda_cpu.h, followed by two generated C functions per name
expression: gkcpu_launch_<i> and gkcpu_signature_<i>.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from gradkit.backend.cuda.kernel_source import read_kernel_source
from gradkit.testing.cuda_executor.source_rewrite import rewrite_dynamic_shared

INCLUDE_DIR = Path(__file__).parent / "include"

# -fvisibility=hidden/-fno-gnu-unique: every library keeps its own copy of the emulator's
#   globals (threadIdx, the scheduler); otherwise the dynamic loader merges them across
#   libraries. -O2: the large tests run kernels over a million elements.
# -ffp-contract=off: no FMA contraction on the CPU, so results track the NumPy twins.
CXX_FLAGS = (
    "-std=c++17",
    "-O2",
    "-fPIC",
    "-shared",
    "-fvisibility=hidden",
    "-fno-gnu-unique",
    "-fno-strict-aliasing",
    "-ffp-contract=off",
)


class ExecutorBuildError(RuntimeError):
    """g++ rejected a kernel source; the message holds the file and the compiler output."""


def compiler() -> str:
    return os.environ.get("CXX", "g++")


def build_library(source_path: Path, name_expressions: Sequence[str]) -> Path:
    """The path of a shared library exposing `name_expressions` of `source_path`."""
    translation_unit = generate_translation_unit(source_path, name_expressions)
    digest = hashlib.sha256()
    for part in (translation_unit, _headers_text(), compiler_version(), " ".join(CXX_FLAGS)):
        digest.update(part.encode())
    library = cache_dir() / f"{source_path.stem}-{digest.hexdigest()[:20]}.so"
    if not library.exists():
        _compile(translation_unit, library, source_path.name)
    return library


def generate_translation_unit(source_path: Path, name_expressions: Sequence[str]) -> str:
    source = rewrite_dynamic_shared(read_kernel_source(source_path), source_path.name)
    entry_points = [f'#line 1 "<executor entry points for {source_path.name}>"']
    for index, name in enumerate(name_expressions):
        entry_points.append(
            f"GKCPU_EXPORT int gkcpu_launch_{index}(const unsigned* grid, const unsigned* block,"
            " unsigned long long shared_bytes, void** args, char* error,"
            " unsigned long long error_size) {\n"
            f"  return ::gkcpu::launch(&{name}, grid, block, shared_bytes, args, error,"
            " error_size);\n}\n"
            f"GKCPU_EXPORT const char* gkcpu_signature_{index}() {{\n"
            f"  static const std::string text = ::gkcpu::signature(&{name});\n"
            "  return text.c_str();\n}"
        )
    return '#include "cuda_cpu.h"\n' + source + "\n" + "\n".join(entry_points) + "\n"


def cache_dir() -> Path:
    """$GRADKIT_CACHE_DIR, else ~/.cache/gradkit (XDG), else the temp dir; + cuda_executor."""
    base = os.environ.get("GRADKIT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gradkit"
    )
    for root in (Path(base), Path(tempfile.gettempdir()) / "gradkit"):
        directory = root / "cuda_executor"
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(directory, os.W_OK):
            return directory
    raise ExecutorBuildError(f"no writable cache directory for the CUDA executor ({base})")


@functools.cache
def compiler_version() -> str:
    if shutil.which(compiler()) is None:
        raise ExecutorBuildError(
            f"the CUDA CPU executor needs a C++17 compiler; {compiler()!r} was not found "
            "(install g++ or set CXX)"
        )
    result = subprocess.run([compiler(), "--version"], capture_output=True, text=True, check=False)
    return result.stdout


@functools.cache
def _headers_text() -> str:
    return "".join(path.read_text() for path in sorted(INCLUDE_DIR.glob("*.h")))


def _compile(translation_unit: str, library: Path, file: str) -> None:
    # Build under a unique name and rename: concurrent test processes may build the same one.
    with tempfile.TemporaryDirectory(dir=library.parent) as scratch:
        source = Path(scratch) / f"{Path(file).stem}.cpp"
        source.write_text(translation_unit)
        output = Path(scratch) / library.name
        command = [
            compiler(),
            *CXX_FLAGS,
            f"-I{INCLUDE_DIR}",
            str(source),
            "-o",
            str(output),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ExecutorBuildError(
                f"g++ could not compile {file} for the CUDA CPU executor:\n"
                f"$ {' '.join(command)}\n{result.stderr[-20000:]}"
            )
        os.replace(output, library)
