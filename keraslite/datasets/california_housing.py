"""California housing (1990 census block groups): x (N, 8) float32, y (N,) float32 house
values in dollars; 20640 samples ("large") or the first 600 ("small"), shuffled with `seed`
then split as boston_housing is."""
import numpy as np

from keraslite.datasets._files import ORIGIN, fetch, shuffle_split

__all__ = ["load_data"]


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    if version not in ("small", "large"):
        raise ValueError(f"california_housing.load_data: `version` must be 'small' or 'large'; received "
                         f"version={version!r}.")
    path = fetch(path, f"{ORIGIN}california_housing.npz",
                 file_hash="1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    if version == "small":
        x, y = x[:600], y[:600]
    return shuffle_split(x, y, test_split, seed, "california_housing.load_data")
