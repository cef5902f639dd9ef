//! Tensors of a checkpoint file: safetensors, or the zip archive of `torch.save`.
//!
//! Opening a file reads only its index: the safetensors header, or the zip directory and
//! `data.pkl`. Each tensor is read on request, so loading a backbone out of a training
//! checkpoint skips the student, the heads and the optimizer state.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use tch::{Kind, Tensor};

use super::load::LoadError;
use super::pickle::{self, TensorRef};
use super::zip_archive::{ZipArchive, ZipError};

/// The largest safetensors header accepted, as in the `safetensors` crate.
const MAX_SAFETENSORS_HEADER: u64 = 100_000_000;

#[derive(Debug)]
enum Container {
    Safetensors { file: File, data_start: u64 },
    TorchZip { archive: ZipArchive, prefix: String },
}

#[derive(Debug, Clone)]
enum Location {
    /// Byte range relative to the start of the safetensors data section.
    Safetensors { begin: u64, end: u64, kind: Kind },
    TorchZip(TensorRef),
}

/// An open checkpoint: every tensor's name and shape, and the file to read values from.
#[derive(Debug)]
pub(crate) struct Checkpoint {
    path: PathBuf,
    container: Container,
    tensors: BTreeMap<String, (Vec<i64>, Location)>,
}

impl Checkpoint {
    pub fn open(path: &Path) -> Result<Checkpoint, LoadError> {
        let mut file = File::open(path).map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
        let mut head = Vec::with_capacity(16);
        (&mut file)
            .take(16)
            .read_to_end(&mut head)
            .map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
        if head.is_empty() {
            return Err(not_a_checkpoint(path, "the file is empty"));
        }
        if head.starts_with(b"PK\x03\x04") {
            return open_torch_zip(path);
        }
        if head[0] == 0x80 && head.get(1).is_some_and(|&protocol| protocol <= 5) {
            return Err(LoadError::Unsupported {
                path: path.to_path_buf(),
                reason: "this is the legacy torch.save format of PyTorch before 1.6; load it in PyTorch and save it again with torch.save or safetensors".to_string(),
            });
        }
        if head.len() >= 9 && head[8] == b'{' {
            return open_safetensors(path, file);
        }
        Err(not_a_checkpoint(path, "unknown file type; expected a safetensors file or a torch.save zip archive"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.tensors.keys().map(String::as_str)
    }

    pub fn shape(&self, key: &str) -> Option<&[i64]> {
        self.tensors.get(key).map(|(shape, _)| shape.as_slice())
    }

    /// Reads one tensor onto the CPU, in the kind it is stored in.
    pub fn tensor(&self, key: &str) -> Result<Tensor, LoadError> {
        let (shape, location) = self.tensors.get(key).ok_or_else(|| not_a_checkpoint(&self.path, format!("no tensor {key}")))?;
        let tensor_error = |source| LoadError::Tensor { path: self.path.clone(), key: key.to_string(), source };
        match (&self.container, location) {
            (Container::Safetensors { file, data_start }, Location::Safetensors { begin, end, kind }) => {
                let mut bytes = vec![0u8; (end - begin) as usize];
                let mut file = file;
                file.seek(SeekFrom::Start(data_start + begin))
                    .and_then(|_| file.read_exact(&mut bytes))
                    .map_err(|source| LoadError::Read { path: self.path.clone(), source })?;
                Tensor::f_from_data_size(&bytes, shape, *kind).map_err(tensor_error)
            }
            (Container::TorchZip { archive, prefix }, Location::TorchZip(reference)) => {
                let storage = &reference.storage;
                let entry = format!("{prefix}/data/{}", storage.key);
                let bytes = archive.read(&entry).map_err(|error| zip_error(&self.path, error))?;
                let expected = storage.numel as usize * storage.kind.elt_size_in_bytes();
                if bytes.len() != expected {
                    return Err(not_a_checkpoint(
                        &self.path,
                        format!("storage {entry}: expected {expected} bytes for {} elements, got {}", storage.numel, bytes.len()),
                    ));
                }
                let flat = Tensor::f_from_data_size(&bytes, &[storage.numel], storage.kind).map_err(tensor_error)?;
                flat.f_as_strided(reference.size.as_slice(), reference.stride.as_slice(), reference.offset)
                    .and_then(|view| view.f_contiguous())
                    .map_err(tensor_error)
            }
            _ => unreachable!("a checkpoint's locations match its container"),
        }
    }
}

fn not_a_checkpoint(path: &Path, reason: impl Into<String>) -> LoadError {
    LoadError::NotACheckpoint { path: path.to_path_buf(), reason: reason.into() }
}

fn zip_error(path: &Path, error: ZipError) -> LoadError {
    match error {
        ZipError::Io(source) => LoadError::Read { path: path.to_path_buf(), source },
        ZipError::Invalid(reason) => not_a_checkpoint(path, reason),
        ZipError::Unsupported(reason) => LoadError::Unsupported { path: path.to_path_buf(), reason },
    }
}

fn open_torch_zip(path: &Path) -> Result<Checkpoint, LoadError> {
    let archive = ZipArchive::open(path).map_err(|error| zip_error(path, error))?;
    if archive.names().any(|name| name.ends_with("/constants.pkl") || name.contains("/code/")) {
        return Err(LoadError::Unsupported {
            path: path.to_path_buf(),
            reason: "this is a TorchScript module, not a state dict; set format = \"torchscript\" to run it whole".to_string(),
        });
    }
    // torch.save names the archive's top folder after the file (`archive/` for buffers).
    let pickle_entry = archive
        .names()
        .find(|name| name.ends_with("/data.pkl") && name.matches('/').count() == 1)
        .map(str::to_string)
        .ok_or_else(|| not_a_checkpoint(path, "zip archive without <name>/data.pkl; not written by torch.save"))?;
    let prefix = pickle_entry.trim_end_matches("/data.pkl").to_string();

    let byteorder = format!("{prefix}/byteorder");
    if archive.contains(&byteorder) {
        let order = archive.read(&byteorder).map_err(|error| zip_error(path, error))?;
        if order != b"little" {
            return Err(LoadError::Unsupported {
                path: path.to_path_buf(),
                reason: format!("byte order {:?}; only little-endian checkpoints are read", String::from_utf8_lossy(&order)),
            });
        }
    }

    let program = archive.read(&pickle_entry).map_err(|error| zip_error(path, error))?;
    let value = pickle::load(&program).map_err(|error| not_a_checkpoint(path, format!("{pickle_entry}: {error}")))?;
    let mut tensors = BTreeMap::new();
    for (key, reference) in pickle::tensors(&value) {
        check_view(path, &key, &reference)?;
        tensors.insert(key, (reference.size.clone(), Location::TorchZip(reference)));
    }
    Ok(Checkpoint { path: path.to_path_buf(), container: Container::TorchZip { archive, prefix }, tensors })
}

/// Checks that a tensor view stays inside its storage, before libtorch is asked for it.
fn check_view(path: &Path, key: &str, reference: &TensorRef) -> Result<(), LoadError> {
    let dims_ok = reference.size.len() == reference.stride.len() && reference.size.iter().all(|&size| size >= 0);
    if !dims_ok || reference.offset < 0 {
        return Err(not_a_checkpoint(path, format!("tensor {key}: invalid size {:?} or stride {:?}", reference.size, reference.stride)));
    }
    if reference.size.contains(&0) {
        return Ok(());
    }
    let last = reference.size.iter().zip(&reference.stride).map(|(&size, &stride)| (size - 1) * stride).sum::<i64>() + reference.offset;
    if last >= reference.storage.numel {
        return Err(not_a_checkpoint(
            path,
            format!("tensor {key}: view reaches element {last} of a storage of {} elements", reference.storage.numel),
        ));
    }
    Ok(())
}

fn open_safetensors(path: &Path, mut file: File) -> Result<Checkpoint, LoadError> {
    let read_error = |source| LoadError::Read { path: path.to_path_buf(), source };
    let file_len = file.metadata().map_err(read_error)?.len();
    let mut length = [0u8; 8];
    file.seek(SeekFrom::Start(0)).and_then(|_| file.read_exact(&mut length)).map_err(read_error)?;
    let header_len = u64::from_le_bytes(length);
    if header_len > MAX_SAFETENSORS_HEADER || 8 + header_len > file_len {
        return Err(not_a_checkpoint(
            path,
            format!("safetensors header of {header_len} bytes does not fit in the {file_len}-byte file; the file is truncated"),
        ));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(read_error)?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&header)
        .map_err(|error| not_a_checkpoint(path, format!("safetensors header is not a JSON object: {error}")))?;

    let data_start = 8 + header_len;
    let data_len = file_len - data_start;
    let mut tensors = BTreeMap::new();
    for (key, info) in header {
        if key == "__metadata__" {
            continue;
        }
        let (shape, begin, end, kind) = parse_safetensors_entry(&info)
            .map_err(|reason| not_a_checkpoint(path, format!("safetensors header entry {key}: {reason}")))?;
        let numel: i64 = shape.iter().product();
        if end - begin != numel as u64 * kind.elt_size_in_bytes() as u64 {
            return Err(not_a_checkpoint(
                path,
                format!("tensor {key}: expected {} bytes for shape {shape:?}, got {}", numel as usize * kind.elt_size_in_bytes(), end - begin),
            ));
        }
        if end > data_len {
            return Err(not_a_checkpoint(
                path,
                format!("tensor {key} ends at byte {} but the file has {file_len} bytes; the file is truncated", data_start + end),
            ));
        }
        tensors.insert(key, (shape, Location::Safetensors { begin, end, kind }));
    }
    Ok(Checkpoint { path: path.to_path_buf(), container: Container::Safetensors { file, data_start }, tensors })
}

fn parse_safetensors_entry(info: &serde_json::Value) -> Result<(Vec<i64>, u64, u64, Kind), String> {
    let dtype = info["dtype"].as_str().ok_or("missing dtype")?;
    let kind = match dtype {
        "F64" => Kind::Double,
        "F32" => Kind::Float,
        "F16" => Kind::Half,
        "BF16" => Kind::BFloat16,
        "I64" => Kind::Int64,
        "I32" => Kind::Int,
        "I16" => Kind::Int16,
        "I8" => Kind::Int8,
        "U8" => Kind::Uint8,
        "BOOL" => Kind::Bool,
        other => return Err(format!("dtype {other} is not supported")),
    };
    let shape = info["shape"]
        .as_array()
        .ok_or("missing shape")?
        .iter()
        .map(|dim| dim.as_i64().filter(|&dim| dim >= 0).ok_or("shape holds a value that is not a size"))
        .collect::<Result<Vec<i64>, _>>()?;
    let offsets = info["data_offsets"].as_array().ok_or("missing data_offsets")?;
    let (Some(begin), Some(end)) = (offsets.first().and_then(|v| v.as_u64()), offsets.get(1).and_then(|v| v.as_u64())) else {
        return Err("data_offsets: expected [begin, end]".to_string());
    };
    if end < begin {
        return Err(format!("data_offsets: expected begin <= end, got [{begin}, {end}]"));
    }
    Ok((shape, begin, end, kind))
}

/// Reads every tensor of a safetensors file or a torch.save archive onto the CPU. Keys of
/// nested dicts are joined with dots (`model.teacher.backbone.cls_token`).
pub fn read_tensors(path: &Path) -> Result<BTreeMap<String, Tensor>, LoadError> {
    let checkpoint = Checkpoint::open(path)?;
    checkpoint.keys().map(|key| Ok((key.to_string(), checkpoint.tensor(key)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoders").join(name)
    }

    #[test]
    fn torch_save_state_dict_lists_chunked_keys() {
        let checkpoint = Checkpoint::open(&fixture("dinov2_chunked.pth")).unwrap();
        assert_eq!(checkpoint.shape("blocks.1.1.attn.qkv.weight"), Some(&[96, 32][..]));
        assert_eq!(checkpoint.shape("pos_embed"), Some(&[1, 17, 32][..]));
        let gamma = checkpoint.tensor("blocks.0.0.ls1.gamma").unwrap();
        assert_eq!(gamma.size(), [32]);
        assert_eq!(gamma.kind(), Kind::Float);
    }

    #[test]
    fn training_checkpoint_flattens_nested_dicts() {
        let checkpoint = Checkpoint::open(&fixture("dinov2_train_checkpoint.pth")).unwrap();
        let keys: Vec<&str> = checkpoint.keys().collect();
        assert!(keys.contains(&"model.teacher.backbone.cls_token"), "{keys:?}");
        assert!(keys.contains(&"model.student.backbone.cls_token"));
        // Optimizer state keyed by parameter index; the float step is a 0-d tensor.
        assert!(keys.contains(&"optimizer.state.0.exp_avg"));
        assert_eq!(checkpoint.shape("optimizer.state.0.step"), Some(&[][..]));
    }

    #[test]
    fn safetensors_and_torch_save_agree() {
        // timm wrote the same kind of model in both containers; compare a shared key's
        // shape and make sure values come back finite.
        for name in ["timm_dinov2.safetensors", "timm_dinov2_reg4.pth"] {
            let tensors = read_tensors(&fixture(name)).unwrap();
            let qkv = &tensors["blocks.1.attn.qkv.weight"];
            assert_eq!(qkv.size(), [96, 32], "{name}");
            assert!(bool::try_from(qkv.isfinite().all()).unwrap(), "{name}");
        }
    }

    #[test]
    fn empty_and_unknown_files_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pth");
        std::fs::write(&empty, b"").unwrap();
        let error = Checkpoint::open(&empty).unwrap_err();
        assert!(error.to_string().contains("empty"), "{error}");

        let text = dir.path().join("notes.safetensors");
        std::fs::write(&text, b"these are not weights\n").unwrap();
        let error = Checkpoint::open(&text).unwrap_err();
        assert!(error.to_string().contains("unknown file type"), "{error}");
    }

    #[test]
    fn truncated_safetensors_is_named_truncated() {
        let bytes = std::fs::read(fixture("timm_dinov2.safetensors")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.safetensors");
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let error = Checkpoint::open(&path).unwrap_err();
        assert!(matches!(error, LoadError::NotACheckpoint { .. }), "{error}");
        assert!(error.to_string().contains("truncated"), "{error}");
    }

    #[test]
    fn torchscript_archive_is_not_a_state_dict() {
        let error = Checkpoint::open(&fixture("torchscript_tokens.pt")).unwrap_err();
        assert!(error.to_string().contains("format = \"torchscript\""), "{error}");
    }
}
