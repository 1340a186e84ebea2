use clap::Parser;

fn main() {
    let cli = cachestorm::cli::Cli::parse();
    if let Err(e) = cachestorm::commands::execute(cli) {
        cachestorm::console::error(&format!("{e:#}"));
        std::process::exit(e.exit_code());
    }
}
