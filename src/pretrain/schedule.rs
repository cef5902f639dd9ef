//! Per-step schedules: learning rate, weight decay, teacher momentum and temperature.
//!
//! One shape covers all of them, as in DINOv2's training code. The value is 0 for `freeze`
//! steps, then rises linearly from `warmup_start` to `base` over `warmup` steps (both ends
//! included), then follows a half cosine from `base` down (or up) to `end` over the
//! remaining steps. After `total` steps it stays at `end`.

#[derive(Debug, Clone, PartialEq)]
pub struct CosineSchedule {
    pub base: f64,
    pub end: f64,
    pub total: usize,
    pub warmup: usize,
    pub warmup_start: f64,
    pub freeze: usize,
}

impl CosineSchedule {
    /// Creates a schedule without warm-up or freeze.
    pub fn cosine(base: f64, end: f64, total: usize) -> Self {
        CosineSchedule { base, end, total, warmup: 0, warmup_start: 0.0, freeze: 0 }
    }

    /// Creates a schedule whose value is `value` at every step.
    pub fn constant(value: f64, total: usize) -> Self {
        Self::cosine(value, value, total)
    }

    pub fn with_warmup(self, steps: usize, start: f64) -> Self {
        CosineSchedule { warmup: steps, warmup_start: start, ..self }
    }

    pub fn with_freeze(self, steps: usize) -> Self {
        CosineSchedule { freeze: steps, ..self }
    }

    /// Returns the value at `step` (counted from 0).
    pub fn at(&self, step: usize) -> f64 {
        if step >= self.total {
            return self.end;
        }
        if step < self.freeze {
            return 0.0;
        }
        let step = step - self.freeze;
        if step < self.warmup {
            // numpy.linspace(start, base, warmup): both ends are reached.
            if self.warmup == 1 {
                return self.warmup_start;
            }
            let fraction = step as f64 / (self.warmup - 1) as f64;
            return self.warmup_start + (self.base - self.warmup_start) * fraction;
        }
        let step = step - self.warmup;
        let cosine_steps = self.total.saturating_sub(self.warmup + self.freeze);
        let phase = std::f64::consts::PI * step as f64 / cosine_steps as f64;
        self.end + 0.5 * (self.base - self.end) * (1.0 + phase.cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn cosine_has_its_closed_form() {
        let schedule = CosineSchedule::cosine(1.0, 0.0, 100);
        assert!(close(schedule.at(0), 1.0));
        // Half way, cos(pi/2) = 0: the midpoint of base and end.
        assert!(close(schedule.at(50), 0.5));
        assert!(close(schedule.at(25), 0.5 * (1.0 + (std::f64::consts::PI / 4.0).cos())));
        assert!(close(schedule.at(99), 0.5 * (1.0 + (std::f64::consts::PI * 0.99).cos())));
        assert!(close(schedule.at(100), 0.0));
        assert!(close(schedule.at(10_000), 0.0));
    }

    #[test]
    fn cosine_can_rise() {
        // Teacher momentum and weight decay go up: 0.992 -> 1.0.
        let schedule = CosineSchedule::cosine(0.992, 1.0, 10);
        assert!(close(schedule.at(0), 0.992));
        assert!(close(schedule.at(5), 0.996));
        assert!(schedule.at(9) > schedule.at(8));
    }

    #[test]
    fn warmup_is_linear_and_reaches_base() {
        let schedule = CosineSchedule::cosine(0.5, 0.1, 30).with_warmup(11, 0.0);
        for step in 0..11 {
            assert!(close(schedule.at(step), 0.05 * step as f64), "step {step}");
        }
        // The cosine starts again at base after the warm-up, over the 19 remaining steps.
        assert!(close(schedule.at(11), 0.5));
        assert!(close(schedule.at(11 + 19 / 2), 0.1 + 0.2 * (1.0 + (std::f64::consts::PI * 9.0 / 19.0).cos())));
    }

    #[test]
    fn teacher_temperature_warms_up_then_stays() {
        let schedule = CosineSchedule::constant(0.07, 100).with_warmup(31, 0.04);
        assert!(close(schedule.at(0), 0.04));
        assert!(close(schedule.at(15), 0.055));
        assert!(close(schedule.at(30), 0.07));
        assert!(close(schedule.at(70), 0.07));
    }

    #[test]
    fn freeze_holds_zero_first() {
        let schedule = CosineSchedule::cosine(2.0, 1.0, 20).with_freeze(5);
        assert_eq!(schedule.at(0), 0.0);
        assert_eq!(schedule.at(4), 0.0);
        assert!(close(schedule.at(5), 2.0));
    }
}
