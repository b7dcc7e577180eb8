"""``python -m sklearn_rec``: see :mod:`sklearn_rec.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
