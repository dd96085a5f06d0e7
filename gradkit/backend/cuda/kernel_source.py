"""Where the CUDA sources live, and reading one as a single self-contained text."""

from __future__ import annotations

import re
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parents[2]  # .../gradkit
_LOCAL_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"]+)"[ \t]*$', re.MULTILINE)


def kernel_dir() -> Path:
    """The directory of the .cu/.cuh sources.

    A wheel ships them as gradkit/_kernels (see pyproject's force-include); a source checkout
    has them at <repo>/kernels.
    """
    for candidate in (_PACKAGE_DIR / "_kernels", _PACKAGE_DIR.parent / "kernels"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"gradkit's CUDA kernel sources were not found: looked for {_PACKAGE_DIR / '_kernels'} "
        f"(installed wheel) and {_PACKAGE_DIR.parent / 'kernels'} (source checkout)"
    )


def kernel_files(directory: Path | None = None) -> list[str]:
    """Names of the compilable sources (*.cu) in `directory` (default: kernel_dir())."""
    directory = kernel_dir() if directory is None else directory
    return sorted(path.name for path in directory.glob("*.cu"))


def resolve_kernel_path(file: str | Path) -> Path:
    """A bare name ("activation.cu") is looked up in kernel_dir(); a path is taken as is."""
    path = Path(file)
    if not path.is_absolute() and path.parent == Path("."):
        path = kernel_dir() / path
    if not path.is_file():
        raise FileNotFoundError(f"CUDA source {file!r} not found (looked at {path})")
    return path


def read_kernel_source(file: str | Path) -> str:
    """The text of a .cu file with its quoted (#include "x.cuh") includes inlined.

    Why inline rather than pass -I: CuPy's on-disk kernel cache is keyed on the source text,
    so an edit to a header would otherwise leave stale binaries in the cache. `#line`
    directives keep compiler messages pointing at the original files. Each file is inlined
    once; angle-bracket includes (<cuda_fp16.h>) are left to the compiler.
    """
    return _inline(resolve_kernel_path(file), included=set())


def _inline(path: Path, included: set[Path]) -> str:
    path = path.resolve()
    included.add(path)
    text = path.read_text(encoding="utf-8")
    pieces: list[str] = [f'#line 1 "{path.name}"\n']
    position = 0
    for match in _LOCAL_INCLUDE.finditer(text):
        pieces.append(text[position : match.start()])
        header = path.parent / match.group(1)
        if not header.is_file():
            line = text.count("\n", 0, match.start()) + 1
            raise FileNotFoundError(
                f"{path.name}:{line}: included file {match.group(1)!r} not found in {path.parent}"
            )
        if header.resolve() not in included:
            inlined = _inline(header, included)
            pieces.append(inlined if inlined.endswith("\n") else inlined + "\n")
        # Resume numbering at the line after the #include.
        next_line = text.count("\n", 0, match.end()) + 2
        pieces.append(f'#line {next_line} "{path.name}"')
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces)
