//! `[prices]`: the prices a scenario charges at instead of the table's (docs/model.md COST-1 to
//! COST-3; the table is [`crate::cost::prices`]). Each is a finite number of USD, 0 or more;
//! `endpoint_usd_per_gb` is one price for every tier or three, one per tier.

use super::{Checker, number};
use crate::cost::prices::{Overrides, Prices};
use crate::kp;
use crate::scenario::path::KeyPath;

/// The prices in force: the table's, with the scenario's `[prices]` over them.
pub(super) fn prices(c: &mut Checker<'_>) -> Prices {
    let Some(raw) = c.raw.prices.as_ref() else {
        return Prices::default();
    };
    let mut one = |key: &str, value: &Option<toml::Value>| {
        value.as_ref().and_then(|v| usd(c, kp!["prices", key], v))
    };
    let overrides = Overrides {
        inter_az_per_gb_each_direction: one(
            "inter_az_usd_per_gb_each_direction",
            &raw.inter_az_usd_per_gb_each_direction,
        ),
        endpoint_per_az_hour: one("endpoint_usd_per_az_hour", &raw.endpoint_usd_per_az_hour),
        nlb_per_hour: one("nlb_usd_per_hour", &raw.nlb_usd_per_hour),
        nlcu_per_hour: one("nlcu_usd_per_hour", &raw.nlcu_usd_per_hour),
        endpoint_per_gb: raw.endpoint_usd_per_gb.as_ref().and_then(|v| tiers(c, v)),
    };
    Prices::with(&overrides)
}

/// `endpoint_usd_per_gb`: one price for every tier, or three.
fn tiers(c: &mut Checker<'_>, value: &toml::Value) -> Option<[f64; 3]> {
    let path = kp!["prices", "endpoint_usd_per_gb"];
    match value {
        toml::Value::Array(items) if items.len() == 3 => {
            let got: Vec<Option<f64>> = items
                .iter()
                .enumerate()
                .map(|(i, v)| usd(c, path.index(i), v))
                .collect();
            match got.as_slice() {
                [Some(a), Some(b), Some(c)] => Some([*a, *b, *c]),
                _ => None,
            }
        }
        toml::Value::Array(items) => {
            c.error(
                path,
                Some(format!("an array of {}", items.len())),
                "endpoint_usd_per_gb is one price for every tier, or three: [first PB, next 4 PB, above 5 PB] (USD per GB processed in the month)",
            );
            None
        }
        v => usd(c, path, v).map(|x| [x; 3]),
    }
}

/// A price: a finite number of USD, 0 or more.
fn usd(c: &mut Checker<'_>, path: KeyPath, value: &toml::Value) -> Option<f64> {
    let x = match value {
        toml::Value::Integer(i) => *i as f64,
        toml::Value::Float(f) => *f,
        other => {
            c.error(
                path,
                Some(other.to_string()),
                format!("a price is a number of USD, not a {}", other.type_str()),
            );
            return None;
        }
    };
    if x.is_finite() && x >= 0.0 {
        Some(x)
    } else {
        c.error(
            path,
            Some(number(x)),
            "a price must be a finite number of USD, 0 or more",
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_error, assert_valid, edited};

    fn with_prices(table: &str) -> String {
        edited(&[("[run]", &format!("[prices]\n{table}\n\n[run]"))])
    }

    #[test]
    fn prices_are_finite_non_negative_numbers() {
        assert_valid(&with_prices(
            "nlb_usd_per_hour = 0.03\nnlcu_usd_per_hour = 0\nendpoint_usd_per_gb = [0.01, 0.006, 0.004]\ninter_az_usd_per_gb_each_direction = 0.02\nendpoint_usd_per_az_hour = 1",
        ));
        assert_valid(&with_prices("endpoint_usd_per_gb = 0.02"));
        assert_error(
            &with_prices("nlb_usd_per_hour = -0.01"),
            "prices.nlb_usd_per_hour",
            "a price must be a finite number of USD, 0 or more",
        );
        assert_error(
            &with_prices("nlcu_usd_per_hour = nan"),
            "prices.nlcu_usd_per_hour",
            "finite number of USD",
        );
        assert_error(
            &with_prices("endpoint_usd_per_az_hour = inf"),
            "prices.endpoint_usd_per_az_hour",
            "finite number of USD",
        );
        assert_error(
            &with_prices("inter_az_usd_per_gb_each_direction = \"0.01\""),
            "prices.inter_az_usd_per_gb_each_direction",
            "a price is a number of USD, not a string",
        );
        assert_error(
            &with_prices("endpoint_usd_per_gb = [0.01, 0.006]"),
            "prices.endpoint_usd_per_gb",
            "one price for every tier, or three",
        );
        assert_error(
            &with_prices("endpoint_usd_per_gb = [0.01, -1, 0.004]"),
            "prices.endpoint_usd_per_gb[1]",
            "0 or more",
        );
        assert_error(
            &with_prices("nlb_usd_per_month = 1"),
            "prices.nlb_usd_per_month",
            "unknown key",
        );
    }

    #[test]
    fn a_variant_may_set_a_price_and_its_mistake_is_reported_there() {
        let text = edited(&[(
            "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
            "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true\nset.prices.nlb_usd_per_hour = -1",
        )]);
        assert_error(
            &text,
            "variants[1].set.prices.nlb_usd_per_hour",
            "0 or more",
        );
        let text = edited(&[(
            "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
            "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true\nset.prices.nlb_usd_per_hour = 1",
        )]);
        assert_valid(&text);
    }
}
