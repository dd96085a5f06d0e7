"""The IDX file format of MNIST and Fashion-MNIST, plain or gzip-compressed.

Layout: a 4-byte magic number ``00 00 <dtype code> <ndim>``, then ``ndim`` big-endian uint32
dimension sizes, then the values in C order, big-endian. Files are read strictly: anything that
does not match the header exactly (short, long, unknown codes) is a ValueError naming the file.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import struct
import zlib
from typing import BinaryIO

import numpy as np

# IDX type codes → big-endian NumPy dtypes.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (``.gz`` or plain: told apart by content) into a native-order array."""
    path = os.fspath(path)
    with open(path, "rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as stream:
            return _read_idx_stream(stream, path, compressed)
    except (gzip.BadGzipFile, zlib.error, EOFError) as error:
        raise ValueError(f"IDX file {path}: corrupt gzip data ({error})") from error


def _read_idx_stream(stream: BinaryIO, path: str, compressed: bool) -> np.ndarray:
    magic = stream.read(4)
    if len(magic) < 4:
        raise ValueError(f"IDX file {path}: truncated header, expected 4 magic bytes")
    zero_a, zero_b, type_code, ndim = magic
    if zero_a != 0 or zero_b != 0:
        raise ValueError(
            f"IDX file {path}: wrong magic number 0x{magic.hex()}, expected 0x0000TTNN "
            "(T = type code, N = number of dimensions); is this an IDX file?"
        )
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise ValueError(f"IDX file {path}: unknown type code 0x{type_code:02X}, expected {known}")
    header = stream.read(4 * ndim)
    if len(header) < 4 * ndim:
        raise ValueError(
            f"IDX file {path}: truncated header, expected {ndim} dimension sizes "
            f"({4 * ndim} bytes), found {len(header)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", header)
    dtype = IDX_DTYPES[type_code]
    expected_bytes = math.prod(shape) * dtype.itemsize
    available = _most_bytes_left(path, compressed, 4 + 4 * ndim)
    if expected_bytes > available:
        # A corrupt header may announce terabytes: say so without trying to allocate them.
        found = "the file is far too small for that" if compressed else f"only {available} follow"
        raise ValueError(
            f"IDX file {path}: truncated data, header says shape {shape} of {dtype.name} "
            f"({expected_bytes} bytes) but {found}"
        )
    values = np.empty(shape, dtype=dtype.newbyteorder("="))
    found_bytes = _read_exactly_into(stream, memoryview(values.reshape(-1)).cast("B"))
    if found_bytes < expected_bytes:
        raise ValueError(
            f"IDX file {path}: truncated data, header says shape {shape} of {dtype.name} "
            f"({expected_bytes} bytes) but only {found_bytes} follow"
        )
    extra = len(stream.read(1 << 16))
    if extra:
        raise ValueError(
            f"IDX file {path}: wrong size, {'at least ' if extra == 1 << 16 else ''}{extra} "
            f"bytes beyond the {expected_bytes} data bytes the header announces (shape {shape})"
        )
    if dtype.byteorder == ">" and np.little_endian:
        values.byteswap(inplace=True)
    return values


def _most_bytes_left(path: str, compressed: bool, header_bytes: int) -> int:
    """An upper bound on the data bytes after the header: deflate cannot expand more than
    about 1032:1, so a gzip file of n bytes decompresses to at most ~1032 n."""
    size = os.path.getsize(path)
    return size * 1032 + 1024 if compressed else size - header_bytes


def _read_exactly_into(stream: BinaryIO, buffer: memoryview) -> int:
    """Fill ``buffer`` from ``stream``; returns how many bytes it got (less only at EOF)."""
    filled = 0
    while filled < len(buffer):
        count = stream.readinto(buffer[filled:])  # type: ignore[attr-defined]
        if not count:
            break
        filled += count
    return filled


def write_idx(
    path: str | os.PathLike[str], array: np.ndarray, compress: bool | None = None
) -> None:
    """Write ``array`` as an IDX file; gzip-compressed when ``compress`` (default: path ends
    in ``.gz``)."""
    path = os.fspath(path)
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(
            f"write_idx: dtype {array.dtype} has no IDX type code; expected one of "
            f"{sorted(str(d) for d in codes)}"
        )
    if array.ndim > 255:
        raise ValueError(f"write_idx: IDX stores at most 255 dimensions, got {array.ndim}")
    buffer = io.BytesIO()
    buffer.write(bytes([0, 0, codes[native], array.ndim]))
    buffer.write(struct.pack(f">{array.ndim}I", *array.shape))
    buffer.write(np.ascontiguousarray(array, dtype=IDX_DTYPES[codes[native]]).tobytes())
    compress = path.endswith(".gz") if compress is None else compress
    with gzip.open(path, "wb") if compress else open(path, "wb") as stream:
        stream.write(buffer.getvalue())
