//! Finding frequencies and their long-tail bucket.
//!
//! A finding's frequency is its positive images divided by the labelled images: the images
//! whose row carries a label (list) at all. Each dataset states in
//! [`FindingsSummary::policy`] which values count as positive and which rows as labelled.

use std::collections::BTreeSet;

use polars::prelude::*;
use serde::Serialize;

pub use crate::fairness::Bucket;
use crate::tables::source::{counts, strings, text_cells};

/// Buckets `positives / labelled` with the default boundaries of a benchmark's
/// `[long_tail]` table: common above 10%, rare below 1%, uncommon in between with both ends
/// included. Integer arithmetic keeps a frequency of exactly 1% or 10% from being misplaced
/// by rounding. Returns `None` when nothing is labelled.
pub fn bucket_of_counts(positives: u64, labelled: u64) -> Option<Bucket> {
    if labelled == 0 {
        return None;
    }
    let (positives, labelled) = (u128::from(positives), u128::from(labelled));
    Some(if positives * 10 > labelled {
        Bucket::Common
    } else if positives * 100 < labelled {
        Bucket::Rare
    } else {
        Bucket::Uncommon
    })
}

/// Frequency of one finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingFrequency {
    pub finding: String,
    pub positives: u64,
    /// Denominator of `frequency`.
    pub labelled: u64,
    /// `positives / labelled`, or `None` when nothing is labelled.
    pub frequency: Option<f64>,
    pub bucket: Option<Bucket>,
    /// Images coded negative (CheXpert 0), where the table codes negatives explicitly.
    pub negatives: Option<u64>,
    /// Images coded uncertain (CheXpert -1).
    pub uncertain: Option<u64>,
    /// Images whose cell for this finding is blank (CheXpert: not mentioned in the report).
    pub blank: Option<u64>,
    /// Images whose cell is not one of the known codes.
    pub invalid: Option<u64>,
}

impl FindingFrequency {
    /// Builds a frequency from counts, with the bucket; the CheXpert code columns stay empty.
    pub fn new(finding: &str, positives: u64, labelled: u64) -> FindingFrequency {
        FindingFrequency {
            finding: finding.to_string(),
            positives,
            labelled,
            frequency: (labelled > 0).then(|| positives as f64 / labelled as f64),
            bucket: bucket_of_counts(positives, labelled),
            negatives: None,
            uncertain: None,
            blank: None,
            invalid: None,
        }
    }
}

/// Images left out of the denominator, by reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unlabelled {
    pub reason: String,
    pub images: u64,
}

/// Finding frequencies of one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingsSummary {
    /// Rule for positives and for labelled images, in words.
    pub policy: String,
    pub images: u64,
    pub labelled_images: u64,
    pub unlabelled: Vec<Unlabelled>,
    /// Sorted by frequency, highest first, then by name.
    pub findings: Vec<FindingFrequency>,
}

impl FindingsSummary {
    pub fn bucket_count(&self, bucket: Bucket) -> usize {
        self.findings.iter().filter(|finding| finding.bucket == Some(bucket)).count()
    }
}

/// Sorts findings by frequency, highest first, ties and undefined frequencies by name.
pub fn sort_findings(findings: &mut [FindingFrequency]) {
    findings.sort_by(|a, b| {
        let a_key = a.frequency.unwrap_or(-1.0);
        let b_key = b.frequency.unwrap_or(-1.0);
        b_key.total_cmp(&a_key).then_with(|| a.finding.cmp(&b.finding))
    });
}

/// The label cell of one image, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelCell {
    /// The image's findings, each once, blank names dropped. May be empty.
    Findings(BTreeSet<String>),
    /// The cell is blank, or a code for a missing value.
    Blank,
    /// Cell that could not be parsed, with the reason.
    Invalid(String),
}

/// Counts finding frequencies from one label cell per image. Images whose cell is blank,
/// invalid or has no finding are left out of the denominator and counted by reason. The
/// frequency of each finding is its images over the remaining (labelled) images.
pub fn frequencies_from_cells(policy: &str, cells: &[LabelCell]) -> PolarsResult<FindingsSummary> {
    let mut image_ids: Vec<u32> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    let (mut labelled, mut blank, mut invalid, mut empty) = (0_u64, 0_u64, 0_u64, 0_u64);
    for (image, cell) in cells.iter().enumerate() {
        match cell {
            LabelCell::Findings(findings) if findings.is_empty() => empty += 1,
            LabelCell::Findings(findings) => {
                labelled += 1;
                for finding in findings {
                    image_ids.push(image as u32);
                    names.push(finding);
                }
            }
            LabelCell::Blank => blank += 1,
            LabelCell::Invalid(_) => invalid += 1,
        }
    }

    // One row per (image, finding); the parser already removed duplicates within an image.
    let long = df!("image" => image_ids, "finding" => names)?;
    let positives = long
        .lazy()
        .group_by([col("finding")])
        .agg([col("image").n_unique().alias("positives")])
        .collect()?;
    let finding_names = strings(&positives, "finding")?;
    let positive_counts = counts(&positives, "positives")?;
    let mut findings: Vec<FindingFrequency> = finding_names
        .into_iter()
        .zip(positive_counts)
        .map(|(name, positives)| FindingFrequency::new(name.as_deref().unwrap_or(""), positives, labelled))
        .collect();
    sort_findings(&mut findings);

    let mut unlabelled = Vec::new();
    for (reason, images) in [
        ("label cell blank", blank),
        ("label cell not parsable", invalid),
        ("label list empty after dropping blank entries", empty),
    ] {
        unlabelled.push(Unlabelled { reason: reason.to_string(), images });
    }
    Ok(FindingsSummary { policy: policy.to_string(), images: cells.len() as u64, labelled_images: labelled, unlabelled, findings })
}

/// Parses the label list of every image in `column` with `parse` and counts the finding
/// frequencies with [`frequencies_from_cells`].
pub fn frequencies_from_label_lists(
    frame: &DataFrame,
    column: &str,
    policy: &str,
    parse: impl Fn(Option<&str>) -> LabelCell,
) -> PolarsResult<FindingsSummary> {
    let cells: Vec<LabelCell> = text_cells(frame, column)?.map(parse).collect();
    frequencies_from_cells(policy, &cells)
}

/// Parses a `|`-separated finding list ("Cardiomegaly|Effusion"), the NIH format.
pub fn parse_separated(cell: Option<&str>, separator: char) -> LabelCell {
    let Some(text) = cell.map(str::trim).filter(|text| !text.is_empty()) else {
        return LabelCell::Blank;
    };
    let findings = text.split(separator).map(str::trim).filter(|name| !name.is_empty()).map(str::to_string).collect();
    LabelCell::Findings(findings)
}

/// Parses a Python list literal of strings ("['normal', ' pleural effusion']"), the PadChest
/// format, trimming each name. `nan` and blank cells are [`LabelCell::Blank`].
pub fn parse_python_list(cell: Option<&str>) -> LabelCell {
    let Some(text) = cell.map(str::trim).filter(|text| !text.is_empty() && *text != "nan") else {
        return LabelCell::Blank;
    };
    let Some(inner) = text.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) else {
        return LabelCell::Invalid(format!("expected a list in brackets, got {text:?}"));
    };

    let mut findings = BTreeSet::new();
    let mut chars = inner.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(quote) = chars.next() else { break };
        if quote != '\'' && quote != '"' {
            return LabelCell::Invalid(format!("expected a quoted string in {text:?}, got {quote:?}"));
        }
        let mut name = String::new();
        loop {
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some(escaped) => name.push(escaped),
                    None => return LabelCell::Invalid(format!("unterminated string in {text:?}")),
                },
                Some(c) if c == quote => break,
                Some(c) => name.push(c),
                None => return LabelCell::Invalid(format!("unterminated string in {text:?}")),
            }
        }
        let name = name.trim();
        if !name.is_empty() {
            findings.insert(name.to_string());
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            None => break,
            Some(',') => continue,
            Some(other) => return LabelCell::Invalid(format!("expected ',' or ']' in {text:?}, got {other:?}")),
        }
    }
    LabelCell::Findings(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> LabelCell {
        LabelCell::Findings(names.iter().map(|name| name.to_string()).collect())
    }

    #[test]
    fn bucket_boundaries() {
        let cases = [
            (11, 100, Bucket::Common),
            (10, 100, Bucket::Uncommon),
            (1_000_001, 10_000_000, Bucket::Common),
            (2, 100, Bucket::Uncommon),
            (1, 100, Bucket::Uncommon),
            (999_999, 100_000_000, Bucket::Rare),
            (0, 100, Bucket::Rare),
            (100, 100, Bucket::Common),
        ];
        for (positives, labelled, expected) in cases {
            assert_eq!(bucket_of_counts(positives, labelled), Some(expected), "{positives} / {labelled}");
        }
        assert_eq!(bucket_of_counts(0, 0), None);
    }

    #[test]
    fn separated_list_drops_duplicates_and_blanks() {
        assert_eq!(parse_separated(Some("Effusion|Mass|Effusion| "), '|'), set(&["Effusion", "Mass"]));
        assert_eq!(parse_separated(Some("No Finding"), '|'), set(&["No Finding"]));
        assert_eq!(parse_separated(None, '|'), LabelCell::Blank);
        assert_eq!(parse_separated(Some("  "), '|'), LabelCell::Blank);
    }

    #[test]
    fn python_list_parses_padchest_cells() {
        assert_eq!(parse_python_list(Some("['normal']")), set(&["normal"]));
        assert_eq!(
            parse_python_list(Some("['cardiomegaly', '', ' pleural effusion', 'cardiomegaly']")),
            set(&["cardiomegaly", "pleural effusion"])
        );
        assert_eq!(parse_python_list(Some("[\"it's\", 'a\\'b']")), set(&["it's", "a'b"]));
        assert_eq!(parse_python_list(Some("['']")), set(&[]));
        assert_eq!(parse_python_list(Some("[]")), set(&[]));
        assert_eq!(parse_python_list(Some("nan")), LabelCell::Blank);
        assert_eq!(parse_python_list(None), LabelCell::Blank);
        for bad in ["normal", "['normal'", "['normal' 'x']", "[normal]", "['open]"] {
            assert!(matches!(parse_python_list(Some(bad)), LabelCell::Invalid(_)), "{bad} parsed");
        }
    }

    #[test]
    fn frequencies_count_labelled_images_only() {
        let mut cells = vec![set(&["a"]); 11];
        cells.extend(vec![set(&["b", "a"]); 1]);
        cells.extend(vec![set(&["none"]); 88]);
        cells.push(LabelCell::Blank);
        cells.push(LabelCell::Invalid("x".into()));
        cells.push(set(&[]));

        let summary = frequencies_from_cells("test", &cells).unwrap();

        assert_eq!(summary.images, 103);
        assert_eq!(summary.labelled_images, 100);
        let reasons: Vec<u64> = summary.unlabelled.iter().map(|u| u.images).collect();
        assert_eq!(reasons, vec![1, 1, 1]);
        let names: Vec<&str> = summary.findings.iter().map(|f| f.finding.as_str()).collect();
        assert_eq!(names, vec!["none", "a", "b"]);
        let a = &summary.findings[1];
        assert_eq!((a.positives, a.labelled), (12, 100));
        assert_eq!(a.bucket, Some(Bucket::Common));
        assert_eq!(summary.findings[2].frequency, Some(0.01));
        assert_eq!(summary.findings[2].bucket, Some(Bucket::Uncommon));
        assert_eq!(summary.bucket_count(Bucket::Common), 2);
    }
}
