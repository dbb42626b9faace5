//! A spoke: its address plan, cluster (network, API server, identity, security), node pools,
//! shared services and workload identities.

use super::address::{self, AddressPlan, ClusterRanges};
use super::{Range, Validator, esc, names, sorted, suffix};
use crate::azure::kubernetes;
use crate::diag::Code;
use crate::model::{self, Cidr, SubnetRole};
use crate::profile::{self, EstateFile, PoolSubnet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

impl Validator {
    pub(super) fn spoke(
        &mut self,
        f: &EstateFile,
        key: &str,
        s: &profile::Spoke,
        plan: &mut AddressPlan,
    ) -> model::Spoke {
        let p = format!("/spokes/{}", esc(key));
        let e = &f.name;
        self.name(&names::SPOKE, key, &p);
        if key == "hub" {
            self.err(
                Code::NameChars,
                &p,
                "spoke name \"hub\" is reserved for the connectivity hub".into(),
                "name the spoke after its environment, e.g. \"prod\" or \"qa\"".into(),
            );
        }
        if let Some(sub) = &s.subscription_id {
            self.guid(sub, &format!("{p}/subscriptionId"), "a subscription id");
        }
        let region = self.spoke_region(f, key, s, &p);
        let space = self.cidr(&s.address_space, &format!("{p}/addressSpace"));
        if let Some(c) = space {
            self.vnet_size(c, &format!("{p}/addressSpace"));
            plan.networks.push(Range {
                cidr: c,
                pointer: format!("{p}/addressSpace"),
                what: format!("spoke {key:?} address space"),
            });
        }
        let c = &s.cluster;
        let cp = format!("{p}/cluster");
        let api_needed = c.api_server.vnet_integration;
        let gateway = s
            .ingress
            .as_ref()
            .is_some_and(|i| i.kind == profile::IngressKind::ApplicationGateway);
        // Subnets as written, or derived from the address space by the layout.
        let wanted = self.spoke_subnets(&p, key, s, space, |role| match role {
            SubnetRole::ApiServer => api_needed,
            SubnetRole::ApplicationGateway => gateway,
            _ => true,
        });
        let mut subnets = Vec::new();
        let mut sranges = Vec::new();
        for address::SpokeSubnet {
            role,
            field,
            cidr,
            pointer: ptr,
        } in wanted
        {
            if role == SubnetRole::ApiServer && cidr.prefix_len() != 28 {
                self.err(
                    Code::SubnetSize,
                    &ptr,
                    format!("API server subnet {cidr} is not a /28"),
                    "API server VNet integration takes a delegated /28 subnet".into(),
                );
            }
            if matches!(role, SubnetRole::System | SubnetRole::User) && cidr.prefix_len() > 28 {
                self.err(
                    Code::SubnetSize,
                    &ptr,
                    format!("node subnet {cidr} is too small"),
                    "node subnets need at least a /28; a /24 leaves room to scale".into(),
                );
            }
            if role == SubnetRole::PrivateEndpoints && cidr.prefix_len() > 28 {
                self.err(
                    Code::SubnetSize,
                    &ptr,
                    format!("private endpoint subnet {cidr} is too small"),
                    "use at least a /28".into(),
                );
            }
            let range = Range {
                cidr,
                pointer: ptr,
                what: format!("subnet {field}"),
            };
            if role == SubnetRole::ApplicationGateway {
                self.gateway_subnet_alone(&range, &sranges, space);
            } else {
                sranges.push(range);
            }
            subnets.push(model::Subnet {
                role,
                name: format!("snet-{}", role.key()),
                nsg_name: format!("nsg-{e}-{key}-{}", role.key()),
                cidr,
            });
        }
        if api_needed && !address::has_subnet(s, SubnetRole::ApiServer) {
            self.err(
                Code::MissingKey,
                &format!("{p}/subnets"),
                "API server VNet integration needs an apiServer subnet".into(),
                "add \"apiServer\": \"<a /28 inside the spoke>\" to \"subnets\", or an apiServer entry to \"subnetLayout\", or turn vnetIntegration off"
                    .into(),
            );
        }
        if let Some(space) = space {
            let parent = Range {
                cidr: space,
                pointer: format!("{p}/addressSpace"),
                what: format!("spoke {key:?} address space"),
            };
            for r in &sranges {
                self.inside(&parent, r);
            }
        }
        self.no_overlaps(&sranges, space);

        // Cluster network ranges: checked estate-wide in `address.rs`, by Azure's rules.
        let net = &c.network;
        let pod = self.cidr(&net.pod_cidr, &format!("{cp}/network/podCidr"));
        let svc = self.cidr(&net.service_cidr, &format!("{cp}/network/serviceCidr"));
        let dns = self.ip(&net.dns_service_ip, &format!("{cp}/network/dnsServiceIp"));
        // The DNS service address lies in the service range and is not its first address, which
        // Kubernetes gives the API server's service (Microsoft's "Azure CNI Overlay" page, IP
        // address planning: learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay).
        if let (Some(svc), Some(dns)) = (svc, dns) {
            if !svc.contains_ip(dns) || dns == svc.network() {
                self.err(
                    Code::CidrOutside,
                    &format!("{cp}/network/dnsServiceIp"),
                    format!("dnsServiceIp {dns} is not a usable address in serviceCidr {svc}"),
                    format!(
                        "pick an address inside {svc} other than its first, e.g. {}",
                        svc.nth(10).unwrap_or(dns)
                    ),
                );
            }
        }
        let range = |cidr: Option<Cidr>, field: &str| {
            cidr.map(|cidr| Range {
                cidr,
                pointer: format!("{cp}/network/{field}"),
                what: format!("spoke {key:?} {field}"),
            })
        };
        plan.clusters.push(ClusterRanges {
            pod: range(pod, "podCidr"),
            service: range(svc, "serviceCidr"),
            network: address::pod_network(net),
        });
        if net.cilium_dataplane && net.policy != model::NetworkPolicy::Cilium {
            self.contradiction(
                &format!("{cp}/network/ciliumDataplane"),
                &format!("{cp}/network/policy"),
                "the Cilium dataplane needs network policy cilium".into(),
                "set \"policy\": \"cilium\" or turn ciliumDataplane off".into(),
            );
        }
        if net.policy == model::NetworkPolicy::Cilium && !net.cilium_dataplane {
            self.contradiction(
                &format!("{cp}/network/policy"),
                &format!("{cp}/network/ciliumDataplane"),
                "network policy cilium needs the Cilium dataplane".into(),
                "set \"ciliumDataplane\": true or choose policy azure or calico".into(),
            );
        }

        // API server.
        let api = &c.api_server;
        let mut ranges = Vec::new();
        for (i, r) in api.authorized_ip_ranges.iter().enumerate() {
            if let Some(c) = self.cidr(r, &format!("{cp}/apiServer/authorizedIpRanges/{i}")) {
                ranges.push(c);
            }
        }
        if !api.private && api.authorized_ip_ranges.is_empty() {
            self.contradiction(
                &format!("{cp}/apiServer/authorizedIpRanges"),
                &format!("{cp}/apiServer/private"),
                "a public API server without authorised IP ranges is open to the internet".into(),
                "set \"private\": true, or list the client ranges in \"authorizedIpRanges\"".into(),
            );
        }
        if api.private && !api.authorized_ip_ranges.is_empty() {
            self.contradiction(
                &format!("{cp}/apiServer/authorizedIpRanges"),
                &format!("{cp}/apiServer/private"),
                "authorised IP ranges do not apply to a private API server".into(),
                "remove \"authorizedIpRanges\" or set \"private\": false".into(),
            );
        }
        if let Some(ids) = &c.entra.admin_group_object_ids {
            for (i, id) in ids.iter().enumerate() {
                self.guid(
                    id,
                    &format!("{cp}/entra/adminGroupObjectIds/{i}"),
                    "an Entra group object id",
                );
            }
        }
        if let Some(v) = &c.kubernetes_version {
            let ok = v.split('.').count() >= 2
                && v.split('.')
                    .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                self.err(
                    Code::BadValue,
                    &format!("{cp}/kubernetesVersion"),
                    format!("{v:?} is not a Kubernetes version"),
                    "write a version such as \"1.35\" or omit it to follow the upgrade channel"
                        .into(),
                );
            }
            let lts = kubernetes::LTS_SINCE;
            let premium = c.sku_tier == model::ClusterTier::Premium;
            let older = premium && kubernetes::minor(v).is_some_and(|m| m < lts);
            if ok && !older && !kubernetes::supported(v, premium) {
                let mut hint = format!(
                    "pin one of the minor versions AKS supports: {}",
                    kubernetes::SUPPORTED.join(", ")
                );
                if premium {
                    let _ = write!(
                        hint,
                        ", or with long-term support any minor from {}.{} up to the newest",
                        lts.0, lts.1
                    );
                }
                self.err(
                    Code::KubernetesVersion,
                    &format!("{cp}/kubernetesVersion"),
                    format!("AKS does not support Kubernetes {v}"),
                    hint,
                );
            }
            if ok
                && c.sku_tier == model::ClusterTier::Premium
                && kubernetes::minor(v).is_some_and(|m| m < lts)
            {
                self.contradiction(
                    &format!("{cp}/kubernetesVersion"),
                    &format!("{cp}/skuTier"),
                    format!(
                        "the Premium tier asks for long-term support, which AKS offers from Kubernetes {}.{} on, not for {v}",
                        lts.0, lts.1
                    ),
                    format!(
                        "pin {}.{} or later, or choose the Standard tier",
                        lts.0, lts.1
                    ),
                );
            }
        }
        let auto_w = self.window(
            &c.upgrades.auto_upgrade_window,
            &format!("{cp}/upgrades/autoUpgradeWindow"),
        );
        let os_w = self.window(
            &c.upgrades.node_os_window,
            &format!("{cp}/upgrades/nodeOsWindow"),
        );

        // Pools.
        let mut pools = Vec::new();
        for (name, np) in sorted(&c.node_pools) {
            let pp = format!("{cp}/nodePools/{}", esc(name));
            self.name(&names::POOL, name, &pp);
            if np.min_count > np.max_count {
                self.err(
                    Code::PoolCount,
                    &format!("{pp}/minCount"),
                    format!(
                        "minCount {} is above maxCount {}",
                        np.min_count, np.max_count
                    ),
                    "make minCount at most maxCount".into(),
                );
            }
            if np.max_count > 1000 || (np.mode == model::PoolMode::System && np.min_count == 0) {
                self.err(
                    Code::PoolCount,
                    &format!("{pp}/minCount"),
                    "node counts out of range".into(),
                    "system pools need at least one node; no pool exceeds 1000".into(),
                );
            }
            if !(10..=250).contains(&np.max_pods) {
                self.err(
                    Code::BadValue,
                    &format!("{pp}/maxPods"),
                    format!("maxPods {} is out of range", np.max_pods),
                    "AKS takes 10 to 250 pods per node; 50 or more is recommended".into(),
                );
            }
            if !(30..=2048).contains(&np.os_disk_size_gb) {
                self.err(
                    Code::BadValue,
                    &format!("{pp}/osDiskSizeGb"),
                    format!("osDiskSizeGb {} is out of range", np.os_disk_size_gb),
                    "use 30 to 2048 GB".into(),
                );
            }
            if np.vm_size.is_empty()
                || !np
                    .vm_size
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                self.err(
                    Code::BadValue,
                    &format!("{pp}/vmSize"),
                    format!("{:?} is not a VM size", np.vm_size),
                    "write a size such as \"Standard_D4ds_v5\"".into(),
                );
            }
            if np.sandbox && np.mode == model::PoolMode::System {
                self.contradiction(
                    &format!("{pp}/sandbox"),
                    &format!("{pp}/mode"),
                    "a system pool cannot be a sandbox pool".into(),
                    "put sandboxed workloads in a user pool".into(),
                );
            }
            self.zones(&np.zones, &format!("{pp}/zones"));
            pools.push(model::NodePool {
                name: name.clone(),
                mode: np.mode,
                vm_size: np.vm_size.clone(),
                min_count: np.min_count,
                max_count: np.max_count,
                zones: np.zones.clone(),
                os_sku: np.os_sku,
                os_disk_type: np.os_disk_type,
                os_disk_size_gb: np.os_disk_size_gb,
                max_pods: np.max_pods,
                fips: np.fips,
                sandbox: np.sandbox,
                encryption_at_host: c.security.encryption_at_host,
                subnet: match np.subnet {
                    PoolSubnet::System => SubnetRole::System,
                    PoolSubnet::User => SubnetRole::User,
                },
                taints: np.taints.clone(),
                labels: sorted(&np.labels)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            });
        }
        if !pools.iter().any(|p| p.mode == model::PoolMode::System) {
            self.err(
                Code::PoolSystem,
                &format!("{cp}/nodePools"),
                "the cluster has no system node pool".into(),
                "add a pool with \"mode\": \"System\"".into(),
            );
        }
        pools.sort_by_key(|p| p.mode != model::PoolMode::System);

        if let Some(m) = &c.service_mesh {
            if !m.revision.starts_with("asm-") {
                self.err(
                    Code::BadValue,
                    &format!("{cp}/serviceMesh/revision"),
                    format!("{:?} is not an Istio add-on revision", m.revision),
                    "write a revision such as \"asm-1-25\"".into(),
                );
            }
        }
        if c.security.kms && s.paas_access == model::PaasAccess::ServiceEndpoints {
            self.contradiction(
                &format!("{cp}/security/kms"),
                &format!("{p}/paasAccess"),
                "KMS cannot reach a key vault behind service endpoints: AKS supports KMS with a private vault (private endpoint) or a public one, not one restricted to selected networks".into(),
                "set \"paasAccess\": \"privateEndpoints\", or turn \"kms\" off and waive SECRETS-KMS".into(),
            );
        }
        let needs_hsm = c.security.kms || c.security.customer_managed_disk_key;
        if needs_hsm && s.key_vault.sku != model::KeyVaultSku::Premium {
            let cause = if c.security.kms {
                format!("{cp}/security/kms")
            } else {
                format!("{cp}/security/customerManagedDiskKey")
            };
            self.contradiction(
                &format!("{p}/keyVault/sku"),
                &cause,
                "KMS and customer-managed disk keys use HSM-backed keys, which need the Premium vault".into(),
                "set \"keyVault\": {\"sku\": \"premium\"}, or turn kms and customerManagedDiskKey off".into(),
            );
        }
        if let Some(id) = &c.security.disk_encryption_set_id {
            let ok = id.starts_with("/subscriptions/")
                && id
                    .to_ascii_lowercase()
                    .contains("/providers/microsoft.compute/diskencryptionsets/");
            if !ok {
                self.err(
                    Code::BadValue,
                    &format!("{cp}/security/diskEncryptionSetId"),
                    format!("{id:?} is not a disk encryption set id"),
                    "write /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/diskEncryptionSets/<name>".into(),
                );
            }
        }
        if s.key_vault.soft_delete_retention_days < 7 || s.key_vault.soft_delete_retention_days > 90
        {
            self.err(
                Code::BadValue,
                &format!("{p}/keyVault/softDeleteRetentionDays"),
                "soft-delete retention out of range".into(),
                "Key Vault keeps deleted items 7 to 90 days".into(),
            );
        }
        let log_replica = if s.log_analytics.replication {
            let pair = crate::azure::regions::pair(&region);
            // An unknown region is reported once, at /location or the spoke's region.
            if pair.is_none() && crate::azure::regions::region(&region).is_some() {
                self.err(
                    Code::Region,
                    &format!("{p}/logAnalytics/replication"),
                    format!("{region:?} has no paired region to replicate the workspace to"),
                    "choose a region Azure pairs with another, or set \"replication\": false"
                        .into(),
                );
            }
            pair.map(str::to_string)
        } else {
            None
        };
        if !(30..=730).contains(&s.log_analytics.retention_days) {
            self.err(
                Code::BadValue,
                &format!("{p}/logAnalytics/retentionDays"),
                "retention out of range".into(),
                "Log Analytics keeps data 30 to 730 days".into(),
            );
        }
        if s.registry.retention_days > 365 {
            self.err(
                Code::BadValue,
                &format!("{p}/registry/retentionDays"),
                "retention out of range".into(),
                "ACR keeps untagged manifests 0 to 365 days".into(),
            );
        }
        if let Some(w) = &s.registry.quarantine_writer {
            self.guid(
                w,
                &format!("{p}/registry/quarantineWriter"),
                "the object id of the principal that marks quarantined images",
            );
            if !s.registry.quarantine {
                self.contradiction(
                    &format!("{p}/registry/quarantineWriter"),
                    &format!("{p}/registry/quarantine"),
                    "a quarantine writer without quarantine would hold AcrQuarantineWriter for nothing".into(),
                    "set \"quarantine\": true, or remove \"quarantineWriter\"".into(),
                );
            }
        }

        // Names.
        let tag = suffix(&[e, key, &f.location]);
        let cluster_name = format!("aks-{e}-{key}");
        let kv_name = s.key_vault.name.clone().unwrap_or_else(|| {
            let stem: String = format!("{e}{key}").chars().take(15).collect();
            format!("kv-{stem}-{tag}")
        });
        let acr_name = s
            .registry
            .name
            .clone()
            .unwrap_or_else(|| format!("acr{e}{key}{tag}"));
        let rgs = [
            format!("rg-{e}-{key}-network"),
            format!("rg-{e}-{key}-cluster"),
            format!("rg-{e}-{key}-shared"),
            format!("rg-{e}-{key}-nodes"),
        ];
        for rg in &rgs {
            self.name(&names::RESOURCE_GROUP, rg, &p);
        }
        self.name(&names::AKS, &cluster_name, &p);
        self.name(&names::DNS_PREFIX, &cluster_name, &p);
        let kv_ptr = if s.key_vault.name.is_some() {
            format!("{p}/keyVault/name")
        } else {
            p.clone()
        };
        self.name(&names::KEY_VAULT, &kv_name, &kv_ptr);
        let acr_ptr = if s.registry.name.is_some() {
            format!("{p}/registry/name")
        } else {
            p.clone()
        };
        self.name(&names::REGISTRY, &acr_name, &acr_ptr);
        let log_name = format!("log-{e}-{key}");
        self.name(&names::LOG_ANALYTICS, &log_name, &p);
        let mut workloads = Vec::new();
        for (wk, w) in sorted(&s.workload_identities) {
            let wp = format!("{p}/workloadIdentities/{}", esc(wk));
            self.name(&names::WORKLOAD, wk, &wp);
            self.name(&names::K8S_NAME, &w.namespace, &format!("{wp}/namespace"));
            self.name(
                &names::K8S_NAME,
                &w.service_account,
                &format!("{wp}/serviceAccount"),
            );
            if !c.security.workload_identity {
                self.contradiction(
                    &wp,
                    &format!("{cp}/security/workloadIdentity"),
                    "workload identities need the OIDC issuer and workload identity on the cluster"
                        .into(),
                    "set \"cluster\": {\"security\": {\"workloadIdentity\": true}}".into(),
                );
            }
            workloads.push(model::Workload {
                key: wk.clone(),
                identity: format!("id-{e}-{key}-{wk}"),
                namespace: w.namespace.clone(),
                service_account: w.service_account.clone(),
                key_vault_secrets: w.key_vault_secrets,
                acr_pull: w.acr_pull,
            });
        }
        let ingress = self.ingress(f, key, s, &subnets, &kv_name);
        let namespaces = self.namespaces(s, &p, &workloads);
        let gitops = self.gitops(s, &p);
        let (egress_fqdns, egress_network) = self.egress(f, key, s, &p);
        let private_monitoring = self.private_monitoring(s, &p);
        let [network_rg, cluster_rg, shared_rg, nodes_rg] = rgs;
        model::Spoke {
            key: key.to_string(),
            region: region.clone(),
            subscription_id: s.subscription_id.clone(),
            network_rg,
            cluster_rg,
            shared_rg,
            nodes_rg,
            vnet_name: format!("vnet-{e}-{key}"),
            address_space: space.unwrap_or(Cidr::ANY),
            route_table_name: format!("rt-{e}-{key}"),
            subnets,
            paas_access: s.paas_access,
            cluster: model::Cluster {
                name: cluster_name.clone(),
                dns_prefix: cluster_name,
                control_plane_identity: format!("id-{e}-{key}-controlplane"),
                kubelet_identity: format!("id-{e}-{key}-kubelet"),
                kubernetes_version: c.kubernetes_version.clone(),
                sku_tier: c.sku_tier,
                private: api.private,
                vnet_integration: api.vnet_integration,
                disable_run_command: api.disable_run_command,
                authorized_ip_ranges: ranges,
                api_dns_zone: api
                    .private
                    .then(|| format!("{key}.privatelink.{region}.azmk8s.io")),
                network_policy: net.policy,
                cilium_dataplane: net.cilium_dataplane,
                pod_cidr: pod.unwrap_or(Cidr::ANY),
                service_cidr: svc.unwrap_or(Cidr::ANY),
                dns_service_ip: dns.unwrap_or(Ipv4Addr::UNSPECIFIED),
                admin_group_object_ids: c.entra.admin_group_object_ids.clone(),
                upgrade_channel: c.upgrades.channel,
                node_os_channel: c.upgrades.node_os_channel,
                auto_upgrade_window: auto_w,
                node_os_window: os_w,
                pools,
                azure_policy: c.addons.azure_policy,
                container_insights: c.addons.container_insights,
                managed_prometheus: c.addons.managed_prometheus,
                secrets_store_csi: c.addons.secrets_store_csi,
                defender: c.security.defender,
                workload_identity: c.security.workload_identity,
                image_cleaner_interval_hours: c.security.image_cleaner_interval_hours,
                kms: c.security.kms,
                disk_encryption: match (
                    &c.security.disk_encryption_set_id,
                    c.security.customer_managed_disk_key,
                ) {
                    (Some(id), _) => model::DiskEncryption::Existing(id.clone()),
                    (None, true) => model::DiskEncryption::Planned(format!("des-{e}-{key}")),
                    (None, false) => model::DiskEncryption::PlatformManaged,
                },
                pod_security: c.pod_security.level,
                pod_security_effect: c.pod_security.effect,
                container_limits: c.container_limits.as_ref().map_or_else(
                    || ("4".to_string(), "8Gi".to_string()),
                    |l| (l.cpu.clone(), l.memory.clone()),
                ),
                mesh_revision: c.service_mesh.as_ref().map(|m| m.revision.clone()),
                gitops,
            },
            registry: model::Registry {
                name: acr_name,
                retention_days: s.registry.retention_days,
                zone_redundancy: s.registry.zone_redundancy,
                quarantine: s.registry.quarantine,
                quarantine_writer: s.registry.quarantine_writer.clone(),
            },
            key_vault: model::KeyVault {
                name: kv_name,
                sku: s.key_vault.sku,
                soft_delete_retention_days: s.key_vault.soft_delete_retention_days,
                kms_key_name: c.security.kms.then(|| "kms-etcd".to_string()),
                disk_key_name: (c.security.customer_managed_disk_key
                    && c.security.disk_encryption_set_id.is_none())
                .then(|| "disk-encryption".to_string()),
            },
            log_analytics_name: log_name,
            log_retention_days: s.log_analytics.retention_days,
            log_replica,
            workloads,
            ingress,
            namespaces,
            private_monitoring,
            update_group: None,
            egress_fqdns,
            egress_network,
        }
    }
}

/// Namespaces AKS owns; the estate cannot manage them.
const SYSTEM_NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "gatekeeper-system",
    "azure-arc",
];

impl Validator {
    /// The estate's namespaces and those its workload identities name, sorted and unique, with
    /// the defaults filled in.
    fn namespaces(
        &mut self,
        s: &profile::Spoke,
        p: &str,
        workloads: &[model::Workload],
    ) -> Vec<model::Namespace> {
        // (name, pointer, whether the workload loop has already checked the name)
        let mut names: Vec<(String, String, bool)> = sorted(&s.namespaces)
            .map(|(n, _)| (n.clone(), format!("{p}/namespaces/{}", esc(n)), false))
            .collect();
        for w in workloads {
            if !names.iter().any(|(n, _, _)| *n == w.namespace) {
                let ptr = format!("{p}/workloadIdentities/{}/namespace", esc(&w.key));
                names.push((w.namespace.clone(), ptr, true));
            }
        }
        names.sort();
        let mut out = Vec::new();
        for (name, ptr, checked) in names {
            if !checked {
                self.name(&names::K8S_NAME, &name, &ptr);
            }
            if SYSTEM_NAMESPACES.contains(&name.as_str()) {
                self.err(
                    Code::NameChars,
                    &ptr,
                    format!("{name:?} is a namespace AKS manages itself"),
                    "run workloads in a namespace of their own".into(),
                );
                continue;
            }
            let ns = s.namespaces.get(&name).cloned().unwrap_or_default();
            let q = ns.quota.unwrap_or_default();
            let quota = [
                q.cpu_request.unwrap_or_else(|| "4".into()),
                q.cpu_limit.unwrap_or_else(|| "8".into()),
                q.memory_request.unwrap_or_else(|| "8Gi".into()),
                q.memory_limit.unwrap_or_else(|| "16Gi".into()),
            ];
            if quota.iter().any(|v| v.trim().is_empty()) {
                self.err(
                    Code::BadValue,
                    &format!("{ptr}/quota"),
                    "an empty quota".into(),
                    "write Kubernetes quantities such as \"4\", \"500m\" or \"8Gi\"".into(),
                );
            }
            out.push(model::Namespace {
                name,
                ingress: ns.ingress.unwrap_or(profile::NetworkRule::DenyAll),
                egress: ns.egress.unwrap_or(profile::NetworkRule::AllowAll),
                quota,
            });
        }
        out
    }
}
