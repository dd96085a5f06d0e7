"""The small training problems shared by the data-parallel worker and the single-process
reference in test_ddp_training.py: same data, same models, same steps."""

from __future__ import annotations

import numpy as np

import gradkit as gk
from gradkit import nn

GLOBAL_BATCH = 16
IN_FEATURES, HIDDEN, CLASSES = 8, 16, 4
STEPS = 3

# name -> (model kind, optimizer, bucket_cap_mb, micro-batches accumulated under no_sync,
#          GradScaler with an inf in the last sample of step 1 (which is rank 1's))
CONFIGS = {
    "sgd_many_buckets": ("mlp", "sgd", 1e-4, 1, False),
    "adam_one_bucket": ("mlp", "adam", 25, 1, False),
    "sgd_no_sync_accumulation": ("mlp", "sgd", 1e-3, 2, False),
    "shared_weight_many_buckets": ("shared", "sgd", 1e-4, 1, False),
    "adam_grad_scaler_skips_inf_step": ("mlp", "adam", 1e-4, 1, True),
}
POISONED_STEP = 1


class SharedWeightNet(nn.Module):
    """Uses one Linear twice, so its parameters receive two accumulations per backward."""

    def __init__(self) -> None:
        super().__init__()
        self.square = nn.Linear(IN_FEATURES, IN_FEATURES)
        self.head = nn.Linear(IN_FEATURES, CLASSES)

    def forward(self, x: gk.Tensor) -> gk.Tensor:
        return self.head(self.square(self.square(x).tanh()).tanh())


def build_model(kind: str) -> nn.Module:
    if kind == "shared":
        return SharedWeightNet()
    return nn.Sequential(
        nn.Linear(IN_FEATURES, HIDDEN),
        nn.Tanh(),
        nn.Linear(HIDDEN, HIDDEN),
        nn.ReLU(),
        nn.Linear(HIDDEN, CLASSES),
    )


def build_optimizer(name: str, params: list) -> gk.optim.Optimizer:
    if name == "adam":
        return gk.optim.Adam(params, lr=0.01)
    return gk.optim.SGD(params, lr=0.1, momentum=0.9)


def batch(step: int, poison: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The global batch of ``step`` (every rank can make it; each uses its rows); with
    ``poison``, step POISONED_STEP has an inf in its last sample."""
    rng = np.random.default_rng(100 + step)
    x = rng.standard_normal((GLOBAL_BATCH, IN_FEATURES)).astype(np.float32)
    y = rng.integers(0, CLASSES, GLOBAL_BATCH).astype(np.int64)
    if poison and step == POISONED_STEP:
        x[-1, 0] = np.inf
    return x, y


def make_scaler(enabled: bool) -> gk.amp.GradScaler:
    return gk.amp.GradScaler(device="cpu", init_scale=1024.0, enabled=enabled)


def initial_state(kind: str) -> dict:
    """The parameters rank 0 starts from (the other ranks start elsewhere on purpose)."""
    gk.manual_seed(0)
    return {k: v.numpy().copy() for k, v in build_model(kind).state_dict().items()}
