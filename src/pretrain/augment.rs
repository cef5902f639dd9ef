//! Multi-crop augmentation for grey X-ray images: two global and N local random resized
//! crops. Each crop is flipped and given intensity changes that suit a single channel
//! (brightness, contrast, gamma, Gaussian blur, solarisation), with no hue or saturation.
//!
//! Each image's crops come from a generator seeded by (run seed, step, position in the
//! batch), so a batch is the same however many threads compute it and after a resume.

use image::imageops::{self, FilterType};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::data::image::GreyImage;

/// Crop sizes and counts.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CropConfig {
    pub global_size: u32,
    pub local_size: u32,
    pub local_count: usize,
    /// Range of the crop's area as a share of the image, for global crops (DINOv2: 0.32-1).
    #[serde(default = "default_global_scale")]
    pub global_scale: [f64; 2],
    /// The same for local crops (DINOv2: 0.05-0.32).
    #[serde(default = "default_local_scale")]
    pub local_scale: [f64; 2],
}

fn default_global_scale() -> [f64; 2] {
    [0.32, 1.0]
}

fn default_local_scale() -> [f64; 2] {
    [0.05, 0.32]
}

/// Intensity and geometric augmentations, with DINOv2's probabilities as defaults.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct AugmentConfig {
    /// Probability of a horizontal flip.
    pub flip_probability: f64,
    /// Probability of the brightness and contrast change.
    pub jitter_probability: f64,
    /// Brightness factor drawn from [1 - b, 1 + b].
    pub brightness: f64,
    /// Contrast factor drawn from [1 - c, 1 + c], around the crop's mean intensity.
    pub contrast: f64,
    /// Probability of a gamma change, with the exponent drawn from `gamma`.
    pub gamma_probability: f64,
    pub gamma: [f64; 2],
    /// Blur probability of the first global crop, the second, and each local crop.
    pub blur_probability: [f64; 3],
    /// Range of the Gaussian blur's standard deviation, in pixels of the crop.
    pub blur_sigma: [f64; 2],
    /// Probability of solarising the second global crop (intensities at or above the
    /// threshold are inverted).
    pub solarize_probability: f64,
    pub solarize_threshold: f64,
    /// Per-channel normalisation after the intensity changes; the grey crop is copied into
    /// `mean.len()` channels.
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        AugmentConfig {
            flip_probability: 0.5,
            jitter_probability: 0.8,
            brightness: 0.4,
            contrast: 0.4,
            gamma_probability: 0.5,
            gamma: [0.7, 1.5],
            blur_probability: [1.0, 0.1, 0.5],
            blur_sigma: [0.1, 2.0],
            solarize_probability: 0.2,
            solarize_threshold: 0.5,
            mean: vec![0.485, 0.456, 0.406],
            std: vec![0.229, 0.224, 0.225],
        }
    }
}

/// The crops of one batch, normalised, channel-major, ready to become tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchCrops {
    /// `[2 * B, C, G, G]` values: first crop of every image, then the second crop.
    pub global: Vec<f32>,
    /// `[N * B, C, L, L]` values: local crop 0 of every image, then crop 1, ...
    pub local: Vec<f32>,
    pub batch: usize,
}

/// Creates the generator for one use (`purpose`, 8 bytes) at batch `step`, item `index`,
/// so every random stream of a run depends only on the seed and its position.
pub fn step_rng(seed: u64, step: u64, index: u64, purpose: &[u8; 8]) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&step.to_le_bytes());
    key[16..24].copy_from_slice(&index.to_le_bytes());
    key[24..32].copy_from_slice(purpose);
    ChaCha8Rng::from_seed(key)
}

/// Returns the generator of image `index` of batch `step`.
pub fn crop_rng(seed: u64, step: u64, index: u64) -> ChaCha8Rng {
    step_rng(seed, step, index, b"multicrp")
}

/// Chooses a crop as torchvision's `RandomResizedCrop` does: up to ten tries at an area
/// share from `scale` and an aspect ratio between 3/4 and 4/3 (log-uniform), then the
/// largest centred crop within those ratios. Returns (left, top, width, height).
pub fn random_resized_crop(width: u32, height: u32, scale: [f64; 2], rng: &mut impl Rng) -> (u32, u32, u32, u32) {
    let area = (width * height) as f64;
    let ratio = (3.0f64 / 4.0, 4.0f64 / 3.0);
    for _ in 0..10 {
        let target = area * rng.random_range(scale[0]..=scale[1]);
        let aspect = rng.random_range(ratio.0.ln()..=ratio.1.ln()).exp();
        let w = (target * aspect).sqrt().round() as u32;
        let h = (target / aspect).sqrt().round() as u32;
        if w > 0 && h > 0 && w <= width && h <= height {
            let top = rng.random_range(0..=height - h);
            let left = rng.random_range(0..=width - w);
            return (left, top, w, h);
        }
    }
    let in_ratio = width as f64 / height as f64;
    let (w, h) = if in_ratio < ratio.0 {
        (width, ((width as f64 / ratio.0).round() as u32).min(height))
    } else if in_ratio > ratio.1 {
        (((height as f64 * ratio.1).round() as u32).min(width), height)
    } else {
        (width, height)
    };
    ((width - w) / 2, (height - h) / 2, w, h)
}

/// Kind of crop, which decides the blur and solarisation probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CropKind {
    FirstGlobal,
    SecondGlobal,
    Local,
}

fn augment_crop(image: &GreyImage, size: u32, scale: [f64; 2], kind: CropKind, config: &AugmentConfig, rng: &mut impl Rng) -> GreyImage {
    let (left, top, w, h) = random_resized_crop(image.width(), image.height(), scale, rng);
    let cropped = imageops::crop_imm(image, left, top, w, h).to_image();
    let mut crop = imageops::resize(&cropped, size, size, FilterType::Triangle);
    if rng.random_bool(config.flip_probability) {
        imageops::flip_horizontal_in_place(&mut crop);
    }
    if rng.random_bool(config.jitter_probability) {
        let brightness = rng.random_range(1.0 - config.brightness..=1.0 + config.brightness) as f32;
        let contrast = rng.random_range(1.0 - config.contrast..=1.0 + config.contrast) as f32;
        for value in crop.iter_mut() {
            *value = (*value * brightness).clamp(0.0, 1.0);
        }
        let mean = crop.iter().sum::<f32>() / crop.len() as f32;
        for value in crop.iter_mut() {
            *value = ((*value - mean) * contrast + mean).clamp(0.0, 1.0);
        }
    }
    if rng.random_bool(config.gamma_probability) {
        let gamma = rng.random_range(config.gamma[0]..=config.gamma[1]) as f32;
        for value in crop.iter_mut() {
            *value = value.powf(gamma);
        }
    }
    let blur = match kind {
        CropKind::FirstGlobal => config.blur_probability[0],
        CropKind::SecondGlobal => config.blur_probability[1],
        CropKind::Local => config.blur_probability[2],
    };
    if rng.random_bool(blur) {
        let sigma = rng.random_range(config.blur_sigma[0]..=config.blur_sigma[1]) as f32;
        crop = imageops::blur(&crop, sigma);
    }
    if kind == CropKind::SecondGlobal && rng.random_bool(config.solarize_probability) {
        let threshold = config.solarize_threshold as f32;
        for value in crop.iter_mut() {
            if *value >= threshold {
                *value = 1.0 - *value;
            }
        }
    }
    crop
}

/// Appends the crop, normalised per channel, to `out` (channel-major).
fn push_normalised(crop: &GreyImage, config: &AugmentConfig, out: &mut Vec<f32>) {
    for (mean, std) in config.mean.iter().zip(&config.std) {
        out.extend(crop.iter().map(|&v| ((v as f64 - mean) / std) as f32));
    }
}

/// Cuts the crops of one image: two global, then the local ones.
fn image_crops(image: &GreyImage, crops: &CropConfig, config: &AugmentConfig, mut rng: ChaCha8Rng) -> (Vec<GreyImage>, Vec<GreyImage>) {
    let global = vec![
        augment_crop(image, crops.global_size, crops.global_scale, CropKind::FirstGlobal, config, &mut rng),
        augment_crop(image, crops.global_size, crops.global_scale, CropKind::SecondGlobal, config, &mut rng),
    ];
    let local = (0..crops.local_count).map(|_| augment_crop(image, crops.local_size, crops.local_scale, CropKind::Local, config, &mut rng)).collect();
    (global, local)
}

/// Builds the crops of a batch in parallel. Image `i` of the batch uses
/// `crop_rng(seed, step, i)`.
pub fn batch_crops(images: &[&GreyImage], crops: &CropConfig, config: &AugmentConfig, seed: u64, step: u64) -> BatchCrops {
    let per_image: Vec<(Vec<GreyImage>, Vec<GreyImage>)> =
        images.par_iter().enumerate().map(|(i, image)| image_crops(image, crops, config, crop_rng(seed, step, i as u64))).collect();
    let mut global = Vec::new();
    for view in 0..2 {
        for (views, _) in &per_image {
            push_normalised(&views[view], config, &mut global);
        }
    }
    let mut local = Vec::new();
    for view in 0..crops.local_count {
        for (_, views) in &per_image {
            push_normalised(&views[view], config, &mut local);
        }
    }
    BatchCrops { global, local, batch: images.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient_image(width: u32, height: u32) -> GreyImage {
        GreyImage::from_fn(width, height, |x, y| image::Luma([((x + y) as f32 / (width + height) as f32)]))
    }

    #[test]
    fn crops_fit_inside_the_image() {
        let mut rng = crop_rng(0, 0, 0);
        for _ in 0..200 {
            let (left, top, w, h) = random_resized_crop(300, 200, [0.05, 0.32], &mut rng);
            assert!(left + w <= 300, "{left} + {w}");
            assert!(top + h <= 200, "{top} + {h}");
            assert!(w > 0, "crop of width 0");
            assert!(h > 0, "crop of height 0");
            let share = (w * h) as f64 / 60_000.0;
            assert!(share > 0.03, "{share}");
            assert!(share < 0.40, "{share}");
        }
    }

    #[test]
    fn batch_is_seeded_and_shaped() {
        let a = gradient_image(120, 100);
        let b = gradient_image(90, 140);
        let crops = CropConfig { global_size: 32, local_size: 16, local_count: 3, global_scale: [0.32, 1.0], local_scale: [0.05, 0.32] };
        let config = AugmentConfig::default();
        let first = batch_crops(&[&a, &b], &crops, &config, 7, 3);
        assert_eq!(first.global.len(), 2 * 2 * 3 * 32 * 32);
        assert_eq!(first.local.len(), 3 * 2 * 3 * 16 * 16);
        assert_eq!(first, batch_crops(&[&a, &b], &crops, &config, 7, 3));
        assert_ne!(first.global, batch_crops(&[&a, &b], &crops, &config, 7, 4).global);
    }

    #[test]
    fn solarisation_and_gamma_keep_the_unit_range() {
        let image = gradient_image(64, 64);
        let config = AugmentConfig { solarize_probability: 1.0, gamma_probability: 1.0, ..AugmentConfig::default() };
        let mut rng = crop_rng(1, 1, 1);
        let crop = augment_crop(&image, 32, [0.5, 1.0], CropKind::SecondGlobal, &config, &mut rng);
        assert!(crop.iter().all(|&v| (0.0..=1.0).contains(&v)));
        // Solarised at 0.5 after every other change: v < 0.5 stays, v >= 0.5 becomes 1 - v.
        assert!(crop.iter().all(|&v| v <= 0.5), "{:?}", crop.iter().cloned().fold(0.0f32, f32::max));
    }
}
