//! The image format of the charts, a leaf of its own: the result types of the workflows
//! (a phase map) name it without importing the rest of the reports.

/// Image format of the charts.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
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
