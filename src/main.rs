//! `sim`: parse the command line, call the library, print the error, return an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sim::cli::Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    match sim::cli::execute(cli, &mut stdout.lock(), &mut stderr.lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            for line in error.to_string().lines() {
                eprintln!("error: {line}");
            }
            ExitCode::from(error.exit_code())
        }
    }
}
