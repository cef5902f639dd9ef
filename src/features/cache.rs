//! On-disk cache of frozen features, one file per (encoder, image).
//!
//! The key of an entry is built from the encoder's identity (architecture, weights hash
//! or seed, preprocessing) and the image's bytes, so any change to either misses the
//! cache instead of returning stale features. Each entry is written atomically: an
//! interrupted run leaves only whole entries, and the next run extracts the rest.

use std::path::{Path, PathBuf};

use crate::report::atomic::{write_atomic, AtomicWriteError};

/// File header: magic bytes, then the feature count as little-endian u32.
const MAGIC: &[u8; 8] = b"RDBFEAT1";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
    #[error("failed to create cache folder {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
}

#[derive(Debug, Clone)]
pub struct FeatureCache {
    root: PathBuf,
}

/// The cache folder of one encoder.
#[derive(Debug, Clone)]
pub struct EncoderCache {
    dir: PathBuf,
}

impl FeatureCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FeatureCache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Opens (creating if needed) the folder for an encoder identity, and records the
    /// identity in `identity.txt` there so a person can tell the folders apart.
    pub fn encoder(&self, identity: &str) -> Result<EncoderCache, CacheError> {
        let key = blake3::hash(identity.as_bytes()).to_hex();
        let dir = self.root.join(&key.as_str()[..24]);
        std::fs::create_dir_all(&dir).map_err(|source| CacheError::CreateDir { path: dir.clone(), source })?;
        let identity_file = dir.join("identity.txt");
        if !identity_file.exists() {
            write_atomic(&identity_file, identity.as_bytes())?;
        }
        Ok(EncoderCache { dir })
    }
}

impl EncoderCache {
    fn entry(&self, image_key: &str) -> PathBuf {
        self.dir.join(&image_key[..2]).join(format!("{image_key}.f32"))
    }

    /// Returns the cached features of an image, or `None` when absent. An unreadable or
    /// truncated entry counts as absent (and is overwritten by the next `put`).
    pub fn get(&self, image_key: &str) -> Option<Vec<f32>> {
        let path = self.entry(image_key);
        let bytes = std::fs::read(&path).ok()?;
        let decoded = decode(&bytes);
        if decoded.is_none() {
            tracing::warn!(path = %path.display(), "ignoring a corrupt feature-cache entry; it will be extracted again");
        }
        decoded
    }

    pub fn put(&self, image_key: &str, features: &[f32]) -> Result<(), CacheError> {
        Ok(write_atomic(&self.entry(image_key), &encode(features))?)
    }
}

/// Content key of an image: the BLAKE3 hash of its bytes, in hex.
pub fn image_key(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

fn encode(features: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + 4 * features.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(features.len() as u32).to_le_bytes());
    for v in features {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

fn decode(bytes: &[u8]) -> Option<Vec<f32>> {
    let rest = bytes.strip_prefix(MAGIC.as_slice())?;
    let (count, values) = rest.split_at_checked(4)?;
    let count = u32::from_le_bytes(count.try_into().ok()?) as usize;
    if values.len() != 4 * count {
        return None;
    }
    Some(values.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("chunk of 4"))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_round_trips_features() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FeatureCache::new(dir.path()).encoder("vit_small;seed:0").unwrap();
        let key = image_key(b"image bytes");
        assert!(cache.get(&key).is_none());
        cache.put(&key, &[1.0, -2.5, 3.25]).unwrap();
        assert_eq!(cache.get(&key).unwrap(), vec![1.0, -2.5, 3.25]);
    }

    #[test]
    fn truncated_entry_reads_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FeatureCache::new(dir.path()).encoder("x").unwrap();
        let key = image_key(b"a");
        cache.put(&key, &[1.0, 2.0]).unwrap();
        let path = cache.entry(&key);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 2]).unwrap();
        assert!(cache.get(&key).is_none());
    }

    #[test]
    fn identities_get_separate_folders() {
        let dir = tempfile::tempdir().unwrap();
        let cache = FeatureCache::new(dir.path());
        let key = image_key(b"a");
        cache.encoder("one").unwrap().put(&key, &[1.0]).unwrap();
        assert!(cache.encoder("two").unwrap().get(&key).is_none());
    }
}
