"""Forked worker pools that a stop signal cannot leave half-made.

Ctrl-C or SIGTERM raises KeyboardInterrupt in the main process (``cli._stop_on_signals``). Raised while
``multiprocessing.Pool`` forks its workers, it escapes the pool's own clean-up (which catches
``Exception`` only) before the caller holds the pool, so no ``finally`` can end it and the command
hangs at exit after printing "Aborted!". :func:`fork_pool` holds both signals back while the pool is
made; a signal that came meanwhile is raised once the pool exists, after ending it.

A pool exists to keep every core busy with processes, so each worker's BLAS (NumPy's OpenBLAS) runs
one thread (:func:`blas_limit`): two workers each waking two BLAS threads for their small matrix
products made the narratives stage 2.6 times and the claims stage 1.3 times slower in wall time
(200 real articles, 2 cores), the threads waiting on each other rather than working.
"""

from __future__ import annotations

import multiprocessing
from contextlib import AbstractContextManager, nullcontext
import signal
from collections.abc import Callable, Sequence
from multiprocessing.pool import Pool
from typing import Any

__all__ = ["blas_limit", "fork_pool"]

_STOP = {signal.SIGINT, signal.SIGTERM}


def _start_worker(initializer: Callable[..., None] | None, initargs: Sequence[Any]) -> None:
    """In each worker, before the signals it inherited blocked are let through: SIGTERM kills it (the
    kernel's default) and SIGINT is ignored (the parent ends the pool).

    Not a Python handler: one runs only when the main thread next executes Python, and the kernel may
    hand the signal to another thread of the worker (OpenBLAS's, onnxruntime's), so a worker waiting
    for its next task in ``sem_wait`` never ran it. ``Pool.terminate`` then waited for it for ever,
    the command hung after "Aborted!" (about one SIGTERM in three to ``analyze``), and its workers
    outlived it."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_forker()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP)  # the mask was inherited from the fork
    blas_limit(1)
    if initializer is not None:
        initializer(*initargs)


def _die_with_forker() -> None:
    """Linux: this worker is killed when the thread that forked it ends (``PR_SET_PDEATHSIG``).

    A worker that the pool's own thread forks to replace one that ended can miss ``Pool.terminate``
    (seen after a SIGTERM to ``analyze``: the command exited, the new worker waited for a task for
    ever and held its pipes open); it ends with that thread, or with the command. Elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        return


def blas_limit(threads: int = 1) -> AbstractContextManager[Any]:
    """Limit the BLAS libraries of this process (OpenBLAS, MKL) to ``threads`` each: from now on, or,
    used as a context manager, until the block ends. Small matrix products (a sentence matrix against
    label prototypes) are slower on two threads than on one, and a second thread takes the core
    another process needs."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def fork_pool(workers: int, initializer: Callable[..., None] | None = None, initargs: Sequence[Any] = ()) -> Pool:
    """``multiprocessing.get_context("fork").Pool(workers, initializer, initargs)``, made with SIGINT and
    SIGTERM held back; the caller ends it in its ``finally`` as usual."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
    pool = None
    try:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker,
                                                        initargs=(initializer, tuple(initargs)))
    finally:
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a signal that came meanwhile is raised now
        except BaseException:
            if pool is not None:
                pool.terminate()
                pool.join()
            raise
    return pool
