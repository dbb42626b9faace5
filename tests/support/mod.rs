//! What several test suites share: rendering an estate through the library's one entry point
//! with the audit gate off, so a test judges the emitters and nothing else stops them.

#![allow(
    dead_code,
    clippy::expect_used,
    reason = "each test suite uses a part of this; a fixed date that parses"
)]

use aks_harden::emit::Options as EmitOptions;
use aks_harden::posture::Date;
use aks_harden::{Error, Estate, Files, Format, Gate, Options, generate};

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
