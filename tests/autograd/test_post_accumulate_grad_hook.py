"""Tensor.register_post_accumulate_grad_hook and engine.queue_callback (what
DistributedDataParallel builds on)."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.autograd import Function, engine


def test_hook_sees_the_accumulated_grad_each_time() -> None:
    w = gk.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    (w * 3).sum().backward()
    (w * 2).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(seen[1], [5.0, 5.0])  # after accumulation, not before


def test_hook_runs_after_gradient_hooks_and_sees_their_change() -> None:
    w = gk.tensor([1.0], requires_grad=True)
    order = []
    w.register_post_accumulate_grad_hook(lambda t: order.append(("post", t.grad.item())))
    w.register_hook(lambda g: order.append(("pre", g.item())) or g * 10)
    (w * 2).sum().backward()
    assert order == [("pre", 2.0), ("post", 20.0)]


def test_handle_removes_the_hook_and_bad_targets_raise() -> None:
    w = gk.ones(2, requires_grad=True)
    calls = []
    handle = w.register_post_accumulate_grad_hook(calls.append)
    handle.remove()
    w.sum().backward()
    assert calls == []
    with pytest.raises(RuntimeError, match="register_post_accumulate_grad_hook"):
        gk.ones(2).register_post_accumulate_grad_hook(calls.append)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(calls.append)


def test_autograd_grad_does_not_accumulate_so_runs_no_hook() -> None:
    w = gk.ones(2, requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(calls.append)
    gk.autograd.grad((w * w).sum(), [w])
    assert calls == [] and w.grad is None


def test_queued_callback_runs_once_after_the_whole_pass() -> None:
    a = gk.ones(2, requires_grad=True)
    b = gk.ones(2, requires_grad=True)
    order = []

    def hook(t):
        order.append("hook")
        if order.count("hook") == 1:
            engine.queue_callback(
                lambda: order.append(("end", a.grad is not None, b.grad is not None))
            )

    a.register_post_accumulate_grad_hook(hook)
    b.register_post_accumulate_grad_hook(hook)
    (a * b).sum().backward()
    assert order == ["hook", "hook", ("end", True, True)]
    order.clear()
    (a + b).sum().backward()  # a new pass queues anew
    assert order == ["hook", "hook", ("end", True, True)]


def test_callbacks_are_dropped_when_backward_raises() -> None:
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return gk.Tensor._make(x.data.copy(), x.device)

        @staticmethod
        def backward(ctx, grad):
            raise RuntimeError("boom")

    x = gk.ones(2, requires_grad=True)
    w = gk.ones(2, requires_grad=True)
    ran = []
    w.register_post_accumulate_grad_hook(lambda t: engine.queue_callback(lambda: ran.append(1)))
    with pytest.raises(RuntimeError, match="boom"):
        (Boom.apply(x) * w).sum().backward()
    assert ran == []
    (x * w).sum().backward()
    assert ran == [1]  # only the new pass's callback


def test_callback_queued_in_a_nested_backward_waits_for_the_outer_pass() -> None:
    inner = gk.ones(1, requires_grad=True)
    outer = gk.ones(1, requires_grad=True)
    order = []

    def outer_hook(t):
        engine.queue_callback(lambda: order.append("outer callback"))
        (inner * 2).sum().backward()  # a backward inside a backward
        order.append("inner backward returned")

    outer.register_post_accumulate_grad_hook(outer_hook)
    outer.sum().backward()
    assert order == ["inner backward returned", "outer callback"]
