"""gk.save/gk.load: round trips, safetensors/PyTorch interop, hostile files, atomic saves."""

from __future__ import annotations

import json
import math
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def test_nested_round_trip_keeps_types_and_dtypes(tmp_path):
    obj = {
        "model": {"w": gk.randn(3, 2), "b": gk.zeros(2, dtype=gk.float64)},
        "ints": gk.arange(5),
        "half": gk.ones(2, dtype=gk.float16),
        "mask": gk.tensor([True, False]),
        "scalar": gk.tensor(2.5),
        "state": {0: {"step": 3}, 1: {"step": 4}},
        "groups": [{"betas": (0.9, 0.999), "params": [0, 1], "name": None}],
        "epoch": 7,
        "loss": 0.125,
        "best": math.inf,
        "nan": math.nan,
        "flag": True,
        "tag": "run-1",
        "array": np.arange(3, dtype=np.int32),
    }
    gk.save(obj, tmp_path / "ck.gk")
    back = gk.load(tmp_path / "ck.gk")
    assert back["state"] == {0: {"step": 3}, 1: {"step": 4}}
    assert back["groups"] == [{"betas": (0.9, 0.999), "params": [0, 1], "name": None}]
    assert isinstance(back["groups"][0]["betas"], tuple)
    assert (back["epoch"], back["loss"], back["best"], back["flag"], back["tag"]) == (
        7,
        0.125,
        math.inf,
        True,
        "run-1",
    )
    assert math.isnan(back["nan"]) and type(back["epoch"]) is int
    for key in ("ints", "half", "mask", "scalar"):
        assert back[key].dtype == obj[key].dtype and back[key].shape == obj[key].shape
        np.testing.assert_array_equal(back[key].numpy(), obj[key].numpy())
    assert back["model"]["b"].dtype == gk.float64
    assert back["array"].dtype == gk.int32


def test_rng_state_round_trip_restores_the_stream(tmp_path):
    gk.manual_seed(42)
    gk.randn(3)
    gk.save({"rng": gk.get_rng_state()}, tmp_path / "rng.gk")
    expected = gk.randn(4).numpy()
    gk.set_rng_state(gk.load(tmp_path / "rng.gk")["rng"])
    np.testing.assert_array_equal(gk.randn(4).numpy(), expected)


def test_state_dict_is_a_plain_safetensors_file(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Identity())
    model.register_parameter("w", nn.Parameter(gk.randn(2, 3)))
    model.register_buffer("count", gk.tensor([3]))
    gk.save(model.state_dict(), tmp_path / "m.safetensors")
    plain = safetensors_numpy.load_file(str(tmp_path / "m.safetensors"))
    assert set(plain) == {"w", "count"}
    np.testing.assert_array_equal(plain["w"], model.w.numpy())
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file

    loaded = load_file(str(tmp_path / "m.safetensors"))
    assert set(loaded) == {"w", "count"} and loaded["w"].dtype == torch.float32


def test_pytorch_state_dict_loads_into_the_same_architecture(tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    class Linear(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = nn.Parameter(gk.zeros(n_out, n_in))
            self.bias = nn.Parameter(gk.zeros(n_out))

        def forward(self, x):
            return (x.reshape(x.shape[0], 1, x.shape[1]) * self.weight).sum(-1) + self.bias

    reference = torch.nn.Sequential(
        torch.nn.Linear(4, 3), torch.nn.Identity(), torch.nn.Linear(3, 2)
    )
    save_file(reference.state_dict(), str(tmp_path / "torch.safetensors"))
    model = nn.Sequential(Linear(4, 3), nn.Identity(), Linear(3, 2))
    model.load_state_dict(gk.load(tmp_path / "torch.safetensors"))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = reference(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(model(gk.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_map_location_and_unsupported_objects(tmp_path):
    gk.save({"w": gk.ones(2)}, tmp_path / "a.gk")
    assert gk.load(tmp_path / "a.gk", map_location="cpu")["w"].device == gk.device("cpu")
    with pytest.raises(TypeError, match="can't store a object at x"):
        gk.save({"x": object()}, tmp_path / "b.gk")
    assert not (tmp_path / "b.gk").exists()


def _write_raw(path, header: dict, body: bytes) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + body)


def test_hostile_and_corrupt_files_raise_value_errors_naming_the_file(tmp_path):
    good = tmp_path / "good.gk"
    gk.save({"w": gk.randn(100), "epoch": 1}, good)
    data = good.read_bytes()
    cases = {
        "truncated.gk": data[: len(data) // 2],
        "empty.gk": b"",
        "garbage.gk": os.urandom(64),
        "pickle.gk": b"\x80\x04\x95" + b"cos\nsystem\n(S'echo hacked'\ntR." * 3,
        "huge_header.gk": struct.pack("<Q", 2**62) + b"{}",
    }
    for name, payload in cases.items():
        (tmp_path / name).write_bytes(payload)
    meta = {"gradkit.format": "1"}
    bad_structures = {
        "missing_tensor.gk": {"tensor": "nope"},
        "unknown_tag.gk": {"__reduce__": ["os.system", "echo hacked"]},
        "bad_json.gk": "{not json",
        "deep.gk": "[" * 100000 + "]" * 100000,
    }
    for name, structure in bad_structures.items():
        text = structure if isinstance(structure, str) else json.dumps(structure)
        _write_raw(tmp_path / name, {"__metadata__": {**meta, "gradkit.structure": text}}, b"")
    _write_raw(
        tmp_path / "overlap.gk",
        {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 64]}},
        b"\0" * 16,
    )
    for name in [*cases, *bad_structures, "overlap.gk"]:
        with pytest.raises(ValueError, match=name.replace(".", r"\.")):
            gk.load(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        gk.load(tmp_path / "absent.gk")


SAVER = textwrap.dedent("""
    import sys
    import gradkit as gk
    path = sys.argv[1]
    i = 0
    big = gk.zeros(4_000_000)
    while True:
        i += 1
        big.data[:] = i
        gk.save({"i": i, "big": big, "tail": gk.full((3,), float(i))}, path)
        print(i, flush=True)
""")


def test_a_process_killed_mid_save_leaves_a_complete_checkpoint(tmp_path):
    path = tmp_path / "ck.gk"
    gk.save({"i": 0, "big": gk.zeros(4_000_000), "tail": gk.zeros(3)}, path)
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    for delay in (0.4, 0.9):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        proc.stdout.readline()  # at least one save completed
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        loaded = gk.load(path)
        i = loaded["i"]
        assert np.all(loaded["big"].numpy() == i) and np.all(loaded["tail"].numpy() == i)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # a killed writer may leave its temporary file behind, never a damaged checkpoint
    assert len(leftovers) <= 2
