//! The per-group audit of a benchmark's classifier: its metrics in each group with
//! patient-level bootstrap intervals, the gap to the best group, the worst group, the
//! equalised-odds difference and the under-diagnosis rate at the validation threshold.

use serde::Serialize;

use crate::fairness::groups::Grouping;
use crate::fairness::threshold::{Decision, ThresholdChoice};
use crate::metrics::{threshold_rates, MetricName, MetricResult, Undefined};
use crate::pipeline::evaluate::{metric_report, value_and_interval, MetricReport, Scores, Truth};
use crate::stats::{cluster_bootstrap, BootstrapConfig, Interval};

/// A rate or difference of rates with its patient-level bootstrap interval, or the reason
/// it has none.
#[derive(Debug, Clone, Serialize)]
pub struct RateReport {
    pub value: Option<f64>,
    pub interval: Option<Interval>,
    pub undefined: Option<String>,
}

impl RateReport {
    /// Computes `compute` on every sample and its patient-level bootstrap interval.
    pub fn bootstrap(patients: &[u64], config: &BootstrapConfig, compute: impl Fn(&[usize]) -> MetricResult + Sync) -> RateReport {
        let all: Vec<usize> = (0..patients.len()).collect();
        let (value, interval, undefined) = value_and_interval(compute(&all), || cluster_bootstrap(patients, config, &compute));
        RateReport { value, interval, undefined }
    }

    fn undefined(reason: impl Into<String>) -> RateReport {
        RateReport { value: None, interval: None, undefined: Some(reason.into()) }
    }
}

/// The test split as the audit uses it: ground truth, the chosen head's scores, patient
/// ids, the group of each test image, and the finding-present decision.
pub struct AuditData<'a> {
    pub truth: &'a Truth,
    pub scores: &'a Scores,
    pub patients: &'a [u64],
    /// Group index per test image, `None` where the image is left out of the attribute.
    pub groups: &'a [Option<usize>],
    /// The decision on the test images; `None` for regression.
    pub decision: Option<&'a Decision>,
}

/// One group's row of the audit.
#[derive(Debug, Clone, Serialize)]
pub struct GroupAudit {
    pub group: String,
    /// Whether this is the group of images whose attribute is blank. It is reported but
    /// takes no part in the best, worst, gap and equalised-odds figures.
    pub missing_group: bool,
    pub test_images: usize,
    pub test_patients: usize,
    /// Test images with and without a finding (class and multilabel tasks).
    pub diseased: usize,
    pub healthy: usize,
    /// The benchmark's metrics, in spec order.
    pub metrics: Vec<MetricReport>,
    /// Per metric: distance to the best group's value (0 for the best group), where both
    /// are defined.
    pub gap_to_best: Vec<Option<f64>>,
    /// Sensitivity, false-positive rate and under-diagnosis rate (false-negative rate:
    /// diseased images called "no finding") at the validation threshold.
    pub true_positive_rate: Option<RateReport>,
    pub false_positive_rate: Option<RateReport>,
    pub under_diagnosis_rate: Option<RateReport>,
}

/// Best and worst group of one metric.
#[derive(Debug, Clone, Serialize)]
pub struct MetricSpread {
    pub metric: MetricName,
    pub best_group: Option<String>,
    pub best: Option<f64>,
    pub worst_group: Option<String>,
    /// The worst-group metric.
    pub worst: Option<f64>,
    /// Best minus worst (worst minus best for error metrics), never negative.
    pub max_gap: Option<f64>,
    /// Groups left out because the metric is undefined there.
    pub undefined_groups: Vec<String>,
}

/// The audit of one attribute.
#[derive(Debug, Clone, Serialize)]
pub struct AttributeAudit {
    pub attribute: String,
    pub groups: Vec<GroupAudit>,
    pub spread: Vec<MetricSpread>,
    /// Max over group pairs of |TPR_g - TPR_h| and |FPR_g - FPR_h|; `None` for regression.
    pub equalised_odds_difference: Option<RateReport>,
}

/// Audits one attribute's groups on the test split.
pub fn audit_attribute(
    grouping: &Grouping,
    data: &AuditData,
    metrics: &[MetricName],
    threshold: Option<&Result<ThresholdChoice, Undefined>>,
    bootstrap: &BootstrapConfig,
) -> AttributeAudit {
    let all: Vec<usize> = (0..data.groups.len()).collect();
    let members_of = |group: usize| -> Vec<usize> { all.iter().copied().filter(|&i| data.groups[i] == Some(group)).collect() };

    let mut groups = Vec::new();
    for (group, name) in grouping.groups.iter().enumerate() {
        let members = members_of(group);
        let patients: Vec<u64> = members.iter().map(|&i| data.patients[i]).collect();
        let distinct_patients = patients.iter().collect::<std::collections::BTreeSet<_>>().len();
        let metric_reports = metrics
            .iter()
            .map(|&metric| {
                if members.is_empty() {
                    return undefined_metric(metric, "no test images in this group");
                }
                metric_report(metric, data.truth, data.scores, &members, &patients, bootstrap)
            })
            .collect();
        let (diseased, healthy) = data.decision.map_or((0, 0), |d| {
            let known: Vec<bool> = members.iter().filter_map(|&i| d.diseased[i]).collect();
            let diseased = known.iter().filter(|&&x| x).count();
            (diseased, known.len() - diseased)
        });
        let rates = data.decision.map(|decision| group_rates(decision, &members, data.patients, threshold, bootstrap));
        let (true_positive_rate, false_positive_rate, under_diagnosis_rate) = match rates {
            Some([tpr, fpr, fnr]) => (Some(tpr), Some(fpr), Some(fnr)),
            None => (None, None, None),
        };
        groups.push(GroupAudit {
            group: name.clone(),
            missing_group: grouping.is_missing_group(group),
            test_images: members.len(),
            test_patients: distinct_patients,
            diseased,
            healthy,
            metrics: metric_reports,
            gap_to_best: Vec::new(),
            true_positive_rate,
            false_positive_rate,
            under_diagnosis_rate,
        });
    }

    let spread: Vec<MetricSpread> = metrics.iter().enumerate().map(|(m, &metric)| metric_spread(&mut groups, m, metric)).collect();
    let equalised_odds_difference = data.decision.map(|decision| match threshold {
        Some(Ok(choice)) => {
            let compared: Vec<usize> = (0..grouping.groups.len()).filter(|&g| !grouping.is_missing_group(g)).collect();
            RateReport::bootstrap(data.patients, bootstrap, |idx| {
                let per_group: Vec<(MetricResult, MetricResult)> = compared
                    .iter()
                    .map(|&g| {
                        let rows: Vec<usize> = idx.iter().copied().filter(|&i| data.groups[i] == Some(g)).collect();
                        let (labels, scores) = known_rows(decision, &rows);
                        let rates = threshold_rates(&labels, &scores, choice.value);
                        (rates.sensitivity, rates.false_positive_rate)
                    })
                    .collect();
                equalised_odds_difference(&per_group)
            })
        }
        Some(Err(reason)) => RateReport::undefined(format!("no threshold: {}", reason.reason)),
        None => RateReport::undefined("no threshold"),
    });
    AttributeAudit { attribute: grouping.attribute.clone(), groups, spread, equalised_odds_difference }
}

fn undefined_metric(metric: MetricName, reason: &str) -> MetricReport {
    MetricReport {
        metric,
        label: metric.label().to_string(),
        higher_is_better: metric.higher_is_better(),
        value: None,
        interval: None,
        undefined: Some(reason.to_string()),
    }
}

/// Labels and scores of the rows whose finding-present label is known.
fn known_rows(decision: &Decision, rows: &[usize]) -> (Vec<bool>, Vec<f64>) {
    rows.iter().filter_map(|&i| decision.diseased[i].map(|d| (d, decision.score[i]))).unzip()
}

/// True-positive, false-positive and false-negative (under-diagnosis) rates of one
/// group at the threshold, each with a patient-level interval.
fn group_rates(
    decision: &Decision,
    members: &[usize],
    patients: &[u64],
    threshold: Option<&Result<ThresholdChoice, Undefined>>,
    bootstrap: &BootstrapConfig,
) -> [RateReport; 3] {
    let choice = match threshold {
        Some(Ok(choice)) => choice,
        Some(Err(reason)) => return std::array::from_fn(|_| RateReport::undefined(format!("no threshold: {}", reason.reason))),
        None => return std::array::from_fn(|_| RateReport::undefined("no threshold")),
    };
    if members.is_empty() {
        return std::array::from_fn(|_| RateReport::undefined("no test images in this group"));
    }
    let group_patients: Vec<u64> = members.iter().map(|&i| patients[i]).collect();
    let rate = |pick: fn(crate::metrics::ThresholdRates) -> MetricResult| {
        RateReport::bootstrap(&group_patients, bootstrap, |idx| {
            let rows: Vec<usize> = idx.iter().map(|&i| members[i]).collect();
            let (labels, scores) = known_rows(decision, &rows);
            pick(threshold_rates(&labels, &scores, choice.value))
        })
    };
    [rate(|r| r.sensitivity), rate(|r| r.false_positive_rate), rate(|r| r.false_negative_rate)]
}

/// Equalised-odds difference: the larger of max_g TPR - min_g TPR and max_g FPR - min_g FPR,
/// which equals the max over group pairs of |TPR_g - TPR_h| and |FPR_g - FPR_h|. Each
/// rate's range is taken over the groups where that rate is defined.
///
/// Returns `Undefined` unless at least two groups define the TPR and two the FPR.
pub fn equalised_odds_difference(rates: &[(MetricResult, MetricResult)]) -> MetricResult {
    let range = |values: Vec<f64>, name: &str| -> MetricResult {
        if values.len() < 2 {
            return Err(Undefined::new(format!("{name} is defined in {} group(s); two are needed to compare", values.len())));
        }
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        Ok(high - low)
    };
    let tpr = range(rates.iter().filter_map(|(tpr, _)| tpr.as_ref().ok().copied()).collect(), "the true-positive rate")?;
    let fpr = range(rates.iter().filter_map(|(_, fpr)| fpr.as_ref().ok().copied()).collect(), "the false-positive rate")?;
    Ok(tpr.max(fpr))
}

/// Finds the best and worst group of metric `m` and writes each group's gap to the best.
/// The missing-value group is left out of the comparison.
fn metric_spread(groups: &mut [GroupAudit], m: usize, metric: MetricName) -> MetricSpread {
    let higher = metric.higher_is_better();
    let mut defined: Vec<(usize, f64)> = Vec::new();
    let mut undefined_groups = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        if group.missing_group {
            continue;
        }
        match group.metrics[m].value {
            Some(value) => defined.push((g, value)),
            None => undefined_groups.push(group.group.clone()),
        }
    }
    let better = |a: f64, b: f64| if higher { a > b } else { a < b };
    let best = defined.iter().copied().reduce(|x, y| if better(y.1, x.1) { y } else { x });
    let worst = defined.iter().copied().reduce(|x, y| if better(x.1, y.1) { y } else { x });
    for group in groups.iter_mut() {
        let gap = match (best, group.metrics[m].value) {
            (Some((_, best)), Some(value)) if !group.missing_group => Some((best - value).abs()),
            _ => None,
        };
        group.gap_to_best.push(gap);
    }
    MetricSpread {
        metric,
        best_group: best.map(|(g, _)| groups[g].group.clone()),
        best: best.map(|(_, v)| v),
        worst_group: worst.map(|(g, _)| groups[g].group.clone()),
        worst: worst.map(|(_, v)| v),
        max_gap: best.zip(worst).map(|((_, b), (_, w))| (b - w).abs()),
        undefined_groups,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Attribute, MissingAttribute, ThresholdRule};
    use crate::fairness::groups::group_samples;
    use crate::fairness::threshold::choose_threshold;

    fn config() -> BootstrapConfig {
        BootstrapConfig { resamples: 200, confidence: 0.95, seed: 0 }
    }

    #[test]
    fn equalised_odds_difference_takes_the_larger_range() {
        // TPR 0.9, 0.6, 0.8 (range 0.3); FPR 0.1, 0.3, 0.15 (range 0.2).
        let rates = [(Ok(0.9), Ok(0.1)), (Ok(0.6), Ok(0.3)), (Ok(0.8), Ok(0.15))];
        assert!((equalised_odds_difference(&rates).unwrap() - 0.3).abs() < 1e-12);
        // A group without positives drops out of the TPR range only.
        let rates = [(Ok(0.9), Ok(0.1)), (Err(Undefined::new("no positive")), Ok(0.5)), (Ok(0.8), Ok(0.15))];
        assert!((equalised_odds_difference(&rates).unwrap() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn equalised_odds_difference_needs_two_groups() {
        let rates = [(Ok(0.9), Ok(0.1)), (Err(Undefined::new("no positive")), Ok(0.3))];
        let error = equalised_odds_difference(&rates).unwrap_err();
        assert!(error.reason.contains("true-positive rate is defined in 1 group"), "{}", error.reason);
    }

    /// Two groups of four patients with one image each. Group F: diseased scores 0.9, 0.4,
    /// healthy 0.2, 0.6. Group M: diseased 0.8, 0.7, healthy 0.1, 0.3.
    fn two_groups() -> (Grouping, Truth, Scores, Decision) {
        let attribute = Attribute { name: "sex".into(), column: "sex".into(), bins: vec![], values: vec![], missing: MissingAttribute::Group };
        let sexes = ["F", "F", "F", "F", "M", "M", "M", "M"].map(|s| Some(s.to_string()));
        let grouping = group_samples(&attribute, &sexes);
        let labels = vec![1, 1, 0, 0, 1, 1, 0, 0];
        let positive = [0.9, 0.4, 0.2, 0.6, 0.8, 0.7, 0.1, 0.3];
        let scores = Scores { outputs: 2, values: positive.iter().flat_map(|p| [1.0 - p, *p]).collect() };
        let decision = Decision { diseased: labels.iter().map(|&k| Some(k == 1)).collect(), score: positive.to_vec() };
        (grouping, Truth::Classes { labels, classes: 2 }, scores, decision)
    }

    #[test]
    fn audit_reports_under_diagnosis_and_gaps() {
        let (grouping, truth, scores, decision) = two_groups();
        let patients: Vec<u64> = (0..8).collect();
        let data = AuditData { truth: &truth, scores: &scores, patients: &patients, groups: &grouping.of_sample, decision: Some(&decision) };
        let choice = ThresholdChoice { rule: ThresholdRule::Youden, value: 0.5, validation_sensitivity: 1.0, validation_specificity: 1.0, validation_images: 4 };
        let audit = audit_attribute(&grouping, &data, &[MetricName::Auroc], Some(&Ok(choice)), &config());
        let (f, m) = (&audit.groups[0], &audit.groups[1]);
        assert_eq!((f.group.as_str(), m.group.as_str()), ("F", "M"));
        // At 0.5: F flags 0.9 and 0.6, so TPR 1/2, FPR 1/2, under-diagnosis 1/2;
        // M flags 0.8 and 0.7, so TPR 1, FPR 0, under-diagnosis 0.
        assert_eq!(f.under_diagnosis_rate.as_ref().unwrap().value, Some(0.5));
        assert_eq!(m.under_diagnosis_rate.as_ref().unwrap().value, Some(0.0));
        assert_eq!(f.false_positive_rate.as_ref().unwrap().value, Some(0.5));
        // Equalised odds: max(|1/2 - 1|, |1/2 - 0|) = 0.5.
        assert_eq!(audit.equalised_odds_difference.as_ref().unwrap().value, Some(0.5));
        // AUROC F: pairs (0.9>0.2, 0.9>0.6, 0.4>0.2, 0.4<0.6) = 3/4; M: 1.
        assert_eq!(f.metrics[0].value, Some(0.75));
        assert_eq!(m.metrics[0].value, Some(1.0));
        assert_eq!(f.gap_to_best, [Some(0.25)]);
        assert_eq!(audit.spread[0].worst_group.as_deref(), Some("F"));
        assert_eq!(audit.spread[0].worst, Some(0.75));
        assert_eq!(f.test_images + m.test_images, 8);
    }

    #[test]
    fn one_class_group_is_undefined_but_sized() {
        let (grouping, truth, scores, mut decision) = two_groups();
        // Make every image of group M diseased.
        let Truth::Classes { mut labels, classes } = truth else { unreachable!() };
        for i in 4..8 {
            labels[i] = 1;
            decision.diseased[i] = Some(true);
        }
        let truth = Truth::Classes { labels, classes };
        let patients: Vec<u64> = (0..8).collect();
        let data = AuditData { truth: &truth, scores: &scores, patients: &patients, groups: &grouping.of_sample, decision: Some(&decision) };
        let choice = ThresholdChoice { rule: ThresholdRule::Youden, value: 0.5, validation_sensitivity: 1.0, validation_specificity: 1.0, validation_images: 4 };
        let audit = audit_attribute(&grouping, &data, &[MetricName::Auroc], Some(&Ok(choice)), &config());
        let m = &audit.groups[1];
        assert_eq!(m.test_images, 4);
        assert_eq!(m.metrics[0].value, None);
        assert!(m.metrics[0].undefined.is_some());
        assert_eq!(m.false_positive_rate.as_ref().unwrap().value, None);
        assert!(m.false_positive_rate.as_ref().unwrap().undefined.as_ref().unwrap().contains("no negative"));
        assert_eq!(audit.spread[0].undefined_groups, ["M"]);
        // FPR is defined in one group only, so the difference is undefined, not NaN.
        let eo = audit.equalised_odds_difference.as_ref().unwrap();
        assert_eq!(eo.value, None);
        assert!(eo.undefined.is_some());
    }

    #[test]
    fn threshold_ignores_test_rows() {
        // Validation alone puts the Youden threshold at 0.6; with the test rows pooled in
        // it would move to 0.7, where group F's false-positive rate drops from 1/2 to 0.
        let validation = Decision { diseased: vec![Some(true), Some(true), Some(false), Some(false)], score: vec![0.8, 0.6, 0.4, 0.2] };
        let choice = choose_threshold(ThresholdRule::Youden, &validation).unwrap();
        assert_eq!(choice.value, 0.6);
        let (grouping, truth, scores, decision) = two_groups();
        let mut pooled = validation.clone();
        pooled.diseased.extend(decision.diseased.iter().copied());
        pooled.score.extend(decision.score.iter().copied());
        let leaked = choose_threshold(ThresholdRule::Youden, &pooled).unwrap();
        assert_ne!(leaked.value, choice.value, "the case must tell the two apart");

        let patients: Vec<u64> = (0..8).collect();
        let data = AuditData { truth: &truth, scores: &scores, patients: &patients, groups: &grouping.of_sample, decision: Some(&decision) };
        let audit = audit_attribute(&grouping, &data, &[MetricName::Auroc], Some(&Ok(choice)), &config());
        // At 0.6 group F flags 0.9 only among diseased (0.4 missed): under-diagnosis 1/2;
        // M flags 0.8, 0.7: 0.
        assert_eq!(audit.groups[0].under_diagnosis_rate.as_ref().unwrap().value, Some(0.5));
        assert_eq!(audit.groups[0].false_positive_rate.as_ref().unwrap().value, Some(0.5));
    }
}
