"""Progress output of the PyTorch estimators under ``verbose``.

In a terminal, progress is drawn: skorch's epoch table (with its colours)
and tqdm bars. Elsewhere (a file, a pipe, a notebook, a worker of a parallel
search) it is written as plain lines, without the ANSI codes of colours and
without the carriage returns of a bar, which are noise in a log.

- :class:`EpochLog`, skorch's ``PrintLog`` numbering the epochs "k/N";
- :class:`EpochProgressBar`, a bar over the batches of a long epoch;
- :class:`Progress`, the progress of ``recommend``, ``predict``, ... over
  blocks of rows.
"""

import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from numbers import Number

from skorch.callbacks import Callback, PrintLog, ProgressBar
from tqdm import tqdm

# True while a net trains: the queries of early stopping and of callbacks
# report nothing, the epoch log and bar report the fit.
_QUIET_QUERIES = ContextVar("sklearn_rec_quiet_queries", default=False)


def is_terminal(stream):
    """Whether ``stream`` is an interactive terminal (a closed or odd stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _last_epoch(net):
    """The epoch a training run that starts now ends at: the epochs before, plus ``max_epochs``."""
    return len(net.history) + net.max_epochs


class EpochLog(PrintLog):
    """skorch's ``PrintLog`` with the epochs numbered "k/N", and plain lines outside a terminal.

    ``N`` is the last epoch of the run (``max_epochs`` after the epochs
    trained before, for ``partial_fit``). Printed to a terminal, the log is
    skorch's table; printed elsewhere, or sent to another ``sink`` (a
    logger), each epoch is one line such as ``epoch 2/10  train_loss=0.4123
    validation_score=0.0712  dur=1.52s``. The table's colours, which mark the
    best values, are ANSI codes: they are left out of such lines. The
    parameters are ``PrintLog``'s.
    """

    def on_train_begin(self, net, **kwargs):
        self.last_epoch_ = _last_epoch(net)

    def _epoch(self, value):
        last = getattr(self, "last_epoch_", None)
        return f"{value}" if last is None else f"{value}/{max(value, last)}"

    def format_row(self, row, key, color):
        if key == "epoch":
            return self._epoch(row[key])
        return super().format_row(row, key, color)

    def line(self, row):
        """One epoch's row of the history as a line of text, without colours."""
        parts = []
        for key in self._sorted_keys(row.keys()):
            value = row[key]
            if key == "epoch":
                parts.append(f"epoch {self._epoch(value)}")
            elif key.startswith("event_"):
                if value:
                    parts.append(key[len("event_") :])
            elif key == "dur" and isinstance(value, Number):
                parts.append(f"dur={value:.2f}s")
            else:
                # A row of one key has no "_best" entry to colour.
                parts.append(f"{key}={super().format_row({key: value}, key, color='')}")
        return "  ".join(parts)

    def on_epoch_end(self, net, **kwargs):
        if self.sink is print and is_terminal(sys.stdout):
            super().on_epoch_end(net, **kwargs)
            return
        self._sink(self.line(net.history[-1]), net.verbose)
        if self.sink is print:
            sys.stdout.flush()


class EpochProgressBar(Callback):
    """A tqdm bar over the batches of each epoch, titled "epoch k/N", in a terminal only.

    Like skorch's ``ProgressBar``, on stderr and erased at the end of the
    epoch, but it counts the batches the net makes (whatever its
    ``batch_size``, ``"auto"`` included), appears only once an epoch has run
    for ``delay`` seconds (short epochs draw none), and draws nothing when
    stderr is not a terminal.

    Parameters
    ----------
    follow_verbose : bool, default=False
        ``True`` (the estimators' own bar) shows the bar only under
        ``verbose >= 1``, and not beside another progress bar callback.
    """

    # Seconds an epoch runs before its bar appears.
    delay = 1.0

    def __init__(self, follow_verbose=False):
        self.follow_verbose = follow_verbose

    def on_train_begin(self, net, **kwargs):
        self._close()
        shown = is_terminal(sys.stderr)
        if self.follow_verbose:
            others = any(
                isinstance(cb, (ProgressBar, EpochProgressBar)) and cb is not self
                for _, cb in net.callbacks_
            )
            shown = shown and net.verbose >= 1 and not others
        self.shown_ = shown
        self.last_epoch_ = _last_epoch(net)

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        if not getattr(self, "shown_", False) or dataset_train is None:
            return
        epoch = len(net.history)
        self.pbar_ = tqdm(
            total=net._n_batches(len(dataset_train), training=True),
            desc=f"epoch {epoch}/{max(epoch, self.last_epoch_)}",
            unit="batch",
            leave=False,
            file=sys.stderr,
            delay=self.delay,
            dynamic_ncols=True,
        )

    def on_batch_end(self, net, training=False, **kwargs):
        bar = getattr(self, "pbar_", None)
        if bar is None or not training:
            return
        loss = kwargs.get("loss")
        if loss is not None:
            bar.set_postfix(train_loss=f"{loss.item():.4f}", refresh=False)
        bar.update()

    def on_epoch_end(self, net, **kwargs):
        self._close()

    def on_train_end(self, net, **kwargs):
        self._close()  # an epoch cut short (early stopping, Ctrl-C) leaves its bar open

    def _close(self):
        bar = vars(self).pop("pbar_", None)
        if bar is not None:
            bar.close()

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("pbar_", None)  # a tqdm bar does not pickle
        return state


class _Report:
    """The reporter of one call: a bar in a terminal, else a line at each tenth of the rows."""

    def __init__(self, what, total, unit, stream):
        self.what, self.total, self.unit, self.stream = what, total, unit, stream
        self.done = 0
        self.tenths = 0
        self.start = time.perf_counter()
        self.bar = None
        if is_terminal(stream):
            self.bar = tqdm(
                total=total, desc=what, unit=f" {unit}", file=stream, dynamic_ncols=True
            )

    def update(self, n):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        tenths = 10 * self.done // self.total
        if tenths > self.tenths:
            self.tenths = tenths
            seconds = time.perf_counter() - self.start
            text = (
                f"{self.what}: {self.done:,}/{self.total:,} {self.unit} "
                f"({100 * self.done // self.total}%) in {seconds:.1f} s"
            )
            if self.done < self.total:
                left = seconds * (self.total - self.done) / self.done
                text += f", about {left:.0f} s left"
            print(text, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class _Silent:
    """The reporter of a call that reports nothing."""

    def update(self, n):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass


@contextmanager
def quiet_queries():
    """Within: queries report no progress (the scoring of early stopping, say)."""
    token = _QUIET_QUERIES.set(True)
    try:
        yield
    finally:
        _QUIET_QUERIES.reset(token)


class Progress:
    """Reports the progress of a call over blocks of rows on stderr, under ``verbose >= 1``.

    ``Progress("recommend", "users", verbose)(n_rows, n_blocks)`` is a
    context manager whose ``update(n)`` counts ``n`` more rows done. Nothing
    is reported at ``verbose=0``, for a single block, which gives no
    progress to report, nor during training (see :func:`quiet_queries`).
    """

    def __init__(self, what, unit, verbose):
        self.what, self.unit, self.verbose = what, unit, verbose

    def __call__(self, total, n_blocks):
        if not self.verbose or n_blocks < 2 or total < 1 or _QUIET_QUERIES.get():
            return _Silent()
        return _Report(self.what, total, self.unit, sys.stderr)
