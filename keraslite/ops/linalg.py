"""`keras.ops.linalg`: matrix decompositions, inverses, solvers, norms and determinants on
(batches of) matrices, as on Keras's torch backend. Each function is also a top-level
`keraslite.ops` name, as in Keras.
"""
import torch

from keraslite import backend
from keraslite.ops import _op, _t
from keraslite.ops import norm

__all__ = [
    "cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "jvp", "lstsq", "lu_factor", "matrix_rank", "norm",
    "pinv", "qr", "solve", "solve_triangular", "svd",
]


def _matrix(x, op, square=False):
    """A float tensor of rank >= 2 (square in its last two axes when asked)."""
    x = _t(x)
    if not (x.is_floating_point() or x.is_complex()):
        x = x.to(backend.torch_dtype(backend.floatx()))
    if x.dim() < 2:
        raise ValueError(f"ops.{op} expects a tensor of rank >= 2 (a matrix or a batch of matrices); received shape "
                         f"{tuple(x.shape)}.")
    if square and x.shape[-1] != x.shape[-2]:
        raise ValueError(f"ops.{op} expects square matrices in the last two axes; received shape {tuple(x.shape)}.")
    return x


@_op
def cholesky(x, upper=False):
    return torch.linalg.cholesky(_matrix(x, "cholesky", True), upper=upper)


@_op
def cholesky_inverse(x, upper=False):
    return torch.cholesky_inverse(_matrix(x, "cholesky_inverse", True), upper=upper)


@_op
def det(x):
    return torch.linalg.det(_matrix(x, "det", True))


@_op
def eig(x):
    return torch.linalg.eig(_matrix(x, "eig", True))


@_op
def eigh(x):
    return torch.linalg.eigh(_matrix(x, "eigh", True))


@_op
def inv(x):
    return torch.linalg.inv(_matrix(x, "inv", True))


@_op
def lu_factor(x):
    """(LU, pivots): pivots 0-based, as in numpy/scipy (torch counts from 1)."""
    lu, pivots = torch.linalg.lu_factor(_matrix(x, "lu_factor"))
    return lu, (pivots - 1).to(torch.int32)


@_op
def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"ops.qr: `mode` must be 'reduced' or 'complete'; received mode={mode!r}.")
    return torch.linalg.qr(_matrix(x, "qr"), mode=mode)


def _operands(a, b, op):
    a = _matrix(a, op, True)
    b = _t(b)
    b = b.to(device=a.device, dtype=a.dtype)
    return a, b


@_op
def solve(a, b):
    a, b = _operands(a, b, "solve")
    return torch.linalg.solve(a, b)


@_op
def solve_triangular(a, b, lower=False):
    a, b = _operands(a, b, "solve_triangular")
    if b.dim() == a.dim() - 1:
        return torch.linalg.solve_triangular(a, b.unsqueeze(-1), upper=not lower).squeeze(-1)
    return torch.linalg.solve_triangular(a, b, upper=not lower)


@_op
def svd(x, full_matrices=True, compute_uv=True):
    x = _matrix(x, "svd")
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return torch.linalg.svd(x, full_matrices=full_matrices)


@_op
def lstsq(a, b, rcond=None):
    a = _matrix(a, "lstsq")
    b = _t(b).to(device=a.device, dtype=a.dtype)
    vector = b.dim() == 1
    if vector:
        b = b.unsqueeze(-1)
    if rcond is None:
        out = torch.linalg.lstsq(a, b).solution
    elif a.device.type == "cpu":
        out = torch.linalg.lstsq(a, b, rcond=rcond, driver="gelsd").solution
    else:
        out = torch.linalg.pinv(a, rtol=rcond) @ b
    return out.squeeze(-1) if vector else out


@_op
def matrix_rank(x, tol=None):
    return torch.linalg.matrix_rank(_matrix(x, "matrix_rank"), atol=tol).to(torch.int32)


@_op
def pinv(x, rcond=None):
    return torch.linalg.pinv(_matrix(x, "pinv"), rtol=rcond)


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), J(primals) @ tangents), plus fun's auxiliary output when `has_aux`."""
    primals = tuple(_t(p) for p in primals)
    tangents = tuple(_t(t) for t in tangents)
    return torch.func.jvp(fun, primals, tangents, has_aux=has_aux)
