//! Command-line arguments (clap derive types only).
