//! NSG evaluation: the rules of a subnet's NSG, with the default rules, in priority order.

use super::{Conn, FirstMatch, Net, Ordered, Ref, Trace};
use crate::audit::flows::Step;
use crate::audit::flows::addr::{Addr, Tri, port_in, prefix_matches};
use crate::azure::subnets;

impl Net<'_> {
    /// Evaluate the NSG of subnet `s` for traffic in `inbound` direction; adds the hop.
    pub fn nsg(&self, t: &mut Trace, s: usize, inbound: bool, src: &Addr, dst: &Addr, conn: Conn) {
        let sn = &self.subnets[s];
        let dir = if inbound { "inbound" } else { "outbound" };
        let (sres, spath) = self.subnet_at_path(s);
        let nsg = match &sn.nsg {
            Ref::None => {
                if subnets::nsg_exempt(&sn.name) {
                    t.pass(
                        Step::Nsg,
                        format!(
                            "{} has no NSG (Azure allows none on it)",
                            self.subnet_label(s)
                        ),
                        Some((sres, &spath)),
                    );
                } else {
                    t.pass(
                        Step::Nsg,
                        format!(
                            "{} has no NSG: nothing filters {dir} traffic",
                            self.subnet_label(s)
                        ),
                        Some((sres, &spath)),
                    );
                }
                return;
            }
            Ref::Unknown(u) => {
                t.unknown(
                    Step::Nsg,
                    format!(
                        "the NSG of {} is `{u}`, which the audit cannot evaluate",
                        self.subnet_label(s)
                    ),
                    Some((sres, &spath)),
                );
                return;
            }
            Ref::Absent(id) => {
                t.unknown(
                    Step::Nsg,
                    format!(
                        "the NSG of {} is `{id}`, which is not in the input",
                        self.subnet_label(s)
                    ),
                    Some((sres, &spath)),
                );
                return;
            }
            Ref::At(n) => *n,
        };
        let tag = self.vnet_tag(s);
        let nsg_name = &self.r(nsg).name;
        let mut walk = FirstMatch::new(Step::Nsg, "comes before");
        for rule in self.nsg_rules.get(&nsg).map_or(&[][..], Vec::as_slice) {
            if rule.inbound != inbound {
                continue;
            }
            let proto_ok = rule.protocol == "*"
                || rule.protocol.eq_ignore_ascii_case("any")
                || rule.protocol.eq_ignore_ascii_case(conn.proto.as_str());
            if (!proto_ok || !rule.ports.iter().any(|p| port_in(p, conn.port)))
                && rule.unknown.is_none()
            {
                continue;
            }
            let m = match &rule.unknown {
                Some(u) => Tri::Maybe(u.clone()),
                None => Tri::any(rule.src.iter().map(|p| prefix_matches(p, src, Some(tag)))).and(
                    Tri::any(rule.dst.iter().map(|p| prefix_matches(p, dst, Some(tag)))),
                ),
            };
            if m == Tri::No {
                continue;
            }
            let desc = text!(
                "NSG `",
                nsg_name,
                "` ",
                dir,
                " rule `",
                rule.name,
                "` (priority ",
                rule.priority,
                if rule.default {
                    ", Azure's default"
                } else {
                    ""
                },
                ") ",
                if rule.allow { "allows" } else { "denies" },
                " ",
                *src,
                " ",
                conn,
                " → ",
                *dst,
            );
            let ordered = Ordered {
                allow: rule.allow,
                res: rule.res,
                path: &rule.path,
                name: &rule.name,
            };
            if walk.rule(t, m, ordered, desc) {
                return;
            }
        }
        t.unknown(
            Step::Nsg,
            format!("NSG `{nsg_name}`: no rule decides"),
            Some((nsg, "properties.securityRules")),
        );
    }
}
