//! Subgroups of an attribute: which group each sample belongs to, and which samples are
//! left out of the attribute's analyses and why.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::spec::{Attribute, MissingAttribute};

/// Name of the group of samples whose attribute is blank, when `missing = "group"`.
pub const MISSING_GROUP: &str = "missing";

/// Samples of one attribute sorted into groups.
#[derive(Debug, Clone, Serialize)]
pub struct Grouping {
    pub attribute: String,
    pub column: String,
    /// Group names in report order: bins or listed values in spec order, otherwise
    /// values sorted, then [`MISSING_GROUP`] when some sample has a blank value.
    pub groups: Vec<String>,
    /// Group index of each sample; `None` for a sample left out of this attribute.
    #[serde(skip)]
    pub of_sample: Vec<Option<usize>>,
    /// Reason -> samples left out of this attribute's analyses.
    pub excluded: BTreeMap<String, usize>,
    /// Reason each sample is left out, `None` for a sample in a group.
    #[serde(skip)]
    pub reason_of_sample: Vec<Option<String>>,
    /// Whether the last group is [`MISSING_GROUP`], the samples with a blank value.
    pub has_missing_group: bool,
}

impl Grouping {
    /// Indices among `candidates` of the samples in group `group`.
    pub fn members(&self, group: usize, candidates: &[usize]) -> Vec<usize> {
        candidates.iter().copied().filter(|&i| self.of_sample[i] == Some(group)).collect()
    }

    /// Returns whether `group` is the group of blank values.
    pub fn is_missing_group(&self, group: usize) -> bool {
        self.has_missing_group && group + 1 == self.groups.len()
    }
}

/// Sorts samples into the groups of `attribute`, given each sample's value of its column.
pub fn group_samples(attribute: &Attribute, values: &[Option<String>]) -> Grouping {
    let mut reason_of_sample: Vec<Option<String>> = Vec::with_capacity(values.len());

    let mut groups: Vec<String> = if !attribute.bins.is_empty() {
        bin_labels(&attribute.bins)
    } else if !attribute.values.is_empty() {
        attribute.values.clone()
    } else {
        let present: BTreeSet<&String> = values.iter().flatten().collect();
        present.into_iter().cloned().collect()
    };
    let has_blank = values.iter().any(Option::is_none);
    let missing_group = (has_blank && attribute.missing == MissingAttribute::Group).then(|| {
        groups.push(MISSING_GROUP.to_string());
        groups.len() - 1
    });

    let mut of_sample = Vec::with_capacity(values.len());
    for value in values {
        let mut reason = None;
        let mut exclude = |text: String| reason = Some(text);
        let group = match value {
            None => {
                if missing_group.is_none() {
                    exclude(format!("blank {}", attribute.column));
                }
                missing_group
            }
            Some(text) if !attribute.bins.is_empty() => match text.trim().parse::<f64>() {
                Ok(number) if number.is_finite() => {
                    let bin = bin_of(&attribute.bins, number);
                    if bin.is_none() {
                        let (first, last) = (attribute.bins[0], attribute.bins[attribute.bins.len() - 1]);
                        exclude(format!("{} outside the bins [{first}, {last}]", attribute.column));
                    }
                    bin
                }
                _ => {
                    exclude(format!("{} is not a number", attribute.column));
                    None
                }
            },
            Some(text) => {
                let group = groups.iter().position(|g| g == text).filter(|&g| Some(g) != missing_group);
                if group.is_none() {
                    exclude(format!("{} not among the listed values", attribute.column));
                }
                group
            }
        };
        of_sample.push(group);
        reason_of_sample.push(reason);
    }
    let mut excluded: BTreeMap<String, usize> = BTreeMap::new();
    for reason in reason_of_sample.iter().flatten() {
        *excluded.entry(reason.clone()).or_default() += 1;
    }
    Grouping { attribute: attribute.name.clone(), column: attribute.column.clone(), groups, of_sample, excluded, reason_of_sample, has_missing_group: missing_group.is_some() }
}

/// Labels of the bins between consecutive edges: `[a, b)`, and `[a, b]` for the last bin.
pub fn bin_labels(edges: &[f64]) -> Vec<String> {
    let last = edges.len().saturating_sub(2);
    edges
        .windows(2)
        .enumerate()
        .map(|(i, pair)| if i == last { format!("[{}, {}]", pair[0], pair[1]) } else { format!("[{}, {})", pair[0], pair[1]) })
        .collect()
}

/// Returns the bin of `value`: bin i contains edges[i] <= value < edges[i + 1], and the
/// last bin also contains its upper edge.
pub fn bin_of(edges: &[f64], value: f64) -> Option<usize> {
    let last = edges.len().checked_sub(2)?;
    (0..=last).find(|&i| edges[i] <= value && (value < edges[i + 1] || (i == last && value == edges[i + 1])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(bins: Vec<f64>, values: Vec<&str>, missing: MissingAttribute) -> Attribute {
        Attribute {
            name: "a".to_string(),
            column: "col".to_string(),
            bins,
            values: values.into_iter().map(str::to_string).collect(),
            missing,
        }
    }

    fn text(values: &[Option<&str>]) -> Vec<Option<String>> {
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn bins_are_closed_below_and_the_last_above() {
        let edges = [0.0, 40.0, 60.0, 120.0];
        let cases = [(0.0, Some(0)), (39.9, Some(0)), (40.0, Some(1)), (60.0, Some(2)), (120.0, Some(2)), (120.5, None), (-1.0, None)];
        for (value, expected) in cases {
            assert_eq!(bin_of(&edges, value), expected, "value {value}");
        }
        assert_eq!(bin_labels(&edges), ["[0, 40)", "[40, 60)", "[60, 120]"]);
    }

    #[test]
    fn blank_values_form_the_missing_group() {
        let grouping = group_samples(&attribute(vec![], vec![], MissingAttribute::Group), &text(&[Some("M"), None, Some("F"), Some("M")]));
        assert_eq!(grouping.groups, ["F", "M", "missing"]);
        assert_eq!(grouping.of_sample, [Some(1), Some(2), Some(0), Some(1)]);
        assert!(grouping.excluded.is_empty());
        assert!(grouping.is_missing_group(2));
    }

    #[test]
    fn excluded_values_are_counted_by_reason() {
        let values = text(&[Some("30"), None, Some("x"), Some("200"), Some("70")]);
        let grouping = group_samples(&attribute(vec![0.0, 50.0, 100.0], vec![], MissingAttribute::Exclude), &values);
        assert_eq!(grouping.groups, ["[0, 50)", "[50, 100]"]);
        assert_eq!(grouping.of_sample, [Some(0), None, None, None, Some(1)]);
        assert_eq!(grouping.excluded["blank col"], 1);
        assert_eq!(grouping.excluded["col is not a number"], 1);
        assert_eq!(grouping.excluded["col outside the bins [0, 100]"], 1);
        let total: usize = grouping.excluded.values().sum::<usize>() + grouping.of_sample.iter().flatten().count();
        assert_eq!(total, values.len());
    }

    #[test]
    fn listed_values_keep_spec_order() {
        let grouping = group_samples(&attribute(vec![], vec!["PA", "AP"], MissingAttribute::Group), &text(&[Some("AP"), Some("L"), Some("PA")]));
        assert_eq!(grouping.groups, ["PA", "AP"]);
        assert_eq!(grouping.of_sample, [Some(1), None, Some(0)]);
        assert_eq!(grouping.excluded["col not among the listed values"], 1);
    }
}
