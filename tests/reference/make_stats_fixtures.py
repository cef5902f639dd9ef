"""Write tests/fixtures/stats.json: seeded inputs for src/stats with reference results.

src/stats/reference_tests.rs checks the Rust functions against this file:

- mann_whitney: scipy.stats.mannwhitneyu for every alternative and method.
- mann_whitney_generated: the same for samples too large to store, built from integer
  formulas that Python and Rust evaluate identically.
- delong: an O(m n) NumPy implementation of the structural components of DeLong,
  DeLong & Clarke-Pearson (1988), independent of the midrank algorithm in Rust.
- correction: Holm and Benjamini-Hochberg adjusted p-values. statsmodels is not installed,
  so the reference is a plain-Python transcription of the formulas of
  statsmodels.stats.multitest.multipletests (method="holm" and "fdr_bh"). The BH values
  are also checked against scipy.stats.false_discovery_control.
- bca_acceleration: the jackknife acceleration over patients, computed with NumPy loops.
- bca_scipy: scipy.stats.bootstrap(method="BCa") given a stored bootstrap distribution,
  so that Rust can recompute the same interval from the same replicates.
- seeds: the summary of a metric over training seeds: numpy.mean, numpy.std(ddof=1) and
  scipy.stats.t.interval of the defined values. A null value is a seed whose metric is
  undefined.

A null result means that the Rust function must return `Undefined`. The note beside it
records what the reference did. JSON has no infinities or NaN, so sample values are
numbers or one of the strings "inf", "-inf" and "nan".

Run from the repository root:

    .venv/bin/python tests/reference/make_stats_fixtures.py
"""

from __future__ import annotations

import json
import math
import platform
import warnings
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import scipy
import sklearn
from scipy.stats import bootstrap, false_discovery_control, mannwhitneyu, norm, t
from sklearn.metrics import roc_auc_score

SEED = 20250214
OUTPUT = Path(__file__).resolve().parents[1] / "fixtures" / "stats.json"
MAX_OUTPUT_BYTES = 300_000
# SciPy's exact Mann-Whitney distribution takes O((n1 n2)^2) time, so larger cases store
# no exact p-value.
MAX_EXACT_PRODUCT = 50_000
# Auto chooses the exact test when a sample has at most this many values and there are
# no ties (scipy.stats.mannwhitneyu documentation, SciPy 1.17).
AUTO_EXACT_MAX_SIZE = 8
ALTERNATIVES = ["two-sided", "less", "greater"]
METHODS = ["auto", "exact", "asymptotic"]


def encode_values(values: np.ndarray) -> list:
    """Return values as JSON numbers, with infinities and NaN as strings."""
    encoded = []
    for value in values.tolist():
        if math.isnan(value):
            encoded.append("nan")
        elif math.isinf(value):
            encoded.append("inf" if value > 0 else "-inf")
        else:
            encoded.append(value)
    return encoded


def null_counts(k: int, n1: int, n2: int) -> tuple[list[int], int]:
    """Return the number of arrangements with U = 0..k without ties, and their total.

    The counts are the coefficients of the Gaussian binomial [n1 + n2 choose m]_q,
    m = min(n1, n2), built as the product of (1 - q^(n + i)) / (1 - q^i) in exact integers.
    """
    smaller, larger = min(n1, n2), max(n1, n2)
    counts = [0] * (k + 1)
    counts[0] = 1
    for i in range(1, smaller + 1):
        end = min(k, i * larger)
        for u in range(end, larger + i - 1, -1):
            counts[u] -= counts[u - larger - i]
        for u in range(i, end + 1):
            counts[u] += counts[u - i]
    return counts, math.comb(n1 + n2, smaller)


def exact_p_value(statistic: float, n1: int, n2: int, alternative: str) -> float:
    """Return SciPy's exact p-value, computed in rational arithmetic.

    Like SciPy, U is truncated to an integer k and the p-value is P(U >= k), doubled for
    the two-sided test and capped at 1.
    """
    u1 = statistic
    u2 = n1 * n2 - u1
    u = {"greater": u1, "less": u2, "two-sided": max(u1, u2)}[alternative]
    k = int(u)
    complement = n1 * n2 - k
    if k <= complement:
        counts, total = null_counts(k - 1, n1, n2) if k > 0 else ([], 1)
        survival = 1 - Fraction(sum(counts), total)
    else:
        counts, total = null_counts(complement, n1, n2)
        survival = Fraction(sum(counts), total)
    factor = 2 if alternative == "two-sided" else 1
    return float(min(factor * survival, Fraction(1)))


def mann_whitney_results(x: np.ndarray, y: np.ndarray) -> list[dict]:
    """Return one entry per alternative and method: SciPy's statistic and p-value.

    Every exact p-value of SciPy is also checked against `exact_p_value`.
    """
    results = []
    for alternative in ALTERNATIVES:
        for method in METHODS:
            entry: dict = {"alternative": alternative, "method": method}
            if method == "exact" and len(x) * len(y) > MAX_EXACT_PRODUCT:
                continue
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = mannwhitneyu(x, y, alternative=alternative, method=method)
            if np.isnan(result.pvalue):
                messages = "; ".join(dict.fromkeys(str(warning.message) for warning in caught))
                entry["expected"] = None
                entry["note"] = f"SciPy returns NaN ({messages or 'no warning'})"
            else:
                entry["expected"] = {
                    "statistic": float(result.statistic),
                    "p_value": float(result.pvalue),
                }
                if method == "exact":
                    rational = exact_p_value(float(result.statistic), len(x), len(y), alternative)
                    assert math.isclose(result.pvalue, rational, rel_tol=1e-12, abs_tol=1e-300), (
                        f"SciPy exact p-value {result.pvalue} differs from the rational {rational}"
                    )
            results.append(entry)
    return results


def auto_method(x: np.ndarray, y: np.ndarray) -> str | None:
    """Return the method that SciPy's documented auto rule chooses, or None if undefined."""
    if len(x) == 0 or len(y) == 0 or np.isnan(x).any() or np.isnan(y).any():
        return None
    small = len(x) <= AUTO_EXACT_MAX_SIZE or len(y) <= AUTO_EXACT_MAX_SIZE
    combined = np.concatenate([x, y])
    has_ties = len(np.unique(combined)) < len(combined)
    return "exact" if small and not has_ties else "asymptotic"


def mann_whitney_cases(rng: np.random.Generator) -> list[dict]:
    inputs = []
    for n1, n2 in [(1, 1), (1, 6), (2, 3), (3, 4), (5, 8), (8, 8), (4, 30), (8, 120),
                   (9, 9), (10, 12), (25, 40), (100, 80), (150, 200), (2, 3000), (500, 700),
                   (2000, 1500)]:
        x = np.round(rng.normal(loc=0.3, size=n1), 4)
        y = np.round(rng.normal(size=n2), 4)
        inputs.append((f"normal n1={n1} n2={n2}", x, y))
    for n1, n2 in [(4, 5), (7, 9), (30, 25), (400, 600)]:
        x = rng.integers(0, 5, size=n1).astype(float)
        y = rng.integers(1, 6, size=n2).astype(float)
        inputs.append((f"integer ties n1={n1} n2={n2}", x, y))
    x = np.round(rng.normal(loc=4.0, size=60), 3)
    y = np.round(rng.normal(size=70), 3)
    inputs.append(("strong shift n1=60 n2=70", x, y))
    x = np.round(rng.normal(loc=-9.0, size=1200), 4)
    inputs.append(("p-value underflow scale n1=1200 n2=900", x, np.round(rng.normal(size=900), 4)))
    inputs.append(("x below y, exact, n1=6 n2=7", np.arange(6.0), np.arange(6.0, 13.0)))
    inputs.append(("half-integer U, exact forced", np.array([1.0, 2.0, 2.0, 3.0]), np.array([2.0, 3.0, 5.0])))
    inputs.append(("all values equal n1=3 n2=2", np.ones(3), np.ones(2)))
    inputs.append(("all values equal n1=40 n2=50", np.full(40, 0.25), np.full(50, 0.25)))
    inputs.append(("single values equal", np.array([1.0]), np.array([1.0])))
    inputs.append(("single values x below y", np.array([1.0]), np.array([2.0])))
    inputs.append(("negative zero ties zero", np.array([0.0, 1.0, -0.0]), np.array([-0.0, 2.0, 0.0, 3.0])))
    inputs.append(("infinities", np.array([np.inf, 1.0, -np.inf]), np.array([-np.inf, 2.0, 0.5])))
    inputs.append(("empty x", np.array([]), np.array([1.0, 2.0])))
    inputs.append(("empty y", np.array([0.5]), np.array([])))
    inputs.append(("NaN in y", np.array([0.5, 1.5]), np.array([1.0, np.nan])))

    cases = []
    for name, x, y in inputs:
        cases.append({
            "name": name,
            "x": encode_values(x),
            "y": encode_values(y),
            "auto_method": auto_method(x, y),
            "results": mann_whitney_results(x, y),
        })
    return cases


def generated_samples(rule: dict) -> np.ndarray:
    """Return the sample ((i * multiplier) mod modulus + offset) / divisor, i = 0..size-1.

    Every step is exact in integers or a single correctly rounded float division, so Rust
    reproduces the values bit for bit.
    """
    indices = np.arange(rule["size"], dtype=np.int64)
    integers = (indices * rule["multiplier"]) % rule["modulus"] + rule["offset"]
    return integers.astype(float) / rule["divisor"]


def mann_whitney_generated_cases() -> list[dict]:
    specs = [
        ("heavy ties n1=60000 n2=40000",
         {"size": 60000, "multiplier": 7919, "modulus": 10007, "offset": 0, "divisor": 1},
         {"size": 40000, "multiplier": 104729, "modulus": 10009, "offset": 3, "divisor": 1}),
        ("few ties n1=50000 n2=50000",
         {"size": 50000, "multiplier": 7919, "modulus": 1000003, "offset": 0, "divisor": 7},
         {"size": 50000, "multiplier": 15485863, "modulus": 999983, "offset": 1500, "divisor": 7}),
    ]
    cases = []
    for name, x_rule, y_rule in specs:
        x = generated_samples(x_rule)
        y = generated_samples(y_rule)
        cases.append({
            "name": name,
            "x_rule": x_rule,
            "y_rule": y_rule,
            "x_sum": float(x.sum()),
            "y_sum": float(y.sum()),
            "results": mann_whitney_results(x, y),
        })
    return cases


def delong_reference(labels: np.ndarray, scores_a: np.ndarray, scores_b: np.ndarray) -> dict:
    """Return AUCs, variances, covariance, z and p from DeLong's structural components.

    Each positive's component is the mean over negatives of psi(positive, negative), each
    negative's the mean over positives, where psi is 1 above, 1/2 tied and 0 below. The
    covariance matrix is S10 / m + S01 / n with sample covariances (ddof=1).
    """
    positives = labels
    negatives = ~labels
    components_10 = []
    components_01 = []
    aucs = []
    for scores in (scores_a, scores_b):
        above = scores[positives][:, None] > scores[negatives][None, :]
        tied = scores[positives][:, None] == scores[negatives][None, :]
        psi = above + 0.5 * tied
        components_10.append(psi.mean(axis=1))
        components_01.append(psi.mean(axis=0))
        aucs.append(psi.mean())
    m = positives.sum()
    n = negatives.sum()
    covariance = np.cov(np.vstack(components_10)) / m + np.cov(np.vstack(components_01)) / n
    variance_of_difference = covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1]
    result = {
        "auc_a": float(aucs[0]),
        "auc_b": float(aucs[1]),
        "variance_a": float(covariance[0, 0]),
        "variance_b": float(covariance[1, 1]),
        "covariance": float(covariance[0, 1]),
    }
    for auc, scores in zip(aucs, (scores_a, scores_b)):
        assert abs(auc - roc_auc_score(labels, scores)) < 1e-12, "AUC differs from scikit-learn"
    if variance_of_difference > 1e-15 * (covariance[0, 0] + covariance[1, 1]):
        z = (aucs[0] - aucs[1]) / np.sqrt(variance_of_difference)
        result["z"] = float(z)
        result["p_value"] = float(2 * norm.sf(abs(z)))
    else:
        result["z"] = None
        result["p_value"] = None
    return result


def delong_interval_reference(variance: float, auc: float, confidence: float) -> dict:
    """Return the interval of pROC's ci.auc(method = "delong"): normal quantiles, clipped."""
    tail = (1 - confidence) / 2
    if variance == 0:
        # norm.ppf returns NaN for scale=0. R's qnorm with sd = 0 is a point mass at the
        # mean (R documentation of Normal), so pROC returns the AUC as both bounds.
        lower = upper = auc
    else:
        lower, upper = norm.ppf([tail, 1 - tail], loc=auc, scale=np.sqrt(variance))
    return {
        "confidence": confidence,
        "auc": auc,
        "lower": float(min(max(lower, 0.0), 1.0)),
        "upper": float(min(max(upper, 0.0), 1.0)),
    }


def delong_cases(rng: np.random.Generator) -> list[dict]:
    inputs = []
    for size in [4, 10, 30, 100, 500, 1000, 3000]:
        labels = rng.random(size) < 0.4
        labels[:2] = True
        labels[2:4] = False
        latent = rng.normal(size=size) + 1.0 * labels
        scores_a = np.round(latent + 0.7 * rng.normal(size=size), 4)
        scores_b = np.round(latent + 1.2 * rng.normal(size=size) + 0.3 * labels, 4)
        inputs.append((f"correlated models n={size}", labels, scores_a, scores_b))
    labels = rng.random(400) < 0.5
    labels[:4] = [True, True, False, False]
    inputs.append(("integer scores with ties n=400", labels,
                   np.round(rng.normal(size=400) + labels, 0), np.round(rng.normal(size=400) + 0.5 * labels, 0)))
    labels = rng.random(200) < 0.3
    labels[:4] = [True, True, False, False]
    scores = np.round(rng.normal(size=200) + labels, 4)
    inputs.append(("independent models n=200", labels, scores, np.round(rng.normal(size=200) + labels, 4)))
    inputs.append(("identical scores n=200", labels, scores, scores.copy()))
    inputs.append(("monotone transform n=200", labels, scores, np.round(np.exp(scores), 10)))
    labels = np.arange(60) < 25
    separated = np.round(np.where(labels, 1.0, 0.0) + rng.random(60) * 0.9, 4)
    inputs.append(("model a separates perfectly n=60", labels, separated, np.round(rng.normal(size=60) + labels, 4)))
    inputs.append(("both separate perfectly n=60", labels, separated, np.round(separated * 3.0 - 1.0, 4)))
    labels = np.array([True, False, False, False, False])
    inputs.append(("one positive", labels, np.array([0.9, 0.1, 0.4, 0.3, 0.2]), np.array([0.5, 0.6, 0.1, 0.2, 0.3])))

    cases = []
    for name, labels, scores_a, scores_b in inputs:
        case: dict = {
            "name": name,
            "labels": labels.astype(int).tolist(),
            "scores_a": scores_a.tolist(),
            "scores_b": scores_b.tolist(),
        }
        if labels.sum() < 2 or (~labels).sum() < 2:
            case["test"] = None
            case["interval_a"] = None
            case["note"] = "fewer than 2 positives or negatives: sample covariances need ddof=1"
        else:
            reference = delong_reference(labels, scores_a, scores_b)
            if reference["z"] is None:
                case["test"] = None
                case["note"] = "zero variance of the AUC difference: z is 0/0 or x/0"
            else:
                case["test"] = reference
            case["interval_a"] = [
                delong_interval_reference(reference["variance_a"], reference["auc_a"], confidence)
                for confidence in (0.95, 0.8)
            ]
        cases.append(case)
    return cases


def holm_reference(p_values: list[float]) -> list[float]:
    """Holm adjustment as statsmodels' multipletests(method="holm") computes it."""
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    tests = len(p_values)
    adjusted = [0.0] * tests
    running_max = 0.0
    for position, index in enumerate(order):
        running_max = max(running_max, p_values[index] * (tests - position))
        adjusted[index] = min(running_max, 1.0)
    return adjusted


def benjamini_hochberg_reference(p_values: list[float]) -> list[float]:
    """BH adjustment as statsmodels' multipletests(method="fdr_bh") computes it."""
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    tests = len(p_values)
    adjusted = [0.0] * tests
    running_min = math.inf
    for position in reversed(range(tests)):
        index = order[position]
        running_min = min(running_min, p_values[index] / ((position + 1) / tests))
        adjusted[index] = min(running_min, 1.0)
    return adjusted


def correction_cases(rng: np.random.Generator) -> list[dict]:
    inputs = []
    for size in [1, 2, 5, 20, 100, 300]:
        p_values = rng.random(size) ** 3
        inputs.append((f"uniform cubed n={size}", p_values))
    inputs.append(("ties", np.array([0.01, 0.04, 0.04, 0.2, 0.01, 0.5, 0.04])))
    inputs.append(("zeros and ones", np.array([0.0, 1.0, 0.3, 0.0, 1.0])))
    inputs.append(("tiny p-values", np.array([1e-300, 5e-12, 3e-200, 0.049, 2e-8])))
    inputs.append(("all large", np.array([0.6, 0.7, 0.8, 0.9])))

    cases = []
    for name, p_values in inputs:
        values = p_values.tolist()
        bh = benjamini_hochberg_reference(values)
        scipy_bh = false_discovery_control(p_values, method="bh")
        assert np.allclose(bh, scipy_bh, rtol=1e-12, atol=0), f"{name}: SciPy BH differs"
        cases.append({"name": name, "p_values": values, "holm": holm_reference(values), "fdr_bh": bh})
    cases.append({"name": "empty", "p_values": [], "holm": [], "fdr_bh": []})
    for name, bad in [("NaN p-value", [0.2, "nan"]), ("p-value above 1", [0.2, 1.5]), ("negative p-value", [-0.1])]:
        cases.append({"name": name, "p_values": bad, "holm": None, "fdr_bh": None})
    return cases


def jackknife_acceleration(clusters: np.ndarray, statistic) -> float:
    """Leave-one-patient-out acceleration: sum(d^3) / (6 sum(d^2)^1.5), d = mean - theta_i."""
    patients = list(dict.fromkeys(clusters.tolist()))
    values = []
    for patient in patients:
        keep = np.flatnonzero(clusters != patient)
        values.append(statistic(keep))
    values = np.array(values)
    deviations = values.mean() - values
    return float((deviations**3).sum() / (6 * (deviations**2).sum() ** 1.5))


def bca_acceleration_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    values = np.round(rng.exponential(size=25), 4)
    clusters = np.arange(25)
    cases.append({
        "name": "mean, one sample per patient, n=25",
        "statistic": "mean",
        "clusters": clusters.tolist(),
        "values": values.tolist(),
        "acceleration": jackknife_acceleration(clusters, lambda keep: values[keep].mean()),
    })

    samples_per_patient = rng.integers(1, 6, size=40)
    clusters = np.repeat(rng.permutation(1000)[:40], samples_per_patient)
    clusters = clusters[rng.permutation(len(clusters))]
    values = np.round(rng.lognormal(sigma=1.0, size=len(clusters)), 4)
    cases.append({
        "name": f"mean, 40 patients, {len(clusters)} samples",
        "statistic": "mean",
        "clusters": clusters.tolist(),
        "values": values.tolist(),
        "acceleration": jackknife_acceleration(clusters, lambda keep: values[keep].mean()),
    })

    images_per_patient = rng.integers(1, 5, size=60)
    clusters = np.repeat(np.arange(100, 160), images_per_patient)
    labels = rng.random(len(clusters)) < 0.35
    labels[:3] = True
    labels[-3:] = False
    scores = np.round(rng.normal(size=len(clusters)) + 0.9 * labels, 3)
    cases.append({
        "name": f"auroc, 60 patients, {len(clusters)} images",
        "statistic": "auroc",
        "clusters": clusters.tolist(),
        "labels": labels.astype(int).tolist(),
        "scores": scores.tolist(),
        "acceleration": jackknife_acceleration(clusters, lambda keep: roc_auc_score(labels[keep], scores[keep])),
    })
    return cases


def bca_scipy_cases(rng: np.random.Generator) -> list[dict]:
    """Return SciPy BCa intervals computed from stored bootstrap distributions of the mean."""
    inputs = [
        ("lognormal n=25, 999 resamples", np.round(rng.lognormal(size=25), 4), 999),
        ("small integers n=10, 500 resamples (replicates equal to the estimate)",
         rng.integers(0, 4, size=10).astype(float), 500),
    ]
    cases = []
    for name, data, resamples in inputs:
        draws = rng.integers(0, len(data), size=(resamples, len(data)))
        replicates = data[draws].mean(axis=1)
        estimate = float(np.mean(data))
        intervals = []
        for confidence in (0.95, 0.9):
            result = bootstrap(
                (data,),
                np.mean,
                n_resamples=0,
                bootstrap_result=SimpleNamespace(bootstrap_distribution=replicates),
                method="BCa",
                confidence_level=confidence,
            )
            interval = result.confidence_interval
            intervals.append({"confidence": confidence, "low": float(interval.low), "high": float(interval.high)})
        cases.append({
            "name": name,
            "data": data.tolist(),
            "estimate": estimate,
            "replicates_equal_to_estimate": int((replicates == estimate).sum()),
            "replicates": replicates.tolist(),
            "intervals": intervals,
        })
    return cases


def seed_summary(values: list[float | None], confidence: float) -> tuple[dict | None, str | None]:
    """Return (expected summary, note) of the defined values, or (None, note) if there are none."""
    defined = np.array([value for value in values if value is not None])
    if len(defined) == 0:
        return None, "no defined value to average"
    mean = float(np.mean(defined))
    if len(defined) < 2:
        return {"seeds": 1, "mean": mean, "std": None, "ci_low": None, "ci_high": None}, (
            "one defined value: numpy.std(ddof=1) warns and returns nan"
        )
    std = float(np.std(defined, ddof=1))
    note = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        low, high = t.interval(confidence, len(defined) - 1, loc=mean, scale=std / np.sqrt(len(defined)))
    if std == 0:
        assert np.isnan(low), "SciPy returns NaN for a scale of 0"
        assert np.isnan(high), "SciPy returns NaN for a scale of 0"
        low = high = mean
        note = "all defined values equal: SciPy returns NaN bounds for scale 0, raydino-bench the mean"
    summary = {"seeds": len(defined), "mean": mean, "std": std, "ci_low": float(low), "ci_high": float(high)}
    return summary, note


def seed_cases(rng: np.random.Generator) -> list[dict]:
    inputs = []
    for _ in range(30):
        count = int(rng.integers(1, 21))
        values = np.round(rng.normal(loc=0.8, scale=rng.choice([0.001, 0.02, 0.1]), size=count), 4).tolist()
        undefined_share = rng.choice([0.0, 0.0, 0.2])
        values = [None if rng.random() < undefined_share else value for value in values]
        inputs.append((f"random {count} seeds", values, float(rng.choice([0.5, 0.8, 0.9, 0.95, 0.99]))))
    inputs.append(("2000 seeds", np.round(rng.normal(loc=0.5, scale=0.05, size=2000), 4).tolist(), 0.95))
    inputs.append(("two seeds", [0.71, 0.74], 0.95))
    inputs.append(("one seed", [0.8123], 0.95))
    inputs.append(("one defined of three", [None, 0.66, None], 0.9))
    inputs.append(("all undefined", [None, None], 0.95))
    inputs.append(("all values equal", [0.9, 0.9, 0.9, 0.9], 0.95))
    inputs.append(("large offset", (1e6 + np.round(rng.normal(size=8), 4)).tolist(), 0.95))
    inputs.append(("confidence 0.999, three seeds", [0.1, 0.4, 0.35], 0.999))

    cases = []
    for name, values, confidence in inputs:
        seed_ids = rng.choice(10_000, size=len(values), replace=False).tolist()
        expected, note = seed_summary(values, confidence)
        case = {
            "name": name,
            "seed_ids": seed_ids,
            "values": values,
            "confidence": confidence,
            "expected": expected,
        }
        if note:
            case["note"] = note
        cases.append(case)
    return cases


def main() -> None:
    rng = np.random.default_rng(SEED)
    fixtures = {
        "generator": "tests/reference/make_stats_fixtures.py",
        "seed": SEED,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "notes": {
            "mann_whitney": "every exact p-value of SciPy was also checked against exact rational "
            "arithmetic on Python integers within 1e-12 relative",
            "correction": "statsmodels is not installed: holm and fdr_bh come from a plain-Python "
            "transcription of statsmodels.stats.multitest.multipletests, and fdr_bh also "
            "matches scipy.stats.false_discovery_control within 1e-12",
            "delong": "reference is an O(m n) NumPy implementation of DeLong's structural "
            "components, not pROC",
        },
        "mann_whitney": mann_whitney_cases(rng),
        "mann_whitney_generated": mann_whitney_generated_cases(),
        "delong": delong_cases(rng),
        "correction": correction_cases(rng),
        "bca_acceleration": bca_acceleration_cases(rng),
        "bca_scipy": bca_scipy_cases(rng),
        "seeds": seed_cases(rng),
    }
    text = json.dumps(fixtures, separators=(",", ":"), allow_nan=False)
    assert len(text) < MAX_OUTPUT_BYTES, f"fixture file is {len(text)} bytes, over {MAX_OUTPUT_BYTES}"
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text + "\n")
    print(f"wrote {OUTPUT} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
