//! `portcullis policy …`: the policy engine for CI pipelines that test policies as code.

use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Subcommand, ValueEnum};
use policy::lint::{lint, Severity};
use policy::simulate::simulate;
use policy::templates::{template, templates};
use policy::PolicyKind;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Validate and lint policy files; exits 1 when a finding reaches --fail-on.
    Lint {
        /// Policy files (JSON); `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// What kind of policy the files are (decides size limits and Principal rules).
        #[arg(long, value_enum, default_value_t = KindArg::Managed)]
        kind: KindArg,
        /// The lowest severity that makes the command fail.
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
        /// Print findings as JSON lines instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate a request against policies and print the decision as JSON.
    Simulate {
        /// A case file (JSON); `-` reads one case per line from standard input and
        /// answers one line each.
        #[arg(long)]
        input: PathBuf,
        /// Do not fill aws:CurrentTime and aws:EpochTime from the clock.
        #[arg(long)]
        no_clock: bool,
    },
    /// List the templates, or print one.
    Templates {
        /// A template name such as ReadOnlyAccess.
        name: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    Managed,
    InlineUser,
    InlineGroup,
    InlineRole,
    Boundary,
    Session,
    Resource,
    Trust,
}

impl From<KindArg> for PolicyKind {
    fn from(kind: KindArg) -> PolicyKind {
        match kind {
            KindArg::Managed => PolicyKind::Managed,
            KindArg::InlineUser => PolicyKind::InlineUser,
            KindArg::InlineGroup => PolicyKind::InlineGroup,
            KindArg::InlineRole => PolicyKind::InlineRole,
            KindArg::Boundary => PolicyKind::Boundary,
            KindArg::Session => PolicyKind::Session,
            KindArg::Resource => PolicyKind::Resource,
            KindArg::Trust => PolicyKind::Trust,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FailOn {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
}

impl FailOn {
    fn reached_by(self, severity: Severity) -> bool {
        let limit = match self {
            FailOn::Error => Severity::Error,
            FailOn::SecurityWarning => Severity::SecurityWarning,
            FailOn::Warning => Severity::Warning,
            FailOn::Suggestion => Severity::Suggestion,
        };
        severity <= limit
    }
}

pub fn run(command: PolicyCommand) -> ExitCode {
    match command {
        PolicyCommand::Lint {
            files,
            kind,
            fail_on,
            json,
        } => lint_files(&files, kind.into(), fail_on, json),
        PolicyCommand::Simulate { input, no_clock } => {
            let now = (!no_clock).then(now_millis);
            if input.as_os_str() == "-" {
                simulate_stream(now)
            } else {
                simulate_file(&input, now)
            }
        }
        PolicyCommand::Templates { name } => print_templates(name.as_deref()),
    }
}

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn read_input(path: &PathBuf) -> io::Result<String> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}

fn lint_files(files: &[PathBuf], kind: PolicyKind, fail_on: FailOn, json: bool) -> ExitCode {
    let mut failed = false;
    let mut out = io::stdout().lock();
    for file in files {
        let name = file.display().to_string();
        let text = match read_input(file) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                failed = true;
                continue;
            }
        };
        for finding in lint(&text, kind) {
            failed |= fail_on.reached_by(finding.severity);
            let line = if json {
                serde_json::json!({
                    "file": name,
                    "severity": finding.severity.as_str(),
                    "code": finding.code,
                    "message": finding.message,
                    "pointer": finding.location.pointer,
                    "line": finding.location.line,
                    "column": finding.location.column,
                })
                .to_string()
            } else {
                format!("{name}:{finding}")
            };
            if writeln!(out, "{line}").is_err() {
                return ExitCode::from(2);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn simulate_file(path: &PathBuf, now: Option<i64>) -> ExitCode {
    let text = match read_input(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return ExitCode::from(2);
        }
    };
    match simulate(&text, now) {
        Ok(answer) => {
            println!("{answer}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", path.display());
            ExitCode::from(2)
        }
    }
}

/// One case per line in, one answer per line out, flushed as it goes so a pipeline can
/// drive it interactively; a bad case answers `{"error": …}` and the exit code is 2.
fn simulate_stream(now: Option<i64>) -> ExitCode {
    let mut any_error = false;
    let stdin = io::stdin();
    let mut out = io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else {
            eprintln!("standard input is not UTF-8 text");
            return ExitCode::from(2);
        };
        if line.trim().is_empty() {
            continue;
        }
        let answer = match simulate(&line, now) {
            Ok(answer) => answer,
            Err(e) => {
                any_error = true;
                serde_json::json!({ "error": e.to_string() })
            }
        };
        if writeln!(out, "{answer}").and_then(|_| out.flush()).is_err() {
            return ExitCode::from(2);
        }
    }
    if any_error {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_templates(name: Option<&str>) -> ExitCode {
    match name {
        None => {
            for t in templates() {
                println!("{:<20} {}", t.name, t.description);
            }
            ExitCode::SUCCESS
        }
        Some(name) => match template(name) {
            Some(t) => {
                println!("{}", t.document);
                ExitCode::SUCCESS
            }
            None => {
                let names: Vec<&str> = templates().iter().map(|t| t.name).collect();
                eprintln!("no template named {name}; templates: {}", names.join(", "));
                ExitCode::from(2)
            }
        },
    }
}
