//! `run.toml`: which run wrote an output folder (cachestorm version, scenario file and its
//! SHA-256, seed, format, strategies, files), so a folder can be traced back to its inputs.
//!
//! It holds no timestamp, host or process id: two runs of the same inputs give the same bytes.

use serde::Serialize;

use super::ImageFormat;

/// What `run.toml` records.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    /// Version of cachestorm that wrote the folder.
    pub cachestorm_version: &'a str,
    /// Scenario name (also the folder's name).
    pub scenario: &'a str,
    /// The scenario file as given on the command line.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes, in lowercase hex.
    pub scenario_sha256: &'a str,
    /// Seed the run used (the file's, or `--seed`).
    pub seed: u64,
    /// Image format of the charts.
    pub format: ImageFormat,
    /// Strategies simulated, in file order.
    pub strategies: Vec<&'a str>,
    /// The other files of the folder, in the order they were produced.
    pub files: Vec<&'a str>,
}

/// The bytes of `run.toml`.
pub fn run_toml(m: &Manifest) -> Vec<u8> {
    let body = toml::to_string(m).expect("a manifest of strings and integers always serializes");
    format!("# The run that wrote this folder (cachestorm run or fanout).\n{body}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_the_inputs_and_parses_back_even_with_odd_names() {
        let m = Manifest {
            cachestorm_version: "0.1.0",
            scenario: "avalanche",
            scenario_file: "scenarios/avalanche.toml".into(),
            scenario_sha256: "ab12",
            seed: 7,
            format: ImageFormat::Svg,
            strategies: vec!["fixed-ttl", "quote\" and \u{1b} escape"],
            files: vec!["timeseries.csv", "summary.csv"],
        };
        let text = String::from_utf8(run_toml(&m)).unwrap();
        assert!(!text.contains('\u{1b}'), "{text}");
        let back: toml::Table = text.parse().unwrap();
        assert_eq!(back["seed"].as_integer(), Some(7));
        assert_eq!(back["format"].as_str(), Some("svg"));
        assert_eq!(back["scenario_sha256"].as_str(), Some("ab12"));
        assert_eq!(
            back["strategies"].as_array().unwrap()[1].as_str(),
            Some("quote\" and \u{1b} escape")
        );
        assert_eq!(run_toml(&m), run_toml(&m), "no time or pid in it");
    }
}
