//! Datasets: label tables, cohorts, patient-level splits, image decoding.

pub mod cohort;
pub mod image;
pub mod layout;
pub mod split;
pub mod table;

pub use cohort::{build_cohort, read_benchmark_table, Accounting, Cohort, CohortError, Sample, Target};
pub use layout::DatasetLayout;
pub use split::{assign as assign_split, SplitError};
pub use table::{Table, TableError};
