//! The loss-curve chart of a pretraining run: the total objective and its parts per step.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::train::StepRecord;
use crate::report::plots::{series_colour, write_chart, Chart, DrawResult, PlotError};

const SIZE: (u32, u32) = (900, 560);

struct LossChart<'a> {
    series: Vec<(&'a str, Vec<(f64, f64)>)>,
}

impl Chart for LossChart<'_> {
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
            .caption("Pretraining objective per step", (FontFamily::SansSerif, 26.0))
            .margin(16)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_max, (y_min - pad)..(y_max + pad))?;
        chart
            .configure_mesh()
            .x_desc("step")
            .x_label_formatter(&|step| format!("{step:.0}"))
            .y_desc("loss")
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
    let series = |value: fn(&StepRecord) -> f64| history.iter().map(|r| (r.step as f64, value(r))).collect::<Vec<_>>();
    let chart = LossChart {
        series: vec![
            ("total", series(|r| r.loss)),
            ("DINO", series(|r| r.dino_global + r.dino_local)),
            ("iBOT", series(|r| r.ibot)),
            ("KoLeo", series(|r| r.koleo)),
        ],
    };
    write_chart(stem, &chart)
}
