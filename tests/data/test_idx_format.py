"""The IDX reader: exact round trips, a file written by hand from the spec, and every way a
file can be broken raising a ValueError that names the file."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradkit.data import read_idx, write_idx

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def idx_bytes(type_code: int, shape: tuple[int, ...], payload: bytes) -> bytes:
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_reads_a_file_written_by_hand_from_the_spec(tmp_path, suffix):
    # Two 2×3 int16 images, big-endian, including negative values.
    values = np.array([[[1, -2, 300], [4, 5, -32768]], [[7, 8, 9], [10, 11, 32767]]])
    raw = idx_bytes(0x0B, (2, 2, 3), values.astype(">i2").tobytes())
    path = tmp_path / f"images-idx3{suffix}"
    path.write_bytes(gzip.compress(raw) if suffix else raw)

    array = read_idx(path)

    assert array.dtype == np.int16 and array.dtype.isnative
    assert array.shape == (2, 2, 3)
    np.testing.assert_array_equal(array, values)


def test_reads_mnist_style_uint8_labels(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(idx_bytes(0x08, (5,), bytes([0, 9, 3, 3, 7])))
    np.testing.assert_array_equal(read_idx(path), [0, 9, 3, 3, 7])


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    path = tmp_path / "no-suffix"
    path.write_bytes(gzip.compress(idx_bytes(0x08, (2,), b"\x01\x02")))
    np.testing.assert_array_equal(read_idx(path), [1, 2])


@settings(max_examples=40, deadline=None)
@given(
    array=st.sampled_from(IDX_DTYPES).flatmap(
        lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0))
    ),
    compress=st.booleans(),
)
def test_write_then_read_round_trips_exactly(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / "array.idx"
    write_idx(path, array, compress=compress)
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)  # NaNs compare equal here


def test_write_rejects_dtypes_idx_cannot_store(tmp_path):
    with pytest.raises(TypeError, match="uint16"):
        write_idx(tmp_path / "x", np.zeros(3, np.uint16))


GOOD = idx_bytes(0x08, (2, 3), bytes(range(6)))
BROKEN_FILES = {
    "empty": (b"", "truncated header"),
    "short magic": (b"\x00\x00\x08", "truncated header"),
    "wrong magic": (b"\x1a\x2b" + GOOD[2:], "wrong magic number"),
    "unknown type code": (b"\x00\x00\x07\x02" + GOOD[4:], "unknown type code 0x07"),
    "missing dimension sizes": (GOOD[:9], "truncated header"),
    "truncated data": (GOOD[:-1], "truncated data.*5 follow"),
    "trailing bytes": (GOOD + b"\x00\x00", "wrong size.*2 bytes beyond"),
    "absurd header": (idx_bytes(0x08, (2**31, 2**31), b"\x00"), "truncated data"),
}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("case", sorted(BROKEN_FILES))
def test_broken_files_raise_a_value_error_naming_the_file(tmp_path, case, compress):
    content, message = BROKEN_FILES[case]
    path = tmp_path / f"broken-{case.replace(' ', '-')}.idx"
    path.write_bytes(gzip.compress(content) if compress else content)
    with pytest.raises(ValueError, match=message) as raised:
        read_idx(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # the gzip stream stops half way
        lambda data: data[:10] + bytes(len(data) - 10),  # the deflate data is zeroed
        lambda data: data[:-8] + b"\xff" * 8,  # the CRC and size trailer is wrong
    ],
    ids=["truncated", "garbled", "bad-trailer"],
)
def test_corrupt_gzip_raises_a_value_error_naming_the_file(tmp_path, damage):
    path = tmp_path / "images.idx.gz"
    path.write_bytes(damage(gzip.compress(idx_bytes(0x08, (64, 64), bytes(range(256)) * 16))))
    with pytest.raises(ValueError, match="IDX file") as raised:
        read_idx(path)
    assert str(path) in str(raised.value)
