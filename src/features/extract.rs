//! Frozen-feature extraction: read and hash every image, serve what the cache has, and
//! run the encoder in batches over the rest.

use std::path::PathBuf;
use std::time::Instant;

use indicatif::ProgressBar;
use rayon::prelude::*;
use serde::Serialize;
use tch::Tensor;

use crate::data::image::{decode_grey, preprocess, ImageError};
use crate::encoder::Encoder;
use crate::features::cache::{image_key, CacheError, EncoderCache};
use crate::spec::Preprocess;

/// Counts and timings of one extraction, recorded in the results.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExtractionStats {
    pub images: usize,
    pub from_cache: usize,
    pub extracted: usize,
    /// Wall time of reading, decoding and the forward passes, in seconds.
    pub seconds: f64,
    /// Images that could not be read or decoded, with the error.
    pub failed: Vec<FailedImage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedImage {
    pub image: PathBuf,
    pub error: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error(transparent)]
    Cache(#[from] CacheError),
    #[error("encoder failed on a batch starting at {}: {message}", first.display())]
    Forward { first: PathBuf, message: String },
    #[error(transparent)]
    Encoder(#[from] crate::encoder::EncoderError),
}

/// Features per image, `None` for images in `stats.failed`.
pub struct Extraction {
    pub features: Vec<Option<Vec<f32>>>,
    pub stats: ExtractionStats,
}

/// Extracts features for `images`, building the encoder only if some are not cached.
pub fn extract(
    images: &[PathBuf],
    contract: &Preprocess,
    cache: &EncoderCache,
    batch_size: usize,
    build_encoder: impl FnOnce() -> Result<Encoder, crate::encoder::EncoderError>,
    progress: &ProgressBar,
) -> Result<Extraction, ExtractError> {
    let start = Instant::now();
    let mut stats = ExtractionStats { images: images.len(), ..Default::default() };

    // Every image is read and hashed, since the cache key is the content hash; the
    // bytes are dropped again so memory stays flat on large datasets.
    let keys: Vec<Result<String, ImageError>> = images.par_iter().map(|path| read_image(path).map(|bytes| image_key(&bytes))).collect();

    let mut features: Vec<Option<Vec<f32>>> = vec![None; images.len()];
    let mut pending: Vec<usize> = Vec::new();
    for (i, item) in keys.iter().enumerate() {
        match item {
            Ok(key) => match cache.get(key) {
                Some(cached) => {
                    features[i] = Some(cached);
                    stats.from_cache += 1;
                }
                None => pending.push(i),
            },
            Err(error) => stats.failed.push(FailedImage { image: images[i].clone(), error: error.to_string() }),
        }
    }
    progress.set_length(images.len() as u64);
    progress.set_position(stats.from_cache as u64);

    if !pending.is_empty() {
        let encoder = build_encoder()?;
        for batch in pending.chunks(batch_size.max(1)) {
            let decoded: Vec<(usize, Result<Vec<f32>, ImageError>)> = batch
                .par_iter()
                .map(|&i| {
                    let decoded = read_image(&images[i]).and_then(|bytes| decode_grey(&images[i], &bytes));
                    (i, decoded.map(|grey| preprocess(&grey, contract)))
                })
                .collect();
            let mut ok_indices = Vec::with_capacity(batch.len());
            let mut pixels = Vec::with_capacity(batch.len() * contract.channels * (contract.resolution as usize).pow(2));
            for (i, result) in decoded {
                match result {
                    Ok(values) => {
                        ok_indices.push(i);
                        pixels.extend_from_slice(&values);
                    }
                    Err(error) => stats.failed.push(FailedImage { image: images[i].clone(), error: error.to_string() }),
                }
            }
            if ok_indices.is_empty() {
                progress.inc(batch.len() as u64);
                continue;
            }
            let side = contract.resolution as i64;
            let input = Tensor::from_slice(&pixels).reshape([ok_indices.len() as i64, contract.channels as i64, side, side]);
            let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| encoder.features(&input)))
                .map_err(|panic| ExtractError::Forward { first: images[ok_indices[0]].clone(), message: panic_message(panic) })?;
            let dim = output.size()[1] as usize;
            let flat: Vec<f32> = Vec::<f32>::try_from(output.contiguous().view([-1])).expect("features are f32");
            for (row, &i) in ok_indices.iter().enumerate() {
                let values = flat[row * dim..(row + 1) * dim].to_vec();
                let key = keys[i].as_ref().expect("pending images were hashed");
                cache.put(key, &values)?;
                features[i] = Some(values);
                stats.extracted += 1;
            }
            progress.inc(batch.len() as u64);
        }
    }
    stats.failed.sort_by(|a, b| a.image.cmp(&b.image));
    stats.seconds = start.elapsed().as_secs_f64();
    Ok(Extraction { features, stats })
}

fn read_image(path: &std::path::Path) -> Result<Vec<u8>, ImageError> {
    std::fs::read(path).map_err(|source| ImageError::Read { path: path.to_path_buf(), source })
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = panic.downcast_ref::<&str>() {
        text.to_string()
    } else {
        "unknown panic".to_string()
    }
}
