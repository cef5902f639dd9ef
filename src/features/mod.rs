//! Frozen features: extraction in batches and the on-disk cache.

pub mod cache;
pub mod extract;

pub use cache::{image_key, CacheError, EncoderCache, FeatureCache};
pub use extract::{extract, ExtractError, Extraction, ExtractionStats, FailedImage};
