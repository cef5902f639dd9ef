"""Write tests/fixtures/metrics.json: seeded metric inputs with scikit-learn and SciPy results.

src/metrics/reference_tests.rs checks every Rust metric against this file. An expected
value of null means that the Rust metric must return `Undefined`. The note beside it
records what scikit-learn or SciPy did instead (raised, returned NaN, or returned a value
that raydino-bench treats as undefined).

The sections predictions, calibration and spearman contain many small cases of random
size (1 to 1,000 samples, log-uniform) beside hand-made edge cases. Their `generated`
lists contain a few cases of 10,000 to 100,000 samples that store only integer rules for the
inputs, which Python and Rust evaluate to the same floats (see `rule_values`).

Run from the repository root:

    .venv/bin/python tests/reference/make_metric_fixtures.py
"""

from __future__ import annotations

import json
import platform
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import dice
from scipy.stats import pearsonr, spearmanr
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    recall_score,
    roc_auc_score,
    roc_curve,
)

SEED = 20250117
OUTPUT = Path(__file__).resolve().parents[1] / "fixtures" / "metrics.json"
# ROC curves are stored only up to this many samples, to keep the file small.
MAX_ROC_CURVE_SAMPLES = 300
MAX_OUTPUT_BYTES = 500_000
# Stored cases of random size draw it log-uniformly from 1 to this many samples.
MAX_STORED_RANDOM_SIZE = 1000
RANDOM_CASES_PER_SECTION = 25
# Generated cases (rules only) draw their size uniformly from this range.
GENERATED_SIZE_RANGE = (10_000, 100_000)


def call_reference(function, *args, **kwargs):
    """Call a reference metric and return (value, note).

    value is None when the call raises or returns NaN. note contains the error or the
    warnings, and is None when there were none.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = function(*args, **kwargs)
        except ValueError as error:
            return None, f"raises ValueError: {error}"
    messages = "; ".join(dict.fromkeys(str(warning.message) for warning in caught))
    if np.isnan(result):
        return None, f"returns nan (warning: {messages})" if messages else "returns nan"
    return float(result), messages or None


def binary_inputs(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Return (name, labels, scores) for the binary cases."""
    cases = []
    for size in [2, 3, 5, 10, 50, 200, 1000, 3000]:
        labels = rng.random(size) < 0.4
        labels[0] = True
        labels[-1] = False
        scores = np.round(rng.normal(size=size) + 0.8 * labels, 4)
        cases.append((f"continuous n={size}", labels, scores))
    for size in [10, 200, 2500]:
        labels = rng.random(size) < 0.5
        scores = np.round(rng.normal(size=size) + labels, 0)
        cases.append((f"heavy ties n={size}", labels, scores))
    for size in [4, 300]:
        labels = rng.random(size) < 0.3
        labels[:2] = [True, False]
        cases.append((f"all scores equal n={size}", labels, np.full(size, 0.25)))

    labels = np.zeros(1000, dtype=bool)
    labels[rng.integers(1000)] = True
    cases.append(("one positive of 1000", labels, np.round(rng.random(1000), 4)))
    labels = np.arange(40) < 20
    cases.append(("perfect separation", labels, np.round(np.linspace(1.0, 0.0, 40), 4)))
    cases.append(("reversed separation", labels, np.round(np.linspace(0.0, 1.0, 40), 4)))
    labels = rng.random(150) < 0.5
    scores = np.round(rng.normal(scale=1e6, size=150), 1)
    cases.append(("decision values of large magnitude", labels, scores))

    cases.append(("single sample positive", np.array([True]), np.array([0.7])))
    cases.append(("single sample negative", np.array([False]), np.array([0.7])))
    cases.append(("all negative n=12", np.zeros(12, dtype=bool), np.round(rng.random(12), 4)))
    cases.append(("all positive n=30", np.ones(30, dtype=bool), np.round(rng.random(30), 4)))
    return cases


def binary_case(name: str, labels: np.ndarray, scores: np.ndarray) -> dict:
    case: dict = {
        "name": name,
        "labels": labels.astype(int).tolist(),
        "scores": scores.tolist(),
        "notes": {},
    }
    case["auroc"], note = call_reference(roc_auc_score, labels, scores)
    if note:
        case["notes"]["auroc"] = note

    value, note = call_reference(average_precision_score, labels, scores)
    if not labels.any():
        # scikit-learn warns and returns 0.0 here, but AP has no positive to rank.
        note = f"scikit-learn returns {value} and warns '{note}'; raydino-bench treats this as undefined"
        value = None
    case["average_precision"] = value
    if note:
        case["notes"]["average_precision"] = note

    if len(labels) <= MAX_ROC_CURVE_SAMPLES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
        if np.isnan(fpr).any() or np.isnan(tpr).any():
            case["roc_curve"] = {"defined": False}
            case["notes"]["roc_curve"] = "returns nan rates because only one class is present"
        else:
            assert thresholds[0] == np.inf, "expected the first threshold to be +inf"
            case["roc_curve"] = {
                "defined": True,
                "fpr": fpr.tolist(),
                "tpr": tpr.tolist(),
                "thresholds_after_inf": thresholds[1:].tolist(),
            }
    if not case["notes"]:
        del case["notes"]
    return case


def probabilities(rng: np.random.Generator, labels: np.ndarray, n_classes: int, decimals: int) -> np.ndarray:
    """Return rows of class probabilities, rounded, that sum to 1 within float rounding.

    The first columns are rounded down so that the last column (1 minus their sum) is
    never negative. scikit-learn rejects rows that are not close to summing to 1.
    """
    logits = rng.normal(size=(len(labels), n_classes))
    logits[np.arange(len(labels)), labels] += 1.0
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    scale = 10**decimals
    rows = np.floor(softmax[:, :-1] * scale) / scale
    last = np.round(1.0 - rows.sum(axis=1, keepdims=True), decimals)
    return np.hstack([rows, last])


def multiclass_inputs(rng: np.random.Generator) -> list[tuple[str, np.ndarray, np.ndarray, int]]:
    """Return (name, y_true, probabilities, n_classes) for the multiclass cases."""
    cases = []
    for n_classes, size in [(3, 6), (3, 60), (4, 400), (5, 1000)]:
        y_true = rng.integers(n_classes, size=size)
        y_true[:n_classes] = np.arange(n_classes)
        proba = probabilities(rng, y_true, n_classes, decimals=3)
        cases.append((f"{n_classes} classes n={size}", y_true, proba, n_classes))
    y_true = rng.integers(4, size=300)
    y_true[:4] = np.arange(4)
    cases.append(("4 classes coarse ties n=300", y_true, probabilities(rng, y_true, 4, decimals=1), 4))
    y_true = np.arange(5)
    cases.append(("5 classes one sample each", y_true, probabilities(rng, y_true, 5, decimals=3), 5))
    y_true = rng.integers(2, size=50)
    y_true[:2] = [0, 1]
    cases.append(("3 classes, class 2 absent", y_true, probabilities(rng, y_true, 3, decimals=3), 3))
    y_true = np.zeros(20, dtype=int)
    cases.append(("4 classes, only class 0", y_true, probabilities(rng, y_true, 4, decimals=3), 4))
    return cases


def multiclass_case(name: str, y_true: np.ndarray, proba: np.ndarray, n_classes: int) -> dict:
    case: dict = {
        "name": name,
        "n_classes": n_classes,
        "y_true": y_true.tolist(),
        "scores": proba.ravel().tolist(),
        "notes": {},
    }
    per_class_auroc = []
    per_class_ap = []
    for class_index in range(n_classes):
        is_class = y_true == class_index
        value, _ = call_reference(roc_auc_score, is_class, proba[:, class_index])
        per_class_auroc.append(value)
        value, _ = call_reference(average_precision_score, is_class, proba[:, class_index])
        per_class_ap.append(value if is_class.any() else None)
    case["per_class_auroc"] = per_class_auroc
    case["per_class_average_precision"] = per_class_ap

    value, note = call_reference(
        roc_auc_score, y_true, proba, multi_class="ovr", average="macro", labels=list(range(n_classes))
    )
    case["macro_auroc_ovr"] = value
    if note:
        case["notes"]["macro_auroc_ovr"] = note
    if value is not None:
        assert abs(value - np.mean(per_class_auroc)) < 1e-12, f"{name}: macro AUROC is not the class mean"

    if len(np.unique(y_true)) == n_classes:
        value, note = call_reference(average_precision_score, y_true, proba, average="macro")
        assert abs(value - np.mean(per_class_ap)) < 1e-12, f"{name}: macro AP is not the class mean"
    else:
        value = None
        note = "scikit-learn raises a shape error because a class is absent from y_true"
    case["macro_average_precision_ovr"] = value
    if note:
        case["notes"]["macro_average_precision_ovr"] = note

    if not case["notes"]:
        del case["notes"]
    return case


def label_cases(rng: np.random.Generator) -> list[dict]:
    inputs = []
    for n_classes, size in [(2, 10), (2, 500), (3, 40), (4, 1000), (5, 3000)]:
        y_true = rng.integers(n_classes, size=size)
        correct = rng.random(size) < 0.6
        y_pred = np.where(correct, y_true, rng.integers(n_classes, size=size))
        inputs.append((f"{n_classes} classes n={size}", y_true, y_pred))
    y_true = rng.integers(3, size=80)
    y_pred = np.where(rng.random(80) < 0.5, y_true, 4)
    inputs.append(("class 4 only predicted", y_true, y_pred))
    y_true = np.where(rng.random(200) < 0.05, 1, 0)
    inputs.append(("imbalanced, always predicts 0", y_true, np.zeros(200, dtype=int)))
    inputs.append(("single class", np.full(7, 2), np.array([2, 2, 0, 2, 1, 2, 2])))
    inputs.append(("single sample", np.array([3]), np.array([1])))

    cases = []
    for name, y_true, y_pred in inputs:
        case = {"name": name, "y_true": y_true.tolist(), "y_pred": y_pred.tolist()}
        case["accuracy"], _ = call_reference(accuracy_score, y_true, y_pred)
        case["balanced_accuracy"], _ = call_reference(balanced_accuracy_score, y_true, y_pred)
        cases.append(case)
    return cases


def regression_cases(rng: np.random.Generator) -> list[dict]:
    inputs = []
    for size in [2, 3, 10, 100, 1000, 3000]:
        x = np.round(rng.normal(size=size), 4)
        y = np.round(0.5 * x + rng.normal(size=size), 4)
        inputs.append((f"correlated n={size}", x, y))
    x = np.round(rng.normal(size=200), 4)
    inputs.append(("negative correlation", x, np.round(-2.0 * x + 0.1 * rng.normal(size=200), 4)))
    x = np.round(1e6 + rng.normal(size=300), 4)
    inputs.append(("large offset", x, np.round(x - 1e6 + rng.normal(size=300), 4)))
    x = np.round(rng.integers(0, 3, size=100).astype(float), 0)
    inputs.append(("integer values with ties", x, np.round(x + rng.integers(0, 2, size=100), 0)))
    inputs.append(("constant x", np.full(25, 1.5), np.round(rng.normal(size=25), 4)))
    inputs.append(("constant y", np.round(rng.normal(size=25), 4), np.full(25, -3.0)))
    inputs.append(("single sample", np.array([0.5]), np.array([2.0])))

    cases = []
    for name, x, y in inputs:
        case: dict = {"name": name, "x": x.tolist(), "y": y.tolist(), "notes": {}}
        # x is the target and y the prediction for the mean absolute error.
        case["pearson"], note = call_reference(lambda a, b: pearsonr(a, b).statistic, x, y)
        if note:
            case["notes"]["pearson"] = note
        case["mae"], _ = call_reference(mean_absolute_error, x, y)
        if not case["notes"]:
            del case["notes"]
        cases.append(case)
    return cases


def random_sizes(rng: np.random.Generator, count: int) -> list[int]:
    """Return `count` sizes drawn log-uniformly from 1 to MAX_STORED_RANDOM_SIZE."""
    logs = rng.uniform(0.0, np.log(MAX_STORED_RANDOM_SIZE + 1), size=count)
    return [int(size) for size in np.clip(np.floor(np.exp(logs)), 1, MAX_STORED_RANDOM_SIZE)]


def generated_size(rng: np.random.Generator) -> int:
    low, high = GENERATED_SIZE_RANGE
    return int(rng.integers(low, high + 1))


def rule_values(rule: dict) -> np.ndarray:
    """Return ((i * multiplier) mod modulus + offset) / divisor for i = 0..size-1.

    Every step is exact in integers or one correctly rounded float division, so the Rust
    tests rebuild the same values bit for bit. The rule format is the one of
    make_stats_fixtures.py.
    """
    indices = np.arange(rule["size"], dtype=np.int64)
    integers = (indices * rule["multiplier"]) % rule["modulus"] + rule["offset"]
    return integers.astype(float) / rule["divisor"]


def rule(size: int, multiplier: int, modulus: int, offset: int = 0, divisor: int | None = None) -> dict:
    """Return a rule whose values lie in [offset / divisor, (modulus - 1 + offset) / divisor]."""
    return {
        "size": size,
        "multiplier": multiplier,
        "modulus": modulus,
        "offset": offset,
        "divisor": divisor if divisor is not None else modulus - 1,
    }


def prediction_results(labels: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[dict, dict]:
    """Return (expected, notes) for F1, Dice and the threshold rates of one case.

    Predictions are scores >= threshold, as in the Rust functions.
    """
    predictions = scores >= threshold
    expected: dict = {}
    notes: dict = {}
    positives = int(labels.sum())
    negatives = len(labels) - positives

    value, note = call_reference(f1_score, labels, predictions)
    if not labels.any() and not predictions.any():
        note = f"scikit-learn returns {value} and warns '{note}'; raydino-bench treats this as undefined"
        value = None
    expected["f1"] = value
    if note:
        notes["f1"] = note

    value, note = call_reference(lambda u, v: 1.0 - dice(u, v), labels, predictions)
    expected["dice"] = value
    if note:
        notes["dice"] = note

    # zero_division=nan turns the 0.0 that recall_score returns by default for a class
    # without samples into NaN, which call_reference records as undefined.
    sensitivity, _ = call_reference(recall_score, labels, predictions, zero_division=np.nan)
    if sensitivity is None:
        notes["sensitivity"] = "no positive: recall_score warns and returns 0.0 by default"
    specificity, _ = call_reference(recall_score, labels, predictions, pos_label=0, zero_division=np.nan)
    if specificity is None:
        notes["specificity"] = "no negative: recall_score(pos_label=0) warns and returns 0.0 by default"
    assert (sensitivity is None) == (positives == 0), "recall is NaN exactly when there is no positive"
    assert (specificity is None) == (negatives == 0), "recall of 0 is NaN exactly when there is no negative"
    expected["sensitivity"] = sensitivity
    expected["specificity"] = specificity
    expected["false_negative_rate"] = None if sensitivity is None else 1.0 - sensitivity
    expected["false_positive_rate"] = None if specificity is None else 1.0 - specificity
    expected["positives"] = positives
    expected["negatives"] = negatives
    return expected, notes


def prediction_cases(rng: np.random.Generator) -> dict:
    """Return the stored and generated cases of F1, Dice and threshold rates."""
    inputs = []
    for size in random_sizes(rng, RANDOM_CASES_PER_SECTION):
        prevalence = rng.uniform(0.02, 0.6)
        labels = rng.random(size) < prevalence
        scores = np.round(rng.normal(size=size) + 1.2 * labels, 2)
        threshold = float(np.round(rng.normal(loc=0.5), 2))
        inputs.append((f"random n={size}", labels, scores, threshold))
    labels = rng.random(200) < 0.4
    scores = np.round(rng.random(200), 1)
    inputs.append(("scores on the threshold n=200", labels, scores, 0.5))
    inputs.append(("all scores equal to the threshold", labels[:20], np.full(20, 0.5), 0.5))
    inputs.append(("all scores below the threshold", labels[:20], np.full(20, 0.25), 0.5))
    inputs.append(("no positives, none predicted", np.zeros(15, dtype=bool), np.full(15, 0.1), 0.5))
    inputs.append(("no positives, some predicted", np.zeros(15, dtype=bool), np.round(rng.random(15), 2), 0.5))
    inputs.append(("no negatives", np.ones(9, dtype=bool), np.round(rng.random(9), 2), 0.5))
    inputs.append(("single positive sample", np.array([True]), np.array([0.7]), 0.5))
    inputs.append(("single negative sample", np.array([False]), np.array([0.3]), 0.5))
    inputs.append(("threshold below every score", labels[:30], scores[:30], -1e300))

    stored = []
    for name, labels, scores, threshold in inputs:
        expected, notes = prediction_results(labels, scores, threshold)
        case = {
            "name": name,
            "labels": labels.astype(int).tolist(),
            "scores": scores.tolist(),
            "threshold": threshold,
            **expected,
        }
        if notes:
            case["notes"] = notes
        stored.append(case)

    generated = []
    specs = [
        ("generated 30% prevalence", 100_000, 0.3, 0.25),
        ("generated 5% prevalence", generated_size(rng), 0.05, 0.5),
        ("generated 50% prevalence, coarse scores", generated_size(rng), 0.5, 0.125),
    ]
    for name, size, prevalence, shift in specs:
        label_rule = rule(size, 7919, 10007)
        score_rule = rule(size, 104729, 1009 if "coarse" in name else 1000003, offset=0, divisor=1000 if "coarse" in name else 1000000)
        labels = rule_values(label_rule) < prevalence
        scores = rule_values(score_rule) + shift * labels
        threshold = 0.6
        expected, notes = prediction_results(labels, scores, threshold)
        case = {
            "name": f"{name} n={size}",
            "label_rule": label_rule,
            "prevalence": prevalence,
            "score_rule": score_rule,
            "shift": shift,
            "threshold": threshold,
            **expected,
        }
        if notes:
            case["notes"] = notes
        generated.append(case)
    return {"stored": stored, "generated": generated}


def reference_ece(labels: np.ndarray, probabilities: np.ndarray, bins: int) -> float | None:
    """Return the ECE with numpy.histogram's bins, or None where it is undefined.

    Where no probability equals an interior bin edge, the value is also checked against
    the ECE built from sklearn.calibration.calibration_curve(strategy="uniform"), whose
    bins are closed on the other side.
    """
    if len(labels) == 0 or bins == 0:
        return None
    if np.isnan(probabilities).any() or (probabilities < 0).any() or (probabilities > 1).any():
        return None
    counts, _ = np.histogram(probabilities, bins=bins, range=(0.0, 1.0))
    positive_counts, _ = np.histogram(probabilities, bins=bins, range=(0.0, 1.0), weights=labels.astype(float))
    probability_sums, _ = np.histogram(probabilities, bins=bins, range=(0.0, 1.0), weights=probabilities)
    filled = counts > 0
    observed = positive_counts[filled] / counts[filled]
    predicted = probability_sums[filled] / counts[filled]
    value = float(np.sum(counts[filled] / len(labels) * np.abs(observed - predicted)))

    interior_edges = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    if not np.isin(probabilities, interior_edges).any():
        prob_true, prob_pred = calibration_curve(labels, probabilities, n_bins=bins, strategy="uniform")
        # calibration_curve drops empty bins and returns them in order, like `filled`.
        sklearn_value = float(np.sum(counts[filled] / len(labels) * np.abs(prob_true - prob_pred)))
        assert abs(sklearn_value - value) < 1e-12, f"ECE {value} differs from calibration_curve's {sklearn_value}"
    return value


def calibration_cases(rng: np.random.Generator) -> dict:
    """Return the stored and generated cases of the expected calibration error."""
    inputs = []
    for size in random_sizes(rng, RANDOM_CASES_PER_SECTION):
        probabilities = np.round(rng.beta(0.8, 1.5, size=size), 4)
        # Miscalibrated on purpose: the outcome follows the probability squared.
        labels = rng.random(size) < probabilities**2
        bins = int(rng.choice([1, 5, 10, 15, 20]))
        inputs.append((f"random n={size} bins={bins}", labels, probabilities, bins))
    probabilities = np.round(rng.random(300), 1)
    inputs.append(("probabilities on bin edges, 10 bins", rng.random(300) < probabilities, probabilities, 10))
    inputs.append(("probabilities on bin edges, 5 bins", rng.random(300) < probabilities, probabilities, 5))
    inputs.append(("probabilities 0 and 1 only", np.array([True, False, True, True]), np.array([1.0, 0.0, 0.0, 1.0]), 10))
    inputs.append(("all probabilities equal", rng.random(50) < 0.3, np.full(50, 0.3), 10))
    inputs.append(("one class only", np.zeros(40, dtype=bool), np.round(rng.random(40), 3), 10))
    inputs.append(("single sample", np.array([True]), np.array([0.8]), 15))
    inputs.append(("more bins than samples", np.array([True, False, False]), np.array([0.91, 0.12, 0.55]), 100))
    inputs.append(("probability above 1", np.array([True, False]), np.array([0.5, 1.0000001]), 10))
    inputs.append(("negative probability", np.array([True, False]), np.array([-0.25, 0.5]), 10))

    stored = []
    for name, labels, probabilities, bins in inputs:
        value = reference_ece(labels, probabilities, bins)
        case = {
            "name": name,
            "labels": labels.astype(int).tolist(),
            "probabilities": probabilities.tolist(),
            "bins": bins,
            "ece": value,
        }
        if value is None:
            case["note"] = "a probability outside [0, 1] has no bin"
        stored.append(case)

    generated = []
    for name, size, bins in [("generated", 100_000, 15), ("generated", generated_size(rng), 10)]:
        probability_rule = rule(size, 7919, 100003)
        outcome_rule = rule(size, 15485863, 99991, divisor=99991)
        probabilities = rule_values(probability_rule)
        # The outcome is positive when a uniform value is below the probability squared.
        labels = rule_values(outcome_rule) < probabilities * probabilities
        generated.append({
            "name": f"{name} n={size} bins={bins}",
            "probability_rule": probability_rule,
            "outcome_rule": outcome_rule,
            "bins": bins,
            "ece": reference_ece(labels, probabilities, bins),
        })
    return {"stored": stored, "generated": generated}


def spearman_reference(x: np.ndarray, y: np.ndarray) -> tuple[float | None, str | None]:
    return call_reference(lambda a, b: spearmanr(a, b).statistic, x, y)


def spearman_cases(rng: np.random.Generator) -> dict:
    """Return the stored and generated cases of Spearman's rho."""
    inputs = []
    for size in random_sizes(rng, RANDOM_CASES_PER_SECTION):
        x = np.round(rng.normal(size=size), int(rng.choice([0, 1, 4])))
        y = np.round(rng.uniform(-1, 1) * x + rng.normal(size=size), int(rng.choice([0, 1, 4])))
        inputs.append((f"random n={size}", x, y))
    x = np.round(rng.normal(size=100), 4)
    inputs.append(("monotone transform", x, np.round(np.exp(x), 6)))
    inputs.append(("reversed order", x, -x))
    x = rng.integers(0, 3, size=200).astype(float)
    inputs.append(("three levels with heavy ties", x, rng.integers(0, 4, size=200).astype(float)))
    inputs.append(("two samples", np.array([0.2, 0.1]), np.array([3.0, 5.0])))
    inputs.append(("infinities ranked", np.array([1.0, np.inf, 2.0, -np.inf]), np.array([1.0, 2.0, 3.0, 0.0])))
    inputs.append(("constant x", np.full(20, 2.5), np.round(rng.normal(size=20), 4)))
    inputs.append(("constant y", np.round(rng.normal(size=20), 4), np.zeros(20)))
    inputs.append(("single sample", np.array([1.0]), np.array([2.0])))
    inputs.append(("NaN in x", np.array([1.0, np.nan, 3.0]), np.array([1.0, 2.0, 3.0])))

    stored = []
    for name, x, y in inputs:
        value, note = spearman_reference(x, y)
        if np.isnan(x).any() or np.isnan(y).any():
            assert value is None, "SciPy's default nan_policy returns NaN"
        case = {"name": name, "x": encode_values(x), "y": encode_values(y), "spearman": value}
        if note:
            case["note"] = note
        stored.append(case)

    generated = []
    # With few ties x spans [0, 1000] and the noise [0, 500]. With heavy ties x takes the 97
    # values 0, 0.1, ..., 9.6 and the noise spans [0, 5].
    specs = [("few ties", 100_000, 1000003, 1000, 2000), ("heavy ties", generated_size(rng), 97, 10, 200000)]
    for name, size, modulus, x_divisor, noise_divisor in specs:
        x_rule = rule(size, 7919, modulus, divisor=x_divisor)
        noise_rule = rule(size, 104729, 999983, divisor=noise_divisor)
        x = rule_values(x_rule)
        # y = x + noise, one IEEE addition per value, as in Rust.
        y = x + rule_values(noise_rule)
        value, note = spearman_reference(x, y)
        generated.append({
            "name": f"{name} n={size}",
            "x_rule": x_rule,
            "noise_rule": noise_rule,
            "spearman": value,
        })
    return {"stored": stored, "generated": generated}


def encode_values(values: np.ndarray) -> list:
    """Return values as JSON numbers, with infinities and NaN as strings."""
    encoded = []
    for value in values.tolist():
        if np.isnan(value):
            encoded.append("nan")
        elif np.isinf(value):
            encoded.append("inf" if value > 0 else "-inf")
        else:
            encoded.append(value)
    return encoded


def main() -> None:
    rng = np.random.default_rng(SEED)
    fixtures = {
        "generator": "tests/reference/make_metric_fixtures.py",
        "seed": SEED,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
        },
        "binary": [binary_case(*inputs) for inputs in binary_inputs(rng)],
        "multiclass": [multiclass_case(*inputs) for inputs in multiclass_inputs(rng)],
        "labels": label_cases(rng),
        "regression": regression_cases(rng),
        "predictions": prediction_cases(rng),
        "calibration": calibration_cases(rng),
        "spearman": spearman_cases(rng),
    }
    text = json.dumps(fixtures, separators=(",", ":"), allow_nan=False)
    assert len(text) < MAX_OUTPUT_BYTES, f"fixture file is {len(text)} bytes, over {MAX_OUTPUT_BYTES}"
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text + "\n")
    print(f"wrote {OUTPUT} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
