//! The managed cluster: `azurerm_kubernetes_cluster` with the first System pool as
//! `default_node_pool` and the maintenance configurations as its `maintenance_window_*` blocks,
//! one `azurerm_kubernetes_cluster_node_pool` per other pool, and `azapi_update_resource`s for
//! what azurerm cannot set.

use super::{As, B, Flat, Item, N, Tx, interp, jb, js, json_or_null, primary, scalar};
use crate::azure::types;
use crate::emit::terraform::{label, literal};
use crate::ir::Value;
use serde_json::{Map, Value as Json, json};

/// The taint `default_node_pool` spells as `only_critical_addons_enabled`.
const CRITICAL_ONLY: &str = "CriticalAddonsOnly=true:NoSchedule";

/// A pool, after its name, mode and type.
const POOL: &[Flat] = &[
    ("vm_size", "vmSize", As::Str),
    ("node_count", "count", As::Int),
    ("auto_scaling_enabled", "enableAutoScaling", As::Bool),
    ("min_count", "minCount", As::Int),
    ("max_count", "maxCount", As::Int),
    ("zones", "availabilityZones", As::Value),
    ("os_sku", "osSKU", As::Str),
    ("os_disk_type", "osDiskType", As::Str),
    ("os_disk_size_gb", "osDiskSizeGB", As::Int),
    ("max_pods", "maxPods", As::Int),
    ("vnet_subnet_id", "vnetSubnetID", As::Value),
    ("node_public_ip_enabled", "enableNodePublicIP", As::Bool),
    (
        "host_encryption_enabled",
        "enableEncryptionAtHost",
        As::Bool,
    ),
    ("fips_enabled", "enableFIPS", As::Bool),
    ("workload_runtime", "workloadRuntime", As::Str),
    ("node_labels", "nodeLabels", As::Value),
];

/// Maintenance schedules: (IR key, azurerm frequency, attributes below the key).
pub(super) const SCHEDULES: &[(&str, &str, &[Flat])] = &[
    (
        "weekly",
        "Weekly",
        &[
            ("interval", "intervalWeeks", As::Int),
            ("day_of_week", "dayOfWeek", As::Str),
        ],
    ),
    ("daily", "Daily", &[("interval", "intervalDays", As::Int)]),
    (
        "absoluteMonthly",
        "AbsoluteMonthly",
        &[
            ("interval", "intervalMonths", As::Int),
            ("day_of_month", "dayOfMonth", As::Int),
        ],
    ),
    (
        "relativeMonthly",
        "RelativeMonthly",
        &[
            ("interval", "intervalMonths", As::Int),
            ("day_of_week", "dayOfWeek", As::Str),
            ("week_index", "weekIndex", As::Str),
        ],
    ),
];

/// A maintenance window, after its schedule.
pub(super) const WINDOW: &[Flat] = &[
    ("duration", "durationHours", As::Int),
    ("start_time", "startTime", As::Str),
    ("utc_offset", "utcOffset", As::Str),
    ("start_date", "startDate", As::Str),
];

/// The cluster's first attributes, from the root.
const CLUSTER: &[Flat] = &[
    (
        "kubernetes_version",
        "properties.kubernetesVersion",
        As::Str,
    ),
    ("dns_prefix", "properties.dnsPrefix", As::Str),
    (
        "node_resource_group",
        "properties.nodeResourceGroup",
        As::Str,
    ),
    ("sku_tier", "sku.tier", As::Str),
    ("support_plan", "properties.supportPlan", As::Str),
];

/// `kubelet_identity`.
const KUBELET: &[Flat] = &[
    ("client_id", "clientId", As::Value),
    ("object_id", "objectId", As::Value),
    ("user_assigned_identity_id", "resourceId", As::Value),
];

/// `azure_active_directory_role_based_access_control`.
const ENTRA: &[Flat] = &[
    ("admin_group_object_ids", "adminGroupObjectIDs", As::Value),
    ("azure_rbac_enabled", "enableAzureRBAC", As::Bool),
    ("tenant_id", "tenantID", As::Value),
];

/// `api_server_access_profile`.
const API_SERVER: &[Flat] = &[
    ("authorized_ip_ranges", "authorizedIPRanges", As::Value),
    (
        "virtual_network_integration_enabled",
        "enableVnetIntegration",
        As::Bool,
    ),
    ("subnet_id", "subnetId", As::Value),
];

/// `network_profile`.
const NETWORK_PROFILE: &[Flat] = &[
    ("network_plugin", "networkPlugin", As::Str),
    ("network_plugin_mode", "networkPluginMode", As::Str),
    ("network_policy", "networkPolicy", As::Str),
    ("network_data_plane", "networkDataplane", As::Str),
    ("pod_cidr", "podCidr", As::Str),
    ("service_cidr", "serviceCidr", As::Str),
    ("dns_service_ip", "dnsServiceIP", As::Str),
    ("outbound_type", "outboundType", As::Str),
    ("load_balancer_sku", "loadBalancerSku", As::Str),
];

/// Add-on switches, from `properties`.
const ADDONS: &[Flat] = &[
    (
        "azure_policy_enabled",
        "addonProfiles.azurepolicy.enabled",
        As::Bool,
    ),
    (
        "http_application_routing_enabled",
        "addonProfiles.httpApplicationRouting.enabled",
        As::Bool,
    ),
];

/// Identity and image security switches, from `properties`.
const SECURITY: &[Flat] = &[
    ("oidc_issuer_enabled", "oidcIssuerProfile.enabled", As::Bool),
    (
        "workload_identity_enabled",
        "securityProfile.workloadIdentity.enabled",
        As::Bool,
    ),
    (
        "image_cleaner_enabled",
        "securityProfile.imageCleaner.enabled",
        As::Bool,
    ),
    (
        "image_cleaner_interval_hours",
        "securityProfile.imageCleaner.intervalHours",
        As::Int,
    ),
];

/// Access switches, from `properties`.
const ACCESS: &[Flat] = &[
    ("role_based_access_control_enabled", "enableRBAC", As::Bool),
    ("local_account_disabled", "disableLocalAccounts", As::Bool),
];

/// The private endpoint of the API server, from `apiServerAccessProfile`.
const PRIVATE: &[Flat] = &[
    ("private_cluster_enabled", "enablePrivateCluster", As::Bool),
    (
        "private_cluster_public_fqdn_enabled",
        "enablePrivateClusterPublicFQDN",
        As::Bool,
    ),
];

/// Run command, from `apiServerAccessProfile`.
const RUN_COMMAND: &[Flat] = &[("run_command_enabled", "disableRunCommand", As::NotBool)];

/// The customer-managed OS disk key, from `properties`.
const DISK_ENCRYPTION: &[Flat] = &[("disk_encryption_set_id", "diskEncryptionSetID", As::Value)];

/// How `azurerm_kubernetes_cluster` is read back as ARM: (azurerm block, ARM node, rows). The
/// first System pool is `default_node_pool`.
pub(super) const CLUSTER_READ_BACK: &[(&str, &str, &[Flat])] = &[
    ("", "", CLUSTER),
    ("", "properties", ACCESS),
    ("", "properties.apiServerAccessProfile", PRIVATE),
    ("", "properties.apiServerAccessProfile", RUN_COMMAND),
    ("", "properties", ADDONS),
    ("", "properties", SECURITY),
    ("", "properties", DISK_ENCRYPTION),
    (
        "kubelet_identity",
        "properties.identityProfile.kubeletidentity",
        KUBELET,
    ),
    (
        "azure_active_directory_role_based_access_control",
        "properties.aadProfile",
        ENTRA,
    ),
    (
        "api_server_access_profile",
        "properties.apiServerAccessProfile",
        API_SERVER,
    ),
    (
        "network_profile",
        "properties.networkProfile",
        NETWORK_PROFILE,
    ),
    ("default_node_pool", "properties.agentPoolProfiles[0]", POOL),
];

/// How `azurerm_kubernetes_cluster_node_pool` is read back as an ARM agent pool.
pub(super) const POOL_READ_BACK: &[(&str, &str, &[Flat])] = &[("", "properties", POOL)];

/// `azapi_update_resource` for the pieces azurerm cannot set.
pub(super) fn azapi_update(
    tx: &mut Tx,
    it: &Item,
    lab: &str,
    rtype: &str,
    resource_id: String,
    body: Json,
    after: Vec<String>,
) {
    let api = types::api_version(rtype);
    let mut b = B::default();
    b.put("type", Some(json!(format!("{rtype}@{api}"))));
    b.put("resource_id", Some(json!(resource_id)));
    b.put("body", Some(body));
    b.put("depends_on", (!after.is_empty()).then(|| json!(after)));
    tx.add(it, "azapi_update_resource", lab, b.json());
}

/// A pool's attributes, and the body of an `azapi_update_resource` for what azurerm cannot set
/// on it.
fn pool(tx: &mut Tx, it: &Item, pool: &N, default: bool) -> (B, Option<Json>) {
    let mut b = B::default();
    b.put("name", js(pool.get("name").str()));
    if default {
        pool.get("mode").is("System");
    } else {
        b.put("mode", js(pool.get("mode").str()));
        b.put("os_type", js(pool.get("osType").str()));
    }
    // Read for every pool; only default_node_pool has the argument.
    b.put("type", js(pool.get("type").str()).filter(|_| default));
    tx.copy(it, pool, &mut b, POOL);
    let mut azapi = Map::new();
    let taints = pool.get("nodeTaints");
    if default {
        // default_node_pool spells the CriticalAddonsOnly taint as a switch; other taints go
        // through azapi.
        let list: Vec<String> = taints
            .items()
            .iter()
            .filter_map(|t| t.v.and_then(scalar))
            .collect();
        if list.iter().any(|t| t == CRITICAL_ONLY) {
            b.put("only_critical_addons_enabled", Some(Json::Bool(true)));
        }
        if list.iter().any(|t| t != CRITICAL_ONLY) {
            azapi.insert("nodeTaints".into(), json!(list));
        }
        taints.mark();
    } else {
        b.put("node_taints", tx.v(it, &taints));
    }
    if let Some(s) = pool.get("upgradeSettings.maxSurge").str() {
        b.put(
            "upgrade_settings",
            Some(json!([{ "max_surge": literal(s) }])),
        );
    }
    if let Some(ssh) = pool.get("securityProfile.sshAccess").str() {
        azapi.insert("securityProfile".into(), json!({ "sshAccess": ssh }));
    }
    let azapi = (!azapi.is_empty()).then(|| json!({ "properties": azapi }));
    (b, azapi)
}

/// A `maintenance_window_*` block.
fn maintenance_window(tx: &mut Tx, it: &Item, w: &N) -> Option<Json> {
    let s = w.get("schedule");
    let Some((key, frequency, attrs)) = SCHEDULES.iter().find(|(k, _, _)| s.get(k).present())
    else {
        tx.err(it, &s.path, "a maintenance window without a schedule");
        return None;
    };
    let mut b = B::default();
    b.put("frequency", Some(json!(frequency)));
    tx.copy(it, &s.get(key), &mut b, attrs);
    tx.copy(it, w, &mut b, WINDOW);
    Some(json!([b.json()]))
}

/// The maintenance configurations azurerm has a block for: (ARM name, block).
pub(super) const WINDOWS: [(&str, &str); 2] = [
    (
        "aksManagedAutoUpgradeSchedule",
        "maintenance_window_auto_upgrade",
    ),
    (
        "aksManagedNodeOSUpgradeSchedule",
        "maintenance_window_node_os",
    ),
];

/// The cluster's maintenance configurations, as its `maintenance_window_*` blocks.
fn maintenance_windows(tx: &mut Tx, it: &Item, b: &mut B) {
    let items = tx.items;
    for m in it
        .siblings(items)
        .iter()
        .filter(|x| it.related(x, types::AKS_MAINT))
    {
        let Some(&(_, attr)) = WINDOWS.iter().find(|(n, _)| *n == m.name()) else {
            tx.err(
                m,
                "",
                "azurerm has no block for this maintenance configuration",
            );
            continue;
        };
        let w = m.root().get("properties.maintenanceWindow");
        let block = maintenance_window(tx, m, &w);
        b.put(attr, block);
    }
}

/// A block put only when it has an attribute.
fn some_block(block: Json) -> Option<Json> {
    block
        .as_object()
        .is_some_and(|m| !m.is_empty())
        .then(|| json!([block]))
}

/// `azurerm_kubernetes_cluster`, its other pools, and the `azapi_update_resource`s.
pub(super) fn cluster(tx: &mut Tx, it: &Item) {
    let root = it.root();
    let p = root.get("properties");
    let Some(cluster) = primary(tx.items, it.index) else {
        return;
    };
    let lab = cluster.label.clone();
    let mut b = tx.located(it, CLUSTER);
    root.get("sku.name").is("Base");

    // Identity.
    let id = root.get("identity");
    let ids = match id.get("userAssignedIdentities").v {
        Some(Value::ExprKeyed(kv)) => {
            let mut out = Vec::new();
            for (k, _) in kv {
                match tx.expr(it.d, k) {
                    Ok(s) => out.push(Json::String(s)),
                    Err(e) => tx.err(it, "identity.userAssignedIdentities", &e),
                }
            }
            id.get("userAssignedIdentities").mark();
            Some(Json::Array(out))
        }
        _ => None,
    };
    if id.present() {
        let mut ib = B::default();
        ib.put("type", js(id.get("type").str()));
        ib.put("identity_ids", ids);
        b.put("identity", Some(json!([ib.json()])));
    }
    let kubelet = p.get("identityProfile.kubeletidentity");
    if kubelet.present() {
        let kb = tx.block(it, &kubelet, KUBELET);
        b.put("kubelet_identity", Some(json!([kb])));
    }

    // Access.
    tx.copy(it, &p, &mut b, ACCESS);
    let aad = p.get("aadProfile");
    if aad.present() && aad.get("managed").is("true") {
        let ab = tx.block(it, &aad, ENTRA);
        b.put(
            "azure_active_directory_role_based_access_control",
            Some(json!([ab])),
        );
    }
    let api = p.get("apiServerAccessProfile");
    tx.copy(it, &api, &mut b, PRIVATE);
    let zone = api.get("privateDNSZone");
    let zone_value = match zone.v.and_then(scalar).as_deref() {
        Some(z) if z.eq_ignore_ascii_case("system") => js(zone.str().map(|_| "System")),
        Some(z) if z.eq_ignore_ascii_case("none") => js(zone.str().map(|_| "None")),
        _ => tx.v(it, &zone),
    };
    b.put("private_dns_zone_id", zone_value);
    tx.copy(it, &api, &mut b, RUN_COMMAND);
    let ab = tx.block(it, &api, API_SERVER);
    b.put("api_server_access_profile", some_block(ab));
    let routing = p.get("ingressProfile.webAppRouting");
    if routing.get("enabled").is("true") {
        let mut rb = B::default();
        rb.put("dns_zone_ids", Some(json!([])));
        rb.put(
            "default_nginx_controller",
            js(routing.get("nginx.defaultIngressControllerType").str()),
        );
        b.put("web_app_routing", Some(json!([rb.json()])));
    }

    // Upgrades.
    let up = p.get("autoUpgradeProfile");
    let channel = up.get("upgradeChannel");
    if !channel.is("none") {
        b.put("automatic_upgrade_channel", js(channel.str()));
    }
    b.put(
        "node_os_upgrade_channel",
        js(up.get("nodeOSUpgradeChannel").str()),
    );
    maintenance_windows(tx, it, &mut b);

    // Network.
    let net = p.get("networkProfile");
    if net.present() {
        let nb = tx.block(it, &net, NETWORK_PROFILE);
        b.put("network_profile", Some(json!([nb])));
    }

    // Pools: the first System pool is the default pool.
    let pools = p.get("agentPoolProfiles").items();
    let first = pools
        .iter()
        .position(|x| x.get("mode").v.and_then(scalar).as_deref() == Some("System"));
    let mut extra = Vec::new();
    let mut azapi = Vec::new();
    for (k, pool_node) in pools.iter().enumerate() {
        let default = Some(k) == first;
        let (pb, update) = pool(tx, it, pool_node, default);
        let name = pool_node.get("name").v.and_then(scalar).unwrap_or_default();
        if default {
            b.put("default_node_pool", Some(json!([pb.json()])));
            if let Some(body) = update {
                azapi.push((
                    label(&[&lab, &name, "settings"]),
                    format!("${{{}}}/agentPools/{name}", cluster.id()),
                    body,
                ));
            }
        } else {
            extra.push((name, pb, update));
        }
    }
    if first.is_none() {
        tx.err(
            it,
            &p.get("agentPoolProfiles").path,
            "no System pool for default_node_pool",
        );
    }

    // Add-ons and security.
    tx.copy(it, &p, &mut b, ADDONS);
    let addons = p.get("addonProfiles");
    let oms = addons.get("omsagent");
    if oms.get("enabled").is("true") {
        let mut ob = B::default();
        ob.put(
            "log_analytics_workspace_id",
            tx.v(it, &oms.get("config.logAnalyticsWorkspaceResourceID")),
        );
        let msi = oms.get("config.useAADAuth").either("true", "false");
        ob.put("msi_auth_for_monitoring_enabled", jb(msi));
        b.put("oms_agent", Some(json!([ob.json()])));
    } else {
        oms.get("enabled").is("false");
    }
    let kv = addons.get("azureKeyvaultSecretsProvider");
    if kv.get("enabled").is("true") {
        let mut kb = B::default();
        let rotation = kv
            .get("config.enableSecretRotation")
            .either("true", "false");
        kb.put("secret_rotation_enabled", jb(rotation));
        kb.put(
            "secret_rotation_interval",
            js(kv.get("config.rotationPollInterval").str()),
        );
        b.put("key_vault_secrets_provider", Some(json!([kb.json()])));
    } else {
        kv.get("enabled").is("false");
    }
    tx.copy(it, &p, &mut b, SECURITY);
    let sec = p.get("securityProfile");
    let defender = sec.get("defender");
    if defender.present() && defender.get("securityMonitoring.enabled").is("true") {
        let workspace = tx.v(it, &defender.get("logAnalyticsWorkspaceResourceId"));
        b.put(
            "microsoft_defender",
            Some(json!([{ "log_analytics_workspace_id": json_or_null(workspace) }])),
        );
    }
    let kms = sec.get("azureKeyVaultKms");
    if kms.present() && kms.get("enabled").v == Some(&Value::Bool(true)) {
        let mut kb = B::default();
        kb.put("key_vault_key_id", tx.v(it, &kms.get("keyId")));
        kb.put(
            "key_vault_network_access",
            js(kms.get("keyVaultNetworkAccess").str()),
        );
        b.put("key_management_service", Some(json!([kb.json()])));
    }
    let mesh = p.get("serviceMeshProfile");
    if mesh.present() {
        let mut mb = B::default();
        mb.put("mode", js(mesh.get("mode").str()));
        mb.put("revisions", tx.v(it, &mesh.get("istio.revisions")));
        for g in mesh.get("istio.components.ingressGateways").items() {
            let attr = if g.get("mode").is("Internal") {
                "internal_ingress_gateway_enabled"
            } else if g.get("mode").is("External") {
                "external_ingress_gateway_enabled"
            } else {
                continue;
            };
            mb.put(attr, jb(g.get("enabled").bool()));
        }
        b.put("service_mesh_profile", Some(json!([mb.json()])));
    }
    tx.copy(it, &p, &mut b, DISK_ENCRYPTION);
    // Managed Prometheus: the block is the switch.
    let metrics = p.get("azureMonitorProfile.metrics");
    if metrics.get("enabled").is("true") {
        let ksm = metrics.get("kubeStateMetrics");
        let mm = json!([{
            "annotations_allowed": json_or_null(js(ksm.get("metricAnnotationsAllowList").str())),
            "labels_allowed": json_or_null(js(ksm.get("metricLabelsAllowlist").str())),
        }]);
        b.put("monitor_metrics", Some(mm));
    }
    tx.copy(
        it,
        &p,
        &mut b,
        &[("disk_encryption_set_id", "diskEncryptionSetID", As::Value)],
    );
    tx.tags(it, &mut b);
    b.put(
        "lifecycle",
        Some(json!({ "ignore_changes": ["default_node_pool[0].node_count"] })),
    );
    tx.emit(it, b);

    let mut pools_done = Vec::new();
    for (name, mut pb, update) in extra {
        let pl = label(&[&lab, &name]);
        let mut nb = B::default();
        nb.put("provider", tx.provider(it.d));
        nb.put("kubernetes_cluster_id", Some(interp(&cluster.id())));
        for (k, v) in std::mem::take(&mut pb.0) {
            nb.set(&k, v);
        }
        nb.put(
            "lifecycle",
            Some(json!({ "ignore_changes": ["node_count"] })),
        );
        tx.add(it, "azurerm_kubernetes_cluster_node_pool", &pl, nb.json());
        pools_done.push(format!("azurerm_kubernetes_cluster_node_pool.{pl}"));
        if let Some(body) = update {
            azapi.push((
                label(&[&pl, "settings"]),
                format!("${{azurerm_kubernetes_cluster_node_pool.{pl}.id}}"),
                body,
            ));
        }
    }

    // What azurerm cannot set, one update at a time once every pool exists: AKS refuses an
    // operation on the cluster while another one runs.
    let mut updates = Vec::new();
    let restriction = p.get("nodeResourceGroupProfile.restrictionLevel");
    if let Some(level) = restriction.str() {
        updates.push((
            label(&[&lab, "node_resource_group"]),
            types::AKS,
            format!("${{{}}}", cluster.id()),
            json!({ "properties": { "nodeResourceGroupProfile": { "restrictionLevel": level } } }),
        ));
    }
    for (l, id, body) in azapi {
        updates.push((l, types::AKS_POOL, id, body));
    }
    let mut after = pools_done;
    for (l, rtype, id, body) in updates {
        azapi_update(tx, it, &l, rtype, id, body, std::mem::take(&mut after));
        after = vec![format!("azapi_update_resource.{l}")];
    }
}
