"""The Markdown report of a run, from its JSON-ready results."""

import json

from .harness import fmt_params


def cell(value, digits=4):
    return "" if value is None else f"{value:.{digits}f}"


def markdown(report):
    meta = report["meta"]
    lines = [
        "# MovieLens benchmark",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Threads: {meta['threads']}; machine: {meta['machine']}; commit: {meta['commit']}; "
        f"wall time: {meta['wall_s'] / 60:.1f} min{'; QUICK RUN' if meta['quick'] else ''}.",
        "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v) + ".",
        "",
    ]
    if report["skipped"]:
        lines += ["Skipped: " + "; ".join(f"{k} ({v})" for k, v in report["skipped"].items()), ""]
    if meta.get("defaults"):
        lines += [
            "Ours at their defaults (`DEFAULTS`: no grid, no validation fit), beside the "
            "peers tuned as usual.",
            "",
        ]
    for variant, dataset in report["datasets"].items():
        lines += [
            f"## {dataset.get('title', f'ml-{variant}')}: {dataset['n_users']:,} users, "
            f"{dataset['n_items']:,} items, "
            f"{dataset['n_ratings']:,} ratings",
            "",
        ]
        protocols = dataset["protocols"]
        if "ratings" in protocols:
            lines += ratings_markdown(protocols["ratings"])
        if "topn" in protocols:
            lines += topn_markdown(protocols["topn"])
        if "loo" in protocols:
            lines += loo_markdown(protocols["loo"])
    return "\n".join(lines) + "\n"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |"]
    out.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(header))) + "|")
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return [*out, ""]


def model_table(models, columns, key):
    """The table of the models that ran, sorted by ``key``: model, library, then ``columns``.

    ``columns``: ``(header, field, digits)`` of each further column; a field
    missing from a row (results written before the column existed) is blank.
    """
    rows = [
        [r["model"], r["library"], *(cell(r.get(field), digits) for _, field, digits in columns)]
        for r in sorted((r for r in models if "error" not in r), key=key)
    ]
    return table(["model", "library", *(header for header, _, _ in columns)], rows)


def grid_edges(params, grid):
    """Numeric parameters of 3 or more values chosen at the smallest or largest of them."""
    edges = []
    for name, values in grid.items():
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) > 2 and params.get(name) in (min(numbers), max(numbers)):
            edges.append(name)
    return edges


def choices_markdown(models):
    rows = [
        [
            r["model"],
            f"`{fmt_params(r['params'])}`",
            ", ".join(grid_edges(r["params"], r["grid"])) or "-",
            f"`{json.dumps(r['grid'])}`",
        ]
        for r in models
        if "error" not in r
    ]
    out = [
        "Chosen parameters (`at edge`: a parameter with 3 or more values in the grid chosen at "
        "its smallest or largest; fixed settings are in `OURS` / `PEERS`):",
        "",
        "| model | chosen | at edge | grid |",
        "|---|---|---|---|",
    ]
    return out + ["| " + " | ".join(row) + " |" for row in rows] + [""]


def errors_markdown(models):
    errors = [f"- {r['model']}: failed, {r['error']}" for r in models if "error" in r]
    return [*errors, ""] if errors else []


def ratings_markdown(result):
    lines = [
        "### Ratings: 5-fold CV",
        "",
        f"Split: {result['split']}. Tuning: {result['tuning']}. Predictions clipped to "
        f"{result['scale']}. Mean (std) over the folds; fit and predict seconds per fold.",
        "",
    ]
    rows = [
        [
            r["model"],
            r["library"],
            f"{r['rmse']:.4f} ({r['rmse_std']:.4f})",
            f"{r['mae']:.4f} ({r['mae_std']:.4f})",
            cell(r["fit_s"], 2),
            cell(r["predict_s"], 2),
        ]
        for r in sorted((r for r in result["models"] if "error" not in r), key=lambda r: r["rmse"])
    ]
    lines += table(["model", "library", "RMSE", "MAE", "fit s", "predict s"], rows)
    lines += errors_markdown(result["models"]) + choices_markdown(result["models"])
    comparison = result.get("svd_comparison")
    if comparison and "skipped" not in comparison:
        svd, ours = comparison["Surprise SVD()"], comparison["MF mse (fast)"]
        params = ", ".join(f"{k}={v}" for k, v in comparison["ours_params"].items())
        lines += [
            "Surprise `SVD()` (default settings) against `MatrixFactorization("
            f"{params})` on the same folds (fit seconds: mean per fold; ratio: ours / SVD):",
            "",
        ]
        lines += table(
            ["model", "setting", "RMSE", "MAE", "fit s"],
            [
                [
                    "Surprise SVD()",
                    "defaults",
                    cell(svd["rmse"]),
                    cell(svd["mae"]),
                    cell(svd["fit_s"], 2),
                ],
                [
                    "MatrixFactorization",
                    "mse, fast",
                    cell(ours["rmse"]),
                    cell(ours["mae"]),
                    cell(ours["fit_s"], 2),
                ],
                [
                    "ratio",
                    "ours / SVD",
                    cell(comparison["rmse_ratio"], 3),
                    "",
                    cell(comparison["fit_ratio"], 2),
                ],
            ],
        )
    return lines


def topn_markdown(result):
    lines = [
        "### Top-10, whole catalogue",
        "",
        f"Split: {result['split']} ({result['n_train']:,} training and {result['n_test']:,} "
        f"test interactions, {result['n_test_users']:,} test users, {result['n_items']:,} "
        f"items). Tuning: {result['tuning']}. `coverage`: share of the training items in any "
        "top-10 list; `novelty`: mean self-information -log2 p(i) of the listed items, p(i) "
        "the share of training users who interacted with i, in bits, averaged per list then "
        "over users. `rec s`: top-10 lists for all test users.",
        "",
    ]
    lines += model_table(
        result["models"],
        [
            ("NDCG@10", "ndcg", 4),
            ("P@10", "precision", 4),
            ("R@10", "recall", 4),
            ("MAP@10", "map", 4),
            ("HR@10", "hit_rate", 4),
            ("coverage", "coverage", 3),
            ("novelty", "novelty", 2),
            ("fit s", "fit_s", 1),
            ("rec s", "recommend_s", 2),
        ],
        key=lambda r: -r["ndcg"],
    )
    return lines + errors_markdown(result["models"]) + choices_markdown(result["models"])


def loo_markdown(result):
    lines = [
        "### Leave-one-out, 99 sampled negatives (NCF protocol)",
        "",
        f"Split: {result['split']} ({result['n_test_users']:,} test users). Tuning: "
        f"{result['tuning']}. `score s`: scoring the 100 candidates of every test user.",
        "",
    ]
    lines += model_table(
        result["models"],
        [
            ("HR@10", "hit_rate", 4),
            ("NDCG@10", "ndcg", 4),
            ("fit s", "fit_s", 1),
            ("score s", "score_s", 2),
        ],
        key=lambda r: -r["hit_rate"],
    )
    return lines + errors_markdown(result["models"]) + choices_markdown(result["models"])
