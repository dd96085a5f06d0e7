"""DistributedDataParallel's bucketing and hook logic, in one process, against a recording
stand-in for the communicator (the real multi-process runs are in tests/distributed)."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.autograd import Function
from gradkit.distributed import process_group
from gradkit.distributed.communicator import Communicator, Work
from gradkit.nn.parallel import DistributedDataParallel
from gradkit.nn.parallel.reducer import GradientReducer


class _Pending(Work):
    def __init__(self, log: list, index: int) -> None:
        self.log, self.index, self.done = log, index, False

    def is_completed(self) -> bool:
        return self.done

    def wait(self) -> None:
        if not self.done:
            self.done = True
            self.log.append(("wait", self.index))


class EchoCommunicator(Communicator):
    """Every peer holds the same values as this process: a sum over ``world_size`` ranks is
    ``world_size`` times the local buffer. Records every call in ``log``."""

    backend, device_type, rank, local_rank, timeout = "fake", "cpu", 0, 0, 5.0

    def __init__(self, world_size: int = 2) -> None:
        self.world_size = world_size
        self.log: list = []
        self.reduced: list[np.ndarray] = []

    def all_reduce(self, array, op):
        assert op == "sum"
        self.reduced.append(array.copy())
        array *= self.world_size
        self.log.append(("all_reduce", len(self.reduced) - 1, array.size))
        return _Pending(self.log, len(self.reduced) - 1)

    def host_all_reduce(self, array, op):
        return self.all_reduce(array, op)

    def broadcast(self, array, src):
        self.log.append(("broadcast", array.size))
        work = _Pending(self.log, -1)
        work.done = True
        return work

    def all_gather(self, out, array):
        out[...] = array
        work = _Pending(self.log, -1)
        work.done = True
        return work

    def barrier(self):
        pass

    def abort(self, code=1):
        raise AssertionError("abort")

    def close(self):
        pass


@pytest.fixture
def echo(monkeypatch: pytest.MonkeyPatch) -> EchoCommunicator:
    communicator = EchoCommunicator()
    monkeypatch.setattr(process_group, "_group", communicator)
    return communicator


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))


def reference_grads(model: nn.Module, x: gk.Tensor) -> list[np.ndarray]:
    model.zero_grad()
    model(x).square().sum().backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    return grads


class Recorder(Function):
    """Identity that logs when its backward runs (marks "the start of the network")."""

    @staticmethod
    def forward(ctx, x, log):
        ctx.log = log
        return gk.Tensor._make(x.data.copy(), x.device)

    @staticmethod
    def backward(ctx, grad):
        ctx.log.append(("input_backward",))
        return grad, None


@pytest.mark.parametrize("cap_mb", [1e-4, 3e-4, 25])
def test_buckets_hold_every_parameter_once_in_reverse_order(cap_mb: float) -> None:
    model = mlp()
    params = list(model.parameters())
    reducer = GradientReducer(params, EchoCommunicator(), int(cap_mb * 2**20))
    packed = [p for bucket in reducer.buckets for p in bucket.params]
    assert [id(p) for p in packed] == [id(p) for p in reversed(params)]
    cap = int(cap_mb * 2**20)
    for bucket in reducer.buckets:
        assert bucket.buffer.nbytes <= cap or len(bucket.params) == 1
        assert bucket.buffer.dtype == np.float32
    if cap_mb == 25:
        assert len(reducer.buckets) == 1
    else:
        assert len(reducer.buckets) >= 2
    reducer.remove_hooks()


def test_averaged_gradients_match_local_ones_when_every_rank_agrees(echo) -> None:
    gk.manual_seed(1)
    model = mlp()
    x = gk.randn(5, 6)
    expected = reference_grads(model, x)
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-4)
    ddp(x).square().sum().backward()
    for p, want in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6)
        assert p.grad.dtype == np.float32
    # Pre-divided by the world size before the sum.
    first = echo.reduced[0]
    last_bias = list(model.parameters())[-1]
    np.testing.assert_allclose(first[-last_bias.data.size :], expected[-1] / 2, rtol=1e-6)


def test_buckets_start_during_backward_in_order_and_are_waited_at_the_end(echo) -> None:
    model = mlp()
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-4)
    echo.log.clear()
    log = echo.log
    ddp(Recorder.apply(gk.randn(4, 6, requires_grad=True), log)).sum().backward()
    kinds = [entry[0] for entry in log]
    started = [entry[1] for entry in log if entry[0] == "all_reduce"]
    assert started == list(range(len(ddp.bucket_sizes)))
    input_backward = kinds.index("input_backward")
    assert kinds[:input_backward].count("all_reduce") == len(started)  # all overlap
    assert "wait" not in kinds[:input_backward]
    assert kinds.count("wait") == len(started)
    assert sum(ddp.bucket_sizes) == sum(p.data.size for p in model.parameters())


def test_parameter_used_twice_is_reduced_with_its_full_gradient(echo) -> None:
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.square = nn.Linear(4, 4)
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            return self.head(self.square(self.square(x).tanh()))

    model = Twice()
    x = gk.randn(3, 4)
    expected = reference_grads(model, x)
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-5)
    ddp(x).square().sum().backward()
    for p, want in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6)


def test_no_sync_accumulates_locally_then_one_reduction(echo) -> None:
    model = mlp()
    x1, x2 = gk.randn(2, 6), gk.randn(3, 6)
    model(x1).sum().backward()
    model(x2).sum().backward()
    expected = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    ddp = DistributedDataParallel(model)
    echo.log.clear()
    with ddp.no_sync():
        assert not ddp.require_backward_grad_sync
        ddp(x1).sum().backward()
    assert ddp.require_backward_grad_sync
    assert not [e for e in echo.log if e[0] == "all_reduce"]
    ddp(x2).sum().backward()
    assert len([e for e in echo.log if e[0] == "all_reduce"]) == len(ddp.bucket_sizes)
    for p, want in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6)


def test_unused_parameter_gets_a_zero_gradient_and_buckets_still_complete(echo) -> None:
    class WithUnused(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used = nn.Linear(3, 2)
            self.unused = nn.Linear(3, 2)

        def forward(self, x):
            return self.used(x)

    model = WithUnused()
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-5)
    ddp(gk.randn(2, 3)).sum().backward()
    assert np.all(model.unused.weight.grad.numpy() == 0)
    assert np.any(model.used.weight.grad.numpy() != 0)


def test_a_failed_backward_leaves_no_pass_half_done(echo) -> None:
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return gk.Tensor._make(x.data.copy(), x.device)

        @staticmethod
        def backward(ctx, grad):
            raise RuntimeError("boom")

    model = mlp()
    ddp = DistributedDataParallel(model, bucket_cap_mb=1e-4)
    with pytest.raises(RuntimeError, match="boom"):
        # The head's gradients arrive (and its bucket starts) before Boom raises.
        ddp(Boom.apply(gk.randn(2, 6, requires_grad=True))).sum().backward()
    assert ddp._reducer._in_backward
    x = gk.randn(2, 6)
    expected = reference_grads(model, x)
    ddp(x).square().sum().backward()  # forward abandoned the broken pass first
    for p, want in zip(model.parameters(), expected):
        np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-6)


def test_wrapper_delegates_and_broadcasts_state_from_rank0(echo) -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    ddp = DistributedDataParallel(model)
    broadcast_sizes = [e[1] for e in echo.log if e[0] == "broadcast"]
    tensors = list(model.parameters()) + list(model.buffers())
    assert sorted(broadcast_sizes) == sorted(t.data.size for t in tensors)
    assert ddp.module is model
    x = gk.randn(5, 3)
    model.eval()
    np.testing.assert_array_equal(ddp(x).numpy(), model(x).numpy())
    assert all(k.startswith("module.") for k in ddp.state_dict())


def test_bad_arguments(echo) -> None:
    with pytest.raises(TypeError, match="DistributedDataParallel"):
        DistributedDataParallel(lambda x: x)
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        DistributedDataParallel(mlp(), bucket_cap_mb=0)


def test_needs_a_process_group() -> None:
    assert not gk.distributed.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedDataParallel(mlp())


def test_dropping_the_wrapper_leaves_a_model_that_does_not_communicate(echo) -> None:
    import gc

    model = mlp()
    ddp = DistributedDataParallel(model)
    del ddp
    gc.collect()
    echo.log.clear()
    model(gk.randn(2, 6)).sum().backward()
    assert echo.log == []


def test_buckets_never_mix_dtypes_and_a_big_parameter_gets_its_own() -> None:
    small32 = nn.Parameter(gk.zeros(4))
    big32 = nn.Parameter(gk.zeros(1000))
    small64 = nn.Parameter(gk.zeros(4, dtype=gk.float64))
    other32 = nn.Parameter(gk.zeros(4))
    reducer = GradientReducer([small32, big32, small64, other32], EchoCommunicator(), 64)
    groups = [[id(p) for p in bucket.params] for bucket in reducer.buckets]
    assert [id(big32)] in groups
    for bucket in reducer.buckets:
        assert {p.dtype for p in bucket.params} == {bucket.buffer.dtype}
    assert sorted(id(p) for g in reducer.buckets for p in g.params) == sorted(
        id(p) for p in (small32, big32, small64, other32)
    )
    reducer.remove_hooks()
