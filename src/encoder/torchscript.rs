//! Any encoder exported as a TorchScript module (`torch.jit.trace` or `torch.jit.script`),
//! run whole on the preprocessed batch.

use std::path::{Path, PathBuf};

use tch::{CModule, Device, IValue, Kind, Tensor};

use super::load::LoadError;

/// Shape and meaning of the module's output, as the baseline declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TorchScriptOutput {
    /// The feature vector itself, `[B, F]`.
    Pooled,
    /// Every token after the final norm, `[B, 1 + registers + patches, D]`, with the CLS
    /// token first and `num_register_tokens` register tokens after it. The feature is the
    /// CLS token concatenated with the mean patch token, as for the built-in ViT.
    Tokens { num_register_tokens: i64 },
}

/// A loaded TorchScript module in evaluation mode.
#[derive(Debug)]
pub struct TorchScriptEncoder {
    path: PathBuf,
    module: CModule,
    output: TorchScriptOutput,
    device: Device,
}

impl TorchScriptEncoder {
    /// Loads the module onto `device`. It runs in the precision it was saved in.
    pub fn load(path: &Path, output: TorchScriptOutput, device: Device) -> Result<TorchScriptEncoder, LoadError> {
        std::fs::metadata(path).map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
        let mut module = CModule::load_on_device(path, device).map_err(|source| LoadError::TorchScript { path: path.to_path_buf(), source })?;
        module.f_set_eval().map_err(|source| LoadError::TorchScript { path: path.to_path_buf(), source })?;
        Ok(TorchScriptEncoder { path: path.to_path_buf(), module, output, device })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs the module on a `[B, C, H, W]` batch and returns `[B, F]` float32 features on
    /// the CPU.
    pub fn features(&self, batch: &Tensor) -> Result<Tensor, LoadError> {
        let batch_size = batch.size()[0];
        let input = IValue::Tensor(batch.to_device(self.device));
        let output = tch::no_grad(|| self.module.forward_is(&[input]))
            .map_err(|source| LoadError::TorchScript { path: self.path.clone(), source })?;
        let tensor = self.first_tensor(output)?;
        let size = tensor.size();
        let features = match self.output {
            TorchScriptOutput::Pooled => {
                if size.len() != 2 || size[0] != batch_size {
                    return Err(self.output_error(format!("pooled features [{batch_size}, F]"), format!("shape {size:?}")));
                }
                tensor.to_kind(Kind::Float)
            }
            TorchScriptOutput::Tokens { num_register_tokens } => {
                let prefix = 1 + num_register_tokens;
                if size.len() != 3 || size[0] != batch_size || size[1] <= prefix {
                    let expected = format!("tokens [{batch_size}, {prefix} + patches, D] (CLS, {num_register_tokens} registers, patches)");
                    return Err(self.output_error(expected, format!("shape {size:?}")));
                }
                let tokens = tensor.to_kind(Kind::Float);
                let cls = tokens.select(1, 0);
                let patches = tokens.narrow(1, prefix, size[1] - prefix);
                Tensor::cat(&[cls, patches.mean_dim(1, false, Kind::Float)], 1)
            }
        };
        Ok(features.to_device(Device::Cpu))
    }

    /// Takes the tensor a module returns, or the first element of a returned tuple or list
    /// (as Hugging Face models traced with `torchscript=True` return).
    fn first_tensor(&self, output: IValue) -> Result<Tensor, LoadError> {
        match output {
            IValue::Tensor(tensor) => Ok(tensor),
            IValue::Tuple(items) | IValue::GenericList(items) => match items.into_iter().next() {
                Some(IValue::Tensor(tensor)) => Ok(tensor),
                _ => Err(self.output_error("a tensor or a tuple starting with a tensor".into(), "a tuple without one".into())),
            },
            IValue::TensorList(tensors) => {
                tensors.into_iter().next().ok_or_else(|| self.output_error("a tensor".into(), "an empty list".into()))
            }
            other => Err(self.output_error("a tensor or a tuple starting with a tensor".into(), ivalue_kind(&other).into())),
        }
    }

    fn output_error(&self, expected: String, found: String) -> LoadError {
        LoadError::TorchScriptOutput { path: self.path.clone(), expected, found }
    }
}

fn ivalue_kind(value: &IValue) -> &'static str {
    match value {
        IValue::None => "None",
        IValue::Double(_) => "a float",
        IValue::Int(_) => "an int",
        IValue::Bool(_) => "a bool",
        IValue::String(_) => "a string",
        IValue::GenericDict(_) => "a dict",
        IValue::Object(_) => "an object",
        _ => "a list",
    }
}
