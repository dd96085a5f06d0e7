"""The GPU path's Python side, with a stand-in for CuPy: what reaches cupy.RawModule and the
kernel launch. (The real thing runs only on a GPU; see tests marked gpu.)"""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest

from gradkit.backend.cuda import activation, loader
from gradkit.backend.cuda.compile_options import NVRTC_OPTIONS
from gradkit.backend.cuda.cupy_runtime import CupyRuntime


class FakeCompileException(Exception):
    pass


class FakeRawModule:
    created: list[FakeRawModule] = []
    fail_with: str | None = None

    def __init__(self, code, options, name_expressions):
        self.code, self.options, self.name_expressions = code, options, name_expressions
        self.launches = []
        FakeRawModule.created.append(self)

    def compile(self):
        if FakeRawModule.fail_with:
            raise FakeCompileException(FakeRawModule.fail_with)

    def get_function(self, name):
        assert name in self.name_expressions
        return lambda grid, block, args, shared_mem: self.launches.append(
            (name, grid, block, args, shared_mem)
        )


@pytest.fixture
def fake_cupy(monkeypatch):
    device = types.SimpleNamespace(
        compute_capability="90", id=0, attributes={"MultiProcessorCount": 2}
    )
    cuda = types.SimpleNamespace(
        Device=lambda device_id=0: device,
        compiler=types.SimpleNamespace(CompileException=FakeCompileException),
    )
    # Arrays are NumPy's: the launchers only need ascontiguousarray/empty_like from xp.
    module = types.SimpleNamespace(
        RawModule=FakeRawModule,
        cuda=cuda,
        ascontiguousarray=np.ascontiguousarray,
        empty_like=np.empty_like,
    )
    monkeypatch.setitem(sys.modules, "cupy", module)
    monkeypatch.setattr(loader, "_modules", {})
    monkeypatch.setattr(loader, "_kernels", {})
    FakeRawModule.created, FakeRawModule.fail_with = [], None
    return module


def test_module_is_compiled_once_with_all_instantiations_and_the_shared_options(fake_cupy):
    loader.get_kernel(
        "activation.cu", activation.kernel_name("activation_forward", "float32", "relu")
    )
    loader.get_kernel(
        "activation.cu", activation.kernel_name("activation_backward", "float16", "gelu")
    )
    (module,) = FakeRawModule.created
    assert module.options == NVRTC_OPTIONS
    assert tuple(module.name_expressions) == activation.NAME_EXPRESSIONS
    assert "enum class ActivationKind" in module.code and "namespace gk" in module.code


def test_compile_failure_names_the_file_and_keeps_the_log(fake_cupy):
    FakeRawModule.fail_with = "activation.cu(12): error: identifier 'x' is undefined"
    with pytest.raises(
        loader.KernelCompileError, match=r"(?s)activation\.cu for sm_90.*identifier"
    ):
        loader.get_kernel("activation.cu", activation.NAME_EXPRESSIONS[0])


def test_unlisted_instantiation_is_refused(fake_cupy):
    with pytest.raises(KeyError, match="kernel_manifest"):
        loader.get_kernel("activation.cu", "activation_forward<int, ActivationKind::Relu>")


def test_launcher_through_the_cupy_runtime(fake_cupy):
    runtime = CupyRuntime()
    x = np.arange(1000, dtype=np.float32)[::2]  # strided: must arrive contiguous
    out = activation.activation_forward(x, "leaky_relu", negative_slope=0.25, runtime=runtime)
    ((name, grid, block, args, shared_mem),) = FakeRawModule.created[0].launches
    assert name == "activation_forward<float, ActivationKind::LeakyRelu>"
    assert (grid, block, shared_mem) == ((2, 1, 1), (256, 1, 1), 0)  # 500 elements -> 2 blocks
    x_arg, out_arg, n, param0, param1 = args
    assert x_arg.flags.c_contiguous and np.array_equal(x_arg, x)
    assert out_arg is out
    assert (type(n), n) == (np.int64, 500)
    assert (type(param0), param0, type(param1)) == (np.float64, 0.25, np.float64)


def test_importing_the_cuda_backend_does_not_import_cupy():
    code = (
        "import sys, gradkit.backend.cuda.activation, gradkit.backend.cuda.loader, "
        "gradkit.backend.cuda.cupy_runtime; assert 'cupy' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
