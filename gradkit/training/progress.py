"""Per-epoch progress: a tqdm bar on a terminal, a few plain lines otherwise (logs, CI, pipes)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def interactive(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class EpochProgress:
    """Shows loss, accuracy and samples/s while an epoch runs.

    ``update(batch_size, loss, accuracy)`` after each batch; ``close()`` at the end. On a TTY
    (and with tqdm installed) this is a bar; elsewhere it prints a line about every tenth of the
    epoch, so a log gets a handful of lines per epoch rather than one per batch.
    """

    def __init__(
        self,
        epoch: int,
        epochs: int,
        total_batches: int,
        stream: TextIO | None = None,
        bar: bool | None = None,
        start_batch: int = 0,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.label = f"epoch {epoch}/{epochs}"
        self.total_batches = total_batches
        self.batches = start_batch
        self.samples = 0
        self.start = time.perf_counter()
        self.every = max(1, total_batches // 10)
        self._bar: Any = None
        if bar is None:
            bar = interactive(self.stream)
        if bar:
            try:
                from tqdm import tqdm
            except ImportError:  # tqdm is optional: fall back to plain lines
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(
                    total=total_batches,
                    initial=start_batch,
                    desc=self.label,
                    unit="batch",
                    file=self.stream,
                    dynamic_ncols=True,
                    leave=True,
                )

    def samples_per_second(self) -> float:
        elapsed = time.perf_counter() - self.start
        return self.samples / elapsed if elapsed > 0 else 0.0

    def update(self, batch_size: int, loss: float, accuracy: float) -> None:
        self.batches += 1
        self.samples += batch_size
        if self._bar is not None:
            self._bar.update(1)
            if self.batches % 5 == 0 or self.batches == self.total_batches:
                self._bar.set_postfix(
                    loss=f"{loss:.4f}",
                    acc=f"{accuracy:.4f}",
                    samples_per_s=f"{self.samples_per_second():.0f}",
                    refresh=False,
                )
            return
        if self.batches % self.every == 0 or self.batches == self.total_batches:
            print(
                f"{self.label} [{self.batches}/{self.total_batches}] loss {loss:.4f} "
                f"acc {accuracy:.4f} {self.samples_per_second():.0f} samples/s",
                file=self.stream,
                flush=True,
            )

    @property
    def wants_values(self) -> bool:
        """Whether the next update shows numbers (so the caller can skip fetching them)."""
        upcoming = self.batches + 1
        if self._bar is not None:
            return upcoming % 5 == 0 or upcoming == self.total_batches
        return upcoming % self.every == 0 or upcoming == self.total_batches

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
