"""``gradkit info`` and ``python -m gradkit info`` describe the installation."""

from __future__ import annotations

import numpy as np

import gradkit as gk
from gradkit.cli import main


def test_info_in_process(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"gradkit {gk.__version__}" in out
    assert f"numpy {np.__version__}" in out
    assert "python " in out and "devices: cpu" in out
    if not gk.cuda.is_available():
        assert "CUDA: not available: " in out  # and why


def test_python_dash_m_gradkit_info(cli):
    result = cli.run_gradkit("info", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "gradkit" in result.stdout and "numpy" in result.stdout
