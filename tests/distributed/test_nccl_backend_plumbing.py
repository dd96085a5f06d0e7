"""The NCCL communicator's calls into CuPy's NCCL binding, checked on this CPU machine with
stand-in modules (the real thing runs in test_nccl.py where a GPU is lent): pointers,
element counts, NCCL types and ops, the stream, the rendezvous over MPI and the teardown."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from gradkit.distributed.communicator import DistributedTimeoutError


class DeviceArray(np.ndarray):
    """A NumPy array posing as a CuPy one: ``.data.ptr`` is its address."""

    @property
    def data(self):  # CuPy's MemoryPointer stand-in
        return types.SimpleNamespace(ptr=self.ctypes.data)


def device_array(values, dtype=np.float32) -> DeviceArray:
    return np.ascontiguousarray(np.asarray(values, dtype=dtype)).view(DeviceArray)


class FakeNcclCommunicator:
    instances: list = []

    def __init__(self, world_size, unique_id, rank):
        self.init = (world_size, unique_id, rank)
        self.calls: list = []
        FakeNcclCommunicator.instances.append(self)

    def allReduce(self, send, recv, count, datatype, op, stream):
        self.calls.append(("allReduce", send, recv, count, datatype, op, stream))

    def bcast(self, buff, count, datatype, root, stream):
        self.calls.append(("bcast", buff, count, datatype, root, stream))

    def allGather(self, send, recv, count, datatype, stream):
        self.calls.append(("allGather", send, recv, count, datatype, stream))

    def abort(self):
        self.calls.append(("abort",))

    def destroy(self):
        self.calls.append(("destroy",))


class FakeEvent:
    done = True

    def __init__(self, disable_timing=False):
        self.recorded_on = None

    def record(self, stream):
        self.recorded_on = stream


class FakeStream:
    def __init__(self, ptr: int, log: list) -> None:
        self.ptr, self.log = ptr, log

    def wait_event(self, event) -> None:
        self.log.append(("wait_event", self.ptr, event))

    def __enter__(self):
        self.log.append(("enter", self.ptr))
        return self

    def __exit__(self, *exc) -> None:
        self.log.append(("exit", self.ptr))


class FakeMpiComm:
    def __init__(self, rank=0, size=2):
        self.rank, self.size, self.aborted = rank, size, None

    def Get_rank(self):
        return self.rank

    def Get_size(self):
        return self.size

    def Split_type(self, kind, key=0):
        return types.SimpleNamespace(Get_rank=lambda: self.rank, Free=lambda: None)

    def bcast(self, value, root=0):
        return value if self.rank == root else ("id-from-rank", root)

    def Abort(self, code):
        self.aborted = code


@pytest.fixture
def fake_cupy(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    nccl = types.ModuleType("cupy.cuda.nccl")
    for i, name in enumerate(
        ["NCCL_SUM", "NCCL_PROD", "NCCL_MAX", "NCCL_MIN", "NCCL_AVG"]
        + ["NCCL_INT8", "NCCL_UINT8", "NCCL_INT32", "NCCL_INT64"]
        + ["NCCL_FLOAT16", "NCCL_FLOAT32", "NCCL_FLOAT64"]
    ):
        setattr(nccl, name, 100 + i)
    nccl.get_unique_id = lambda: ("unique", 42)
    nccl.NcclCommunicator = FakeNcclCommunicator
    used, stream_log = [], []
    current = FakeStream(777, stream_log)
    cuda = types.ModuleType("cupy.cuda")
    cuda.nccl = nccl
    cuda.get_current_stream = lambda: current
    cuda.Stream = lambda non_blocking=False: FakeStream(888, stream_log)
    cuda.Event = FakeEvent
    cuda.runtime = types.SimpleNamespace(getDeviceCount=lambda: 4)
    cuda.Device = lambda index: types.SimpleNamespace(use=lambda: used.append(index))
    cupy = types.ModuleType("cupy")
    cupy.cuda = cuda
    cupy.ndarray = DeviceArray
    cupy.zeros = lambda n, dtype: device_array(np.zeros(n), dtype)
    cupy.asnumpy = np.asarray
    for name, module in {"cupy": cupy, "cupy.cuda": cuda, "cupy.cuda.nccl": nccl}.items():
        monkeypatch.setitem(sys.modules, name, module)
    FakeNcclCommunicator.instances.clear()
    from gradkit.distributed import nccl_backend

    monkeypatch.setattr(nccl_backend, "import_mpi", nccl_backend.import_mpi)
    return types.SimpleNamespace(
        nccl=nccl, current=current, comm_stream_ptr=888, stream_log=stream_log, devices_used=used
    )


def make(rank: int = 0):
    from gradkit.distributed import nccl_backend

    # No real MPI in the test process: MPI_Init here would leak into the mpirun jobs it starts.
    fake_mpi = types.SimpleNamespace(COMM_TYPE_SHARED=1)
    nccl_backend.import_mpi = lambda: fake_mpi  # restored by the fixture
    return nccl_backend.NCCLCommunicator(FakeMpiComm(rank=rank), timeout=1.0)


def test_rendezvous_picks_the_local_gpu_and_shares_rank0s_id(fake_cupy) -> None:
    group = make(rank=1)
    assert group.rank == 1 and group.world_size == 2 and group.local_rank == 1
    assert fake_cupy.devices_used == [1]
    assert FakeNcclCommunicator.instances[0].init == (2, ("id-from-rank", 0), 1)
    make(rank=0)
    assert FakeNcclCommunicator.instances[1].init == (2, ("unique", 42), 0)


@pytest.mark.parametrize("op", ["sum", "avg", "max", "min"])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
def test_all_reduce_passes_pointer_count_type_op_and_stream(fake_cupy, op, dtype) -> None:
    group = make()
    array = device_array(np.arange(6).reshape(2, 3), dtype)
    group.all_reduce(array, op).wait()
    nccl = fake_cupy.nccl
    types_ = {
        np.float16: nccl.NCCL_FLOAT16,
        np.float32: nccl.NCCL_FLOAT32,
        np.float64: nccl.NCCL_FLOAT64,
        np.int64: nccl.NCCL_INT64,
    }
    ops = {"sum": nccl.NCCL_SUM, "avg": nccl.NCCL_AVG, "max": nccl.NCCL_MAX, "min": nccl.NCCL_MIN}
    (call,) = FakeNcclCommunicator.instances[-1].calls
    ptr = array.ctypes.data
    assert call == ("allReduce", ptr, ptr, 6, types_[dtype], ops[op], fake_cupy.comm_stream_ptr)


def test_collectives_run_on_their_own_stream_ordered_both_ways(fake_cupy) -> None:
    group = make()
    fake_cupy.stream_log.clear()
    work = group.all_reduce(device_array([1.0]), "sum")
    # The collectives' stream first waits for an event recorded on the current stream ...
    ((kind, waiter, ready),) = fake_cupy.stream_log
    assert (kind, waiter) == ("wait_event", fake_cupy.comm_stream_ptr)
    assert ready.recorded_on is fake_cupy.current
    # ... and wait() makes the current stream wait for the end event on the collectives' one.
    work.wait()
    kind, waiter, done = fake_cupy.stream_log[-1]
    assert (kind, waiter) == ("wait_event", fake_cupy.current.ptr)
    assert done.recorded_on.ptr == fake_cupy.comm_stream_ptr


def test_avg_without_native_support_sums_then_scales(fake_cupy) -> None:
    del fake_cupy.nccl.NCCL_AVG
    group = make()
    array = device_array([2.0, 4.0])
    fake_cupy.stream_log.clear()
    group.all_reduce(array, "avg")
    assert FakeNcclCommunicator.instances[-1].calls[0][5] == fake_cupy.nccl.NCCL_SUM
    assert ("enter", fake_cupy.comm_stream_ptr) in fake_cupy.stream_log  # scaled there
    np.testing.assert_array_equal(array, [1.0, 2.0])  # the fake sum is the identity


def test_broadcast_all_gather_barrier_and_teardown(fake_cupy) -> None:
    group = make()
    nccl = fake_cupy.nccl
    array = device_array([1.0, 2.0, 3.0])
    group.broadcast(array, 1)
    out = device_array(np.zeros((2, 3)))
    group.all_gather(out, array)
    group.barrier()
    calls = FakeNcclCommunicator.instances[-1].calls
    stream = fake_cupy.comm_stream_ptr
    assert calls[0] == ("bcast", array.ctypes.data, 3, nccl.NCCL_FLOAT32, 1, stream)
    assert calls[1] == (
        "allGather",
        array.ctypes.data,
        out.ctypes.data,
        3,
        nccl.NCCL_FLOAT32,
        stream,
    )
    assert calls[2][0] == "allReduce" and calls[2][3] == 1  # the barrier's one-element sum
    group.close()
    assert calls[-1] == ("destroy",)


def test_rejects_host_arrays_wrong_outputs_and_times_out(fake_cupy, monkeypatch) -> None:
    group = make()
    with pytest.raises(TypeError, match="nccl backend works on CUDA tensors"):
        group.all_reduce(np.ones(2, dtype=np.float32), "sum")
    with pytest.raises(ValueError, match="output buffer of 4"):
        group.all_gather(device_array(np.zeros(3)), device_array([1.0, 2.0]))
    monkeypatch.setattr(FakeEvent, "done", False)
    with pytest.raises(DistributedTimeoutError, match="barrier|all_reduce"):
        group.barrier()
    assert FakeNcclCommunicator.instances[-1].calls[-1] == ("abort",)
