//! placeholder
use crate::experiment::ScenarioResult;
use crate::report::ImageFormat;
pub struct Chart {
    pub file_stem: &'static str,
    pub bytes: Vec<u8>,
}
#[derive(Debug, thiserror::Error)]
#[error("chart")]
pub struct ChartError;
pub fn render_all(_r: &ScenarioResult, _f: ImageFormat) -> Result<Vec<Chart>, ChartError> {
    Ok(vec![])
}
