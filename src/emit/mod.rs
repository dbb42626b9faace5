//! Emitters: the IR spelled as files. Each format is one module; all return the files they would
//! write as relative path → content, so rendering does no I/O and `--check` can compare.

pub mod arm;
pub mod bicep;
pub mod terraform;

use crate::ir::Template;
use std::collections::BTreeMap;

/// Rendered files: path relative to the output folder (always `/`-separated) → content.
pub type Files = BTreeMap<String, String>;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// ARM template JSON.
    Arm,
    /// Bicep.
    Bicep,
    /// Terraform JSON.
    Terraform,
}

impl Format {
    /// Formats aks-harden renders today.
    pub const IMPLEMENTED: &'static [Format] = &[Format::Arm, Format::Bicep, Format::Terraform];

    /// Lower-case name, as on the command line and as the output sub-folder.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Arm => "arm",
            Format::Bicep => "bicep",
            Format::Terraform => "terraform",
        }
    }
}

/// The Terraform flavour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TerraformProvider {
    /// Idiomatic hashicorp/azurerm resources.
    #[default]
    Azurerm,
    /// `azapi_resource` with the ARM body of every resource.
    Azapi,
}

/// Rendering options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options {
    /// Terraform flavour.
    pub terraform_provider: TerraformProvider,
}

/// Why a format cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmitError {
    /// The format exists on the roadmap but is not implemented yet.
    #[error("the {0} format is not yet supported; use --format arm")]
    NotYetSupported(&'static str),
    /// The estate holds something a format cannot express: a bug in aks-harden.
    #[error("this is a bug in aks-harden, please report it: {0}")]
    Untranslatable(String),
}

/// Render one format.
pub fn render(t: &Template, format: Format, options: &Options) -> Result<Files, EmitError> {
    match format {
        Format::Arm => Ok(arm::render(t)),
        Format::Bicep => bicep::render(t),
        Format::Terraform => terraform::render(t, options.terraform_provider),
    }
}

/// JSON with two-space indentation, `\n` line endings and one trailing newline.
pub(crate) fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// Any JSON value as aks-harden prints it.
pub fn pretty_json(v: &serde_json::Value) -> String {
    pretty(v)
}
