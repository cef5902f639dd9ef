//! Statistics of the train-on-group protocol, where an adapter trained on one group is
//! tested on every group. A two-sided Mann-Whitney U test compares the test metrics where
//! training and test group are equal with those where they differ, and the p-values are
//! adjusted across attributes.

use serde::Serialize;

use crate::metrics::Undefined;
use crate::spec::Correction;
use crate::stats::{benjamini_hochberg, holm, mann_whitney_u, Alternative, Method};

/// The test metric of one adapter on one test group.
#[derive(Debug, Clone, Serialize)]
pub struct TransferCell {
    pub test_group: String,
    pub test_images: usize,
    pub value: Option<f64>,
    pub undefined: Option<String>,
}

/// One adapter: its training group and seed, and its metric on every test group.
#[derive(Debug, Clone, Serialize)]
pub struct TransferRun {
    pub train_group: String,
    pub seed: u64,
    /// Training images drawn (a patient-level bootstrap resample of the group's rows).
    pub train_images: usize,
    pub validation_images: usize,
    pub cells: Vec<TransferCell>,
}

/// A training group, or one seed of it, that could not be trained, with the reason.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedTraining {
    pub train_group: String,
    /// `None` when the whole group is skipped.
    pub seed: Option<u64>,
    pub reason: String,
}

/// The comparison of same-group and other-group test metrics of one attribute.
#[derive(Debug, Clone, Serialize)]
pub struct TransferComparison {
    pub same_group: Vec<f64>,
    pub other_group: Vec<f64>,
    pub mean_same_group: Option<f64>,
    pub mean_other_group: Option<f64>,
    /// Mean same-group metric minus mean other-group metric.
    pub gap: Option<f64>,
    pub u_statistic: Option<f64>,
    pub p_value: Option<f64>,
    /// The p-value after adjustment across the attributes of this encoder.
    pub p_adjusted: Option<f64>,
    pub undefined: Option<String>,
}

/// The protocol's result for one attribute.
#[derive(Debug, Clone, Serialize)]
pub struct TransferAttribute {
    pub attribute: String,
    pub runs: Vec<TransferRun>,
    pub skipped: Vec<SkippedTraining>,
    pub comparison: TransferComparison,
}

/// Splits the defined cells into same-group and other-group values and runs the two-sided
/// Mann-Whitney U test (SciPy's `method="auto"` rule). Cells of `excluded_group` (the
/// blank-value group) take no part.
pub fn compare(runs: &[TransferRun], excluded_group: Option<&str>) -> TransferComparison {
    let (mut same_group, mut other_group) = (Vec::new(), Vec::new());
    for run in runs {
        for cell in &run.cells {
            let Some(value) = cell.value else { continue };
            if Some(cell.test_group.as_str()) == excluded_group {
                continue;
            }
            if cell.test_group == run.train_group {
                same_group.push(value);
            } else {
                other_group.push(value);
            }
        }
    }
    let mean = |values: &[f64]| (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    let (mean_same_group, mean_other_group) = (mean(&same_group), mean(&other_group));
    let gap = mean_same_group.zip(mean_other_group).map(|(s, o)| s - o);
    let test = if same_group.is_empty() || other_group.is_empty() {
        Err(Undefined::new(format!(
            "the test needs same-group and other-group values ({} and {} defined)",
            same_group.len(),
            other_group.len()
        )))
    } else {
        mann_whitney_u(&same_group, &other_group, Alternative::TwoSided, Method::Auto)
    };
    let (u_statistic, p_value, undefined) = match test {
        Ok(result) => (Some(result.statistic), Some(result.p_value), None),
        Err(reason) => (None, None, Some(reason.reason)),
    };
    TransferComparison { same_group, other_group, mean_same_group, mean_other_group, gap, u_statistic, p_value, p_adjusted: None, undefined }
}

/// Fills `p_adjusted` of every comparison that has a p-value, adjusting them as one family.
pub fn adjust(attributes: &mut [TransferAttribute], correction: Correction) {
    let tested: Vec<usize> = (0..attributes.len()).filter(|&a| attributes[a].comparison.p_value.is_some()).collect();
    let p_values: Vec<f64> = tested.iter().filter_map(|&a| attributes[a].comparison.p_value).collect();
    let adjusted = match correction {
        Correction::Holm => holm(&p_values),
        Correction::BenjaminiHochberg => benjamini_hochberg(&p_values),
    };
    match adjusted {
        Ok(adjusted) => {
            for (&a, p) in tested.iter().zip(adjusted) {
                attributes[a].comparison.p_adjusted = Some(p);
            }
        }
        Err(reason) => {
            for &a in &tested {
                attributes[a].comparison.undefined = Some(format!("no adjusted p-value: {}", reason.reason));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(train: &str, seed: u64, cells: &[(&str, Option<f64>)]) -> TransferRun {
        TransferRun {
            train_group: train.to_string(),
            seed,
            train_images: 10,
            validation_images: 5,
            cells: cells
                .iter()
                .map(|(g, v)| TransferCell { test_group: g.to_string(), test_images: 5, value: *v, undefined: v.is_none().then(|| "one class".to_string()) })
                .collect(),
        }
    }

    #[test]
    fn compare_splits_same_and_other_groups() {
        let runs = [
            run("F", 0, &[("F", Some(0.9)), ("M", Some(0.7)), ("missing", Some(0.1))]),
            run("M", 0, &[("F", Some(0.6)), ("M", Some(0.8)), ("missing", None)]),
        ];
        let comparison = compare(&runs, Some("missing"));
        assert_eq!(comparison.same_group, [0.9, 0.8]);
        assert_eq!(comparison.other_group, [0.7, 0.6]);
        assert!((comparison.gap.unwrap() - 0.2).abs() < 1e-12);
        // scipy.stats.mannwhitneyu([0.9, 0.8], [0.7, 0.6]) (exact): U = 4, p = 0.3333.
        assert_eq!(comparison.u_statistic, Some(4.0));
        assert!((comparison.p_value.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn compare_without_other_groups_is_undefined() {
        let comparison = compare(&[run("F", 0, &[("F", Some(0.9)), ("M", None)])], None);
        assert_eq!(comparison.p_value, None);
        assert!(comparison.undefined.unwrap().contains("1 and 0 defined"));
    }

    #[test]
    fn adjust_applies_holm_across_attributes() {
        let attribute = |name: &str, p: Option<f64>| TransferAttribute {
            attribute: name.to_string(),
            runs: Vec::new(),
            skipped: Vec::new(),
            comparison: TransferComparison {
                same_group: vec![],
                other_group: vec![],
                mean_same_group: None,
                mean_other_group: None,
                gap: None,
                u_statistic: None,
                p_value: p,
                p_adjusted: None,
                undefined: None,
            },
        };
        let mut attributes = [attribute("sex", Some(0.01)), attribute("age", Some(0.04)), attribute("view", None)];
        adjust(&mut attributes, Correction::Holm);
        // Holm with m = 2: 0.01 * 2 = 0.02, max(0.02, 0.04 * 1) = 0.04.
        assert_eq!(attributes[0].comparison.p_adjusted, Some(0.02));
        assert_eq!(attributes[1].comparison.p_adjusted, Some(0.04));
        assert_eq!(attributes[2].comparison.p_adjusted, None);
    }
}
