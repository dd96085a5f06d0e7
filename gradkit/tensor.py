"""Tensor: an n-dimensional array on a device, with the bookkeeping reverse mode needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .autograd import engine as _autograd_engine
from .autograd import function as _function
from .autograd.grad_mode import state as _grad_state
from .backend.device import Device, as_device, cpu, device_of_array
from .backend.dtypes import as_dtype
from .backend.host_sync import note_device_to_host


class Tensor:
    """Data (a NumPy or CuPy array) plus device, gradient and the node that produced it."""

    __slots__ = (
        "data",
        "device",
        "requires_grad",
        "grad",
        "grad_fn",
        "_vc",
        "_output_nr",
        "_hooks",
        "_grad_owned",
        "_retains_grad",
        "_fw",
        "_view_base",
        "_view_fn",
        "_view_version",
        "_view_no_grad",
        "__weakref__",
    )
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected operator

    data: Any
    device: Device
    requires_grad: bool
    grad: Tensor | None
    grad_fn: Any

    def __init__(
        self, data: Any, device: Any = None, requires_grad: bool = False, dtype: Any = None
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        target = as_device(device) if device is not None else None
        if target is None:
            target = device_of_array(data) if not isinstance(data, (list, tuple)) else cpu
            if not isinstance(data, np.ndarray) and target is cpu:
                data = np.asarray(data)
        xp = target.xp
        if dtype is not None:
            data = xp.asarray(data, dtype=as_dtype(dtype, "Tensor"))
        elif not isinstance(data, xp.ndarray):
            data = _to_device_array(data, target)
        self.data = data
        self.device = target
        self.requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._vc = [0]
        self._output_nr = 0
        self._hooks = None
        self._grad_owned = False
        self._retains_grad = False
        self._fw = None  # forward-mode tangents: {dual level: Tensor}
        # A view (made by _view_of in gradkit/ops/shape.py) also sets _view_fn,
        # _view_version and _view_no_grad; other tensors leave those slots unset.
        self._view_base = None
        if requires_grad:
            self.requires_grad_(True)

    # ---- fast internal constructors ------------------------------------------------------
    @staticmethod
    def _make(data: Any, device: Device, requires_grad: bool = False) -> Tensor:
        if data.__class__ is not _ndarray and isinstance(data, np.generic):
            data = np.asarray(data)  # NumPy turns 0-d results into scalars; keep an array
        t = _new(Tensor)
        t.data = data
        t.device = device
        t.requires_grad = requires_grad
        t.grad = None
        t.grad_fn = None
        t._vc = [0]
        t._output_nr = 0
        t._hooks = None
        t._grad_owned = False
        t._retains_grad = False
        t._fw = None
        t._view_base = None
        return t

    @staticmethod
    def _from_graph(
        data: Any,
        device: Device,
        requires_grad: bool,
        grad_fn: Any,
        output_nr: int,
        version_counter: list,
    ) -> Tensor:
        t = Tensor._make(data, device, requires_grad)
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        t._vc = version_counter
        return t

    def _alias(self) -> Tensor:
        """A new Tensor object over the same memory and version counter, with no history."""
        t = Tensor._make(self.data, self.device)
        t._vc = self._vc
        return t

    # ---- metadata ------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    def dim(self) -> int:
        return self.data.ndim

    def size(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.data.shape
        try:
            return self.data.shape[dim]
        except IndexError:
            raise IndexError(
                f"size: dimension {dim} is out of range for a tensor with {self.ndim} dims"
            ) from None

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def _base(self) -> Tensor | None:
        """The tensor whose memory this view shares (the root of a chain of views), or None."""
        return self._view_base

    def _is_view(self) -> bool:
        return self._view_base is not None

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy/PyTorch name
        return _ops.permute(self, tuple(range(self.data.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        return _ops.swapaxes(self, -2, -1)

    # ---- conversion ----------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        note_device_to_host(self.device)
        if self.device.type != "cpu":
            raise TypeError(
                f"numpy: the tensor is on {self.device}; call .cpu() first to copy it to host"
            )
        return self.data

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        note_device_to_host(self.device)
        data = self.data if self.device.type == "cpu" else self.data.get()
        if not isinstance(data, np.ndarray):  # NumPy returns scalars from 0-d arithmetic
            data = np.asarray(data)
        if dtype is not None:
            data = data.astype(dtype, copy=False)
        return data

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(
                f"item: expected a tensor with one element, got shape {tuple(self.shape)}"
            )
        note_device_to_host(self.device)
        return self.data.reshape(()).item() if self.device.type == "cpu" else self.data.item()

    def tolist(self) -> Any:
        note_device_to_host(self.device)
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self.data.size} elements is "
                "ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def __iter__(self) -> Iterator[Tensor]:
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield self[i]

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or keywords; differentiable."""
        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, (Device,)) or (isinstance(arg, str) and _looks_like_device(arg)):
                device = arg
            elif isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            else:
                dtype = arg
        result = self
        if dtype is not None:
            result = _ops.cast(result, as_dtype(dtype, "to"))
        if device is not None:
            result = _ops.to_device(result, as_device(device))
        if copy and result is self:
            result = self.clone()
        return result

    def cpu(self) -> Tensor:
        return self.to(cpu)

    def cuda(self, device: Any = None) -> Tensor:
        return self.to(
            as_device(
                "cuda"
                if device is None
                else (f"cuda:{device}" if isinstance(device, int) else device)
            )
        )

    def float(self) -> Tensor:
        return _ops.cast(self, np.dtype(np.float32))

    def half(self) -> Tensor:
        return _ops.cast(self, np.dtype(np.float16))

    def double(self) -> Tensor:
        return _ops.cast(self, np.dtype(np.float64))

    def long(self) -> Tensor:
        return _ops.cast(self, np.dtype(np.int64))

    def int(self) -> Tensor:
        return _ops.cast(self, np.dtype(np.int32))

    def bool(self) -> Tensor:
        return _ops.cast(self, np.dtype(np.bool_))

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"gradkit.{self.dtype.name}"
        return _ops.cast(self, as_dtype(dtype, "type"))

    # ---- autograd ------------------------------------------------------------------------
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only floating point tensors can require gradients, got "
                f"dtype {self.dtype}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_: cannot turn off requires_grad of a non-leaf tensor; use .detach()"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """Same memory and version counter, no history (like PyTorch)."""
        return self._alias()

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        self._view_base = None  # no history to regenerate from its base any more
        return self

    def retain_grad(self) -> None:
        _function.sync_view(self)
        if not self.requires_grad:
            raise RuntimeError("retain_grad: the tensor does not require grad")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        import weakref

        ref = weakref.ref(self)

        def keep(grad: Tensor) -> None:
            owner = ref()
            if owner is not None:
                value = grad if _grad_state.enabled else grad.detach()
                owner.grad = value if owner.grad is None else owner.grad + value

        keep.retains_grad = True  # type: ignore[attr-defined]
        self.grad_fn.register_prehook(self._output_nr, keep)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Any) -> Any:
        """``hook(grad) -> Tensor | None`` runs when this tensor's gradient is computed."""
        _function.sync_view(self)
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require gradient"
            )
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
            hooks, item = self._hooks, hook
        else:
            self.grad_fn.register_prehook(self._output_nr, hook)
            hooks, item = self.grad_fn._pre_hooks[self._output_nr], hook
        return _RemovableHandle(hooks, item)

    def register_post_accumulate_grad_hook(self, hook: Any) -> Any:
        """``hook(tensor) -> None`` runs on a leaf after a gradient has been accumulated into
        its ``.grad`` (each time one is; a leaf used twice in a graph gets two calls)."""
        if not self.requires_grad:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: cannot register a hook on "
                "a tensor that doesn't require gradient"
            )
        if self.grad_fn is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: post accumulate grad hooks "
                "cannot be registered on non-leaf tensors"
            )
        if self._hooks is None:
            self._hooks = []
        item = _autograd_engine.PostAccumulateGradHook(hook)
        self._hooks.append(item)
        return _RemovableHandle(self._hooks, item)

    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        from .autograd.api import backward

        backward(
            [self], None if gradient is None else [gradient], retain_graph, create_graph, inputs
        )

    # ---- representation ------------------------------------------------------------------
    def __repr__(self) -> str:
        note_device_to_host(self.device)
        data = self.data if self.device.type == "cpu" else self.data.get()
        # PyTorch's look: whole floats print as "1.", others with 4 fixed decimals
        fixed = data.dtype.kind == "f" and data.size > 0 and not _all_whole(data)
        body = np.array2string(
            data,
            separator=", ",
            prefix="tensor(",
            threshold=1000,
            precision=4,
            floatmode="fixed" if fixed else "maxprec",
        )
        extras = []
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.dtype not in (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype=gradkit.{self.dtype.name}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{type(self.grad_fn).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    __hash__ = object.__hash__

    def __reduce__(self):
        raise TypeError("Tensors are not pickled; use gradkit.save, which never unpickles")


class _RemovableHandle:
    __slots__ = ("_hooks", "_item")

    def __init__(self, hooks: list, item: Any) -> None:
        self._hooks, self._item = hooks, item

    def remove(self) -> None:
        if self._item in self._hooks:
            self._hooks.remove(self._item)


_ndarray = np.ndarray


_new = object.__new__  # bound once: Tensor._make is on every op's path


def _all_whole(data: np.ndarray) -> bool:
    finite = data[np.isfinite(data)]
    return bool(np.all(finite == np.round(finite)))


def _looks_like_device(spec: str) -> bool:
    return spec.split(":")[0].strip().lower() in ("cpu", "cuda")


def _to_device_array(data: Any, device: Device) -> Any:
    xp = device.xp
    if device.type == "cpu":
        if hasattr(data, "get") and not isinstance(data, np.ndarray):
            note_device_to_host("cuda")
            return data.get()
        return np.asarray(data)
    with xp.cuda.Device(device.index):
        return xp.asarray(data)


_function.Tensor = Tensor

from . import ops as _ops  # noqa: E402  (ops build on Tensor)
from .tensor_methods import bind_methods  # noqa: E402

bind_methods(Tensor)
