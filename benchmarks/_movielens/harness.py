"""The runner every protocol shares: pick the models, tune each, evaluate, collect rows."""

import importlib
import time
import traceback
from dataclasses import dataclass, field
from functools import partial

from sklearn.model_selection import ParameterGrid

from .adapters.ours import Ours
from .config import DEFAULTS, OURS, PEERS


@dataclass
class Context:
    """The run's settings, and the peers skipped because their library does not import."""

    threads: int
    quick: bool
    defaults: bool = False
    skipped: dict = field(default_factory=dict)


def run_protocol(protocol_class, data, selected, ctx, tag):
    """Tune and evaluate every selected model on ``data``; the protocol's result, JSON-ready.

    ``protocol_class(data, ctx, tag)`` makes the split (see ``protocols``) and
    answers the rest: ``validate(model)`` fits
    a candidate on the inner training part and scores it (higher is better),
    ``evaluate(name, make, params)`` refits the choice on the training part and
    returns its test metrics and seconds, ``line(row)`` prints them.
    """
    protocol = protocol_class(data, ctx, tag)
    results = []
    for name, library, spec, make in models_for(protocol.name, selected, ctx):
        try:
            params, table, tune_s = tune(name, make, spec, ctx, protocol.validate, tag)
            row = {
                "model": name,
                "library": library,
                **protocol.evaluate(name, make, params),
                "params": params,
                "grid": spec_grid(spec, ctx),
                "validation": protocol.validation_table(table),
                "tune_s": tune_s,
            }
            print(
                f"  {tag} {name}: {protocol.line(row)}  [{fmt_params(params)}] "
                f"(tuned in {tune_s:.0f}s)",
                flush=True,
            )
        except Exception as exc:  # a failing model must not end a long run
            row = failed(name, library, exc, tag)
        results.append(row)
    return protocol.result(results, selected)


def models_for(protocol, selected, ctx):
    """``[(name, library, spec, make)]`` for a protocol; prints skipped models.

    ``make(**params)`` returns an adapter. Ours are ``OURS``, or ``DEFAULTS``
    with ``ctx.defaults``.
    """
    found = []
    for name, protocols in (DEFAULTS if ctx.defaults else OURS).items():
        if protocol in protocols and selected(name):
            spec = protocols[protocol]
            found.append((name, "sklearn_rec", spec, _ours_maker(spec, ctx)))
    for name, (module, protocols) in PEERS.items():
        if protocol not in protocols or not selected(name):
            continue
        try:
            importlib.import_module(module)
        except ImportError as exc:
            print(f"  skipped {name}: cannot import {module} ({exc})", flush=True)
            ctx.skipped[name] = f"cannot import {module}: {exc}"
            continue
        spec = protocols[protocol]
        library = getattr(spec.factory, "func", spec.factory).library
        found.append((name, library, spec, partial(spec.factory, ctx)))
    return found


def _ours_maker(spec, ctx):
    def make(**params):
        return Ours(spec.factory(**params), ctx)

    return make


def candidates(spec, quick):
    grid = spec.quick if quick and spec.quick is not None else spec.grid
    expanded = list(ParameterGrid(grid)) if grid else [{}]
    return expanded[:1] if quick and spec.quick is None else expanded


def fmt_params(params):
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "-"


def tune(name, make, spec, ctx, evaluate, prefix):
    """Fit every candidate on the inner split; return the best and the table.

    ``evaluate(model) -> float`` fits and scores one candidate (higher is better).
    A spec with ``tune=False`` is not validated: its one candidate is the choice.
    """
    table = []
    started = time.perf_counter()
    grid = candidates(spec, ctx.quick)
    if not spec.tune:
        return grid[0], table, 0.0
    for params in grid:
        value = evaluate(make(**params))
        table.append({"params": params, "score": value})
        if len(grid) > 1:
            print(f"    {prefix} {name} [{fmt_params(params)}]: {value:.4f}", flush=True)
    best = max(table, key=lambda row: row["score"])
    return best["params"], table, time.perf_counter() - started


def spec_grid(spec, ctx):
    """The grid that was searched, JSON-ready."""
    if ctx.quick and spec.quick is None:
        grid = {k: [v] for k, v in candidates(spec, quick=True)[0].items()}
    else:
        grid = spec.quick if ctx.quick else spec.grid
    return {k: [repr(v) if isinstance(v, tuple) else v for v in vs] for k, vs in grid.items()}


def failed(name, library, exc, tag):
    print(f"  {tag} {name}: FAILED {type(exc).__name__}: {exc}", flush=True)
    traceback.print_exc()
    return {"model": name, "library": library, "error": f"{type(exc).__name__}: {exc}"}
