//! Turns results into bytes (CSV, charts, the terminal table) and writes them atomically.
//!
//! Everything here reads [`crate::experiment::ScenarioResult`] and never reaches back into the
//! model. Producing bytes and writing files are separate steps, so outputs can be tested without
//! touching the disk and a failure never leaves a half-written file.

pub mod charts;
pub mod csv;
pub mod fanout;
pub mod table;
pub mod write;

/// Image format of the charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageFormat {
    /// PNG raster images.
    Png,
    /// SVG vector images.
    Svg,
}

impl ImageFormat {
    /// File extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Svg => "svg",
        }
    }
}
