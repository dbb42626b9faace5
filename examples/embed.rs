//! Embedding aks-harden: load a built-in profile, change it in code, generate ARM into strings
//! (with the same audit gate `aks-harden gen` applies), and write the set into a folder.

use aks_harden::posture::Date;
use aks_harden::{Error, Format, Options, generate, load_str, write};
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
    // The library never reads the clock: say which day waivers are judged on.
    let today = Date::parse("2026-01-15").ok_or("not a date")?;
    let generated = match generate(&estate, &Options::new(today).formats(&[Format::Arm])) {
        Ok(g) => g,
        Err(Error::Refused { report, .. }) => {
            // A prod estate with an unwaived critical or high failure: the findings, no files.
            return Err(report.summary().into());
        }
        Err(e) => return Err(e.into()),
    };
    write::write(out, &generated.files)?;
    Ok(generated.files.len())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "out-embed".to_string());
    let n = run(Path::new(&out))?;
    println!("wrote {n} files to {out}");
    Ok(())
}
