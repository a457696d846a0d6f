"""A/B of fit alone: keraslite and the tuned torch loop alternate one epoch each for N rounds;
prints both medians and the median and range of the per-round ratio (keraslite / tuned).
Neighbouring runs share the machine's state, so the per-round ratio is steadier than the
ratio of two bests on a noisy machine.

Usage: python benchmarks/ab_fit.py lstm 1024 10
"""
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.fit_speed import as_torch_runs, keraslite_fit, make_data, tuned_torch_fit  # noqa: E402


def main():
    name, n, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    device = torch.device(sys.argv[4] if len(sys.argv) > 4 else "cpu")
    x, y = make_data(name, n)
    tuned, lite = [], []
    for _ in range(reps):
        tuned.append(as_torch_runs(tuned_torch_fit, name, x, y, 1, device))
        lite.append(keraslite_fit(name, x, y, 1, device))
    ratios = [k / t for k, t in zip(lite, tuned)]
    print(f"{name}: tuned median {statistics.median(tuned):,.0f} samples/s, keraslite median "
          f"{statistics.median(lite):,.0f}, ratio median {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f})")


if __name__ == "__main__":
    main()
