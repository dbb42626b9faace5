//! No secrets in the output. Every file of every built-in profile and valid fixture, in every
//! implemented format (and Terraform flavour), is scanned for private keys, SSH keys, SAS
//! tokens, connection strings, passwords and client secrets, for functions that would copy a
//! secret into a deployment (`listKeys`, `listSecrets`), and for key-like high-entropy strings.
//! Every template parameter or variable whose name suggests a secret must be marked secure: ARM
//! `securestring`/`secureObject` (without a literal default or value), Bicep `@secure()`,
//! Terraform `sensitive = true`. Today no parameter carries a secret, so in practice: no
//! parameter is named like one.
//!
//! The scanner is checked against planted secrets, so a scanner that finds nothing is caught.

#![allow(
    clippy::expect_used,
    reason = "helpers outside #[test] functions; clippy.toml allows expect in tests only"
)]

mod support;

use aks_harden::emit::{Options, TerraformProvider};
use aks_harden::{Files, Format};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// Substrings that never belong in infrastructure code aks-harden writes (compared
/// case-insensitively).
const FORBIDDEN: &[&str] = &[
    "-----begin",
    "private key",
    "ssh-rsa",
    "ssh-ed25519",
    "ssh-dss",
    "ecdsa-sha2-",
    "accountkey=",
    "sharedaccesskey",
    "sharedaccesssignature",
    "sig=",
    "&sv=",
    "?sv=",
    "password",
    "passwd",
    "pwd=",
    "client_secret",
    "clientsecret",
    "connectionstring",
    "connection_string",
    "endpoint=sb://",
    "defaultendpointsprotocol",
    "instrumentationkey",
    "listkeys(",
    "listsecrets(",
    "listcredential",
    "listaccountsas(",
    "listservicesas(",
    "adminpassword",
    "admin_password",
];

/// Identifiers that contain "secret" and are known to be safe: they name the Secrets Store CSI
/// driver and its rotation, or the role that lets it read secrets, never a secret value.
const SAFE_SECRET_WORDS: &[&str] = &[
    "enableSecretRotation",
    "secretRotationInterval",
    "azureKeyvaultSecretsProvider",
    "secretsStoreCsi",
    "secrets_store_csi",
    "key_vault_secrets_provider",
    "secret_rotation_enabled",
    "secret_rotation_interval",
    "role_csi_secrets_user",
    "keyVaultSecrets",
    "key_vault_secrets",
    // azurerm: `key_vault_secrets_provider[0].secret_identity[0].object_id`, the CSI driver's
    // managed identity.
    "secret_identity",
    // The Application Gateway's TLS certificate by its Key Vault secret id
    // (`https://<vault>.vault.azure.net/secrets/<name>`): where the gateway reads it with its own
    // identity, never the certificate itself.
    "keyVaultSecretId",
    "key_vault_secret_id",
    "secrets",
];

/// Whether a parameter or variable name suggests it carries a secret.
fn secret_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['_', '-'], "");
    // A Key Vault's name or id is no secret; the vault holds them.
    let n = n.replace("keyvault", "");
    [
        "password",
        "passwd",
        "secret",
        "token",
        "credential",
        "connectionstring",
        "sas",
        "apikey",
        "accesskey",
        "privatekey",
        "sshkey",
        "certificate",
        "key",
    ]
    .iter()
    .any(|p| n.contains(p))
}

/// Identifier-like words of a text: runs of letters, digits and underscores.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// A run of base64 characters with a segment of 24 or more characters mixing upper case, lower
/// case and digits: what keys and tokens look like, and names and paths do not.
fn high_entropy(text: &str) -> Option<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=".contains(c)))
        .filter(|run| run.len() >= 32)
        .find(|run| {
            run.split('/').any(|seg| {
                seg.len() >= 24
                    && seg.bytes().any(|b| b.is_ascii_uppercase())
                    && seg.bytes().any(|b| b.is_ascii_lowercase())
                    && seg.bytes().any(|b| b.is_ascii_digit())
            })
        })
}

/// Problems with one file's text, whatever its format.
fn text_problems(path: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    for f in FORBIDDEN {
        if let Some(i) = lower.find(f) {
            let line = text[..i].lines().count().max(1);
            out.push(format!("{path}:{line}: contains {f:?}"));
        }
    }
    for w in words(text) {
        let l = w.to_ascii_lowercase();
        // `role_...` (Bicep) and `<deployment>_role_...` (Terraform) are the symbolic names of
        // role assignments such as "Key Vault Secrets User": they grant access to secrets, they
        // hold none.
        let role_assignment = w.starts_with("role_") || w.contains("_role_");
        if l.contains("secret") && !SAFE_SECRET_WORDS.contains(&w) && !role_assignment {
            out.push(format!("{path}: the word {w:?} names a secret"));
        }
    }
    if let Some(run) = high_entropy(text) {
        out.push(format!("{path}: {run:?} looks like a key or token"));
    }
    out
}

/// Every parameter of an ARM template, its nested inline templates included: (name, definition).
fn arm_parameters(t: &Value, out: &mut Vec<(String, Value)>) {
    if let Some(params) = t.get("parameters").and_then(Value::as_object) {
        for (k, v) in params {
            out.push((k.clone(), v.clone()));
        }
    }
    for r in t
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(inner) = r.pointer("/properties/template") {
            arm_parameters(inner, out);
        }
    }
}

/// Keys whose name suggests a secret hold no literal value. Parameter declarations and the
/// values passed to nested deployments are judged by their declarations instead.
fn walk(v: &Value, at: &str, path: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "parameters" {
                    continue;
                }
                let l = k.to_ascii_lowercase();
                let suspicious = [
                    "password",
                    "secret",
                    "privatekey",
                    "publickey",
                    "keydata",
                    "sshkey",
                    "token",
                ]
                .iter()
                .any(|p| l.contains(p))
                    && !SAFE_SECRET_WORDS.contains(&k.as_str());
                if suspicious && !x.is_boolean() {
                    out.push(format!("{path}: {at}/{k} holds a value"));
                }
                walk(x, &format!("{at}/{k}"), path, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, &format!("{at}/{i}"), path, out);
            }
        }
        _ => {}
    }
}

fn arm_problems(path: &str, text: &str, parameter_file: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return vec![format!("{path}: not JSON")];
    };
    let mut params = Vec::new();
    arm_parameters(&doc, &mut params);
    for (name, def) in params {
        let ty = def
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let secure = ty == "securestring" || ty == "secureobject";
        if secret_like(&name) && !secure {
            out.push(format!(
                "{path}: parameter {name} looks like a secret but has type {ty:?}, not securestring"
            ));
        }
        if secure && def.get("defaultValue").is_some_and(|d| !d.is_null()) {
            out.push(format!(
                "{path}: secure parameter {name} has a literal default"
            ));
        }
        if secure {
            if let Some(v) =
                parameter_file.and_then(|p| p.pointer(&format!("/parameters/{name}/value")))
            {
                out.push(format!(
                    "main.parameters.json gives secure parameter {name} a literal value {v}; use a Key Vault reference"
                ));
            }
        }
    }
    walk(&doc, "", path, &mut out);
    out
}

fn bicep_problems(path: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("param ") else {
            continue;
        };
        let name = rest.split_whitespace().next().unwrap_or_default();
        // Decorators sit on the lines right above the declaration.
        let secure = lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.trim_start().starts_with('@'))
            .any(|l| l.trim_start().starts_with("@secure()"));
        if secret_like(name) && !secure {
            out.push(format!(
                "{path}:{}: param {name} looks like a secret but is not @secure()",
                i + 1
            ));
        }
        if secure && rest.contains('=') {
            out.push(format!(
                "{path}:{}: @secure() param {name} has a default",
                i + 1
            ));
        }
    }
    out
}

fn terraform_json_problems(path: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return vec![format!("{path}: not JSON")];
    };
    for (kind, map) in [
        ("variable", doc.get("variable")),
        ("output", doc.get("output")),
    ] {
        for (name, def) in map.and_then(Value::as_object).into_iter().flatten() {
            let sensitive = def.get("sensitive").and_then(Value::as_bool) == Some(true);
            if secret_like(name) && !sensitive {
                out.push(format!(
                    "{path}: {kind} {name} looks like a secret but is not sensitive = true"
                ));
            }
        }
    }
    out
}

fn terraform_hcl_problems(path: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<(String, bool)> = None;
    for line in text.lines().map(str::trim) {
        for kind in ["variable", "output"] {
            if let Some(rest) = line.strip_prefix(kind).map(str::trim_start) {
                if let Some(name) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) {
                    current = Some((name.to_string(), false));
                }
            }
        }
        if let Some((_, sensitive)) = &mut current {
            if line.replace(' ', "") == "sensitive=true" {
                *sensitive = true;
            }
        }
        if line == "}" {
            if let Some((name, sensitive)) = current.take() {
                if secret_like(&name) && !sensitive {
                    out.push(format!(
                        "{path}: {name} looks like a secret but is not sensitive"
                    ));
                }
            }
        }
    }
    out
}

/// Sensitive Terraform variables must not get a literal value in a `.tfvars.json` file.
fn tfvars_problems(label: &str, files: &Files) -> Vec<String> {
    let mut sensitive = BTreeSet::new();
    for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".tf.json")) {
        let doc = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
        for (name, def) in doc
            .get("variable")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if def.get("sensitive").and_then(Value::as_bool) == Some(true) {
                sensitive.insert((
                    path.rsplit_once('/').map_or("", |(d, _)| d).to_string(),
                    name.clone(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    for (path, text) in files.iter().filter(|(p, _)| p.ends_with(".tfvars.json")) {
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let doc = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
        for name in doc.as_object().into_iter().flat_map(|m| m.keys()) {
            if sensitive.contains(&(dir.clone(), name.clone())) {
                out.push(format!(
                    "{label}: {path} gives sensitive variable {name} a literal value"
                ));
            }
        }
    }
    out
}

/// Every problem in a rendered file set.
fn scan(label: &str, files: &Files) -> Vec<String> {
    let mut out = tfvars_problems(label, files);
    let params_file = files
        .get("arm/main.parameters.json")
        .and_then(|t| serde_json::from_str::<Value>(t).ok());
    for (path, text) in files {
        let shown = format!("{label}: {path}");
        out.extend(text_problems(&shown, text));
        let ext = Path::new(path)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let tf_json = path.to_ascii_lowercase().ends_with(".tf.json");
        match ext.as_str() {
            "json" if tf_json => out.extend(terraform_json_problems(&shown, text)),
            "json" if text.contains("deploymentTemplate.json#") => {
                out.extend(arm_problems(&shown, text, params_file.as_ref()));
            }
            "json" => out.extend(arm_problems(&shown, text, None)),
            "bicep" | "bicepparam" => out.extend(bicep_problems(&shown, text)),
            "tf" => out.extend(terraform_hcl_problems(&shown, text)),
            _ => {}
        }
    }
    out
}

/// Every implemented format, every Terraform flavour.
fn render_all(estate: &aks_harden::Estate) -> Files {
    let mut files = support::render(estate, Format::IMPLEMENTED).expect("render");
    if Format::IMPLEMENTED.contains(&Format::Terraform) {
        let azapi = Options {
            terraform_provider: TerraformProvider::Azapi,
        };
        let more = support::render_with(estate, &[Format::Terraform], azapi).expect("azapi");
        for (k, v) in more {
            files.insert(format!("azapi:{k}"), v);
        }
    }
    files
}

#[test]
fn no_output_of_any_profile_or_fixture_carries_a_secret() {
    let mut estates: Vec<(String, aks_harden::Estate)> = aks_harden::profile::BUILTIN
        .iter()
        .map(|(name, _)| {
            (
                format!("profile {name}"),
                aks_harden::load_profile(name).expect("profile"),
            )
        })
        .collect();
    let valid = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid");
    let mut paths: Vec<_> = std::fs::read_dir(&valid)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    for p in paths {
        let estate = aks_harden::load_file(&p).expect("valid fixture");
        estates.push((p.display().to_string(), estate));
    }
    let mut problems = Vec::new();
    let mut scanned = 0;
    for (label, estate) in &estates {
        let files = render_all(estate);
        scanned += files.len();
        problems.extend(scan(label, &files));
    }
    assert!(scanned > 0);
    assert!(
        problems.is_empty(),
        "secrets or insecure parameters in the output:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn the_scanner_finds_planted_secrets() {
    let planted = [
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC user@host",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG user@host",
        "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc==",
        "https://x.blob.core.windows.net/c?sv=2022-11-02&ss=b&sig=abc%3D",
        "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=abc",
        "\"clientSecret\": \"abc\"",
        "\"adminPassword\": \"hunter2\"",
        "[listKeys(resourceId('Microsoft.Storage/storageAccounts', 'x'), '2023-01-01').keys[0].value]",
        "token: dGhpc0lzQVNlY3JldFRva2VuV2l0aDEyMzQ1Njc4OTA=",
        "\"mySecretValue\": 1",
    ];
    for p in planted {
        assert!(!text_problems("planted", p).is_empty(), "not found: {p}");
    }
    for safe in [
        "\"enableSecretRotation\": \"true\"",
        "azureKeyvaultSecretsProvider",
        "[guid(resourceGroup().id, 'aks-contoso-prod')]",
        "Microsoft.ContainerService/managedClusters/maintenanceConfigurations",
        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "/providers/Microsoft.Authorization/policySetDefinitions/42b8ef37-b724-4e24-bbc8-7a7708edfe00",
    ] {
        assert!(
            text_problems("safe", safe).is_empty(),
            "false alarm: {safe}"
        );
    }

    // Parameters: a secret-like name must be secure, and a secure one has no literal value.
    let arm = |ty: &str, default: &str| {
        format!(
            r#"{{"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
                "parameters": {{"adminPassword": {{"type": "{ty}"{default}}}}},
                "resources": [{{"properties": {{"template": {{"parameters": {{"sasToken": {{"type": "string"}}}}}}}}}}]}}"#
        )
    };
    let plain = arm_problems("t.json", &arm("string", ""), None);
    assert_eq!(plain.len(), 2, "{plain:#?}");
    let secure = arm_problems("t.json", &arm("securestring", ""), None);
    assert_eq!(secure.len(), 1, "the nested sasToken only: {secure:#?}");
    let with_default = arm_problems(
        "t.json",
        &arm("securestring", r#", "defaultValue": "x""#),
        None,
    );
    assert_eq!(with_default.len(), 2, "{with_default:#?}");
    let params = serde_json::json!({"parameters": {"adminPassword": {"value": "hunter2"}}});
    assert_eq!(
        arm_problems("t.json", &arm("securestring", ""), Some(&params)).len(),
        2
    );

    assert_eq!(
        bicep_problems(
            "m.bicep",
            "param adminPassword string\n@secure()\nparam sshKey string\n"
        )
        .len(),
        1
    );
    assert_eq!(
        bicep_problems(
            "m.bicep",
            "@description('x')\n@secure()\nparam apiToken string\n"
        )
        .len(),
        0
    );
    assert_eq!(
        terraform_json_problems(
            "v.tf.json",
            r#"{"variable": {"client_secret": {"type": "string"}, "sas_token": {"type": "string", "sensitive": true}, "tenant_id": {}}}"#
        )
        .len(),
        1
    );
    assert_eq!(
        terraform_hcl_problems(
            "v.tf",
            "variable \"db_password\" {\n  type = string\n}\nvariable \"api_key\" {\n  sensitive = true\n}\n"
        )
        .len(),
        1
    );
    let tf = |sensitive: bool| -> Files {
        [
            (
                "terraform/variables.tf.json".to_string(),
                format!(r#"{{"variable": {{"api_token": {{"sensitive": {sensitive}}}}}}}"#),
            ),
            (
                "terraform/terraform.tfvars.json".to_string(),
                r#"{"api_token": "abc"}"#.to_string(),
            ),
        ]
        .into_iter()
        .collect()
    };
    assert_eq!(tfvars_problems("t", &tf(true)).len(), 1);
    assert!(tfvars_problems("t", &tf(false)).is_empty());
    assert!(!secret_like("tenantId"));
    assert!(!secret_like("prodSubscriptionId"));
    assert!(!secret_like("prodAdminGroupObjectIds"));
    assert!(!secret_like("keyVaultName"));
    assert!(secret_like("storageAccountKey"));
    assert!(secret_like("client_secret"));
}
