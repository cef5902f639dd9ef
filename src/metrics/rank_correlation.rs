//! Spearman's rank correlation coefficient.

use super::regression::pearson;
use super::undefined::{assert_same_length, MetricResult, Undefined};

/// Computes Spearman's rho, the Pearson correlation of the ranks of `x` and `y`, equal to
/// `scipy.stats.spearmanr(x, y).statistic` (SciPy 1.17).
///
/// Tied values share the mean of their ranks, as `scipy.stats.rankdata(method="average")`
/// gives them, and -0.0 ties with 0.0. Infinities are ranked like other values, as SciPy
/// does.
///
/// Returns `Undefined` for fewer than 2 samples, a NaN, or an input whose values are all
/// equal. SciPy returns NaN in those cases.
///
/// # Panics
/// Panics if `x` and `y` differ in length.
pub fn spearman(x: &[f64], y: &[f64]) -> MetricResult {
    assert_same_length("x", x.len(), "y", y.len());
    if x.len() < 2 {
        return Err(Undefined::new(format!(
            "Spearman's rho needs at least 2 samples, got {}",
            x.len()
        )));
    }
    for (name, values) in [("x", x), ("y", y)] {
        if let Some(index) = values.iter().position(|value| value.is_nan()) {
            return Err(Undefined::new(format!(
                "{name} contains NaN at index {index}"
            )));
        }
        if values.iter().all(|&value| value == values[0]) {
            return Err(Undefined::new(format!(
                "{name} is constant (every value is {})",
                values[0]
            )));
        }
    }
    // Neither input is constant, so neither has constant ranks and Pearson r is defined.
    pearson(&average_ranks(x), &average_ranks(y))
}

/// Returns the 1-based rank of each value, with tied values given the mean of their ranks.
///
/// `values` must not contain NaN. Each rank is (first + last) / 2 of its tie group, which
/// is exact in `f64` below 2^52 samples.
pub(crate) fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&left, &right| values[left].total_cmp(&values[right]));

    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        // `total_cmp` sorts -0.0 just before 0.0, and `==` joins them into one group.
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // The group takes ranks start + 1 ..= end.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = rank;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_match_rankdata() {
        // Expected ranks from scipy.stats.rankdata(values), SciPy 1.17.1.
        let values = [3.0, -1.0, 3.0, 0.0, -0.0, f64::INFINITY, 3.0];
        assert_eq!(
            average_ranks(&values),
            vec![5.0, 1.0, 5.0, 2.5, 2.5, 7.0, 5.0]
        );
        assert_eq!(average_ranks(&[]), Vec::<f64>::new());
    }

    #[test]
    fn spearman_table() {
        // Expected values from scipy.stats.spearmanr(x, y).statistic, SciPy 1.17.1.
        let cases: [(&[f64], &[f64], f64); 5] = [
            (&[1.0, 2.0], &[3.0, 1.0], -0.9999999999999999),
            (&[1.0, f64::INFINITY, 2.0], &[1.0, 2.0, 3.0], 0.5),
            (
                &[1.0, 2.0, 3.0, 4.0, 5.0],
                &[5.0, 6.0, 7.0, 8.0, 7.0],
                0.8207826816681233,
            ),
            (&[0.1, 0.4, 0.2, 0.3], &[10.0, 40.0, 20.0, 30.0], 1.0),
            (
                &[2.0, 2.0, 1.0, 3.0, 3.0, 3.0],
                &[0.5, 0.1, 0.2, 0.9, 0.4, 0.4],
                0.5322906474223771,
            ),
        ];
        for (x, y, expected) in cases {
            let value = spearman(x, y).unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "x {x:?}, y {y:?}: {value} != {expected}"
            );
        }
    }

    #[test]
    fn spearman_undefined_cases() {
        let cases: [(&[f64], &[f64], &str); 4] = [
            (
                &[1.0],
                &[2.0],
                "Spearman's rho needs at least 2 samples, got 1",
            ),
            (
                &[1.0, 1.0, 1.0],
                &[1.0, 2.0, 3.0],
                "x is constant (every value is 1)",
            ),
            (
                &[1.0, 2.0],
                &[-0.0, 0.0],
                "y is constant (every value is -0)",
            ),
            (&[1.0, 2.0], &[f64::NAN, 0.0], "y contains NaN at index 0"),
        ];
        for (x, y, reason) in cases {
            assert_eq!(
                spearman(x, y),
                Err(Undefined::new(reason)),
                "x {x:?}, y {y:?}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "x has 3 elements but y has 2")]
    fn spearman_length_mismatch_panics() {
        let _ = spearman(&[1.0, 2.0, 3.0], &[1.0, 2.0]);
    }
}
