//! The estate's address plan: spoke subnets derived from a layout, and the rules that keep
//! networks and cluster ranges apart, with Azure's documentation for each rule.
//!
//! - Networks (the hub and every spoke VNet) never overlap one another: spokes are peered with
//!   the hub and reach each other through its firewall, and Azure refuses to peer virtual
//!   networks whose address spaces overlap
//!   (<https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview>).
//! - With Azure CNI Overlay (what aks-harden plans: `networkPluginMode: overlay`), a pod range is
//!   private to its cluster: "you can reuse the private CIDR in different AKS clusters"
//!   (<https://learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay>). The same page
//!   asks that the pod range not overlap the cluster's subnet range nor networks the cluster is
//!   directly connected to (peerings, VPN, ExpressRoute), and that the service range not
//!   overlap the pod range, the cluster's subnet range, peered networks or on-premises ranges.
//!   A cluster reaches its own VNet, the hub and, through the hub, every other spoke: its pod and
//!   service ranges stay out of all of them, and apart from each other. Service ranges are
//!   virtual and cluster-local, so they too may repeat across clusters.
//! - Flat networking (pods take VNet addresses: Azure CNI without overlay) keeps the stricter
//!   rule: a pod range is then a network like any other and unique across the estate, clear of
//!   every other cluster's pod and service ranges
//!   (<https://learn.microsoft.com/azure/aks/concepts-network-legacy-cni>).
//! - The DNS service address lies in the service range and is not its first address, which
//!   Kubernetes gives the API server's service (`kubernetes.default`)
//!   (<https://learn.microsoft.com/azure/aks/concepts-network-azure-cni-overlay>, IP address
//!   planning). Checked in `spoke.rs`.
//!
//! Every check is an interval sort or a binary search, never all pairs of spokes, so a thousand
//! spokes validate in milliseconds. An overlap names the next free range of the same size.

use super::{Range, Validator};
use crate::diag::{Code, Diagnostic};
use crate::model::{Cidr, CidrError, SubnetRole};
use crate::profile;

/// How a cluster's pods are addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PodNetwork {
    /// Azure CNI Overlay: the pod range is private to the cluster.
    Overlay,
    /// Pods take routable addresses: the pod range is a network like the VNets.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "no estate selects flat networking yet: aks-harden plans every cluster with Azure CNI Overlay; the stricter rule is kept for when one does"
        )
    )]
    Flat,
}

/// How the estate's clusters address their pods: every cluster aks-harden plans uses Azure CNI
/// Overlay (`plan/cluster.rs` writes `networkPluginMode: overlay`).
pub(super) fn pod_network(_: &profile::ClusterNetwork) -> PodNetwork {
    PodNetwork::Overlay
}

/// One cluster's pod and service ranges.
pub(super) struct ClusterRanges {
    /// Pod range, when it parsed.
    pub pod: Option<Range>,
    /// Service range, when it parsed.
    pub service: Option<Range>,
    /// How the pods are addressed.
    pub network: PodNetwork,
}

/// Every range the estate-wide rules look at.
#[derive(Default)]
pub(super) struct AddressPlan {
    /// VNet address spaces: the hub first, then the spokes.
    pub networks: Vec<Range>,
    /// The clusters, one per spoke.
    pub clusters: Vec<ClusterRanges>,
}

/// Ranges sorted by first address, answering "which range overlaps this one" by binary search.
/// CIDR ranges either nest or are disjoint; the index holds any ranges, overlapping or not.
pub(super) struct RangeIndex {
    /// (first, last, caller's id), by first address.
    items: Vec<(u32, u32, usize)>,
    /// `best[i]`: the position in `items[..=i]` of the range that ends last.
    best: Vec<usize>,
}

impl RangeIndex {
    pub(super) fn new(ranges: impl IntoIterator<Item = (Cidr, usize)>) -> RangeIndex {
        let mut items: Vec<(u32, u32, usize)> = ranges
            .into_iter()
            .map(|(c, id)| (c.start(), c.end(), id))
            .collect();
        items.sort_unstable();
        let mut best: Vec<usize> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let keep = match best.last() {
                Some(&b) if items[b].1 >= item.1 => b,
                _ => i,
            };
            best.push(keep);
        }
        RangeIndex { items, best }
    }

    /// The id of a range that overlaps `q` (the one that ends last among those that start before
    /// `q` ends), if any.
    pub(super) fn overlapping(&self, q: Cidr) -> Option<usize> {
        let n = self
            .items
            .partition_point(|&(first, _, _)| first <= q.end());
        let b = *self.best.get(n.checked_sub(1)?)?;
        (self.items[b].1 >= q.start()).then_some(self.items[b].2)
    }

    /// The last address of the range [`Self::overlapping`] finds for `q`.
    fn end_of_overlap(&self, q: Cidr) -> Option<u32> {
        let n = self
            .items
            .partition_point(|&(first, _, _)| first <= q.end());
        let b = *self.best.get(n.checked_sub(1)?)?;
        (self.items[b].1 >= q.start()).then_some(self.items[b].1)
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// The private block (RFC 1918, or the shared space 100.64.0.0/10 Azure VNets accept) that holds
/// `c`, where suggestions stay.
fn private_block(c: Cidr) -> Cidr {
    const BLOCKS: [(u32, u8); 4] = [
        (0x0A00_0000, 8),  // 10.0.0.0/8
        (0xAC10_0000, 12), // 172.16.0.0/12
        (0xC0A8_0000, 16), // 192.168.0.0/16
        (0x6440_0000, 10), // 100.64.0.0/10
    ];
    BLOCKS
        .iter()
        .filter_map(|&(a, l)| Cidr::from_parts(a, l))
        .find(|b| b.contains(c))
        .unwrap_or(Cidr::ANY)
}

/// The next range of `c`'s size after `c` that overlaps nothing in any of `taken`, wrapping
/// around inside `within`; `None` when there is none.
pub(super) fn next_free(c: Cidr, taken: &[&RangeIndex], within: Cidr) -> Option<Cidr> {
    let size = c.size();
    let (lo, hi) = (u64::from(within.start()), u64::from(within.end()));
    if !within.contains(c) {
        return None;
    }
    let steps = taken.iter().map(|t| t.len()).sum::<usize>() + 1;
    let search = |mut s: u64, stop: u64| -> Option<Cidr> {
        for _ in 0..=steps {
            if s + size - 1 > hi || s >= stop {
                return None;
            }
            let cand = Cidr::from_parts(u32::try_from(s).ok()?, c.prefix_len())?;
            match taken.iter().filter_map(|t| t.end_of_overlap(cand)).max() {
                None => return Some(cand),
                // Past the range that reaches furthest: every range that starts inside the
                // candidate ends before that.
                Some(end) => s = (u64::from(end) + 1).div_ceil(size) * size,
            }
        }
        None
    };
    search(u64::from(c.start()) + size, hi + 1).or_else(|| search(lo, u64::from(c.start())))
}

/// `"; the next free /16 is 10.2.0.0/16"`, or nothing when no range of that size is free.
fn free_note(c: Cidr, taken: &[&RangeIndex]) -> String {
    next_free(c, taken, private_block(c)).map_or_else(String::new, |f| {
        format!("; the next free /{} is {f}", c.prefix_len())
    })
}

impl Validator {
    /// Report overlaps among a handful of ranges (subnets of one network), all pairs, each with
    /// the next free range of its size inside `within`.
    pub(super) fn no_overlaps(&mut self, ranges: &[Range], within: Option<Cidr>) {
        for (i, a) in ranges.iter().enumerate() {
            for b in &ranges[i + 1..] {
                if a.cidr.overlaps(b.cidr) {
                    let taken = RangeIndex::new(ranges.iter().map(|r| (r.cidr, 0)));
                    let free = within
                        .and_then(|w| next_free(b.cidr, &[&taken], w))
                        .map_or_else(String::new, |f| {
                            format!(
                                "; the next free /{} inside {} is {f}",
                                b.cidr.prefix_len(),
                                within.unwrap_or(Cidr::ANY)
                            )
                        });
                    self.diags.push(
                        Diagnostic::error(
                            Code::CidrOverlap,
                            &b.pointer,
                            format!("{} {} and {} {} overlap", a.what, a.cidr, b.what, b.cidr),
                            format!(
                                "give {} (at {}) or {} (at {}) a range the other does not cover{free}",
                                a.what, a.pointer, b.what, b.pointer
                            ),
                        )
                        .related_to(&a.pointer),
                    );
                }
            }
        }
    }

    /// The estate-wide rules: networks apart, each cluster's ranges apart from each other and
    /// from every network; pod ranges of flat clusters unique. Near-linear in the spokes.
    pub(super) fn address_plan(&mut self, plan: &AddressPlan) {
        // Ranges that must be unique estate-wide: the networks, and pod ranges of flat clusters.
        let mut unique: Vec<&Range> = plan.networks.iter().collect();
        let mut own_pod = vec![None; plan.clusters.len()];
        for (k, c) in plan.clusters.iter().enumerate() {
            if let (Some(pod), PodNetwork::Flat) = (&c.pod, c.network) {
                own_pod[k] = Some(unique.len());
                unique.push(pod);
            }
        }
        // What a network must avoid: every range of the estate (every cluster reaches every
        // network).
        let everything = RangeIndex::new(
            unique
                .iter()
                .map(|r| r.cidr)
                .chain(
                    plan.clusters
                        .iter()
                        .flat_map(|c| [&c.pod, &c.service])
                        .flatten()
                        .map(|r| r.cidr),
                )
                .map(|c| (c, 0)),
        );

        // Unique ranges, pairwise: a sweep by first address, each range against the one that
        // reaches furthest before it.
        let mut order: Vec<usize> = (0..unique.len()).collect();
        order.sort_by_key(|&i| (unique[i].cidr.start(), i));
        let mut reach: Option<usize> = None;
        for i in order {
            if let Some(r) = reach {
                if unique[i].cidr.start() <= unique[r].cidr.end() {
                    let (a, b) = if r < i { (r, i) } else { (i, r) };
                    self.apart(unique[a], unique[b], &[&everything], &[&everything]);
                }
            }
            if reach.is_none_or(|r| unique[i].cidr.end() > unique[r].cidr.end()) {
                reach = Some(i);
            }
        }

        // Each cluster: its pod and service ranges apart from each other and from every network.
        let networks = RangeIndex::new(unique.iter().enumerate().map(|(i, r)| (r.cidr, i)));
        let one = |r: &Range| RangeIndex::new([(r.cidr, 0)]);
        for (k, c) in plan.clusters.iter().enumerate() {
            if let (Some(pod), Some(svc)) = (&c.pod, &c.service) {
                if pod.cidr.overlaps(svc.cidr) {
                    let (avoid_svc, avoid_pod) = (one(svc), one(pod));
                    self.apart(pod, svc, &[&networks, &avoid_svc], &[&networks, &avoid_pod]);
                }
            }
            let pod = c.pod.as_ref().filter(|_| c.network == PodNetwork::Overlay);
            for (r, other) in [
                (pod, c.service.as_ref()),
                (c.service.as_ref(), c.pod.as_ref()),
            ] {
                let Some(r) = r else { continue };
                let Some(hit) = networks.overlapping(r.cidr) else {
                    continue;
                };
                if own_pod[k] == Some(hit) {
                    continue; // the cluster's own (flat) pod range: reported above
                }
                let net = unique[hit];
                let avoid = other.map(one);
                let taken: Vec<&RangeIndex> = [Some(&networks), avoid.as_ref()]
                    .into_iter()
                    .flatten()
                    .collect();
                self.diags.push(
                    Diagnostic::error(
                        Code::CidrOverlap,
                        &r.pointer,
                        format!(
                            "{} {} overlaps {} {}: a cluster's pod and service ranges may repeat across clusters but must miss every network the cluster reaches",
                            r.what, r.cidr, net.what, net.cidr
                        ),
                        format!(
                            "give {} (at {}) or {} (at {}) another range{}",
                            r.what,
                            r.pointer,
                            net.what,
                            net.pointer,
                            free_note(r.cidr, &taken),
                        ),
                    )
                    .related_to(&net.pointer),
                );
            }
        }
    }

    /// Two ranges that must not overlap: reported at the later one (`b`), with both pointers and
    /// the next free range for each, avoiding what `taken_a` and `taken_b` hold.
    fn apart(&mut self, a: &Range, b: &Range, taken_a: &[&RangeIndex], taken_b: &[&RangeIndex]) {
        let free_b = next_free(b.cidr, taken_b, private_block(b.cidr));
        let free_a = next_free(a.cidr, taken_a, private_block(a.cidr));
        let free = match (free_b, free_a) {
            (Some(fb), Some(fa)) if fb == fa => {
                format!("; the next free /{} is {fb}", b.cidr.prefix_len())
            }
            (Some(fb), Some(fa)) => format!(
                "; next free of the same size: {fb} for {}, {fa} for {}",
                b.what, a.what
            ),
            (Some(f), None) => format!("; the next free /{} is {f}", b.cidr.prefix_len()),
            (None, Some(f)) => format!("; the next free /{} is {f}", a.cidr.prefix_len()),
            (None, None) => String::new(),
        };
        self.diags.push(
            Diagnostic::error(
                Code::CidrOverlap,
                &b.pointer,
                format!("{} {} and {} {} overlap", a.what, a.cidr, b.what, b.cidr),
                format!(
                    "give {} (at {}) or {} (at {}) a range the other does not cover{free}",
                    a.what, a.pointer, b.what, b.pointer
                ),
            )
            .related_to(&a.pointer),
        );
    }
}

/// A spoke subnet: where it came from (`pointer`: the spoke's `subnets` entry, or its
/// `subnetLayout` entry when derived) and its range.
pub(super) struct SpokeSubnet {
    pub role: SubnetRole,
    pub field: &'static str,
    pub cidr: Cidr,
    pub pointer: String,
}

/// The spoke subnet roles in plan order.
const ROLES: [SubnetRole; 6] = [
    SubnetRole::System,
    SubnetRole::User,
    SubnetRole::ApiServer,
    SubnetRole::PrivateEndpoints,
    SubnetRole::Ingress,
    SubnetRole::ApplicationGateway,
];

fn written(s: &profile::SpokeSubnets, role: SubnetRole) -> Option<&String> {
    match role {
        SubnetRole::System => s.system.as_ref(),
        SubnetRole::User => s.user.as_ref(),
        SubnetRole::ApiServer => s.api_server.as_ref(),
        SubnetRole::PrivateEndpoints => s.private_endpoints.as_ref(),
        SubnetRole::Ingress => s.ingress.as_ref(),
        SubnetRole::ApplicationGateway => s.application_gateway.as_ref(),
    }
}

fn laid_out(l: &profile::SubnetLayout, role: SubnetRole) -> Option<&String> {
    match role {
        SubnetRole::System => l.system.as_ref(),
        SubnetRole::User => l.user.as_ref(),
        SubnetRole::ApiServer => l.api_server.as_ref(),
        SubnetRole::PrivateEndpoints => l.private_endpoints.as_ref(),
        SubnetRole::Ingress => l.ingress.as_ref(),
        SubnetRole::ApplicationGateway => l.application_gateway.as_ref(),
    }
}

/// Whether the spoke has, or can derive, a subnet for `role`.
pub(super) fn has_subnet(s: &profile::Spoke, role: SubnetRole) -> bool {
    written(&s.subnets, role).is_some()
        || s.subnet_layout
            .as_ref()
            .is_some_and(|l| laid_out(l, role).is_some())
}

/// The smallest prefix length whose range holds `n` addresses.
fn prefix_for(n: u64) -> u8 {
    let bits = 64 - n.saturating_sub(1).leading_zeros();
    u8::try_from(32u32.saturating_sub(bits)).unwrap_or(0)
}

impl Validator {
    /// The spoke's subnets in plan order, for the roles `needed` asks for: each as written, or
    /// derived from `space` by the layout. Reports a layout offset that is not one, a layout
    /// that does not fit (naming the smallest address space that would), and a needed subnet
    /// that is neither written nor laid out.
    pub(super) fn spoke_subnets(
        &mut self,
        p: &str,
        key: &str,
        s: &profile::Spoke,
        space: Option<Cidr>,
        needed: impl Fn(SubnetRole) -> bool,
    ) -> Vec<SpokeSubnet> {
        let mut out = Vec::new();
        // Layout entries that do not fit: (field, offset).
        let mut outside: Vec<(&'static str, Cidr)> = Vec::new();
        let mut reach: u64 = 0;
        for role in ROLES {
            let field = role.field();
            if !needed(role) {
                continue;
            }
            if let Some(value) = written(&s.subnets, role) {
                let pointer = format!("{p}/subnets/{field}");
                if let Some(cidr) = self.cidr(value, &pointer) {
                    out.push(SpokeSubnet {
                        role,
                        field,
                        cidr,
                        pointer,
                    });
                }
                continue;
            }
            let Some(value) = s.subnet_layout.as_ref().and_then(|l| laid_out(l, role)) else {
                if matches!(
                    role,
                    SubnetRole::System
                        | SubnetRole::User
                        | SubnetRole::PrivateEndpoints
                        | SubnetRole::Ingress
                ) {
                    self.err(
                        Code::MissingKey,
                        &format!("{p}/subnets"),
                        format!("spoke {key:?} has no {field} subnet"),
                        format!("write \"subnets\": {{\"{field}\": \"<a range inside the spoke>\"}}, or give \"subnetLayout\" a {field:?} entry (in \"spokeDefaults\", every spoke derives one)"),
                    );
                }
                continue;
            };
            let pointer = format!("{p}/subnetLayout/{field}");
            let offset = match Cidr::parse(value) {
                Ok(c) => c,
                Err(CidrError::HostBits(c)) => {
                    self.err(
                        Code::CidrHostBits,
                        &pointer,
                        format!(
                            "layout offset {value:?} does not start on a /{} boundary",
                            c.prefix_len()
                        ),
                        format!("did you mean \"{c}\"?"),
                    );
                    continue;
                }
                Err(_) => {
                    self.err(
                        Code::CidrSyntax,
                        &pointer,
                        format!("{value:?} is not an offset and a prefix length"),
                        "write where the subnet starts inside the address space and its size, like a CIDR: \"0.0.4.0/22\" is the /22 that starts 1,024 addresses in".into(),
                    );
                    continue;
                }
            };
            let Some(space) = space else { continue };
            let fits =
                offset.prefix_len() >= space.prefix_len() && u64::from(offset.end()) < space.size();
            reach = reach.max(u64::from(offset.start()) + offset.size());
            if !fits {
                outside.push((field, offset));
                continue;
            }
            if let Some(cidr) =
                Cidr::from_parts(space.start() + offset.start(), offset.prefix_len())
            {
                out.push(SpokeSubnet {
                    role,
                    field,
                    cidr,
                    pointer,
                });
            }
        }
        if let (Some(space), false) = (space, outside.is_empty()) {
            let need = prefix_for(reach).min(
                outside
                    .iter()
                    .map(|(_, o)| o.prefix_len())
                    .min()
                    .unwrap_or(32),
            );
            let example = Cidr::from_parts(
                space.start() & (u32::MAX.checked_shl(32 - u32::from(need)).unwrap_or(0)),
                need,
            )
            .map_or_else(String::new, |c| format!(" (e.g. {c})"));
            let list = outside
                .iter()
                .map(|(f, o)| format!("{f} at {o}"))
                .collect::<Vec<_>>()
                .join(", ");
            self.err(
                Code::CidrOutside,
                &format!("{p}/addressSpace"),
                format!(
                    "spoke {key:?} address space {space} is too small for its subnet layout ({list}): the smallest address space that holds the layout is a /{need}"
                ),
                format!(
                    "give the spoke a /{need} or larger{example}, or write the subnets that do not fit under \"subnets\""
                ),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    fn range(s: &str, what: &str) -> Range {
        Range {
            cidr: c(s),
            pointer: format!("/{what}"),
            what: what.to_string(),
        }
    }

    fn validator() -> Validator {
        Validator { diags: Vec::new() }
    }

    #[test]
    fn the_index_finds_nested_and_neighbouring_ranges() {
        let idx = RangeIndex::new([(c("10.0.0.0/8"), 0), (c("10.1.0.0/16"), 1)]);
        assert_eq!(idx.overlapping(c("10.2.0.0/16")), Some(0));
        assert_eq!(idx.overlapping(c("11.0.0.0/16")), None);
        let idx = RangeIndex::new([(c("10.1.0.0/16"), 7), (c("10.3.0.0/16"), 8)]);
        assert_eq!(idx.overlapping(c("10.2.0.0/16")), None);
        assert_eq!(idx.overlapping(c("10.0.0.0/14")), Some(8));
        assert_eq!(idx.overlapping(c("10.3.4.0/24")), Some(8));
    }

    #[test]
    fn next_free_skips_what_is_taken_and_wraps() {
        let taken = RangeIndex::new(
            ["10.0.0.0/22", "10.1.0.0/16", "10.2.0.0/15", "10.245.0.0/16"]
                .into_iter()
                .map(|s| (c(s), 0)),
        );
        let ten = c("10.0.0.0/8");
        assert_eq!(
            next_free(c("10.1.0.0/16"), &[&taken], ten),
            Some(c("10.4.0.0/16"))
        );
        assert_eq!(
            next_free(c("10.0.0.0/22"), &[&taken], ten),
            Some(c("10.0.4.0/22"))
        );
        // At the end of the block, back to its start.
        let end = RangeIndex::new([(c("10.255.0.0/16"), 0), (c("10.0.0.0/16"), 0)]);
        assert_eq!(
            next_free(c("10.255.0.0/16"), &[&end], ten),
            Some(c("10.1.0.0/16"))
        );
        // Nothing free.
        let full = RangeIndex::new([(ten, 0)]);
        assert_eq!(next_free(c("10.3.0.0/16"), &[&full], ten), None);
        assert_eq!(prefix_for(3072), 20);
        assert_eq!(prefix_for(4096), 20);
        assert_eq!(prefix_for(4097), 19);
        assert_eq!(prefix_for(1), 32);
    }

    fn plan(networks: &[&str], clusters: &[(&str, &str, PodNetwork)]) -> AddressPlan {
        AddressPlan {
            networks: networks
                .iter()
                .enumerate()
                .map(|(i, s)| range(s, &format!("net{i}")))
                .collect(),
            clusters: clusters
                .iter()
                .enumerate()
                .map(|(i, (pod, svc, network))| ClusterRanges {
                    pod: Some(range(pod, &format!("pod{i}"))),
                    service: Some(range(svc, &format!("svc{i}"))),
                    network: *network,
                })
                .collect(),
        }
    }

    fn overlaps(p: &AddressPlan) -> Vec<(String, String)> {
        let mut v = validator();
        v.address_plan(p);
        v.diags
            .into_iter()
            .map(|d| {
                assert_eq!(d.code, Code::CidrOverlap);
                (d.pointer, d.related.unwrap_or_default())
            })
            .collect()
    }

    #[test]
    fn overlay_clusters_share_pod_and_service_ranges() {
        let nets = ["10.0.0.0/22", "10.1.0.0/16", "10.2.0.0/16"];
        let o = PodNetwork::Overlay;
        let shared = plan(
            &nets,
            &[
                ("10.244.0.0/16", "10.245.0.0/16", o),
                ("10.244.0.0/16", "10.245.0.0/16", o),
            ],
        );
        assert_eq!(overlaps(&shared), []);
        // One cluster's pod range on another's service range is no conflict either.
        let crossed = plan(
            &nets,
            &[
                ("10.244.0.0/16", "10.245.0.0/16", o),
                ("10.245.0.0/16", "10.244.0.0/16", o),
            ],
        );
        assert_eq!(overlaps(&crossed), []);
    }

    #[test]
    fn cluster_ranges_stay_out_of_every_network_and_apart() {
        let nets = ["10.0.0.0/22", "10.1.0.0/16", "10.2.0.0/16"];
        let o = PodNetwork::Overlay;
        // The hub, another spoke's VNet, and the cluster's own service range.
        let p = plan(
            &nets,
            &[
                ("10.0.0.0/16", "10.245.0.0/16", o),
                ("10.244.0.0/16", "10.2.0.0/24", o),
                ("10.246.0.0/16", "10.246.0.0/20", o),
            ],
        );
        assert_eq!(
            overlaps(&p),
            [
                ("/pod0".to_string(), "/net0".to_string()),
                ("/svc1".to_string(), "/net2".to_string()),
                ("/svc2".to_string(), "/pod2".to_string()),
            ]
        );
        let mut v = validator();
        v.address_plan(&p);
        assert!(v.diags[0].hint.contains("at /pod0") && v.diags[0].hint.contains("at /net0"));
        assert!(
            v.diags[0].hint.contains("the next free /16 is 10.3.0.0/16"),
            "{}",
            v.diags[0].hint
        );
    }

    #[test]
    fn flat_pod_ranges_are_unique_across_the_estate() {
        let nets = ["10.0.0.0/22", "10.1.0.0/16"];
        let (o, f) = (PodNetwork::Overlay, PodNetwork::Flat);
        // A flat pod range shared with an overlay cluster's pod range, and one on another
        // cluster's service range: both refused.
        let p = plan(
            &nets,
            &[
                ("10.244.0.0/16", "10.245.0.0/16", f),
                ("10.244.0.0/16", "10.246.0.0/16", o),
                ("10.247.0.0/16", "10.244.0.0/24", o),
            ],
        );
        assert_eq!(
            overlaps(&p),
            [
                ("/pod1".to_string(), "/pod0".to_string()),
                ("/svc2".to_string(), "/pod0".to_string()),
            ]
        );
        // Two flat clusters on one pod range.
        let p = plan(
            &nets,
            &[
                ("10.244.0.0/16", "10.245.0.0/16", f),
                ("10.244.0.0/16", "10.246.0.0/16", f),
            ],
        );
        assert_eq!(overlaps(&p), [("/pod1".to_string(), "/pod0".to_string())]);
    }

    #[test]
    fn networks_overlap_once_each_not_all_pairs() {
        let same = vec!["10.1.0.0/16"; 50];
        let p = plan(&same, &[]);
        let found = overlaps(&p);
        assert_eq!(found.len(), 49);
        assert!(found.iter().all(|(_, related)| related == "/net0"));
    }
}
