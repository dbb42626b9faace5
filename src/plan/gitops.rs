//! GitOps with Flux, when a spoke asks for it: the `microsoft.flux` cluster extension and one Flux
//! configuration on the spoke's cluster, both extension resources scoped to the cluster, in a
//! `<spoke>-gitops` deployment after the cluster's; and the firewall rule that lets Flux work.
//!
//! Flux pulls, over HTTPS, the repository the estate names and applies the folder it names. What
//! the extension needs beyond the repository is Microsoft's documented egress for it: the
//! regional Kubernetes Configuration data plane, Azure Resource Manager, Entra ID and the
//! Microsoft Container Registry ("Tutorial: Deploy applications using GitOps with Flux v2",
//! network requirements; "Outbound network and FQDN rules for AKS clusters", cluster extensions).
//! The extension's controllers run in `flux-system`, which the cluster's admission policies leave
//! out (see `cluster.rs`): their images come from MCR and one of them mounts a host path.

use super::{res, rg_deployment, spoke_sub_param, types};
use crate::ir::{Deployment, Target, Value};
use crate::model::{Estate, GitOps, Spoke, SubnetRole};
use crate::obj;
use indexmap::IndexMap;

/// The extension's name on the cluster.
const EXTENSION: &str = "flux";
/// The Flux configuration's name on the cluster.
const CONFIGURATION: &str = "cluster-config";
/// The one Kustomization of the configuration.
const KUSTOMIZATION: &str = "cluster";
/// How long Flux waits for the repository, and for the Kustomization to apply, in seconds.
const SOURCE_TIMEOUT: u32 = 180;
const APPLY_TIMEOUT: u32 = 600;

/// The spoke's GitOps deployment, when the estate asks for Flux.
pub(crate) fn gitops(estate: &Estate, s: &Spoke) -> Option<Deployment> {
    let g = s.cluster.gitops.as_ref()?;
    let cluster = Target::new(types::AKS, &[&s.cluster.name]);
    let mut extension = res(
        "flux_extension",
        types::K8S_EXTENSION,
        &[EXTENSION],
        obj! {
            "properties" => obj! {
                "extensionType" => "microsoft.flux",
                // Minor releases carry Flux's security fixes; Microsoft supports the newest three.
                "autoUpgradeMinorVersion" => true,
                "releaseTrain" => "Stable",
                "scope" => obj! {
                    "cluster" => obj! { "releaseNamespace" => GitOps::NAMESPACE },
                },
            },
        },
    );
    extension.scope = Some(cluster.clone());
    let mut configuration = res(
        "flux_configuration",
        types::FLUX_CONFIG,
        &[CONFIGURATION],
        obj! { "properties" => configuration_properties(g) },
    );
    configuration.scope = Some(cluster);
    configuration.depends_on.push("flux_extension".into());
    Some(rg_deployment(
        format!("{}-gitops", s.key),
        Some(&spoke_sub_param(s)),
        &s.cluster_rg,
        vec![extension, configuration],
        // The hub's firewall rules let the extension's agents out.
        vec![
            format!("{}-cluster", s.key),
            super::hub::deployment_id(estate),
        ],
    ))
}

fn configuration_properties(g: &GitOps) -> Value {
    let mut kustomizations = IndexMap::new();
    kustomizations.insert(
        KUSTOMIZATION.to_string(),
        obj! {
            "path" => &g.path,
            "prune" => g.prune,
            "syncIntervalInSeconds" => g.sync_interval_seconds,
            "timeoutInSeconds" => APPLY_TIMEOUT,
        },
    );
    obj! {
        "scope" => "cluster",
        "namespace" => GitOps::NAMESPACE,
        "sourceKind" => "GitRepository",
        "suspend" => false,
        "gitRepository" => obj! {
            "url" => &g.url,
            "repositoryRef" => obj! { "branch" => &g.branch },
            "syncIntervalInSeconds" => g.sync_interval_seconds,
            "timeoutInSeconds" => SOURCE_TIMEOUT,
            "localAuthRef" => g.credentials_secret.clone(),
        },
        "kustomizations" => Value::Object(kustomizations),
    }
}

/// The egress Flux on spoke `s` needs, as (rule name, sources, FQDNs on HTTPS 443): the spoke's
/// node subnets, where Flux runs, to Microsoft's documented endpoints for the extension and to
/// the repository's host. `None` without GitOps.
pub(crate) fn egress(estate: &Estate, s: &Spoke) -> Option<(String, Vec<String>, Vec<String>)> {
    let g = s.cluster.gitops.as_ref()?;
    let sources = s
        .subnets
        .iter()
        .filter(|n| matches!(n.role, SubnetRole::System | SubnetRole::User))
        .map(|n| n.cidr.to_string())
        .collect();
    let mut fqdns = vec![
        // Configuration and status: the extension's data plane in the cluster's region.
        format!("{}.dp.kubernetesconfiguration.azure.com", estate.location),
        // The agents' Azure Resource Manager calls and their Entra ID tokens.
        "management.azure.com".to_string(),
        "login.microsoftonline.com".to_string(),
        // The controllers' images, and the registry's storage behind its CDN.
        "mcr.microsoft.com".to_string(),
        "*.data.mcr.microsoft.com".to_string(),
    ];
    if !fqdns.contains(&g.host) {
        fqdns.push(g.host.clone());
    }
    Some((format!("gitops-{}", s.key), sources, fqdns))
}
