"""Boston housing prices: x (N, 13) float64, y (N,) float64, shuffled with `seed` then split."""
import numpy as np

from keraslite.datasets._files import ORIGIN, fetch, shuffle_split

__all__ = ["load_data"]


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    path = fetch(path, f"{ORIGIN}boston_housing.npz",
                 file_hash="f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5")
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return shuffle_split(x, y, test_split, seed, "boston_housing.load_data")
