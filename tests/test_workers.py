"""A stop signal that arrives while a worker pool is being forked ends the pool; nothing is left running
(it used to escape Pool's own clean-up, and `analyze` hung at exit after "Aborted!")."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing.pool import Pool
from typing import Any

import pytest

from narratrace.workers import fork_pool


def _raise(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _square(x: int) -> int:
    return x * x


def test_workers_signal_while_forking_ends_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    started = Pool._repopulate_pool

    def repopulate_then_signal(self: Pool) -> Any:
        out = started(self)
        os.kill(os.getpid(), signal.SIGTERM)  # as if the user stopped the command right now
        time.sleep(0.05)  # unprotected, the KeyboardInterrupt would be raised here, inside Pool()
        return out

    previous = signal.signal(signal.SIGTERM, _raise)
    try:
        monkeypatch.setattr(Pool, "_repopulate_pool", repopulate_then_signal)
        with pytest.raises(KeyboardInterrupt):
            fork_pool(2)
        monkeypatch.undo()
        deadline = time.monotonic() + 10
        while multiprocessing.active_children() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert multiprocessing.active_children() == []
        with fork_pool(2) as pool:  # and an undisturbed pool works, its workers able to be stopped
            assert pool.map(_square, range(5)) == [0, 1, 4, 9, 16]
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == set()  # nothing left held back
