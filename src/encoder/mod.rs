//! Frozen encoders: DINOv2-architecture ViTs loaded from DINOv2, Hugging Face or timm
//! checkpoints, TorchScript modules, and the raw-pixel control.

mod checkpoint;
mod device;
mod frozen;
mod key_maps;
pub mod load;
mod pickle;
pub mod torchscript;
pub mod vit;
mod zip_archive;

#[cfg(test)]
mod parity_tests;

pub use checkpoint::read_tensors;
pub use device::{device_name, select_device, DeviceChoice};
pub use frozen::{identity, identity_with, Encoder, EncoderError, EncoderOptions, Precision, VitOverrides};
pub use load::{load_vit, LoadError, ShapeMismatch, WeightsFormat};
pub use torchscript::{TorchScriptEncoder, TorchScriptOutput};
pub use vit::{FeedForward, PosEmbedInterpolation, Vit, VitConfig, VitOutput};
