//! Mann-Whitney U test of two independent samples, matching `scipy.stats.mannwhitneyu`
//! (SciPy 1.17) with its default continuity correction.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::metrics::Undefined;

/// Alternative hypothesis of a rank test on samples `x` and `y`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alternative {
    /// The distributions of `x` and `y` differ.
    TwoSided,
    /// The distribution of `x` is stochastically less than that of `y`.
    Less,
    /// The distribution of `x` is stochastically greater than that of `y`.
    Greater,
}

/// Way of computing the p-value of the U statistic, as `method` of `scipy.stats.mannwhitneyu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// `Exact` when at least one sample has at most 8 values and no two values in `x` and
    /// `y` together are equal, otherwise `Asymptotic`. This is SciPy's rule, except that
    /// `Asymptotic` is also used where the exact distribution is over this module's limits.
    Auto,
    /// Exact null distribution of U for samples without ties. Ties are not corrected for.
    Exact,
    /// Normal approximation with tie correction and continuity correction.
    Asymptotic,
}

/// Result of a Mann-Whitney U test.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MannWhitney {
    /// U1, the statistic of `x`: the rank sum of `x` minus n1 (n1 + 1) / 2, with midranks for
    /// ties. The statistic of `y` is n1 n2 - U1.
    pub statistic: f64,
    /// p-value for the chosen alternative, in [0, 1].
    pub p_value: f64,
    /// Method that computed the p-value: `Exact` or `Asymptotic`, never `Auto`.
    pub method: Method,
}

/// Largest sample size for which `Method::Auto` can choose the exact test (SciPy 1.17).
const AUTO_EXACT_MAX_SIZE: usize = 8;

/// Maximum length of the table of the exact null distribution of U, min(k, n1 n2 - k) + 1
/// for the observed U truncated to k. The table takes 8 bytes per entry (16 while the
/// counts fit in `i128`), so 32 MiB here.
const MAX_EXACT_TABLE_LEN: u64 = 1 << 22;

/// Maximum number of table updates, min(n1, n2) times the table length, of the exact
/// distribution. Each update is three arithmetic operations. This bounds the run time to
/// roughly a second, an estimate from a release build where 5e8 updates took 0.9 s on one
/// x86 core.
const MAX_EXACT_UPDATES: u64 = 1 << 29;

/// Largest min(n1, n2) for the exact distribution, because rounding in the `f64` path
/// grows geometrically with the number of factors. Against exact rational results, the
/// relative error of P(U <= k) and P(U = k) stayed below 1e-11 in the cases of the test
/// `exact_float_path_large_samples`, and was 1e-10 at n1 = 300, n2 = 600, 7e-9 at
/// n1 = n2 = 500 and 2e-6 at n1 = n2 = 600.
///
/// NOTE: the tests reach n2 = 8000 for n1 = 200, 20,000 for n1 = 100 and 100,000 for
/// n1 = 8. The table limits allow larger n2, where the error was not measured.
const MAX_EXACT_SMALLER_SIZE: u64 = 200;

/// Runs the Mann-Whitney U test of `x` against `y`, equal to
/// `scipy.stats.mannwhitneyu(x, y, alternative=..., method=...)` with the default
/// `use_continuity=True` (SciPy 1.17).
///
/// Ranks take O(n log n) time for n = n1 + n2 values, and -0.0 ties with 0.0. Infinite
/// values are ranked like any other, as SciPy does.
///
/// The asymptotic p-value compares z = (U - n1 n2 / 2 - 0.5) / sigma with the standard
/// normal distribution, where sigma is the tie-corrected standard deviation of U. When all
/// values are equal, sigma is 0 and the p-value is 1, as in SciPy, where z is -inf.
///
/// The exact p-value reads the null distribution of U without ties. Like SciPy, it
/// truncates a U of the form k + 0.5, which only ties produce, to k. `Method::Exact` returns
/// `Undefined` when the smaller sample has more than [`MAX_EXACT_SMALLER_SIZE`] values, where
/// `f64` rounding would build up, or when the distribution table would exceed
/// [`MAX_EXACT_TABLE_LEN`] entries or [`MAX_EXACT_UPDATES`] updates. `Method::Auto` uses the
/// asymptotic test there instead. SciPy has no such limits.
///
/// Asymptotic p-values agree with SciPy to about 1e-10 relative, the accuracy of the normal
/// survival function of statrs 0.18.
///
/// Returns `Undefined` when `x` or `y` is empty or contains NaN. SciPy returns NaN there.
pub fn mann_whitney_u(
    x: &[f64],
    y: &[f64],
    alternative: Alternative,
    method: Method,
) -> Result<MannWhitney, Undefined> {
    check_sample("x", x)?;
    check_sample("y", y)?;

    let combined: Vec<f64> = x.iter().chain(y).copied().collect();
    let ranking = Ranking::new(&combined);
    let (n1, n2) = (x.len() as u64, y.len() as u64);
    let doubled_rank_sum_x: u128 = ranking.doubled_ranks[..x.len()]
        .iter()
        .map(|&rank| u128::from(rank))
        .sum();
    // 2 U1 = 2 R1 - n1 (n1 + 1) is an integer even when ties make U1 a half-integer.
    let doubled_u1 = doubled_rank_sum_x - u128::from(n1) * u128::from(n1 + 1);
    let doubled_u2 = 2 * u128::from(n1) * u128::from(n2) - doubled_u1;

    // Each alternative reads the upper tail of one statistic. Because U2 = n1 n2 - U1,
    // P(U1 <= u1) for `Less` equals P(U2 >= u2).
    let (doubled_u, tails) = match alternative {
        Alternative::Greater => (doubled_u1, 1.0),
        Alternative::Less => (doubled_u2, 1.0),
        Alternative::TwoSided => (doubled_u1.max(doubled_u2), 2.0),
    };
    // Truncation matches SciPy, which casts U to an integer for the exact test.
    let truncated_u = (doubled_u / 2) as u64;
    let exact_size = ExactSize::new(n1, n2, truncated_u);

    let method = match method {
        Method::Auto => auto_method(x.len(), y.len(), ranking.has_ties(), &exact_size),
        chosen => chosen,
    };
    let upper_tail = match method {
        Method::Exact => {
            exact_size.check()?;
            exact_survival(truncated_u, n1, n2)
        }
        _ => asymptotic_survival(doubled_u as f64 / 2.0, n1, n2, &ranking),
    };

    Ok(MannWhitney {
        statistic: doubled_u1 as f64 / 2.0,
        p_value: (tails * upper_tail).clamp(0.0, 1.0),
        method,
    })
}

/// Returns `Undefined` if `values` is empty or contains NaN.
fn check_sample(name: &str, values: &[f64]) -> Result<(), Undefined> {
    if values.is_empty() {
        return Err(Undefined::new(format!("{name} is empty")));
    }
    match values.iter().position(|value| value.is_nan()) {
        Some(index) => Err(Undefined::new(format!(
            "{name} contains NaN at index {index}"
        ))),
        None => Ok(()),
    }
}

/// Resolves `Method::Auto` with SciPy's rule, falling back to the asymptotic test where
/// the exact distribution is over this module's limits.
fn auto_method(n1: usize, n2: usize, has_ties: bool, exact_size: &ExactSize) -> Method {
    let small = n1 <= AUTO_EXACT_MAX_SIZE || n2 <= AUTO_EXACT_MAX_SIZE;
    // NOTE: SciPy 1.17 runs the exact test at any size. The fallback happens only when
    // min(U, n1 n2 - U) exceeds 4 million, which needs over a million values in the larger
    // sample. Its p-value then differs from SciPy's by the error of the normal approximation.
    if small && !has_ties && exact_size.check().is_ok() {
        Method::Exact
    } else {
        Method::Asymptotic
    }
}

/// Work needed for the exact p-value of a truncated U of k.
struct ExactSize {
    n1: u64,
    n2: u64,
    /// min(k, n1 n2 - k) + 1 entries: the survival function sums the shorter tail.
    table_len: u64,
}

impl ExactSize {
    fn new(n1: u64, n2: u64, k: u64) -> Self {
        let table_len = k.min(n1 * n2 - k) + 1;
        ExactSize { n1, n2, table_len }
    }

    /// Returns `Undefined` if the exact distribution is too large or too imprecise to
    /// compute.
    fn check(&self) -> Result<(), Undefined> {
        let (n1, n2, table_len) = (self.n1, self.n2, self.table_len);
        let smaller = n1.min(n2);
        if smaller > MAX_EXACT_SMALLER_SIZE {
            return Err(Undefined::new(format!(
                "the exact Mann-Whitney distribution is limited to samples where the smaller \
                 has at most {MAX_EXACT_SMALLER_SIZE} values, got n1 = {n1} and n2 = {n2}; use \
                 Method::Asymptotic"
            )));
        }
        let updates = u128::from(smaller) * u128::from(table_len);
        if table_len > MAX_EXACT_TABLE_LEN || updates > u128::from(MAX_EXACT_UPDATES) {
            return Err(Undefined::new(format!(
                "the exact Mann-Whitney p-value for n1 = {n1} and n2 = {n2} needs a table of \
                 {table_len} entries and {updates} updates, over the limits of \
                 {MAX_EXACT_TABLE_LEN} and {MAX_EXACT_UPDATES}; use Method::Asymptotic"
            )));
        }
        Ok(())
    }
}

/// Returns P(U >= u) under the normal approximation with tie and continuity correction.
fn asymptotic_survival(u: f64, n1: u64, n2: u64, ranking: &Ranking) -> f64 {
    if ranking.tie_groups == 1 {
        // All values are equal, so U is n1 n2 / 2 under every permutation.
        return 1.0;
    }
    let (n1, n2) = (n1 as f64, n2 as f64);
    let n = n1 + n2;
    let mean = n1 * n2 / 2.0;
    let tie_term = ranking.tie_term as f64;
    // SciPy's operation order, so that rounding matches.
    let sigma = (n1 * n2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)))).sqrt();
    // The continuity correction subtracts 0.5 because the p-value is always an upper tail.
    let z = (u - mean - 0.5) / sigma;
    Normal::standard().sf(z)
}

/// Returns P(U >= k) under the null hypothesis for samples of sizes n1 and n2 without
/// ties, as SciPy's `_MWU.sf`.
///
/// The sum runs over the shorter tail: for k below the mean it is 1 - P(U <= k) + P(U = k),
/// otherwise P(U <= n1 n2 - k) by symmetry.
fn exact_survival(k: u64, n1: u64, n2: u64) -> f64 {
    let complement = n1 * n2 - k;
    if k < complement {
        let (cdf, pmf) = exact_cdf_and_pmf(k, n1, n2);
        1.0 - cdf + pmf
    } else {
        exact_cdf_and_pmf(complement, n1, n2).0
    }
}

/// Returns P(U <= k) and P(U = k) under the null hypothesis without ties.
///
/// The number of arrangements with U = u is the coefficient of q^u in the Gaussian binomial
/// coefficient [n1 + n2 choose m]_q, m = min(n1, n2), which is the product over i = 1..m
/// of (1 - q^(n + i)) / (1 - q^i) with n = max(n1, n2). Each partial product is again a
/// Gaussian binomial, a polynomial of degree i n, so the coefficients up to q^k are updated
/// factor by factor in O(m k) time. Counts stay exact in `i128` while the total
/// C(n1 + n2, m) fits. Above that, probabilities in `f64` are rescaled after each factor.
fn exact_cdf_and_pmf(k: u64, n1: u64, n2: u64) -> (f64, f64) {
    let (smaller, larger) = (n1.min(n2), n1.max(n2));
    match binomial_u128(smaller + larger, smaller) {
        Some(total) if total < 1 << 125 => integer_cdf_and_pmf(k, smaller, larger, total),
        _ => float_cdf_and_pmf(k, smaller, larger),
    }
}

/// Computes `exact_cdf_and_pmf` with exact counts. `total` is C(smaller + larger, smaller) and
/// must be below 2^125, which bounds every intermediate coefficient.
fn integer_cdf_and_pmf(k: u64, smaller: u64, larger: u64, total: u128) -> (f64, f64) {
    let mut counts = vec![0i128; k as usize + 1];
    counts[0] = 1;
    for i in 1..=smaller {
        let support = partial_product_support(&mut counts, i, larger);
        multiply_by_one_minus_power(support, (larger + i) as usize);
        divide_by_one_minus_power(support, i as usize);
    }
    let below_or_at: i128 = counts.iter().sum();
    let total = total as f64;
    (
        below_or_at as f64 / total,
        counts[k as usize] as f64 / total,
    )
}

/// Computes `exact_cdf_and_pmf` with probabilities in `f64`, for any sizes.
fn float_cdf_and_pmf(k: u64, smaller: u64, larger: u64) -> (f64, f64) {
    let mut probabilities = vec![0.0f64; k as usize + 1];
    probabilities[0] = 1.0;
    for i in 1..=smaller {
        let support = partial_product_support(&mut probabilities, i, larger);
        multiply_by_one_minus_power(support, (larger + i) as usize);
        divide_by_one_minus_power(support, i as usize);
        // The total grows from C(larger + i - 1, i - 1) to C(larger + i, i).
        let scale = i as f64 / (larger + i) as f64;
        support.iter_mut().for_each(|value| *value *= scale);
    }
    let below_or_at: f64 = probabilities.iter().sum();
    (below_or_at, probabilities[k as usize])
}

/// Returns the coefficients of q^0 to q^(i larger) of the i-th partial product, where
/// i larger is the polynomial's degree. Coefficients above it are zero and stay untouched.
///
/// Updating only these is what keeps the `f64` path stable. In floating point the terms
/// above the degree are not exactly zero, and the next factor would feed that rounding
/// noise back into its own coefficients. Measured without the limit, the noise grew
/// geometrically and swamped the distribution for n1 = n2 = 500.
fn partial_product_support<T>(coefficients: &mut [T], i: u64, larger: u64) -> &mut [T] {
    let degree = usize::try_from(i * larger).unwrap_or(usize::MAX);
    let end = coefficients.len().min(degree.saturating_add(1));
    &mut coefficients[..end]
}

/// Multiplies the truncated power series `coefficients` by 1 - q^power.
fn multiply_by_one_minus_power<T>(coefficients: &mut [T], power: usize)
where
    T: Copy + std::ops::SubAssign,
{
    // From the top down, so that each step reads a coefficient not yet updated.
    for u in (power..coefficients.len()).rev() {
        let lower = coefficients[u - power];
        coefficients[u] -= lower;
    }
}

/// Divides the truncated power series `coefficients` by 1 - q^power, that is, multiplies
/// it by 1 + q^power + q^(2 power) + ...
fn divide_by_one_minus_power<T>(coefficients: &mut [T], power: usize)
where
    T: Copy + std::ops::AddAssign,
{
    for u in power..coefficients.len() {
        let lower = coefficients[u - power];
        coefficients[u] += lower;
    }
}

/// Returns C(n, k), or `None` if an intermediate product overflows `u128`.
fn binomial_u128(n: u64, k: u64) -> Option<u128> {
    let mut value: u128 = 1;
    for i in 1..=k {
        // After this step, value is C(n - k + i, i), so the division is exact.
        value = value.checked_mul(u128::from(n - k + i))? / u128::from(i);
    }
    Some(value)
}

/// Midranks of a sample, with the tie statistics that the asymptotic test needs.
pub(super) struct Ranking {
    /// Twice the midrank (1-based) of each value, in input order. Doubling keeps the half
    /// ranks of ties in integers.
    pub(super) doubled_ranks: Vec<u64>,
    /// Sum of t^3 - t over the groups of t equal values.
    pub(super) tie_term: u128,
    /// Number of distinct values.
    pub(super) tie_groups: usize,
}

impl Ranking {
    /// Ranks `values` in O(n log n) time, with -0.0 equal to 0.0.
    ///
    /// `values` must not contain NaN, which is checked only in debug builds.
    pub(super) fn new(values: &[f64]) -> Self {
        debug_assert!(values.iter().all(|value| !value.is_nan()), "NaN in ranks");
        // Adding 0.0 turns -0.0 into 0.0, so that `total_cmp` puts them in one group.
        let mut sorted: Vec<(f64, usize)> = values
            .iter()
            .enumerate()
            .map(|(index, &value)| (value + 0.0, index))
            .collect();
        sorted.sort_unstable_by(|left, right| left.0.total_cmp(&right.0));

        let mut ranking = Ranking {
            doubled_ranks: vec![0; values.len()],
            tie_term: 0,
            tie_groups: 0,
        };
        let mut start = 0;
        while start < sorted.len() {
            let mut end = start + 1;
            while end < sorted.len() && sorted[end].0 == sorted[start].0 {
                end += 1;
            }
            // The group takes ranks start + 1 ..= end, whose mean doubled is start + end + 1.
            let doubled_rank = (start + end + 1) as u64;
            for &(_, index) in &sorted[start..end] {
                ranking.doubled_ranks[index] = doubled_rank;
            }
            let size = (end - start) as u128;
            ranking.tie_term += size * size * size - size;
            ranking.tie_groups += 1;
            start = end;
        }
        ranking
    }

    /// Returns true if at least two values are equal.
    pub(super) fn has_ties(&self) -> bool {
        self.tie_groups < self.doubled_ranks.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    const MALES: [f64; 5] = [19.0, 22.0, 16.0, 29.0, 24.0];
    const FEMALES: [f64; 4] = [20.0, 11.0, 17.0, 12.0];

    fn relative_difference(actual: f64, expected: f64) -> f64 {
        (actual - expected).abs() / expected.abs().max(f64::MIN_POSITIVE)
    }

    #[test]
    fn scipy_docstring_examples() {
        // Expected values from the examples of scipy.stats.mannwhitneyu, SciPy 1.17.1. The
        // asymptotic p-value differs by 4e-11 relative because the normal survival function
        // of statrs 0.18 has relative errors up to about 1e-10.
        let cases = [
            (
                &MALES[..],
                &FEMALES[..],
                Alternative::TwoSided,
                Method::Exact,
                17.0,
                0.1111111111111111,
            ),
            (
                &MALES,
                &FEMALES,
                Alternative::TwoSided,
                Method::Asymptotic,
                17.0,
                0.11134688653314041,
            ),
            (
                &FEMALES,
                &MALES,
                Alternative::Less,
                Method::Exact,
                3.0,
                0.05555555555555555,
            ),
            (
                &MALES,
                &FEMALES,
                Alternative::TwoSided,
                Method::Auto,
                17.0,
                0.1111111111111111,
            ),
        ];
        for (x, y, alternative, method, statistic, p_value) in cases {
            let result = mann_whitney_u(x, y, alternative, method).unwrap();
            let context = format!("{x:?} vs {y:?}, {alternative:?}, {method:?}");
            assert_eq!(result.statistic, statistic, "{context}");
            assert!(
                relative_difference(result.p_value, p_value) < 1e-9,
                "{context}: p = {}, expected {p_value}",
                result.p_value
            );
        }
    }

    #[test]
    fn ties_and_special_values() {
        // Expected values from scipy.stats.mannwhitneyu, SciPy 1.17.1. The exact case has
        // ties and U1 = 2.0. The asymptotic case checks that -0.0 ties with 0.0.
        // x, y, method, U1, p-value.
        type Case<'a> = (&'a [f64], &'a [f64], Method, f64, f64);
        let cases: [Case; 5] = [
            (&[1.0, 1.0, 1.0], &[1.0, 1.0], Method::Auto, 3.0, 1.0),
            (&[1.0], &[2.0], Method::Auto, 0.0, 1.0),
            (
                &[1.0, 2.0, 2.0, 3.0],
                &[2.0, 4.0, 5.0],
                Method::Exact,
                2.0,
                0.22857142857142856,
            ),
            (&[0.0, 1.0], &[-0.0, 2.0], Method::Asymptotic, 1.5, 1.0),
            (
                &[f64::INFINITY, 1.0],
                &[f64::NEG_INFINITY, 2.0],
                Method::Auto,
                3.0,
                0.6666666666666666,
            ),
        ];
        for (x, y, method, statistic, p_value) in cases {
            let result = mann_whitney_u(x, y, Alternative::TwoSided, method).unwrap();
            assert_eq!(result.statistic, statistic, "{x:?} vs {y:?}");
            assert!(
                relative_difference(result.p_value, p_value) < 1e-12,
                "{x:?} vs {y:?}: p = {}, expected {p_value}",
                result.p_value
            );
        }
    }

    #[test]
    fn auto_method_rule() {
        let small = [1.0, 2.0, 3.0];
        let large: Vec<f64> = (0..20).map(|i| f64::from(i) + 0.5).collect();
        let tied = [1.0, 2.0, 2.0];
        let cases: [(&[f64], &[f64], Method); 4] = [
            (&small, &large, Method::Exact),
            (&large, &small, Method::Exact),
            (&tied, &large, Method::Asymptotic),
            (&large, &large[..9], Method::Asymptotic),
        ];
        for (x, y, expected) in cases {
            let result = mann_whitney_u(x, y, Alternative::TwoSided, Method::Auto).unwrap();
            assert_eq!(
                result.method,
                expected,
                "n1 = {}, n2 = {}",
                x.len(),
                y.len()
            );
        }
    }

    #[test]
    fn exact_distribution_small_cases() {
        // P(U >= 0) is 1, and P(U <= floor(n1 n2 / 2)) is at least 1/2 because the
        // distribution is symmetric about n1 n2 / 2.
        for (n1, n2) in [(1, 1), (1, 7), (3, 5), (8, 8), (20, 30)] {
            let (cdf, pmf) = exact_cdf_and_pmf(n1 * n2 / 2, n1, n2);
            assert!(
                (0.5..=1.0).contains(&cdf),
                "n1 = {n1}, n2 = {n2}: cdf {cdf}"
            );
            assert!(pmf > 0.0, "n1 = {n1}, n2 = {n2}");
            assert!(
                (exact_survival(0, n1, n2) - 1.0).abs() < 1e-14,
                "n1 = {n1}, n2 = {n2}"
            );
        }
        // For n1 = 2, n2 = 3 the ten arrangements give U = 0, 1, 2, 2, 3, 3, 4, 4, 5, 6.
        let expected_counts = [1.0, 1.0, 2.0, 2.0];
        let mut cumulative = 0.0;
        for (k, count) in expected_counts.iter().enumerate() {
            cumulative += count;
            let (cdf, pmf) = exact_cdf_and_pmf(k as u64, 2, 3);
            assert!((pmf - count / 10.0).abs() < 1e-15, "P(U = {k})");
            assert!((cdf - cumulative / 10.0).abs() < 1e-15, "P(U <= {k})");
        }
    }

    #[test]
    fn exact_float_path_matches_integers() {
        // C(120, 60) is about 9.7e34, so the integer path applies, and the rescaled float
        // path must agree with it within rounding.
        for (n1, n2) in [(60, 60), (20, 100), (1, 119)] {
            for k in [0, 1, 17, n1 * n2 / 5, n1 * n2 / 3, n1 * n2 / 2] {
                let (cdf_exact, pmf_exact) = exact_cdf_and_pmf(k, n1, n2);
                let (cdf_float, pmf_float) = float_cdf_and_pmf(k, n1.min(n2), n1.max(n2));
                let context = format!("n1 = {n1}, n2 = {n2}, k = {k}");
                assert!(
                    relative_difference(cdf_float, cdf_exact) < 1e-12,
                    "cdf {context}"
                );
                assert!(
                    relative_difference(pmf_float, pmf_exact) < 1e-12,
                    "pmf {context}"
                );
            }
        }
    }

    #[test]
    fn exact_float_path_large_samples() {
        // Expected values from exact rational arithmetic on Python integers (the same
        // product of Gaussian binomial factors, without rounding). The totals C(1200, 200)
        // and C(100008, 8) are far above 2^125, so only the float path applies.
        let cases: [(u64, u64, u64, f64, f64); 9] = [
            (
                200,
                1000,
                30000,
                7.61533952390162e-65,
                3.818083076635168e-67,
            ),
            (
                200,
                1000,
                70000,
                5.9539419012926024e-12,
                9.543499472454366e-15,
            ),
            (
                200,
                1000,
                85000,
                0.00038997977898509224,
                3.179164058971067e-07,
            ),
            (200, 1000, 95526, 0.1588074973298859, 5.411168459485791e-05),
            (
                200,
                8000,
                766932,
                0.15877729551790942,
                7.321026738218889e-06,
            ),
            (
                100,
                20000,
                942119,
                0.15889853101395424,
                4.184661515950955e-06,
            ),
            (
                8,
                100000,
                1000,
                2.8695323350205083e-21,
                2.2464561668405236e-23,
            ),
            (
                8,
                100000,
                150000,
                0.0006352594600532623,
                3.379274619770733e-08,
            ),
            (
                8,
                100000,
                318346,
                0.1618051646894191,
                2.9995932987671655e-06,
            ),
        ];
        for (n1, n2, k, expected_cdf, expected_pmf) in cases {
            let (cdf, pmf) = exact_cdf_and_pmf(k, n1, n2);
            let context = format!("n1 = {n1}, n2 = {n2}, k = {k}");
            assert!(
                relative_difference(cdf, expected_cdf) < 1e-11,
                "P(U <= k) = {cdf}, {context}"
            );
            assert!(
                relative_difference(pmf, expected_pmf) < 1e-11,
                "P(U = k) = {pmf}, {context}"
            );
        }
    }

    #[test]
    fn exact_size_limit() {
        let x: Vec<f64> = (0..201).map(f64::from).collect();
        let y: Vec<f64> = (0..300).map(|i| f64::from(i) + 0.5).collect();
        let error = mann_whitney_u(&x, &y, Alternative::TwoSided, Method::Exact).unwrap_err();
        assert_eq!(
            error.reason,
            "the exact Mann-Whitney distribution is limited to samples where the smaller has \
             at most 200 values, got n1 = 201 and n2 = 300; use Method::Asymptotic"
        );
        let result = mann_whitney_u(&x, &y, Alternative::TwoSided, Method::Asymptotic).unwrap();
        assert_eq!(result.method, Method::Asymptotic);

        // U near its mean of 3 million needs 200 times 3 million updates.
        let x: Vec<f64> = (0..200).map(|i| f64::from(i) + 14_900.25).collect();
        let y: Vec<f64> = (0..30_000).map(f64::from).collect();
        let error = mann_whitney_u(&x, &y, Alternative::TwoSided, Method::Exact).unwrap_err();
        assert!(
            error
                .reason
                .starts_with("the exact Mann-Whitney p-value for n1 = 200 and n2 = 30000 needs"),
            "{}",
            error.reason
        );
    }

    #[test]
    fn auto_falls_back_above_limit() {
        // With n1 = 8 and no ties, SciPy's rule picks the exact test, but U near its mean of
        // 4.8 million needs a table over the limit of 2^22 entries.
        let x: Vec<f64> = (0..8).map(|i| f64::from(i) + 599_996.5).collect();
        let y: Vec<f64> = (0..1_200_000).map(f64::from).collect();
        let result = mann_whitney_u(&x, &y, Alternative::TwoSided, Method::Auto).unwrap();
        assert_eq!(result.method, Method::Asymptotic);
    }

    #[test]
    fn auto_exact_in_tail_of_large_sample() {
        // Both x values lie below all 2 million y values, so U1 = 0 and the exact one-sided
        // p-value is 1 / C(2,000,002, 2). The table needs only the entry for U = 0.
        let x = [0.25, 0.75];
        let y: Vec<f64> = (1..=2_000_000).map(f64::from).collect();
        let result = mann_whitney_u(&x, &y, Alternative::Less, Method::Auto).unwrap();
        assert_eq!(result.method, Method::Exact);
        assert_eq!(result.statistic, 0.0);
        let expected = 2.0 / (2_000_002.0 * 2_000_001.0);
        assert!(
            relative_difference(result.p_value, expected) < 1e-12,
            "p = {}, expected {expected}",
            result.p_value
        );
    }

    #[test]
    fn one_sided_p_values_complement() {
        // Without ties, P(U1 >= u) + P(U1 <= u) = 1 + P(U1 = u) for the exact test.
        let x = [0.3, 1.9, 2.2, 0.7, 5.1, 4.4];
        let y = [1.1, 2.8, 3.3, 6.0, 0.1, 3.9, 4.0];
        let greater = mann_whitney_u(&x, &y, Alternative::Greater, Method::Exact).unwrap();
        let less = mann_whitney_u(&x, &y, Alternative::Less, Method::Exact).unwrap();
        let (_, pmf) = exact_cdf_and_pmf(greater.statistic as u64, 6, 7);
        let sum = greater.p_value + less.p_value;
        assert!((sum - 1.0 - pmf).abs() < 1e-14, "sum {sum}, pmf {pmf}");
    }

    #[test]
    fn invalid_input_undefined() {
        let cases: [(&[f64], &[f64], &str); 4] = [
            (&[], &[1.0], "x is empty"),
            (&[1.0], &[], "y is empty"),
            (&[1.0, f64::NAN], &[1.0], "x contains NaN at index 1"),
            (&[1.0], &[2.0, 3.0, f64::NAN], "y contains NaN at index 2"),
        ];
        for (x, y, reason) in cases {
            let result = mann_whitney_u(x, y, Alternative::TwoSided, Method::Auto);
            assert_eq!(result, Err(Undefined::new(reason)), "{x:?} vs {y:?}");
        }
    }

    #[test]
    fn ranking_midranks() {
        let ranking = Ranking::new(&[3.0, -0.0, 1.0, 0.0, 3.0, 3.0]);
        // Sorted: 0.0, 0.0 (ranks 1, 2), 1.0 (rank 3), 3.0 x3 (ranks 4, 5, 6).
        assert_eq!(ranking.doubled_ranks, vec![10, 3, 6, 3, 10, 10]);
        assert_eq!(ranking.tie_term, 6 + 24);
        assert_eq!(ranking.tie_groups, 3);
        assert!(ranking.has_ties());
        assert!(!Ranking::new(&[2.0, 1.0]).has_ties());
    }

    #[test]
    fn large_sample_is_fast() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let x: Vec<f64> = (0..60_000)
            .map(|_| (rng.random::<f64>() * 1e4).round())
            .collect();
        let y: Vec<f64> = (0..40_000)
            .map(|_| (rng.random::<f64>() * 1e4).round())
            .collect();
        let start = Instant::now();
        let result = mann_whitney_u(&x, &y, Alternative::TwoSided, Method::Auto).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(result.method, Method::Asymptotic);
        assert!(result.p_value > 0.0, "{result:?}");
        assert!(result.p_value <= 1.0, "{result:?}");
        // It took 4 to 8 ms in a release build on the development machine. The bound leaves
        // room for slow and busy machines.
        assert!(elapsed.as_millis() < 1000, "n = 100,000 took {elapsed:?}");
    }
}
