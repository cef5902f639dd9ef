"""Run time of scikit-learn's roc_auc_score over bootstrap resamples and of
scipy.stats.mannwhitneyu at n = 100,000, the reference figures for raydino-bench's
statistics benchmark (benches/statistics.rs).

Builds the same data as the Rust benchmark from the same integer rules, so both time the
same input, and prints the AUROC on all samples as a check. Each resample is drawn with
NumPy (plain: n sample indices; patient-level: as many patients as there are, with all
their images), then scored with roc_auc_score. Only the draws differ from Rust's.

Environment: BENCH_RESAMPLES (default 1000), BENCH_REPEATS (runs of the Mann-Whitney
test, the median is printed, default 20).
"""

import os
import time

import numpy as np
import scipy
import sklearn
from scipy.stats import mannwhitneyu
from sklearn.metrics import roc_auc_score

SAMPLES = 100_000
IMAGES_PER_PATIENT = 3
RESAMPLES = int(os.environ.get("BENCH_RESAMPLES", "1000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))


def benchmark_data() -> tuple[np.ndarray, np.ndarray]:
    """Return labels and scores built by the integer rules of benches/statistics.rs."""
    i = np.arange(SAMPLES, dtype=np.int64)
    labels = (i * 7919) % 10007 < 3002
    scores = ((i * 104729) % 1000003).astype(float) / 1000003.0 + np.where(labels, 0.25, 0.0)
    return labels, scores


def patient_resample(rng: np.random.Generator, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Return the image indices of one patient-level resample, vectorised in NumPy."""
    drawn = rng.integers(0, len(starts), size=len(starts))
    lengths = sizes[drawn]
    # Image j of the k-th drawn patient is starts[drawn[k]] + j.
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts[drawn], lengths) + np.arange(lengths.sum()) - offsets


def time_bootstrap(labels: np.ndarray, scores: np.ndarray, draw) -> tuple[float, float, float]:
    """Return seconds for RESAMPLES resamples and the 2.5% and 97.5% quantiles."""
    rng = np.random.default_rng(2025)
    values = np.empty(RESAMPLES)
    start = time.perf_counter()
    for resample in range(RESAMPLES):
        indices = draw(rng)
        values[resample] = roc_auc_score(labels[indices], scores[indices])
    seconds = time.perf_counter() - start
    low, high = np.quantile(values, [0.025, 0.975])
    return seconds, float(low), float(high)


def main() -> None:
    labels, scores = benchmark_data()
    print(
        f"scikit-learn {sklearn.__version__}, SciPy {scipy.__version__}, NumPy {np.__version__}: "
        f"n = {SAMPLES} ({labels.sum()} positives), {RESAMPLES} resamples, one thread"
    )
    print(f"  AUROC on all samples: {roc_auc_score(labels, scores):.12f}")

    starts = np.arange(0, SAMPLES, IMAGES_PER_PATIENT)
    sizes = np.minimum(IMAGES_PER_PATIENT, SAMPLES - starts)
    draws = {
        "plain": lambda rng: rng.integers(0, SAMPLES, size=SAMPLES),
        "patient-level": lambda rng: patient_resample(rng, starts, sizes),
    }
    for name, draw in draws.items():
        seconds, low, high = time_bootstrap(labels, scores, draw)
        print(
            f"  {name} bootstrap, roc_auc_score in a loop: {seconds:.3f} s "
            f"({seconds * 1e3 / RESAMPLES:.3f} ms per resample), interval [{low:.6f}, {high:.6f}]"
        )

    x = scores[labels]
    y = scores[~labels]
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = mannwhitneyu(x, y, alternative="two-sided", method="auto")
        times.append(time.perf_counter() - start)
    print(
        f"  Mann-Whitney U, n1 = {len(x)}, n2 = {len(y)}: {np.median(times) * 1e3:.3f} ms "
        f"(U = {result.statistic}, p = {result.pvalue:e})"
    )


if __name__ == "__main__":
    main()
