"""einsum: values and gradients against PyTorch, finite differences, parsing errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

EQUATIONS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,i", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(2, 3)]),
    ("ba", [(2, 3)]),  # implicit output sorts the subscripts: a transpose
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),  # diagonal
    ("ii", [(3, 3)]),  # trace
    ("iji->j", [(3, 2, 3)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,ij->ij", [(2, 1), (2, 3)]),  # a size-1 dim broadcasts
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...ij,...jk", [(5, 2, 3), (1, 3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("ijk,jk", [(2, 3, 4), (3, 4)]),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("Ab,bC->CA", [(2, 3), (3, 4)]),
]

TOLERANCES = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-10}}


def _arrays(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("equation,shapes", EQUATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_einsum_matches_torch(equation, shapes, dtype, device):
    arrays = [a.astype(dtype) for a in _arrays(shapes)]
    ours = [gk.tensor(a, device=device, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = gk.einsum(equation, *ours)
    expected = torch.einsum(equation, *theirs)
    upstream = np.random.default_rng(1).standard_normal(expected.shape).astype(dtype)
    out.backward(gk.tensor(upstream, device=device))
    expected.backward(torch.tensor(upstream))
    tol = TOLERANCES[dtype]
    assert out.dtype == np.dtype(dtype)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), **tol)
    for mine, reference in zip(ours, theirs):
        assert mine.grad.dtype == np.dtype(dtype) and mine.grad.shape == mine.shape
        np.testing.assert_allclose(np.asarray(mine.grad), reference.grad.numpy(), **tol)


@pytest.mark.parametrize("equation,shapes", EQUATIONS)
def test_einsum_gradcheck_and_gradgradcheck(equation, shapes):
    inputs = tuple(gk.tensor(a, requires_grad=True) for a in _arrays(shapes, seed=2))

    def fn(*operands):
        return gk.einsum(equation, *operands)

    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_einsum_accepts_a_list_of_operands_and_spaces():
    a, b = (gk.tensor(x) for x in _arrays([(2, 3), (3, 4)]))
    expected = np.asarray(a) @ np.asarray(b)
    np.testing.assert_allclose(np.asarray(gk.einsum("ij, jk -> ik", [a, b])), expected)


def test_einsum_diagonal_owns_its_memory():
    x = gk.tensor(np.arange(9.0).reshape(3, 3))
    diagonal = gk.einsum("ii->i", x)
    diagonal.data[0] = 100.0
    assert np.asarray(x)[0, 0] == 0.0


def test_einsum_of_integers_matches_numpy():
    a = gk.tensor([[1, 2], [3, 4]], dtype=gk.int64)
    out = gk.einsum("ij,jk->ik", a, a)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(np.asarray(out), [[7, 10], [15, 22]])


@pytest.mark.parametrize(
    "equation,shapes,fragment",
    [
        ("ij,jk->ik", [(2, 3)], "subscripts for 2 operand"),
        ("ij->ij", [(2, 3), (3, 4)], "subscripts for 1 operand"),
        ("ij,jk->ik", [(2, 3, 1), (3, 4)], "operand 0 has 3 dims"),
        ("ijk...->i", [(2, 3)], "operand 0 has 2 dims"),
        ("ij,jk->ik", [(2, 3), (4, 4)], "size 4 where another operand has 3"),
        ("ii->i", [(2, 3)], "repeats in operand 0"),
        ("ij->iz", [(2, 3)], "'z' .* does not appear"),
        ("ij->ii", [(2, 3)], "appears twice"),
        ("i1->i", [(2, 3)], "invalid subscript '1'"),
        ("ij->i->j", [(2, 3)], "at most one '->'"),
    ],
)
def test_einsum_errors_name_the_op(equation, shapes, fragment):
    operands = [gk.zeros(s, requires_grad=True) for s in shapes]
    with pytest.raises(ValueError, match=f"einsum: .*{fragment}"):
        gk.einsum(equation, *operands)
    assert all(o.grad is None for o in operands)


def test_einsum_rejects_non_tensor_operands():
    with pytest.raises(TypeError, match="einsum: operand 1"):
        gk.einsum("i,i->", gk.ones(3), np.ones(3))


@pytest.mark.parametrize("equation,shapes", EQUATIONS)
def test_forward_mode_tangent_matches_torch_jvp(equation, shapes):
    from gradkit.autograd import forward_ad

    primals = _arrays(shapes, seed=3)
    directions = _arrays(shapes, seed=4)
    with forward_ad.dual_level():
        duals = [
            forward_ad.make_dual(gk.tensor(p), gk.tensor(d)) for p, d in zip(primals, directions)
        ]
        tangent = forward_ad.unpack_dual(gk.einsum(equation, *duals)).tangent
    _, expected = torch.func.jvp(
        lambda *ops: torch.einsum(equation, *ops),
        tuple(torch.tensor(p) for p in primals),
        tuple(torch.tensor(d) for d in directions),
    )
    np.testing.assert_allclose(np.asarray(tangent), expected.numpy(), rtol=1e-10, atol=1e-12)
