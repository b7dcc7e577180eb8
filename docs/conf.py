"""Sphinx configuration of the sklearn-rec documentation."""

import os
import sys
from pathlib import Path

import torch
from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx_gallery.sorting import ExplicitOrder
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sklearn_rec  # noqa: E402

# The gallery reads MovieLens from SKLEARN_REC_DATA. Without it, use the
# shared copy beside the checkout when there is one (as the tests do), so that
# a build does not download; else fetch_movielens downloads into its data home.
_shared_data = ROOT.parent / "shared" / "data"
if "SKLEARN_REC_DATA" not in os.environ and (_shared_data / "ml-100k").is_dir():
    os.environ["SKLEARN_REC_DATA"] = str(_shared_data)

# The gallery models are small: one thread loses little on an idle machine,
# while one thread per core made them 10-20x slower on a 2-core machine shared
# with other busy processes. SKLEARN_REC_DOCS_THREADS overrides it; the limit
# covers torch and the OpenMP and BLAS pools (t-SNE, PCA).
_threads = int(os.environ.get("SKLEARN_REC_DOCS_THREADS", "1"))
torch.set_num_threads(_threads)
threadpool_limits(_threads)

project = "sklearn-rec"
copyright = "sklearn-rec developers, BSD 3-Clause licence"
version = release = sklearn_rec.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]
default_role = "literal"

# -- autodoc, autosummary, numpydoc --------------------------------------------
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- sphinx-gallery --------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # From evaluation to tuning to inspecting a model; new examples go last.
    "within_subsection_order": ExplicitOrder(
        [
            "plot_metrics_at_k.py",
            "plot_learning_curves.py",
            "plot_grid_search.py",
            "plot_item_embeddings.py",
            "plot_cold_start.py",
            "*",
        ]
    ),
    "doc_module": ("sklearn_rec",),
    "reference_url": {"sklearn_rec": None},
    "backreferences_dir": None,
    "download_all_examples": False,
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "min_reported_time": 1,
    # The examples print what they show; no repr of a cell's last expression.
    "capture_repr": (),
}

# -- HTML --------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-rec {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    # Not on the API pages (generated/), which have one heading each.
    "secondary_sidebar_items": {
        pattern: ["page-toc"]
        for pattern in ("index", "api", "benchmarks", "user_guide/*", "auto_examples/*")
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
# The gallery pages get the width of the left sidebar for their code.
html_sidebars = {"index": [], "benchmarks": [], "auto_examples/*": []}
myst_heading_anchors = 3


class MetricNamesAreNotEmail(SphinxTransform):
    """Undo the e-mail links docutils makes of metric names such as NDCG@10."""

    default_priority = 500

    def apply(self, **kwargs):
        for ref in list(self.document.findall(nodes.reference)):
            uri = ref.get("refuri", "")
            if uri.startswith("mailto:") and "." not in uri:
                ref.replace_self(nodes.Text(ref.astext()))


def setup(app):
    app.add_transform(MetricNamesAreNotEmail)
