//! The backend-independent description of a chart: a figure of stacked panels sharing a time
//! (or other) x axis, their series, reference lines and legend, and the colours they use.

use plotters::prelude::*;

use super::*;

/// Everything needed to draw one chart, with no reference to a backend.
pub(super) struct Figure {
    pub(super) size: (u32, u32),
    pub(super) title: String,
    /// The x axis, shared by all panels.
    pub(super) x: Axis,
    pub(super) x_desc: &'static str,
    /// Timeline marks inside the x range, sorted by time.
    pub(super) events: Vec<EventMark>,
    /// Panels from top to bottom; only the last shows the time axis labels. A panel's label
    /// sits in a strip above its plot, where it never covers data.
    pub(super) panels: Vec<Panel>,
    pub(super) legend: Vec<LegendEntry>,
}

impl Figure {
    /// Escapes every text a user may have typed (title, event labels, panel labels, legend) with
    /// [`crate::text::escape`]: plotters' SVG backend escapes `<`, `&` and quotes but passes
    /// control characters through, which no XML parser accepts.
    pub(super) fn escape_text(&mut self) {
        fn fix(s: &mut String) {
            if let std::borrow::Cow::Owned(escaped) = crate::text::escape(s) {
                *s = escaped;
            }
        }
        fix(&mut self.title);
        self.events.iter_mut().for_each(|mark| fix(&mut mark.label));
        for panel in &mut self.panels {
            if let Some((label, _)) = &mut panel.label {
                fix(label);
            }
        }
        self.legend
            .iter_mut()
            .for_each(|entry| fix(&mut entry.text));
    }
}

pub(super) struct Panel {
    pub(super) y_desc: &'static str,
    /// A name drawn above the plot, in its colour (small multiples).
    pub(super) label: Option<(String, RGBColor)>,
    /// The strategy whose lines the panel shows (small multiples), which decides the timeline
    /// marks drawn on it; `None` for a panel of every strategy's lines, which shows them all.
    pub(super) strategy: Option<usize>,
    pub(super) y: Axis,
    /// Relative height.
    pub(super) weight: f64,
    /// Whether the values are whole numbers (ticks then never fall between integers).
    pub(super) integer: bool,
    /// Horizontal dashed reference lines, drawn under the data.
    pub(super) refs: Vec<(f64, RGBColor)>,
    pub(super) series: Vec<Series>,
    /// What the plot says when it has no line to draw.
    pub(super) empty_text: &'static str,
}

impl Panel {
    /// The one panel of an overlaid chart: every strategy's line on axis `y`, unlabelled.
    pub(super) fn overlaid(y_desc: &'static str, y: Axis, series: Vec<Series>) -> Self {
        Panel {
            y_desc,
            label: None,
            strategy: None,
            y,
            weight: 1.0,
            integer: false,
            refs: Vec::new(),
            series,
            empty_text: NO_DATA,
        }
    }

    /// How many y ticks to ask for: fewer on a short small-multiples panel (a log axis keeps a
    /// label per decade), and fewer for small
    /// whole-number axes, so steps stay whole.
    pub(super) fn y_labels(&self) -> usize {
        let most = if self.label.is_some() && self.y.scale == Scale::Linear {
            SMALL_MULTIPLE_Y_LABELS
        } else {
            Y_LABELS
        };
        if self.integer && self.y.scale == Scale::Linear && self.y.hi < most as f64 {
            (self.y.hi.floor() as usize + 1).max(2)
        } else {
            most
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.segments.is_empty())
    }
}

/// What an empty plot says, unless its panel says otherwise.
pub(super) const NO_DATA: &str = "no data";

pub(super) struct Series {
    pub(super) color: RGBColor,
    /// Unbroken runs of points; a gap in the data starts a new segment.
    pub(super) segments: Vec<Vec<(f64, f64)>>,
    /// Whether the points of a segment are joined by a line.
    pub(super) line: bool,
    /// Whether that line is dashed (to tell apart two series that share a colour).
    pub(super) dashed: bool,
    /// Whether that line is dotted instead, a third look for a colour that already has a solid
    /// and a dashed line (takes precedence over `dashed`).
    pub(super) dotted: bool,
    /// Width of that line, px: [`LINE_WIDTH`], [`THIN_LINE_WIDTH`] for a backdrop, or
    /// [`WIDE_LINE_WIDTH`] over a line of the same colour.
    pub(super) width: u32,
    /// Radius of the filled circle drawn at every point, if any.
    pub(super) marker: Option<i32>,
    /// A shaded band around the line (from the lowest to the highest replication of a mean):
    /// unbroken runs of (x, low, high), drawn translucent in the line's colour under every
    /// line of the panel. Empty for a line of one run.
    pub(super) band: Vec<Vec<(f64, f64, f64)>>,
}

impl Series {
    /// A plain line, no markers.
    pub(super) fn line(color: RGBColor, segments: Vec<Vec<(f64, f64)>>) -> Series {
        Series {
            color,
            segments,
            line: true,
            dashed: false,
            dotted: false,
            width: LINE_WIDTH,
            marker: None,
            band: Vec::new(),
        }
    }
}

/// Opacity of a shaded band around a line (a range of replications, a confidence interval).
pub(super) const BAND_ALPHA: f64 = 0.16;

/// Width of a data line, px.
pub(super) const LINE_WIDTH: u32 = 2;

/// Width of a thin line drawn behind the data (arrivals behind goodput), px.
pub(super) const THIN_LINE_WIDTH: u32 = 1;

/// Width of a wide dashed line drawn over a line of its own colour (a node's failed reads over
/// its reads), px: where the two meet, its dashes show as beads on the narrower line.
pub(super) const WIDE_LINE_WIDTH: u32 = 5;

/// What a legend entry shows before its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sample {
    Line,
    Dashed,
    /// A dotted line.
    Dotted,
    /// A line of [`THIN_LINE_WIDTH`].
    ThinLine,
    /// A dashed line of [`WIDE_LINE_WIDTH`].
    WideDashed,
    /// A dotted line of [`WIDE_LINE_WIDTH`].
    WideDotted,
    Marker,
    LineMarker,
    /// A shaded swatch (a confidence band), the entry's colour at the band's opacity.
    Band,
    /// No sample: a note under the entries, aligned with their text.
    Note,
}

#[derive(Clone)]
pub(super) struct LegendEntry {
    pub(super) text: String,
    pub(super) color: RGBColor,
    pub(super) sample: Sample,
    /// A secondary entry (smaller, indented), e.g. a strategy's own capacity.
    pub(super) minor: bool,
    /// The strategy the entry names, if it names one (to note a line that coincides with
    /// another's).
    pub(super) strategy: Option<usize>,
}

impl LegendEntry {
    pub(super) fn new(text: String, color: RGBColor, sample: Sample) -> LegendEntry {
        LegendEntry {
            text,
            color,
            sample,
            minor: false,
            strategy: None,
        }
    }

    /// A note under the entries, aligned with their text (no sample).
    pub(super) fn note(text: &str) -> LegendEntry {
        LegendEntry {
            text: text.to_owned(),
            color: NEUTRAL_COLOR,
            sample: Sample::Note,
            minor: true,
            strategy: None,
        }
    }
}

/// Colour-blind-friendly palette (Okabe–Ito, yellow replaced by olive for contrast on white).
pub(super) const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
    RGBColor(153, 136, 34),
];

pub(super) fn strategy_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// A paler shade of `color` (mixed with white), for a line drawn beside one of its colour
/// (a strategy's database demand beside its throughput).
pub(super) fn paler(color: RGBColor) -> RGBColor {
    let mix = |c: u8| c + ((255 - c) as f64 * PALE_MIX).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}

/// How much white [`paler`] mixes in.
const PALE_MIX: f64 = 0.45;

pub(super) const EVENT_COLOR: RGBColor = RGBColor(130, 130, 130);
pub(super) const NEUTRAL_COLOR: RGBColor = RGBColor(110, 110, 110);
pub(super) const CAPACITY_COLOR: RGBColor = RGBColor(90, 90, 90);
/// The thin line of requests arrived, behind goodput and throughput.
pub(super) const ARRIVALS_COLOR: RGBColor = RGBColor(150, 150, 150);
pub(super) const TEXT_COLOR: RGBColor = RGBColor(20, 20, 20);
