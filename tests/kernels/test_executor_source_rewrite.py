"""The executor's rewrite of `extern __shared__` declarations."""

from __future__ import annotations

import pytest

from gradkit.testing.cuda_executor.source_rewrite import (
    UnsupportedSourceError,
    rewrite_dynamic_shared,
)


@pytest.mark.parametrize(
    ("declaration", "pointer"),
    [
        ("extern __shared__ float tile[];", "float* const tile"),
        ("extern __shared__ __align__(16) unsigned char raw[];", "unsigned char* const raw"),
        ("extern __shared__ __align__(sizeof(double)) T buffer[ ];", "T* const buffer"),
    ],
)
def test_dynamic_shared_arrays_become_pointers_to_the_shared_buffer(declaration, pointer):
    rewritten = rewrite_dynamic_shared(f"void k() {{\n  {declaration}\n}}\n", "k.cu")
    assert f"{pointer} = reinterpret_cast<" in rewritten
    assert "::gkcpu::dynamic_shared_memory()" in rewritten
    assert "extern" not in rewritten


def test_line_count_is_preserved():
    source = "a\nextern __shared__\n  float\n  tile[];\nb\n"
    assert rewrite_dynamic_shared(source, "k.cu").count("\n") == source.count("\n")


def test_static_shared_memory_is_left_to_the_macro():
    source = "__shared__ float tile[256];"
    assert rewrite_dynamic_shared(source, "k.cu") == source


def test_unsupported_declaration_names_file_and_line():
    with pytest.raises(UnsupportedSourceError, match=r"k\.cu \(line 2"):
        rewrite_dynamic_shared("x\nextern __shared__ float a[], b[];\n", "k.cu")
