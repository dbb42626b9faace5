//! GitOps: the Flux cluster extension and its configuration, as azurerm's own
//! `azurerm_kubernetes_cluster_extension` and `azurerm_kubernetes_flux_configuration`, each on its
//! cluster (`cluster_id`, the target of the ARM extension resource).

use super::{As, B, Flat, Item, Tx, js};
use crate::ir::Value;
use serde_json::{Value as Json, json};

/// `git_repository` of `azurerm_kubernetes_flux_configuration`, from `properties.gitRepository`.
const GIT_REPOSITORY: &[Flat] = &[
    ("url", "url", As::Str),
    ("sync_interval_in_seconds", "syncIntervalInSeconds", As::Int),
    ("timeout_in_seconds", "timeoutInSeconds", As::Int),
    ("local_auth_reference", "localAuthRef", As::Str),
];

/// `kustomizations` of `azurerm_kubernetes_flux_configuration`, from each entry of
/// `properties.kustomizations` (keyed by name).
const KUSTOMIZATION: &[Flat] = &[
    ("path", "path", As::Str),
    ("garbage_collection_enabled", "prune", As::Bool),
    ("sync_interval_in_seconds", "syncIntervalInSeconds", As::Int),
    ("timeout_in_seconds", "timeoutInSeconds", As::Int),
];

/// How `repositoryRef` names what Flux follows: (ARM key, azurerm `reference_type`).
const REFERENCES: &[(&str, &str)] = &[
    ("branch", "branch"),
    ("tag", "tag"),
    ("semver", "semver"),
    ("commit", "commit"),
];

/// `azurerm_kubernetes_cluster_extension`.
pub(super) fn extension(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.named(it);
    b.put("cluster_id", tx.target(it).map(Json::String));
    tx.copy(
        it,
        &p,
        &mut b,
        &[
            ("extension_type", "extensionType", As::Str),
            ("release_train", "releaseTrain", As::Str),
            (
                "release_namespace",
                "scope.cluster.releaseNamespace",
                As::Str,
            ),
        ],
    );
    tx.emit(it, b);
}

/// `azurerm_kubernetes_flux_configuration` with a Git repository source.
pub(super) fn flux_configuration(tx: &mut Tx, it: &Item) {
    let p = it.root().get("properties");
    let mut b = tx.named(it);
    b.put("cluster_id", tx.target(it).map(Json::String));
    tx.copy(
        it,
        &p,
        &mut b,
        &[
            ("namespace", "namespace", As::Str),
            ("scope", "scope", As::Str),
            ("continuous_reconciliation_enabled", "suspend", As::NotBool),
        ],
    );
    // The source is the git_repository block itself.
    if !p.get("sourceKind").is("GitRepository") {
        tx.err(
            it,
            "properties.sourceKind",
            "only Git repository sources are translated",
        );
    }
    let git = p.get("gitRepository");
    let mut gb = B::default();
    tx.copy(it, &git, &mut gb, GIT_REPOSITORY);
    for (key, kind) in REFERENCES {
        if let Some(v) = git.get(&format!("repositoryRef.{key}")).str() {
            gb.put("reference_type", Some(json!(kind)));
            gb.put("reference_value", js(Some(v)));
            break;
        }
    }
    b.put("git_repository", Some(json!([gb.json()])));
    let ks = p.get("kustomizations");
    let names: Vec<String> = match ks.v {
        Some(Value::Object(o)) => o.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let blocks: Vec<Json> = names
        .iter()
        .map(|name| {
            let mut kb = B::default();
            kb.put("name", js(Some(name)));
            tx.copy(it, &ks.get(name), &mut kb, KUSTOMIZATION);
            kb.json()
        })
        .collect();
    b.put("kustomizations", Some(Json::Array(blocks)));
    tx.emit(it, b);
}
