//! Report charts, each written as a PNG and an SVG file: bar charts with confidence
//! intervals (one bar per encoder, or grouped by category), ROC curves, and
//! predicted-versus-true scatter plots.
//!
//! Text is rendered with the DejaVu Sans font embedded in the binary, so the PNG files come out
//! the same on every machine. SVG files name the generic `sans-serif` family and leave the
//! font choice to the viewer.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::report::atomic::{write_atomic, AtomicWriteError};

const BAR_CHART_SIZE: (u32, u32) = (900, 600);
const ROC_CHART_SIZE: (u32, u32) = (700, 700);
const SCATTER_CHART_SIZE: (u32, u32) = (900, 600);

// Font sizes in plotters units. The bitmap backend scales DejaVu Sans so that its ascent plus
// descent spans this many pixels, and the SVG backend writes `font-size` as this value / 1.24.
const TITLE_FONT_SIZE: f64 = 26.0;
const MIN_TITLE_FONT_SIZE: f64 = 18.0;
const AXIS_DESC_FONT_SIZE: f64 = 19.0;
const TICK_FONT_SIZE: f64 = 16.0;
const MIN_TICK_FONT_SIZE: f64 = 12.0;
const VALUE_FONT_SIZE: f64 = 16.0;
const NOTE_FONT_SIZE: f64 = 15.0;
const LEGEND_FONT_SIZE: f64 = 16.0;

// Layout in pixels.
const TITLE_TOP_PADDING: u32 = 10;
const TITLE_BOTTOM_PADDING: u32 = 6;
const CHART_MARGIN: u32 = 16;
const Y_LABEL_AREA: u32 = 80;
const X_LABEL_AREA: u32 = 58;
const CATEGORY_LABEL_GAP: u32 = 10;
const MAX_ROTATED_LABEL_WIDTH: u32 = 190;
const MAX_BAR_WIDTH: f64 = 110.0;
const VALUE_LABEL_OFFSET: i32 = 6;

// Maximum tick label counts passed to plotters, which picks round values.
const BAR_CHART_Y_TICKS: usize = 8;
const SCATTER_TICKS: usize = 8;

/// Fraction of the y span added above the bars so that the value labels fit in the plot.
const VALUE_LABEL_HEADROOM: f64 = 0.1;

/// Okabe–Ito colour-blind-safe palette, reordered so that yellow, which is hard to see on
/// white, comes late. Grey replaces the palette's black so that black CI whiskers stay visible
/// on a bar.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(240, 228, 66),  // yellow
    RGBColor(128, 128, 128), // grey
];

const GRID_COLOUR: RGBColor = RGBColor(225, 225, 225);
const REFERENCE_LINE_COLOUR: RGBColor = RGBColor(110, 110, 110);
const NOTE_COLOUR: RGBColor = RGBColor(90, 90, 90);

/// Returns the colour of series `index` in every chart. Colours repeat after
/// `PALETTE.len()` series.
pub fn series_colour(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// Failure to draw or write a chart.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Invalid input data, for example an empty series list or mismatched lengths.
    #[error("invalid data for chart {}: {reason}", chart.display())]
    InvalidInput { chart: PathBuf, reason: String },

    /// The embedded DejaVu Sans font could not be parsed, which means a broken build.
    #[error("failed to load the embedded DejaVu Sans font for {}", path.display())]
    Font { path: PathBuf },

    /// Plotters failed while drawing the chart.
    #[error("failed to draw {}: {message}", path.display())]
    Draw { path: PathBuf, message: String },

    /// The rendered pixels could not be encoded as PNG.
    #[error("failed to encode {} as PNG: {source}", path.display())]
    EncodePng {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },

    /// The chart file could not be written.
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
}

/// One bar of [`bar_chart_with_ci`]: an encoder's metric value and its 95% confidence
/// interval.
#[derive(Debug, Clone, PartialEq)]
pub struct BarDatum {
    /// Category name printed under the bar, usually the encoder name.
    pub label: String,
    /// Metric value. `None` means that the metric is undefined for this encoder, so neither
    /// bar nor whisker is drawn and `note` is printed in its slot.
    pub value: Option<f64>,
    /// Lower bound of the confidence interval. Give both bounds or neither.
    pub lower: Option<f64>,
    /// Upper bound of the confidence interval. Give both bounds or neither.
    pub upper: Option<f64>,
    /// Reason printed in place of an undefined value, such as "undefined: one class".
    /// Ignored when `value` is set.
    pub note: Option<String>,
}

/// One curve of [`roc_curves`].
#[derive(Debug, Clone, PartialEq)]
pub struct RocSeries {
    /// Series name in the legend, usually the encoder name.
    pub label: String,
    /// False positive rates of the curve points, in drawing order.
    pub fpr: Vec<f64>,
    /// True positive rates of the curve points, parallel to `fpr`.
    pub tpr: Vec<f64>,
    /// Area under the curve, shown in the legend when set.
    pub auc: Option<f64>,
}

/// One point set of [`scatter_with_identity`].
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterSeries {
    /// Series name in the legend, usually the encoder name.
    pub label: String,
    /// Horizontal coordinates, usually the true values.
    pub x: Vec<f64>,
    /// Vertical coordinates parallel to `x`, usually the predictions.
    pub y: Vec<f64>,
}

/// Draws one bar per encoder with 95% CI whiskers and writes `{stem}.png` and `{stem}.svg`,
/// returning both paths.
///
/// Each bar's value is printed above it with 3 decimals. An undefined value gets no bar and
/// its note instead. The y axis covers `y_range` when given, such as `(0.0, 1.0)` for AUROC,
/// and bars or whiskers outside it are clipped. Otherwise the axis covers the values and CI
/// bounds and starts at zero unless they lie far from zero (see `data_y_range`). Some space
/// is always added above the range for the value labels.
pub fn bar_chart_with_ci(
    stem: &Path,
    title: &str,
    y_label: &str,
    bars: &[BarDatum],
    y_range: Option<(f64, f64)>,
) -> Result<Vec<PathBuf>, PlotError> {
    let invalid = |reason: String| PlotError::InvalidInput {
        chart: stem.to_path_buf(),
        reason,
    };

    validate_bars(bars).map_err(invalid)?;
    let axis_range = bar_axis_range(bars, y_range, 1.0).map_err(invalid)?;

    let chart = BarChart {
        title,
        y_label,
        categories: bars.iter().map(|bar| bar.label.clone()).collect(),
        series_count: 1,
        bars: bars
            .iter()
            .enumerate()
            .map(|(index, bar)| Bar {
                value: bar.value,
                lower: bar.lower,
                upper: bar.upper,
                note: bar.note.clone(),
                label: bar.value.map(|value| format!("{value:.3}")),
                colour: series_colour(index),
            })
            .collect(),
        legend: Vec::new(),
        layout: BarLayout::OnePerSlot,
        axis_range,
    };
    write_chart(stem, &chart)
}

/// Draws one ROC curve per series over a dashed chance diagonal and writes `{stem}.png` and
/// `{stem}.svg`, returning both paths.
///
/// Points are joined in the given order. The legend shows "label (AUC 0.812)" for series with
/// an AUC.
pub fn roc_curves(
    stem: &Path,
    title: &str,
    series: &[RocSeries],
) -> Result<Vec<PathBuf>, PlotError> {
    validate_roc_series(series).map_err(|reason| PlotError::InvalidInput {
        chart: stem.to_path_buf(),
        reason,
    })?;

    let chart = RocChart { title, series };
    write_chart(stem, &chart)
}

/// Draws the points of every series with the identity line `y = x` and writes `{stem}.png`
/// and `{stem}.svg`, returning both paths.
///
/// Both axes cover the same range, so a point on the line is a perfect prediction.
pub fn scatter_with_identity(
    stem: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[ScatterSeries],
) -> Result<Vec<PathBuf>, PlotError> {
    validate_scatter_series(series).map_err(|reason| PlotError::InvalidInput {
        chart: stem.to_path_buf(),
        reason,
    })?;

    let chart = ScatterChart {
        title,
        x_label,
        y_label,
        series,
        axis_range: shared_axis_range(series),
    };
    write_chart(stem, &chart)
}

// ---------------------------------------------------------------------------------------
// Input checks and axis ranges

fn validate_bars(bars: &[BarDatum]) -> Result<(), String> {
    if bars.is_empty() {
        return Err("no bars given".to_string());
    }

    for bar in bars {
        let label = &bar.label;
        if let Some(value) = bar.value {
            if !value.is_finite() {
                return Err(format!("bar {label:?} has the non-finite value {value}"));
            }
        }

        match (bar.lower, bar.upper) {
            (None, None) => {}
            (Some(lower), Some(upper)) => {
                if !lower.is_finite() || !upper.is_finite() {
                    return Err(format!(
                        "bar {label:?} has a non-finite CI bound ({lower}, {upper})"
                    ));
                }
                if lower > upper {
                    return Err(format!(
                        "bar {label:?} has a CI lower bound {lower} above its upper bound {upper}"
                    ));
                }
            }
            _ => {
                return Err(format!(
                    "bar {label:?} has only one CI bound; give both or neither"
                ));
            }
        }
    }
    Ok(())
}

fn validate_axis_range((low, high): (f64, f64)) -> Result<(), String> {
    if !low.is_finite() || !high.is_finite() || low >= high {
        return Err(format!(
            "invalid y range ({low}, {high}): expected finite bounds with low < high"
        ));
    }
    Ok(())
}

fn validate_roc_series(series: &[RocSeries]) -> Result<(), String> {
    if series.is_empty() {
        return Err("no ROC series given".to_string());
    }

    for curve in series {
        let label = &curve.label;
        if curve.fpr.len() != curve.tpr.len() {
            return Err(format!(
                "ROC series {label:?} has {} false positive rates but {} true positive rates",
                curve.fpr.len(),
                curve.tpr.len()
            ));
        }
        if curve.fpr.len() < 2 {
            return Err(format!(
                "ROC series {label:?} has {} points; a curve needs at least 2",
                curve.fpr.len()
            ));
        }

        let rates = curve.fpr.iter().chain(&curve.tpr);
        if let Some(rate) = rates.into_iter().find(|rate| !(0.0..=1.0).contains(*rate)) {
            return Err(format!(
                "ROC series {label:?} has the rate {rate}, outside [0, 1]"
            ));
        }
        if let Some(auc) = curve.auc {
            if !auc.is_finite() {
                return Err(format!("ROC series {label:?} has the non-finite AUC {auc}"));
            }
        }
    }
    Ok(())
}

fn validate_scatter_series(series: &[ScatterSeries]) -> Result<(), String> {
    if series.is_empty() {
        return Err("no scatter series given".to_string());
    }

    for points in series {
        let label = &points.label;
        if points.x.len() != points.y.len() {
            return Err(format!(
                "scatter series {label:?} has {} x values but {} y values",
                points.x.len(),
                points.y.len()
            ));
        }
        let coordinates = points.x.iter().chain(&points.y);
        if let Some(value) = coordinates.into_iter().find(|value| !value.is_finite()) {
            return Err(format!(
                "scatter series {label:?} has the non-finite value {value}"
            ));
        }
    }

    if series.iter().all(|points| points.x.is_empty()) {
        return Err("the scatter series contain no points".to_string());
    }
    Ok(())
}

/// Returns the y range that covers the values and CI bounds of `bars`, padded by 5%.
///
/// The range starts at zero (or ends at zero for negative data) unless the values spread over
/// less than a fifth of their distance from zero, such as 0.80 to 0.87. A zero-based axis
/// would squeeze such values into a thin band, so the bars start at the bottom of the axis
/// instead.
fn data_y_range(bars: &[BarDatum]) -> (f64, f64) {
    let values: Vec<f64> = bars
        .iter()
        .filter(|bar| bar.value.is_some())
        .flat_map(|bar| [bar.value, bar.lower, bar.upper])
        .flatten()
        .collect();
    if values.is_empty() {
        return (0.0, 1.0);
    }

    let mut low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if low == high {
        // A single distinct value has no spread to show, so draw it from zero.
        if low == 0.0 {
            return (0.0, 1.0);
        }
        return (low.min(0.0), high.max(0.0));
    }

    let far_from_zero = (low > 0.0 && low > 0.8 * high) || (high < 0.0 && high < 0.8 * low);
    if !far_from_zero {
        low = low.min(0.0);
        high = high.max(0.0);
    }

    let padding = 0.05 * (high - low);
    let padded_low = if low == 0.0 { 0.0 } else { low - padding };
    let padded_high = if high == 0.0 { 0.0 } else { high + padding };
    (padded_low, padded_high)
}

/// Returns the drawn y range of a bar chart: `y_range` when given, otherwise the range of
/// `data_y_range`, with `headroom` times `VALUE_LABEL_HEADROOM` of its span added above for
/// the text over the bars.
fn bar_axis_range(
    bars: &[BarDatum],
    y_range: Option<(f64, f64)>,
    headroom: f64,
) -> Result<(f64, f64), String> {
    let value_range = match y_range {
        Some(range) => {
            validate_axis_range(range)?;
            range
        }
        None => data_y_range(bars),
    };
    let span = value_range.1 - value_range.0;
    Ok((
        value_range.0,
        value_range.1 + headroom * VALUE_LABEL_HEADROOM * span,
    ))
}

/// Returns one range for both scatter axes that covers every x and y value, padded by 5%.
fn shared_axis_range(series: &[ScatterSeries]) -> (f64, f64) {
    let values = series
        .iter()
        .flat_map(|points| points.x.iter().chain(&points.y));
    let low = values.clone().copied().fold(f64::INFINITY, f64::min);
    let high = values.copied().fold(f64::NEG_INFINITY, f64::max);

    let span = high - low;
    // When all points coincide, pad by a share of their magnitude, or by 1 around zero.
    let padding = if span > 0.0 {
        0.05 * span
    } else if low != 0.0 {
        0.1 * low.abs()
    } else {
        1.0
    };
    (low - padding, high + padding)
}

// ---------------------------------------------------------------------------------------
// Rendering and writing

pub(crate) type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
type PlotChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart that draws itself on any plotters backend, so that PNG and SVG share one drawing
/// routine.
pub(crate) trait Chart {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// Renders `chart` as PNG and SVG in memory, then writes both files atomically.
pub(crate) fn write_chart(stem: &Path, chart: &impl Chart) -> Result<Vec<PathBuf>, PlotError> {
    let png_path = path_with_extension(stem, "png");
    let svg_path = path_with_extension(stem, "svg");
    if !register_embedded_fonts() {
        return Err(PlotError::Font { path: png_path });
    }

    let png = render_png(&png_path, chart)?;
    let svg = render_svg(&svg_path, chart)?;
    write_atomic(&png_path, &png)?;
    write_atomic(&svg_path, svg.as_bytes())?;
    Ok(vec![png_path, svg_path])
}

fn render_png(path: &Path, chart: &impl Chart) -> Result<Vec<u8>, PlotError> {
    let (width, height) = chart.size();
    let mut pixels = vec![0_u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        chart.draw(&root).map_err(|error| draw_error(path, error))?;
        root.present().map_err(|error| draw_error(path, error))?;
    }

    let mut encoded = Vec::new();
    PngEncoder::new(&mut encoded)
        .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
        .map_err(|source| PlotError::EncodePng {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(encoded)
}

fn render_svg(path: &Path, chart: &impl Chart) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        chart.draw(&root).map_err(|error| draw_error(path, error))?;
        root.present().map_err(|error| draw_error(path, error))?;
    }
    Ok(svg)
}

fn draw_error(path: &Path, error: impl std::fmt::Display) -> PlotError {
    PlotError::Draw {
        path: path.to_path_buf(),
        message: error.to_string(),
    }
}

/// Appends `.{extension}` to `stem`, keeping any dots already in its file name.
fn path_with_extension(stem: &Path, extension: &str) -> PathBuf {
    let mut name = OsString::from(stem.as_os_str());
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

/// Registers DejaVu Sans regular and bold as plotters' `sans-serif` family on the first call
/// and returns whether both fonts parsed.
fn register_embedded_fonts() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        let family = FontFamily::SansSerif.as_str();
        let regular = register_font(family, FontStyle::Normal, dejavu::sans::regular());
        let bold = register_font(family, FontStyle::Bold, dejavu::sans::bold());
        regular.is_ok() && bold.is_ok()
    })
}

fn text_style(size: f64) -> TextStyle<'static> {
    (FontFamily::SansSerif, size).into_font().color(&BLACK)
}

fn bold_text_style(size: f64) -> TextStyle<'static> {
    (FontFamily::SansSerif, size, FontStyle::Bold)
        .into_font()
        .color(&BLACK)
}

/// Draws `title` centred at the top of `root` and returns the area below it. The font shrinks
/// down to `MIN_TITLE_FONT_SIZE` to fit a long title on one line.
fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, _) = root.dim_in_pixel();
    let max_width = width.saturating_sub(2 * CHART_MARGIN);

    let mut size = TITLE_FONT_SIZE;
    let mut style = bold_text_style(size);
    let mut text_size = root.estimate_text_size(title, &style)?;
    while text_size.0 > max_width && size > MIN_TITLE_FONT_SIZE {
        size -= 1.0;
        style = bold_text_style(size);
        text_size = root.estimate_text_size(title, &style)?;
    }

    let anchored = style.pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(
        title,
        &anchored,
        ((width / 2) as i32, TITLE_TOP_PADDING as i32),
    )?;

    let title_height = TITLE_TOP_PADDING + text_size.1 + TITLE_BOTTOM_PADDING;
    let (_, body) = root.split_vertically(title_height);
    Ok(body)
}

/// Draws the legend box of the series that were given a label.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut PlotChart<'a, DB>,
    position: SeriesLabelPosition,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(position)
        .margin(12)
        .legend_area_size(34)
        .label_font(text_style(LEGEND_FONT_SIZE))
        .background_style(WHITE.mix(0.9))
        .border_style(REFERENCE_LINE_COLOUR)
        .draw()
}

/// Returns the `(left, right)` or `(top, bottom)` margins that shrink the longer side of a
/// plotting area to the length of the shorter one, centring it.
fn squaring_margins(longer: u32, shorter: u32) -> (u32, u32) {
    let extra = longer.saturating_sub(shorter);
    (CHART_MARGIN + extra / 2, CHART_MARGIN + extra - extra / 2)
}

/// Returns the fewest decimals (at most 6) that print every tick of an axis over `range`
/// exactly, so that ticks read "20, 40" or "0.2, 0.4" rather than "20.0" or "0.2000".
/// `tick_count` must be the label count given to the mesh, because it decides the ticks.
fn tick_decimals((low, high): (f64, f64), tick_count: usize) -> usize {
    let ticks = RangedCoordf64::from(low..high).key_points(tick_count);
    let tolerance = 1e-9 * (high - low);
    let prints_exactly = |decimals: usize| {
        ticks.iter().all(|tick| {
            let printed = format!("{tick:.decimals$}");
            printed
                .parse::<f64>()
                .is_ok_and(|parsed| (parsed - tick).abs() <= tolerance)
        })
    };
    (0..=6)
        .find(|&decimals| prints_exactly(decimals))
        .unwrap_or(6)
}

/// Formats a tick value with `decimals` decimals, printing negative zero as zero.
fn format_tick(value: f64, decimals: usize) -> String {
    let value = if value == 0.0 { 0.0 } else { value };
    format!("{value:.decimals$}")
}

// ---------------------------------------------------------------------------------------
// Bar charts

/// Bar chart of [`bar_chart_with_ci`], with one bar per category, and of
/// [`grouped_bar_chart_with_ci`], with `series_count` bars side by side per category.
struct BarChart<'a> {
    title: &'a str,
    y_label: &'a str,
    /// Category names printed under the slots.
    categories: Vec<String>,
    series_count: usize,
    /// `series_count` bars per category in category order, in series order within a
    /// category.
    bars: Vec<Bar>,
    /// Series names in the legend. An empty list draws no legend.
    legend: Vec<String>,
    layout: BarLayout,
    /// Drawn y range, including the headroom for value labels.
    axis_range: (f64, f64),
}

/// One bar of a [`BarChart`].
struct Bar {
    value: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    /// Reason for an undefined value. It is printed across the category when every bar of
    /// the category is undefined with the same note.
    note: Option<String>,
    /// Text printed above the bar, such as its value.
    label: Option<String>,
    colour: RGBColor,
}

/// Placement and sizes of the bars within a category slot, whose width is 1 in data units.
#[derive(Clone, Copy)]
enum BarLayout {
    /// One bar centred in each slot, 70% of the slot wide but at most `MAX_BAR_WIDTH`
    /// pixels, and its label in `VALUE_FONT_SIZE`.
    OnePerSlot,
    /// The series side by side in the middle 80% of each slot, each bar 80% of its share,
    /// and their labels in `NOTE_FONT_SIZE`.
    SideBySide,
}

impl BarLayout {
    /// Returns the position of bar `series` of `category` when each category has
    /// `series_count` bars.
    fn geometry(
        self,
        category: usize,
        series: usize,
        series_count: usize,
        slot_width: u32,
    ) -> BarGeometry {
        match self {
            BarLayout::OnePerSlot => {
                let half_width = (0.35_f64).min(0.5 * MAX_BAR_WIDTH / f64::from(slot_width));
                let centre = category as f64 + 0.5;
                BarGeometry {
                    left: centre - half_width,
                    right: centre + half_width,
                    centre,
                    cap_half_width: 0.4 * half_width,
                }
            }
            BarLayout::SideBySide => {
                let share = 0.8 / series_count as f64;
                let share_left = category as f64 + 0.1 + share * series as f64;
                BarGeometry {
                    left: share_left + 0.1 * share,
                    right: share_left + 0.9 * share,
                    centre: share_left + 0.5 * share,
                    cap_half_width: 0.2 * share,
                }
            }
        }
    }

    fn label_font_size(self) -> f64 {
        match self {
            BarLayout::OnePerSlot => VALUE_FONT_SIZE,
            BarLayout::SideBySide => NOTE_FONT_SIZE,
        }
    }
}

/// Font size and orientation of the category labels under the bars.
struct CategoryLabels {
    texts: Vec<String>,
    size: f64,
    /// Whether the labels are rotated to read from bottom to top because they do not fit
    /// side by side.
    rotated: bool,
    area_height: u32,
}

impl Chart for BarChart<'_> {
    fn size(&self) -> (u32, u32) {
        BAR_CHART_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let body = draw_title(root, self.title)?;

        let slot_count = self.categories.len() as u32;
        let plot_width = body.dim_in_pixel().0 - Y_LABEL_AREA - 2 * CHART_MARGIN;
        let slot_width = plot_width / slot_count;
        let labels = layout_category_labels(&body, &self.categories, slot_width)?;

        let (y_low, y_high) = self.axis_range;
        let y_decimals = tick_decimals(self.axis_range, BAR_CHART_Y_TICKS);
        let format_y = |value: &f64| format_tick(*value, y_decimals);
        let mut chart = ChartBuilder::on(&body)
            .margin(CHART_MARGIN)
            .x_label_area_size(labels.area_height)
            .y_label_area_size(Y_LABEL_AREA)
            .build_cartesian_2d(0.0..f64::from(slot_count), y_low..y_high)?;

        chart
            .configure_mesh()
            .disable_x_mesh()
            // The category labels are drawn by `draw_category_labels`, centred on each slot.
            .x_labels(0)
            .y_labels(BAR_CHART_Y_TICKS)
            .y_label_formatter(&format_y)
            .y_desc(self.y_label)
            .axis_desc_style(text_style(AXIS_DESC_FONT_SIZE))
            .label_style(text_style(TICK_FONT_SIZE))
            .bold_line_style(GRID_COLOUR)
            .light_line_style(TRANSPARENT)
            .draw()?;

        let baseline = 0.0_f64.clamp(y_low, y_high);
        let middle = 0.5 * (y_low + y_high);
        for (category, bars) in self.bars.chunks(self.series_count).enumerate() {
            let notes: BTreeSet<Option<&str>> = bars.iter().map(|bar| bar.note.as_deref()).collect();
            let all_undefined = bars.iter().all(|bar| bar.value.is_none());
            if all_undefined && notes.len() == 1 {
                let note = notes.into_iter().next().flatten().unwrap_or("undefined");
                draw_note(&mut chart, note, (category as f64 + 0.5, middle), slot_width)?;
                continue;
            }

            for (series, bar) in bars.iter().enumerate() {
                let geometry = self.layout.geometry(category, series, self.series_count, slot_width);
                let Some(value) = bar.value else {
                    let style = text_style(NOTE_FONT_SIZE)
                        .color(&NOTE_COLOUR)
                        .transform(FontTransform::Rotate270)
                        .pos(Pos::new(HPos::Left, VPos::Center));
                    let text = Text::new("undefined", (geometry.centre, baseline), style);
                    chart.draw_series(std::iter::once(text))?;
                    continue;
                };
                self.draw_bar(&mut chart, bar, value, &geometry)?;
            }
        }

        for (index, name) in self.legend.iter().enumerate() {
            let colour = series_colour(index);
            chart
                .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
                .label(name.as_str())
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], colour.filled()));
        }
        if !self.legend.is_empty() {
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        draw_category_labels(root, &chart, &labels, y_low)
    }
}

/// Position of one bar in data units.
struct BarGeometry {
    left: f64,
    right: f64,
    centre: f64,
    /// Half the width of the caps at the ends of the CI whisker.
    cap_half_width: f64,
}

impl BarChart<'_> {
    /// Draws one bar, its CI whisker and its label. Parts outside the axis range are
    /// clipped to it, but the label keeps its text.
    fn draw_bar<DB: DrawingBackend>(
        &self,
        chart: &mut PlotChart<'_, DB>,
        bar: &Bar,
        value: f64,
        geometry: &BarGeometry,
    ) -> DrawResult<DB> {
        let (y_low, y_high) = self.axis_range;
        let clip = |y: f64| y.clamp(y_low, y_high);
        let baseline = 0.0_f64.clamp(y_low, y_high);
        let centre = geometry.centre;

        chart.draw_series(std::iter::once(Rectangle::new(
            [(geometry.left, baseline), (geometry.right, clip(value))],
            bar.colour.filled(),
        )))?;

        let mut label_anchor = value.max(baseline);
        if let (Some(lower), Some(upper)) = (bar.lower, bar.upper) {
            let cap = geometry.cap_half_width;
            let whisker_style = BLACK.stroke_width(2);
            let (low, high) = (clip(lower), clip(upper));
            let segments = [
                [(centre, low), (centre, high)],
                [(centre - cap, low), (centre + cap, low)],
                [(centre - cap, high), (centre + cap, high)],
            ];
            chart.draw_series(
                segments
                    .into_iter()
                    .map(|segment| PathElement::new(segment, whisker_style)),
            )?;
            label_anchor = label_anchor.max(upper);
        }

        if let Some(text) = &bar.label {
            let font_size = self.layout.label_font_size();
            let label_style = text_style(font_size).pos(Pos::new(HPos::Center, VPos::Bottom));
            let label = EmptyElement::at((centre, clip(label_anchor)))
                + Text::new(text.clone(), (0, -VALUE_LABEL_OFFSET), label_style);
            chart.draw_series(std::iter::once(label))?;
        }
        Ok(())
    }
}

/// Draws `note` centred at `position`, wrapped at spaces to fit the slot width.
fn draw_note<DB: DrawingBackend>(
    chart: &mut PlotChart<'_, DB>,
    note: &str,
    position: (f64, f64),
    slot_width: u32,
) -> DrawResult<DB> {
    let style = text_style(NOTE_FONT_SIZE)
        .color(&NOTE_COLOUR)
        .pos(Pos::new(HPos::Center, VPos::Center));
    let max_width = slot_width.saturating_sub(CATEGORY_LABEL_GAP);
    let lines = wrap_words(chart.plotting_area(), note, &style, max_width)?;

    let line_height = (NOTE_FONT_SIZE * 1.2).round() as i32;
    let first_offset = -line_height * (lines.len() as i32 - 1) / 2;
    let elements = lines.into_iter().enumerate().map(|(index, line)| {
        let offset = first_offset + line_height * index as i32;
        EmptyElement::at(position) + Text::new(line, (0, offset), style.clone())
    });
    chart.draw_series(elements)?;
    Ok(())
}

/// Splits `text` at spaces into lines no wider than `max_width` pixels. A single word wider
/// than that stays on its own line.
fn wrap_words<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    text: &str,
    style: &TextStyle,
    max_width: u32,
) -> Result<Vec<String>, DrawingAreaErrorKind<DB::ErrorType>> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if current.is_empty() || area.estimate_text_size(&candidate, style)?.0 <= max_width {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    Ok(lines)
}

/// Chooses the largest font size from `TICK_FONT_SIZE` down to `MIN_TICK_FONT_SIZE` at which
/// every label fits its slot side by side. If none fits, the labels are rotated and those
/// longer than `MAX_ROTATED_LABEL_WIDTH` pixels are shortened with an ellipsis.
fn layout_category_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    categories: &[String],
    slot_width: u32,
) -> Result<CategoryLabels, DrawingAreaErrorKind<DB::ErrorType>> {
    let texts = categories.to_vec();
    let max_width = slot_width.saturating_sub(CATEGORY_LABEL_GAP);

    let mut size = TICK_FONT_SIZE;
    while size >= MIN_TICK_FONT_SIZE {
        let style = text_style(size);
        let mut widest = 0;
        let mut tallest = 0;
        for text in &texts {
            let (width, height) = area.estimate_text_size(text, &style)?;
            widest = widest.max(width);
            tallest = tallest.max(height);
        }
        if widest <= max_width {
            return Ok(CategoryLabels {
                texts,
                size,
                rotated: false,
                area_height: tallest + 30,
            });
        }
        size -= 1.0;
    }

    let style = text_style(TICK_FONT_SIZE);
    let mut shortened = Vec::with_capacity(texts.len());
    let mut longest = 0;
    for text in &texts {
        let fitted = shorten_to_width(area, text, &style, MAX_ROTATED_LABEL_WIDTH)?;
        longest = longest.max(area.estimate_text_size(&fitted, &style)?.0);
        shortened.push(fitted);
    }
    Ok(CategoryLabels {
        texts: shortened,
        size: TICK_FONT_SIZE,
        rotated: true,
        area_height: longest + 24,
    })
}

/// Returns `text`, or its longest prefix followed by "…" that fits in `max_width` pixels.
fn shorten_to_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: u32,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    if area.estimate_text_size(text, style)?.0 <= max_width {
        return Ok(text.to_string());
    }

    let characters: Vec<char> = text.chars().collect();
    for length in (1..characters.len()).rev() {
        let candidate: String = characters[..length].iter().chain(['…'].iter()).collect();
        if area.estimate_text_size(&candidate, style)?.0 <= max_width {
            return Ok(candidate);
        }
    }
    Ok("…".to_string())
}

/// Draws each category label under the centre of its slot, on `root` because the labels lie
/// outside the plotting area.
fn draw_category_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &PlotChart<'_, DB>,
    labels: &CategoryLabels,
    y_low: f64,
) -> DrawResult<DB> {
    let style = if labels.rotated {
        text_style(labels.size)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Right, VPos::Center))
    } else {
        text_style(labels.size).pos(Pos::new(HPos::Center, VPos::Top))
    };

    for (index, text) in labels.texts.iter().enumerate() {
        let (x, axis_y) = chart.backend_coord(&(index as f64 + 0.5, y_low));
        root.draw_text(text, &style, (x, axis_y + 12))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// ROC curves

struct RocChart<'a> {
    title: &'a str,
    series: &'a [RocSeries],
}

impl Chart for RocChart<'_> {
    fn size(&self) -> (u32, u32) {
        ROC_CHART_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let body = draw_title(root, self.title)?;

        let mut chart = build_square_chart(&body, (0.0, 1.0))?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_desc("false positive rate")
            .y_desc("true positive rate")
            .axis_desc_style(text_style(AXIS_DESC_FONT_SIZE))
            .label_style(text_style(TICK_FONT_SIZE))
            .bold_line_style(GRID_COLOUR)
            .light_line_style(TRANSPARENT)
            .x_label_formatter(&|rate| format_tick(*rate, 1))
            .y_label_formatter(&|rate| format_tick(*rate, 1))
            .draw()?;

        draw_reference_line(&mut chart, (0.0, 1.0), "chance")?;
        for (index, curve) in self.series.iter().enumerate() {
            let colour = series_colour(index);
            let label = match curve.auc {
                Some(auc) => format!("{} (AUC {auc:.3})", curve.label),
                None => curve.label.clone(),
            };
            let points = curve.fpr.iter().copied().zip(curve.tpr.iter().copied());
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(3)))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(3))
                });
        }

        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

/// Builds a chart whose plotting area is square, with `range` on both axes.
fn build_square_chart<'a, DB: DrawingBackend>(
    body: &'a DrawingArea<DB, Shift>,
    (low, high): (f64, f64),
) -> Result<PlotChart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, height) = body.dim_in_pixel();
    let plot_width = width - Y_LABEL_AREA - 2 * CHART_MARGIN;
    let plot_height = height - X_LABEL_AREA - 2 * CHART_MARGIN;

    let mut builder = ChartBuilder::on(body);
    builder
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA);
    if plot_width >= plot_height {
        let (left, right) = squaring_margins(plot_width, plot_height);
        builder
            .margin_top(CHART_MARGIN)
            .margin_bottom(CHART_MARGIN)
            .margin_left(left)
            .margin_right(right);
    } else {
        let (top, bottom) = squaring_margins(plot_height, plot_width);
        builder
            .margin_left(CHART_MARGIN)
            .margin_right(CHART_MARGIN)
            .margin_top(top)
            .margin_bottom(bottom);
    }
    builder.build_cartesian_2d(low..high, low..high)
}

/// Draws the dashed grey line `y = x` across `range` with a legend entry.
fn draw_reference_line<'a, DB: DrawingBackend + 'a>(
    chart: &mut PlotChart<'a, DB>,
    (low, high): (f64, f64),
    label: &str,
) -> DrawResult<DB> {
    let style = REFERENCE_LINE_COLOUR.stroke_width(2);
    chart
        .draw_series(DashedLineSeries::new(
            [(low, low), (high, high)],
            10,
            7,
            style,
        ))?
        .label(label)
        .legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + PathElement::new([(0, 0), (9, 0)], style)
                + PathElement::new([(15, 0), (24, 0)], style)
        });
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Scatter plot

struct ScatterChart<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: &'a [ScatterSeries],
    /// Range of both axes.
    axis_range: (f64, f64),
}

impl Chart for ScatterChart<'_> {
    fn size(&self) -> (u32, u32) {
        SCATTER_CHART_SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let body = draw_title(root, self.title)?;

        // Equal ranges on a square plot put the identity line at 45 degrees.
        let mut chart = build_square_chart(&body, self.axis_range)?;
        let decimals = tick_decimals(self.axis_range, SCATTER_TICKS);
        let format_axis = |value: &f64| format_tick(*value, decimals);
        chart
            .configure_mesh()
            .x_labels(SCATTER_TICKS)
            .y_labels(SCATTER_TICKS)
            .x_label_formatter(&format_axis)
            .y_label_formatter(&format_axis)
            .x_desc(self.x_label)
            .y_desc(self.y_label)
            .axis_desc_style(text_style(AXIS_DESC_FONT_SIZE))
            .label_style(text_style(TICK_FONT_SIZE))
            .bold_line_style(GRID_COLOUR)
            .light_line_style(TRANSPARENT)
            .draw()?;

        draw_reference_line(&mut chart, self.axis_range, "identity (y = x)")?;
        for (index, points) in self.series.iter().enumerate() {
            let colour = series_colour(index);
            let point_style = colour.mix(0.75).filled();
            let coordinates = points.x.iter().copied().zip(points.y.iter().copied());
            chart
                .draw_series(coordinates.map(|point| Circle::new(point, 4, point_style)))?
                .label(points.label.as_str())
                .legend(move |(x, y)| Circle::new((x + 12, y), 5, colour.filled()));
        }

        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

// ---------------------------------------------------------------------------------------
// Grouped bar chart

/// One bar of [`grouped_bar_chart_with_ci`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupedBar {
    /// Value; `None` draws no bar and marks the slot "undefined" (or `note`).
    pub value: Option<f64>,
    /// Confidence interval bounds: both or neither.
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// Reason for an undefined value. When every bar of a category is undefined with the
    /// same note, the note is printed across the category.
    pub note: Option<String>,
    /// Text printed above the bar, such as an adjusted p-value.
    pub annotation: Option<String>,
}

/// One series of [`grouped_bar_chart_with_ci`]: a bar per category, usually one encoder.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    pub label: String,
    /// One bar per category, in category order.
    pub bars: Vec<GroupedBar>,
}

/// Draws, for each category (such as a subgroup), one bar per series with CI whiskers,
/// and writes `{stem}.png` and `{stem}.svg`, returning both paths.
///
/// Series share a colour across categories and are named in a legend. Annotations are
/// printed above their bars. The y axis follows the same rules as [`bar_chart_with_ci`].
pub fn grouped_bar_chart_with_ci(
    stem: &Path,
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[BarSeries],
    y_range: Option<(f64, f64)>,
) -> Result<Vec<PathBuf>, PlotError> {
    let invalid = |reason: String| PlotError::InvalidInput { chart: stem.to_path_buf(), reason };
    if categories.is_empty() || series.is_empty() {
        return Err(invalid(format!("{} categories and {} series given; a chart needs at least one of each", categories.len(), series.len())));
    }
    let mut flat = Vec::new();
    for line in series {
        if line.bars.len() != categories.len() {
            return Err(invalid(format!("series {:?} has {} bars for {} categories", line.label, line.bars.len(), categories.len())));
        }
        flat.extend(line.bars.iter().map(|bar| BarDatum { label: line.label.clone(), value: bar.value, lower: bar.lower, upper: bar.upper, note: bar.note.clone() }));
    }
    validate_bars(&flat).map_err(invalid)?;
    let headroom = if series.iter().flat_map(|s| &s.bars).any(|b| b.annotation.is_some()) { 2.0 } else { 1.0 };
    let axis_range = bar_axis_range(&flat, y_range, headroom).map_err(invalid)?;

    let bars = (0..categories.len())
        .flat_map(|category| {
            series.iter().enumerate().map(move |(index, line)| {
                let bar = &line.bars[category];
                Bar {
                    value: bar.value,
                    lower: bar.lower,
                    upper: bar.upper,
                    note: bar.note.clone(),
                    label: bar.annotation.clone(),
                    colour: series_colour(index),
                }
            })
        })
        .collect();
    let chart = BarChart {
        title,
        y_label,
        categories: categories.to_vec(),
        series_count: series.len(),
        bars,
        legend: series.iter().map(|line| line.label.clone()).collect(),
        layout: BarLayout::SideBySide,
        axis_range,
    };
    write_chart(stem, &chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    fn read_png(path: &Path) -> RgbImage {
        image::open(path)
            .unwrap_or_else(|error| panic!("failed to decode {}: {error}", path.display()))
            .to_rgb8()
    }

    fn count_pixels(image: &RgbImage, colour: RGBColor) -> usize {
        let RGBColor(red, green, blue) = colour;
        image
            .pixels()
            .filter(|pixel| pixel.0 == [red, green, blue])
            .count()
    }

    fn distinct_colours(image: &RgbImage) -> usize {
        let mut colours: Vec<[u8; 3]> = image.pixels().map(|pixel| pixel.0).collect();
        colours.sort_unstable();
        colours.dedup();
        colours.len()
    }

    fn bar(label: &str, value: f64, lower: f64, upper: f64) -> BarDatum {
        BarDatum {
            label: label.to_string(),
            value: Some(value),
            lower: Some(lower),
            upper: Some(upper),
            note: None,
        }
    }

    fn undefined_bar(label: &str, note: &str) -> BarDatum {
        BarDatum {
            label: label.to_string(),
            value: None,
            lower: None,
            upper: None,
            note: Some(note.to_string()),
        }
    }

    fn roc(label: &str, bend: f64, auc: Option<f64>) -> RocSeries {
        let fpr: Vec<f64> = (0..=20).map(|step| f64::from(step) / 20.0).collect();
        let tpr = fpr.iter().map(|rate| rate.powf(bend)).collect();
        RocSeries {
            label: label.to_string(),
            fpr,
            tpr,
            auc,
        }
    }

    fn scatter(label: &str, offset: f64) -> ScatterSeries {
        let x: Vec<f64> = (0..40).map(|step| 40.0 + f64::from(step)).collect();
        let y = x
            .iter()
            .enumerate()
            .map(|(index, value)| value + offset + if index % 2 == 0 { 3.0 } else { -3.0 })
            .collect();
        ScatterSeries {
            label: label.to_string(),
            x,
            y,
        }
    }

    /// Returns the text contents of the SVG, which plotters writes one per line.
    fn svg_texts(svg: &str) -> Vec<&str> {
        svg.lines().filter(|line| !line.starts_with('<')).collect()
    }

    fn assert_chart_files(paths: &[PathBuf], stem: &Path, size: (u32, u32)) -> String {
        assert_eq!(
            paths,
            [
                path_with_extension(stem, "png"),
                path_with_extension(stem, "svg")
            ]
        );

        let image = read_png(&paths[0]);
        assert_eq!(image.dimensions(), size);
        assert!(
            distinct_colours(&image) > 10,
            "PNG has too few colours to contain a chart"
        );

        let svg = std::fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.starts_with("<svg"), "SVG does not start with <svg");
        let (width, height) = size;
        assert!(svg.contains(&format!("width=\"{width}\"")));
        assert!(svg.contains(&format!("height=\"{height}\"")));
        svg
    }

    #[test]
    fn grouped_bar_chart_writes_annotations_and_notes() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("groups");
        let categories = ["F", "M", "rare"].map(String::from);
        let bar = |value: Option<f64>, note: Option<&str>, annotation: Option<&str>| GroupedBar {
            value,
            lower: value.map(|v| v - 0.05),
            upper: value.map(|v| v + 0.05),
            note: note.map(str::to_string),
            annotation: annotation.map(str::to_string),
        };
        let series = [
            BarSeries { label: "vit".into(), bars: vec![bar(Some(0.8), None, Some("p=0.020*")), bar(None, Some("one class"), None), bar(None, Some("empty bucket"), None)] },
            BarSeries { label: "pixels".into(), bars: vec![bar(Some(0.6), None, None), bar(Some(0.7), None, None), bar(None, Some("empty bucket"), None)] },
        ];
        let paths = grouped_bar_chart_with_ci(&stem, "groups", "AUROC", &categories, &series, Some((0.0, 1.0))).unwrap();
        let svg = assert_chart_files(&paths, &stem, BAR_CHART_SIZE);
        let texts = svg_texts(&svg);
        for expected in ["p=0.020*", "empty bucket", "undefined", "vit", "pixels", "rare"] {
            assert!(texts.iter().any(|t| t.contains(expected)), "{expected} missing from {texts:?}");
        }
        let image = read_png(&paths[0]);
        assert!(count_pixels(&image, series_colour(0)) > 100);
        assert!(count_pixels(&image, series_colour(1)) > 100);
    }

    #[test]
    fn grouped_bar_chart_rejects_ragged_series() {
        let folder = tempfile::tempdir().unwrap();
        let series = [BarSeries { label: "vit".into(), bars: vec![GroupedBar::default()] }];
        let error = grouped_bar_chart_with_ci(&folder.path().join("x"), "x", "y", &["a".to_string(), "b".to_string()], &series, None).unwrap_err();
        assert!(error.to_string().contains("1 bars for 2 categories"), "{error}");
    }

    #[test]
    fn bar_chart_writes_png_and_svg() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("auroc");
        let bars = [
            bar("rad-dino", 0.81, 0.78, 0.84),
            bar("biomedclip", 0.74, 0.70, 0.78),
            bar("dinov2-base", 0.69, 0.64, 0.73),
        ];

        let paths = bar_chart_with_ci(
            &stem,
            "AUROC, pleural effusion",
            "AUROC",
            &bars,
            Some((0.0, 1.0)),
        )
        .unwrap();

        let svg = assert_chart_files(&paths, &stem, BAR_CHART_SIZE);
        assert!(svg.contains("AUROC, pleural effusion"));
        for label in ["rad-dino", "biomedclip", "dinov2-base"] {
            assert!(svg.contains(label), "SVG lacks the label {label}");
        }
        for value in ["0.810", "0.740", "0.690"] {
            assert!(svg.contains(value), "SVG lacks the value label {value}");
        }
    }

    #[test]
    fn bar_chart_higher_value_taller() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("heights");
        let bars = [bar("low", 0.3, 0.25, 0.35), bar("high", 0.9, 0.85, 0.95)];

        let paths = bar_chart_with_ci(&stem, "heights", "score", &bars, Some((0.0, 1.0))).unwrap();

        // Both bars have the same width, so their pixel counts scale with their heights.
        let image = read_png(&paths[0]);
        let low_pixels = count_pixels(&image, series_colour(0));
        let high_pixels = count_pixels(&image, series_colour(1));
        assert!(low_pixels > 0, "the low bar is missing");
        let ratio = high_pixels as f64 / low_pixels as f64;
        assert!(
            (2.5..3.5).contains(&ratio),
            "bar area ratio {ratio} differs from the value ratio 3"
        );
    }

    #[test]
    fn bar_chart_undefined_value_shows_note() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("auprc");
        let bars = [
            bar("rad-dino", 0.52, 0.41, 0.60),
            undefined_bar("biomedclip", "undefined: one class"),
            BarDatum {
                label: "chexagent".to_string(),
                value: None,
                lower: None,
                upper: None,
                note: None,
            },
        ];

        let paths = bar_chart_with_ci(&stem, "AUPRC", "AUPRC", &bars, None).unwrap();

        let svg = assert_chart_files(&paths, &stem, BAR_CHART_SIZE);
        let texts = svg_texts(&svg);
        assert!(texts.contains(&"undefined: one class"), "{texts:?}");
        assert!(
            texts.contains(&"undefined"),
            "default note missing: {texts:?}"
        );
        let image = read_png(&paths[0]);
        assert!(count_pixels(&image, series_colour(0)) > 0);
        assert_eq!(count_pixels(&image, series_colour(1)), 0);
    }

    #[test]
    fn bar_chart_all_undefined_draws() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("empty_metric");
        let bars = [undefined_bar("a", "undefined: one class")];

        let paths = bar_chart_with_ci(&stem, "nothing defined", "AUROC", &bars, None).unwrap();

        let svg = assert_chart_files(&paths, &stem, BAR_CHART_SIZE);
        assert!(svg.contains("undefined: one class"));
    }

    #[test]
    fn bar_chart_negative_values_draw() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("r2");
        let bars = [bar("a", -0.2, -0.35, -0.05), bar("b", 0.4, 0.3, 0.5)];

        let paths = bar_chart_with_ci(&stem, "R²", "R²", &bars, None).unwrap();

        let svg = assert_chart_files(&paths, &stem, BAR_CHART_SIZE);
        assert!(svg.contains("-0.200"));
    }

    #[test]
    fn bar_chart_many_long_labels_rotate() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("many");
        let bars: Vec<BarDatum> = (0..10)
            .map(|index| bar(&format!("encoder-with-a-long-name-{index}"), 0.5, 0.4, 0.6))
            .collect();

        let paths =
            bar_chart_with_ci(&stem, "many encoders", "AUROC", &bars, Some((0.0, 1.0))).unwrap();

        let svg = assert_chart_files(&paths, &stem, BAR_CHART_SIZE);
        assert!(svg.contains("rotate(270"), "long labels were not rotated");
    }

    #[test]
    fn bar_chart_empty_list_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("none");

        let error = bar_chart_with_ci(&stem, "t", "y", &[], None).unwrap_err();

        let message = error.to_string();
        assert!(message.contains("no bars given"), "{message}");
        assert!(message.contains(&stem.display().to_string()), "{message}");
        assert!(!path_with_extension(&stem, "png").exists());
    }

    #[test]
    fn bar_chart_one_sided_ci_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("one_sided");
        let mut one_sided = bar("a", 0.5, 0.4, 0.6);
        one_sided.upper = None;

        let error = bar_chart_with_ci(&stem, "t", "y", &[one_sided], None).unwrap_err();

        assert!(error.to_string().contains("only one CI bound"), "{error}");
    }

    #[test]
    fn bar_chart_invalid_range_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("range");

        let error = bar_chart_with_ci(
            &stem,
            "t",
            "y",
            &[bar("a", 0.5, 0.4, 0.6)],
            Some((1.0, 0.0)),
        )
        .unwrap_err();

        assert!(
            error.to_string().contains("invalid y range (1, 0)"),
            "{error}"
        );
    }

    #[test]
    fn data_y_range_cases() {
        let close_values = [bar("a", 0.80, 0.78, 0.82), bar("b", 0.85, 0.83, 0.87)];
        let (low, high) = data_y_range(&close_values);
        assert!(low > 0.7, "low {low} is far under the lowest bound 0.78");
        assert!(low < 0.78, "low {low} cuts off the lowest bound 0.78");
        assert!(high > 0.87, "high {high} cuts off the highest bound 0.87");
        assert!(high < 0.9, "high {high} is far over the highest bound 0.87");

        let spread_values = [bar("a", 0.2, 0.1, 0.3), bar("b", 0.9, 0.8, 0.95)];
        let (low, high) = data_y_range(&spread_values);
        assert_eq!(low, 0.0);
        assert!(high > 0.95);

        // Values spread over more than a fifth of their distance from zero keep zero.
        let moderate_spread = [bar("a", 6.2, 5.9, 6.5), bar("b", 7.4, 7.0, 7.9)];
        assert_eq!(data_y_range(&moderate_spread).0, 0.0);

        let across_zero = [bar("a", -0.2, -0.3, -0.1), bar("b", 0.4, 0.3, 0.5)];
        let (low, high) = data_y_range(&across_zero);
        assert!(low < -0.3, "low {low} cuts off the lowest bound -0.3");
        assert!(high > 0.5, "high {high} cuts off the highest bound 0.5");

        let all_negative = [bar("a", -10.0, -11.0, -9.0), bar("b", -2.0, -3.0, -1.0)];
        let (low, high) = data_y_range(&all_negative);
        assert!(low < -11.0);
        assert_eq!(high, 0.0);

        let single_value = [BarDatum {
            label: "a".to_string(),
            value: Some(0.5),
            lower: None,
            upper: None,
            note: None,
        }];
        assert_eq!(data_y_range(&single_value), (0.0, 0.5));

        let undefined_only = [undefined_bar("a", "undefined: one class")];
        assert_eq!(data_y_range(&undefined_only), (0.0, 1.0));
    }

    #[test]
    fn tick_decimals_cases() {
        assert_eq!(tick_decimals((0.0, 100.0), 8), 0);
        assert_eq!(tick_decimals((0.0, 1.1), 8), 1);
        assert_eq!(tick_decimals((0.78, 0.88), 8), 2);
        assert_eq!(format_tick(-0.0, 1), "0.0");
    }

    #[test]
    fn roc_curves_writes_png_and_svg() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("roc");
        let series = [
            roc("rad-dino", 0.3, Some(0.812)),
            roc("biomedclip", 0.6, Some(0.7)),
            roc("no-auc", 0.9, None),
        ];

        let paths = roc_curves(&stem, "ROC, pleural effusion", &series).unwrap();

        let svg = assert_chart_files(&paths, &stem, ROC_CHART_SIZE);
        assert!(svg.contains("ROC, pleural effusion"));
        assert!(svg.contains("rad-dino (AUC 0.812)"));
        assert!(svg.contains("biomedclip (AUC 0.700)"));
        assert!(svg_texts(&svg).contains(&"no-auc"));
        assert!(svg.contains("false positive rate"));
        assert!(svg.contains("true positive rate"));
        let image = read_png(&paths[0]);
        for index in 0..series.len() {
            assert!(
                count_pixels(&image, series_colour(index)) > 100,
                "curve {index} is missing"
            );
        }
    }

    #[test]
    fn roc_curves_empty_list_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("roc");

        let error = roc_curves(&stem, "ROC", &[]).unwrap_err();

        assert!(error.to_string().contains("no ROC series given"), "{error}");
    }

    #[test]
    fn roc_curves_length_mismatch_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("roc");
        let mut curve = roc("rad-dino", 0.5, None);
        curve.tpr.pop();

        let error = roc_curves(&stem, "ROC", &[curve]).unwrap_err();

        assert!(
            error
                .to_string()
                .contains("has 21 false positive rates but 20 true positive rates"),
            "{error}"
        );
    }

    #[test]
    fn roc_curves_rate_outside_unit_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("roc");
        let mut curve = roc("rad-dino", 0.5, None);
        curve.tpr[3] = 1.5;

        let error = roc_curves(&stem, "ROC", &[curve]).unwrap_err();

        assert!(
            error.to_string().contains("rate 1.5, outside [0, 1]"),
            "{error}"
        );
    }

    #[test]
    fn scatter_writes_png_and_svg() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("age");
        let series = [scatter("rad-dino", 0.0), scatter("biomedclip", 5.0)];

        let paths = scatter_with_identity(
            &stem,
            "Patient age",
            "true age (years)",
            "predicted age (years)",
            &series,
        )
        .unwrap();

        let svg = assert_chart_files(&paths, &stem, SCATTER_CHART_SIZE);
        for text in [
            "Patient age",
            "true age (years)",
            "predicted age (years)",
            "rad-dino",
            "biomedclip",
            "identity (y = x)",
        ] {
            assert!(svg.contains(text), "SVG lacks {text:?}");
        }
    }

    #[test]
    fn scatter_empty_list_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("age");

        let error = scatter_with_identity(&stem, "t", "x", "y", &[]).unwrap_err();

        assert!(
            error.to_string().contains("no scatter series given"),
            "{error}"
        );
    }

    #[test]
    fn scatter_without_points_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("age");
        let empty = ScatterSeries {
            label: "a".to_string(),
            x: Vec::new(),
            y: Vec::new(),
        };

        let error = scatter_with_identity(&stem, "t", "x", "y", &[empty]).unwrap_err();

        assert!(error.to_string().contains("contain no points"), "{error}");
    }

    #[test]
    fn scatter_non_finite_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("age");
        let mut points = scatter("a", 0.0);
        points.y[2] = f64::NAN;

        let error = scatter_with_identity(&stem, "t", "x", "y", &[points]).unwrap_err();

        assert!(
            error.to_string().contains("non-finite value NaN"),
            "{error}"
        );
    }

    #[test]
    fn scatter_single_point_draws() {
        let folder = tempfile::tempdir().unwrap();
        let stem = folder.path().join("one");
        let point = ScatterSeries {
            label: "a".to_string(),
            x: vec![3.0],
            y: vec![3.0],
        };

        let paths = scatter_with_identity(&stem, "one point", "x", "y", &[point]).unwrap();

        assert_chart_files(&paths, &stem, SCATTER_CHART_SIZE);
    }

    #[test]
    fn stem_with_dots_keeps_name() {
        let stem = Path::new("reports/auroc.v2");

        assert_eq!(
            path_with_extension(stem, "png"),
            Path::new("reports/auroc.v2.png")
        );
    }
}
