//! Azure public-cloud regions (programmatic names), whether each has availability zones, and the
//! region Azure pairs each with.

/// A region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Programmatic name, as `location` takes it.
    pub name: &'static str,
    /// Whether the region has availability zones.
    pub zones: bool,
}

/// Every region aks-harden accepts, sorted by name.
pub const REGIONS: &[Region] = &[
    Region {
        name: "australiacentral",
        zones: false,
    },
    Region {
        name: "australiacentral2",
        zones: false,
    },
    Region {
        name: "australiaeast",
        zones: true,
    },
    Region {
        name: "australiasoutheast",
        zones: false,
    },
    Region {
        name: "austriaeast",
        zones: true,
    },
    Region {
        name: "belgiumcentral",
        zones: true,
    },
    Region {
        name: "brazilsouth",
        zones: true,
    },
    Region {
        name: "brazilsoutheast",
        zones: false,
    },
    Region {
        name: "canadacentral",
        zones: true,
    },
    Region {
        name: "canadaeast",
        zones: false,
    },
    Region {
        name: "centralindia",
        zones: true,
    },
    Region {
        name: "centralus",
        zones: true,
    },
    Region {
        name: "chilecentral",
        zones: true,
    },
    Region {
        name: "eastasia",
        zones: true,
    },
    Region {
        name: "eastus",
        zones: true,
    },
    Region {
        name: "eastus2",
        zones: true,
    },
    Region {
        name: "francecentral",
        zones: true,
    },
    Region {
        name: "francesouth",
        zones: false,
    },
    Region {
        name: "germanynorth",
        zones: false,
    },
    Region {
        name: "germanywestcentral",
        zones: true,
    },
    Region {
        name: "indonesiacentral",
        zones: true,
    },
    Region {
        name: "israelcentral",
        zones: true,
    },
    Region {
        name: "italynorth",
        zones: true,
    },
    Region {
        name: "japaneast",
        zones: true,
    },
    Region {
        name: "japanwest",
        zones: true,
    },
    Region {
        name: "jioindiacentral",
        zones: false,
    },
    Region {
        name: "jioindiawest",
        zones: false,
    },
    Region {
        name: "koreacentral",
        zones: true,
    },
    Region {
        name: "koreasouth",
        zones: false,
    },
    Region {
        name: "malaysiawest",
        zones: true,
    },
    Region {
        name: "mexicocentral",
        zones: true,
    },
    Region {
        name: "newzealandnorth",
        zones: true,
    },
    Region {
        name: "northcentralus",
        zones: false,
    },
    Region {
        name: "northeurope",
        zones: true,
    },
    Region {
        name: "norwayeast",
        zones: true,
    },
    Region {
        name: "norwaywest",
        zones: false,
    },
    Region {
        name: "polandcentral",
        zones: true,
    },
    Region {
        name: "qatarcentral",
        zones: true,
    },
    Region {
        name: "southafricanorth",
        zones: true,
    },
    Region {
        name: "southafricawest",
        zones: false,
    },
    Region {
        name: "southcentralus",
        zones: true,
    },
    Region {
        name: "southeastasia",
        zones: true,
    },
    Region {
        name: "southindia",
        zones: false,
    },
    Region {
        name: "spaincentral",
        zones: true,
    },
    Region {
        name: "swedencentral",
        zones: true,
    },
    Region {
        name: "swedensouth",
        zones: false,
    },
    Region {
        name: "switzerlandnorth",
        zones: true,
    },
    Region {
        name: "switzerlandwest",
        zones: false,
    },
    Region {
        name: "uaecentral",
        zones: false,
    },
    Region {
        name: "uaenorth",
        zones: true,
    },
    Region {
        name: "uksouth",
        zones: true,
    },
    Region {
        name: "ukwest",
        zones: false,
    },
    Region {
        name: "westcentralus",
        zones: false,
    },
    Region {
        name: "westeurope",
        zones: true,
    },
    Region {
        name: "westindia",
        zones: false,
    },
    Region {
        name: "westus",
        zones: false,
    },
    Region {
        name: "westus2",
        zones: true,
    },
    Region {
        name: "westus3",
        zones: true,
    },
];

/// The region called `name` (exact programmatic name).
pub fn region(name: &str) -> Option<&'static Region> {
    REGIONS.iter().find(|r| r.name == name)
}

/// Region names, for "did you mean" hints.
pub fn names() -> impl Iterator<Item = &'static str> {
    REGIONS.iter().map(|r| r.name)
}

/// Whether `location` (any case, spaces allowed as in display names) has availability zones.
pub fn has_zones(location: &str) -> bool {
    let norm = location.to_ascii_lowercase().replace(' ', "");
    region(&norm).is_some_and(|r| r.zones)
}

/// Azure's region pairs (Microsoft's "Azure region pairs and nonpaired regions"), as
/// `(region, its pair)`, sorted by region. Most pairs go both ways; Brazil South, West India and
/// West US 3 pair one way. Regions without a pair (Poland Central, Qatar Central, Italy North and
/// other newer regions) are absent.
pub const PAIRS: &[(&str, &str)] = &[
    ("australiacentral", "australiacentral2"),
    ("australiacentral2", "australiacentral"),
    ("australiaeast", "australiasoutheast"),
    ("australiasoutheast", "australiaeast"),
    ("brazilsouth", "southcentralus"),
    ("brazilsoutheast", "brazilsouth"),
    ("canadacentral", "canadaeast"),
    ("canadaeast", "canadacentral"),
    ("centralindia", "southindia"),
    ("centralus", "eastus2"),
    ("eastasia", "southeastasia"),
    ("eastus", "westus"),
    ("eastus2", "centralus"),
    ("francecentral", "francesouth"),
    ("francesouth", "francecentral"),
    ("germanynorth", "germanywestcentral"),
    ("germanywestcentral", "germanynorth"),
    ("japaneast", "japanwest"),
    ("japanwest", "japaneast"),
    ("jioindiacentral", "jioindiawest"),
    ("jioindiawest", "jioindiacentral"),
    ("koreacentral", "koreasouth"),
    ("koreasouth", "koreacentral"),
    ("northcentralus", "southcentralus"),
    ("northeurope", "westeurope"),
    ("norwayeast", "norwaywest"),
    ("norwaywest", "norwayeast"),
    ("southafricanorth", "southafricawest"),
    ("southafricawest", "southafricanorth"),
    ("southcentralus", "northcentralus"),
    ("southeastasia", "eastasia"),
    ("southindia", "centralindia"),
    ("swedencentral", "swedensouth"),
    ("swedensouth", "swedencentral"),
    ("switzerlandnorth", "switzerlandwest"),
    ("switzerlandwest", "switzerlandnorth"),
    ("uaecentral", "uaenorth"),
    ("uaenorth", "uaecentral"),
    ("uksouth", "ukwest"),
    ("ukwest", "uksouth"),
    ("westcentralus", "westus2"),
    ("westeurope", "northeurope"),
    ("westindia", "southindia"),
    ("westus", "eastus"),
    ("westus2", "westcentralus"),
    ("westus3", "eastus"),
];

/// The region Azure pairs `name` (exact programmatic name) with, if it has one.
pub fn pair(name: &str) -> Option<&'static str> {
    PAIRS.iter().find(|(r, _)| *r == name).map(|(_, p)| *p)
}
