//! Sample quantiles with linear interpolation, as NumPy computes them.

/// Returns the `fraction` quantile of `sorted`, equal to
/// `numpy.quantile(values, fraction, method="linear")` (NumPy 2.4), which is also the
/// default method of `numpy.percentile`.
///
/// The quantile sits at the virtual index (n - 1) * fraction between the two neighbouring
/// order statistics. The interpolation mirrors NumPy's `_lerp`, which computes from the
/// upper neighbour when the weight is at least 0.5.
///
/// # Panics
/// Panics if `sorted` is empty or `fraction` is outside [0, 1]. `sorted` must be in
/// increasing order and free of NaN, which is checked only in debug builds.
pub fn quantile_linear(sorted: &[f64], fraction: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of an empty slice");
    assert!(
        (0.0..=1.0).contains(&fraction),
        "quantile fraction {fraction} is outside [0, 1]"
    );
    debug_assert!(
        sorted.windows(2).all(|pair| pair[0] <= pair[1]),
        "quantile input is not sorted in increasing order"
    );

    let last = sorted.len() - 1;
    let virtual_index = last as f64 * fraction;
    if virtual_index >= last as f64 {
        return sorted[last];
    }
    let lower_index = virtual_index.floor() as usize;
    let weight = virtual_index - lower_index as f64;
    let lower = sorted[lower_index];
    let upper = sorted[lower_index + 1];
    let difference = upper - lower;
    if weight >= 0.5 {
        upper - difference * (1.0 - weight)
    } else {
        lower + difference * weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_numpy() {
        // Expected values from numpy.quantile(values, fraction), NumPy 2.4.6. Fractions of
        // 0.025 and 0.975 are the bounds of a 95% interval.
        let cases: [(&[f64], f64, f64); 10] = [
            (&[1.0, 2.0, 3.0, 10.0], 0.0, 1.0),
            (&[1.0, 2.0, 3.0, 10.0], 0.025, 1.075),
            (&[1.0, 2.0, 3.0, 10.0], 0.25, 1.75),
            (&[1.0, 2.0, 3.0, 10.0], 0.5, 2.5),
            (&[1.0, 2.0, 3.0, 10.0], 0.975, 9.474999999999998),
            (&[1.0, 2.0, 3.0, 10.0], 1.0, 10.0),
            (&[0.1, 0.2, 0.3], (1.0 - 0.95) / 2.0, 0.10500000000000001),
            (&[0.1, 0.2, 0.3], 1.0 - (1.0 - 0.95) / 2.0, 0.295),
            (&[5.0], 0.3, 5.0),
            (&[-1.5, 0.25, 0.25, 4.0, 7.75], 0.9, 6.25),
        ];
        for (sorted, fraction, expected) in cases {
            let value = quantile_linear(sorted, fraction);
            assert_eq!(value, expected, "quantile {fraction} of {sorted:?}");
        }
    }

    #[test]
    #[should_panic(expected = "quantile of an empty slice")]
    fn empty_input_panics() {
        quantile_linear(&[], 0.5);
    }

    #[test]
    #[should_panic(expected = "quantile fraction 1.5 is outside [0, 1]")]
    fn fraction_out_of_range_panics() {
        quantile_linear(&[1.0], 1.5);
    }
}
