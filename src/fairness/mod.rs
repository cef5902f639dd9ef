//! Subgroup audits and the long-tail analysis of a benchmark's classifier.

pub mod audit;
pub mod groups;
pub mod long_tail;
pub mod threshold;
pub mod transfer;

pub use audit::{audit_attribute, equalised_odds_difference, AttributeAudit, AuditData, GroupAudit, MetricSpread, RateReport};
pub use groups::{bin_labels, bin_of, group_samples, Grouping, MISSING_GROUP};
pub use long_tail::{long_tail, Bucket, BucketReport, FindingFrequency, LongTail};
pub use threshold::{choose_threshold, decision, Decision, ThresholdChoice};
pub use transfer::{adjust, compare, SkippedTraining, TransferAttribute, TransferCell, TransferComparison, TransferRun};
