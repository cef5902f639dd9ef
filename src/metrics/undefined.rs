//! The error that a metric returns when its value does not exist for the given data.

/// Reason why a metric has no value for its input, such as a single class, constant input
/// or no samples.
///
/// Metrics return this instead of NaN, so that a report can print the cause.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error("undefined: {reason}")]
pub struct Undefined {
    pub reason: String,
}

impl Undefined {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Value of a metric, or the reason it is undefined. An `Ok` value is never NaN.
pub type MetricResult = Result<f64, Undefined>;

/// Panics unless both inputs have the same length.
///
/// Inputs of different lengths are a bug in the caller, not a property of the data, so
/// the metrics panic on them instead of returning `Undefined`.
pub(crate) fn assert_same_length(left_name: &str, left: usize, right_name: &str, right: usize) {
    assert_eq!(
        left, right,
        "{left_name} has {left} elements but {right_name} has {right}"
    );
}

/// Returns `Undefined` if `values` is empty or contains NaN or an infinity.
///
/// scikit-learn raises "Input contains NaN" or "Input contains infinity" for the same input.
pub(crate) fn check_finite(name: &str, values: &[f64]) -> Result<(), Undefined> {
    if values.is_empty() {
        return Err(Undefined::new(format!("{name} is empty")));
    }
    match values.iter().position(|value| !value.is_finite()) {
        Some(index) => Err(Undefined::new(format!(
            "{name} contains the non-finite value {} at index {index}",
            values[index]
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_reason() {
        let undefined = Undefined::new("only one class present (0 positives of 12)");
        assert_eq!(
            undefined.to_string(),
            "undefined: only one class present (0 positives of 12)"
        );
    }

    #[test]
    fn serde_round_trip() {
        let undefined = Undefined::new("x is constant");
        let json = serde_json::to_string(&undefined).unwrap();
        assert_eq!(json, r#"{"reason":"x is constant"}"#);
        let parsed: Undefined = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, undefined);
    }

    #[test]
    fn check_finite_cases() {
        let cases: [(&[f64], Option<&str>); 4] = [
            (&[0.5, -1.0], None),
            (&[], Some("scores is empty")),
            (
                &[0.5, f64::NAN],
                Some("scores contains the non-finite value NaN at index 1"),
            ),
            (
                &[f64::NEG_INFINITY],
                Some("scores contains the non-finite value -inf at index 0"),
            ),
        ];
        for (values, expected) in cases {
            let result = check_finite("scores", values);
            match expected {
                None => assert_eq!(result, Ok(()), "values {values:?}"),
                Some(reason) => {
                    assert_eq!(result, Err(Undefined::new(reason)), "values {values:?}")
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "labels has 2 elements but scores has 3")]
    fn length_mismatch_panics() {
        assert_same_length("labels", 2, "scores", 3);
    }
}
