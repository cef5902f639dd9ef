//! Label-table summaries of the large chest X-ray datasets (CheXpert, NIH ChestX-ray14,
//! PadChest): subgroup sizes by sex and age, finding frequencies with their long-tail
//! bucket, and patient-level split checks, written as a markdown and JSON report.

pub mod chexpert;
pub mod error;
pub mod findings;
pub mod groups;
pub mod nih;
pub mod padchest;
pub mod report;
pub mod source;
pub mod splits;
pub mod summary;

pub use error::LabelTableError;
pub use findings::{Bucket, FindingFrequency, FindingsSummary};
pub use groups::{GroupCount, GroupTable};
pub use report::{write_report, LabelTablesReport, REPORT_FOLDER};
pub use source::{LabelDataset, METADATA_FOLDER};
pub use splits::SplitCheck;
pub use summary::{any_table_present, DatasetOutcome, DatasetSummary, Settings};
