//! # aks-harden
//!
//! Turns an opinionated estate description into hardened Azure Kubernetes Service infrastructure
//! code: a hub with Azure Firewall, one spoke per environment with a private AKS cluster, Key
//! Vault, ACR and Log Analytics, identities and their least-privilege roles, Defender and pod
//! security through Azure Policy.
//!
//! ```text
//! file / built-in ──load──▶ JSON ──extends (RFC 7386)──▶ JSON ──schema──▶ profile::EstateFile
//!   ──validate──▶ model::Estate | diagnostics ──plan──▶ ir::Template
//!   ──audit──▶ report ──gate──▶ emit ──▶ files ──write──▶ disk
//! ```
//!
//! [`generate`] is the one entry point from a validated estate to files: it plans once, judges
//! the planned resources against the control catalogue, refuses a `staging`, `prod` or
//! `regulated` estate with an unwaived critical or high failure (as `aks-harden gen` does), and
//! emits the formats asked for. Only loading and writing touch the disk; everything between is
//! pure and deterministic: the same estate gives the same bytes, whatever the key order of the
//! file. The library never reads the clock: the caller says what day it is, which decides
//! whether a waiver has expired.
//!
//! ```
//! use aks_harden::{Format, Options, generate, load_profile, posture::Date};
//!
//! let mut estate = load_profile("prod")?;
//! // Change the validated model in code before rendering, e.g. a wider retention.
//! estate.spokes[0].log_retention_days = 180;
//! let today = Date::parse("2026-01-15").unwrap();
//! let out = generate(&estate, &Options::new(today).formats(&[Format::Arm]))?;
//! assert!(out.files["arm/main.json"].contains("\"retentionInDays\": 180"));
//! assert!(out.report.failures(aks_harden::audit::Severity::High).is_empty());
//! # Ok::<(), aks_harden::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod audit;
pub mod azure;
pub mod cli;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod init;
pub mod ir;
pub mod model;
mod par;
pub mod plan;
pub mod posture;
pub mod profile;
pub mod validate;
pub mod write;

use audit::{Report, Severity};
pub use diag::Diagnostic;
pub use emit::{Files, Format, TerraformProvider};
pub use model::Estate;
use posture::Date;
pub use profile::Syntax;
use std::path::Path;

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The audit gate refused the estate: it is judged at a tier that must not ship unwaived
    /// critical or high failures, and has some. The report says which and how to fix them.
    #[error("{}", refusal(estate, report))]
    Refused {
        /// The estate's name.
        estate: String,
        /// The audit of what the estate would deploy.
        report: Box<Report>,
    },
}

pub(crate) fn refusal(estate: &str, report: &Report) -> String {
    let ids: Vec<String> = report
        .failures(Severity::High)
        .iter()
        .map(|r| format!("{} ({})", r.control.id, r.control.severity.as_str()))
        .collect();
    format!(
        "the {} estate `{}` has unwaived critical or high failures: {}",
        report.input.tier.as_str(),
        estate,
        ids.join(", ")
    )
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

/// How many spokes an estate may have for [`generate_resolved`] to plan it before its schema
/// check ends. For such an estate the check (most of it compiling the schema) takes as long as
/// planning and rendering; past it, the check is a small share of the run, and an invalid
/// estate should not wait for a fleet to render before its errors are shown.
const SPECULATE_UP_TO: usize = 10;

/// The ARM template file.
const ARM_MAIN: &str = "arm/main.json";

/// [`finish`] then [`generate`], the same result, sooner for a small estate: it is planned and
/// rendered on the strength of its types while the schema check runs beside it, and what was
/// rendered counts only when the check passes. When the check fails, the diagnostics are those
/// [`finish`] gives.
pub(crate) fn generate_resolved(
    resolved: &profile::Resolved,
    options: &Options,
) -> Result<Generated, Error> {
    if spoke_count(resolved) > SPECULATE_UP_TO {
        return finish(resolved).and_then(|estate| generate(&estate, options));
    }
    let (speculated, checked) = par::both(
        || {
            let file =
                serde_json::from_value::<profile::EstateFile>(resolved.value.clone()).ok()?;
            Some(validate::validate(&file).map(|estate| generate(&estate, options)))
        },
        || profile::to_estate_file(resolved).is_ok(),
    );
    match (checked, speculated) {
        (true, Some(Ok(generated))) => generated,
        (true, Some(Err(diags))) => Err(Error::Invalid(resolved.attribute(diags))),
        _ => finish(resolved).and_then(|estate| generate(&estate, options)),
    }
}

/// [`generate_resolved`], the files written into `out`. A fleet is written as it renders
/// ([`generate_into`]); a small estate is rendered beside its schema check and written after,
/// so that an invalid one never touches the folder.
pub(crate) fn generate_resolved_into(
    resolved: &profile::Resolved,
    options: &Options,
    out: &Path,
) -> Result<Wrote, Error> {
    if spoke_count(resolved) > SPECULATE_UP_TO {
        let estate = finish(resolved)?;
        return generate_into(&estate, estate_source(&estate), options, out);
    }
    let generated = generate_resolved(resolved, options)?;
    let written = write::write(out, &generated.files)?;
    Ok(Wrote {
        files: generated.files.len(),
        written,
        report: generated.report,
        warnings: generated.warnings,
        scratch: generated.scratch,
    })
}

fn spoke_count(resolved: &profile::Resolved) -> usize {
    resolved
        .value
        .get("spokes")
        .and_then(serde_json::Value::as_object)
        .map_or(0, serde_json::Map::len)
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

/// Whether [`generate`] refuses estates with unwaived critical or high failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Gate {
    /// Refuse a `staging`, `prod` or `regulated` estate with an unwaived critical or high
    /// failure, as `aks-harden gen` does. The default.
    #[default]
    Enforce,
    /// Render whatever the audit finds; the report still comes back with the files. For tools
    /// that judge elsewhere or show the findings themselves.
    Off,
}

/// What [`generate`] renders, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The formats to render (every implemented format unless told).
    pub formats: Vec<Format>,
    /// Emitter options (the Terraform flavour).
    pub emit: emit::Options,
    /// Today's date: a waiver that expired before it no longer counts.
    pub today: Date,
    /// Whether the audit gate applies.
    pub gate: Gate,
}

impl Options {
    /// Every implemented format, azurerm Terraform, the gate enforced, judged on `today`.
    pub fn new(today: Date) -> Options {
        Options {
            formats: Format::IMPLEMENTED.to_vec(),
            emit: emit::Options::default(),
            today,
            gate: Gate::Enforce,
        }
    }

    /// Render only these formats.
    #[must_use]
    pub fn formats(mut self, formats: &[Format]) -> Options {
        self.formats = formats.to_vec();
        self
    }

    /// The Terraform flavour.
    #[must_use]
    pub fn terraform_provider(mut self, provider: TerraformProvider) -> Options {
        self.emit.terraform_provider = provider;
        self
    }

    /// Whether the audit gate applies.
    #[must_use]
    pub fn gate(mut self, gate: Gate) -> Options {
        self.gate = gate;
        self
    }
}

/// What [`generate`] produced: the files and the audit report of the planned resources.
#[derive(Debug)]
#[non_exhaustive]
pub struct Generated {
    /// Relative path → content.
    pub files: Files,
    /// The audit of what the files deploy.
    pub report: Report,
    /// What the files cannot do as written: each limit of Azure Resource Manager on one
    /// template that the ARM or Bicep output breaks (a fleet of many spokes); see
    /// [`emit::arm::over_limits`].
    pub warnings: Vec<String>,
    /// The plan, freed with the rest, so that a caller about to end (as the command does) can
    /// skip freeing it at all.
    scratch: Scratch,
}

/// Values [`Generated`] keeps only to free them with itself.
struct Scratch {
    _values: Box<dyn std::any::Any + Send + Sync>,
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scratch")
    }
}

/// What the audit needs to know of an estate beyond its resources.
fn context(estate: &Estate) -> audit::Context {
    audit::Context {
        tier: estate.tier,
        waivers: estate.waivers.clone(),
        tags: Some(estate.tags.clone()),
    }
}

/// The source a report names for an estate that came from no file.
fn estate_source(estate: &Estate) -> audit::Source {
    audit::Source::new(format!("estate {}", estate.name), "", None)
}

/// Plan an estate and judge the planned resources against the control catalogue. `source`
/// names the estate file (or built-in profile) in the report, and its text, when given, lets
/// findings point at lines; [`profile_source`] builds it for a built-in profile.
pub fn audit_estate(estate: &Estate, source: audit::Source, today: Date) -> Report {
    audit::judge(audit_input(estate, source), today)
}

/// What the audit judges for an estate: its planned resources with its tier, waivers and tags.
pub fn audit_input(estate: &Estate, source: audit::Source) -> audit::Input {
    audit::Input::from_ir(&plan::plan(estate), context(estate), source)
}

/// The report source of a built-in profile: `profiles/<name>.json`, with its text.
pub fn profile_source(name: &str) -> audit::Source {
    audit::Source::new(
        format!("profile {name}"),
        format!("profiles/{name}.json"),
        profile::builtin(name).map(str::to_string),
    )
}

/// Plan the estate once, audit what it plans, apply the tier gate and render the formats asked
/// for into files (relative path → content). Pure: no I/O.
///
/// With [`Gate::Enforce`] (the default), a `staging`, `prod` or `regulated` estate with an
/// unwaived critical or high failure gives [`Error::Refused`] with the report, and no files.
/// [`Gate::Off`] renders anyway and returns the report beside the files.
pub fn generate(estate: &Estate, options: &Options) -> Result<Generated, Error> {
    generate_from(estate, estate_source(estate), options)
}

/// [`generate`], with the report naming `source` (the estate file or built-in profile).
pub fn generate_from(
    estate: &Estate,
    source: audit::Source,
    options: &Options,
) -> Result<Generated, Error> {
    let (files, report, warnings, scratch) = run(estate, source, options, None)?;
    Ok(Generated {
        files,
        report,
        warnings,
        scratch,
    })
}

/// What [`generate_into`] did.
#[derive(Debug)]
#[non_exhaustive]
pub struct Wrote {
    /// How many files the set has.
    pub files: usize,
    /// What the write did (files changed, unchanged, removed).
    pub written: write::Written,
    /// The audit of what the files deploy.
    pub report: Report,
    /// As in [`Generated`].
    pub warnings: Vec<String>,
    /// As in [`Generated`].
    #[expect(dead_code, reason = "held only to be freed with the rest")]
    scratch: Scratch,
}

/// [`generate_from`], with the files written into the folder `out` (as [`write::write`] writes
/// them) as each format is rendered, not held until all are: a large fleet's files never all
/// sit in memory at once, and writing them runs beside the audit. They are staged, and put in
/// place only when the audit gate lets the estate through; on a refusal or any error the folder
/// holds what it held before.
pub fn generate_into(
    estate: &Estate,
    source: audit::Source,
    options: &Options,
    out: &Path,
) -> Result<Wrote, Error> {
    let mut sink = write::FsSink;
    let writer = std::sync::Mutex::new(write::Writer::begin(out, &mut sink)?);
    let (_, report, warnings, scratch) = run(estate, source, options, Some(&writer))?;
    let writer = writer
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let files = writer.len();
    let written = writer.commit()?;
    Ok(Wrote {
        files,
        written,
        report,
        warnings,
        scratch,
    })
}

/// Where rendered files go as they are made: kept, or written into a writer.
type Deliver<'a, 's> = Option<&'a std::sync::Mutex<write::Writer<'s, write::FsSink>>>;

/// Plan, audit and render; the files come back, or go into `deliver` as each format is done.
fn run(
    estate: &Estate,
    source: audit::Source,
    options: &Options,
    deliver: Deliver<'_, '_>,
) -> Result<(Files, Report, Vec<String>, Scratch), Error> {
    let template = plan::plan(estate);
    // The first write that failed; nothing more is written after it.
    let write_failed = std::sync::Mutex::new(None);
    let keep = |files: Files| -> Files {
        let Some(writer) = deliver else {
            return files;
        };
        let mut writer = writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = writer.add(&files) {
            write_failed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get_or_insert(e);
        }
        Files::new()
    };
    // The audit and every rendering take a thread each; a format splits its work only over
    // threads the machine has beyond those.
    let spare = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .saturating_sub(options.formats.len() + 1)
        .max(1);
    // Every format and the audit only read the plan, so they run side by side; a refused
    // estate's renderings are dropped unseen (or their staged files removed). The audit judges
    // the plan spelt as an ARM template value; `arm/main.json` is the same document printed
    // straight from the plan.
    let (report, rendered) = std::thread::scope(|s| {
        let (keep, template) = (&keep, &template);
        let others: Vec<_> = options
            .formats
            .iter()
            .map(|f| {
                s.spawn(move || {
                    emit::render_on(template, *f, options.emit, Some(spare)).map(|files| {
                        let bytes = files.get(ARM_MAIN).map(String::len);
                        (keep(files), bytes)
                    })
                })
            })
            .collect();
        let companions = s.spawn(|| keep(emit::companions(template)));
        // The spelling is the audit's alone: flattening takes it apart as it goes, so the two
        // are never held whole at once.
        let report = {
            let doc = emit::arm::template(template);
            let params = emit::arm::parameters(template);
            let input = audit::Input::from_arm_owned(doc, params, context(estate), source);
            audit::judge(input, options.today)
        };
        let rendered: Vec<_> = others.into_iter().map(par::join).collect();
        (report, (par::join(companions), rendered))
    });
    if options.gate == Gate::Enforce
        && estate.tier.gated()
        && !report.failures(Severity::High).is_empty()
    {
        return Err(Error::Refused {
            estate: estate.name.clone(),
            report: Box::new(report),
        });
    }
    let (mut files, rendered) = rendered;
    let mut arm_bytes = None;
    for r in rendered {
        let (more, bytes) = r?;
        files.extend(more);
        arm_bytes = arm_bytes.or(bytes);
    }
    // Whether ARM takes the template (Bicep compiles to one that nests the same deployments).
    let warnings = template_limits(&template, &options.formats, arm_bytes);
    if let Some(e) = write_failed
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        return Err(Error::Write(e));
    }
    Ok((
        files,
        report,
        warnings,
        Scratch {
            _values: Box::new(template),
        },
    ))
}

/// Each of ARM's limits on one template that the ARM or Bicep output of `t` breaks
/// ([`emit::arm::over_limits`]), as a warning naming the file; `arm_bytes` is the size of
/// `arm/main.json` when it was rendered.
fn template_limits(t: &ir::Template, formats: &[Format], arm_bytes: Option<usize>) -> Vec<String> {
    let subject = match (
        formats.contains(&Format::Arm),
        formats.contains(&Format::Bicep),
    ) {
        (true, true) => "arm/main.json (and the template bicep/main.bicep compiles to)",
        (true, false) => "arm/main.json",
        (false, true) => "the template bicep/main.bicep compiles to",
        (false, false) => return Vec::new(),
    };
    emit::arm::over_limits(t, arm_bytes)
        .into_iter()
        .map(|o| format!("{subject} is over ARM's limits on one template: {o}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{Error, Options, finish, generate, generate_resolved, profile};
    use crate::posture::Date;

    /// Every committed invalid and hostile estate, and every valid one: generating while the
    /// schema is checked gives exactly what checking first and generating after gives.
    #[test]
    fn generating_beside_the_schema_check_changes_no_result() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let today = Date::parse("2026-12-07").unwrap();
        let options = Options::new(today);
        let mut seen = (0, 0);
        for dir in [
            "tests/fixtures/invalid",
            "tests/hostile",
            "tests/fixtures/valid",
        ] {
            let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "yaml"))
                .collect();
            paths.sort();
            for path in paths {
                let Ok(resolved) = profile::resolve_file(&path) else {
                    continue;
                };
                let expected = finish(&resolved).and_then(|e| generate(&e, &options));
                let got = generate_resolved(&resolved, &options);
                match (expected, got) {
                    (Err(Error::Invalid(a)), Err(Error::Invalid(b))) => {
                        assert_eq!(a, b, "{}", path.display());
                        seen.0 += 1;
                    }
                    (Ok(a), Ok(b)) => {
                        assert!(a.files == b.files, "{}", path.display());
                        seen.1 += 1;
                    }
                    (Err(Error::Refused { .. }), Err(Error::Refused { .. })) => seen.1 += 1,
                    (a, b) => panic!(
                        "{}: {:?} against {:?}",
                        path.display(),
                        a.map(|_| ()),
                        b.map(|_| ())
                    ),
                }
            }
        }
        // The types keep `spokeDefaults` as a plain object; only the schema knows its keys, and
        // the spoke that drops the unknown one leaves the typed estate valid.
        let text = r#"{"extends": "prod", "name": "sd", "spokeDefaults": {"bogus": 1},
            "spokes": {"prod": {"bogus": null}}}"#;
        let resolved = profile::resolve_text(
            "sd.json",
            text,
            crate::Syntax::Json,
            &profile::Base::BuiltinOnly,
        )
        .unwrap();
        assert!(serde_json::from_value::<profile::EstateFile>(resolved.value.clone()).is_ok());
        let Err(Error::Invalid(expected)) = finish(&resolved) else {
            panic!("the schema accepts an unknown key");
        };
        let Err(Error::Invalid(got)) = generate_resolved(&resolved, &options) else {
            panic!("rendered an estate the schema refuses");
        };
        assert_eq!(expected, got);
        assert!(seen.0 > 50 && seen.1 > 5, "too few estates: {seen:?}");
    }
}
