"""The launch seam: argument discipline and launch geometry."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cuda.launch import elementwise_geometry, launch


class RecordingRuntime:
    xp = np
    max_grid_blocks = 4

    def __init__(self):
        self.launches = []

    def launch_kernel(self, file, name_expression, grid, block, args, shared_mem):
        self.launches.append((file, name_expression, grid, block, args, shared_mem))


def test_launch_normalises_dimensions_and_forwards_everything():
    runtime = RecordingRuntime()
    x = np.zeros(3, np.float32)
    launch(runtime, "k.cu", "k<float>", 5, (32, 2), (x, np.int64(3)), shared_mem=128)
    assert runtime.launches == [("k.cu", "k<float>", (5, 1, 1), (32, 2, 1), (x, np.int64(3)), 128)]


@pytest.mark.parametrize("scalar", [3, 2.5, True])
def test_python_scalars_are_rejected_with_the_kernel_name(scalar):
    with pytest.raises(TypeError, match=r"k<float> \(k\.cu\): argument 1 is a Python"):
        launch(RecordingRuntime(), "k.cu", "k<float>", 1, 32, (np.zeros(1), scalar))


@pytest.mark.parametrize("grid", [0, (1, 0), (1, 1, 1, 1), ()])
def test_bad_dimensions_are_rejected(grid):
    with pytest.raises(ValueError, match="grid must be 1 to 3 positive sizes"):
        launch(RecordingRuntime(), "k.cu", "k", grid, 32, ())


@pytest.mark.parametrize(("n", "blocks"), [(1, 1), (256, 1), (257, 2), (4 * 256, 4), (10**9, 4)])
def test_elementwise_geometry_caps_the_grid(n, blocks):
    grid, block = elementwise_geometry(RecordingRuntime(), n)
    assert grid == (blocks, 1, 1)
    assert block == (256, 1, 1)
