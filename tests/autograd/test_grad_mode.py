"""no_grad / enable_grad / set_grad_enabled: context managers, decorators, thread-local."""

from __future__ import annotations

import threading

import pytest

import gradkit as gk


def _records() -> bool:
    return (gk.ones(1, requires_grad=True) * 2).requires_grad


def test_context_managers_nest_and_restore():
    assert gk.is_grad_enabled() and _records()
    with gk.no_grad():
        assert not gk.is_grad_enabled() and not _records()
        with gk.enable_grad():
            assert gk.is_grad_enabled() and _records()
        assert not gk.is_grad_enabled()
    assert gk.is_grad_enabled()
    with gk.set_grad_enabled(False):
        assert not _records()
    with gk.set_grad_enabled(True):
        assert _records()
    assert gk.is_grad_enabled()


def test_context_managers_restore_after_an_exception():
    with pytest.raises(KeyError), gk.no_grad():
        raise KeyError("x")
    assert gk.is_grad_enabled()


def test_decorators():
    @gk.no_grad()
    def without(x):
        return x * 2

    @gk.enable_grad()
    def with_grad(x):
        return x * 2

    @gk.set_grad_enabled(False)
    def switched_off(x):
        return x * 2

    x = gk.ones(1, requires_grad=True)
    assert gk.is_grad_enabled()  # decorating changes nothing by itself
    assert not without(x).requires_grad
    assert not switched_off(x).requires_grad
    assert gk.is_grad_enabled()
    with gk.no_grad():
        assert with_grad(x).requires_grad
        assert not gk.is_grad_enabled()
    assert without.__name__ == "without"


def test_set_grad_enabled_as_a_plain_call():
    try:
        gk.set_grad_enabled(False)
        assert not gk.is_grad_enabled()
    finally:
        gk.set_grad_enabled(True)
    assert gk.is_grad_enabled()


def test_grad_mode_is_thread_local():
    inside = threading.Event()
    release = threading.Event()
    seen_in_thread = []

    def worker():
        with gk.no_grad():
            seen_in_thread.append(gk.is_grad_enabled())
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    try:
        assert gk.is_grad_enabled() and _records()
    finally:
        release.set()
        thread.join()
    assert seen_in_thread == [False]


def test_a_new_thread_starts_with_grad_enabled():
    seen = []
    with gk.no_grad():
        thread = threading.Thread(target=lambda: seen.append(gk.is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]
