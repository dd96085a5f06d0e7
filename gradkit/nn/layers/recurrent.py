"""RNN, LSTM and GRU with PyTorch's parameter names (weight_ih_l0, ..._reverse), gate order
and initialisation (every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden))), so a PyTorch
state_dict loads one to one."""

from __future__ import annotations

import math
from typing import Any

from ... import creation
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import init
from ..functional.recurrent import GATES, rnn
from ..module import Module
from ..parameter import Parameter


class _RNNBase(Module):
    _mode = "rnn_tanh"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if hidden_size < 1 or num_layers < 1:
            raise ValueError(
                f"{name}: expected hidden_size and num_layers >= 1, got "
                f"{hidden_size} and {num_layers}"
            )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: expected dropout in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        gates = GATES[self._mode] * hidden_size
        directions = 2 if bidirectional else 1
        kw = {"device": device, "dtype": dtype or "float32"}
        self._flat_names: list[list[str]] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for d in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if d else "")
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                names = []
                for base, shape in shapes.items():
                    setattr(self, base + suffix, Parameter(creation.empty(*shape, **kw)))
                    names.append(base + suffix)
                self._flat_names.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        with no_grad():
            for param in self.parameters():
                init.uniform_(param, -bound, bound)

    def _layer_params(self) -> list[tuple]:
        result = []
        for names in self._flat_names:
            params = [getattr(self, n) for n in names]
            if not self.bias:
                params += [None, None]
            result.append(tuple(params))
        return result

    def _check_input(self, input: Any) -> None:  # noqa: A002
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor input, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{name}: expected 2-D (unbatched) or 3-D input, got input of "
                f"shape {tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input with input_size={self.input_size} "
                f"features (last dim), got input of shape {tuple(input.shape)}"
            )

    def forward(self, input: Tensor, hx: Any = None) -> tuple[Tensor, Any]:  # noqa: A002
        self._check_input(input)
        return rnn(
            self._mode,
            input,
            hx,
            self._layer_params(),
            self.num_layers,
            self.bidirectional,
            self.dropout,
            self.training,
            self.batch_first,
        )

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_RNNBase):
    """Elman RNN: h' = nonlinearity(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"RNN: unknown nonlinearity {nonlinearity!r}; expected 'tanh' or 'relu'"
            )
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device,
            dtype,
        )
        self.nonlinearity = nonlinearity
        self._mode = f"rnn_{nonlinearity}"  # both kinds have one gate: set after the params


class LSTM(_RNNBase):
    """Long short-term memory; gates i, f, g, o; forward(input, (h0, c0)) ->
    (output, (h_n, c_n))."""

    _mode = "lstm"


class GRU(_RNNBase):
    """Gated recurrent unit; gates r, z, n."""

    _mode = "gru"
