//! The access graph: who a role assignment's principal is, and whether an assignment's scope
//! covers a resource. A principal is known when its id is a literal or a `reference()` to an
//! identity (a user-assigned identity's `principalId`, a cluster's own identity or one of its
//! add-ons' identities); anything else is unknown, never a match.

use super::Step;
use super::net::{Net, Trace};
use crate::audit::input::{Look, Place, parse_id};
use crate::azure::{roles, types};
use indexmap::IndexMap;
use std::collections::BTreeMap;

/// Who a principal is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Principal {
    /// A user-assigned identity, by lower-case name.
    Identity(String),
    /// A resource's system-assigned identity: (lower-case type, lower-case name).
    System(String, String),
    /// A cluster add-on's identity: (lower-case cluster name, lower-case add-on).
    Addon(String, String),
    /// A literal object id.
    Literal(String),
    /// An expression the model cannot tie to an identity.
    Other(String),
}

impl Principal {
    /// How traces name it.
    pub fn describe(&self) -> String {
        match self {
            Principal::Identity(n) => format!("identity `{n}`"),
            Principal::System(t, n) => format!(
                "the system-assigned identity of {} `{n}`",
                super::net::short(t)
            ),
            Principal::Addon(c, a) => format!("the `{a}` add-on identity of cluster `{c}`"),
            Principal::Literal(id) => format!("principal `{id}`"),
            Principal::Other(e) => format!("the principal `{e}`"),
        }
    }
}

/// The quoted arguments of an expression, in order.
fn quoted(expr: &str) -> Vec<String> {
    expr.split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Who a principal id (literal or expression) stands for.
pub(crate) fn principal(l: Look<'_>) -> Option<Principal> {
    let expr = match l {
        Look::Missing => return None,
        Look::Value(v) => {
            let s = v.as_str()?;
            if !crate::audit::expr::is_expression(s) {
                return Some(Principal::Literal(s.to_ascii_lowercase()));
            }
            s.to_string()
        }
        Look::Unknown(u) => u.to_string(),
    };
    let lower = expr.to_ascii_lowercase();
    if !lower.contains("reference(") {
        return Some(Principal::Other(expr));
    }
    let args = quoted(&expr);
    let Some(ti) = args
        .iter()
        .position(|a| a.starts_with("Microsoft.") && a.contains('/'))
    else {
        return Some(Principal::Other(expr));
    };
    let rtype = args[ti].to_ascii_lowercase();
    // The name must be the literal right after the type: `'type', 'name'`; a name built from
    // variables or parameters is not known here.
    let after = format!("'{}'", args[ti]);
    let literal_next = expr
        .find(&after)
        .map(|i| expr[i + after.len()..].trim_start())
        .is_some_and(|rest| rest.starts_with(',') && rest[1..].trim_start().starts_with('\''));
    let Some(name) = args
        .get(ti + 1)
        .filter(|_| literal_next)
        .map(|n| n.to_ascii_lowercase())
    else {
        return Some(Principal::Other(expr));
    };
    let tail = lower
        .rfind(").")
        .map(|i| lower[i + 2..].trim_end_matches(']').to_string())
        .unwrap_or_default();
    Some(
        if rtype == types::UAI.to_ascii_lowercase() && tail == "principalid" {
            Principal::Identity(name)
        } else if tail == "identity.principalid" {
            Principal::System(rtype, name)
        } else if let Some(addon) = tail
            .strip_prefix("addonprofiles.")
            .and_then(|t| t.strip_suffix(".identity.objectid"))
        {
            Principal::Addon(name, addon.to_string())
        } else {
            Principal::Other(expr)
        },
    )
}

/// A resource a role must be held on: its type, full name and where it is deployed.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub rtype: String,
    pub name: String,
    pub sub: Option<Place>,
    pub rg: Option<Place>,
    /// How traces name it.
    pub label: String,
}

impl Target {
    /// A resource of the input.
    pub fn of(n: &Net, r: usize) -> Target {
        let res = n.r(r);
        Target {
            rtype: res.rtype.clone(),
            name: res.name.clone(),
            sub: Some(res.subscription.clone()),
            rg: res.resource_group.clone(),
            label: format!("{} `{}`", super::net::kind(&res.rtype), res.name),
        }
    }

    /// A resource named by an id, in the input or not.
    pub fn id(n: &Net, id: &str) -> Option<Target> {
        if let Some(r) = n.q.find_id(id) {
            return Some(Target::of(n, r));
        }
        let (rtype, names) = parse_id(id)?;
        let name = names.join("/");
        Some(Target {
            label: format!("{} `{name}`", super::net::kind(&rtype)),
            rtype,
            name,
            sub: None,
            rg: None,
        })
    }
}

/// Whether an assignment at `scope` (an id; `None` for the resource group or subscription it
/// is deployed to, given as `place`) covers `t`: the resource itself, a parent of it, or its
/// resource group or subscription.
fn covers(scope: Option<&str>, place: (&Place, Option<&Place>), t: &Target) -> Option<bool> {
    match scope {
        Some(s) => {
            if let Some((st, names)) = parse_id(s) {
                let sname = names.join("/");
                let same = st.eq_ignore_ascii_case(&t.rtype) && sname.eq_ignore_ascii_case(&t.name);
                let parent = t
                    .rtype
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}/", st.to_ascii_lowercase()))
                    && t.name
                        .to_ascii_lowercase()
                        .starts_with(&format!("{}/", sname.to_ascii_lowercase()));
                return Some(same || parent);
            }
            let l = s.to_ascii_lowercase();
            if l.contains("/resourcegroups/") || l.starts_with("/subscriptions/") {
                // A resource group or subscription id: compare with where the target is.
                let (sub, rg) = crate::audit::input::id_scope(s);
                let sub_ok = match (&sub, &t.sub) {
                    (Some(a), Some(Place::Known(b))) => Some(a.eq_ignore_ascii_case(b)),
                    _ => None,
                };
                let rg_ok = match (&rg, &t.rg) {
                    (None, _) => Some(true),
                    (Some(a), Some(Place::Known(b))) => Some(a.eq_ignore_ascii_case(b)),
                    _ => None,
                };
                return match (sub_ok, rg_ok) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                };
            }
            None
        }
        None => {
            let (sub, rg) = place;
            let sub_same = t.sub.as_ref().is_some_and(|s| s.same(sub));
            match rg {
                None => Some(sub_same),
                Some(rg) => Some(sub_same && t.rg.as_ref().is_some_and(|r| r.same(rg))),
            }
        }
    }
}

/// A role an actor needs: the role names it in traces; `accepted` are the role definition ids
/// that grant it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Need {
    pub role: &'static str,
    pub accepted: &'static [&'static str],
}

/// Join a subnet (`Microsoft.Network/virtualNetworks/subnets/join/action`).
pub(crate) const JOIN_SUBNET: Need = Need {
    role: "Network Contributor",
    accepted: &[roles::NETWORK_CONTRIBUTOR, roles::CONTRIBUTOR, roles::OWNER],
};
/// Write the API server's record into a private DNS zone.
pub(crate) const DNS_ZONE: Need = Need {
    role: "Private DNS Zone Contributor",
    accepted: &[
        roles::PRIVATE_DNS_ZONE_CONTRIBUTOR,
        roles::CONTRIBUTOR,
        roles::OWNER,
    ],
};
/// Pull images.
pub(crate) const ACR_PULL: Need = Need {
    role: "AcrPull",
    accepted: &[
        roles::ACR_PULL,
        roles::ACR_PUSH,
        roles::CONTRIBUTOR,
        roles::OWNER,
    ],
};
/// Read secrets.
pub(crate) const SECRETS_USER: Need = Need {
    role: "Key Vault Secrets User",
    accepted: &[
        roles::KEY_VAULT_SECRETS_USER,
        roles::KEY_VAULT_SECRETS_OFFICER,
        roles::KEY_VAULT_ADMINISTRATOR,
    ],
};
/// Use a key to wrap and unwrap.
pub(crate) const CRYPTO_USER: Need = Need {
    role: "Key Vault Crypto User",
    accepted: &[
        roles::KEY_VAULT_CRYPTO_USER,
        roles::KEY_VAULT_CRYPTO_OFFICER,
        roles::KEY_VAULT_ADMINISTRATOR,
    ],
};
/// Assign a user-assigned identity to something.
pub(crate) const IDENTITY_OPERATOR: Need = Need {
    role: "Managed Identity Operator",
    accepted: &[
        roles::MANAGED_IDENTITY_OPERATOR,
        roles::MANAGED_IDENTITY_CONTRIBUTOR,
        roles::CONTRIBUTOR,
        roles::OWNER,
    ],
};

/// A role assignment, read once: its role and who it names.
#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    pub res: usize,
    pub principal: Principal,
}

/// The assignments of one role, read once: in document order, and by who they name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grants {
    /// Every assignment of the role, in document order.
    all: Vec<Assignment>,
    /// Principal → its assignments (positions in `all`), for the principals the model knows.
    by_who: IndexMap<Principal, Vec<usize>>,
    /// Assignments whose principal the model cannot tie to an identity (positions in `all`).
    other: Vec<usize>,
}

/// The role assignments of the input with a principal, by lower-case role definition id.
pub(crate) fn assignments(n: &Net) -> BTreeMap<String, Grants> {
    let mut out: BTreeMap<String, Grants> = BTreeMap::new();
    for (a, ra) in n.q.of_type(types::ROLE) {
        let Some(role) = ra
            .get("properties.roleDefinitionId")
            .str()
            .map(|s| super::net::short(s).to_ascii_lowercase())
        else {
            continue;
        };
        let Some(p) = principal(ra.get("properties.principalId")) else {
            continue;
        };
        let g = out.entry(role).or_default();
        let pos = g.all.len();
        if matches!(p, Principal::Other(_)) {
            g.other.push(pos);
        } else {
            g.by_who.entry(p.clone()).or_default().push(pos);
        }
        g.all.push(Assignment {
            res: a,
            principal: p,
        });
    }
    out
}

/// Add the hop for whether one of `who` holds `need` on `t`.
pub(crate) fn holds(n: &Net, tr: &mut Trace, who: &[Principal], need: Need, t: &Target) {
    let names: Vec<String> = who.iter().map(Principal::describe).collect();
    let who_text = names.join(" or ");
    if who.is_empty() {
        tr.unknown(
            Step::Permission,
            format!("no identity is known to need {} on {}", need.role, t.label),
            None,
        );
        return;
    }
    let mut unknown: Option<(usize, String)> = None;
    // Only assignments to one of `who`, or to a principal the model cannot tie to anyone, can
    // decide: read just those, in document order.
    let mut candidates: Vec<&Assignment> = Vec::new();
    for g in need.accepted.iter().filter_map(|r| n.assignments.get(*r)) {
        let mine = who.iter().filter_map(|w| g.by_who.get(w)).flatten();
        candidates.extend(mine.chain(&g.other).map(|&i| &g.all[i]));
    }
    candidates.sort_by_key(|x| x.res);
    candidates.dedup_by_key(|x| x.res);
    for Assignment {
        res: a,
        principal: p,
    } in candidates
    {
        let a = *a;
        let matches_who = who.contains(p);
        if !matches_who && !matches!(p, Principal::Other(_)) {
            continue;
        }
        let ra = n.r(a);
        let rg = ra.resource_group.as_ref();
        let scope = ra.scope.as_deref();
        if scope.is_some_and(crate::audit::expr::is_expression) {
            unknown = Some((
                a,
                format!(
                    "an assignment of {} is scoped by `{}`, which the audit cannot evaluate",
                    need.role,
                    scope.unwrap_or_default()
                ),
            ));
            continue;
        }
        let covered = covers(scope, (&ra.subscription, rg), t);
        match (covered, matches_who, p) {
            (Some(true), true, _) => {
                let at = match scope {
                    Some(s) => format!("scope {}", super::net::short(s)),
                    None => n.q.rg_name(a),
                };
                tr.pass(
                    Step::Permission,
                    format!(
                        "{} holds {} on {} (role assignment at {at})",
                        p.describe(),
                        need.role,
                        t.label
                    ),
                    Some((a, "properties.roleDefinitionId")),
                );
                return;
            }
            (Some(true) | None, false, Principal::Other(e)) | (None, true, Principal::Other(e)) => {
                unknown = Some((
                    a,
                    format!(
                        "an assignment of {} names principal `{e}`, which the model cannot tie to an identity",
                        need.role
                    ),
                ));
            }
            (None, true, _) => {
                unknown = Some((
                    a,
                    format!(
                        "an assignment of {} to {} is on a scope the model cannot compare with {}",
                        need.role,
                        p.describe(),
                        t.label
                    ),
                ));
            }
            _ => {}
        }
    }
    match unknown {
        Some((a, why)) => tr.unknown(Step::Permission, why, Some((a, "properties.principalId"))),
        None if who.iter().all(|w| matches!(w, Principal::System(..))) => tr.unknown(
            Step::Permission,
            format!(
                "no role assignment in the input gives {who_text} {} on {}; a system-assigned identity gets it from whoever creates the resource, if they may grant it",
                need.role, t.label
            ),
            None,
        ),
        None => tr.block(
            Step::Permission,
            format!(
                "no role assignment gives {who_text} {} on {} or a scope above it",
                need.role, t.label
            ),
            None,
        ),
    }
}
