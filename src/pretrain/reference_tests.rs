//! The pretraining objectives, the mask generator and AdamW against the values that
//! tests/reference/make_pretrain_fixtures.py wrote with PyTorch 2.11 (tests/fixtures/pretrain.json).

use serde::Deserialize;
use tch::{Kind, Tensor};

use super::losses::{dino_loss, ibot_loss, masked_patch_weights, koleo_loss, sinkhorn_knopp_targets, softmax_center_targets, Center};
use super::masking::{batch_masks, Draws, MaskGenerator};
use super::optim::{AdamW, Param, Part};

#[derive(Deserialize)]
struct Array {
    shape: Vec<i64>,
    values: Vec<f64>,
}

impl Array {
    fn tensor(&self) -> Tensor {
        self.double().to_kind(Kind::Float)
    }

    fn double(&self) -> Tensor {
        Tensor::from_slice(&self.values).reshape(self.shape.as_slice())
    }
}

#[derive(Deserialize)]
struct LossCase {
    batch: i64,
    local_count: i64,
    teacher_temperature: f64,
    student_temperature: f64,
    teacher_logits: Array,
    center: Array,
    student_global: Array,
    student_local: Array,
    masks: Vec<Vec<bool>>,
    teacher_patches: Array,
    student_patches: Array,
    features: Array,
    softmax_center_targets: Array,
    sinkhorn_targets: Array,
    updated_center: Array,
    dino_loss_softmax_center: f64,
    dino_loss_sinkhorn: f64,
    ibot_patch_targets: Array,
    ibot_weights: Array,
    ibot_loss: f64,
    koleo_loss: f64,
}

#[derive(Deserialize)]
struct Draw {
    kind: String,
    #[serde(default)]
    low: f64,
    #[serde(default)]
    high: f64,
    #[serde(default)]
    n: usize,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct MaskCase {
    height: usize,
    width: usize,
    crops: usize,
    draws: Vec<Draw>,
    masks: Vec<Vec<bool>>,
}

#[derive(Deserialize)]
struct AdamCase {
    start: Array,
    grads: Vec<Array>,
    schedule: Vec<(f64, f64)>,
    lr_multiplier: f64,
    expected: Array,
}

#[derive(Deserialize)]
struct Fixture {
    losses: Vec<LossCase>,
    masks: Vec<MaskCase>,
    adamw: AdamCase,
}

fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pretrain.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture present")).expect("fixture parses")
}

const TOLERANCE: f64 = 1e-5;

fn assert_close(name: &str, got: &Tensor, expected: &Tensor) {
    assert_eq!(got.size(), expected.size(), "{name}: shape");
    let difference = (got.to_kind(Kind::Double) - expected.to_kind(Kind::Double)).abs().max().double_value(&[]);
    let scale = expected.abs().max().double_value(&[]).max(1.0);
    assert!(difference <= TOLERANCE * scale, "{name}: max difference {difference}");
}

fn assert_scalar(name: &str, got: &Tensor, expected: f64) {
    let got = got.double_value(&[]);
    assert!((got - expected).abs() <= TOLERANCE * expected.abs().max(1.0), "{name}: got {got}, expected {expected}");
}

#[test]
fn targets_and_losses_match_pytorch() {
    for (index, case) in fixture().losses.iter().enumerate() {
        let name = |what: &str| format!("case {index}: {what}");
        let teacher = case.teacher_logits.tensor();
        let centred = softmax_center_targets(&teacher, &case.center.tensor(), case.teacher_temperature);
        assert_close(&name("softmax-centre targets"), &centred, &case.softmax_center_targets.tensor());
        let sinkhorn = sinkhorn_knopp_targets(&teacher, case.teacher_temperature, 3);
        assert_close(&name("Sinkhorn-Knopp targets"), &sinkhorn, &case.sinkhorn_targets.tensor());

        let mut center = Center { value: case.center.tensor(), momentum: 0.9 };
        center.update(&teacher);
        assert_close(&name("centre update"), &center.value, &case.updated_center.tensor());

        let global = case.student_global.tensor().chunk(2, 0);
        let local = if case.local_count > 0 { case.student_local.tensor().chunk(case.local_count, 0) } else { Vec::new() };
        assert_eq!(global[0].size()[0], case.batch);
        let t = case.student_temperature;
        assert_scalar(&name("DINO loss, softmax centring"), &dino_loss(&global, &local, &centred.chunk(2, 0), t), case.dino_loss_softmax_center);
        assert_scalar(&name("DINO loss, Sinkhorn-Knopp"), &dino_loss(&global, &local, &sinkhorn.chunk(2, 0), t), case.dino_loss_sinkhorn);

        let patch_targets = sinkhorn_knopp_targets(&case.teacher_patches.tensor(), case.teacher_temperature, 3);
        assert_close(&name("iBOT targets"), &patch_targets, &case.ibot_patch_targets.tensor());
        let weights = Tensor::from_slice(&masked_patch_weights(&case.masks));
        assert_close(&name("iBOT weights"), &weights, &case.ibot_weights.tensor());
        let images = case.masks.len() as i64;
        assert_scalar(&name("iBOT loss"), &ibot_loss(&case.student_patches.tensor(), &patch_targets, &weights, images, t), case.ibot_loss);
        assert_scalar(&name("KoLeo"), &koleo_loss(&case.features.tensor()), case.koleo_loss);
    }
}

/// Hands out the recorded draws in order, checking that each is requested with the bounds
/// the reference used.
struct Replay<'a> {
    draws: std::slice::Iter<'a, Draw>,
}

impl Replay<'_> {
    fn next(&mut self, kind: &str) -> &Draw {
        let draw = self.draws.next().unwrap_or_else(|| panic!("the generator asked for more draws than the reference made ({kind})"));
        assert_eq!(draw.kind, kind, "draws requested in a different order");
        draw
    }
}

impl Draws for Replay<'_> {
    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        let draw = self.next("uniform");
        assert!((draw.low - low).abs() < 1e-12, "uniform({low}, {high}), reference low {}", draw.low);
        assert!((draw.high - high).abs() < 1e-12, "uniform({low}, {high}), reference high {}", draw.high);
        draw.value.as_f64().expect("float")
    }

    fn randint(&mut self, low: i64, high: i64) -> i64 {
        let draw = self.next("randint");
        assert_eq!((draw.low as i64, draw.high as i64), (low, high), "randint bounds");
        draw.value.as_i64().expect("integer")
    }

    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let draw = self.next("permutation");
        assert_eq!(draw.n, n);
        serde_json::from_value(draw.value.clone()).expect("indices")
    }
}

#[test]
fn block_masks_match_the_reference_on_the_same_draws() {
    for case in fixture().masks {
        let generator = MaskGenerator::new(case.height, case.width, 4.0, 0.3);
        let mut replay = Replay { draws: case.draws.iter() };
        let masks = batch_masks(&generator, case.crops, 0.5, (0.1, 0.5), &mut replay);
        assert!(replay.draws.next().is_none(), "the reference made more draws than the generator used");
        assert_eq!(masks, case.masks, "{}x{} grid", case.height, case.width);
        assert!(masks.iter().any(|row| row.iter().any(|&m| m)), "a fixture without any masked patch tests nothing");
    }
}

#[test]
fn adamw_matches_torch_optim() {
    let case = fixture().adamw;
    let param = case.start.double().set_requires_grad(true);
    let mut optimizer = AdamW::new(
        vec![Param { name: "w".into(), tensor: param.shallow_clone(), part: Part::Backbone, lr_multiplier: case.lr_multiplier, wd_multiplier: 1.0, last_layer: false }],
        0.9,
        0.999,
    );
    for (grad, &(lr, weight_decay)) in case.grads.iter().zip(&case.schedule) {
        // The gradient of sum(param * g) is g.
        optimizer.zero_grad();
        (&param * grad.double()).sum(Kind::Double).backward();
        optimizer.step(lr, 0.0, weight_decay);
    }
    let expected = case.expected.double();
    let difference = (&param - &expected).abs().max().double_value(&[]);
    assert!(difference < 1e-12, "AdamW differs from torch.optim.AdamW by {difference}");
}
