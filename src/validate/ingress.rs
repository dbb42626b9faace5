//! A spoke's ingress: the Application Gateway's own subnet, which Azure wants for the gateway
//! alone and without a default route to a virtual appliance, the internal load balancer's fixed
//! address, the TLS certificate and the WAF mode.

use super::{Range, Validator, esc};
use crate::diag::Code;
use crate::model::{self, Cidr, SubnetRole};
use crate::profile::{self, EstateFile, IngressKind, WafMode};

/// Application Gateway v2 scales to 125 instances, one address each; Microsoft asks for at least
/// a /26 so that scaling out and upgrades find free addresses.
const GATEWAY_MIN_PREFIX: u8 = 26;

impl Validator {
    /// The Application Gateway subnet holds the gateway and nothing else: no other subnet of the
    /// spoke may share its range (Azure refuses any other resource in it).
    pub(super) fn gateway_subnet_alone(
        &mut self,
        gw: &Range,
        others: &[Range],
        space: Option<Cidr>,
    ) {
        if gw.cidr.prefix_len() > GATEWAY_MIN_PREFIX {
            self.err(
                Code::SubnetSize,
                &gw.pointer,
                format!("Application Gateway subnet {} is smaller than /26", gw.cidr),
                "Application Gateway v2 needs room to scale: give it a /26 or larger (Microsoft recommends a /24)".into(),
            );
        }
        for o in others.iter().filter(|o| o.cidr.overlaps(gw.cidr)) {
            self.diags.push(
                crate::diag::Diagnostic::error(
                    Code::SubnetShared,
                    &gw.pointer,
                    format!(
                        "Application Gateway subnet {} shares addresses with {} {}",
                        gw.cidr, o.what, o.cidr
                    ),
                    format!(
                        "an Application Gateway subnet may hold only Application Gateways: give \"applicationGateway\" a range of its own, outside {} (at {})",
                        o.what, o.pointer
                    ),
                )
                .related_to(&o.pointer),
            );
        }
        if let Some(space) = space {
            let parent = Range {
                cidr: space,
                pointer: gw
                    .pointer
                    .rsplit_once("/subnet")
                    .map_or_else(|| gw.pointer.clone(), |(p, _)| format!("{p}/addressSpace")),
                what: "the spoke address space".into(),
            };
            self.inside(&parent, gw);
        }
    }

    /// The spoke's ingress, resolved; `None` when it exposes nothing.
    pub(super) fn ingress(
        &mut self,
        f: &EstateFile,
        key: &str,
        s: &profile::Spoke,
        subnets: &[model::Subnet],
        vault: &str,
    ) -> Option<model::Ingress> {
        let i = s.ingress.as_ref()?;
        if i.kind == IngressKind::None {
            return None;
        }
        let p = format!("/spokes/{}", esc(key));
        let ip_ptr = format!("{p}/ingress");
        if !super::address::has_subnet(s, SubnetRole::ApplicationGateway) {
            self.err(
                Code::MissingKey,
                &format!("{p}/subnets"),
                "an Application Gateway needs a subnet of its own".into(),
                "add \"applicationGateway\": \"<a /24 inside the spoke>\" to the spoke's subnets, or set \"ingress\": {\"type\": \"none\"}".into(),
            );
        }
        if i.route_through_firewall {
            self.err(
                Code::IngressRoute,
                &format!("{ip_ptr}/routeThroughFirewall"),
                "Azure rejects a 0.0.0.0/0 route to a virtual appliance on an Application Gateway v2 subnet: the gateway's control traffic to GatewayManager and the internet must return directly".into(),
                "remove \"routeThroughFirewall\": the gateway's subnet keeps Azure's default routes, its inbound traffic is filtered by the WAF and its NSG, and its traffic to the cluster stays inside the spoke".into(),
            );
        }
        let ingress_subnet = subnets.iter().find(|n| n.role == SubnetRole::Ingress);
        let gw_subnet = subnets
            .iter()
            .find(|n| n.role == SubnetRole::ApplicationGateway);
        let private_ip = match (&i.private_ip, ingress_subnet) {
            (Some(ip), Some(n)) => {
                let ptr = format!("{ip_ptr}/privateIp");
                let ip = self.ip(ip, &ptr)?;
                let offset = u32::from(ip).wrapping_sub(u32::from(n.cidr.network()));
                let last = n
                    .cidr
                    .nth(u32::try_from(n.cidr.size().saturating_sub(1)).unwrap_or(0))
                    .unwrap_or(ip);
                if gw_subnet.is_some_and(|g| g.cidr.contains_ip(ip)) {
                    self.err(
                        Code::SubnetShared,
                        &ptr,
                        format!("the internal load balancer address {ip} lies in the Application Gateway subnet"),
                        "an Application Gateway subnet may hold only Application Gateways: pick an address in the ingress subnet".into(),
                    );
                } else if !n.cidr.contains_ip(ip) || offset < 4 || ip == last {
                    self.err(
                        Code::CidrOutside,
                        &ptr,
                        format!(
                            "{ip} is not a usable address of the ingress subnet {}",
                            n.cidr
                        ),
                        format!(
                            "Azure keeps the first four addresses and the last one; pick one such as {}",
                            n.cidr.nth(4).unwrap_or(ip)
                        ),
                    );
                }
                ip
            }
            (None, Some(n)) => n.cidr.nth(4)?,
            (_, None) => return None,
        };
        let (secret, in_vault) = match &i.certificate_secret_id {
            Some(id) => {
                let ok = id.starts_with("https://")
                    && id.contains(".vault.")
                    && id.contains("/secrets/")
                    && !id.chars().any(char::is_whitespace);
                if !ok {
                    self.err(
                        Code::BadValue,
                        &format!("{ip_ptr}/certificateSecretId"),
                        format!("{id:?} is not a Key Vault secret id"),
                        "write the certificate's secret id, e.g. \"https://<vault>.vault.azure.net/secrets/<name>\" (without a version, so renewals apply)".into(),
                    );
                }
                let own = id.starts_with(&format!("https://{vault}.vault."));
                (id.clone(), own)
            }
            None => (
                format!("https://{vault}.vault.azure.net/secrets/ingress-tls"),
                true,
            ),
        };
        let e = &f.name;
        Some(model::Ingress {
            gateway_name: format!("agw-{e}-{key}"),
            waf_policy_name: format!("waf-{e}-{key}"),
            public_ip_name: format!("pip-{e}-{key}-agw"),
            identity_name: format!("id-{e}-{key}-agw"),
            waf_mode: i.waf_mode.unwrap_or(WafMode::Prevention),
            certificate_secret_id: secret,
            certificate_in_spoke_vault: in_vault,
            host_name: i.host_name.clone(),
            private_ip,
            zones: f.hub.firewall.zones.clone(),
        })
    }
}
