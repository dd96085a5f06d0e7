"""The model zoo builds for 1- and 3-channel images and gives one score per class."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.training.models import build_model


@pytest.mark.parametrize("name", ["mlp", "cnn", "lenet"])
@pytest.mark.parametrize("image_shape", [(1, 28, 28), (3, 32, 32)])
def test_output_shape_dtype_and_gradients(name, image_shape):
    gk.manual_seed(0)
    model = build_model(name, image_shape, num_classes=10)
    images = gk.randn(2, *image_shape)
    scores = model(images)
    assert scores.shape == (2, 10) and scores.dtype == gk.float32
    scores.sum().backward()
    for parameter_name, parameter in model.named_parameters():
        assert parameter.grad is not None, parameter_name
        assert parameter.grad.dtype == gk.float32, parameter_name


def test_same_seed_same_weights():
    weights = []
    for _ in range(2):
        gk.manual_seed(5)
        model = build_model("cnn", (1, 28, 28))
        weights.append([p.numpy().copy() for p in model.parameters()])
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


def test_dropout_override_and_eval_mode_is_deterministic():
    gk.manual_seed(0)
    model = build_model("mlp", (1, 28, 28), dropout=0.5).eval()
    images = gk.randn(3, 1, 28, 28)
    assert np.array_equal(model(images).numpy(), model(images).numpy())


@pytest.mark.parametrize(
    ("name", "shape", "message"),
    [("vgg", (1, 28, 28), "unknown model 'vgg'"), ("mlp", (28, 28), "image_shape")],
)
def test_bad_requests(name, shape, message):
    with pytest.raises(ValueError, match=message):
        build_model(name, shape)
