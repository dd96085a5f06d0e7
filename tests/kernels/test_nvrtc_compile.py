"""Every CUDA source compiles with NVRTC, for the architectures we ship for, with the options
and template instantiations the runtime uses, and without a single warning.

Needs no GPU or driver: NVRTC comes from pip (nvidia-cuda-nvrtc-cu12 + cuda-bindings) and
cuda_fp16.h from nvidia-cuda-runtime-cu12.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gradkit.backend.cuda.compile_options import (
    COMPILE_CHECK_ARCHS,
    NVRTC_OPTIONS,
    arch_option,
    cuda_include_dirs,
)
from gradkit.backend.cuda.kernel_manifest import manifest
from gradkit.backend.cuda.kernel_source import kernel_dir, kernel_files, read_kernel_source

try:
    from cuda.bindings import nvrtc

    _, *_NVRTC_VERSION = nvrtc.nvrtcVersion()  # loads libnvrtc: fails if only the bindings are
except Exception as error:  # noqa: BLE001 - any failure to load means "not installed here"
    pytest.skip(
        f"NVRTC is not importable ({error!r}); install nvidia-cuda-nvrtc-cu12 and "
        "'cuda-bindings<13' (in gradkit's test extras)",
        allow_module_level=True,
    )

_TEST_KERNEL_DIR = Path(__file__).parent  # the CPU executor's self-test kernels (extern "C")


def _sources() -> list[tuple[Path, tuple[str, ...]]]:
    """(source, name expressions): gradkit's kernels with the launchers' instantiations, and
    the executor's self-test kernels (all extern "C", so emitted without any)."""
    names = manifest()
    sources = [(kernel_dir() / file, names.get(file, ())) for file in kernel_files()]
    sources += [(_TEST_KERNEL_DIR / file, ()) for file in kernel_files(_TEST_KERNEL_DIR)]
    return sources


def _check(result, what: str, log: str = "") -> None:
    status = result[0]
    if status != nvrtc.nvrtcResult.NVRTC_SUCCESS:
        raise AssertionError(f"{what}: {status.name}\n{log}")


def _program_log(program) -> str:
    _, size = nvrtc.nvrtcGetProgramLogSize(program)
    buffer = b" " * size
    nvrtc.nvrtcGetProgramLog(program, buffer)
    return buffer.rstrip(b"\x00 ").decode(errors="replace")


def test_every_kernel_file_has_its_instantiations_listed():
    on_disk = set(kernel_files())
    listed = set(manifest())
    assert listed <= on_disk, f"manifest names missing files: {sorted(listed - on_disk)}"
    assert on_disk <= listed, f"sources no launcher instantiates: {sorted(on_disk - listed)}"
    for file, names in manifest().items():
        assert names, f"{file}: no name expressions"
        assert len(set(names)) == len(names), f"{file}: duplicate name expressions"


def _compile(source: str, file: str, names: tuple[str, ...], arch: str) -> str:
    """Compiles like the runtime does; returns the log, fails on an error or a warning."""
    include_dirs = cuda_include_dirs()
    if not include_dirs:
        pytest.skip("cuda_fp16.h not found; install nvidia-cuda-runtime-cu12 (test extras)")
    options = [*NVRTC_OPTIONS, arch_option(arch), *(f"-I{d}" for d in include_dirs)]
    where = f"{file} for {arch} with {' '.join(options)}"

    status, program = nvrtc.nvrtcCreateProgram(source.encode(), file.encode(), 0, [], [])
    _check((status,), f"nvrtcCreateProgram({file})")
    try:
        for name in names:
            _check(nvrtc.nvrtcAddNameExpression(program, name.encode()), f"add {name}")
        encoded = [option.encode() for option in options]
        result = nvrtc.nvrtcCompileProgram(program, len(encoded), encoded)
        log = _program_log(program)
        _check(result, f"NVRTC failed to compile {where}", log)
        assert "warning" not in log.lower(), f"NVRTC warnings compiling {where}:\n{log}"
        for name in names:
            status, lowered = nvrtc.nvrtcGetLoweredName(program, name.encode())
            _check((status,), f"{file}: no kernel emitted for {name}")
            assert lowered, f"{file}: empty lowered name for {name}"
        return log
    finally:
        nvrtc.nvrtcDestroyProgram(program)


@pytest.mark.parametrize("arch", COMPILE_CHECK_ARCHS)
@pytest.mark.parametrize(
    ("path", "names"), [pytest.param(path, names, id=path.name) for path, names in _sources()]
)
def test_compiles_without_warnings(path: Path, names: tuple[str, ...], arch: str):
    _compile(read_kernel_source(path), path.name, names, arch)


def test_the_check_fails_on_warnings_and_errors():
    unused = '#include <cuda_fp16.h>\nextern "C" __global__ void k() { int unused; }\n'
    with pytest.raises(AssertionError, match=r"(?s)NVRTC warnings.*unused"):
        _compile(unused, "unused.cu", (), COMPILE_CHECK_ARCHS[0])
    broken = 'extern "C" __global__ void k() { undefined_name(); }\n'
    with pytest.raises(AssertionError, match=r"(?s)NVRTC failed to compile broken\.cu.*undefined"):
        _compile(broken, "broken.cu", (), COMPILE_CHECK_ARCHS[0])
    with pytest.raises(AssertionError, match="missing<float>"):
        _compile('extern "C" __global__ void k() {}\n', "k.cu", ("missing<float>",), "sm_80")
