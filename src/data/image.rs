//! Image decoding and the per-encoder preprocessing contract.
//!
//! Every format in the datasets (JPEG grey and RGB; PNG grey, RGB, RGBA, palette, 8 or
//! 16 bit) becomes one intensity channel in [0, 1]. Colour is reduced with the Rec. 709
//! luma weights (the `image` crate's grey conversion); alpha is ignored because X-ray
//! exports use it only as an opaque layer.

use std::path::{Path, PathBuf};

use image::imageops::{self, FilterType};
use image::{DynamicImage, ImageBuffer, Luma};

use crate::spec::{Preprocess, ResizePolicy};

pub type GreyImage = ImageBuffer<Luma<f32>, Vec<f32>>;

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("failed to read image {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("failed to decode image {}: {source}", path.display())]
    Decode { path: PathBuf, source: image::ImageError },
    #[error("image {} is truncated: the JPEG end-of-image marker is missing", path.display())]
    Truncated { path: PathBuf },
}

/// How far before the end of a JPEG file its end-of-image marker (FF D9) may sit; some
/// writers pad files after the marker.
const JPEG_TRAILER_WINDOW: usize = 1024;

/// Checks that JPEG bytes end with an end-of-image marker. The JPEG decoder fills a cut-off
/// file with grey instead of failing, so truncation has to be checked separately.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(JPEG_TRAILER_WINDOW)..];
    tail.windows(2).any(|pair| pair == [0xFF, 0xD9])
}

/// Decodes image bytes into one channel of intensities in [0, 1].
pub fn decode_grey(path: &Path, bytes: &[u8]) -> Result<GreyImage, ImageError> {
    if bytes.starts_with(&[0xFF, 0xD8]) && !jpeg_is_complete(bytes) {
        return Err(ImageError::Truncated { path: path.to_path_buf() });
    }
    let image = image::load_from_memory(bytes).map_err(|source| ImageError::Decode { path: path.to_path_buf(), source })?;
    Ok(to_grey(image))
}

fn to_grey(image: DynamicImage) -> GreyImage {
    match image {
        DynamicImage::ImageLuma16(_) | DynamicImage::ImageLumaA16(_) | DynamicImage::ImageRgb16(_) | DynamicImage::ImageRgba16(_) => {
            let grey = image.to_luma16();
            let (w, h) = grey.dimensions();
            ImageBuffer::from_raw(w, h, grey.into_raw().into_iter().map(|v| v as f32 / 65535.0).collect()).expect("same size")
        }
        other => {
            let grey = other.to_luma8();
            let (w, h) = grey.dimensions();
            ImageBuffer::from_raw(w, h, grey.into_raw().into_iter().map(|v| v as f32 / 255.0).collect()).expect("same size")
        }
    }
}

/// Resizes, normalises and replicates channels: the tensor layout is channel-major
/// (C x H x W), `channels * resolution * resolution` values.
pub fn preprocess(image: &GreyImage, contract: &Preprocess) -> Vec<f32> {
    let size = contract.resolution;
    let square = match contract.resize {
        ResizePolicy::Squash => imageops::resize(image, size, size, FilterType::Triangle),
        ResizePolicy::CenterCrop => {
            let (w, h) = image.dimensions();
            let scale = size as f64 / w.min(h) as f64;
            let (nw, nh) = (((w as f64 * scale).round() as u32).max(size), ((h as f64 * scale).round() as u32).max(size));
            let resized = imageops::resize(image, nw, nh, FilterType::Triangle);
            imageops::crop_imm(&resized, (nw - size) / 2, (nh - size) / 2, size, size).to_image()
        }
        ResizePolicy::Letterbox => {
            let (w, h) = image.dimensions();
            let scale = size as f64 / w.max(h) as f64;
            let (nw, nh) = (((w as f64 * scale).round() as u32).clamp(1, size), ((h as f64 * scale).round() as u32).clamp(1, size));
            let resized = imageops::resize(image, nw, nh, FilterType::Triangle);
            let mut canvas = GreyImage::new(size, size);
            imageops::replace(&mut canvas, &resized, ((size - nw) / 2) as i64, ((size - nh) / 2) as i64);
            canvas
        }
    };
    let plane = square.into_raw();
    let mut out = Vec::with_capacity(plane.len() * contract.channels);
    for channel in 0..contract.channels {
        let (mean, std) = (contract.mean[channel], contract.std[channel]);
        out.extend(plane.iter().map(|v| (v - mean) / std));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(resize: ResizePolicy, channels: usize) -> Preprocess {
        Preprocess { resize, resolution: 4, mean: vec![0.5; channels], std: vec![0.25; channels], channels }
    }

    #[test]
    fn preprocess_normalises_and_replicates() {
        let image = GreyImage::from_pixel(8, 8, Luma([0.75]));
        let out = preprocess(&image, &contract(ResizePolicy::Squash, 3));
        assert_eq!(out.len(), 3 * 16);
        for v in out {
            assert!((v - 1.0).abs() < 1e-6, "{v}");
        }
    }

    #[test]
    fn letterbox_pads_the_short_side() {
        let image = GreyImage::from_pixel(8, 4, Luma([1.0]));
        let out = preprocess(&image, &contract(ResizePolicy::Letterbox, 1));
        // 8x4 -> 4x2 centred on a 4x4 black canvas: rows 0 and 3 are padding.
        let padding = (0.0 - 0.5) / 0.25;
        let content = (1.0 - 0.5) / 0.25;
        for x in 0..4 {
            assert_eq!(out[x], padding);
            assert_eq!(out[12 + x], padding);
            assert!((out[4 + x] - content).abs() < 1e-5);
        }
    }

    #[test]
    fn decode_rejects_truncated_jpeg() {
        let image = ImageBuffer::<Luma<u8>, _>::from_fn(64, 64, |x, y| Luma([((x * 7 + y * 13) % 256) as u8]));
        let mut bytes = Vec::new();
        DynamicImage::ImageLuma8(image).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Jpeg).unwrap();
        assert!(decode_grey(Path::new("whole.jpg"), &bytes).is_ok());
        let cut = &bytes[..bytes.len() / 2];
        let error = decode_grey(Path::new("cut.jpg"), cut).unwrap_err();
        assert!(error.to_string().contains("cut.jpg is truncated"), "{error}");
    }

    #[test]
    fn decode_maps_sixteen_bit_to_unit_range() {
        let image = ImageBuffer::<Luma<u16>, _>::from_pixel(2, 2, Luma([65535u16]));
        let mut bytes = Vec::new();
        DynamicImage::ImageLuma16(image).write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).unwrap();
        let grey = decode_grey(Path::new("x.png"), &bytes).unwrap();
        assert_eq!(grey.get_pixel(1, 1).0[0], 1.0);
    }
}
