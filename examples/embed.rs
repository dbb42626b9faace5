//! Embedding aks-harden: load a built-in profile, change it in code, render ARM into strings,
//! and write the set into a folder.

use aks_harden::{Format, load_str, render, write};
use std::path::Path;

/// Build a two-team estate from `prod`, render it and write it below `out`.
pub fn run(out: &Path) -> Result<usize, Box<dyn std::error::Error>> {
    // An estate file as internal tooling might assemble it: extend a profile, override a few keys.
    let text = r#"{
        "extends": "prod",
        "name": "fabrikam",
        "location": "northeurope",
        "tags": { "costCenter": "4711" }
    }"#;
    let mut estate = load_str("fabrikam.json", text, aks_harden::Syntax::Json)?;
    // The validated model can be adjusted before rendering.
    estate.spokes[0].log_retention_days = 180;
    let files = render(&estate, &[Format::Arm])?;
    write::write(out, &files)?;
    Ok(files.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "out-embed".to_string());
    let n = run(Path::new(&out))?;
    println!("wrote {n} files to {out}");
    Ok(())
}
