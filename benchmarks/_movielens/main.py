"""The command line of ``benchmarks/movielens.py``."""

import argparse
import json
import os
import re
import sys
import time

from _common import limit_threads, metadata, timed

from . import SEED
from .data import DATASETS
from .harness import Context, run_protocol
from .protocols import PROTOCOLS
from .report import markdown

BENCHMARKS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATASETS = ("100k", "latest-small")


def parse_list(text, allowed=None):
    values = [v.strip() for v in text.split(",") if v.strip()]
    if allowed is not None:
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise SystemExit(f"unknown value(s) {unknown}; expected some of {list(allowed)}")
    return values


def parse_args(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--datasets",
        default=",".join(DEFAULT_DATASETS),
        help=f"comma-separated, among {', '.join(DATASETS)}",
    )
    parser.add_argument("--protocols", default=",".join(PROTOCOLS), help="comma-separated")
    parser.add_argument(
        "--models",
        default=None,
        help="comma-separated, case-insensitive substrings of model names (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="tiny grids: a smoke run")
    parser.add_argument(
        "--defaults",
        action="store_true",
        help="our estimators at their defaults, no grid (DEFAULTS), beside the tuned peers",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--render",
        metavar="JSON",
        help="only rewrite OUT.md from the results in JSON (no run)",
    )
    parser.add_argument(
        "--out",
        default=os.path.join(BENCHMARKS, "results", "movielens"),
        help="output path without suffix: writes OUT.md and OUT.json",
    )
    parser.add_argument(
        "--readme",
        metavar="MARKDOWN",
        help="also write the tables into this file, between the lines "
        "'<!-- BEGIN NAME -->' and '<!-- END NAME -->' (NAME: the file name of OUT)",
    )
    return parser.parse_args()


def main(description):
    args = parse_args(description)
    if args.render:
        with open(args.render) as f:
            report = json.load(f)
        write_markdown(report, args)
        print(f"wrote {args.out}.md")
        return
    datasets = parse_list(args.datasets, DATASETS)
    protocols = parse_list(args.protocols, PROTOCOLS)
    patterns = [p.lower() for p in parse_list(args.models)] if args.models else None

    def selected(name):
        return patterns is None or any(p in name.lower() for p in patterns)

    ctx = Context(threads=args.threads, quick=args.quick, defaults=args.defaults)
    limit_threads(args.threads)
    started = time.perf_counter()
    report = {
        "meta": {
            "command": "python benchmarks/movielens.py " + " ".join(sys.argv[1:]),
            "threads": args.threads,
            "quick": args.quick,
            "defaults": args.defaults,
            **metadata(),
            "seed": SEED,
        },
        "datasets": {},
        "skipped": ctx.skipped,
    }
    for variant in datasets:
        dataset = DATASETS[variant]
        data = dataset.load()
        entry = {
            "title": dataset.title,
            "n_users": int(data.frame["user"].nunique()),
            "n_items": int(data.frame["item"].nunique()),
            "n_ratings": len(data.frame),
            "protocols": {},
        }
        report["datasets"][variant] = entry
        for protocol in protocols:
            tag = f"[{variant} {protocol}]"
            if protocol not in dataset.protocols:
                print(f"{tag} skipped: {variant} supports {', '.join(dataset.protocols)}")
                continue
            print(f"{tag} started", flush=True)
            entry["protocols"][protocol], seconds = timed(
                run_protocol, PROTOCOLS[protocol], data, selected, ctx, tag
            )
            entry["protocols"][protocol]["wall_s"] = seconds
            print(f"{tag} done in {seconds / 60:.1f} min", flush=True)
    report["meta"]["wall_s"] = time.perf_counter() - started
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=1, default=str)
    write_markdown(report, args)
    print(f"wrote {args.out}.md and {args.out}.json ({report['meta']['wall_s'] / 60:.1f} min)")


def write_markdown(report, args):
    text = markdown(report)
    with open(args.out + ".md", "w") as f:
        f.write(text)
    if args.readme:
        name = os.path.basename(args.out)
        replace_block(args.readme, name, demote(text))
        print(f"wrote the {name} block of {args.readme}")


def demote(text):
    """The report without its title, each heading two levels down (a section of a README)."""
    lines = text.splitlines()[1:]
    return "\n".join("##" + line if line.startswith("#") else line for line in lines).strip()


def replace_block(path, name, text):
    """Put ``text`` between the ``BEGIN name`` and ``END name`` comment lines of ``path``."""
    with open(path) as f:
        content = f.read()
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(end), re.DOTALL)
    if not pattern.search(content):
        raise SystemExit(f"{path} has no block '{begin}' ... '{end}' to replace")
    with open(path, "w") as f:
        f.write(pattern.sub(lambda _: f"{begin}\n{text}\n{end}", content))
