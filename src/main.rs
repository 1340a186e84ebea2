use clap::Parser;

fn main() {
    let cli = match cachestorm::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help, --version and usage errors: clap prints them; a failing stdout is exit 1.
        Err(e) => {
            let code = e.exit_code();
            if e.print().is_err() || std::io::Write::flush(&mut std::io::stdout()).is_err() {
                std::process::exit(1);
            }
            std::process::exit(code);
        }
    };
    if let Err(e) = cachestorm::commands::execute(cli) {
        cachestorm::console::error(&format!("{e:#}"));
        std::process::exit(e.exit_code());
    }
}
