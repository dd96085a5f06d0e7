"""Recurrent networks (RNN with tanh/relu, LSTM, GRU) as compositions of differentiable ops.

PyTorch's conventions throughout: gate order i, f, g, o (LSTM) and r, z, n (GRU, with the
hidden bias inside the reset product), parameters per layer and direction as
(weight_ih, weight_hh, bias_ih, bias_hh), sequence-first tensors (T, N, features). The input
projection of a whole sequence is one GEMM; only the hidden projection runs per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ... import ops
from ...tensor import Tensor
from .dropout import dropout

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


def _cell_step(
    mode: str, projected: Tensor, h: Tensor, c: Any, w_hh: Tensor, b_hh: Any
) -> tuple[Tensor, Any]:
    """One time step given the input projection x W_ih^T + b_ih of this step."""
    hidden = ops.linear(h, w_hh, b_hh)
    if mode == "lstm":
        i, f, g, o = ops.chunk(projected + hidden, 4, axis=-1)
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c), c
    if mode == "gru":
        x_r, x_z, x_n = ops.chunk(projected, 3, axis=-1)
        h_r, h_z, h_n = ops.chunk(hidden, 3, axis=-1)
        r = ops.sigmoid(x_r + h_r)
        z = ops.sigmoid(x_z + h_z)
        n = ops.tanh(x_n + r * h_n)
        return n + z * (h - n), None  # (1 - z) * n + z * h
    pre = projected + hidden
    return (ops.tanh(pre) if mode == "rnn_tanh" else ops.relu(pre)), None


def _run_direction(
    mode: str, x: Tensor, h: Tensor, c: Any, params: Sequence[Any], reverse: bool
) -> tuple[Tensor, Tensor, Any]:
    """Run one layer in one direction over x (T, N, in); returns (outputs (T, N, H), h, c)."""
    w_ih, w_hh, b_ih, b_hh = params
    projected = ops.linear(x, w_ih, b_ih)  # (T, N, gates*H): one GEMM for the sequence
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outputs: list[Tensor] = [None] * x.shape[0]  # type: ignore[list-item]
    for t in steps:
        h, c = _cell_step(mode, projected[t], h, c, w_hh, b_hh)
        outputs[t] = h
    return ops.stack(outputs, axis=0), h, c


def rnn(
    mode: str,
    input: Tensor,
    hx: Any,
    params: Sequence[Sequence[Any]],  # noqa: A002
    num_layers: int,
    bidirectional: bool,
    dropout_p: float = 0.0,
    training: bool = False,
    batch_first: bool = False,
) -> tuple[Tensor, Any]:
    """A multi-layer (bi)directional recurrent network.

    ``params`` lists (weight_ih, weight_hh, bias_ih, bias_hh) per layer and direction, in
    PyTorch's order (layer 0 forward, layer 0 reverse, layer 1 forward, ...). ``input`` is
    (T, N, in) ((N, T, in) with batch_first) or unbatched (T, in). ``hx`` is None, h0, or for
    LSTM (h0, c0), each (num_layers * directions, N, H) (or (L*D, H) unbatched).
    Returns (output, h_n) or, for LSTM, (output, (h_n, c_n)).
    """
    if mode not in GATES:
        raise ValueError(f"rnn: unknown mode {mode!r}; expected one of {tuple(GATES)}")
    directions = 2 if bidirectional else 1
    unbatched = input.ndim == 2
    x = (
        ops.unsqueeze(input, 1)
        if unbatched
        else (ops.swapaxes(input, 0, 1) if batch_first else input)
    )
    batch = x.shape[1]
    hidden_size = params[0][1].shape[1]
    h0, c0 = _initial_states(mode, hx, unbatched, num_layers * directions, batch, hidden_size, x)
    final_h, final_c = [], []
    for layer in range(num_layers):
        if layer and dropout_p and training:
            x = dropout(x, dropout_p, True)
        outputs = []
        for d in range(directions):
            k = layer * directions + d
            out, h, c = _run_direction(
                mode, x, h0[k], None if c0 is None else c0[k], params[k], reverse=d == 1
            )
            outputs.append(out)
            final_h.append(h)
            final_c.append(c)
        x = outputs[0] if directions == 1 else ops.concat(outputs, axis=-1)
    h_n = ops.stack(final_h, axis=0)
    c_n = ops.stack(final_c, axis=0) if mode == "lstm" else None
    if unbatched:
        x = ops.squeeze(x, 1)
        h_n = ops.squeeze(h_n, 1)
        c_n = ops.squeeze(c_n, 1) if c_n is not None else None
    elif batch_first:
        x = ops.swapaxes(x, 0, 1)
    return x, ((h_n, c_n) if mode == "lstm" else h_n)


def _initial_states(
    mode: str, hx: Any, unbatched: bool, count: int, batch: int, hidden: int, like: Tensor
) -> tuple[list, Any]:
    expected = (count, hidden) if unbatched else (count, batch, hidden)
    if hx is None:
        zeros = Tensor._make(
            like.device.xp.zeros((count, batch, hidden), dtype=like.dtype), like.device
        )
        states = ops.unbind(zeros, axis=0)
        return list(states), (list(states) if mode == "lstm" else None)
    pair = mode == "lstm"
    if pair and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
        raise TypeError("lstm: expected hx to be a tuple (h0, c0)")
    tensors = tuple(hx) if pair else (hx,)
    result = []
    for name, t in zip(("h0", "c0"), tensors):
        if tuple(t.shape) != expected:
            raise ValueError(f"{mode}: expected {name} of shape {expected}, got {tuple(t.shape)}")
        if unbatched:
            t = ops.unsqueeze(t, 1)
        result.append(list(ops.unbind(t, axis=0)))
    return result[0], (result[1] if pair else None)
