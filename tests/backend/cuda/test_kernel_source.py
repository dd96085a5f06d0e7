"""Finding and reading the CUDA sources."""

from __future__ import annotations

import pytest

from gradkit.backend.cuda.kernel_source import (
    kernel_dir,
    kernel_files,
    read_kernel_source,
    resolve_kernel_path,
)


def test_source_checkout_kernel_dir_holds_the_activation_kernels():
    assert (kernel_dir() / "activation.cu").is_file()
    assert "activation.cu" in kernel_files()
    assert all(name.endswith(".cu") for name in kernel_files())


def test_local_includes_are_inlined_once_with_line_directives(tmp_path):
    (tmp_path / "a.cuh").write_text('#include "b.cuh"\nint a;\n')
    (tmp_path / "b.cuh").write_text("int b;")  # no trailing newline
    (tmp_path / "k.cu").write_text(
        '// kernel\n#include "a.cuh"\n#include "b.cuh"\n#include <cuda_fp16.h>\nint k;\n'
    )
    text = read_kernel_source(tmp_path / "k.cu")
    assert text.count("int b;") == 1
    assert "#include <cuda_fp16.h>" in text  # left to the compiler
    lines = text.splitlines()
    assert lines[:3] == ['#line 1 "k.cu"', "// kernel", '#line 1 "a.cuh"']
    # After each inlined include, numbering resumes at the next line of the includer.
    assert lines[lines.index("int k;") - 2] == '#line 4 "k.cu"'
    assert lines[lines.index("int a;") - 1] == '#line 2 "a.cuh"'


def test_missing_include_names_the_file_and_line(tmp_path):
    (tmp_path / "k.cu").write_text('\n\n#include "nowhere.cuh"\n')
    with pytest.raises(FileNotFoundError, match=r"k\.cu:3: included file 'nowhere\.cuh'"):
        read_kernel_source(tmp_path / "k.cu")


def test_unknown_kernel_file_is_a_clear_error():
    with pytest.raises(FileNotFoundError, match="missing.cu"):
        resolve_kernel_path("missing.cu")
