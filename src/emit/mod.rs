//! Emitters: the IR spelled as files. Each format is one module; all return the files they would
//! write as relative path → content, so rendering does no I/O and `--check` can compare.

pub mod arm;
pub mod bicep;
mod json;
mod operate;
pub mod terraform;
pub mod yaml;

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
    render_on(t, format, *options, None)
}

/// [`render`] on at most `threads` threads (this one included); `None` for as many as are
/// worth starting. The output is the same on any number.
pub(crate) fn render_on(
    t: &Template,
    format: Format,
    options: Options,
    threads: Option<usize>,
) -> Result<Files, EmitError> {
    match format {
        Format::Arm => Ok(arm::render(t)),
        Format::Bicep => bicep::render(t),
        Format::Terraform => terraform::render(t, options.terraform_provider, threads),
    }
}

/// Render several formats and the companion files, each on a thread of its own, as `gen` does:
/// every format reads the plan only, so they render side by side. The first format that fails
/// gives the error.
pub fn render_all(t: &Template, formats: &[Format], options: &Options) -> Result<Files, EmitError> {
    std::thread::scope(|s| {
        let rendered: Vec<_> = formats
            .iter()
            .map(|f| s.spawn(move || render(t, *f, options)))
            .collect();
        let mut files = companions(t);
        for r in rendered {
            files.extend(crate::par::join(r)?);
        }
        Ok(files)
    })
}

/// The files every rendering carries beside its format: the Kubernetes manifests the clusters
/// need once they run, under `k8s/`, each with a banner and its objects as YAML documents, and
/// `OPERATE.md`, how operators reach the clusters and expose workloads, with the real names.
pub fn companions(t: &Template) -> Files {
    let mut files = Files::new();
    for m in &t.manifests {
        let mut text = format!(
            "# {}\n# Generated by aks-harden for estate {}; do not edit: change the estate file and generate again.\n",
            m.about, t.estate
        );
        for o in &m.objects {
            text.push_str("---\n");
            text.push_str(&yaml::document(o));
        }
        files.insert(format!("k8s/{}", m.path), text);
    }
    if t.resources()
        .any(|(_, r)| r.rtype == crate::azure::types::AKS)
    {
        // The template is embedded and its data always complete: a failure is a bug that the
        // tests rendering every profile catch.
        let text = operate::render(t)
            .unwrap_or_else(|e| format!("aks-harden could not render OPERATE.md: {e}\n"));
        files.insert("OPERATE.md".into(), text);
    }
    files
}

/// JSON with two-space indentation, `\n` line endings and one trailing newline: byte for byte
/// what `serde_json::to_string_pretty` prints, written straight into one buffer.
pub(crate) fn pretty(v: &serde_json::Value) -> String {
    let mut out = String::with_capacity(1024);
    json::value(&mut out, v, 0);
    out.push('\n');
    out
}

/// Any JSON value as aks-harden prints it.
pub fn pretty_json(v: &serde_json::Value) -> String {
    pretty(v)
}

#[cfg(test)]
mod tests {
    use super::companions;
    use crate::ir::{Manifest, Template};
    use indexmap::IndexMap;
    use serde_json::json;

    #[test]
    fn manifests_become_yaml_files_under_k8s_with_a_banner() {
        let t = Template {
            estate: "contoso".into(),
            location: "westeurope".into(),
            home: (String::new(), String::new()),
            parameters: IndexMap::new(),
            deployments: Vec::new(),
            manifests: vec![Manifest {
                path: "prod/namespaces.yaml".into(),
                about: "Namespaces of spoke prod".into(),
                objects: vec![
                    json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "a" } }),
                    json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "b" } }),
                ],
            }],
        };
        let files = companions(&t);
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["k8s/prod/namespaces.yaml"]
        );
        let text = &files["k8s/prod/namespaces.yaml"];
        assert!(text.starts_with(
            "# Namespaces of spoke prod\n# Generated by aks-harden for estate contoso;"
        ));
        assert_eq!(text.matches("\n---\n").count(), 2, "{text}");
        assert!(text.ends_with("metadata:\n  name: \"b\"\n"), "{text}");
    }
}
