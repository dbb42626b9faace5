//! The command line: clap types and one function per subcommand, each a thin caller of the
//! library. Exit codes ([`Exit`]): 0 ok, 1 findings or `--check` drift, 2 usage, I/O or input
//! error.

pub mod audit;
pub mod diff;
pub mod init;
pub mod shell;

use crate::emit::Format;
use crate::{Error, Estate, Options, diag::Diagnostic, profile};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Hardened AKS estates as ARM, Bicep and Terraform, from a built-in profile or an estate file.
#[derive(Debug, Parser)]
#[command(name = "aks-harden", version, about, long_about = None)]
pub struct Cli {
    /// Print nothing on success (`gen`, `validate`, `init`, `man --out`): for scripts.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate infrastructure code for an estate.
    Gen(GenArgs),
    /// Check an estate file and report every problem.
    Validate {
        /// Estate file (JSON, or YAML with a .yaml/.yml extension).
        file: PathBuf,
    },
    /// Print the estate JSON Schema (for editors: "$schema" in estate files).
    Schema,
    /// Judge an estate, an ARM template or a live cluster against the control catalogue.
    Audit(audit::AuditArgs),
    /// Explain one control: what it demands, why, and how each built-in profile meets it.
    Explain {
        /// Control id, e.g. API-PRIVATE.
        control: String,
    },
    /// List the control catalogue.
    Controls,
    /// Write a starter estate file that extends a built-in profile.
    Init(init::InitArgs),
    /// Compare two estates, profiles, git revisions or output folders: resources and posture.
    Diff(diff::DiffArgs),
    /// List the built-in profiles, or show one resolved.
    Profiles {
        /// `show NAME` prints the resolved profile as JSON.
        #[command(subcommand)]
        action: Option<ProfilesAction>,
    },
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    Completions(shell::CompletionsArgs),
    /// Print the man page, or write every page into a folder.
    Man(shell::ManArgs),
}

/// `profiles` actions.
#[derive(Debug, Subcommand)]
pub enum ProfilesAction {
    /// Print a built-in profile, resolved, as JSON.
    Show {
        /// Profile name.
        name: String,
    },
}

/// Output format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// ARM template JSON.
    Arm,
    /// Bicep.
    Bicep,
    /// Terraform JSON.
    Terraform,
    /// Every format aks-harden renders today.
    All,
}

/// `gen` arguments.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["profile", "estate"])))]
pub struct GenArgs {
    /// A built-in profile: dev, staging, prod or regulated.
    #[arg(long)]
    pub profile: Option<String>,
    /// An estate file (JSON, or YAML with a .yaml/.yml extension).
    #[arg(long)]
    pub estate: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "all")]
    pub format: FormatArg,
    /// Output folder; each format goes to a sub-folder (arm/, bicep/, terraform/).
    #[arg(long)]
    pub out: PathBuf,
    /// Write nothing; exit 1 and print a diff if the files on disk differ.
    #[arg(long)]
    pub check: bool,
    /// Terraform flavour: idiomatic azurerm resources, or azapi resources with the ARM bodies.
    #[arg(long, value_enum, default_value = "azurerm")]
    pub terraform_provider: TerraformProviderArg,
}

/// Terraform flavour on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TerraformProviderArg {
    /// hashicorp/azurerm resources (`azurerm_kubernetes_cluster`, ...).
    Azurerm,
    /// Azure/azapi `azapi_resource` with the ARM body of every resource.
    Azapi,
}

/// How a command ended: the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, nothing to report.
    Success = 0,
    /// 1: findings at or above the threshold, a refusal of the audit gate, or `--check` drift.
    Failed = 1,
    /// 2: usage, I/O or input error.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// Run the CLI with already-parsed arguments, writing to the given streams.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let quiet = cli.quiet;
    let reads_estate = match &cli.command {
        Command::Gen(_) | Command::Validate { .. } | Command::Diff(_) => true,
        Command::Audit(a) => a.template.is_none(),
        _ => false,
    };
    if reads_estate {
        // These read an estate: the schema compiles on a second core while the file is read,
        // parsed and merged with the profiles it extends.
        std::thread::spawn(profile::prepare_schema);
    }
    let code = match cli.command {
        Command::Gen(args) => shell::quietly(quiet, out, |o| gen_cmd(&args, o, err)),
        Command::Validate { file } => shell::quietly(quiet, out, |o| validate_cmd(&file, o, err)),
        Command::Audit(args) => audit::audit_cmd(&args, out, err),
        Command::Explain { control } => audit::explain_cmd(&control, out, err),
        Command::Controls => audit::controls_cmd(out, err),
        Command::Diff(args) => diff::diff_cmd(&args, out, err),
        Command::Init(args) => shell::quietly(quiet, out, |o| init::init_cmd(&args, o, err)),
        Command::Completions(args) => shell::completions_cmd(&args, out),
        Command::Man(args) => shell::quietly(quiet, out, |o| shell::man_cmd(&args, o, err)),
        Command::Schema => {
            let _ = write!(out, "{}", profile::estate_schema_text());
            Exit::Success
        }
        Command::Profiles { action: None } => {
            for (name, text) in profile::BUILTIN {
                let desc = serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| {
                        v.get("description")
                            .and_then(|d| d.as_str())
                            .map(str::to_string)
                    })
                    .unwrap_or_default();
                let _ = writeln!(out, "{name:<10} {desc}");
            }
            Exit::Success
        }
        Command::Profiles {
            action: Some(ProfilesAction::Show { name }),
        } => match profile::resolve_builtin(&name) {
            Ok(r) => {
                let mut value = r.value;
                if let Ok(estate) = crate::load_profile(&name) {
                    with_subnets(&mut value, &estate);
                }
                let _ = write!(out, "{}", crate::emit::pretty_json(&value));
                Exit::Success
            }
            Err(d) => report(&d, err),
        },
    };
    ExitCode::from(code)
}

/// Write every spoke's subnets into the resolved document, those its layout derives too, right
/// after its address space: `profiles show` prints the spokes as they deploy.
fn with_subnets(value: &mut serde_json::Value, estate: &Estate) {
    let Some(spokes) = value
        .get_mut("spokes")
        .and_then(serde_json::Value::as_object_mut)
    else {
        return;
    };
    for s in &estate.spokes {
        let Some(serde_json::Value::Object(spoke)) = spokes.get_mut(&s.key) else {
            continue;
        };
        let mut subnets = match spoke.remove("subnets") {
            Some(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        };
        for n in &s.subnets {
            subnets
                .entry(n.role.field())
                .or_insert_with(|| n.cidr.to_string().into());
        }
        let rest = std::mem::take(spoke);
        for (k, v) in rest {
            let after_space = k == "addressSpace";
            spoke.insert(k, v);
            if after_space {
                spoke.insert("subnets".into(), serde_json::Value::Object(subnets.clone()));
            }
        }
        spoke
            .entry("subnets")
            .or_insert(serde_json::Value::Object(subnets));
    }
}

/// Print every diagnostic and a closing count (`then` is appended to it); exit code 2.
pub(crate) fn print_diagnostics(diags: &[Diagnostic], then: &str, err: &mut dyn Write) -> Exit {
    for d in diags {
        let _ = writeln!(err, "{d}\n");
    }
    let n = diags.len();
    let _ = writeln!(
        err,
        "error: {n} problem{} found{then}",
        if n == 1 { "" } else { "s" }
    );
    Exit::Error
}

fn report(diags: &[Diagnostic], err: &mut dyn Write) -> Exit {
    print_diagnostics(diags, "; nothing was written", err)
}

fn fail(e: &Error, err: &mut dyn Write) -> Exit {
    match e {
        Error::Invalid(d) => report(d, err),
        Error::Refused { estate, report } => audit::refused(estate, report, err),
        Error::Write(w) => {
            let _ = writeln!(err, "error: {w}\n  = hint: {}", w.hint);
            Exit::Error
        }
        other => {
            let _ = writeln!(err, "error: {other}");
            Exit::Error
        }
    }
}

fn resolve(args: &GenArgs) -> Result<profile::Resolved, Error> {
    match (&args.profile, &args.estate) {
        (Some(p), _) => profile::resolve_builtin(p),
        (None, Some(f)) => profile::resolve_file(f),
        (None, None) => Err(Vec::new()),
    }
    .map_err(Error::Invalid)
}

fn formats(f: FormatArg) -> Vec<Format> {
    match f {
        FormatArg::Arm => vec![Format::Arm],
        FormatArg::Bicep => vec![Format::Bicep],
        FormatArg::Terraform => vec![Format::Terraform],
        FormatArg::All => Format::IMPLEMENTED.to_vec(),
    }
}

fn gen_cmd(args: &GenArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let resolved = match resolve(args) {
        Ok(r) => r,
        Err(e) => return fail(&e, err),
    };
    let today = match audit::today() {
        Ok(d) => d,
        Err(e) => {
            // The estate's own errors come first.
            if let Err(invalid) = crate::finish(&resolved) {
                return fail(&invalid, err);
            }
            let _ = writeln!(err, "error: {e}");
            return Exit::Error;
        }
    };
    let options = Options::new(today)
        .formats(&formats(args.format))
        .terraform_provider(match args.terraform_provider {
            TerraformProviderArg::Azurerm => crate::TerraformProvider::Azurerm,
            TerraformProviderArg::Azapi => crate::TerraformProvider::Azapi,
        });
    if !args.check {
        return match crate::generate_resolved_into(&resolved, &options, &args.out) {
            Ok(wrote) => {
                let _ = writeln!(
                    out,
                    "wrote {} files to {} ({} changed, {} unchanged, {} removed)",
                    wrote.files,
                    args.out.display(),
                    wrote.written.written.len(),
                    wrote.written.unchanged.len(),
                    wrote.written.removed.len()
                );
                template_warnings(&wrote.warnings, err);
                // The command ends here: the operating system takes its memory back at once,
                // far quicker than freeing a fleet's millions of values one by one.
                std::mem::forget(wrote);
                Exit::Success
            }
            Err(e) => fail(&e, err),
        };
    }
    let generated = match crate::generate_resolved(&resolved, &options) {
        // As above: never freed.
        Ok(g) => std::mem::ManuallyDrop::new(g),
        Err(e) => return fail(&e, err),
    };
    template_warnings(&generated.warnings, err);
    let files = &generated.files;
    let diff = crate::write::check(&args.out, files);
    if diff.is_empty() {
        let _ = writeln!(
            out,
            "up to date: {} files in {}",
            files.len(),
            args.out.display()
        );
        return Exit::Success;
    }
    let _ = write!(out, "{diff}");
    let _ = writeln!(
        err,
        "error: {} is out of date; run the same command without --check and commit the result",
        args.out.display()
    );
    Exit::Failed
}

/// The limits of one ARM template that the output breaks, with what to do instead.
fn template_warnings(warnings: &[String], err: &mut dyn Write) {
    for w in warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    if !warnings.is_empty() {
        let _ = writeln!(
            err,
            "  = hint: deploy this estate with the Terraform output (`--format terraform`), or split its spokes over several estates; ARM's limits: {}",
            crate::emit::arm::limits::DOC
        );
    }
}

fn validate_cmd(file: &std::path::Path, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match crate::load_file(file) {
        Ok(e) => {
            let _ = writeln!(
                out,
                "ok: {} is a valid {:?} estate with {} spoke{}",
                file.display(),
                e.tier,
                e.spokes.len(),
                if e.spokes.len() == 1 { "" } else { "s" }
            );
            Exit::Success
        }
        Err(Error::Invalid(d)) => print_diagnostics(&d, "", err),
        Err(e) => fail(&e, err),
    }
}
