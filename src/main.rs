//! `sim`: parse the command line, call the library, print the error, return an exit code.
//!
//! Exit codes: 0 done; 2 the input's fault (a bad flag or scenario), even when its message cannot
//! be printed; 1 only output failed (stdout or stderr unwritable, a plot not written), including
//! `--help` and `--version` whose text could not be written. Nothing here panics on a full disk
//! or a closed pipe.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match sim::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return clap_exit(&error),
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    match sim::cli::execute(cli, &mut stdout, &mut stderr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let mut text = String::new();
            for line in error.to_string().lines() {
                text.push_str("error: ");
                text.push_str(&sim::output::terminal::escape_controls(line));
                text.push('\n');
            }
            // Best effort: the exit code carries the verdict if stderr is gone too.
            let _ = stderr
                .write_all(text.as_bytes())
                .and_then(|()| stderr.flush());
            ExitCode::from(error.exit_code())
        }
    }
}

/// What clap has to say instead of a command line: help or version on stdout (0, or 1 if it
/// cannot be written), or a usage error on stderr (2 whether or not it can be written).
fn clap_exit(error: &clap::Error) -> ExitCode {
    let printed = error.print().and_then(|()| {
        std::io::stdout().flush()?;
        std::io::stderr().flush()
    });
    if error.use_stderr() {
        ExitCode::from(2)
    } else if printed.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
