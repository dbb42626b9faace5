//! Subnet names Azure reserves for its own services, and which of them refuse an NSG.

/// Azure Firewall's data subnet.
pub const FIREWALL: &str = "AzureFirewallSubnet";
/// Azure Firewall's management subnet (forced tunnelling).
pub const FIREWALL_MANAGEMENT: &str = "AzureFirewallManagementSubnet";
/// VPN and ExpressRoute gateways.
pub const GATEWAY: &str = "GatewaySubnet";
/// Azure Route Server.
pub const ROUTE_SERVER: &str = "RouteServerSubnet";
/// Azure Bastion.
pub const BASTION: &str = "AzureBastionSubnet";

/// Subnets Azure forbids or restricts NSGs on.
pub const NSG_EXEMPT: &[&str] = &[
    FIREWALL,
    FIREWALL_MANAGEMENT,
    GATEWAY,
    ROUTE_SERVER,
    BASTION,
];

/// Whether `name` (any case) is a subnet Azure forbids or restricts NSGs on.
pub fn nsg_exempt(name: &str) -> bool {
    NSG_EXEMPT.iter().any(|x| x.eq_ignore_ascii_case(name))
}
