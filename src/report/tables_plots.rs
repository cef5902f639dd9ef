//! Horizontal bar chart of finding frequencies on a log axis, with vertical lines at the
//! long-tail bucket boundaries, written as PNG and SVG.
//!
//! Text is rendered with the DejaVu Sans font embedded in the binary, as in
//! [`crate::report::plots`], so the PNG files come out the same on every machine.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::atomic::write_atomic;
use crate::report::plots::{series_colour, PlotError};

const WIDTH: u32 = 1000;
/// Pixels per bar row.
const ROW_HEIGHT: u32 = 18;
/// Pixels above the bars (title, boundary labels) and below them (axis, legend margin).
const TITLE_AREA: u32 = 50;
const X_AXIS_AREA: u32 = 56;
/// Tick labels repeat above the bars, because a long chart's bottom axis is off screen.
const TOP_AXIS_AREA: u32 = 54;
const MARGIN: u32 = 16;
/// Room right of the plot for the value label of a bar near 100%.
const RIGHT_MARGIN: u32 = 56;
const MAX_LABEL_WIDTH: u32 = 280;

const TITLE_FONT_SIZE: f64 = 22.0;
const LABEL_FONT_SIZE: f64 = 13.0;
const VALUE_FONT_SIZE: f64 = 11.0;
const AXIS_FONT_SIZE: f64 = 15.0;

const GRID_COLOUR: RGBColor = RGBColor(225, 225, 225);
const BOUNDARY_COLOUR: RGBColor = RGBColor(90, 90, 90);

/// One bar of [`frequency_chart`].
#[derive(Debug, Clone, PartialEq)]
pub struct FrequencyBar {
    /// Category name printed left of the bar.
    pub label: String,
    /// Share in [0, 1]. A zero share gets no bar, only its value label.
    pub frequency: f64,
    /// Index into the chart's groups; sets the bar's colour and legend entry.
    pub group: usize,
}

/// Content of a frequency chart.
#[derive(Debug, Clone)]
pub struct FrequencyChart<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    /// Bars from top to bottom.
    pub bars: &'a [FrequencyBar],
    /// Legend names of the bar groups.
    pub groups: &'a [&'a str],
    /// Shares at which a dashed vertical line is drawn, such as 0.01 and 0.1.
    pub boundaries: &'a [f64],
}

/// Draws the bars on a log10 frequency axis and writes `{stem}.png` and `{stem}.svg`,
/// returning both paths. The axis starts at the power of ten at or below the smallest
/// non-zero frequency (at most 0.1%) and ends at 100%.
pub fn frequency_chart(stem: &Path, chart: &FrequencyChart) -> Result<Vec<PathBuf>, PlotError> {
    let invalid = |reason: String| PlotError::InvalidInput { chart: stem.to_path_buf(), reason };
    if chart.bars.is_empty() {
        return Err(invalid("no bars given".to_string()));
    }
    for bar in chart.bars {
        if !(0.0..=1.0).contains(&bar.frequency) {
            return Err(invalid(format!("bar {:?} has the frequency {}, outside [0, 1]", bar.label, bar.frequency)));
        }
        if bar.group >= chart.groups.len() {
            return Err(invalid(format!("bar {:?} names group {} of {}", bar.label, bar.group, chart.groups.len())));
        }
    }
    if let Some(boundary) = chart.boundaries.iter().find(|b| !(**b > 0.0 && **b < 1.0)) {
        return Err(invalid(format!("boundary {boundary} is outside (0, 1)")));
    }

    let png_path = with_extension(stem, "png");
    let svg_path = with_extension(stem, "svg");
    if !register_fonts() {
        return Err(PlotError::Font { path: png_path });
    }
    let size = chart_size(chart.bars.len());
    let x_low = axis_start(chart.bars);

    let mut pixels = vec![0_u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        draw(&root, chart, x_low).map_err(|error| draw_error(&png_path, error))?;
        root.present().map_err(|error| draw_error(&png_path, error))?;
    }
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&pixels, size.0, size.1, ExtendedColorType::Rgb8)
        .map_err(|source| PlotError::EncodePng { path: png_path.clone(), source })?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root, chart, x_low).map_err(|error| draw_error(&svg_path, error))?;
        root.present().map_err(|error| draw_error(&svg_path, error))?;
    }

    write_atomic(&png_path, &png)?;
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![png_path, svg_path])
}

fn chart_size(bars: usize) -> (u32, u32) {
    (WIDTH, TITLE_AREA + X_AXIS_AREA + TOP_AXIS_AREA + 2 * MARGIN + ROW_HEIGHT * bars as u32)
}

/// Returns the left end of the log axis: the power of ten at or below the smallest non-zero
/// frequency, and at most 0.001 so that a 1% boundary has room on its left.
fn axis_start(bars: &[FrequencyBar]) -> f64 {
    let smallest = bars.iter().map(|bar| bar.frequency).filter(|f| *f > 0.0).fold(1.0_f64, f64::min);
    10_f64.powf(smallest.log10().floor()).min(1e-3)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &FrequencyChart,
    x_low: f64,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let title_style = (FontFamily::SansSerif, TITLE_FONT_SIZE, FontStyle::Bold)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(chart.title, &title_style, ((WIDTH / 2) as i32, 12))?;
    let (_, body) = root.split_vertically(TITLE_AREA);

    let label_style = text_style(LABEL_FONT_SIZE);
    let mut labels = Vec::with_capacity(chart.bars.len());
    let mut label_width = 0;
    for bar in chart.bars {
        let label = shorten(root, &bar.label, &label_style)?;
        label_width = label_width.max(root.estimate_text_size(&label, &label_style)?.0);
        labels.push(label);
    }

    let rows = chart.bars.len() as f64;
    let percent = |value: &f64| tick_label(*value);
    let mut plot = ChartBuilder::on(&body)
        .margin(MARGIN)
        .margin_right(RIGHT_MARGIN)
        .x_label_area_size(X_AXIS_AREA)
        .set_label_area_size(LabelAreaPosition::Top, TOP_AXIS_AREA)
        .y_label_area_size(label_width + 12)
        .build_cartesian_2d((x_low..1.0).log_scale(), 0.0..rows)?;
    plot.configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(chart.x_label)
        .x_label_formatter(&percent)
        .label_style(text_style(LABEL_FONT_SIZE))
        .axis_desc_style(text_style(AXIS_FONT_SIZE))
        .bold_line_style(GRID_COLOUR)
        .light_line_style(TRANSPARENT)
        .draw()?;

    // Boundaries first, so that bars and value labels are drawn over them.
    let boundary_style = BOUNDARY_COLOUR.stroke_width(2);
    for boundary in chart.boundaries {
        plot.draw_series(DashedLineSeries::new([(*boundary, 0.0), (*boundary, rows)], 8, 5, boundary_style))?;
    }

    let right_label = label_style.pos(Pos::new(HPos::Right, VPos::Center));
    let value_style = text_style(VALUE_FONT_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    for (index, (bar, label)) in chart.bars.iter().zip(&labels).enumerate() {
        let top = rows - index as f64;
        let middle = top - 0.5;
        let colour = series_colour(bar.group);
        if bar.frequency > 0.0 {
            let end = bar.frequency.max(x_low);
            plot.draw_series(std::iter::once(Rectangle::new([(x_low, top - 0.85), (end, top - 0.15)], colour.filled())))?;
        }
        let value = EmptyElement::at((bar.frequency.max(x_low), middle)) + Text::new(format_percent(bar.frequency, 3), (4, 0), value_style.clone());
        plot.draw_series(std::iter::once(value))?;
        let (x, y) = plot.backend_coord(&(x_low, middle));
        root.draw_text(label, &right_label, (x - 6, y))?;
    }

    if !chart.boundaries.is_empty() {
        let shown: Vec<String> = chart.boundaries.iter().map(|b| tick_label(*b)).collect();
        plot.draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
            .label(format!("bucket boundary ({})", shown.join(", ")))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], boundary_style));
    }
    for (group, name) in chart.groups.iter().enumerate() {
        let colour = series_colour(group);
        plot.draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], colour.filled()));
    }
    plot.configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .margin(12)
        .label_font(text_style(LABEL_FONT_SIZE))
        .background_style(WHITE.mix(0.9))
        .border_style(BOUNDARY_COLOUR)
        .draw()?;
    Ok(())
}

/// Formats a share as a percentage with `significant` significant digits (at most 4
/// decimals): 0.1234 as "12.3%" and 0.1 as "10.0%" with 3 digits, 0.000622 as "0.0622%".
pub fn format_percent(share: f64, significant: i32) -> String {
    let percent = share * 100.0;
    if percent == 0.0 {
        return "0%".to_string();
    }
    let decimals = (significant - 1 - percent.abs().log10().floor() as i32).clamp(0, 4) as usize;
    format!("{percent:.decimals$}%")
}

/// Formats an axis tick or boundary as a percentage without trailing zeros: "0.01%", "10%".
fn tick_label(share: f64) -> String {
    let text = format!("{:.6}", share * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

fn text_style(size: f64) -> TextStyle<'static> {
    (FontFamily::SansSerif, size).into_font().color(&BLACK)
}

/// Returns `text`, or its longest prefix followed by "…" that fits in `MAX_LABEL_WIDTH`.
fn shorten<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    if area.estimate_text_size(text, style)?.0 <= MAX_LABEL_WIDTH {
        return Ok(text.to_string());
    }
    let characters: Vec<char> = text.chars().collect();
    for length in (1..characters.len()).rev() {
        let candidate: String = characters[..length].iter().chain(['…'].iter()).collect();
        if area.estimate_text_size(&candidate, style)?.0 <= MAX_LABEL_WIDTH {
            return Ok(candidate);
        }
    }
    Ok("…".to_string())
}

/// Registers DejaVu Sans regular and bold as plotters' `sans-serif` family once and returns
/// whether both parsed.
fn register_fonts() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        let family = FontFamily::SansSerif.as_str();
        let regular = register_font(family, FontStyle::Normal, dejavu::sans::regular());
        let bold = register_font(family, FontStyle::Bold, dejavu::sans::bold());
        regular.is_ok() && bold.is_ok()
    })
}

fn with_extension(stem: &Path, extension: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

fn draw_error(path: &Path, error: impl std::fmt::Display) -> PlotError {
    PlotError::Draw { path: path.to_path_buf(), message: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<FrequencyBar> {
        vec![
            FrequencyBar { label: "Infiltration".into(), frequency: 0.1774, group: 0 },
            FrequencyBar { label: "Mass".into(), frequency: 0.0516, group: 1 },
            FrequencyBar { label: "a very long label name that will not fit beside the bars at all".into(), frequency: 0.002, group: 2 },
            FrequencyBar { label: "absent".into(), frequency: 0.0, group: 2 },
        ]
    }

    #[test]
    fn format_percent_keeps_significant_digits() {
        let cases = [
            (0.1774, 3, "17.7%"),
            (0.5, 3, "50.0%"),
            (0.100_18, 3, "10.0%"),
            (0.100_18, 4, "10.02%"),
            (0.0516, 3, "5.16%"),
            (0.000622, 3, "0.0622%"),
            (0.0, 3, "0%"),
            (1.0, 3, "100%"),
            (0.000_006_2, 3, "0.0006%"),
        ];
        for (share, digits, expected) in cases {
            assert_eq!(format_percent(share, digits), expected, "{share} to {digits} digits");
        }
    }

    #[test]
    fn tick_label_drops_trailing_zeros() {
        let cases = [(0.01, "1%"), (0.1, "10%"), (1.0, "100%"), (0.0001, "0.01%"), (0.00001, "0.001%")];
        for (share, expected) in cases {
            assert_eq!(tick_label(share), expected, "{share}");
        }
    }

    #[test]
    fn axis_starts_below_smallest() {
        assert_eq!(axis_start(&bars()), 1e-3);
        let tiny = vec![FrequencyBar { label: "x".into(), frequency: 0.0000062, group: 0 }];
        assert!((axis_start(&tiny) - 1e-6).abs() < 1e-18);
    }

    #[test]
    fn chart_writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let bars = bars();
        let chart = FrequencyChart {
            title: "NIH: finding frequency",
            x_label: "positives / labelled images (log scale)",
            bars: &bars,
            groups: &["common", "uncommon", "rare"],
            boundaries: &[0.01, 0.1],
        };

        let written = frequency_chart(&dir.path().join("freq"), &chart).unwrap();

        assert_eq!(written, vec![dir.path().join("freq.png"), dir.path().join("freq.svg")]);
        let png = image::open(&written[0]).unwrap();
        assert_eq!((png.width(), png.height()), chart_size(4));
        let svg = std::fs::read_to_string(&written[1]).unwrap();
        assert!(svg.contains("Infiltration"), "label missing from SVG");
        assert!(svg.contains("bucket boundary (1%, 10%)"), "boundary legend missing from SVG");
        assert!(svg.contains("stroke-dasharray") || svg.matches("<line").count() > 2, "no dashed boundary line");
    }

    #[test]
    fn chart_rejects_bad_frequency() {
        let dir = tempfile::tempdir().unwrap();
        let bars = vec![FrequencyBar { label: "x".into(), frequency: 1.5, group: 0 }];
        let chart = FrequencyChart { title: "t", x_label: "x", bars: &bars, groups: &["g"], boundaries: &[] };

        let error = frequency_chart(&dir.path().join("freq"), &chart).unwrap_err();

        assert!(error.to_string().contains("outside [0, 1]"), "{error}");
    }
}
