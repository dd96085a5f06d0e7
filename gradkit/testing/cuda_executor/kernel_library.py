"""A compiled executor library: launch its kernels with NumPy arrays and scalars.

Each argument is checked against the kernel's C++ signature (reported by the library), which
catches what a GPU would silently misread: a float64 array passed as float*, np.int32 passed
as long long, a strided view, a read-only array given to a non-const pointer.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_ERROR_BYTES = 1024
# One launch at a time per process: the emulator's globals (threadIdx, the scheduler,
# `static` __shared__ arrays) are not reentrant.
_launch_lock = threading.Lock()


class ExecutorLaunchError(RuntimeError):
    """The kernel could not run (bad geometry, deadlock, __trap); the message says where."""


@dataclass(frozen=True)
class Parameter:
    is_pointer: bool
    is_const: bool  # of the pointee
    dtype: np.dtype | None  # None for void*

    def describe(self) -> str:
        name = "void" if self.dtype is None else str(self.dtype)
        if not self.is_pointer:
            return f"a {name} scalar"
        return f"a {'const ' if self.is_const else ''}{name} pointer"


def parse_signature(text: str) -> tuple[Parameter, ...]:
    """ "Pcf4,Pf4,i8" -> (const float32 pointer, float32 pointer, int64 scalar)."""
    parameters = []
    for code in filter(None, text.split(",")):
        is_pointer = code.startswith("P")
        is_const = code.startswith("Pc")
        element = code[2:] if is_const else code[1:] if is_pointer else code
        dtype = None if element == "v" else np.dtype("?" if element == "b1" else element)
        parameters.append(Parameter(is_pointer, is_const, dtype))
    return tuple(parameters)


class KernelLibrary:
    def __init__(self, path: Path, file: str, name_expressions: Sequence[str]):
        self.file = file
        self._library = ctypes.CDLL(str(path))
        self._kernels: dict[str, tuple[ctypes._CFuncPtr, tuple[Parameter, ...]]] = {}
        for index, name in enumerate(name_expressions):
            launch = getattr(self._library, f"gkcpu_launch_{index}")
            launch.restype = ctypes.c_int
            launch.argtypes = [
                ctypes.POINTER(ctypes.c_uint),
                ctypes.POINTER(ctypes.c_uint),
                ctypes.c_ulonglong,
                ctypes.POINTER(ctypes.c_void_p),
                ctypes.c_char_p,
                ctypes.c_ulonglong,
            ]
            signature = getattr(self._library, f"gkcpu_signature_{index}")
            signature.restype = ctypes.c_char_p
            self._kernels[name] = (launch, parse_signature(signature().decode()))

    def parameters(self, name_expression: str) -> tuple[Parameter, ...]:
        return self._kernels[name_expression][1]

    def launch(
        self,
        name_expression: str,
        grid: Sequence[int],
        block: Sequence[int],
        args: Sequence,
        shared_mem: int = 0,
    ) -> None:
        where = f"{name_expression} ({self.file})"
        if name_expression not in self._kernels:
            raise KeyError(f"{where}: not among the instantiations this library was built with")
        launch, parameters = self._kernels[name_expression]
        if len(args) != len(parameters):
            raise TypeError(f"{where}: takes {len(parameters)} arguments; got {len(args)}")
        keep_alive = [_pack(where, i, arg, p) for i, (arg, p) in enumerate(zip(args, parameters))]
        addresses = (ctypes.c_void_p * max(len(args), 1))(
            *(ctypes.addressof(value) for value in keep_alive)
        )
        error = ctypes.create_string_buffer(_ERROR_BYTES)
        with _launch_lock:
            status = launch(
                (ctypes.c_uint * 3)(*grid),
                (ctypes.c_uint * 3)(*block),
                shared_mem,
                addresses,
                error,
                _ERROR_BYTES,
            )
        if status != 0:
            raise ExecutorLaunchError(f"{where}: {error.value.decode(errors='replace')}")


def _pack(where: str, index: int, arg, parameter: Parameter):
    """The argument's value in a ctypes buffer, checked against the kernel's parameter."""
    expected = f"{where}: argument {index} must be {parameter.describe()}"
    if parameter.is_pointer:
        if not isinstance(arg, np.ndarray):
            raise TypeError(f"{expected}; got {type(arg).__name__}")
        if parameter.dtype is not None and arg.dtype != parameter.dtype:
            raise TypeError(f"{expected}; got a {arg.dtype} array")
        if not arg.flags.c_contiguous:
            raise ValueError(f"{expected} to C-contiguous memory; got a strided array")
        if not parameter.is_const and not arg.flags.writeable:
            raise ValueError(f"{expected} (written by the kernel); got a read-only array")
        return ctypes.c_void_p(arg.ctypes.data)
    if not isinstance(arg, np.generic) or arg.dtype != parameter.dtype:
        got = arg.dtype if isinstance(arg, np.generic) else type(arg).__name__
        raise TypeError(f"{expected}, e.g. np.{parameter.dtype}(...); got {got}")
    return ctypes.create_string_buffer(arg.tobytes(), arg.itemsize)
