//! API-OPERATOR-PATH: a private API server with run command off still has a way in for its
//! operators (Azure Bastion with native-client tunnelling, or a VPN or ExpressRoute gateway), and
//! the API server's name resolves where that way starts.

use crate::audit::catalogue::{Control, Live, Section::SecuringACluster, Severity::High};
use crate::audit::eval::{Check, Cx, eq, truthy};
use crate::audit::input::Look;
use crate::audit::query::last_segment;
use crate::azure::types;
use crate::posture::ControlId;

/// The control.
pub(super) const CONTROL: Control = Control {
    id: ControlId::ApiOperatorPath,
    severity: High,
    section: SecuringACluster,
    topic: "Master Endpoint security in AKS / ACS-Engine",
    title: "a private API server keeps a way in for its operators, and its name resolves there",
    demands: "A private cluster with run command off (`enablePrivateCluster: true`, `disableRunCommand: true`) has a declared operator path: an Azure Bastion (`Microsoft.Network/bastionHosts`, Standard or Premium) with `enableTunneling: true`, or a VPN/ExpressRoute gateway; and the API server's private DNS zone is a bring-your-own zone (`privateDNSZone` a zone id) linked to the VNet the path starts in. AKS's `system` zone is linked only to the cluster's VNet.",
    why: "A private API server nobody can reach is not more secure, it is unmanageable: teams reopen it (a public endpoint, run command, a VM with a public IP) under pressure. A Bastion tunnel keeps the API server private and every connection authenticated by Entra ID; without a zone linked where the tunnel starts, the API server's name does not resolve and the path is useless.",
    fix: "Estate: `hub.bastion: { sku: Standard }` with `hub.subnets.bastion` (a /26), and a private API server (aks-harden then plans the API server's own zone in the hub, linked to the hub and the spoke). Template: a `bastionHosts` with `enableTunneling: true`, and `apiServerAccessProfile.privateDNSZone` set to a zone linked to the Bastion's VNet.",
    checkov: &[],
    psrule: &[],
    cis: &["5.4.1"],
    live: Live::Partial,
    estate_keys: &["/hub/bastion", "/hub/subnets/bastion", "/hub"],
    check: Check::Code(operator_path),
};

const ASP: &str = "properties.apiServerAccessProfile";

/// The VNet a subnet id lies in (its name).
fn vnet_of(subnet_id: &str) -> Option<String> {
    let segs: Vec<&str> = subnet_id.split('/').collect();
    segs.iter()
        .position(|s| s.eq_ignore_ascii_case("virtualNetworks"))
        .and_then(|i| segs.get(i + 1))
        .map(|s| s.to_ascii_lowercase())
}

fn operator_path(cx: &mut Cx) {
    let clusters = cx.clusters();
    if clusters.is_empty() {
        cx.na("no cluster in the input");
        return;
    }
    for c in clusters {
        let private = matches!(cx.r(c).get(&format!("{ASP}.enablePrivateCluster")), Look::Value(v) if truthy(v));
        if !private {
            cx.pass(
                Some(c),
                ASP,
                "public API server: operators reach it through its authorised ranges (API-PRIVATE judges them)",
            );
            continue;
        }
        let run_path = format!("{ASP}.disableRunCommand");
        let run_off = matches!(cx.r(c).get(&run_path), Look::Value(v) if truthy(v));
        if !run_off {
            cx.pass(
                Some(c),
                &run_path,
                "is not `true`: `az aks command invoke` reaches the cluster (API-NO-RUN-COMMAND judges it)",
            );
            continue;
        }
        if cx.live() {
            cx.gap("the Bastion, gateways and DNS zones around a cluster are not in a live cluster's JSON");
            continue;
        }
        // Where the operators' path starts: the VNets of tunnelling Bastions and gateways.
        let mut starts: Vec<String> = Vec::new();
        let mut found = false;
        for (b, r) in cx.q.of_type(types::BASTION) {
            found = true;
            let sku = r.get("sku.name").str().unwrap_or("Basic");
            let tunnels =
                matches!(r.get("properties.enableTunneling"), Look::Value(v) if truthy(v));
            let tiered = ["Standard", "Premium"]
                .iter()
                .any(|t| sku.eq_ignore_ascii_case(t));
            if !tunnels || !tiered {
                cx.fail(
                    Some(b),
                    "properties.enableTunneling",
                    format!("Bastion `{}` ({sku}) does not offer native-client tunnelling; want Standard or Premium with `enableTunneling: true`", r.name),
                );
                continue;
            }
            for ip in r.get("properties.ipConfigurations").array() {
                if let Some(v) = crate::audit::input::look(ip, "properties.subnet.id")
                    .str()
                    .and_then(vnet_of)
                {
                    starts.push(v);
                }
            }
        }
        for (_, r) in cx.q.of_type(types::VNET_GATEWAY) {
            found = true;
            for ip in r.get("properties.ipConfigurations").array() {
                if let Some(v) = crate::audit::input::look(ip, "properties.subnet.id")
                    .str()
                    .and_then(vnet_of)
                {
                    starts.push(v);
                }
            }
        }
        if starts.is_empty() {
            cx.fail(
                Some(c),
                &run_path,
                if found {
                    "private API server with run command off, and no Bastion with tunnelling or gateway to reach it"
                } else {
                    "private API server with run command off and no declared operator path: no Azure Bastion, no VPN or ExpressRoute gateway"
                },
            );
            continue;
        }
        let zone_path = format!("{ASP}.privateDNSZone");
        match cx.r(c).get(&zone_path) {
            Look::Unknown(u) => cx.unevaluated(c, &zone_path, u),
            Look::Missing => cx.fail(
                Some(c),
                &zone_path,
                "is not set (AKS's `system` zone, linked only to the cluster's VNet): the API server's name does not resolve where the operators' path starts",
            ),
            Look::Value(v) if eq(v, "system") || eq(v, "none") => cx.fail(
                Some(c),
                &zone_path,
                format!(
                    "is `{}`: the API server's name does not resolve where the operators' path starts; want a zone of your own linked there",
                    v.as_str().unwrap_or_default()
                ),
            ),
            Look::Value(v) => {
                let id = v.as_str().unwrap_or_default();
                let Some(zone) = cx.q.find_id(id) else {
                    cx.unknown(
                        Some(c),
                        &zone_path,
                        format!("names zone `{}`, which is not in the input", last_segment(id)),
                    );
                    continue;
                };
                let zone_name = cx.r(zone).name.clone();
                let linked: Vec<String> = cx
                    .q
                    .named_under(types::DNS_LINK, &zone_name)
                    .into_iter()
                    .filter_map(|l| {
                        cx.r(l)
                            .get("properties.virtualNetwork.id")
                            .str()
                            .map(|id| last_segment(id).to_ascii_lowercase())
                    })
                    .collect();
                match starts.iter().find(|s| linked.contains(s)) {
                    Some(vnet) => cx.pass(
                        Some(c),
                        &zone_path,
                        format!("zone `{zone_name}` is linked to `{vnet}`, where the operators' path starts"),
                    ),
                    None => cx.fail(
                        Some(c),
                        &zone_path,
                        format!(
                            "zone `{zone_name}` is not linked to {}, where the operators' path starts",
                            starts.join(", ")
                        ),
                    ),
                }
            }
        }
    }
}
