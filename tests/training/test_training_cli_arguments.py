"""Bad command lines fail fast with a clear message and exit code 2 (argparse's)."""

from __future__ import annotations

import pytest

from gradkit.cli import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--model", "resnet9000"], "invalid choice: 'resnet9000'"),
        (["train", "--dataset", "imagenet"], "invalid choice: 'imagenet'"),
        (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["train", "--scheduler", "warm"], "invalid choice: 'warm'"),
        (["train", "--epochs", "0"], "expected a positive integer"),
        (["train", "--batch-size", "many"], "expected a positive integer"),
        (["train", "--lr", "-1"], "expected a non-negative number"),
        (["train", "--dropout", "1.5"], "expected a rate in [0, 1)"),
        (["train", "--dataset", "cifar10"], "cifar10 needs --data-dir"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_unusable_device_is_a_usage_error(tmp_path, capsys):
    import gradkit as gk

    if gk.cuda.is_available():
        pytest.skip("CUDA is usable here")
    code = main(["train", "--device", "cuda", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "CUDA is not usable here" in err and "--device cpu" in err


def test_malformed_device_is_a_usage_error(tmp_path, capsys):
    assert main(["train", "--device", "tpu:3", "--out", str(tmp_path)]) == 2
    assert "tpu:3" in capsys.readouterr().err


def test_help_lists_the_models_and_datasets(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for name in ("mlp", "cnn", "lenet", "mnist", "fashion-mnist", "cifar10", "--resume", "--amp"):
        assert name in out
