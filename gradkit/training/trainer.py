"""The training loop behind ``gradkit train``: epochs of SGD-style updates, evaluation on the test
split after each, checkpoints, metrics.json and a plot of the curves.

Runs are reproducible: the seed fixes the initial weights, the data order of every epoch and the
dropout masks, and a checkpoint carries all of these forward, so on the CPU a run stopped (even
killed) and resumed with ``--resume`` ends with the same weights, bit for bit, as one that never
stopped.
"""

from __future__ import annotations

import importlib
import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import gradkit as gk
from gradkit import data, nn

from . import checkpointing, environment, metrics, models, plotting
from .config import OPTIMIZERS, SCHEDULERS, TrainConfig, resume_mismatches
from .datasets import DataSplits, load_datasets
from .progress import EpochProgress

METRICS_FILE = "metrics.json"
PLOT_FILE = "training_curves.png"


class TrainingError(RuntimeError):
    """A run that cannot start as asked (unusable device, mismatched checkpoint, ...)."""


def resolve_device(spec: str) -> gk.Device:
    """``auto`` → the GPU when CUDA is usable, else the CPU; anything else must be usable."""
    if spec == "auto":
        return gk.Device("cuda" if gk.cuda.is_available() else "cpu")
    try:
        device = gk.Device(spec)
    except (TypeError, ValueError) as error:
        raise TrainingError(str(error)) from error
    if device.type == "cuda" and not gk.cuda.is_available():
        from gradkit.cuda import availability

        raise TrainingError(
            f"device {spec!r} asked for, but CUDA is not usable here: "
            f"{availability.missing_piece()}; use --device cpu or --device auto"
        )
    return device


def make_optimizer(config: TrainConfig, parameters: list[Any]) -> Any:
    """The optimizer named in ``config``; weight decay left unset keeps the optimizer's own
    default (0, or 0.01 for AdamW, as in PyTorch)."""
    name = config.optimizer
    options: dict[str, Any] = {"lr": config.lr}
    if config.weight_decay is not None:
        options["weight_decay"] = config.weight_decay
    if name == "sgd":
        momentum = config.momentum
        return gk.optim.SGD(parameters, momentum=momentum, nesterov=momentum > 0, **options)
    if name == "adam":
        return gk.optim.Adam(parameters, **options)
    if name == "adamw":
        return gk.optim.AdamW(parameters, **options)
    if name == "rmsprop":
        return gk.optim.RMSprop(parameters, **options)
    raise TrainingError(f"unknown optimizer {name!r}; expected one of {OPTIMIZERS}")


def make_scheduler(config: TrainConfig, optimizer: Any, steps_per_epoch: int) -> tuple[Any, bool]:
    """(scheduler or None, whether it steps after every batch rather than every epoch)."""
    name, epochs = config.scheduler, config.epochs
    schedulers = gk.optim.lr_scheduler
    if name == "none":
        return None, False
    if name == "step":  # a tenth of the rate after each third of the run
        return schedulers.StepLR(optimizer, step_size=max(1, round(epochs / 3)), gamma=0.1), False
    total_steps = max(1, epochs * steps_per_epoch)
    if name == "cosine":
        return schedulers.CosineAnnealingLR(optimizer, T_max=total_steps), True
    if name == "onecycle":
        return schedulers.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total_steps), True
    raise TrainingError(f"unknown scheduler {name!r}; expected one of {SCHEDULERS}")


def mixed_precision(config: TrainConfig, device: gk.Device, log: TextIO) -> tuple[Any, Any]:
    """(autocast context factory or None, GradScaler or None) for ``--amp``."""
    if not config.amp:
        return None, None
    if device.type != "cuda":
        print(f"--amp: autocast needs a CUDA device; training in float32 on {device}", file=log)
        return None, None
    try:
        amp = importlib.import_module("gradkit.amp")
    except ImportError:
        print("--amp: gradkit.amp is not available in this build; training in float32", file=log)
        return None, None
    return (lambda: amp.autocast("cuda")), amp.GradScaler(str(device))


class StopOnInterrupt:
    """Turns the first Ctrl-C (SIGINT) or SIGTERM (what schedulers and ``kill`` send) into a
    request to stop at the next batch boundary, so the loop can write a checkpoint first; a
    second one interrupts at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = False
        self.signal_number: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.signal_number = signum

    def __enter__(self) -> StopOnInterrupt:
        for number in self.SIGNALS:
            try:
                self._previous[number] = signal.signal(number, self._handle)
            except ValueError:  # not the main thread: signals cannot be caught here
                pass
        return self

    def __exit__(self, *exc: Any) -> None:
        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous.clear()


class Trainer:
    """One training run for a resolved ``TrainConfig`` (see ``train``)."""

    def __init__(
        self, config: TrainConfig, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.config = config.resolved()
        self.out = stdout if stdout is not None else sys.stdout
        self.log = stderr if stderr is not None else sys.stderr
        # Data-parallel when the process group is up (`gradkit train --distributed` under
        # mpirun): every rank trains, rank 0 alone prints and writes.
        self.distributed = gk.distributed.is_initialized()
        if self.distributed:
            self.out = gk.distributed.quiet_unless_main(self.out)
            self.log = gk.distributed.quiet_unless_main(self.log)
        self.device = resolve_device(self.config.device)
        self.out_dir = Path(self.config.out)
        self.checkpoint_dir = Path(self.config.checkpoint_dir)  # type: ignore[arg-type]

    # ---- setup ---------------------------------------------------------------------------
    def build(self) -> None:
        config = self.config
        gk.manual_seed(config.seed)
        self.splits: DataSplits = load_datasets(
            config.dataset, config.data_dir, config.limit_train, config.limit_test
        )
        self.model = models.build_model(
            config.model, self.splits.image_shape, self.splits.num_classes, config.dropout
        ).to(self.device)
        self.optimizer = make_optimizer(config, list(self.model.parameters()))
        # The model that trains: the bare one, or its data-parallel wrapper (which starts every
        # rank from rank 0's weights); self.model stays the bare one for evaluation and saving.
        self.train_model = self.model
        sampler = None
        if self.distributed:
            self.train_model = nn.parallel.DistributedDataParallel(self.model)
            sampler = data.DistributedSampler(self.splits.train, seed=config.seed)
        self.train_loader = data.DataLoader(
            self.splits.train,
            batch_size=config.batch_size,
            shuffle=sampler is None,
            seed=config.seed,
            device=self.device,
            sampler=sampler,
        )
        self.test_loader = data.DataLoader(
            self.splits.test, batch_size=config.eval_batch_size, device=self.device
        )
        self.scheduler, self.per_batch_schedule = make_scheduler(
            config, self.optimizer, len(self.train_loader)
        )
        self.autocast, self.scaler = mixed_precision(config, self.device, self.log)
        self.state = checkpointing.TrainerState(
            rng_state=gk.get_rng_state(), loader_seed=config.seed, config=config.to_dict()
        )
        self.environment = environment.describe(self.device, config.seed)
        if self.distributed:
            self.environment["distributed"] = {
                "backend": gk.distributed.get_backend(),
                "world_size": gk.distributed.get_world_size(),
            }

    def restore(self) -> Path | None:
        """Continue from the newest checkpoint in the checkpoint folder, if there is one."""
        path = checkpointing.latest_checkpoint(self.checkpoint_dir)
        if path is None:
            print(
                f"--resume: no checkpoint in {self.checkpoint_dir}; starting afresh", file=self.log
            )
            return None
        state = checkpointing.load_checkpoint(
            path, self.model, self.optimizer, self.scheduler, self.scaler
        )
        mismatches = resume_mismatches(state.config, self.config)
        if mismatches:
            raise TrainingError(
                f"--resume: {path} was written by a run with other settings ("
                + "; ".join(mismatches)
                + "); pass the same settings or another --checkpoint-dir"
            )
        gk.set_rng_state(state.rng_state)
        state.config = self.config.to_dict()
        self.state = state
        print(
            f"resumed from {path} (epoch {state.epochs_completed}, "
            f"batch {state.batches_into_epoch})",
            file=self.log,
        )
        return path

    # ---- one step, one epoch -------------------------------------------------------------
    def train_step(self, images: Any, labels: Any) -> tuple[Any, Any]:
        """One update; returns (loss, number correct) as device scalars (no host sync)."""
        if self.autocast is not None:
            with self.autocast():
                logits = self.train_model(images)
                loss = nn.functional.cross_entropy(logits, labels)
            self.optimizer.zero_grad()
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            logits = self.train_model(images)
            loss = nn.functional.cross_entropy(logits, labels)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        if self.per_batch_schedule:
            self.scheduler.step()
        xp = self.device.xp
        correct = (xp.argmax(logits.data, axis=1) == labels.data).sum()
        return loss.data, correct

    def evaluate(self) -> tuple[float, float]:
        """(mean loss, accuracy) on the test split."""
        self.model.eval()
        xp = self.device.xp
        loss_sum, correct, seen = 0.0, 0, 0
        with gk.no_grad():
            for images, labels in self.test_loader:
                logits = self.model(images)
                count = int(labels.shape[0])
                loss_sum += float(nn.functional.cross_entropy(logits, labels).data) * count
                correct += int((xp.argmax(logits.data, axis=1) == labels.data).sum())
                seen += count
        return loss_sum / max(seen, 1), correct / max(seen, 1)

    def current_lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def run_epoch(self, epoch_index: int, stop: StopOnInterrupt) -> dict[str, Any] | None:
        """Train one epoch (resuming inside it if a checkpoint says so) and evaluate; None when
        stopped by a signal (the caller then saves a checkpoint)."""
        config, state = self.config, self.state
        skip = state.batches_into_epoch
        partial = state.partial_epoch or {}
        loss_sum = partial.get("loss_sum", 0.0)
        correct = partial.get("correct", 0)
        seen = partial.get("seen", 0)
        train_time = partial.get("train_time_s", 0.0)
        self.model.train()
        self.train_loader.set_epoch(epoch_index)
        progress = EpochProgress(
            epoch_index + 1,
            config.epochs,
            len(self.train_loader),
            stream=self.log,
            bar=None if config.progress == "auto" else config.progress == "bar",
            start_batch=skip,
        )
        started = time.perf_counter()
        try:
            for batch_index, (images, labels) in enumerate(self.train_loader):
                if batch_index < skip:
                    continue
                count = int(labels.shape[0])
                loss, batch_correct = self.train_step(images, labels)
                loss_sum = loss_sum + loss.astype("float64") * count  # no float32 drift
                correct = correct + batch_correct
                seen += count
                if progress.wants_values:
                    progress.update(count, float(loss_sum) / seen, float(correct) / seen)
                else:
                    progress.update(count, 0.0, 0.0)
                if self.stop_agreed(stop):
                    state.batches_into_epoch = batch_index + 1
                    state.partial_epoch = {
                        "loss_sum": float(loss_sum),
                        "correct": int(correct),
                        "seen": seen,
                        "train_time_s": train_time + time.perf_counter() - started,
                    }
                    return None
        finally:
            progress.close()
        train_time += time.perf_counter() - started
        if self.distributed:  # the epoch's figures over every rank's shard
            loss_sum, correct, seen = gk.distributed.sum_over_ranks(loss_sum, correct, seen)
            seen = int(seen)
        eval_started = time.perf_counter()
        test_loss, test_accuracy = self.evaluate()
        eval_time = time.perf_counter() - eval_started
        if self.scheduler is not None and not self.per_batch_schedule:
            self.scheduler.step()
        state.epochs_completed = epoch_index + 1
        state.batches_into_epoch = 0
        state.partial_epoch = {}
        return {
            "epoch": epoch_index + 1,
            "train_loss": float(loss_sum) / max(seen, 1),
            "train_accuracy": float(correct) / max(seen, 1),
            "test_loss": test_loss,
            "test_accuracy": test_accuracy,
            "epoch_time_s": train_time + eval_time,
            "train_time_s": train_time,
            "eval_time_s": eval_time,
            "samples_per_s": seen / train_time if train_time > 0 else None,
            "lr": self.current_lr(),
        }

    def stop_agreed(self, stop: StopOnInterrupt) -> bool:
        """Whether to stop now; distributed, whether any rank got the signal (all ranks must
        stop at the same batch, or their collectives no longer match)."""
        if self.distributed:
            return gk.distributed.any_rank(stop.requested)
        return stop.requested

    # ---- bookkeeping ---------------------------------------------------------------------
    def save(self) -> Path:
        self.state.rng_state = gk.get_rng_state()
        path = self.checkpoint_dir
        if gk.distributed.is_main_process():
            path = checkpointing.save_checkpoint(
                self.checkpoint_dir,
                self.state,
                self.model,
                self.optimizer,
                self.scheduler,
                self.scaler,
                keep_last=self.config.keep_checkpoints,
            )
        gk.distributed.wait_for_everyone()  # nobody reads a checkpoint rank 0 is writing
        return path

    def write_reports(self, interrupted: bool) -> dict[str, Any]:
        record = metrics.build_record(
            self.config.to_dict(),
            self.environment,
            self.state.history,
            self.state.elapsed_s,
            interrupted,
        )
        if not gk.distributed.is_main_process():
            return record
        metrics.write_json_atomic(record, self.out_dir / METRICS_FILE)
        if self.state.history:
            title = f"{self.config.model} on {self.config.dataset}"
            try:
                plotting.plot_curves(self.state.history, self.out_dir / PLOT_FILE, title)
            except ImportError:
                print("matplotlib is not installed: no plot written", file=self.log)
        return record

    def summary_line(self, entry: dict[str, Any]) -> str:
        return (
            f"epoch {entry['epoch']}/{self.config.epochs}: "
            f"train loss {entry['train_loss']:.4f} acc {100 * entry['train_accuracy']:.2f}% | "
            f"test loss {entry['test_loss']:.4f} acc {100 * entry['test_accuracy']:.2f}% | "
            f"{entry['epoch_time_s']:.1f}s, {entry['samples_per_s'] or 0:.0f} samples/s, "
            f"lr {entry['lr']:.2e}"
        )

    # ---- the run -------------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        """Train (resuming when asked), and return the metrics.json record."""
        self.build()
        config = self.config
        if config.resume:
            self.restore()
        print(
            f"training {config.model} on {config.dataset} ({len(self.splits.train)} train / "
            f"{len(self.splits.test)} test samples) on {self.device}: {config.epochs} epochs, "
            f"batch {config.batch_size}, {config.optimizer} lr {config.lr:g}, "
            f"scheduler {config.scheduler}, seed {config.seed}",
            file=self.out,
            flush=True,
        )
        if self.distributed:
            world = gk.distributed.get_world_size()
            print(
                f"data-parallel over {world} processes ({gk.distributed.get_backend()}): "
                f"global batch {world * config.batch_size}",
                file=self.out,
                flush=True,
            )
        interrupted = False
        run_started = time.perf_counter()
        elapsed_before = self.state.elapsed_s
        with StopOnInterrupt() as stop:
            for epoch_index in range(self.state.epochs_completed, config.epochs):
                entry = self.run_epoch(epoch_index, stop)
                self.state.elapsed_s = elapsed_before + time.perf_counter() - run_started
                if entry is None:
                    interrupted = True
                    path = self.save()
                    print(
                        f"interrupted: saved {path}; continue with the same command and --resume",
                        file=self.out,
                        flush=True,
                    )
                    break
                self.state.history.append(entry)
                print(self.summary_line(entry), file=self.out, flush=True)
                self.save()
                self.write_reports(interrupted=False)
                # Ctrl-C during evaluation: the epoch's checkpoint is written
                if self.stop_agreed(stop):
                    interrupted = True
                    print(
                        "interrupted after the epoch's checkpoint; continue with --resume",
                        file=self.out,
                        flush=True,
                    )
                    break
        record = self.write_reports(interrupted)
        record["stopped_by_signal"] = stop.signal_number if interrupted else None
        if record["final_test_accuracy"] is not None and not interrupted:
            print(
                f"test accuracy: {100 * record['final_test_accuracy']:.2f}% after "
                f"{record['epochs_completed']} epochs ({record['total_time_s']:.1f}s); "
                f"metrics in {self.out_dir / METRICS_FILE}",
                file=self.out,
                flush=True,
            )
        return record


def train(
    config: TrainConfig, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> dict[str, Any]:
    """Run ``config`` and return its metrics record (the content of metrics.json)."""
    return Trainer(config, stdout, stderr).fit()
