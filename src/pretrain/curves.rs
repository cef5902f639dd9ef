//! The charts of a pretraining run: the objective and its parts per step, and the signs of a
//! collapse per step.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::train::StepRecord;
use crate::report::plots::{series_colour, write_chart, Chart, DrawResult, PlotError};

const SIZE: (u32, u32) = (900, 560);

/// Line chart of per-step series that share one y axis.
struct StepChart<'a> {
    caption: &'a str,
    y_label: &'a str,
    series: Vec<(&'a str, Vec<(f64, f64)>)>,
}

impl Chart for StepChart<'_> {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let points = self.series.iter().flat_map(|(_, points)| points.iter());
        let (mut x_max, mut y_min, mut y_max) = (1.0f64, f64::INFINITY, f64::NEG_INFINITY);
        for &(x, y) in points {
            x_max = x_max.max(x);
            y_min = y_min.min(y);
            y_max = y_max.max(y);
        }
        if !y_min.is_finite() {
            (y_min, y_max) = (0.0, 1.0);
        }
        let pad = ((y_max - y_min) * 0.05).max(1e-3);
        let mut chart = ChartBuilder::on(root)
            .caption(self.caption, (FontFamily::SansSerif, 26.0))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_max, (y_min - pad)..(y_max + pad))?;
        chart
            .configure_mesh()
            .x_desc("step")
            .x_label_formatter(&|step| format!("{step:.0}"))
            .y_desc(self.y_label)
            .label_style((FontFamily::SansSerif, 16.0))
            .axis_desc_style((FontFamily::SansSerif, 19.0))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for (index, (label, points)) in self.series.iter().enumerate() {
            let colour = series_colour(index);
            chart
                .draw_series(LineSeries::new(points.iter().copied(), colour.stroke_width(2)))?
                .label(*label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font((FontFamily::SansSerif, 16.0))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        Ok(())
    }
}

/// Writes `{stem}.png` and `{stem}.svg`: total loss, DINO (global + local), iBOT and KoLeo
/// per step.
pub fn write_loss_curves(stem: &Path, history: &[StepRecord]) -> Result<Vec<PathBuf>, PlotError> {
    let series = |value: fn(&StepRecord) -> f64| step_series(history, value);
    let chart = StepChart {
        caption: "Pretraining objective per step",
        y_label: "loss",
        series: vec![
            ("total", series(|r| r.loss)),
            ("DINO", series(|r| r.dino_global + r.dino_local)),
            ("iBOT", series(|r| r.ibot)),
            ("KoLeo", series(|r| r.koleo)),
        ],
    };
    write_chart(stem, &chart)
}

/// Writes `{stem}.png` and `{stem}.svg` with three series per step. The first is the
/// teacher's CLS-target entropy as a share of ln K (1 means uniform targets). The others
/// are the teacher's CLS cosines between the two crops of one image and between crops of
/// different images.
pub fn write_collapse_diagnostics(stem: &Path, history: &[StepRecord], prototypes: i64) -> Result<Vec<PathBuf>, PlotError> {
    let uniform = (prototypes.max(2) as f64).ln();
    let chart = StepChart {
        caption: "Teacher targets per step",
        y_label: "entropy / ln K, cosine",
        series: vec![
            ("target entropy / ln K", history.iter().map(|r| (r.step as f64, r.teacher_entropy / uniform)).collect()),
            ("CLS cosine, same image", step_series(history, |r| r.teacher_view_cosine)),
            ("CLS cosine, other images", step_series(history, |r| r.teacher_other_cosine)),
        ],
    };
    write_chart(stem, &chart)
}

fn step_series(history: &[StepRecord], value: fn(&StepRecord) -> f64) -> Vec<(f64, f64)> {
    history.iter().map(|record| (record.step as f64, value(record))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: usize, entropy: f64) -> StepRecord {
        let text = format!(
            r#"{{"step":{step},"epoch":0.1,"loss":9.0,"dino_global":1.3,"dino_local":5.2,"ibot":3.2,"koleo":0.2,"lr":0.001,"weight_decay":0.04,
            "teacher_momentum":0.99,"teacher_temperature":0.015,"grad_norm_backbone":1.0,"grad_norm_head":1.0,"masked_patches":450,
            "teacher_entropy":{entropy},"prototypes_used":60,"teacher_view_cosine":0.3,"teacher_other_cosine":0.05,"seconds":0.8}}"#
        );
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn collapse_diagnostics_write_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        let history: Vec<StepRecord> = (1..=5).map(|step| record(step, 6.9 - step as f64 * 0.3)).collect();
        let stem = dir.path().join("collapse_diagnostics");
        let written = write_collapse_diagnostics(&stem, &history, 1024).unwrap();
        assert_eq!(written.len(), 2, "{written:?}");
        for path in &written {
            assert!(path.is_file(), "{} missing", path.display());
        }
        let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
        for label in ["target entropy / ln K", "CLS cosine, same image", "CLS cosine, other images"] {
            assert!(svg.contains(label), "{label} missing from the SVG");
        }
    }
}
