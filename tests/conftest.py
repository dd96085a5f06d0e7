"""Fixtures shared by every test: the device parameter, a fixed seed, hypothesis settings."""

from __future__ import annotations

import pytest
from hypothesis import settings

import gradkit as gk

settings.register_profile("gradkit", deadline=None, max_examples=40)
settings.load_profile("gradkit")


def _cuda_param() -> object:
    return pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(not gk.cuda.is_available(), reason="no usable GPU (CuPy/CUDA)"),
        ],
    )


@pytest.fixture(params=["cpu", _cuda_param()])
def device(request: pytest.FixtureRequest) -> str:
    """Each test that takes ``device`` runs on the CPU and, where one is usable, on the GPU."""
    return request.param


@pytest.fixture(autouse=True)
def seed() -> None:
    """Every test starts from the same random state, so failures reproduce."""
    gk.manual_seed(0)
