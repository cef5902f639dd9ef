//! Patient-level train / validation / test splits.
//!
//! Every image of a patient lands in the same part, so no patient is seen in training
//! and again at test time.

use std::collections::{BTreeMap, BTreeSet};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::data::cohort::{Sample, Target};
use crate::spec::{Split, SplitPart};

#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error("patient {patient} has rows in more than one split part ({parts}) in column \"{column}\"; a patient's images must share one part")]
    PatientInTwoParts { patient: String, parts: String, column: String },
    #[error("split column \"{column}\" has value \"{value}\" that split.values does not map; map it to train, val or test")]
    UnmappedValue { column: String, value: String },
    #[error("the {part} split is empty ({patients} patients in all); use larger fractions or more data")]
    EmptyPart { part: &'static str, patients: usize },
}

/// Assigns each sample to a part. `column_values` contains the split column's value per
/// sample for `Split::Column` and is ignored otherwise.
pub fn assign(split: &Split, samples: &[Sample], column_values: Option<&[Option<String>]>) -> Result<Vec<SplitPart>, SplitError> {
    let parts = match split {
        Split::PatientRandom { train, val, seed, stratify, .. } => random_by_patient(samples, *train, *val, *seed, *stratify),
        Split::Column { column, values } => by_column(samples, column, values, column_values.unwrap_or(&[]))?,
    };
    let patients: BTreeSet<&str> = samples.iter().map(|s| s.patient.as_str()).collect();
    for part in SplitPart::ALL {
        if !parts.contains(&part) {
            return Err(SplitError::EmptyPart { part: part.as_str(), patients: patients.len() });
        }
    }
    Ok(parts)
}

/// Stratum of a patient: the class of their first image for class tasks, none otherwise.
fn stratum(sample: &Sample) -> Option<usize> {
    match sample.target {
        Target::Class(class) => Some(class),
        _ => None,
    }
}

fn random_by_patient(samples: &[Sample], train: f64, val: f64, seed: u64, stratify: bool) -> Vec<SplitPart> {
    // Patients grouped by stratum (the class of their first image).
    let mut strata: BTreeMap<Option<usize>, Vec<&str>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for sample in samples {
        if seen.insert(sample.patient.as_str()) {
            let key = if stratify { stratum(sample) } else { None };
            strata.entry(key).or_default().push(sample.patient.as_str());
        }
    }

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut part_of: BTreeMap<&str, SplitPart> = BTreeMap::new();
    for patients in strata.values_mut() {
        // Sorting first makes the split depend on the seed and the patient ids alone,
        // not on the order of the table's rows.
        patients.sort_unstable();
        patients.shuffle(&mut rng);
        let n = patients.len() as f64;
        for (i, patient) in patients.iter().enumerate() {
            // Position of the patient's midpoint in [0, 1): proportional allocation that
            // rounds each stratum to the nearest whole patient.
            let position = (i as f64 + 0.5) / n;
            let part = if position < train {
                SplitPart::Train
            } else if position < train + val {
                SplitPart::Val
            } else {
                SplitPart::Test
            };
            part_of.insert(patient, part);
        }
    }
    samples.iter().map(|s| part_of[s.patient.as_str()]).collect()
}

fn by_column(
    samples: &[Sample],
    column: &str,
    mapping: &BTreeMap<String, SplitPart>,
    values: &[Option<String>],
) -> Result<Vec<SplitPart>, SplitError> {
    let mut parts = Vec::with_capacity(samples.len());
    let mut part_of_patient: BTreeMap<&str, SplitPart> = BTreeMap::new();
    for (sample, value) in samples.iter().zip(values) {
        let value = value.clone().unwrap_or_default();
        let part = *mapping
            .get(&value)
            .ok_or_else(|| SplitError::UnmappedValue { column: column.to_string(), value: value.clone() })?;
        if let Some(previous) = part_of_patient.insert(&sample.patient, part) {
            if previous != part {
                return Err(SplitError::PatientInTwoParts {
                    patient: sample.patient.clone(),
                    parts: format!("{}, {}", previous.as_str(), part.as_str()),
                    column: column.to_string(),
                });
            }
        }
        parts.push(part);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn sample(patient: &str, class: usize) -> Sample {
        Sample {
            row: 0,
            image: PathBuf::new(),
            patient: patient.to_string(),
            sex: None,
            age: None,
            view: None,
            target: Target::Class(class),
        }
    }

    fn cohort() -> Vec<Sample> {
        let mut samples = Vec::new();
        for p in 0..100 {
            let class = if p < 70 { 0 } else if p < 90 { 1 } else { 2 };
            for _ in 0..(1 + p % 3) {
                samples.push(sample(&format!("p{p}"), class));
            }
        }
        samples
    }

    fn random(stratify: bool, seed: u64) -> Split {
        Split::PatientRandom { train: 0.6, val: 0.2, test: 0.2, seed, stratify }
    }

    #[test]
    fn random_split_keeps_patients_together() {
        let samples = cohort();
        let parts = assign(&random(true, 3), &samples, None).unwrap();
        let mut part_of = BTreeMap::new();
        for (s, p) in samples.iter().zip(&parts) {
            let previous = part_of.insert(&s.patient, *p);
            assert!(previous.is_none_or(|q| q == *p), "patient {} in two parts", s.patient);
        }
    }

    #[test]
    fn random_split_follows_fractions_per_class() {
        let samples = cohort();
        let parts = assign(&random(true, 5), &samples, None).unwrap();
        let mut counts: BTreeMap<(usize, SplitPart), BTreeSet<&str>> = BTreeMap::new();
        for (s, p) in samples.iter().zip(&parts) {
            let Target::Class(c) = s.target else { unreachable!() };
            counts.entry((c, *p)).or_default().insert(&s.patient);
        }
        // 70 / 20 / 10 patients per class at 0.6 / 0.2 / 0.2.
        let expected = [(0, [42, 14, 14]), (1, [12, 4, 4]), (2, [6, 2, 2])];
        for (class, sizes) in expected {
            for (part, size) in SplitPart::ALL.iter().zip(sizes) {
                assert_eq!(counts[&(class, *part)].len(), size, "class {class} {part:?}");
            }
        }
    }

    #[test]
    fn random_split_is_seeded() {
        let samples = cohort();
        let a = assign(&random(true, 1), &samples, None).unwrap();
        let b = assign(&random(true, 1), &samples, None).unwrap();
        let c = assign(&random(true, 2), &samples, None).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn random_split_ignores_row_order() {
        let samples = cohort();
        let reversed: Vec<Sample> = samples.iter().rev().cloned().collect();
        let forward = assign(&random(true, 4), &samples, None).unwrap();
        let backward = assign(&random(true, 4), &reversed, None).unwrap();
        let map = |samples: &[Sample], parts: &[SplitPart]| -> BTreeMap<String, SplitPart> {
            samples.iter().zip(parts).map(|(s, p)| (s.patient.clone(), *p)).collect()
        };
        assert_eq!(map(&samples, &forward), map(&reversed, &backward));
    }

    #[test]
    fn column_split_rejects_patient_in_two_parts() {
        let samples = vec![sample("a", 0), sample("a", 0), sample("b", 1)];
        let mapping: BTreeMap<String, SplitPart> =
            [("tr", SplitPart::Train), ("va", SplitPart::Val), ("te", SplitPart::Test)].into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let split = Split::Column { column: "fold".into(), values: mapping };
        let values = vec![Some("tr".to_string()), Some("te".to_string()), Some("va".to_string())];
        let error = assign(&split, &samples, Some(&values)).unwrap_err();
        assert!(error.to_string().contains("patient a"), "{error}");
    }
}
