"""Module: the base class of layers and models, which owns parameters, buffers and submodules."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from ..autograd.grad_mode import no_grad
from ..backend.device import Device, as_device
from ..backend.dtypes import as_dtype
from ..tensor import Tensor, _to_device_array
from .parameter import Parameter


class LoadStateDictError(ValueError, RuntimeError):
    """``load_state_dict`` found missing, unexpected or mis-shaped entries.

    A ValueError (bad input, gradkit's convention) that is also a RuntimeError, which is what
    code written against PyTorch catches.
    """


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of all layers: subclass it, assign Parameters and Modules as attributes and
    define ``forward``. Calling the module runs the forward hooks around ``forward``."""

    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ reads these dictionaries
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward() method")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            replaced = hook(self, args)
            if replaced is not None:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            replaced = hook(self, args, output)
            if replaced is not None:
                output = replaced
        return output

    def register_forward_pre_hook(self, hook: Callable) -> _HookHandle:
        """``hook(module, args) -> None | new args`` runs before ``forward``."""
        return _register(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable) -> _HookHandle:
        """``hook(module, args, output) -> None | new output`` runs after ``forward``."""
        return _register(self._forward_hooks, hook)

    # ---- registration --------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() has run; call "
                "super().__init__() first in the subclass's __init__"
            )
        if isinstance(value, Parameter):
            self._forget(name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to parameter {name!r} of "
                    f"{type(self).__name__} (expected a gradkit.nn.Parameter or None)"
                )
            params[name] = None
        elif name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to submodule {name!r} of "
                    f"{type(self).__name__} (expected a Module or None)"
                )
            self._modules[name] = None
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign a {type(value).__name__} to buffer {name!r} of "
                    f"{type(self).__name__} (expected a Tensor or None)"
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        self.__dict__.pop(name, None)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: parameters, buffers and submodules live here.
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            entries = d.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, name: Any, what: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{what} name must be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{what} name can't be empty or contain '.', got {name!r}")
        if name in self.__dict__ or (hasattr(type(self), name) and not self._owns(name)):
            raise KeyError(f"attribute {name!r} already exists on {type(self).__name__}")

    def _owns(self, name: str) -> bool:
        return name in self._parameters or name in self._buffers or name in self._modules

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (a Parameter or None) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign a parameter before Module.__init__() has run")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"register_parameter: expected a gradkit.nn.Parameter or None for {name!r}, "
                f"got {type(param).__name__}"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"register_parameter: {name!r} is not a leaf tensor; wrap the data in a "
                "new Parameter instead"
            )
        if not self._owns(name):
            self._check_name(name, "parameter")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add non-trainable state (e.g. running statistics); persistent buffers are part of
        ``state_dict()``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign a buffer before Module.__init__() has run")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"register_buffer: expected a Tensor or None for {name!r}, got "
                f"{type(tensor).__name__}"
            )
        if not self._owns(name):
            self._check_name(name, "buffer")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a submodule under ``name`` (same as attribute assignment)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module")
        if not self._owns(name):
            self._check_name(name, "module")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r}")
            module = child
        return module

    # ---- traversal -----------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every submodule below it, depth first, each once."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(
                    memo, f"{prefix}.{name}" if prefix else name, remove_duplicate
                )

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def _named_members(
        self, table: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        seen: set = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(qualified name, Parameter) pairs; a shared Parameter is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes, gradients, placement -----------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise TypeError(f"train: mode must be a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's ``.grad`` (drop it, or fill it with zeros)."""
        for param in self.parameters():
            _clear_grad(param, set_to_none)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(device)``, ``to(dtype)`` or both: moves parameters and buffers in place, so the
        Parameter objects (and an optimizer holding them) stay the same. Only floating point
        tensors change dtype."""
        device, dtype = _parse_to_args(args, kwargs)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to: only floating point dtypes are accepted, got {dtype}")
        with no_grad():
            for module in self.modules():
                for table in (module._parameters, module._buffers):
                    for tensor in table.values():
                        if tensor is not None:
                            _convert_in_place(tensor, device, dtype)
                            if tensor.grad is not None:
                                _convert_in_place(tensor.grad, device, dtype)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Module:
        return self.to(f"cuda:{device}" if isinstance(device, int) else (device or "cuda"))

    def float(self) -> Module:
        return self.to(as_dtype("float32"))

    def double(self) -> Module:
        return self.to(as_dtype("float64"))

    def half(self) -> Module:
        return self.to(as_dtype("float16"))

    # ---- state_dict ----------------------------------------------------------------------
    def state_dict(
        self, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> OrderedDict:
        """Parameters and persistent buffers by qualified name (detached, sharing memory)."""
        if destination is None:
            destination = OrderedDict()
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = buffer if keep_vars else buffer.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> IncompatibleKeys:
        """Copy ``state_dict``'s values into this module's parameters and buffers.

        Everything is validated before anything is copied, so on error the module is unchanged.
        A shape mismatch always raises; missing/unexpected keys raise when ``strict`` and are
        returned otherwise. Values may be Tensors or arrays; dtypes are converted to the
        target's and values are moved to its device.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(
                f"load_state_dict: expected a mapping of names to tensors, got "
                f"{type(state_dict).__name__}"
            )
        own = self.state_dict(keep_vars=True)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        problems = []
        sources = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            data = value.data if isinstance(value, Tensor) else value
            shape = getattr(data, "shape", None)
            if shape is None:
                problems.append(f"{key}: expected a tensor, got {type(value).__name__}")
            elif tuple(shape) != tuple(target.shape):
                problems.append(
                    f"size mismatch for {key}: copying a tensor of shape {tuple(shape)}, the "
                    f"shape in the current model is {tuple(target.shape)}"
                )
            else:
                sources[key] = data
        if strict:
            if missing:
                problems.append("missing keys: " + ", ".join(repr(k) for k in missing))
            if unexpected:
                problems.append("unexpected keys: " + ", ".join(repr(k) for k in unexpected))
        if problems:
            raise LoadStateDictError(
                f"load_state_dict: error(s) in loading the state_dict for {type(self).__name__} "
                "(nothing was changed):\n  " + "\n  ".join(problems)
            )
        for key, data in sources.items():
            _copy_into(own[key], data)
        return IncompatibleKeys(missing, unexpected)

    # ---- representation ------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr``; layers override it."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        if not self._modules:
            return f"{self._get_name()}({extra})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self) -> list[str]:
        return sorted(
            set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules)
        )

    def __getstate__(self) -> Any:
        raise TypeError("Modules are not pickled; save model.state_dict() with gradkit.save")


_hook_ids = itertools.count()


class _HookHandle:
    """Returned by ``register_forward_hook``/``register_forward_pre_hook``; ``remove()`` it."""

    __slots__ = ("_table", "_key")

    def __init__(self, table: OrderedDict, key: int) -> None:
        self._table, self._key = table, key

    def remove(self) -> None:
        self._table.pop(self._key, None)


def _register(table: OrderedDict, hook: Callable) -> _HookHandle:
    key = next(_hook_ids)
    table[key] = hook
    return _HookHandle(table, key)


def _clear_grad(param: Tensor, set_to_none: bool) -> None:
    if param.grad is None:
        return
    if set_to_none:
        param.grad = None
    else:
        grad = param.grad
        if grad.grad_fn is not None:
            param.grad = grad = grad.detach()
        grad.data[...] = 0
        grad._vc[0] += 1


def _parse_to_args(args: tuple, kwargs: dict) -> tuple[Device | None, Any]:
    device = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"Module.to: unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Device) or (
            isinstance(arg, str) and arg.split(":")[0].strip().lower() in ("cpu", "cuda")
        ):
            device = arg
        elif isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        else:
            dtype = arg
    return (
        as_device(device) if device is not None else None,
        as_dtype(dtype, "Module.to") if dtype is not None else None,
    )


def _convert_in_place(tensor: Tensor, device: Device | None, dtype: Any) -> None:
    data = tensor.data
    changed = False
    if dtype is not None and data.dtype.kind == "f" and data.dtype != dtype:
        data = data.astype(dtype)
        changed = True
    if device is not None and device is not tensor.device:
        data = _to_device_array(data, device)
        tensor.device = device
        changed = True
    if changed:
        tensor.data = data
        tensor._vc[0] += 1


def _copy_into(target: Tensor, data: Any) -> None:
    with no_grad():
        # item assignment casts to the target's dtype; the array is first moved to its device
        target.data[...] = _to_device_array(data, target.device)
        target._vc[0] += 1
