//! Terraform JSON: the azurerm flavour (idiomatic resources) and the azapi flavour (ARM bodies).

use super::{EmitError, Files, TerraformProvider};
use crate::ir::Template;

/// Render the Terraform files for one flavour.
pub fn render(_t: &Template, _provider: TerraformProvider) -> Result<Files, EmitError> {
    Err(EmitError::NotYetSupported("terraform"))
}
