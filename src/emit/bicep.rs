//! Bicep: `main.bicep` at subscription scope, one module per deployment, and `main.bicepparam`.

use super::{EmitError, Files};
use crate::ir::Template;

/// Render the Bicep files.
pub fn render(_t: &Template) -> Result<Files, EmitError> {
    Err(EmitError::NotYetSupported("bicep"))
}
