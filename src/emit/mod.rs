//! Emitters: the IR spelled as files. Each format is one module; all return the files they would
//! write as relative path → content, so rendering does no I/O and `--check` can compare.

pub mod arm;
pub mod bicep;
pub mod terraform;

use crate::ir::{Deployment, Resource, Template};
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
#[non_exhaustive]
pub enum EmitError {
    /// The format exists on the roadmap but is not implemented yet.
    #[error("the {0} format is not yet supported; use --format arm")]
    NotYetSupported(&'static str),
    /// The estate holds resources or properties a format cannot carry: a bug in aks-harden,
    /// whose planner and emitters must agree on every property.
    #[error(
        "this is a bug in aks-harden, please report it: the {format} output leaves {} of the plan untranslated:{}",
        plural(left.len(), "resource or property", "resources or properties"),
        list(left)
    )]
    Untranslated {
        /// The output that refused (`Terraform (azurerm)`).
        format: &'static str,
        /// Every resource or property left untranslated, in template order.
        left: Vec<Untranslated>,
    },
}

/// One IR resource or property an emitter could not translate, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslated {
    /// The ARM resource type.
    pub rtype: String,
    /// The IR resource: `deployment/resource`.
    pub resource: String,
    /// The IR property path: object keys joined by `.`, `[]` after an array; empty for the
    /// resource as a whole.
    pub path: String,
    /// The value left out, when it is a scalar.
    pub value: Option<String>,
    /// Why it is not translated.
    pub why: String,
}

impl Untranslated {
    /// An untranslated property of resource `r` in deployment `d`.
    pub fn new(
        d: &Deployment,
        r: &Resource,
        path: &str,
        value: Option<String>,
        why: impl Into<String>,
    ) -> Untranslated {
        Untranslated {
            rtype: r.rtype.clone(),
            resource: format!("{}/{}", d.id, r.id),
            path: path.to_string(),
            value,
            why: why.into(),
        }
    }
}

impl std::fmt::Display for Untranslated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.rtype, self.resource)?;
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        if let Some(v) = &self.value {
            write!(f, " = {v}")?;
        }
        write!(f, ": {}", self.why)
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn list(left: &[Untranslated]) -> String {
    use std::fmt::Write as _;
    left.iter().fold(String::new(), |mut s, u| {
        let _ = write!(s, "\n  {u}");
        s
    })
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
