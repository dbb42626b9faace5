//! The validated estate: resolved names, parsed address ranges, computed addresses. Built only by
//! [`crate::validate`], read only by [`crate::plan`]. No serde, no I/O. The small vocabulary
//! enums (tiers, SKUs, channels) are shared with the estate-file types in [`crate::profile`].

mod cidr;

pub use crate::posture::{Tier, Waiver};
pub use crate::profile::{
    BastionSku, ClusterTier, FirewallMode, FirewallSku, FleetChannel, KeyVaultSku, NetworkPolicy,
    NetworkRule, NodeOsChannel, OsDiskType, OsSku, PaasAccess, PodSecurityLevel, PolicyEffect,
    PoolMode, UpgradeChannel, WafMode,
};
pub use cidr::{Cidr, CidrError};
use indexmap::IndexMap;
use std::net::Ipv4Addr;

/// A validated estate, ready to plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Estate {
    /// Short estate name.
    pub name: String,
    /// One-line description.
    pub description: String,
    /// Security tier.
    pub tier: Tier,
    /// Azure region.
    pub location: String,
    /// Tenant id, when the estate gives it (else a template parameter).
    pub tenant_id: Option<String>,
    /// Tags for every resource.
    pub tags: IndexMap<String, String>,
    /// The hub of `location`.
    pub hub: Hub,
    /// The hubs of other regions, by region.
    pub regional_hubs: Vec<Hub>,
    /// The resource group of the shared private DNS zones (the hub of `location`'s).
    pub zones_resource_group: String,
    /// The spokes, in the estate's order.
    pub spokes: Vec<Spoke>,
    /// Defender plans on workload subscriptions.
    pub defender: Defender,
    /// `CanNotDelete` locks on every resource group.
    pub locks: bool,
    /// Recorded relaxations.
    pub waivers: Vec<Waiver>,
    /// Email alert receivers, `(name, address)`, sorted by name.
    pub alert_emails: Vec<(String, String)>,
    /// Azure Kubernetes Fleet Manager, when the estate has a fleet.
    pub fleet: Option<Fleet>,
}

/// Azure Kubernetes Fleet Manager for the estate's clusters, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    /// Fleet name.
    pub name: String,
    /// Its resource group.
    pub resource_group: String,
    /// The management subscription, when the estate names one (else the connectivity one).
    pub subscription_id: Option<String>,
    /// The update strategy's name.
    pub strategy_name: String,
    /// Its stages in order, each with at least one group that has members.
    pub stages: Vec<FleetStage>,
    /// Fleet-driven Kubernetes upgrades, when on.
    pub kubernetes: Option<FleetChannel>,
    /// Fleet-driven node image upgrades.
    pub node_image: bool,
}

/// A stage of the fleet's update strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetStage {
    /// Stage name.
    pub name: String,
    /// Update groups, updated in parallel.
    pub groups: Vec<String>,
    /// Seconds to wait after the stage.
    pub after_wait_seconds: Option<u32>,
}

/// Defender plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defender {
    /// Defender for Containers.
    pub containers: bool,
    /// Defender for Key Vault.
    pub key_vaults: bool,
    /// Defender for Resource Manager.
    pub arm: bool,
}

/// The connectivity hub.
#[derive(Debug, Clone, PartialEq)]
pub struct Hub {
    /// Azure region.
    pub region: String,
    /// What the names of the hub's resources end with: nothing for the hub of `location`,
    /// `-<region>` for a regional hub.
    pub suffix: String,
    /// Resource group name.
    pub resource_group: String,
    /// VNet name.
    pub vnet_name: String,
    /// VNet range.
    pub address_space: Cidr,
    /// `AzureFirewallSubnet`.
    pub firewall_subnet: Cidr,
    /// `AzureFirewallManagementSubnet`, for forced tunnelling.
    pub management_subnet: Option<Cidr>,
    /// The firewall.
    pub firewall: Firewall,
    /// Azure Bastion, when the estate has one.
    pub bastion: Option<Bastion>,
    /// The operations subnet, when the estate has one.
    pub operations: Option<Operations>,
}

/// Azure Bastion in the hub, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Bastion {
    /// Bastion host name.
    pub name: String,
    /// Its public IP's name.
    pub public_ip_name: String,
    /// The NSG on `AzureBastionSubnet`.
    pub nsg_name: String,
    /// `AzureBastionSubnet`.
    pub subnet: Cidr,
    /// Tier.
    pub sku: BastionSku,
}

/// The hub's operations subnet: self-hosted runners and jump hosts.
#[derive(Debug, Clone, PartialEq)]
pub struct Operations {
    /// Subnet name.
    pub name: String,
    /// Range.
    pub subnet: Cidr,
    /// Its NSG.
    pub nsg_name: String,
    /// Its route table (default route through the firewall).
    pub route_table_name: String,
}

/// A spoke's Application Gateway WAF_v2 in front of an internal load balancer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    /// Gateway name.
    pub gateway_name: String,
    /// WAF policy name.
    pub waf_policy_name: String,
    /// The gateway's public IP name.
    pub public_ip_name: String,
    /// The gateway's user-assigned identity name.
    pub identity_name: String,
    /// WAF mode.
    pub waf_mode: WafMode,
    /// Key Vault secret id of the TLS certificate.
    pub certificate_secret_id: String,
    /// Whether the certificate is the default secret in the spoke's vault (the user imports it).
    pub certificate_in_spoke_vault: bool,
    /// Host name the HTTPS listener answers.
    pub host_name: Option<String>,
    /// Fixed private address of the internal load balancer.
    pub private_ip: Ipv4Addr,
    /// Zones for the gateway and its public IP.
    pub zones: Vec<String>,
}

/// Azure Firewall, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Firewall {
    /// Firewall name.
    pub name: String,
    /// Firewall policy name.
    pub policy_name: String,
    /// Public IP name for the data path.
    pub public_ip_name: String,
    /// Public IP name for the management path (forced tunnelling).
    pub management_ip_name: String,
    /// Tier.
    pub sku: FirewallSku,
    /// Threat intelligence mode.
    pub threat_intel_mode: FirewallMode,
    /// IDPS mode (Premium).
    pub idps_mode: Option<FirewallMode>,
    /// DNS proxy.
    pub dns_proxy: bool,
    /// Zones.
    pub zones: Vec<String>,
    /// Private IP: the fourth address of `AzureFirewallSubnet`.
    pub private_ip: Ipv4Addr,
    /// Upstream next hop for forced tunnelling.
    pub upstream_next_hop: Option<Ipv4Addr>,
    /// Extra HTTPS FQDN rules.
    pub extra_fqdns: IndexMap<String, Vec<String>>,
}

/// What a spoke subnet is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubnetRole {
    /// System node pool.
    System,
    /// User node pools.
    User,
    /// API server VNet integration (delegated).
    ApiServer,
    /// Private endpoints.
    PrivateEndpoints,
    /// Internal ingress (the internal load balancer).
    Ingress,
    /// Application Gateway, alone in its subnet.
    ApplicationGateway,
}

impl SubnetRole {
    /// Short name used in resource names.
    pub fn key(self) -> &'static str {
        match self {
            SubnetRole::System => "system",
            SubnetRole::User => "user",
            SubnetRole::ApiServer => "apiserver",
            SubnetRole::PrivateEndpoints => "endpoints",
            SubnetRole::Ingress => "ingress",
            SubnetRole::ApplicationGateway => "appgw",
        }
    }

    /// The subnet's key in the estate's `subnets` and `subnetLayout`.
    pub fn field(self) -> &'static str {
        match self {
            SubnetRole::System => "system",
            SubnetRole::User => "user",
            SubnetRole::ApiServer => "apiServer",
            SubnetRole::PrivateEndpoints => "privateEndpoints",
            SubnetRole::Ingress => "ingress",
            SubnetRole::ApplicationGateway => "applicationGateway",
        }
    }

    /// Whether cluster traffic from this subnet is routed through the firewall.
    pub fn routed(self) -> bool {
        matches!(
            self,
            SubnetRole::System | SubnetRole::User | SubnetRole::ApiServer
        )
    }
}

/// A spoke subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    /// Role.
    pub role: SubnetRole,
    /// Subnet name.
    pub name: String,
    /// Its NSG's name.
    pub nsg_name: String,
    /// Range.
    pub cidr: Cidr,
}

/// A workload spoke.
#[derive(Debug, Clone, PartialEq)]
pub struct Spoke {
    /// Environment key (map key in the estate).
    pub key: String,
    /// Azure region of the spoke and its resources.
    pub region: String,
    /// Subscription id, when given.
    pub subscription_id: Option<String>,
    /// Network resource group.
    pub network_rg: String,
    /// Cluster resource group.
    pub cluster_rg: String,
    /// Shared-services resource group.
    pub shared_rg: String,
    /// AKS node resource group.
    pub nodes_rg: String,
    /// VNet name.
    pub vnet_name: String,
    /// VNet range.
    pub address_space: Cidr,
    /// Route table name.
    pub route_table_name: String,
    /// Subnets in a fixed order (system, user, apiserver, endpoints, ingress).
    pub subnets: Vec<Subnet>,
    /// PaaS access mode.
    pub paas_access: PaasAccess,
    /// The cluster.
    pub cluster: Cluster,
    /// Registry.
    pub registry: Registry,
    /// Key Vault.
    pub key_vault: KeyVault,
    /// Log Analytics workspace name.
    pub log_analytics_name: String,
    /// Log Analytics retention.
    pub log_retention_days: u32,
    /// The paired region the workspace replicates to, when replication is on.
    pub log_replica: Option<String>,
    /// Workload identities, by name.
    pub workloads: Vec<Workload>,
    /// The Application Gateway, when the spoke exposes workloads.
    pub ingress: Option<Ingress>,
    /// Namespaces AKS creates with guardrails, by name: the estate's and the workloads'.
    pub namespaces: Vec<Namespace>,
    /// The Azure Monitor workspace refuses public queries and has a private endpoint.
    pub private_monitoring: bool,
    /// The fleet update group the cluster joins, when the estate has a fleet.
    pub update_group: Option<String>,
    /// The spoke's own HTTPS application rules: (rule name in the policy, FQDNs), by name.
    pub egress_fqdns: Vec<(String, Vec<String>)>,
    /// The spoke's own network rules, by name.
    pub egress_network: Vec<EgressRule>,
}

/// A network rule whose source is one spoke's node subnets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgressRule {
    /// Rule name in the firewall policy.
    pub name: String,
    /// IP protocols as the firewall spells them (`TCP`, `UDP`, `ICMP`).
    pub protocols: Vec<String>,
    /// Destination addresses, CIDRs or service tags.
    pub addresses: Vec<String>,
    /// Destination FQDNs.
    pub fqdns: Vec<String>,
    /// Destination ports or ranges.
    pub ports: Vec<String>,
}

/// A managed namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// Kubernetes name.
    pub name: String,
    /// Default ingress policy.
    pub ingress: NetworkRule,
    /// Default egress policy.
    pub egress: NetworkRule,
    /// Quota: CPU requests, CPU limits, memory requests, memory limits.
    pub quota: [String; 4],
}

/// A workload identity federated with a Kubernetes service account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Key in the estate.
    pub key: String,
    /// User-assigned identity name.
    pub identity: String,
    /// Kubernetes namespace.
    pub namespace: String,
    /// Kubernetes service account.
    pub service_account: String,
    /// Key Vault Secrets User on the spoke's vault.
    pub key_vault_secrets: bool,
    /// AcrPull on the spoke's registry.
    pub acr_pull: bool,
}

impl Estate {
    /// Every hub: the hub of `location` first, then the regional hubs by region.
    pub fn hubs(&self) -> impl Iterator<Item = &Hub> {
        std::iter::once(&self.hub).chain(self.regional_hubs.iter())
    }

    /// The hub of `region` (the hub of `location` when no regional hub has it).
    pub fn hub_of(&self, region: &str) -> &Hub {
        self.regional_hubs
            .iter()
            .find(|h| h.region == region)
            .unwrap_or(&self.hub)
    }
}

impl Spoke {
    /// The subnet with `role`, if the spoke has one.
    pub fn subnet(&self, role: SubnetRole) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.role == role)
    }
}

/// The AKS cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Cluster name.
    pub name: String,
    /// DNS prefix.
    pub dns_prefix: String,
    /// Control-plane identity name.
    pub control_plane_identity: String,
    /// Kubelet identity name.
    pub kubelet_identity: String,
    /// Pinned Kubernetes version.
    pub kubernetes_version: Option<String>,
    /// Tier.
    pub sku_tier: ClusterTier,
    /// Private API server.
    pub private: bool,
    /// API server VNet integration.
    pub vnet_integration: bool,
    /// Run command disabled.
    pub disable_run_command: bool,
    /// Authorised ranges for a public API server.
    pub authorized_ip_ranges: Vec<Cidr>,
    /// The API server's own private DNS zone in the hub (private clusters).
    pub api_dns_zone: Option<String>,
    /// Network policy.
    pub network_policy: NetworkPolicy,
    /// Cilium dataplane.
    pub cilium_dataplane: bool,
    /// Pod CIDR.
    pub pod_cidr: Cidr,
    /// Service CIDR.
    pub service_cidr: Cidr,
    /// DNS service address.
    pub dns_service_ip: Ipv4Addr,
    /// Admin groups, when given.
    pub admin_group_object_ids: Option<Vec<String>>,
    /// Upgrade channel.
    pub upgrade_channel: UpgradeChannel,
    /// Node OS channel.
    pub node_os_channel: NodeOsChannel,
    /// Kubernetes upgrade window.
    pub auto_upgrade_window: Window,
    /// Node OS upgrade window.
    pub node_os_window: Window,
    /// Node pools, system pools first in estate order.
    pub pools: Vec<NodePool>,
    /// Azure Policy add-on.
    pub azure_policy: bool,
    /// Container Insights.
    pub container_insights: bool,
    /// Managed Prometheus.
    pub managed_prometheus: bool,
    /// Secrets Store CSI with rotation.
    pub secrets_store_csi: bool,
    /// Defender sensor.
    pub defender: bool,
    /// Workload identity and OIDC issuer.
    pub workload_identity: bool,
    /// Image cleaner interval.
    pub image_cleaner_interval_hours: Option<u32>,
    /// KMS etcd encryption.
    pub kms: bool,
    /// Who holds the key of the OS disks.
    pub disk_encryption: DiskEncryption,
    /// Pod security standard.
    pub pod_security: PodSecurityLevel,
    /// Its effect.
    pub pod_security_effect: PolicyEffect,
    /// Per-container CPU and memory limits.
    pub container_limits: (String, String),
    /// Istio revision, when the mesh is on.
    pub mesh_revision: Option<String>,
    /// The Flux extension and its configuration, when GitOps is on.
    pub gitops: Option<GitOps>,
}

/// GitOps with Flux on a cluster: one Git repository over HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitOps {
    /// The repository's HTTPS URL.
    pub url: String,
    /// The host of the URL, which the firewall lets the nodes reach on 443.
    pub host: String,
    /// Branch.
    pub branch: String,
    /// Kustomization path in the repository.
    pub path: String,
    /// Prune what the repository no longer declares.
    pub prune: bool,
    /// Seconds between syncs.
    pub sync_interval_seconds: u32,
    /// Kubernetes secret with the repository's credentials, for a private repository.
    pub credentials_secret: Option<String>,
}

impl GitOps {
    /// The namespace the Flux extension runs in and its configuration lives in.
    pub const NAMESPACE: &'static str = "flux-system";
}

/// Who holds the key that encrypts the nodes' OS disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskEncryption {
    /// Platform-managed keys.
    PlatformManaged,
    /// A disk encryption set aks-harden plans in the shared resource group, with this name.
    Planned(String),
    /// An existing disk encryption set, by resource id.
    Existing(String),
}

/// A weekly maintenance window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Day of week.
    pub day_of_week: String,
    /// `HH:MM`.
    pub start_time: String,
    /// Hours.
    pub duration_hours: u32,
    /// `+HH:MM`.
    pub utc_offset: String,
}

/// A node pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePool {
    /// Pool name.
    pub name: String,
    /// Mode.
    pub mode: PoolMode,
    /// VM size.
    pub vm_size: String,
    /// Autoscaler minimum.
    pub min_count: u32,
    /// Autoscaler maximum.
    pub max_count: u32,
    /// Zones.
    pub zones: Vec<String>,
    /// OS.
    pub os_sku: OsSku,
    /// OS disk kind.
    pub os_disk_type: OsDiskType,
    /// OS disk size.
    pub os_disk_size_gb: u32,
    /// Max pods.
    pub max_pods: u32,
    /// FIPS image.
    pub fips: bool,
    /// Kata VM isolation.
    pub sandbox: bool,
    /// Encryption at host.
    pub encryption_at_host: bool,
    /// Subnet role the nodes use.
    pub subnet: SubnetRole,
    /// Taints.
    pub taints: Vec<String>,
    /// Labels.
    pub labels: IndexMap<String, String>,
}

/// The container registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// Globally unique name.
    pub name: String,
    /// Untagged manifest retention.
    pub retention_days: u32,
    /// Zone redundancy.
    pub zone_redundancy: bool,
    /// Quarantine policy on.
    pub quarantine: bool,
    /// Principal that pushes and marks quarantined images.
    pub quarantine_writer: Option<String>,
}

/// The Key Vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVault {
    /// Globally unique name.
    pub name: String,
    /// Tier.
    pub sku: KeyVaultSku,
    /// Soft-delete retention.
    pub soft_delete_retention_days: u32,
    /// Name of the KMS key, when KMS is on.
    pub kms_key_name: Option<String>,
    /// Name of the OS disk key, when aks-harden plans a disk encryption set.
    pub disk_key_name: Option<String>,
}
