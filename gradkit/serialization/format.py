"""Encoding Python objects of tensors into safetensors + JSON structure, and back."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from ..backend.device import as_device
from ..tensor import Tensor, _to_device_array
from .atomic import atomic_write

STRUCTURE_KEY = "gradkit.structure"
FORMAT_KEY = "gradkit.format"
FORMAT_VERSION = "1"
_MAX_DEPTH = 100


def _safetensors() -> Any:
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "gradkit.save/load need the 'safetensors' package: pip install safetensors"
        ) from None
    return safetensors


class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def name_for(self, path: list[str]) -> str:
        name = ".".join(path) or "tensor"
        unique, n = name, 1
        while unique in self.arrays:
            unique, n = f"{name}#{n}", n + 1
        return unique

    def encode(self, obj: Any, path: list[str], depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError(f"save: the object is nested more than {_MAX_DEPTH} levels deep")
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, (int, np.integer)):
            return int(obj)
        if isinstance(obj, (float, np.floating)):
            return {"float": repr(float(obj))}
        if isinstance(obj, (Tensor, np.ndarray)):
            data = obj.data if isinstance(obj, Tensor) else obj
            if not isinstance(data, np.ndarray):
                data = data.get()  # CuPy -> host
            name = self.name_for(path)
            # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
            self.arrays[name] = data if data.flags.c_contiguous else data.copy(order="C")
            return {"tensor": name}
        if isinstance(obj, (list, tuple)):
            items = [self.encode(v, [*path, str(i)], depth + 1) for i, v in enumerate(obj)]
            return {"tuple" if isinstance(obj, tuple) else "list": items}
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj):
                return {"dict": {k: self.encode(v, [*path, k], depth + 1) for k, v in obj.items()}}
            return {
                "items": [
                    [
                        self.encode(k, [*path, "key"], depth + 1),
                        self.encode(v, [*path, str(k)], depth + 1),
                    ]
                    for k, v in obj.items()
                ]
            }
        raise TypeError(
            f"save: can't store a {type(obj).__name__} at {'.'.join(path) or 'the top level'}; "
            "checkpoints hold tensors, arrays, dicts, lists, tuples, numbers, strings and None"
        )


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of tensors and plain values) to ``path``
    atomically: a crash mid-save leaves any previous file at ``path`` intact."""
    encoder = _Encoder()
    structure = encoder.encode(obj, [])
    metadata = {FORMAT_KEY: FORMAT_VERSION, STRUCTURE_KEY: json.dumps(structure)}
    payload = _safetensors().numpy.save(encoder.arrays, metadata=metadata)
    atomic_write(os.fspath(path), payload)


class _Decoder:
    def __init__(self, tensors: dict[str, Tensor], path: str) -> None:
        self.tensors = tensors
        self.path = path

    def fail(self, why: str) -> ValueError:
        return ValueError(f"load: {self.path} is not a valid gradkit checkpoint ({why})")

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH + 1:
            raise self.fail("structure nested too deeply")
        if node is None or isinstance(node, (bool, int, str)):
            return node
        if isinstance(node, dict) and len(node) == 1:
            ((tag, value),) = node.items()
            if tag == "float" and isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    raise self.fail(f"bad float {value!r}") from None
            if tag == "tensor" and isinstance(value, str):
                if value not in self.tensors:
                    raise self.fail(f"structure names a missing tensor {value!r}")
                return self.tensors[value]
            if tag in ("list", "tuple") and isinstance(value, list):
                items = [self.decode(v, depth + 1) for v in value]
                return items if tag == "list" else tuple(items)
            if tag == "dict" and isinstance(value, dict):
                return {k: self.decode(v, depth + 1) for k, v in value.items()}
            if tag == "items" and isinstance(value, list):
                out = {}
                for pair in value:
                    if not (isinstance(pair, list) and len(pair) == 2):
                        raise self.fail("bad dict entry")
                    key = self.decode(pair[0], depth + 1)
                    try:
                        out[key] = self.decode(pair[1], depth + 1)
                    except TypeError:
                        raise self.fail(f"unhashable dict key {key!r}") from None
                return out
        raise self.fail(f"unknown structure node {str(node)[:80]!r}")


def load(path: str | os.PathLike, map_location: Any = None) -> Any:
    """Read a checkpoint written by ``save`` (or any safetensors file, as a flat dict of
    tensors). ``map_location`` is a device (or "cpu"/"cuda:N") to put every tensor on. A
    damaged or hostile file raises ValueError naming it; nothing in it is ever executed."""
    safetensors = _safetensors()
    path = os.fspath(path)
    device = as_device(map_location) if map_location is not None else as_device("cpu")
    try:
        with safetensors.safe_open(path, framework="numpy") as handle:
            metadata = handle.metadata() or {}
            arrays = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except FileNotFoundError:
        raise
    except Exception as error:  # the parser's errors (SafetensorError, OSError, ...)
        raise ValueError(
            f"load: {path} is not a readable safetensors checkpoint "
            f"({type(error).__name__}: {error})"
        ) from None
    tensors = {
        name: Tensor._make(_to_device_array(array, device), device)
        for name, array in arrays.items()
    }
    raw = metadata.get(STRUCTURE_KEY)
    if raw is None:
        return tensors
    decoder = _Decoder(tensors, path)
    try:
        structure = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        raise decoder.fail(f"structure is not valid JSON: {error}") from None
    try:
        return decoder.decode(structure)
    except RecursionError:
        raise decoder.fail("structure nested too deeply") from None


def _reject_constant(name: str) -> float:
    # NaN/Infinity are never written bare (floats are tagged), so a bare one is corruption
    raise ValueError(f"unexpected constant {name}")
