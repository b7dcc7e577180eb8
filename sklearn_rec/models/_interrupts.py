"""A user's Ctrl-C during training, told apart from the stops of early stopping."""

import signal
import threading
from contextlib import contextmanager


class _InterruptWatch:
    """Whether SIGINT (Ctrl-C) arrived while training ran."""

    received = False


@contextmanager
def watch_interrupts():
    """Record a user's Ctrl-C during training, then let it through as before.

    skorch ends training on any ``KeyboardInterrupt`` and returns normally:
    early stopping (the package's, and skorch's ``EarlyStopping`` callback)
    raises one to stop, as skorch's callbacks do. Only a real SIGINT tells a
    user's interrupt apart from such a stop. Signals reach the main thread
    only, so elsewhere (a worker of a parallel search) nothing is watched.
    """
    watch = _InterruptWatch()
    if threading.current_thread() is not threading.main_thread():
        yield watch
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        watch.received = True
        if callable(previous):
            previous(signum, frame)
        elif previous is not signal.SIG_IGN:
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield watch
    finally:
        signal.signal(signal.SIGINT, previous)
