//! The permissions the cluster identities need and the ones they must not hold.

use super::{ASP, ApiZone, Cluster, belonging, na, new_flow, truthy, undecided, unplaced};
use crate::audit::flows::access::{self, Principal, Target, holds};
use crate::audit::flows::net::{Net, Trace};
use crate::audit::flows::{Flow, Step};
use crate::audit::input::{Look, parse_id};
use crate::azure::{roles, types};

pub(super) fn subnet_target(n: &Net, s: usize) -> Target {
    let sn = &n.subnets[s];
    let vres = n.vnets[sn.vnet].res;
    let v = n.r(vres);
    Target {
        rtype: types::SUBNET.to_string(),
        name: format!("{}/{}", v.name, sn.name),
        sub: Some(v.subscription.clone()),
        rg: v.resource_group.clone(),
        label: format!("subnet `{}/{}`", v.name, sn.name),
    }
}

pub(super) fn permissions(n: &Net, c: &Cluster, single: bool, out: &mut Vec<Flow>) {
    // Join the subnets.
    let mut f = new_flow("cp-join-subnets", &c.name);
    let mut subs: Vec<usize> = c.node_subnets().collect();
    if let (true, Some(a)) = (c.vnet_integration, c.api_subnet) {
        if !subs.contains(&a) {
            subs.push(a);
        }
    }
    for s in subs {
        let mut t = Trace::new(format!(
            "control plane of `{}` joins {}",
            c.name,
            n.subnet_label(s)
        ));
        holds(n, &mut t, &c.cp, access::JOIN_SUBNET, &subnet_target(n, s));
        f.paths.push(t.done());
    }
    if f.paths.is_empty() {
        f.na = Some(unplaced(c));
    }
    out.push(f);
    // The API server's zone.
    let mut f = new_flow("cp-dns-zone", &c.name);
    match (&c.zone, c.private) {
        _ if c.private_unknown.is_some() => {
            out.push(undecided(
                "cp-dns-zone",
                c,
                c.private_unknown.as_deref().unwrap_or_default(),
            ));
        }
        (ApiZone::Byo(zone, id), true) => {
            let mut t = Trace::new(format!(
                "control plane of `{}` writes zone `{zone}`",
                c.name
            ));
            match Target::id(n, id) {
                Some(target) => holds(n, &mut t, &c.cp, access::DNS_ZONE, &target),
                None => t.stuck(
                    Step::Permission,
                    format!("zone id `{id}` cannot be read"),
                    Some((c.res, ASP)),
                ),
            }
            f.paths.push(t.done());
            out.push(f);
        }
        (_, false) => out.push(na(f, "public API server: no private zone to write")),
        (ApiZone::Unknown(u), _) => {
            let mut t = Trace::new(format!("control plane of `{}` writes its zone", c.name));
            t.stuck(
                Step::Permission,
                format!("privateDNSZone is `{u}`, which the audit cannot evaluate"),
                Some((c.res, ASP)),
            );
            f.paths.push(t.done());
            out.push(f);
        }
        _ => out.push(na(
            f,
            "AKS manages the zone itself (privateDNSZone system or none)",
        )),
    }
    // The kubelet identity.
    let mut f = new_flow("cp-kubelet-identity", &c.name);
    let shared = c.kubelet.as_ref().is_some_and(|k| c.cp.contains(k));
    match (
        &c.kubelet_id,
        c.cp.iter().any(|p| matches!(p, Principal::Identity(_))),
    ) {
        _ if shared => out.push(na(
            f,
            "the control plane and the kubelet share one identity",
        )),
        (Some(id), true) => {
            let mut t = Trace::new(format!(
                "control plane of `{}` assigns its kubelet identity",
                c.name
            ));
            match Target::id(n, id) {
                Some(target) => holds(n, &mut t, &c.cp, access::IDENTITY_OPERATOR, &target),
                None => t.stuck(
                    Step::Permission,
                    format!("kubelet identity id `{id}` cannot be read"),
                    Some((c.res, "properties.identityProfile")),
                ),
            }
            f.paths.push(t.done());
            out.push(f);
        }
        _ => out.push(na(
            f,
            "no user-assigned kubelet identity with a user-assigned control-plane identity",
        )),
    }
    // Pull.
    let mut f = new_flow("kubelet-pull", &c.name);
    let regs = belonging(n, c, types::ACR, single);
    for r in &regs {
        let mut t = Trace::new(format!(
            "kubelet of `{}` pulls from registry `{}`",
            c.name,
            n.r(*r).name
        ));
        let who: Vec<Principal> = c.kubelet.iter().cloned().collect();
        holds(n, &mut t, &who, access::ACR_PULL, &Target::of(n, *r));
        let q = n.r(*r).get("properties.policies.quarantinePolicy.status");
        match q {
            Look::Value(v)
                if v.as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("enabled")) =>
            {
                let writer = n.q.of_type(types::ROLE).any(|(_, a)| {
                    a.get("properties.roleDefinitionId").str().is_some_and(|d| {
                        d.to_ascii_lowercase()
                            .ends_with(roles::ACR_QUARANTINE_WRITER)
                    }) && a
                        .scope
                        .as_deref()
                        .and_then(parse_id)
                        .is_some_and(|(_, names)| {
                            names
                                .first()
                                .is_some_and(|x| x.eq_ignore_ascii_case(&n.r(*r).name))
                        })
                });
                if writer {
                    t.pass(Step::Destination, "quarantine is on and a principal holds AcrQuarantineWriter to mark scanned images passed: the kubelet pulls them once passed", Some((*r, "properties.policies.quarantinePolicy.status")));
                } else {
                    t.block(Step::Destination, "quarantine is on (quarantinePolicy.status: enabled) and nothing holds AcrQuarantineWriter: no pushed image ever becomes pullable", Some((*r, "properties.policies.quarantinePolicy.status")));
                }
            }
            Look::Unknown(u) => t.unknown(
                Step::Destination,
                format!("quarantinePolicy.status is `{u}`"),
                Some((*r, "properties.policies.quarantinePolicy.status")),
            ),
            _ => t.pass(
                Step::Destination,
                "quarantine is off: pushed images are pullable at once",
                Some((*r, "properties.policies.quarantinePolicy.status")),
            ),
        }
        f.paths.push(t.done());
    }
    if regs.is_empty() {
        f.na = Some("no registry belongs to the cluster in the input".into());
    }
    out.push(f);
    // Secrets.
    let mut f = new_flow("csi-secrets", &c.name);
    let csi = truthy(
        n.r(c.res)
            .get("properties.addonProfiles.azureKeyvaultSecretsProvider.enabled"),
    );
    let vaults = belonging(n, c, types::KV, single);
    if !csi {
        out.push(na(f, "the Key Vault secrets provider add-on is off"));
    } else if vaults.is_empty() {
        out.push(na(f, "no vault belongs to the cluster in the input"));
    } else {
        for v in &vaults {
            let mut t = Trace::new(format!(
                "secrets provider of `{}` reads secrets of vault `{}`",
                c.name,
                n.r(*v).name
            ));
            if truthy(n.r(*v).get("properties.enableRbacAuthorization")) {
                let who = vec![Principal::Addon(
                    c.name.to_ascii_lowercase(),
                    "azurekeyvaultsecretsprovider".into(),
                )];
                holds(n, &mut t, &who, access::SECRETS_USER, &Target::of(n, *v));
            } else {
                t.unknown(
                    Step::Permission,
                    "the vault authorises with access policies, which the model does not judge",
                    Some((*v, "properties.enableRbacAuthorization")),
                );
            }
            f.paths.push(t.done());
        }
        out.push(f);
    }
    // KMS.
    let mut f = new_flow("cp-kms-key", &c.name);
    let kms = "properties.securityProfile.azureKeyVaultKms";
    let r = n.r(c.res);
    if truthy(r.get(&format!("{kms}.enabled"))) {
        let mut t = Trace::new(format!("control plane of `{}` uses its KMS key", c.name));
        let key = kms_key(n, r.get(&format!("{kms}.keyId")));
        let target = key.or_else(|| {
            r.get(&format!("{kms}.keyVaultResourceId"))
                .str()
                .and_then(|id| Target::id(n, id))
        });
        match target {
            Some(target) => holds(n, &mut t, &c.cp, access::CRYPTO_USER, &target),
            None => t.stuck(
                Step::Permission,
                "the KMS key cannot be placed",
                Some((c.res, &format!("{kms}.keyId"))),
            ),
        }
        f.paths.push(t.done());
        out.push(f);
    } else {
        out.push(na(f, "KMS etcd encryption is off"));
    }
}

/// The key a KMS key id names: a key URI, or a `reference()` to a key resource.
pub(super) fn kms_key(n: &Net, l: Look<'_>) -> Option<Target> {
    let s = match l {
        Look::Value(v) => v.as_str()?.to_string(),
        Look::Unknown(u) => u.to_string(),
        Look::Missing => return None,
    };
    if let Some(rest) = s.strip_prefix("https://") {
        let vault = rest.split('.').next()?;
        let key = rest.split('/').nth(2)?;
        return Target::id(n, &format!("{}/{vault}/keys/{key}", types::KV));
    }
    let args: Vec<&str> = s.split('\'').skip(1).step_by(2).collect();
    let ti = args
        .iter()
        .position(|a| a.eq_ignore_ascii_case(types::KV_KEY))?;
    let (vault, key) = (args.get(ti + 1)?, args.get(ti + 2)?);
    Target::id(n, &format!("{}/{vault}/keys/{key}", types::KV))
}
