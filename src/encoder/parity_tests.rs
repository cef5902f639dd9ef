//! Parity of the loaders with the implementations that wrote each checkpoint.
//!
//! tests/reference/make_encoder_fixtures.py builds tiny random models with transformers
//! 5.25 (`Dinov2Model`, `Dinov2WithRegistersModel`), timm 1.0.31 and a restatement of
//! DINOv2's `DinoVisionTransformer`, and saves each in its own layout. It records their
//! CLS and patch tokens on fixed inputs, at the native resolution and at sizes that need
//! the position embedding resized. Each case in its manifest.json is loaded here and must
//! match to a relative error of 1e-5 (max abs difference over max abs value) in float32
//! on the CPU.

use std::path::{Path, PathBuf};

use tch::{Device, Kind, Tensor};

use super::load::{load_vit, LoadError, WeightsFormat};
use super::torchscript::{TorchScriptEncoder, TorchScriptOutput};
use super::vit::{FeedForward, PosEmbedInterpolation, VitConfig};

const TOLERANCE: f64 = 1e-5;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoders")
}

struct Case {
    name: String,
    file: PathBuf,
    format: String,
    config: VitConfig,
    inputs: Vec<String>,
    last_attention: Option<String>,
}

fn cases(format: &str) -> Vec<Case> {
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("manifest.json")).unwrap()).unwrap();
    let cases: Vec<Case> = manifest["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| Case {
            name: case["name"].as_str().unwrap().to_string(),
            file: fixtures().join(case["file"].as_str().unwrap()),
            format: case["format"].as_str().unwrap().to_string(),
            config: config_of(&case["config"]),
            inputs: case["inputs"].as_array().unwrap().iter().map(|input| input.as_str().unwrap().to_string()).collect(),
            last_attention: case["last_attention"].as_str().map(str::to_string),
        })
        .filter(|case| case.format == format)
        .collect();
    assert!(!cases.is_empty(), "manifest.json has no case of format {format}");
    cases
}

fn config_of(json: &serde_json::Value) -> VitConfig {
    let int = |key: &str| json[key].as_i64().unwrap_or_else(|| panic!("config.{key}"));
    let pos_embed_interpolation = match json["interpolate_offset"].as_f64() {
        Some(offset) => PosEmbedInterpolation::Dinov2 { offset, antialias: json["interpolate_antialias"].as_bool().unwrap() },
        None => PosEmbedInterpolation::default(),
    };
    VitConfig {
        embed_dim: int("embed_dim"),
        depth: int("depth"),
        num_heads: int("num_heads"),
        mlp_ratio: json["mlp_ratio"].as_f64().unwrap(),
        patch_size: int("patch_size"),
        image_size: int("image_size"),
        in_chans: 3,
        num_register_tokens: int("num_register_tokens"),
        feed_forward: match json["feed_forward"].as_str().unwrap() {
            "mlp" => FeedForward::Mlp,
            "swiglu" => FeedForward::SwiGlu,
            other => panic!("feed_forward {other}"),
        },
        layerscale_init: Some(1.0),
        layer_norm_eps: json["layer_norm_eps"].as_f64().unwrap(),
        pos_embed_interpolation,
    }
}

fn format_of(name: &str) -> WeightsFormat {
    match name {
        "dinov2" => WeightsFormat::Dinov2,
        "hugging_face" => WeightsFormat::HuggingFace,
        "timm" => WeightsFormat::Timm,
        other => panic!("format {other}"),
    }
}

/// Fixture tensors, read with tch's own safetensors reader rather than the loader's.
fn named(file: &str) -> std::collections::HashMap<String, Tensor> {
    Tensor::read_safetensors(fixtures().join(file)).unwrap().into_iter().collect()
}

/// max |found - expected| / max |expected|.
fn relative_error(found: &Tensor, expected: &Tensor) -> f64 {
    assert_eq!(found.size(), expected.size());
    let difference = f64::try_from((found - expected).abs().max()).unwrap();
    difference / f64::try_from(expected.abs().max()).unwrap()
}

/// Loads each case of `format` and compares CLS and patch tokens on every input.
fn check_format(format: &str) {
    let inputs = named("inputs.safetensors");
    let outputs = named("outputs.safetensors");
    for case in cases(format) {
        let (vit, _store) = load_vit(&case.file, format_of(&case.format), case.config.clone(), Device::Cpu)
            .unwrap_or_else(|error| panic!("{}: {error}", case.name));
        for input in &case.inputs {
            let images = inputs[input].to_kind(Kind::Float);
            let out = tch::no_grad(|| vit.forward(&images));
            let cls = relative_error(&out.cls, &outputs[&format!("{}/{input}/cls", case.name)]);
            assert!(cls <= TOLERANCE, "{} at {input}: CLS relative error {cls:e}", case.name);
            let patches = relative_error(&out.patches, &outputs[&format!("{}/{input}/patches", case.name)]);
            assert!(patches <= TOLERANCE, "{} at {input}: patch relative error {patches:e}", case.name);
        }
    }
}

#[test]
fn hugging_face_matches_transformers() {
    check_format("hugging_face");
}

#[test]
fn timm_matches_timm() {
    check_format("timm");
}

#[test]
fn dinov2_matches_official_forward() {
    check_format("dinov2");
}

#[test]
fn last_attention_matches_transformers() {
    let inputs = named("inputs.safetensors");
    let outputs = named("outputs.safetensors");
    let case = cases("hugging_face").into_iter().find(|case| case.last_attention.is_some()).unwrap();
    let input = case.last_attention.as_ref().unwrap();
    let (vit, _store) = load_vit(&case.file, WeightsFormat::HuggingFace, case.config.clone(), Device::Cpu).unwrap();
    let (_, weights) = tch::no_grad(|| vit.forward_with_last_attention(&inputs[input].to_kind(Kind::Float)));
    let error = relative_error(&weights, &outputs[&format!("{}/{input}/last_attention", case.name)]);
    assert!(error <= TOLERANCE, "attention relative error {error:e}");
}

#[test]
fn hugging_face_module_names_load_alike() {
    // transformers 5 names its modules q_proj/k_proj/v_proj/o_proj and splits SwiGLU's
    // weights_in into gate_proj and up_proj; a state dict saved without
    // `save_pretrained` carries those names. Rename the Hub-layout fixture the way
    // transformers' conversion mapping does and expect the same tokens.
    let case = cases("hugging_face").into_iter().find(|case| case.name == "hf_dinov2_registers").unwrap();
    let mut renamed = Vec::new();
    for (key, tensor) in super::read_tensors(&case.file).unwrap() {
        if key.contains("mlp.weights_in.") {
            let halves = tensor.chunk(2, 0);
            renamed.push((key.replace("mlp.weights_in.", "mlp.gate_proj."), halves[0].copy()));
            renamed.push((key.replace("mlp.weights_in.", "mlp.up_proj."), halves[1].copy()));
            continue;
        }
        let key = key
            .replace("attention.attention.query", "attention.q_proj")
            .replace("attention.attention.key", "attention.k_proj")
            .replace("attention.attention.value", "attention.v_proj")
            .replace("attention.output.dense", "attention.o_proj")
            .replace("mlp.weights_out", "mlp.down_proj");
        renamed.push((key, tensor));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("module_names.safetensors");
    Tensor::write_safetensors(&renamed, &file).unwrap();

    let inputs = named("inputs.safetensors");
    let outputs = named("outputs.safetensors");
    let (vit, _store) = load_vit(&file, WeightsFormat::HuggingFace, case.config.clone(), Device::Cpu).unwrap();
    for input in &case.inputs {
        let out = tch::no_grad(|| vit.forward(&inputs[input].to_kind(Kind::Float)));
        let error = relative_error(&out.patches, &outputs[&format!("{}/{input}/patches", case.name)]);
        assert!(error <= TOLERANCE, "{input}: patch relative error {error:e}");
    }
}

#[test]
fn training_checkpoint_uses_teacher() {
    // The fixture's student has other weights than its teacher, and the expected tokens
    // are the teacher's, so matching them shows which backbone was taken.
    let case = cases("dinov2").into_iter().find(|case| case.name == "dinov2_train_checkpoint").unwrap();
    let student_cls = super::read_tensors(&case.file).unwrap()["model.student.backbone.cls_token"].copy();
    let (vit, store) = load_vit(&case.file, WeightsFormat::Dinov2, case.config.clone(), Device::Cpu).unwrap();
    assert!(!store.variables()["cls_token"].equal(&student_cls));
    assert_eq!(vit.config.depth, 2);
}

#[test]
fn torchscript_tokens_match() {
    let inputs = named("inputs.safetensors");
    let outputs = named("outputs.safetensors");
    let case = cases("torchscript").remove(0);
    let module = TorchScriptEncoder::load(&case.file, TorchScriptOutput::Tokens { num_register_tokens: 0 }, Device::Cpu).unwrap();
    for input in &case.inputs {
        let features = module.features(&inputs[input].to_kind(Kind::Float)).unwrap();
        let cls = &outputs[&format!("{}/{input}/cls", case.name)];
        let patches = &outputs[&format!("{}/{input}/patches", case.name)];
        let expected = Tensor::cat(&[cls.shallow_clone(), patches.mean_dim(1, false, Kind::Float)], 1);
        let error = relative_error(&features, &expected);
        assert!(error <= TOLERANCE, "{input}: feature relative error {error:e}");
    }
}

#[test]
fn torchscript_pooled_rejects_tokens() {
    let inputs = named("inputs.safetensors");
    let case = cases("torchscript").remove(0);
    let module = TorchScriptEncoder::load(&case.file, TorchScriptOutput::Pooled, Device::Cpu).unwrap();
    let error = module.features(&inputs[&case.inputs[0]].to_kind(Kind::Float)).unwrap_err();
    let message = error.to_string().replace(&fixtures().display().to_string(), "[FIXTURES]");
    insta::assert_snapshot!(message);
}

#[test]
fn torchscript_as_state_dict_is_rejected() {
    let case = cases("torchscript").remove(0);
    let error = load_vit(&case.file, WeightsFormat::Dinov2, case.config.clone(), Device::Cpu).unwrap_err();
    assert!(matches!(error, LoadError::Unsupported { .. }), "{error}");
    assert!(error.to_string().contains("format = \"torchscript\""), "{error}");
}

// Error messages. Each test writes a damaged copy of a DINOv2-layout fixture to a
// temporary folder and snapshots the message with that folder replaced by [TEMP].

fn dinov2_case() -> Case {
    cases("dinov2").into_iter().find(|case| case.name == "dinov2_chunked").unwrap()
}

/// Writes the chunked DINOv2 fixture's tensors after `edit` as safetensors and loads it.
fn load_edited(edit: impl FnOnce(&mut Vec<(String, Tensor)>)) -> String {
    let case = dinov2_case();
    let mut tensors: Vec<(String, Tensor)> = super::read_tensors(&case.file).unwrap().into_iter().collect();
    edit(&mut tensors);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("edited.safetensors");
    Tensor::write_safetensors(&tensors, &file).unwrap();
    let error = load_vit(&file, WeightsFormat::Dinov2, case.config, Device::Cpu).unwrap_err();
    error.to_string().replace(&dir.path().display().to_string(), "[TEMP]")
}

#[test]
fn truncated_checkpoint_message() {
    let case = dinov2_case();
    let bytes = std::fs::read(&case.file).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("truncated.pth");
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let error = load_vit(&file, WeightsFormat::Dinov2, case.config, Device::Cpu).unwrap_err();
    assert!(matches!(error, LoadError::NotACheckpoint { .. }), "{error}");
    insta::assert_snapshot!(error.to_string().replace(&dir.path().display().to_string(), "[TEMP]"));
}

#[test]
fn missing_key_message() {
    let message = load_edited(|tensors| tensors.retain(|(key, _)| key != "blocks.1.1.ls2.gamma" && key != "norm.bias"));
    insta::assert_snapshot!(message);
}

#[test]
fn shape_mismatch_message() {
    let message = load_edited(|tensors| {
        for (key, tensor) in tensors.iter_mut() {
            if key == "norm.weight" {
                *tensor = tensor.narrow(0, 0, 31);
            }
        }
    });
    insta::assert_snapshot!(message);
}

#[test]
fn unexpected_key_message() {
    let message = load_edited(|tensors| tensors.push(("head.weight".to_string(), Tensor::zeros([8, 32], (Kind::Float, Device::Cpu)))));
    insta::assert_snapshot!(message);
}

#[test]
fn wrong_patch_size_message() {
    let case = dinov2_case();
    let config = VitConfig { patch_size: 14, ..case.config };
    let error = load_vit(&case.file, WeightsFormat::Dinov2, config, Device::Cpu).unwrap_err();
    assert!(matches!(error, LoadError::PatchSize { expected: 14, found: 16, .. }), "{error}");
    insta::assert_snapshot!(error.to_string().replace(&fixtures().display().to_string(), "[FIXTURES]"));
}

#[test]
fn wrong_format_suggests_hugging_face() {
    let case = cases("hugging_face").remove(0);
    let error = load_vit(&case.file, WeightsFormat::Dinov2, case.config, Device::Cpu).unwrap_err();
    assert!(error.to_string().contains("format = \"hugging_face\""), "{error}");
}

#[test]
fn registers_count_mismatch_is_reported() {
    let case = cases("hugging_face").into_iter().find(|case| case.name == "hf_dinov2_registers").unwrap();
    let config = VitConfig { num_register_tokens: 2, ..case.config };
    let error = load_vit(&case.file, WeightsFormat::HuggingFace, config, Device::Cpu).unwrap_err();
    let LoadError::ShapeMismatch { mismatches, .. } = &error else { panic!("expected a shape mismatch, got {error}") };
    assert_eq!(mismatches.len(), 1, "{error}");
    assert_eq!(mismatches[0].key, "embeddings.register_tokens");
    assert_eq!(mismatches[0].expected, [1, 2, 32]);
    assert_eq!(mismatches[0].found, [1, 4, 32]);
}
