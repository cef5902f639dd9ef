//! Block masks for the iBOT objective: rectangles of patches with random area and aspect
//! ratio, added until a target count of masked patches is reached (BEiT's blockwise
//! masking, as DINOv2 uses it).
//!
//! Every random number comes from a [`Draws`] source, so a test can replay the draws that a
//! reference run recorded and compare the masks bit for bit.

use rand::seq::SliceRandom;
use rand::{Rng, RngCore};

/// Source of the random numbers the mask generator consumes, in the order it consumes them.
pub trait Draws {
    /// Returns a float uniform in `[low, high]`.
    fn uniform(&mut self, low: f64, high: f64) -> f64;
    /// Returns an integer uniform in `[low, high]`, both ends included.
    fn randint(&mut self, low: i64, high: i64) -> i64;
    /// Returns a uniformly random permutation of `0..n`.
    fn permutation(&mut self, n: usize) -> Vec<usize>;
}

/// [`Draws`] from any random generator.
pub struct RngDraws<R>(pub R);

impl<R: RngCore> Draws for RngDraws<R> {
    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.0.random::<f64>()
    }

    fn randint(&mut self, low: i64, high: i64) -> i64 {
        self.0.random_range(low..=high)
    }

    fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut self.0);
        order
    }
}

/// Settings of the block mask generator for one patch grid.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskGenerator {
    pub height: usize,
    pub width: usize,
    /// Smallest area of one rectangle, in patches.
    pub min_patches: f64,
    /// Largest area of one rectangle, in patches.
    pub max_patches: f64,
    /// Logarithms of the smallest and largest aspect ratio (height / width).
    pub log_aspect: (f64, f64),
}

impl MaskGenerator {
    /// Creates the generator with DINOv2's settings: rectangles of at least `min_patches`
    /// (4) and at most half the grid, aspect ratios between `min_aspect` (0.3) and its inverse.
    pub fn new(height: usize, width: usize, min_patches: f64, min_aspect: f64) -> Self {
        MaskGenerator {
            height,
            width,
            min_patches,
            max_patches: 0.5 * (height * width) as f64,
            log_aspect: (min_aspect.ln(), (1.0 / min_aspect).ln()),
        }
    }

    /// Returns a row-major mask with about `target` patches set (fewer when the rectangles
    /// stop fitting).
    pub fn generate(&self, target: usize, draws: &mut impl Draws) -> Vec<bool> {
        let mut mask = vec![false; self.height * self.width];
        let mut count = 0;
        while count < target {
            let room = ((target - count) as f64).min(self.max_patches);
            let added = self.add_rectangle(&mut mask, room, draws);
            if added == 0 {
                break;
            }
            count += added;
        }
        mask
    }

    /// Tries up to ten times to place one rectangle that adds between 1 and `room` new
    /// patches; returns how many it added.
    fn add_rectangle(&self, mask: &mut [bool], room: f64, draws: &mut impl Draws) -> usize {
        let mut added = 0;
        for _ in 0..10 {
            let area = draws.uniform(self.min_patches, room);
            let aspect = draws.uniform(self.log_aspect.0, self.log_aspect.1).exp();
            let h = round_half_even((area * aspect).sqrt());
            let w = round_half_even((area / aspect).sqrt());
            if w < self.width as i64 && h < self.height as i64 {
                let top = draws.randint(0, self.height as i64 - h) as usize;
                let left = draws.randint(0, self.width as i64 - w) as usize;
                let (h, w) = (h as usize, w as usize);
                let already = (top..top + h).flat_map(|i| (left..left + w).map(move |j| (i, j))).filter(|&(i, j)| mask[i * self.width + j]).count();
                let fresh = h * w - already;
                if fresh > 0 && fresh as f64 <= room {
                    for i in top..top + h {
                        for j in left..left + w {
                            if !mask[i * self.width + j] {
                                mask[i * self.width + j] = true;
                                added += 1;
                            }
                        }
                    }
                }
                if added > 0 {
                    break;
                }
            }
        }
        added
    }
}

/// Rounds half to even, as Python's `round` does.
fn round_half_even(value: f64) -> i64 {
    let rounded = value.round();
    if (value - value.trunc()).abs() == 0.5 && rounded % 2.0 != 0.0 {
        (rounded - value.signum()) as i64
    } else {
        rounded as i64
    }
}

/// Draws the masks of one batch of global crops as DINOv2 does. A share `probability` of
/// the crops is masked, with mask ratios spread evenly over `ratio`, so that light and heavy
/// masking both occur in every batch. The other crops stay unmasked, and the order is
/// shuffled.
pub fn batch_masks(generator: &MaskGenerator, crops: usize, probability: f64, ratio: (f64, f64), draws: &mut impl Draws) -> Vec<Vec<bool>> {
    let patches = generator.height * generator.width;
    let masked = (crops as f64 * probability) as usize;
    let edges: Vec<f64> = (0..=masked)
        .map(|i| if masked == 0 { ratio.0 } else { ratio.0 + (ratio.1 - ratio.0) * i as f64 / masked as f64 })
        .collect();
    let mut masks = Vec::with_capacity(crops);
    for i in 0..masked {
        let share = draws.uniform(edges[i], edges[i + 1]);
        masks.push(generator.generate((patches as f64 * share) as usize, draws));
    }
    for _ in masked..crops {
        masks.push(generator.generate(0, draws));
    }
    let order = draws.permutation(crops);
    order.into_iter().map(|i| masks[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn python_rounding_is_half_to_even() {
        assert_eq!(round_half_even(2.5), 2);
        assert_eq!(round_half_even(3.5), 4);
        assert_eq!(round_half_even(2.4999), 2);
        assert_eq!(round_half_even(0.5), 0);
        assert_eq!(round_half_even(1.5), 2);
    }

    #[test]
    fn masks_stay_within_target_and_grid() {
        let generator = MaskGenerator::new(14, 14, 4.0, 0.3);
        let mut draws = RngDraws(ChaCha8Rng::seed_from_u64(3));
        for target in [0, 10, 50, 98] {
            let mask = generator.generate(target, &mut draws);
            let count = mask.iter().filter(|&&m| m).count();
            assert!(count <= target, "target {target}, masked {count}");
            if target >= 10 {
                assert!(count * 2 >= target, "target {target} masked only {count}");
            }
        }
    }

    #[test]
    fn batch_masks_half_the_crops() {
        let generator = MaskGenerator::new(7, 7, 4.0, 0.3);
        let mut draws = RngDraws(ChaCha8Rng::seed_from_u64(1));
        let masks = batch_masks(&generator, 8, 0.5, (0.1, 0.5), &mut draws);
        assert_eq!(masks.len(), 8);
        let unmasked = masks.iter().filter(|m| !m.iter().any(|&x| x)).count();
        assert_eq!(unmasked, 4);
    }
}
