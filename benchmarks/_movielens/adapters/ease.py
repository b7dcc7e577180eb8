"""EASE (Steck, WWW 2019): written in the harness."""

import numpy as np
from scipy.linalg import lapack

from ._dense import DenseScores


class EASE(DenseScores):
    """EASE^R (Steck, WWW 2019): closed-form item-item model with a zero diagonal.

    ``P = (X^T X + l2 I)^-1``, ``B = I - P / diag(P)`` (so ``B_jj = 0`` and
    ``B_ij = -P_ij / P_jj``), scores ``X_u B``. ``P`` comes from a Cholesky
    factorisation (LAPACK ``potrf`` / ``potri``) in float64.
    """

    library = "harness"

    def __init__(self, ctx, l2=500.0):
        self.l2 = l2

    def fit(self, part):
        seen = self._encode(part)
        gram = (seen.T @ seen).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        factor, info = lapack.dpotrf(gram, lower=False, overwrite_a=True)
        if info:
            raise np.linalg.LinAlgError(f"potrf failed with info={info}")
        inverse, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
        if info:
            raise np.linalg.LinAlgError(f"potri failed with info={info}")
        inverse = np.triu(inverse) + np.triu(inverse, 1).T  # potri fills one triangle
        self.B = inverse / -np.diag(inverse)
        np.fill_diagonal(self.B, 0.0)
        return self

    def score_rows(self, codes):
        return self.seen[codes] @ self.B
