//! The prices `sim` charges, in ONE table ([`TABLE`]), and the NLCU's dimensions
//! ([`NLCU_TCP`], [`NLCU_UDP`], [`NLCU_TLS`]): each figure with its unit, its source and whether
//! an AWS page states it (docs/model.md COST-1 to COST-3). US East (N. Virginia), USD.
//!
//! AWS's pricing pages show some figures through price tokens that a reader of the page's text
//! does not see: the interface endpoint's hourly price, the NLB's hourly price and the NLCU's
//! price come from third-party transcriptions of those pages, and are marked so
//! ([`Listed::aws_page`] false); every output shows the mark. A scenario's `[prices]` table
//! overrides any price ([`Prices::with`], validated in `scenario/validate/prices.rs`); the output
//! then says "scenario" instead of the source.

/// One price of the table.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Listed {
    /// The `[prices]` key that overrides it (the tiers of `endpoint_usd_per_gb` share the key).
    pub key: &'static str,
    /// USD per unit.
    pub usd: f64,
    /// The unit.
    pub unit: &'static str,
    /// Where the figure comes from.
    pub url: &'static str,
    /// The figure is on an AWS page (false: a third-party figure).
    pub aws_page: bool,
}

/// AWS's PrivateLink pricing page.
pub const PRIVATELINK_PRICING: &str = "https://aws.amazon.com/privatelink/pricing/";
/// AWS's Elastic Load Balancing pricing page.
pub const ELB_PRICING: &str = "https://aws.amazon.com/elasticloadbalancing/pricing/";
/// AWS's blog post on the data transfer costs of Network Load Balancers.
pub const NLB_TRANSFER_BLOG: &str = "https://aws.amazon.com/blogs/networking-and-content-delivery/exploring-data-transfer-costs-for-aws-network-load-balancers/";

/// Inter-AZ data transfer, per GB in each direction; both ends pay, so a crossing costs twice
/// this (COST-1).
pub const INTER_AZ: Listed = Listed {
    key: "inter_az_usd_per_gb_each_direction",
    usd: 0.01,
    unit: "GB, each direction",
    url: NLB_TRANSFER_BLOG,
    aws_page: true,
};

/// An interface endpoint, per AZ (per ENI) and hour; a partial hour is a whole one (COST-2).
/// AWS's page states the billing, not the figure, in its text: $0.01 is a third-party figure.
pub const ENDPOINT_HOUR: Listed = Listed {
    key: "endpoint_usd_per_az_hour",
    usd: 0.01,
    unit: "AZ-hour",
    url: PRIVATELINK_PRICING,
    aws_page: false,
};

/// Data an interface endpoint processes, per GB, in three tiers over the month's GB in a region:
/// the first PB, the next 4 PB, above 5 PB (COST-2).
pub const ENDPOINT_GB: [Listed; 3] = [
    Listed {
        key: "endpoint_usd_per_gb",
        usd: 0.01,
        unit: "GB (first PB of the month)",
        url: PRIVATELINK_PRICING,
        aws_page: true,
    },
    Listed {
        key: "endpoint_usd_per_gb",
        usd: 0.006,
        unit: "GB (next 4 PB)",
        url: PRIVATELINK_PRICING,
        aws_page: true,
    },
    Listed {
        key: "endpoint_usd_per_gb",
        usd: 0.004,
        unit: "GB (above 5 PB)",
        url: PRIVATELINK_PRICING,
        aws_page: true,
    },
];

/// Where each endpoint tier ends, GB of the month (decimal: 1 PB = 10^6 GB, 1 GB = 10^9 bytes).
pub const ENDPOINT_TIER_ENDS_GB: [f64; 2] = [1e6, 5e6];

/// A Network Load Balancer, per hour it runs; a partial hour is a whole one (COST-3).
pub const NLB_HOUR: Listed = Listed {
    key: "nlb_usd_per_hour",
    usd: 0.0225,
    unit: "NLB-hour",
    url: ELB_PRICING,
    aws_page: false,
};

/// A Network Load Balancer Capacity Unit, per hour (COST-3).
pub const NLCU_HOUR: Listed = Listed {
    key: "nlcu_usd_per_hour",
    usd: 0.006,
    unit: "NLCU-hour",
    url: ELB_PRICING,
    aws_page: false,
};

/// Every price, in the order of the report's lines.
pub const TABLE: [Listed; 7] = [
    INTER_AZ,
    ENDPOINT_HOUR,
    ENDPOINT_GB[0],
    ENDPOINT_GB[1],
    ENDPOINT_GB[2],
    NLB_HOUR,
    NLCU_HOUR,
];

/// What one NLCU holds for one listener protocol, per hour (COST-3): the hour's NLCUs are the
/// largest of its new connections (or flows) per second, its active ones and its GB processed,
/// each divided by these.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct NlcuDimensions {
    /// The traffic they apply to.
    pub traffic: &'static str,
    /// New connections (UDP: flows) per second.
    pub new_per_second: f64,
    /// Active connections (UDP: flows).
    pub active: f64,
    /// GB processed per hour.
    pub gb_per_hour: f64,
    /// Where the figures come from.
    pub url: &'static str,
    /// They are on an AWS page (false: a third-party transcription of it).
    pub aws_page: bool,
}

/// An NLCU of TCP traffic (a TCP or TCP_UDP listener carrying TCP).
pub const NLCU_TCP: NlcuDimensions = NlcuDimensions {
    traffic: "TCP",
    new_per_second: 800.0,
    active: 100_000.0,
    gb_per_hour: 1.0,
    url: ELB_PRICING,
    aws_page: false,
};

/// An NLCU of UDP traffic.
pub const NLCU_UDP: NlcuDimensions = NlcuDimensions {
    traffic: "UDP",
    new_per_second: 400.0,
    active: 50_000.0,
    gb_per_hour: 1.0,
    url: ELB_PRICING,
    aws_page: false,
};

/// An NLCU of TLS traffic (a TLS listener).
pub const NLCU_TLS: NlcuDimensions = NlcuDimensions {
    traffic: "TLS",
    new_per_second: 50.0,
    active: 3_000.0,
    gb_per_hour: 1.0,
    url: ELB_PRICING,
    aws_page: false,
};

/// Where a price in force comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An AWS page, by URL.
    Aws(&'static str),
    /// A third-party figure (its URL: the AWS page it is said to come from).
    ThirdParty(&'static str),
    /// The scenario's `[prices]`.
    Scenario,
}

impl Source {
    /// How the report names it: the AWS page's URL, `third-party` or `scenario`.
    pub fn label(self) -> &'static str {
        match self {
            Source::Aws(url) => url,
            Source::ThirdParty(_) => "third-party",
            Source::Scenario => "scenario",
        }
    }

    /// The mark the table puts after a price: `*` for a third-party figure, `+` for the
    /// scenario's own.
    pub fn mark(self) -> &'static str {
        match self {
            Source::Aws(_) => "",
            Source::ThirdParty(_) => "*",
            Source::Scenario => "+",
        }
    }
}

/// A price in force: USD per unit and where it comes from.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Price {
    /// USD per unit.
    pub usd: f64,
    /// Its source.
    pub source: Source,
}

impl Price {
    /// The table's price.
    pub const fn listed(l: Listed) -> Price {
        Price {
            usd: l.usd,
            source: if l.aws_page {
                Source::Aws(l.url)
            } else {
                Source::ThirdParty(l.url)
            },
        }
    }

    /// The scenario's price.
    pub const fn scenario(usd: f64) -> Price {
        Price {
            usd,
            source: Source::Scenario,
        }
    }
}

/// The prices a variant is charged at: the table's, or its `[prices]`.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Prices {
    /// [`INTER_AZ`].
    pub inter_az_per_gb_each_direction: Price,
    /// [`ENDPOINT_HOUR`].
    pub endpoint_per_az_hour: Price,
    /// [`ENDPOINT_GB`], per tier.
    pub endpoint_per_gb: [Price; 3],
    /// [`NLB_HOUR`].
    pub nlb_per_hour: Price,
    /// [`NLCU_HOUR`].
    pub nlcu_per_hour: Price,
}

impl Default for Prices {
    fn default() -> Prices {
        Prices {
            inter_az_per_gb_each_direction: Price::listed(INTER_AZ),
            endpoint_per_az_hour: Price::listed(ENDPOINT_HOUR),
            endpoint_per_gb: ENDPOINT_GB.map(Price::listed),
            nlb_per_hour: Price::listed(NLB_HOUR),
            nlcu_per_hour: Price::listed(NLCU_HOUR),
        }
    }
}

/// A scenario's overrides, validated (non-negative, finite): `None` keeps the table's price.
#[derive(Copy, Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// `inter_az_usd_per_gb_each_direction`.
    pub inter_az_per_gb_each_direction: Option<f64>,
    /// `endpoint_usd_per_az_hour`.
    pub endpoint_per_az_hour: Option<f64>,
    /// `endpoint_usd_per_gb`, per tier (one number sets all three).
    pub endpoint_per_gb: Option<[f64; 3]>,
    /// `nlb_usd_per_hour`.
    pub nlb_per_hour: Option<f64>,
    /// `nlcu_usd_per_hour`.
    pub nlcu_per_hour: Option<f64>,
}

impl Prices {
    /// The table's prices with `overrides` in force.
    pub fn with(overrides: &Overrides) -> Prices {
        let or = |price: Price, over: Option<f64>| over.map_or(price, Price::scenario);
        let table = Prices::default();
        Prices {
            inter_az_per_gb_each_direction: or(
                table.inter_az_per_gb_each_direction,
                overrides.inter_az_per_gb_each_direction,
            ),
            endpoint_per_az_hour: or(table.endpoint_per_az_hour, overrides.endpoint_per_az_hour),
            endpoint_per_gb: match overrides.endpoint_per_gb {
                Some(tiers) => tiers.map(Price::scenario),
                None => table.endpoint_per_gb,
            },
            nlb_per_hour: or(table.nlb_per_hour, overrides.nlb_per_hour),
            nlcu_per_hour: or(table.nlcu_per_hour, overrides.nlcu_per_hour),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_third_party_figures_are_marked() {
        for l in TABLE {
            let third_party = matches!(
                l.key,
                "endpoint_usd_per_az_hour" | "nlb_usd_per_hour" | "nlcu_usd_per_hour"
            );
            assert_eq!(l.aws_page, !third_party, "{}", l.key);
            assert!(l.url.starts_with("https://aws.amazon.com/"), "{}", l.key);
        }
        assert_eq!(Price::listed(NLB_HOUR).source.mark(), "*");
        assert_eq!(Price::listed(INTER_AZ).source.mark(), "");
        assert_eq!(Price::listed(INTER_AZ).source.label(), NLB_TRANSFER_BLOG);
    }

    #[test]
    fn an_override_replaces_only_its_price() {
        let p = Prices::with(&Overrides {
            nlb_per_hour: Some(0.03),
            ..Overrides::default()
        });
        let table = Prices::default();
        assert_eq!(p.nlb_per_hour, Price::scenario(0.03));
        assert_eq!(p.nlb_per_hour.source.label(), "scenario");
        assert_eq!(p.nlcu_per_hour, table.nlcu_per_hour);
        assert_eq!(p.endpoint_per_gb, table.endpoint_per_gb);
        assert_eq!(
            p.inter_az_per_gb_each_direction,
            table.inter_az_per_gb_each_direction
        );
        assert_eq!(p.endpoint_per_az_hour, table.endpoint_per_az_hour);
    }
}
