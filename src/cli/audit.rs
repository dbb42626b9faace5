//! `audit`, `explain` and `controls`, and the gate that stops `gen` for prod-like tiers with
//! unwaived critical or high failures.

use crate::Estate;
use clap::Args;
use std::io::Write;

/// `audit` arguments.
#[derive(Debug, Args)]
pub struct AuditArgs {}

/// Run `audit`.
pub fn audit_cmd(_args: &AuditArgs, _out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = writeln!(err, "error: audit is not yet supported");
    2
}

/// Run `explain`.
pub fn explain_cmd(_control: &str, _out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let _ = writeln!(err, "error: explain is not yet supported");
    2
}

/// Run `controls`.
pub fn controls_cmd(out: &mut dyn Write, _err: &mut dyn Write) -> u8 {
    for c in crate::audit::CONTROLS {
        let _ = writeln!(out, "{:<22} {:<8} {}", c.id, c.severity.as_str(), c.title);
    }
    0
}

/// Before `gen`: `Some(exit code)` when the estate must not be rendered.
pub fn gate(_estate: &Estate, _err: &mut dyn Write) -> Option<u8> {
    None
}
