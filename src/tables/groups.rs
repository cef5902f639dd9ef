//! Subgroup sizes by sex and by age bin, counted in images and in patients.
//!
//! Each dataset adapter maps its table to a cohort frame with one row per image and three
//! text columns: [`PATIENT`] (null when the row names no patient), [`SEX`] and [`AGE_GROUP`].
//! Rows whose sex or age is blank or not a valid value land in the `missing` or `invalid`
//! group, so every image is counted in exactly one group of each attribute.

use polars::prelude::*;
use serde::Serialize;

use crate::tables::source::{counts, strings};

/// Image identifier column of a cohort frame (file name or path as the table gives it).
pub const IMAGE: &str = "image";
pub const PATIENT: &str = "patient";
pub const SEX: &str = "sex";
pub const AGE_GROUP: &str = "age_group";

pub const MISSING: &str = "missing";
pub const INVALID: &str = "invalid";

/// Sex groups in report order. `other` is the DICOM code O; `missing` covers blank cells
/// and codes that record no value (such as CheXpert's "Unknown").
pub const SEX_GROUPS: [&str; 5] = ["female", "male", "other", MISSING, INVALID];

/// Age bins in years, each closed below and open above (an age of exactly 20 is in
/// `20-40`), then the rows without a valid age. `80+` ends at [`MAX_VALID_AGE`].
pub const AGE_GROUPS: [&str; 7] = ["0-20", "20-40", "40-60", "60-80", "80+", MISSING, INVALID];

/// Lower bounds of the age bins of [`AGE_GROUPS`], in years.
const AGE_BIN_STARTS: [f64; 5] = [0.0, 20.0, 40.0, 60.0, 80.0];

/// Oldest age accepted as valid, in years. Older ages are counted as invalid.
pub const MAX_VALID_AGE: f64 = 120.0;

/// Sex codes of one dataset's table.
#[derive(Debug, Clone, Copy)]
pub struct SexCodes {
    pub female: &'static str,
    pub male: &'static str,
    pub other: Option<&'static str>,
    /// Codes that mean the value was not recorded. Blank cells are always missing.
    pub missing: &'static [&'static str],
}

/// Selects the cohort frame of a label table: the image and patient columns renamed to
/// [`IMAGE`] and [`PATIENT`], the sex group of the raw column `sex_column`, and the age group
/// `age_group` (see [`age_group`]).
pub fn select_cohort(
    frame: &DataFrame,
    image_column: &str,
    patient_column: &str,
    sex_column: &str,
    sex_codes: &SexCodes,
    age_group: Expr,
) -> PolarsResult<DataFrame> {
    frame
        .clone()
        .lazy()
        .select([
            col(image_column).alias(IMAGE),
            col(patient_column).alias(PATIENT),
            sex_group(col(sex_column), sex_codes).alias(SEX),
            age_group.alias(AGE_GROUP),
        ])
        .collect()
}

/// Builds the sex group of each row from the raw sex column `raw`.
pub fn sex_group(raw: Expr, codes: &SexCodes) -> Expr {
    let mut missing = raw.clone().is_null();
    for code in codes.missing {
        missing = missing.or(raw.clone().eq(lit(*code)));
    }
    let mut chain = when(missing)
        .then(lit(MISSING))
        .when(raw.clone().eq(lit(codes.female)))
        .then(lit("female"))
        .when(raw.clone().eq(lit(codes.male)))
        .then(lit("male"));
    if let Some(other) = codes.other {
        chain = chain.when(raw.eq(lit(other))).then(lit("other"));
    }
    chain.otherwise(lit(INVALID))
}

/// Builds the age group of each row. `missing` is true where the age was not recorded and
/// `age` is the age in years, null where the recorded value is not a number. Ages that are
/// null, NaN, negative or above [`MAX_VALID_AGE`] are invalid.
pub fn age_group(missing: Expr, age: Expr) -> Expr {
    let bins: Vec<(Expr, &str)> = AGE_BIN_STARTS
        .iter()
        .enumerate()
        .map(|(index, start)| {
            let from_start = age.clone().gt_eq(lit(*start));
            let below_end = match AGE_BIN_STARTS.get(index + 1) {
                Some(end) => age.clone().lt(lit(*end)),
                None => age.clone().lt_eq(lit(MAX_VALID_AGE)),
            };
            (from_start.and(below_end), AGE_GROUPS[index])
        })
        .collect();
    let mut chain = when(missing).then(lit(MISSING)).when(bins[0].0.clone()).then(lit(bins[0].1));
    for (in_bin, label) in &bins[1..] {
        chain = chain.when(in_bin.clone()).then(lit(*label));
    }
    chain.otherwise(lit(INVALID))
}

/// Images and patients of one group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupCount {
    pub group: String,
    pub images: u64,
    /// Patients with at least one image in the group.
    pub patients: u64,
}

/// Group sizes of one attribute (sex or age group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTable {
    pub attribute: String,
    pub groups: Vec<GroupCount>,
    /// Patients whose images fall in more than one group. Each of them is counted in every
    /// such group, so the patient column adds up to more than the patient total.
    pub patients_in_several_groups: u64,
}

/// Counts the images and patients of each group of `column` in a cohort frame. Every group
/// of `order` is listed, with zeros where no row has it. A group outside `order` is listed
/// after them.
pub fn count_groups(cohort: &DataFrame, column: &str, order: &[&str]) -> PolarsResult<GroupTable> {
    let sizes = cohort
        .clone()
        .lazy()
        .group_by([col(column)])
        .agg([len().alias("images"), col(PATIENT).drop_nulls().n_unique().alias("patients")])
        .collect()?;
    let names = strings(&sizes, column)?;
    let images = counts(&sizes, "images")?;
    let patients = counts(&sizes, "patients")?;

    let mut groups: Vec<GroupCount> = order
        .iter()
        .map(|group| GroupCount { group: group.to_string(), images: 0, patients: 0 })
        .collect();
    let mut extra = Vec::new();
    for ((name, images), patients) in names.into_iter().zip(images).zip(patients) {
        let name = name.unwrap_or_else(|| MISSING.to_string());
        match groups.iter_mut().find(|count| count.group == name) {
            Some(count) => {
                count.images += images;
                count.patients += patients;
            }
            None => extra.push(GroupCount { group: name, images, patients }),
        }
    }
    extra.sort_by(|a, b| a.group.cmp(&b.group));
    groups.extend(extra);

    let several = cohort
        .clone()
        .lazy()
        .filter(col(PATIENT).is_not_null())
        .group_by([col(PATIENT)])
        .agg([col(column).n_unique().alias("groups")])
        .filter(col("groups").gt(lit(1)))
        .collect()?
        .height() as u64;

    Ok(GroupTable { attribute: column.to_string(), groups, patients_in_several_groups: several })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort(patients: &[Option<&str>], sex: &[Option<&str>], age: &[Option<&str>]) -> DataFrame {
        let codes = SexCodes { female: "F", male: "M", other: Some("O"), missing: &["Unknown"] };
        let frame = df!(
            PATIENT => patients,
            "raw_sex" => sex,
            "raw_age" => age,
        )
        .unwrap();
        frame
            .lazy()
            .select([
                col(PATIENT),
                sex_group(col("raw_sex"), &codes).alias(SEX),
                age_group(col("raw_age").is_null(), col("raw_age").cast(DataType::Float64)).alias(AGE_GROUP),
            ])
            .collect()
            .unwrap()
    }

    fn group<'a>(table: &'a GroupTable, name: &str) -> &'a GroupCount {
        table.groups.iter().find(|count| count.group == name).unwrap()
    }

    #[test]
    fn age_bins_close_lower_bound() {
        let ages = ["0", "19.9", "20", "39", "40", "59.5", "60", "79", "80", "120"];
        let expected = ["0-20", "0-20", "20-40", "20-40", "40-60", "40-60", "60-80", "60-80", "80+", "80+"];
        let patients: Vec<Option<&str>> = (0..ages.len()).map(|_| Some("p")).collect();
        let sexes: Vec<Option<&str>> = (0..ages.len()).map(|_| Some("F")).collect();
        let ages: Vec<Option<&str>> = ages.iter().map(|age| Some(*age)).collect();

        let frame = cohort(&patients, &sexes, &ages);

        let groups = strings(&frame, AGE_GROUP).unwrap();
        for (index, bin) in expected.iter().enumerate() {
            assert_eq!(groups[index].as_deref(), Some(*bin), "age {:?}", ages[index]);
        }
    }

    #[test]
    fn missing_and_invalid_age_get_own_groups() {
        let ages = [None, Some("-1"), Some("121"), Some("abc"), Some("nan"), Some("45")];
        let patients: Vec<Option<&str>> = (0..ages.len()).map(|_| Some("p")).collect();
        let sexes: Vec<Option<&str>> = (0..ages.len()).map(|_| Some("M")).collect();

        let frame = cohort(&patients, &sexes, &ages);

        let groups = strings(&frame, AGE_GROUP).unwrap();
        let groups: Vec<&str> = groups.iter().map(|g| g.as_deref().unwrap()).collect();
        assert_eq!(groups, vec![MISSING, INVALID, INVALID, INVALID, INVALID, "40-60"]);
    }

    #[test]
    fn sex_codes_map_to_groups() {
        let sexes = [Some("F"), Some("M"), Some("O"), None, Some("Unknown"), Some("X")];
        let patients: Vec<Option<&str>> = (0..sexes.len()).map(|_| Some("p")).collect();
        let ages: Vec<Option<&str>> = (0..sexes.len()).map(|_| Some("30")).collect();

        let frame = cohort(&patients, &sexes, &ages);

        let groups = strings(&frame, SEX).unwrap();
        let groups: Vec<&str> = groups.iter().map(|g| g.as_deref().unwrap()).collect();
        assert_eq!(groups, vec!["female", "male", "other", MISSING, MISSING, INVALID]);
    }

    #[test]
    fn count_groups_keeps_missing_rows() {
        let patients = [Some("a"), Some("a"), Some("b"), Some("c"), None];
        let sexes = [Some("F"), Some("F"), None, Some("M"), Some("M")];
        let ages = [Some("30"), None, Some("30"), Some("85"), Some("30")];

        let frame = cohort(&patients, &sexes, &ages);
        let sex = count_groups(&frame, SEX, &SEX_GROUPS).unwrap();
        let age = count_groups(&frame, AGE_GROUP, &AGE_GROUPS).unwrap();

        let names: Vec<&str> = sex.groups.iter().map(|count| count.group.as_str()).collect();
        assert_eq!(names, SEX_GROUPS.to_vec());
        assert_eq!(group(&sex, "female"), &GroupCount { group: "female".into(), images: 2, patients: 1 });
        // The row without a patient id counts as an image but not as a patient.
        assert_eq!(group(&sex, "male"), &GroupCount { group: "male".into(), images: 2, patients: 1 });
        assert_eq!(group(&sex, MISSING), &GroupCount { group: MISSING.into(), images: 1, patients: 1 });
        assert_eq!(group(&sex, "other").images, 0);
        assert_eq!(sex.groups.iter().map(|count| count.images).sum::<u64>(), 5);
        assert_eq!(sex.patients_in_several_groups, 0);

        assert_eq!(group(&age, "20-40"), &GroupCount { group: "20-40".into(), images: 3, patients: 2 });
        assert_eq!(group(&age, MISSING), &GroupCount { group: MISSING.into(), images: 1, patients: 1 });
        assert_eq!(group(&age, "80+").images, 1);
        // Patient a has one image aged 30 and one without an age.
        assert_eq!(age.patients_in_several_groups, 1);
    }
}
