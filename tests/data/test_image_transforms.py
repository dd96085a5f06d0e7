"""Transforms on one image and on batches: values, seeding and errors."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.data import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToFloat
from gradkit.data.transforms import supports_batches


def test_to_float_scales_uint8_to_unit_range():
    image = np.array([[[0, 51, 255]]], dtype=np.uint8)
    result = ToFloat()(image)
    assert result.dtype == np.float32
    np.testing.assert_array_equal(result, np.float32([[[0.0, 0.2, 1.0]]]))
    assert ToFloat().apply_batch(image[None]).shape == (1, 1, 1, 3)
    with pytest.raises(TypeError, match="uint8 or floating"):
        ToFloat()(np.zeros((2, 2), np.int32))


def test_normalize_matches_a_hand_computation_per_channel():
    image = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    mean, std = (1.0, 5.0, 9.0), (2.0, 4.0, 0.5)
    result = Normalize(mean, std)(image)
    expected = np.stack([(image[c] - mean[c]) / std[c] for c in range(3)])
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    batch = np.stack([image, image * 2])
    np.testing.assert_allclose(
        Normalize(mean, std).apply_batch(batch)[1], Normalize(mean, std)(image * 2), rtol=1e-6
    )


def test_normalize_with_one_value_applies_to_every_channel_and_to_grayscale():
    image = np.full((2, 3, 3), 0.5, dtype=np.float32)
    np.testing.assert_allclose(Normalize(0.25, 0.5)(image), 0.5)
    np.testing.assert_allclose(Normalize([0.25], [0.5])(image[0]), 0.5)


@pytest.mark.parametrize(
    ("make", "image", "error", "message"),
    [
        (lambda: Normalize((0.5, 0.5), (1.0, 1.0)), np.zeros((3, 2, 2), np.float32), ValueError,
         "2 means/stds for an image with 3 channels"),
        (lambda: Normalize(0.5, 0.5), np.zeros((1, 2, 2), np.uint8), TypeError, "ToFloat first"),
        (lambda: Normalize((0.5,), (0.0,)), None, ValueError, "std must be non-zero"),
        (lambda: Normalize((0.5, 0.1), (1.0,)), None, ValueError, "same count"),
    ],
)  # fmt: skip
def test_normalize_errors(make, image, error, message):
    with pytest.raises(error, match=message):
        make()(image)


def test_random_crop_with_seed_is_reproducible_and_a_window_of_the_padded_image():
    image = np.arange(2 * 6 * 6, dtype=np.uint8).reshape(2, 6, 6) + 1
    crops = [RandomCrop(4, padding=2, seed=3)(image) for _ in range(2)]
    np.testing.assert_array_equal(crops[0], crops[1])
    padded = np.pad(image, ((0, 0), (2, 2), (2, 2)))
    windows = [padded[:, top : top + 4, left : left + 4] for top in range(7) for left in range(7)]
    assert any(np.array_equal(crops[0], window) for window in windows)


def test_random_crop_visits_every_offset_and_pads_with_fill():
    crop = RandomCrop(1, padding=1, fill=7, seed=0)
    seen = {int(crop(np.zeros((1, 1), np.uint8))[0, 0]) for _ in range(200)}
    assert seen == {0, 7}  # the 1×1 image itself and its padded border


def test_random_crop_on_a_batch_gives_each_image_its_own_window():
    images = np.random.default_rng(0).integers(0, 255, (64, 3, 8, 8), dtype=np.uint8)
    crops = RandomCrop((5, 6), padding=(1, 2), seed=5).apply_batch(images)
    assert crops.shape == (64, 3, 5, 6) and crops.dtype == np.uint8
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (2, 2)))
    offsets = []
    for original, crop in zip(padded, crops):
        matches = [
            (top, left)
            for top in range(padded.shape[2] - 4)
            for left in range(padded.shape[3] - 5)
            if np.array_equal(original[:, top : top + 5, left : left + 6], crop)
        ]
        assert matches, "every crop is a window of its own padded image"
        offsets.append(matches[0])
    assert len(set(offsets)) > 5  # not one offset for the whole batch


def test_random_crop_too_large_is_an_error():
    with pytest.raises(ValueError, match="larger than the padded image"):
        RandomCrop(9, padding=0, seed=0)(np.zeros((8, 8)))


def test_horizontal_flip_probabilities_and_seeding():
    image = np.arange(6).reshape(1, 2, 3)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0, seed=0)(image), image[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0, seed=0)(image), image)
    batch = np.repeat(image[None], 100, axis=0)
    flipped = [RandomHorizontalFlip(p=0.5, seed=11).apply_batch(batch) for _ in range(2)]
    np.testing.assert_array_equal(flipped[0], flipped[1])
    was_flipped = np.array([np.array_equal(b, image[..., ::-1]) for b in flipped[0]])
    kept = np.array([np.array_equal(b, image) for b in flipped[0]])
    assert np.all(was_flipped ^ kept) and 25 < was_flipped.sum() < 75
    with pytest.raises(ValueError, match="p must lie in"):
        RandomHorizontalFlip(p=1.5)


def test_compose_applies_in_order_and_batches_only_if_all_parts_can():
    pipeline = Compose([ToFloat(), Normalize(0.5, 0.5)])
    image = np.array([[[0, 255]]], dtype=np.uint8)
    np.testing.assert_allclose(pipeline(image), [[[-1.0, 1.0]]])
    np.testing.assert_allclose(pipeline.apply_batch(image[None]), [[[[-1.0, 1.0]]]])
    assert supports_batches(pipeline)
    assert not supports_batches(Compose([ToFloat(), lambda x: x]))


def test_single_and_batch_shapes_are_checked():
    with pytest.raises(ValueError, match=r"N×C×H×W ndarray, got an array of shape \(2, 2\)"):
        ToFloat().apply_batch(np.zeros((2, 2), np.uint8))
    with pytest.raises(ValueError, match="use apply_batch"):
        ToFloat()(np.zeros((1, 1, 2, 2), np.uint8))
