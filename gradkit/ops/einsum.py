"""einsum: sums of products named by subscripts; the gradient of each operand is another einsum.

Equations follow NumPy/PyTorch: implicit ('ij,jk') or explicit ('ij,jk->ik') output, repeated
subscripts within an operand (diagonals, traces: 'ii->i', 'ii'), '...' for leading dims, and
size-1 dims broadcasting against the same subscript elsewhere.
"""

from __future__ import annotations

import string
from collections import Counter
from functools import lru_cache
from typing import Any, NamedTuple

from ..autograd.function import Function
from ..backend.dtypes import promote
from ..tensor import Tensor
from .broadcast_grad import grad_like

_LETTERS = string.ascii_letters


class _Spec(NamedTuple):
    """A parsed equation with '...' spelled out as letters, so every dim has a name."""

    inputs: tuple[str, ...]
    output: str
    sizes: dict  # subscript -> its size after broadcasting
    equation: str  # the normalised equation NumPy/CuPy run


def _check_term(term: str, equation: str) -> None:
    body = term.replace("...", "", 1)
    bad = [c for c in body if c not in _LETTERS]
    if bad:
        raise ValueError(
            f"einsum: invalid subscript {bad[0]!r} in {equation!r}; subscripts are letters "
            "a-z, A-Z and at most one '...' per operand"
        )


def _spell_out_ellipses(terms: list[str], shapes: tuple, equation: str) -> tuple[list, str]:
    """Each term with '...' replaced by letters (right-aligned, like broadcasting)."""
    covered = []
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        has_ellipsis = "..." in term
        if named > len(shape) or (not has_ellipsis and named != len(shape)):
            raise ValueError(
                f"einsum: operand {k} has {len(shape)} dims (shape {shape}) but its "
                f"subscripts {term!r} in {equation!r} name {named}"
            )
        covered.append(len(shape) - named)
    n_ellipsis = max(covered, default=0)
    free = [c for c in _LETTERS if c not in equation]
    if n_ellipsis > len(free):
        raise ValueError(f"einsum: too many dims for {equation!r}; at most 52 subscripts fit")
    ellipsis = "".join(free[:n_ellipsis])
    spelled = [t.replace("...", ellipsis[n_ellipsis - n :]) for t, n in zip(terms, covered)]
    return spelled, ellipsis


def _output_term(
    rhs: str | None, terms: list[str], inputs: list[str], ellipsis: str, equation: str
) -> str:
    if rhs is None:  # implicit: '...' then the subscripts used once, in alphabetical order
        counts = Counter(c for t in terms for c in t if c in _LETTERS)
        return ellipsis + "".join(sorted(c for c, n in counts.items() if n == 1))
    output = rhs.replace("...", ellipsis)
    seen = set("".join(inputs))
    for c in output:
        if output.count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} appears twice in {equation!r}")
        if c not in seen:
            raise ValueError(
                f"einsum: output subscript {c!r} in {equation!r} does not appear in any operand"
            )
    return output


def _broadcast_sizes(inputs: list[str], shapes: tuple, equation: str) -> dict:
    sizes: dict[str, int] = {}
    for k, (term, shape) in enumerate(zip(inputs, shapes)):
        own: dict[str, int] = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: subscript {c!r} repeats in operand {k} of {equation!r} with "
                    f"sizes {own[c]} and {n} (shape {shape})"
                )
            before = sizes.get(c)
            if before is None or before == 1:
                sizes[c] = n
            elif n not in (1, before):
                raise ValueError(
                    f"einsum: a dim of operand {k} (shape {shape}) has size {n} where "
                    f"another operand has {before}, for subscript {c!r} of {equation!r}"
                )
    return sizes


@lru_cache(maxsize=512)
def _parse(equation: str, shapes: tuple) -> _Spec:
    compact = equation.replace(" ", "")
    if compact.count("->") > 1:
        raise ValueError(f"einsum: expected at most one '->' in {equation!r}")
    lhs, arrow, rhs = compact.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the equation {equation!r} has subscripts for {len(terms)} operand(s) "
            f"but {len(shapes)} operand(s) were given"
        )
    for term in terms + ([rhs] if arrow else []):
        _check_term(term, equation)
    inputs, ellipsis = _spell_out_ellipses(terms, shapes, compact)
    output = _output_term(rhs if arrow else None, terms, inputs, ellipsis, equation)
    sizes = _broadcast_sizes(inputs, shapes, equation)
    return _Spec(tuple(inputs), output, sizes, ",".join(inputs) + "->" + output)


class Einsum(Function):
    @staticmethod
    def forward(ctx, spec, *operands):
        arrays = [o.data for o in operands]
        dtype = arrays[0].dtype
        for a in arrays[1:]:
            dtype = promote(dtype, a.dtype)
        arrays = [a.astype(dtype, copy=False) for a in arrays]
        ctx.spec = spec
        ctx.metas = tuple((o.shape, o.dtype) for o in operands)
        ctx.save_for_backward(*operands)
        xp = operands[0].device.xp
        # optimize=True lets NumPy hand contractions to BLAS (tensordot) instead of its loops
        out = xp.asarray(xp.einsum(spec.equation, *arrays, optimize=len(arrays) > 1))
        if len(arrays) == 1 and xp.may_share_memory(out, arrays[0]):
            out = out.copy()  # 'ii->i' or 'ij->ji' return views; results own their memory
        return Tensor._make(out, operands[0].device)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors
        grads = [
            _operand_grad(ctx.spec, k, grad, operands, *ctx.metas[k]) if need else None
            for k, need in enumerate(ctx.needs_input_grad[1:])
        ]
        return (None, *grads)

    @staticmethod
    def jvp(ctx, _, *tangents):
        operands = ctx.saved_tensors
        total = None
        for k, tangent in enumerate(tangents):
            if tangent is not None:  # product rule: one operand at a time takes its tangent
                term = einsum(ctx.spec.equation, *operands[:k], tangent, *operands[k + 1 :])
                total = term if total is None else total + term
        return total


def _operand_grad(
    spec: _Spec, k: int, grad: Tensor, operands: tuple, shape: tuple, dtype: Any
) -> Tensor:
    """d(sum(grad * out))/d(operand k): grad contracted with every other operand.

    A subscript repeated in operand k (a diagonal) gets fresh output letters tied together by
    a delta tensor; a subscript only operand k has (summed away) comes back through ones.
    """
    terms = [spec.output] + [t for j, t in enumerate(spec.inputs) if j != k]
    tensors = [grad] + [o for j, o in enumerate(operands) if j != k]
    elsewhere = set("".join(terms))
    free = iter(c for c in _LETTERS if c not in spec.equation)
    groups: dict[str, list[str]] = {}
    out_term = []
    for c in spec.inputs[k]:
        letter = c
        if c in groups:
            letter = next(free, None)
            if letter is None:
                raise ValueError(f"einsum: too many subscripts to differentiate {spec.equation!r}")
            groups[c].append(letter)
        else:
            groups[c] = [c]
        out_term.append(letter)
    xp = grad.device.xp
    for c, letters in groups.items():
        n = spec.sizes[c]
        if len(letters) > 1:
            delta = xp.zeros((n,) * len(letters), dtype=grad.dtype)
            delta[(xp.arange(n),) * len(letters)] = 1
            terms.append("".join(letters))
            tensors.append(Tensor._make(delta, grad.device))
        elif c not in elsewhere:
            terms.append(c)
            tensors.append(Tensor._make(xp.ones(n, dtype=grad.dtype), grad.device))
    result = einsum(",".join(terms) + "->" + "".join(out_term), *tensors)
    return grad_like(result, shape, dtype)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Sum of products of ``operands`` over the subscripts ``equation`` names, e.g.
    ``einsum('bij,bjk->bik', a, b)``; operands may also be passed as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: expected the equation as a str, got {type(equation).__name__}")
    for k, operand in enumerate(operands):
        if not isinstance(operand, Tensor):
            raise TypeError(f"einsum: operand {k} is a {type(operand).__name__}, not a Tensor")
        if operand.device is not operands[0].device:
            raise RuntimeError(
                f"einsum: expected all operands on one device, got {operands[0].device} and "
                f"{operand.device} (operand {k})"
            )
    spec = _parse(equation, tuple(tuple(o.shape) for o in operands))
    return Einsum.apply(spec, *operands)
