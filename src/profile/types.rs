//! The estate file as written: `Deserialize` + `JsonSchema` types that mirror the JSON/YAML a user
//! writes, after `extends` has been merged. Nothing here is validated beyond its shape; the
//! `validate` module turns these into the typed [`crate::model::Estate`].

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A whole estate: one hub, one or more spokes (one per environment), and estate-wide settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "aks-harden estate")]
pub struct EstateFile {
    /// JSON Schema reference for editors; ignored by aks-harden.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The built-in profile this file extends (`dev`, `staging`, `prod`, `regulated`). Keys given
    /// here override the profile with JSON Merge Patch semantics: objects merge, `null` deletes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extends: Option<String>,
    /// One line that says what this estate is for.
    pub description: String,
    /// Short estate name used in every resource name: 2 to 10 lowercase letters and digits,
    /// starting with a letter.
    pub name: String,
    /// The security tier. `staging`, `prod` and `regulated` must satisfy every control their
    /// tier claims; `dev` records each relaxation as a waiver.
    pub tier: Tier,
    /// Azure region for every resource, e.g. `westeurope`.
    pub location: String,
    /// Entra ID tenant id. Absent: the template parameter `tenantId` defaults to the tenant of the
    /// deployment subscription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Tags written on every resource group and resource.
    #[serde(default)]
    pub tags: IndexMap<String, String>,
    /// The connectivity hub of `location`: network, firewall and shared private DNS.
    pub hub: Hub,
    /// Hubs for other regions, keyed by region (programmatic name, e.g. `canadaeast`): one for
    /// every region a spoke names besides `location`. Each entry is merged over `hub` with the
    /// same JSON Merge Patch rules as `extends`, so it usually writes only its `addressSpace`;
    /// the subnets it does not write are the hub's, moved to the same offsets inside its address
    /// space. Each regional hub has its own firewall, policy and operator path, and is peered
    /// with every other hub.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(schema_with = "crate::profile::schema::regional_hubs_schema")]
    pub regional_hubs: IndexMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Settings every spoke gets: each spoke is merged over them with the same JSON Merge Patch
    /// rules as `extends` (objects merge, `null` deletes, anything else replaces), so a spoke
    /// writes only what differs, often just its `subscriptionId` and `addressSpace`. Takes every
    /// spoke key except `addressSpace`, which each spoke gives itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::profile::schema::spoke_defaults_schema")]
    pub spoke_defaults: Option<serde_json::Map<String, serde_json::Value>>,
    /// Workload spokes keyed by environment name (lowercase letters and digits). An estate that
    /// lists spokes gets only those it names: a built-in profile's example spoke stays only when
    /// the estate names it (`"prod": {}` keeps it as the profile has it).
    pub spokes: IndexMap<String, Spoke>,
    /// Microsoft Defender for Cloud plans enabled on every workload subscription, declared once
    /// per subscription: spokes that write the same `subscriptionId` share one declaration.
    pub defender: DefenderPlans,
    /// `CanNotDelete` locks on every resource group.
    #[serde(default)]
    pub locks: bool,
    /// Deliberate relaxations of controls, keyed by control id.
    #[serde(default)]
    pub waivers: IndexMap<String, Waiver>,
    /// Who is told when an alert fires: the receivers of every action group the estate plans.
    #[serde(default)]
    pub alerts: Alerts,
    /// Staged upgrades across the estate's clusters with Azure Kubernetes Fleet Manager: a fleet
    /// (without a hub cluster) that every cluster joins, in the update group of its tier, and an
    /// update strategy whose stages run dev, then staging, then prod. Absent: no fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fleet: Option<Fleet>,
}

/// Azure Kubernetes Fleet Manager: one fleet for the estate's clusters and the order they take
/// updates in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fleet {
    /// The management subscription the fleet lives in. Absent: the connectivity subscription
    /// (the hub's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    /// The update strategy's stages, run one after the other; the groups of a stage update in
    /// parallel. Absent: `dev`, then `staging`, then `prod`, each stage the update group of the
    /// same name, a day's wait after dev and after staging; stages without clusters are left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<FleetStage>>,
    /// Fleet-driven auto-upgrade: new Kubernetes and node image releases start update runs that
    /// follow the strategy. What the fleet upgrades, the clusters' own channels no longer do.
    /// Absent: the clusters keep their own channels, and the strategy serves update runs started
    /// by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_upgrade: Option<FleetAutoUpgrade>,
}

/// One stage of the fleet's update strategy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetStage {
    /// Stage name: lowercase letters, digits and hyphens, e.g. `staging`.
    pub name: String,
    /// The update groups the stage updates in parallel. Absent: the group named like the stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Seconds to wait after the stage before the next one starts (0 to 604800, a week).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_stage_wait_seconds: Option<u32>,
}

/// What the fleet upgrades by itself, through its update strategy.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetAutoUpgrade {
    /// Kubernetes releases: `Stable` (the newest patch of minor N-1) or `Rapid` (of the newest
    /// minor), with one node image across the fleet. The clusters' upgrade channel becomes
    /// `none`, and a cluster may not pin `kubernetesVersion`: the fleet moves the minor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<FleetChannel>,
    /// Weekly node images through the fleet. The clusters' node OS channel becomes `None`.
    #[serde(default)]
    pub node_image: bool,
}

/// A Kubernetes channel Azure Kubernetes Fleet Manager follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FleetChannel {
    /// The newest patch of minor N-1, where N is the newest minor AKS supports.
    Stable,
    /// The newest patch of the newest minor AKS supports.
    Rapid,
}

/// Alert receivers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Alerts {
    /// Email receivers keyed by name (letters, digits and hyphens), e.g.
    /// `{ "platform-team": "platform@contoso.com" }`.
    #[serde(default)]
    pub email: IndexMap<String, String>,
}

/// How strict an estate must be.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Tier {
    /// Secure but cheap; relaxations are recorded as waivers.
    Dev,
    /// Production-like.
    Staging,
    /// Production.
    Prod,
    /// Production with regulated-industry extras (sandbox pool, FIPS, customer-managed keys).
    Regulated,
}

/// A documented relaxation of one control.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Waiver {
    /// Why the control is relaxed.
    pub reason: String,
    /// Last day the waiver holds, `YYYY-MM-DD`.
    pub expires: String,
    /// Who approved the waiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approver: Option<String>,
}

/// The connectivity hub. It lives in the subscription the templates are deployed to.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hub {
    /// Hub VNet address space (IPv4 CIDR).
    pub address_space: String,
    /// Hub subnets by role.
    pub subnets: HubSubnets,
    /// Azure Firewall and its policy.
    pub firewall: Firewall,
    /// Azure Bastion in `AzureBastionSubnet`: the operators' way to private API servers and to
    /// hosts in the operations subnet. Needs `subnets.bastion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bastion: Option<Bastion>,
}

/// Azure Bastion settings. Native-client tunnelling and IP-based connections are always on:
/// `az aks bastion` and `az network bastion tunnel` need them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bastion {
    /// Bastion tier; tunnelling needs `Standard` or `Premium`.
    pub sku: BastionSku,
}

/// Azure Bastion tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BastionSku {
    /// Standard: native client, tunnelling, IP-based connections.
    Standard,
    /// Premium: Standard plus recording of connections and private-only deployment.
    Premium,
}

/// Hub subnets. Azure fixes their names.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HubSubnets {
    /// `AzureFirewallSubnet`, at least /26.
    pub firewall: String,
    /// `AzureFirewallManagementSubnet`, at least /26; required for forced tunnelling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall_management: Option<String>,
    /// `AzureBastionSubnet`, at least /26; required for `bastion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bastion: Option<String>,
    /// Operations subnet for self-hosted CI runners and jump hosts: routed through the firewall,
    /// allowed to reach the API servers and the private endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<String>,
}

/// Azure Firewall settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Firewall {
    /// Firewall and policy tier.
    pub sku: FirewallSku,
    /// Threat intelligence mode of the policy.
    pub threat_intel_mode: FirewallMode,
    /// Intrusion detection mode (Premium only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idps_mode: Option<FirewallMode>,
    /// DNS proxy, so FQDN network rules and spoke DNS work through the firewall.
    pub dns_proxy: bool,
    /// Availability zones for the firewall and its public IPs.
    #[serde(default)]
    pub zones: Vec<String>,
    /// Forced tunnelling: the upstream next hop (on-premises NVA or gateway) for the firewall's
    /// own default route. Needs `subnets.firewallManagement`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_next_hop: Option<String>,
    /// Extra application rules allowing HTTPS to FQDNs, keyed by rule name.
    #[serde(default)]
    pub extra_fqdns: IndexMap<String, Vec<String>>,
}

/// Azure Firewall tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FirewallSku {
    /// Standard tier.
    Standard,
    /// Premium tier (IDPS, TLS inspection).
    Premium,
}

/// A firewall protection mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum FirewallMode {
    /// Alert and deny.
    Deny,
    /// Alert only.
    Alert,
    /// Off.
    Off,
}

/// One workload environment: its own subscription, VNet, cluster and shared services.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Spoke {
    /// Azure region of the spoke and all its resources (programmatic name, e.g. `canadaeast`).
    /// Absent: the estate's `location`. A region other than `location` needs its hub in
    /// `regionalHubs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Workload subscription id; spokes that write the same id share the subscription and its
    /// subscription-level resources (Defender plans), declared once. Absent: a template parameter
    /// `<spoke>SubscriptionId` that defaults to the deployment subscription, where the spoke
    /// declares its subscription's Defender plans itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    /// Spoke VNet address space (IPv4 CIDR).
    pub address_space: String,
    /// Spoke subnets by role. A subnet not written here is derived from `addressSpace` by
    /// `subnetLayout`; a subnet written here wins.
    #[serde(default)]
    pub subnets: SpokeSubnets,
    /// Where each subnet lies inside `addressSpace`, for the subnets not written in `subnets`:
    /// an offset into the address space and a prefix length, written like a CIDR. With
    /// `"user": "0.0.4.0/22"`, a spoke `10.7.0.0/16` gets the user subnet `10.7.4.0/22`. Usually
    /// given once, in `spokeDefaults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_layout: Option<SubnetLayout>,
    /// How Key Vault and ACR are reached from the spoke.
    pub paas_access: PaasAccess,
    /// The AKS cluster.
    pub cluster: Cluster,
    /// The container registry.
    pub registry: Registry,
    /// The Key Vault.
    pub key_vault: KeyVault,
    /// The Log Analytics workspace.
    pub log_analytics: LogAnalytics,
    /// Workload identities keyed by name: a user-assigned identity federated with one Kubernetes
    /// service account, granted at most the spoke's vault or registry.
    #[serde(default)]
    pub workload_identities: IndexMap<String, WorkloadIdentity>,
    /// How the spoke's workloads are exposed. Absent: nothing is exposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<Ingress>,
    /// Kubernetes namespaces keyed by name, created by AKS (managed namespaces) with a default
    /// network policy, a resource quota and the cluster's pod security level. Every namespace a
    /// workload identity names is created too, with the defaults.
    #[serde(default)]
    pub namespaces: IndexMap<String, Namespace>,
    /// Who may reach the spoke's monitoring data. Absent: Azure Monitor's public endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// GitOps with Flux: the `microsoft.flux` cluster extension and one Flux configuration that
    /// keeps the cluster in the state a Git repository declares. Absent: no Flux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gitops: Option<GitOps>,
    /// What this spoke's nodes may reach beyond what every spoke needs: hub firewall rules whose
    /// source is this spoke's node subnets only. Hub-wide allowances stay in
    /// `hub.firewall.extraFqdns`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<Egress>,
    /// The fleet update group the cluster joins (lowercase letters, digits and hyphens), when
    /// the estate has a `fleet`. Absent: its tier: the spoke's own name when it is `dev`,
    /// `staging` or `prod`, else the estate's tier (`regulated` is `prod`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_group: Option<String>,
}

/// A spoke's own egress through the hub firewall. Each rule is named `spoke-<spoke>-<name>` in
/// the firewall policy, and its source is the spoke's system and user node subnets.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Egress {
    /// Application rules allowing HTTPS (443) to FQDNs, keyed by rule name, as
    /// `hub.firewall.extraFqdns` but for this spoke alone.
    #[serde(default)]
    pub fqdns: IndexMap<String, Vec<String>>,
    /// Network rules keyed by rule name: protocols, destinations and ports.
    #[serde(default)]
    pub network: IndexMap<String, EgressNetworkRule>,
}

/// A network rule from a spoke's node subnets.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressNetworkRule {
    /// IP protocols.
    pub protocols: Vec<EgressProtocol>,
    /// Destination IPv4 addresses or CIDRs, or Azure service tags (`Storage.westeurope`).
    #[serde(default)]
    pub destination_addresses: Vec<String>,
    /// Destination FQDNs, resolved by the firewall's DNS proxy (which must be on).
    #[serde(default)]
    pub destination_fqdns: Vec<String>,
    /// Destination ports or port ranges (`587`, `8000-8080`).
    pub ports: Vec<String>,
}

/// An IP protocol of a firewall network rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum EgressProtocol {
    /// TCP.
    #[serde(rename = "TCP")]
    Tcp,
    /// UDP.
    #[serde(rename = "UDP")]
    Udp,
    /// ICMP.
    #[serde(rename = "ICMP")]
    Icmp,
}

/// Network access to a spoke's monitoring data.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Monitoring {
    /// Keep the Azure Monitor workspace (managed Prometheus) private: it refuses queries from
    /// public networks and is reached through a private endpoint (`prometheusMetrics`) in the
    /// spoke's private endpoint subnet, resolved through a private DNS zone in the hub. Needs
    /// managed Prometheus. Ingestion (the data collection endpoint, Log Analytics) stays on
    /// Azure Monitor's public endpoints behind the firewall: closing those takes an Azure
    /// Monitor Private Link Scope.
    #[serde(default)]
    pub private: bool,
}

/// A Flux configuration that syncs the cluster from a Git repository over HTTPS. The estate
/// holds no credentials: a private repository's are a Kubernetes secret the estate names.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GitOps {
    /// The repository's HTTPS URL, e.g. `https://github.com/contoso/platform`: no user name,
    /// password or token in it, no port other than 443. The firewall lets the spoke's nodes
    /// reach its host on 443.
    pub url: String,
    /// The branch Flux follows, e.g. `main`.
    pub branch: String,
    /// The folder in the repository Flux applies (a Kustomization), e.g. `./clusters/prod`.
    pub path: String,
    /// Remove from the cluster what is removed from the repository (default `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prune: Option<bool>,
    /// Seconds between two syncs (60 to 86400, default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_interval_seconds: Option<u32>,
    /// For a private repository: the name of a Kubernetes secret in `flux-system` that holds
    /// its `username` and `password` (a token), created on the cluster, never in the estate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret: Option<String>,
}

/// How a spoke's workloads are exposed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ingress {
    /// `none`, or an Application Gateway WAF_v2 in `subnets.applicationGateway` in front of an
    /// internal load balancer in `subnets.ingress`.
    #[serde(rename = "type")]
    pub kind: IngressKind,
    /// Web application firewall mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waf_mode: Option<WafMode>,
    /// Key Vault secret id of the TLS certificate (`https://<vault>.vault.azure.net/secrets/<name>`).
    /// Absent: the secret `ingress-tls` in the spoke's own vault, which you import before the
    /// gateway is deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_secret_id: Option<String>,
    /// Host name the HTTPS listener answers (SNI); absent answers every host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// Fixed private address of the internal load balancer in `subnets.ingress`; absent: the
    /// subnet's first usable address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_ip: Option<String>,
    /// Send the gateway subnet's default route through the hub firewall. Azure rejects a
    /// `0.0.0.0/0` route to a virtual appliance on an Application Gateway v2 subnet unless the
    /// gateway is deployed with network isolation, which aks-harden does not use: validation
    /// refuses `true`.
    #[serde(default)]
    pub route_through_firewall: bool,
}

/// What exposes a spoke's workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum IngressKind {
    /// Nothing is exposed.
    None,
    /// Application Gateway WAF_v2 with its WAF policy.
    ApplicationGateway,
}

/// Web application firewall mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum WafMode {
    /// Block what the rules match.
    Prevention,
    /// Log only (fails the ingress control for prod-like tiers).
    Detection,
}

/// A namespace's guardrails; every key is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Namespace {
    /// Default policy for traffic into the namespace's pods (default `denyAll`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<NetworkRule>,
    /// Default policy for traffic out of them (default `allowAll`: egress already leaves only
    /// through the firewall; `denyAll` also cuts DNS until the namespace allows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress: Option<NetworkRule>,
    /// Resource quota; absent keys take the defaults (CPU requests 4 and limits 8, memory requests
    /// 8Gi and limits 16Gi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
}

/// A namespace's default network policy in one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum NetworkRule {
    /// Deny all traffic.
    DenyAll,
    /// Allow traffic between the namespace's own pods only.
    AllowSameNamespace,
    /// Allow all traffic.
    AllowAll,
}

/// A namespace's resource quota, in Kubernetes quantities (`4`, `500m`, `8Gi`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quota {
    /// Total CPU requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_request: Option<String>,
    /// Total CPU limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit: Option<String>,
    /// Total memory requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_request: Option<String>,
    /// Total memory limits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
}

/// A workload identity: an Entra identity a Kubernetes service account can act as.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadIdentity {
    /// Kubernetes namespace of the service account.
    pub namespace: String,
    /// Kubernetes service account name.
    pub service_account: String,
    /// Read secrets from the spoke's Key Vault (Key Vault Secrets User on the vault).
    #[serde(default)]
    pub key_vault_secrets: bool,
    /// Pull images from the spoke's registry (AcrPull on the registry).
    #[serde(default)]
    pub acr_pull: bool,
}

/// Spoke subnets by role. Each one not written here comes from the spoke's `subnetLayout`; the
/// system, user, private endpoint and ingress subnets must come from one or the other.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SpokeSubnets {
    /// System node pool subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// User node pool subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// API server VNet integration subnet, exactly /28; required when VNet integration is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server: Option<String>,
    /// Private endpoint subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_endpoints: Option<String>,
    /// Internal ingress subnet: the internal load balancer in front of the ingress controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<String>,
    /// Application Gateway subnet, for the gateway alone; required for an Application Gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_gateway: Option<String>,
}

/// Where each spoke subnet lies inside the spoke's address space: an offset from its first
/// address and a prefix length, written like a CIDR (`0.0.4.0/22` is the /22 that starts 1,024
/// addresses in). Subnets derive from the spoke's own address space only, so adding or removing
/// a spoke never moves another spoke's ranges.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubnetLayout {
    /// System node pool subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// User node pool subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// API server VNet integration subnet (a /28), used when VNet integration is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_server: Option<String>,
    /// Private endpoint subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_endpoints: Option<String>,
    /// Internal ingress subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingress: Option<String>,
    /// Application Gateway subnet, used when the spoke has an Application Gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_gateway: Option<String>,
}

/// How the spoke reaches Key Vault and ACR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PaasAccess {
    /// Private endpoints and private DNS zones; public access disabled.
    PrivateEndpoints,
    /// Service endpoints on the node subnets and network ACLs (cheaper, dev only).
    ServiceEndpoints,
}

/// AKS cluster settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// Pinned Kubernetes version (`1.35`): a minor AKS supports. With the `patch` channel the
    /// cluster stays on that minor; absent lets the upgrade channel choose, so two deployments a
    /// month apart may differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// Control-plane tier.
    pub sku_tier: ClusterTier,
    /// API server exposure.
    pub api_server: ApiServer,
    /// Cluster networking.
    pub network: ClusterNetwork,
    /// Entra ID integration.
    #[serde(default)]
    pub entra: Entra,
    /// Upgrades and maintenance windows.
    pub upgrades: Upgrades,
    /// Node pools keyed by pool name (lowercase letters and digits, at most 12).
    pub node_pools: IndexMap<String, NodePool>,
    /// Add-ons; every add-on not named here is off.
    pub addons: Addons,
    /// Cluster security profile.
    pub security: ClusterSecurity,
    /// Pod security through Azure Policy.
    pub pod_security: PodSecurity,
    /// The most CPU and memory one container may ask for, enforced by Azure Policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_limits: Option<ContainerLimits>,
    /// Istio service mesh add-on with strict mTLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_mesh: Option<ServiceMesh>,
}

/// AKS control-plane tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ClusterTier {
    /// No uptime SLA.
    Free,
    /// Uptime SLA.
    Standard,
    /// Uptime SLA and long-term support: the cluster asks for `supportPlan: AKSLongTermSupport`,
    /// which AKS offers from Kubernetes 1.27 on.
    Premium,
}

/// API server exposure.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiServer {
    /// Private cluster: no public endpoint.
    pub private: bool,
    /// API server VNet integration in the `apiServer` subnet.
    #[serde(default)]
    pub vnet_integration: bool,
    /// Disable `az aks command invoke`.
    #[serde(default)]
    pub disable_run_command: bool,
    /// Public API server only: the client ranges allowed (IPv4 CIDRs).
    #[serde(default)]
    pub authorized_ip_ranges: Vec<String>,
}

/// Cluster networking: Azure CNI, overlay by default.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterNetwork {
    /// Network policy engine.
    pub policy: NetworkPolicy,
    /// Use Azure CNI powered by Cilium as the dataplane (needs policy `cilium`).
    #[serde(default)]
    pub cilium_dataplane: bool,
    /// Pod CIDR (Azure CNI Overlay): private to the cluster, so clusters may share one; outside
    /// every network the cluster reaches (its VNet, the hub, the other spokes) and apart from
    /// `serviceCidr`.
    pub pod_cidr: String,
    /// Service CIDR: virtual and cluster-local, so clusters may share one; outside every network
    /// the cluster reaches and apart from `podCidr`.
    pub service_cidr: String,
    /// Cluster DNS service address, inside `serviceCidr`.
    pub dns_service_ip: String,
}

/// Network policy engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum NetworkPolicy {
    /// Azure network policy manager.
    Azure,
    /// Calico.
    Calico,
    /// Cilium.
    Cilium,
}

/// Entra ID integration. The cluster always uses managed Entra ID with Azure RBAC.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entra {
    /// Object ids of the Entra groups that administer the cluster. Absent: a template parameter
    /// `<spoke>AdminGroupObjectIds` that the deployer must supply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_group_object_ids: Option<Vec<String>>,
}

/// Upgrade channels and planned maintenance windows.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Upgrades {
    /// Kubernetes upgrade channel.
    pub channel: UpgradeChannel,
    /// Node OS upgrade channel.
    pub node_os_channel: NodeOsChannel,
    /// Window for Kubernetes upgrades (`aksManagedAutoUpgradeSchedule`).
    pub auto_upgrade_window: MaintenanceWindow,
    /// Window for node OS upgrades (`aksManagedNodeOSUpgradeSchedule`).
    pub node_os_window: MaintenanceWindow,
}

/// Kubernetes upgrade channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum UpgradeChannel {
    /// Latest patch of the current minor version.
    Patch,
    /// Latest patch of minor version N-1.
    Stable,
    /// Latest supported version.
    Rapid,
    /// No automatic upgrades (fails the patching control).
    None,
}

/// Node OS upgrade channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum NodeOsChannel {
    /// Weekly node image.
    NodeImage,
    /// Security patches only, applied in place.
    SecurityPatch,
    /// No node OS upgrades (fails the patching control).
    None,
}

/// A weekly planned maintenance window.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MaintenanceWindow {
    /// Day of week, e.g. `Sunday`.
    pub day_of_week: String,
    /// Start time `HH:MM`.
    pub start_time: String,
    /// Length in hours (at least 4).
    pub duration_hours: u32,
    /// UTC offset `+HH:MM` or `-HH:MM`.
    pub utc_offset: String,
}

/// A node pool.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePool {
    /// System pools run only critical add-ons.
    pub mode: PoolMode,
    /// VM size.
    pub vm_size: String,
    /// Smallest node count (autoscaler minimum).
    pub min_count: u32,
    /// Largest node count (autoscaler maximum).
    pub max_count: u32,
    /// Availability zones.
    #[serde(default)]
    pub zones: Vec<String>,
    /// Node OS.
    pub os_sku: OsSku,
    /// Ephemeral or managed OS disk.
    pub os_disk_type: OsDiskType,
    /// OS disk size in GB.
    pub os_disk_size_gb: u32,
    /// Max pods per node (at least 50 with overlay).
    pub max_pods: u32,
    /// FIPS-enabled node image.
    #[serde(default)]
    pub fips: bool,
    /// VM-isolated pods (Kata) for untrusted workloads.
    #[serde(default)]
    pub sandbox: bool,
    /// Which spoke subnet the pool's nodes use.
    pub subnet: PoolSubnet,
    /// Kubernetes taints `key=value:Effect`.
    #[serde(default)]
    pub taints: Vec<String>,
    /// Kubernetes labels.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
}

/// Node pool mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PoolMode {
    /// Critical add-ons only.
    System,
    /// Workloads.
    User,
}

/// Node OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OsSku {
    /// Azure Linux.
    AzureLinux,
    /// Ubuntu.
    Ubuntu,
}

/// OS disk kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum OsDiskType {
    /// Local ephemeral disk.
    Ephemeral,
    /// Managed disk.
    Managed,
}

/// Spoke subnet a pool uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PoolSubnet {
    /// The system node subnet.
    System,
    /// The user node subnet.
    User,
}

/// Cluster add-ons. Dashboard and HTTP application routing are always off.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Addons {
    /// Azure Policy add-on (pod security through policy).
    pub azure_policy: bool,
    /// Container Insights to the spoke's Log Analytics workspace.
    pub container_insights: bool,
    /// Key Vault Secrets Store CSI driver with rotation.
    pub secrets_store_csi: bool,
    /// Managed Prometheus: metrics to an Azure Monitor workspace, with Microsoft's recommended
    /// recording rules and alerts.
    #[serde(default)]
    pub managed_prometheus: bool,
}

/// Cluster security profile.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSecurity {
    /// Microsoft Defender sensor on the cluster.
    pub defender: bool,
    /// OIDC issuer and workload identity.
    pub workload_identity: bool,
    /// Image cleaner interval in hours; absent turns it off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_cleaner_interval_hours: Option<u32>,
    /// Encrypt etcd secrets with a Key Vault key (KMS).
    pub kms: bool,
    /// Encryption at host on every pool.
    pub encryption_at_host: bool,
    /// Customer-managed key for OS disks: aks-harden plans a disk encryption set with an HSM key in
    /// the spoke's (Premium) vault.
    #[serde(default)]
    pub customer_managed_disk_key: bool,
    /// Customer-managed key for OS disks from an existing disk encryption set (its resource id);
    /// takes the place of `customerManagedDiskKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_encryption_set_id: Option<String>,
}

/// Pod security standard enforced through Azure Policy.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSecurity {
    /// Which Pod Security Standard.
    pub level: PodSecurityLevel,
    /// Policy effect.
    pub effect: PolicyEffect,
}

/// Per-container CPU and memory limits.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerLimits {
    /// CPU limit, e.g. `4` or `1500m`.
    pub cpu: String,
    /// Memory limit, e.g. `8Gi`.
    pub memory: String,
}

/// Pod Security Standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PodSecurityLevel {
    /// Baseline.
    Baseline,
    /// Restricted.
    Restricted,
}

/// Azure Policy effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PolicyEffect {
    /// Report only.
    Audit,
    /// Block non-compliant pods.
    Deny,
}

/// Istio service mesh add-on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceMesh {
    /// Istio control-plane revision, e.g. `asm-1-25`.
    pub revision: String,
}

/// Azure Container Registry settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Registry {
    /// Registry name (5 to 50 letters and digits, globally unique). Absent: derived from the
    /// estate and spoke names with a deterministic suffix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Days to keep untagged manifests.
    pub retention_days: u32,
    /// Zone redundancy.
    pub zone_redundancy: bool,
    /// Quarantine pushed images until something marks them passed. Off by default: images are
    /// admitted by Azure Policy (only this registry's images run) and scanned by Defender for
    /// Containers. On, it needs `quarantineWriter`, or no image ever becomes pullable.
    #[serde(default)]
    pub quarantine: bool,
    /// Object id of the principal (the CI pipeline's identity) that pushes images, scans them and
    /// marks them passed: it gets AcrPush and AcrQuarantineWriter on the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine_writer: Option<String>,
}

/// Key Vault settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeyVault {
    /// Vault name (3 to 24 letters, digits and hyphens, globally unique). Absent: derived from
    /// the estate and spoke names with a deterministic suffix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Vault tier; `premium` gives HSM-backed keys.
    pub sku: KeyVaultSku,
    /// Soft-delete retention (7 to 90 days).
    pub soft_delete_retention_days: u32,
}

/// Key Vault tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum KeyVaultSku {
    /// Software-protected keys.
    Standard,
    /// HSM-protected keys.
    Premium,
}

/// Log Analytics workspace settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogAnalytics {
    /// Retention in days (30 to 730).
    pub retention_days: u32,
    /// Replicate the workspace (and the hub's) to the region Azure pairs with `location`, so logs
    /// survive a regional outage.
    #[serde(default)]
    pub replication: bool,
}

/// Microsoft Defender for Cloud plans.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefenderPlans {
    /// Defender for Containers.
    pub containers: bool,
    /// Defender for Key Vault.
    #[serde(default)]
    pub key_vaults: bool,
    /// Defender for Resource Manager.
    #[serde(default)]
    pub arm: bool,
}
