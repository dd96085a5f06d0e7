"""Checkpoint names sort by progress; old ones are pruned; the trainer's state round-trips."""

from __future__ import annotations

import numpy as np

import gradkit as gk
from gradkit import nn
from gradkit.training import checkpointing


def make_pieces():
    gk.manual_seed(3)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    optimizer = gk.optim.Adam(model.parameters(), lr=0.01)
    scheduler = gk.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    return model, optimizer, scheduler


def test_names_sort_by_epoch_then_batch(tmp_path):
    for epoch, batch in [(2, 0), (1, 17), (10, 0), (1, 0), (2, 5)]:
        (tmp_path / checkpointing.checkpoint_name(epoch, batch)).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    names = [p.name for p in checkpointing.list_checkpoints(tmp_path)]
    assert names == [
        "ckpt-0001-000000.gk",
        "ckpt-0001-000017.gk",
        "ckpt-0002-000000.gk",
        "ckpt-0002-000005.gk",
        "ckpt-0010-000000.gk",
    ]
    assert checkpointing.latest_checkpoint(tmp_path).name == "ckpt-0010-000000.gk"
    assert checkpointing.latest_checkpoint(tmp_path / "missing") is None


def test_round_trip_restores_everything_and_prunes(tmp_path):
    model, optimizer, scheduler = make_pieces()
    loss = model(gk.randn(5, 4)).sum()
    loss.backward()
    optimizer.step()
    scheduler.step()
    # 128-bit generator state, nested history: all must survive the file format.
    state = checkpointing.TrainerState(
        epochs_completed=1,
        batches_into_epoch=0,
        history=[{"epoch": 1, "test_accuracy": 0.5}],
        rng_state=gk.get_rng_state(),
        loader_seed=3,
        config={"model": "tiny"},
    )
    for epoch in (1, 2, 3):
        state.epochs_completed = epoch
        checkpointing.save_checkpoint(tmp_path, state, model, optimizer, scheduler, keep_last=2)
    assert [p.name for p in checkpointing.list_checkpoints(tmp_path)] == [
        "ckpt-0002-000000.gk",
        "ckpt-0003-000000.gk",
    ]
    fresh_model, fresh_optimizer, fresh_scheduler = make_pieces()
    with gk.no_grad():
        for parameter in fresh_model.parameters():
            parameter.data[...] = 0
    restored = checkpointing.load_checkpoint(
        tmp_path / "ckpt-0003-000000.gk", fresh_model, fresh_optimizer, fresh_scheduler
    )
    assert restored.epochs_completed == 3 and restored.history == state.history
    assert restored.rng_state == state.rng_state
    for (name, a), (_, b) in zip(model.state_dict().items(), fresh_model.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), name
    assert fresh_scheduler.state_dict() == scheduler.state_dict()
    assert fresh_optimizer.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    gk.set_rng_state(restored.rng_state)  # accepted as saved


def test_a_foreign_file_is_refused(tmp_path):
    model, optimizer, _ = make_pieces()
    path = tmp_path / "weights.gk"
    gk.save(model.state_dict(), path)
    try:
        checkpointing.load_checkpoint(path, model, optimizer)
    except ValueError as error:
        assert "not a gradkit training checkpoint" in str(error)
    else:
        raise AssertionError("expected a ValueError")
