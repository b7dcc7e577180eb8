"""Type aliases of the public API (for annotations; nothing here runs checks)."""

from typing import Any, TypeAlias

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

#: Interactions: one ``(user, item)`` row each, as an array-like or a DataFrame.
Interactions: TypeAlias = ArrayLike | pd.DataFrame
#: Raw ids: a scalar or a 1-D array-like of them.
Ids: TypeAlias = ArrayLike
#: One target per row (ratings or 0/1 labels), or ``None``.
Target: TypeAlias = ArrayLike | None
#: An array the package returns.
Array: TypeAlias = np.ndarray[Any, Any]
#: ``(item_ids, scores)``, and the fallback mask where asked for.
TopN: TypeAlias = tuple[Array, ...]
