//! `audit`, `explain` and `controls`, and how `gen` shows a refusal of the audit gate. Today's
//! date comes from the clock here, never from the library; `AKS_HARDEN_TODAY=YYYY-MM-DD`
//! overrides it (for tests and reproducible reports).

use super::Exit;
use crate::Error;
use crate::audit::report::text;
use crate::audit::{self, Context, Date, Input, Outcome, Report, ReportFormat, Severity, Source};
use crate::posture::Tier;
use clap::{ArgGroup, Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `audit` arguments.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("input").required(true).args(["profile", "estate", "template", "plan", "live"])))]
pub struct AuditArgs {
    /// A built-in profile: dev, staging, prod or regulated.
    #[arg(long)]
    pub profile: Option<String>,
    /// An estate file (JSON, or YAML with a .yaml/.yml extension).
    #[arg(long)]
    pub estate: Option<PathBuf>,
    /// Any ARM template (JSON), with nested inline deployments.
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// A parameter file for --template; parameters it does not give take their defaults.
    #[arg(long, requires = "template")]
    pub parameters: Option<PathBuf>,
    /// A Terraform plan as JSON: `terraform show -json plan.out` (azurerm and azapi resources).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// The JSON of a live cluster: `az aks show -o json` (or `az aks list -o json`).
    #[arg(long)]
    pub live: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormatArg,
    /// Exit 1 when an unwaived failure at or above this severity exists.
    #[arg(long, value_enum, default_value = "high")]
    pub min_severity: SeverityArg,
    /// The tier a template or live cluster is judged against (estates bring their own).
    #[arg(long, value_enum, conflicts_with_all = ["profile", "estate"])]
    pub tier: Option<TierArg>,
    /// Print the flows instead of the controls: every required and forbidden flow with its
    /// trace, hop by hop; exit 1 when one fails unwaived at or above --min-severity.
    #[arg(long)]
    pub flows: bool,
}

/// Report format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormatArg {
    /// For a terminal.
    Text,
    /// For tools.
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// Tables and a diagram for a pull request.
    Markdown,
}

/// Severity on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    /// 💥 critical failures only
    Critical,
    /// 🔥 high and critical failures
    High,
    /// ☁️ medium and above
    Medium,
    /// ⛅ every failure
    Low,
}

/// Tier on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TierArg {
    /// Development.
    Dev,
    /// Staging.
    Staging,
    /// Production (the default for templates and live clusters).
    Prod,
    /// Regulated production.
    Regulated,
}

pub(super) fn severity(s: SeverityArg) -> Severity {
    match s {
        SeverityArg::Critical => Severity::Critical,
        SeverityArg::High => Severity::High,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::Low => Severity::Low,
    }
}

/// Today's date: `AKS_HARDEN_TODAY` (`YYYY-MM-DD`) if set, else the system clock (UTC).
pub fn today() -> Result<Date, String> {
    if let Ok(s) = std::env::var("AKS_HARDEN_TODAY") {
        return Date::parse(s.trim()).ok_or_else(|| {
            format!("AKS_HARDEN_TODAY is `{s}`, not a date\n  = hint: write it as YYYY-MM-DD")
        });
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| format!("the system clock is before 1970: {e}"))?
        .as_secs();
    Ok(Date::from_unix_days(
        i64::try_from(secs / 86_400).unwrap_or(0),
    ))
}

fn uri(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Read a template, parameter file or live JSON with the limits estate files get: regular files
/// only, at most `profile::MAX_FILE_BYTES`, UTF-8.
fn read(path: &Path) -> Result<String, String> {
    crate::profile::read_text(path)
        .map_err(|d| format!("{}: {}\n  = hint: {}", path.display(), d.message, d.hint))
}

fn report_invalid(e: &Error, err: &mut dyn Write) -> Exit {
    match e {
        Error::Invalid(d) => super::print_diagnostics(d, "", err),
        other => {
            let _ = writeln!(err, "error: {other}");
            Exit::Error
        }
    }
}

/// The report for the input the arguments name.
fn judge(args: &AuditArgs, today: Date, err: &mut dyn Write) -> Result<Report, Exit> {
    let fail = |msg: String, err: &mut dyn Write| {
        let _ = writeln!(err, "error: {msg}");
        Exit::Error
    };
    if let Some(p) = &args.profile {
        let estate = crate::load_profile(p).map_err(|e| report_invalid(&e, err))?;
        return Ok(crate::audit_estate(
            &estate,
            crate::profile_source(p),
            today,
        ));
    }
    if let Some(f) = &args.estate {
        let estate = crate::load_file(f).map_err(|e| report_invalid(&e, err))?;
        let text = read(f).ok();
        return Ok(crate::audit_estate(
            &estate,
            Source::new(uri(f), uri(f), text),
            today,
        ));
    }
    let mut input = if let Some(f) = &args.template {
        let text = read(f).map_err(|e| fail(e, err))?;
        let params = match &args.parameters {
            Some(p) => Some(read(p).map_err(|e| fail(e, err))?),
            None => None,
        };
        Input::from_template(Source::new(uri(f), uri(f), Some(text)), params.as_deref())
            .map_err(|e| fail(format!("{}: {}", f.display(), e.message), err))?
    } else if let Some(f) = &args.plan {
        let text = read(f).map_err(|e| fail(e, err))?;
        Input::from_plan(Source::new(uri(f), uri(f), Some(text)))
            .map_err(|e| fail(format!("{}: {}", f.display(), e.message), err))?
    } else if let Some(f) = &args.live {
        let text = read(f).map_err(|e| fail(e, err))?;
        Input::from_live(Source::new(uri(f), uri(f), Some(text)))
            .map_err(|e| fail(format!("{}: {}", f.display(), e.message), err))?
    } else {
        return Err(fail(
            "give --profile, --estate, --template, --plan or --live".into(),
            err,
        ));
    };
    input.tier = args.tier.map_or(Context::default().tier, |t| match t {
        TierArg::Dev => Tier::Dev,
        TierArg::Staging => Tier::Staging,
        TierArg::Prod => Tier::Prod,
        TierArg::Regulated => Tier::Regulated,
    });
    Ok(audit::judge(input, today))
}

/// Run `audit`: exit 0 when no unwaived failure at or above the threshold exists, 1 when one
/// does, 2 on usage or input errors.
pub fn audit_cmd(args: &AuditArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let today = match today() {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Exit::Error;
        }
    };
    let report = match judge(args, today, err) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let threshold = severity(args.min_severity);
    let format = match args.format {
        ReportFormatArg::Text => ReportFormat::Text,
        ReportFormatArg::Json => ReportFormat::Json,
        ReportFormatArg::Sarif => ReportFormat::Sarif,
        ReportFormatArg::Markdown => ReportFormat::Markdown,
    };
    if args.flows {
        return flows_cmd(&report, format, threshold, out, err);
    }
    match audit::render(&report, format, threshold) {
        Ok(text) => {
            let _ = write!(out, "{text}");
        }
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Exit::Error;
        }
    }
    let failures = report.failures(threshold);
    if failures.is_empty() {
        Exit::Success
    } else {
        if format != ReportFormat::Text {
            let ids: Vec<String> = failures
                .iter()
                .map(|r| format!("{} ({})", r.control.id, r.control.severity.as_str()))
                .collect();
            let _ = writeln!(
                err,
                "error: unwaived failure{} at or above {}: {}",
                if ids.len() == 1 { "" } else { "s" },
                threshold.as_str(),
                ids.join(", ")
            );
        }
        Exit::Failed
    }
}

/// The flows view: the table and every trace; exit 1 when a flow fails unwaived at or above
/// `threshold`.
fn flows_cmd(
    report: &Report,
    format: ReportFormat,
    threshold: Severity,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    use crate::audit::flows::Verdict;
    use crate::audit::report::flows as view;
    let text = match format {
        ReportFormat::Text => view::view(report),
        ReportFormat::Json => crate::emit::pretty_json(&view::json(&report.flows, report)),
        ReportFormat::Markdown => format!(
            "# aks-harden flows: {}\n\n{}",
            report.input.source.label,
            view::markdown(&report.flows)
        ),
        ReportFormat::Sarif => match audit::render(report, format, threshold) {
            Ok(t) => t,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return Exit::Error;
            }
        },
    };
    let _ = write!(out, "{text}");
    let failing: Vec<String> = report
        .flows
        .iter()
        .filter(|f| f.verdict() == Verdict::Fail)
        .filter(|f| {
            report.results.iter().any(|r| {
                r.control.id == f.control
                    && r.outcome == Outcome::Fail
                    && r.control.severity.at_least(threshold)
            })
        })
        .map(|f| format!("{} ({})", f.id, f.scope))
        .collect();
    if failing.is_empty() {
        Exit::Success
    } else {
        let _ = writeln!(
            err,
            "error: flow{} failing unwaived at or above {}: {}",
            if failing.len() == 1 { "" } else { "s" },
            threshold.as_str(),
            failing.join(", ")
        );
        Exit::Failed
    }
}

/// Run `explain`.
pub fn explain_cmd(control: &str, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let Some(c) = audit::control(&control.to_ascii_uppercase()) else {
        let _ = writeln!(
            err,
            "error: unknown control `{control}`\n  = hint: `aks-harden controls` lists the catalogue"
        );
        return Exit::Error;
    };
    let today = match today() {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Exit::Error;
        }
    };
    let mut s = String::new();
    {
        use std::fmt::Write as _;
        let topic = c.seed_topic();
        let _ = writeln!(
            s,
            "{} {} ({}): {}",
            c.severity.mark(),
            c.id,
            c.severity.as_str(),
            c.title
        );
        let _ = writeln!(s, "section: {}", c.section.title());
        if let Some(t) = topic {
            let _ = writeln!(
                s,
                "guideline topic: {} ({}{})",
                t.text,
                t.section,
                t.severity
                    .map(|v| format!(", {} {}", v.mark(), v.as_str()))
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(s, "\ndemands:\n  {}", c.demands);
        let _ = writeln!(s, "\nwhy:\n  {}", c.why);
        let _ = writeln!(s, "\nfix:\n  {}", c.fix);
        let none = |v: &[&str]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let _ = writeln!(s, "\nother judges:");
        let _ = writeln!(s, "  checkov: {}", none(c.checkov));
        let _ = writeln!(s, "  PSRule:  {}", none(c.psrule));
        let _ = writeln!(s, "  CIS AKS: {}", none(c.cis));
        let _ = writeln!(s, "  live clusters (az aks show): {}", c.live.as_str());
        let _ = writeln!(s, "\nbuilt-in profiles:");
        for (name, _) in crate::profile::BUILTIN {
            let estate = match crate::load_profile(name) {
                Ok(e) => e,
                Err(e) => {
                    let _ = writeln!(s, "  {name}: cannot load: {e}");
                    continue;
                }
            };
            let report = crate::audit_estate(&estate, crate::profile_source(name), today);
            let Some(r) = report.results.iter().find(|r| r.control.id == c.id) else {
                continue;
            };
            let head = match (&r.waiver, r.outcome) {
                (Some(w), Outcome::Waived) => {
                    format!("waived until {}: {}", w.waiver.expires, w.waiver.reason)
                }
                _ => r.outcome.as_str().to_string(),
            };
            let _ = writeln!(s, "  {name}: {head}");
            for f in &r.findings {
                let _ = writeln!(s, "    - {}: {}", f.status.as_str(), report.evidence(f));
            }
        }
    }
    let _ = write!(out, "{s}");
    Exit::Success
}

/// Run `controls`.
pub fn controls_cmd(out: &mut dyn Write, _err: &mut dyn Write) -> Exit {
    for c in audit::CONTROLS {
        let _ = writeln!(
            out,
            "{:<22} {:<8} {}",
            c.id.as_str(),
            c.severity.as_str(),
            c.title
        );
    }
    Exit::Success
}

/// How `gen` shows a refusal of the audit gate: every failure that stops it, with its findings
/// and fix, then one line naming them; exit 1.
pub fn refused(estate: &str, report: &Report, err: &mut dyn Write) -> Exit {
    let mut s = String::new();
    for r in &report.failures(Severity::High) {
        text::details_of(&mut s, report, r);
        s.push('\n');
    }
    let _ = write!(err, "{s}");
    let _ = writeln!(
        err,
        "error: {}; nothing was written\n  = hint: fix them, or record a waiver (reason, expires) under `waivers` in the estate file; `aks-harden audit` shows the full report",
        crate::refusal(estate, report)
    );
    Exit::Failed
}
