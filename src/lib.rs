//! # aks-harden
//!
//! Turns an opinionated estate description into hardened Azure Kubernetes Service infrastructure
//! code: a hub with Azure Firewall, one spoke per environment with a private AKS cluster, Key
//! Vault, ACR and Log Analytics, identities and their least-privilege roles, Defender and pod
//! security through Azure Policy.
//!
//! ```text
//! file / built-in ──load──▶ JSON ──extends (RFC 7386)──▶ JSON ──schema──▶ profile::EstateFile
//!   ──validate──▶ model::Estate | diagnostics ──plan──▶ ir::Template ──emit──▶ files ──write──▶ disk
//! ```
//!
//! Only loading and writing touch the disk; everything between is pure and deterministic: the
//! same estate gives the same bytes, whatever the key order of the file.
//!
//! ```
//! use aks_harden::{Format, load_profile, render};
//!
//! let mut estate = load_profile("prod")?;
//! // Change the validated model in code before rendering, e.g. a wider retention.
//! estate.spokes[0].log_retention_days = 180;
//! let files = render(&estate, &[Format::Arm])?;
//! assert!(files["arm/main.json"].contains("\"retentionInDays\": 180"));
//! # Ok::<(), aks_harden::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod audit;
pub mod azure;
pub mod cli;
pub mod diag;
pub mod emit;
pub mod ir;
pub mod model;
pub mod plan;
pub mod posture;
pub mod profile;
pub mod validate;
pub mod write;

pub use diag::Diagnostic;
pub use emit::{Files, Format};
pub use model::Estate;
pub use profile::Syntax;
use std::path::Path;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The estate has problems; every one is listed.
    #[error("the estate has {} problem{}", .0.len(), if .0.len() == 1 { "" } else { "s" })]
    Invalid(Vec<Diagnostic>),
    /// A format cannot be rendered.
    #[error(transparent)]
    Emit(#[from] emit::EmitError),
    /// Writing the output failed; the previous output is intact.
    #[error(transparent)]
    Write(#[from] write::WriteError),
}

impl Error {
    /// The diagnostics, when the estate was invalid.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => d,
            _ => &[],
        }
    }
}

fn finish(resolved: &profile::Resolved) -> Result<Estate, Error> {
    match profile::to_estate_file(resolved) {
        Ok(file) => validate::validate(&file).map_err(|d| Error::Invalid(resolved.attribute(d))),
        Err(mut diags) => {
            // Report semantic problems in the same run, judged on a repaired copy.
            if let Some(repaired) = profile::repair(resolved, &diags) {
                if let Err(more) = validate::validate(&repaired) {
                    diags.extend(resolved.attribute(more));
                }
            }
            Err(Error::Invalid(diags))
        }
    }
}

/// Load, resolve and validate an estate file (JSON, or YAML by extension).
pub fn load_file(path: &Path) -> Result<Estate, Error> {
    let resolved = profile::resolve_file(path).map_err(Error::Invalid)?;
    finish(&resolved)
}

/// Load, resolve and validate an estate given as text. `name` is used in diagnostics; `extends`
/// may name built-in profiles only.
pub fn load_str(name: &str, text: &str, syntax: Syntax) -> Result<Estate, Error> {
    let resolved = profile::resolve_text(name, text, syntax, &profile::Base::BuiltinOnly)
        .map_err(Error::Invalid)?;
    finish(&resolved)
}

/// Load and validate a built-in profile.
pub fn load_profile(name: &str) -> Result<Estate, Error> {
    let resolved = profile::resolve_builtin(name).map_err(Error::Invalid)?;
    finish(&resolved)
}

/// Plan and render the given formats into files (relative path → content). Pure: no I/O.
pub fn render(estate: &Estate, formats: &[Format]) -> Result<Files, Error> {
    render_with(estate, formats, &emit::Options::default())
}

/// [`render`] with options (the Terraform flavour).
pub fn render_with(
    estate: &Estate,
    formats: &[Format],
    options: &emit::Options,
) -> Result<Files, Error> {
    let template = plan::plan(estate);
    let mut files = Files::new();
    for f in formats {
        files.extend(emit::render(&template, *f, options)?);
    }
    Ok(files)
}
