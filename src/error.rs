//! Errors the user can cause and fix: a bad scenario, a bad flag, a file that cannot be read or
//! written. Bugs are not errors: they panic with an `expect` that says which invariant broke.

use std::fmt;
use std::path::PathBuf;

/// One problem in a scenario file, located for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// TOML key path (`load_balancers.provider-nlb.subnets[1]`).
    pub key_path: String,
    /// The offending value, as TOML, when there is one.
    pub value: Option<String>,
    /// What is wrong and the rule it breaks.
    pub message: String,
    /// The variant in which the problem appears, when it comes from a variant's overrides or
    /// only appears once they are applied.
    pub variant: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.key_path.is_empty() {
            f.write_str(&self.key_path)?;
            if let Some(value) = &self.value {
                write!(f, " = {value}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)?;
        if let Some(variant) = &self.variant {
            write!(f, " (in variant \"{variant}\")")?;
        }
        Ok(())
    }
}

/// Everything `sim` reports to the user as a failure.
#[derive(Debug)]
pub enum Error {
    /// A file could not be read.
    Read {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file could not be written.
    Write {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The scenario is malformed or inconsistent; every problem found is listed.
    Scenario(Vec<ScenarioError>),
    /// A command-line value is unusable (names the flag).
    Usage(String),
    /// `sim test`: expectations did not hold (each named, with what was observed).
    Expectations(String),
}

impl Error {
    /// Exit status for this error: 2 for bad input (a scenario that cannot be read or is wrong,
    /// a bad flag), 1 when output cannot be written, 3 when `sim test` found an expectation that
    /// does not hold.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Scenario(_) | Error::Usage(_) | Error::Read { .. } => 2,
            Error::Write { .. } => 1,
            Error::Expectations(_) => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Error::Write { path, source } => write!(f, "cannot write {}: {source}", path.display()),
            Error::Scenario(errors) => {
                for (i, error) in errors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{error}")?;
                }
                if errors.len() > 1 {
                    write!(f, "\n{} problems in the scenario", errors.len())?;
                }
                Ok(())
            }
            Error::Usage(message) | Error::Expectations(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}
