//! What several test suites share: rendering an estate through the library's one entry point
//! with the audit gate off, so a test judges the emitters and nothing else stops them; and running
//! the built binary on a fixed day, with its streams and exit code.

#![allow(
    dead_code,
    clippy::expect_used,
    reason = "each test suite uses a part of this; a fixed date that parses"
)]

use aks_harden::emit::Options as EmitOptions;
use aks_harden::posture::Date;
use aks_harden::{Error, Estate, Files, Format, Gate, Options, generate};
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

/// The day tests judge waivers on; the gate is off, so it decides nothing here.
pub fn today() -> Date {
    Date::parse("2026-01-15").expect("a date")
}

/// Render `formats` of `estate` without the audit gate.
pub fn render(estate: &Estate, formats: &[Format]) -> Result<Files, Error> {
    render_with(estate, formats, EmitOptions::default())
}

/// [`render`] with emitter options (the Terraform flavour).
pub fn render_with(
    estate: &Estate,
    formats: &[Format],
    options: EmitOptions,
) -> Result<Files, Error> {
    let options = Options::new(today())
        .formats(formats)
        .terraform_provider(options.terraform_provider)
        .gate(Gate::Off);
    generate(estate, &options).map(|g| g.files)
}

/// Every format of `estate` through the audit gate, as `gen` renders it; panics with the refusal
/// when the estate does not pass.
pub fn render_gated(estate: &Estate) -> Files {
    let options = Options::new(today())
        .formats(Format::IMPLEMENTED)
        .gate(Gate::Enforce);
    generate(estate, &options)
        .unwrap_or_else(|err| panic!("{err}"))
        .files
}

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Run the binary in `dir` on a fixed day, with no colour forced or refused by the environment.
pub fn run_in<I, S>(dir: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_aks-harden"))
        .args(args)
        .current_dir(dir)
        .env("AKS_HARDEN_TODAY", "2026-01-15")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()
        .expect("run aks-harden")
}

/// Run the binary in the repository root.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run_in(root(), args)
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Assert the exit code, showing both streams when it is wrong.
#[track_caller]
pub fn assert_exit(o: &Output, want: i32) {
    assert_eq!(
        o.status.code(),
        Some(want),
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(o),
        stderr(o)
    );
}
