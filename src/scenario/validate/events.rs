//! Scheduled events: `[[events]]` -> `Topology.events` (docs/model.md EV-1 to EV-8).
//!
//! Checked, each at the key path of the offending value (`events[2].crash`):
//! - one action per event, exactly: `crash` / `recover` (EV-1), `stop_instance` /
//!   `start_instance` (EV-2), `deregister` / `register` (EV-3), `impair_zone` / `restore_zone`
//!   (EV-4), `load_balancer_cross_zone` / `target_group_cross_zone` (EV-5), `revoke` /
//!   `authorize` (EV-7), `listener_weights` (EV-8); `target_group` only with `deregister` /
//!   `register`, `targets_only` only with `impair_zone`;
//! - a `revoke` / `authorize` names a security group and exactly one of `ingress = N` or
//!   `egress = N`, a position its list has (a group written without `egress` has AWS's allow-all
//!   rule as `egress[0]`);
//! - a `listener_weights` names a load balancer, the port of one of its listeners, and a weight
//!   (0-999, one above 0) for each target group that listener forwards to, and for no other
//!   (an event changes weights; it cannot add or remove a group);
//! - `at` below 100 years, so that a run always has room after its last event on the 584 years
//!   of the clock;
//! - every name resolves: instances (with a `web_server` for `crash` / `recover`), target groups
//!   (listing the instance, for `deregister` / `register`), load balancers, and zones by AZ ID (an
//!   AZ name is refused with the AZ IDs it stands for: names differ per account, AZ-1);
//! - no event contradicts the state the events before it leave. They are walked in time order
//!   (file order among events at the same instant) from the state the scenario describes:
//!   instances as `instance_state` says, every server up, every target registered, no zone
//!   impaired, every rule in its group unless written with `active = false`. A crash of a server
//!   already down, a recover of one that is up, a stop of a stopped instance, a start of a
//!   running one, a deregister of a deregistered target, a register of a registered one, an
//!   impair of an impaired zone, a restore of a zone that is not impaired, a revoke of a rule not
//!   in its group and an authorize of one that is are refused, with the event that made it so.
//!
//! Each event gives one `Event` with the event's position in the file and its label (its
//! `description`, or one made from the action: `crash web-2`), except a `deregister` /
//! `register` without `target_group`, which gives one per target of the instance (every group
//! that lists it, in target order), all with that position and label. They are sorted by `at`,
//! file order kept among events at the same instant. The weights of each `listener_weights`
//! event go to `Topology.listener_weight_sets`, in the order of the listener's `forward`.

use super::{Built, Checker, NAMES_SHOWN, quoted};
use crate::model::events::{Action, Event};
use crate::model::ids::*;
use crate::model::{CrossZoneSetting, Direction, SgRule};
use crate::scenario::path::{KeyPath, Seg};
use crate::scenario::raw::{
    RawEndpointSubnet, RawEvent, RawListenerWeights, RawLoadBalancerCrossZone, RawRuleRef, RawSlow,
    RawTargetGroupCrossZone, RawZonalShift,
};
use crate::time::{SimTime, Span};

/// Events must be at less than 100 years: far within the clock's 584 years, so that a run
/// always has room after its last event.
const LATEST: Span = Span::from_secs(100 * 365 * 86_400);

/// The action keys an event may give, in the order messages list them.
const ACTION_KEYS: [&str; 18] = [
    "crash",
    "recover",
    "stop_instance",
    "start_instance",
    "deregister",
    "register",
    "impair_zone",
    "restore_zone",
    "load_balancer_cross_zone",
    "target_group_cross_zone",
    "revoke",
    "authorize",
    "listener_weights",
    "slow",
    "add_endpoint_subnet",
    "remove_endpoint_subnet",
    "start_zonal_shift",
    "end_zonal_shift",
];

/// An action as written: what its key says.
#[derive(Copy, Clone)]
enum Given<'a> {
    /// `crash = "INSTANCE"`
    Crash(&'a str),
    /// `recover = "INSTANCE"`
    Recover(&'a str),
    /// `stop_instance = "INSTANCE"`
    Stop(&'a str),
    /// `start_instance = "INSTANCE"`
    Start(&'a str),
    /// `deregister = "INSTANCE"`
    Deregister(&'a str),
    /// `register = "INSTANCE"`
    Register(&'a str),
    /// `impair_zone = "AZ-ID"`
    Impair(&'a str),
    /// `restore_zone = "AZ-ID"`
    Restore(&'a str),
    /// `load_balancer_cross_zone = { ... }`
    LoadBalancer(&'a RawLoadBalancerCrossZone),
    /// `target_group_cross_zone = { ... }`
    TargetGroup(&'a RawTargetGroupCrossZone),
    /// `revoke = { security_group = "...", ingress = N }`
    Revoke(&'a RawRuleRef),
    /// `authorize = { ... }`
    Authorize(&'a RawRuleRef),
    /// `listener_weights = { ... }`
    Weights(&'a RawListenerWeights),
    /// `slow = { instance = "...", response_time = "..." }`
    Slow(&'a RawSlow),
    /// `add_endpoint_subnet` / `remove_endpoint_subnet = { vpc_endpoint, subnet_id }`
    EndpointSubnet(&'a RawEndpointSubnet, bool),
    /// `start_zonal_shift` / `end_zonal_shift = { load_balancer, away_from }`
    ZonalShift(&'a RawZonalShift, bool),
}

/// The actions `event` gives, with their keys, in the order of [`ACTION_KEYS`].
fn given<'a>(event: &'a RawEvent) -> Vec<(&'static str, Given<'a>)> {
    let named = [
        (&event.crash, Given::Crash as fn(&'a str) -> Given<'a>),
        (&event.recover, Given::Recover),
        (&event.stop_instance, Given::Stop),
        (&event.start_instance, Given::Start),
        (&event.deregister, Given::Deregister),
        (&event.register, Given::Register),
        (&event.impair_zone, Given::Impair),
        (&event.restore_zone, Given::Restore),
    ];
    let mut found: Vec<(&'static str, Given<'a>)> = ACTION_KEYS
        .iter()
        .zip(named)
        .filter_map(|(key, (value, make))| Some((*key, make(value.as_deref()?))))
        .collect();
    if let Some(x) = &event.load_balancer_cross_zone {
        found.push(("load_balancer_cross_zone", Given::LoadBalancer(x)));
    }
    if let Some(x) = &event.target_group_cross_zone {
        found.push(("target_group_cross_zone", Given::TargetGroup(x)));
    }
    if let Some(x) = &event.revoke {
        found.push(("revoke", Given::Revoke(x)));
    }
    if let Some(x) = &event.authorize {
        found.push(("authorize", Given::Authorize(x)));
    }
    if let Some(x) = &event.listener_weights {
        found.push(("listener_weights", Given::Weights(x)));
    }
    if let Some(x) = &event.slow {
        found.push(("slow", Given::Slow(x)));
    }
    if let Some(x) = &event.add_endpoint_subnet {
        found.push(("add_endpoint_subnet", Given::EndpointSubnet(x, true)));
    }
    if let Some(x) = &event.remove_endpoint_subnet {
        found.push(("remove_endpoint_subnet", Given::EndpointSubnet(x, false)));
    }
    if let Some(x) = &event.start_zonal_shift {
        found.push(("start_zonal_shift", Given::ZonalShift(x, true)));
    }
    if let Some(x) = &event.end_zonal_shift {
        found.push(("end_zonal_shift", Given::ZonalShift(x, false)));
    }
    found
}

/// One event whose names resolved.
struct Resolved {
    /// Its position in `[[events]]`.
    index: usize,
    /// When.
    at: Span,
    /// Where contradictions are reported: its action key (`events[2].crash`), or the rule's
    /// position in a `revoke` / `authorize` (`events[2].revoke.ingress`).
    path: KeyPath,
    /// The value written there (an instance or a zone, quoted; a rule's position), for messages.
    value: String,
    /// What it does: one action, or one per target for a deregister or register.
    actions: Vec<Action>,
    /// How reports name it.
    label: String,
}

/// What one event resolves to: the key path and value contradictions are reported at, its
/// actions and its default label.
type Resolution = (KeyPath, String, Vec<Action>, String);

/// Validates the events and returns them in time order, with the weights of the
/// `listener_weights` events their actions index.
pub(super) fn events(c: &mut Checker<'_>, b: &Built) -> (Vec<Event>, Vec<Vec<u16>>) {
    let raw = c.raw;
    let mut weight_sets = Vec::new();
    if raw.events.is_empty() {
        return (Vec::new(), weight_sets);
    }
    // The targets of each instance, in target order.
    let mut targets_of: Vec<Vec<TargetId>> = vec![Vec::new(); b.instances.len()];
    for (t, target) in b.targets.iter().enumerate() {
        targets_of[target.instance.index()].push(TargetId::from_index(t));
    }
    let first_error = c.errors.len();
    let mut resolved = Vec::new();
    for (index, event) in raw.events.iter().enumerate() {
        let base = KeyPath::root().key("events").index(index);
        if event.at.0 >= LATEST {
            c.error(
                base.key("at"),
                Some(quoted(&event.at.0.to_string())),
                "an event must be at less than 100 years from the start of the run (the clock holds 584 years and the run needs room after its last event)",
            );
        }
        let found = given(event);
        let (key, action) = match found.as_slice() {
            [] => {
                c.error(
                    base,
                    None,
                    format!(
                        "an event needs an action: one of {}",
                        ACTION_KEYS.join(", ")
                    ),
                );
                continue;
            }
            [one] => *one,
            several => {
                let keys: Vec<&str> = several.iter().map(|(k, _)| *k).collect();
                c.error(
                    base,
                    None,
                    format!(
                        "an event takes exactly one action, this one has {}: write one event per action",
                        and_list(&keys)
                    ),
                );
                continue;
            }
        };
        let mut ok = true;
        if let (Some(tg), false) = (
            &event.target_group,
            matches!(action, Given::Deregister(_) | Given::Register(_)),
        ) {
            ok = false;
            c.error(
                base.key("target_group"),
                Some(quoted(tg)),
                format!("`target_group` goes with `deregister` or `register`, not with `{key}`"),
            );
        }
        if let (Some(only), false) = (event.targets_only, matches!(action, Given::Impair(_))) {
            ok = false;
            c.error(
                base.key("targets_only"),
                Some(only.to_string()),
                format!("`targets_only` goes with `impair_zone`, not with `{key}`"),
            );
        }
        let Some((path, value, actions, label)) = resolve(
            c,
            b,
            &targets_of,
            &mut weight_sets,
            event,
            &base,
            key,
            action,
        ) else {
            continue;
        };
        if ok {
            resolved.push(Resolved {
                index,
                at: event.at.0,
                path,
                value,
                actions,
                label: event.description.clone().unwrap_or(label),
            });
        }
    }
    resolved.sort_by_key(|r| r.at);
    contradictions(c, b, &resolved);
    // In file order: the contradictions were found in time order, after the rest.
    c.errors[first_error..].sort_by_key(|e| match e.path.0.get(1) {
        Some(Seg::Index(index)) => *index,
        _ => 0,
    });
    let events = resolved
        .into_iter()
        .flat_map(|r| {
            let (index, label) = (r.index, r.label);
            r.actions.into_iter().map(move |action| Event {
                at: SimTime(r.at.0),
                action,
                index,
                label: label.clone(),
            })
        })
        .collect();
    (events, weight_sets)
}

/// The names of `action` resolved ([`Resolution`]); `None` when a name does not resolve, or a
/// rule or a listener's weights are not there to change (the errors say why).
#[allow(clippy::too_many_arguments)]
fn resolve(
    c: &mut Checker<'_>,
    b: &Built,
    targets_of: &[Vec<TargetId>],
    weight_sets: &mut Vec<Vec<u16>>,
    event: &RawEvent,
    base: &KeyPath,
    key: &'static str,
    action: Given<'_>,
) -> Option<Resolution> {
    let (name, actions, label) = match action {
        Given::Revoke(x) | Given::Authorize(x) => {
            return rule_change(c, b, base.key(key), key, x);
        }
        Given::Weights(x) => return weights(c, b, weight_sets, base.key(key), x),
        other => resolve_named(c, b, targets_of, event, base, key, other)?,
    };
    Some((base.key(key), quoted(name), actions, label))
}

/// A `revoke` / `authorize`: the group, exactly one of `ingress` / `egress`, a rule at that
/// position (EV-7).
/// The rule of docs/model.md that says what an action changes, cited when an event finds the
/// state it sets already so.
fn state_rule(action: &Action) -> &'static str {
    match action {
        Action::Crash(_) | Action::Recover(_) => "EV-1",
        Action::Stop(_) | Action::Start(_) => "EV-2",
        Action::Deregister(_) | Action::Register(_) => "EV-3",
        Action::ImpairZone { .. } | Action::RestoreZone(_) => "EV-4",
        Action::LoadBalancerCrossZone { .. } | Action::TargetGroupCrossZone { .. } => "EV-5",
        Action::Revoke { .. } | Action::Authorize { .. } => "EV-7",
        Action::ListenerWeights { .. } => "EV-8",
        Action::Slow { .. } => "EV-9",
        Action::EndpointSubnet { .. } => "EV-10",
        Action::ZonalShift { .. } => "EV-11",
    }
}

fn rule_change(
    c: &mut Checker<'_>,
    b: &Built,
    path: KeyPath,
    key: &'static str,
    x: &RawRuleRef,
) -> Option<Resolution> {
    let raw = c.raw;
    let group = c.reference(
        &raw.security_groups,
        "security group",
        path.key("security_group"),
        &x.security_group,
    );
    let article = if key == "authorize" { "an" } else { "a" };
    let (direction, rule) = match (x.ingress, x.egress) {
        (Some(r), None) => (Direction::Ingress, r),
        (None, Some(r)) => (Direction::Egress, r),
        (both, _) => {
            c.error(
                path,
                None,
                if both.is_some() {
                    format!(
                        "{article} {key} names one rule: `ingress = N` or `egress = N`, not both (write one event per rule) (docs/model.md EV-7)"
                    )
                } else {
                    format!(
                        "{article} {key} names its rule by its position in the group's list: `ingress = N` or `egress = N` (docs/model.md EV-7)"
                    )
                },
            );
            return None;
        }
    };
    let g = group?;
    let sg = &b.security_groups[g];
    let rules = match direction {
        Direction::Ingress => &sg.ingress,
        Direction::Egress => &sg.egress,
    };
    let list = direction.key();
    if rule >= rules.len() {
        let has = match rules.len() {
            0 => format!("no {list} rule"),
            1 => format!("one {list} rule, {list}[0]"),
            n => format!("{n} {list} rules, {list}[0] to {list}[{}]", n - 1),
        };
        let implicit =
            if direction == Direction::Egress && raw.security_groups.entry(g).1.egress.is_none() {
                " (written without `egress`, it has AWS's allow-all rule)"
            } else {
                ""
            };
        c.error(
            path.key(list),
            Some(rule.to_string()),
            format!(
                "security group {} has {has}{implicit}: there is no rule {} to {key} (docs/model.md EV-7)",
                sg.name,
                SgRule::position(direction, rule)
            ),
        );
        return None;
    }
    let group = SecurityGroupId::from_index(g);
    let action = Action::rule_change(key == "revoke", group, direction, rule);
    Some((
        path.key(list),
        rule.to_string(),
        vec![action],
        format!("{key} {} {}", sg.name, SgRule::position(direction, rule)),
    ))
}

/// A `listener_weights`: the load balancer, a listener on the port, and one weight (0-999, one
/// above 0) for each of the listener's target groups and no other (EV-8). Its weights, in the
/// listener's order, go to `weight_sets`.
fn weights(
    c: &mut Checker<'_>,
    b: &Built,
    weight_sets: &mut Vec<Vec<u16>>,
    path: KeyPath,
    x: &RawListenerWeights,
) -> Option<Resolution> {
    let raw = c.raw;
    let lb = c.reference(
        &raw.load_balancers,
        "load balancer",
        path.key("load_balancer"),
        &x.load_balancer,
    )?;
    let lb_name = x.load_balancer.as_str();
    let ports: Vec<u16> = b.load_balancers[lb]
        .listeners
        .iter()
        .map(|l| b.listeners[l.index()].port)
        .collect();
    let Some(&listener) = b.load_balancers[lb]
        .listeners
        .iter()
        .find(|l| b.listeners[l.index()].port == x.port)
    else {
        let has = match ports.as_slice() {
            [] => "no listener".to_string(),
            [one] => format!("one listener, on port {one}"),
            several => {
                let ports: Vec<String> = several.iter().map(u16::to_string).collect();
                let ports: Vec<&str> = ports.iter().map(String::as_str).collect();
                format!("listeners on ports {}", and_list(&ports))
            }
        };
        c.error(
            path.key("port"),
            Some(x.port.to_string()),
            format!(
                "load balancer {lb_name} has {has}: no listener on port {} to give weights (docs/model.md EV-8)",
                x.port
            ),
        );
        return None;
    };
    let forward = &b.listeners[listener.index()].forward;
    let group_name = |g: TargetGroupId| b.target_groups[g.index()].name.as_str();
    let its_groups: Vec<&str> = forward.iter().map(|(g, _)| group_name(*g)).collect();
    let at = format!("{lb_name}:{}", x.port);
    let mut weights: Vec<Option<u16>> = vec![None; forward.len()];
    let mut ok = true;
    for (f, entry) in x.forward.iter().enumerate() {
        let fpath = path.key("forward").index(f);
        let weight = entry.weight.unwrap_or(1);
        if weight > 999 {
            ok = false;
            c.error(
                fpath.key("weight"),
                Some(weight.to_string()),
                "weight must be 0 to 999 (docs/model.md EV-8)",
            );
        }
        let Some(tg) = c.reference(
            &raw.target_groups,
            "target group",
            fpath.key("target_group"),
            &entry.target_group,
        ) else {
            ok = false;
            continue;
        };
        let Some(position) = forward.iter().position(|(g, _)| g.index() == tg) else {
            ok = false;
            c.error(
                fpath.key("target_group"),
                Some(quoted(&entry.target_group)),
                format!(
                    "listener {at} forwards to {}, not to {}: an event changes the weights of a forward, it cannot add a target group (docs/model.md EV-8)",
                    and_list(&its_groups),
                    entry.target_group
                ),
            );
            continue;
        };
        if weights[position].is_some() {
            ok = false;
            c.error(
                fpath.key("target_group"),
                Some(quoted(&entry.target_group)),
                "this list already gives the target group a weight (docs/model.md EV-8)",
            );
            continue;
        }
        weights[position] = Some(weight);
    }
    let missing: Vec<&str> = if ok {
        weights
            .iter()
            .zip(&its_groups)
            .filter(|(w, _)| w.is_none())
            .map(|(_, g)| *g)
            .collect()
    } else {
        Vec::new()
    };
    if !missing.is_empty() {
        c.error(
            path.key("forward"),
            None,
            format!(
                "no weight for {}, which listener {at} forwards to: give each of its target groups a weight, 0 sending it nothing (docs/model.md EV-8)",
                and_list(&missing)
            ),
        );
        return None;
    }
    if !ok {
        return None;
    }
    let weights: Vec<u16> = weights.into_iter().map(|w| w.unwrap_or(0)).collect();
    if weights.iter().all(|&w| w == 0) {
        c.error(
            path.key("forward"),
            None,
            "at least one target group needs a weight above 0 (docs/model.md EV-8)",
        );
        return None;
    }
    let shown: Vec<String> = weights.iter().map(u16::to_string).collect();
    let label = format!("weights {} on {at}", shown.join("/"));
    weight_sets.push(weights);
    Some((
        path.key("forward"),
        String::new(),
        vec![Action::ListenerWeights {
            listener,
            weight_set: weight_sets.len() - 1,
        }],
        label,
    ))
}

/// The names of an action that names one resource: the name written at its key, its actions
/// and its default label.
fn resolve_named<'a>(
    c: &mut Checker<'_>,
    b: &Built,
    targets_of: &[Vec<TargetId>],
    event: &RawEvent,
    base: &KeyPath,
    key: &'static str,
    action: Given<'a>,
) -> Option<(&'a str, Vec<Action>, String)> {
    let raw = c.raw;
    let path = base.key(key);
    let instance = |c: &mut Checker<'_>, name: &str| {
        c.reference(&raw.instances, "instance", path.clone(), name)
            .map(InstanceId::from_index)
    };
    Some(match action {
        Given::Crash(name) | Given::Recover(name) => {
            let i = instance(c, name)?;
            if b.instances[i.index()].web_server.is_none() {
                c.error(
                    path,
                    Some(quoted(name)),
                    format!(
                        "instance {name} has no web_server: only a web server can {key} (docs/model.md EV-1)"
                    ),
                );
                return None;
            }
            let (action, verb) = match action {
                Given::Crash(_) => (Action::Crash(i), "crash"),
                _ => (Action::Recover(i), "recover"),
            };
            (name, vec![action], format!("{verb} {name}"))
        }
        Given::Stop(name) => {
            let i = instance(c, name)?;
            (name, vec![Action::Stop(i)], format!("stop {name}"))
        }
        Given::Start(name) => {
            let i = instance(c, name)?;
            (name, vec![Action::Start(i)], format!("start {name}"))
        }
        Given::Deregister(name) | Given::Register(name) => {
            let i = instance(c, name)?;
            let mine = &targets_of[i.index()];
            let targets: Vec<TargetId> = match &event.target_group {
                Some(tg_name) => {
                    let tg = c.reference(
                        &raw.target_groups,
                        "target group",
                        base.key("target_group"),
                        tg_name,
                    )?;
                    let found = mine
                        .iter()
                        .find(|t| b.targets[t.index()].target_group.index() == tg);
                    let Some(&t) = found else {
                        c.error(
                            base.key("target_group"),
                            Some(quoted(tg_name)),
                            format!(
                                "target group {tg_name} does not list {name} in its targets: an event can {key} only a target of the scenario (docs/model.md EV-3)"
                            ),
                        );
                        return None;
                    };
                    vec![t]
                }
                None if mine.is_empty() => {
                    c.error(
                        path,
                        Some(quoted(name)),
                        format!(
                            "no target group lists {name} in its targets: there is nothing to {key} (docs/model.md EV-3)"
                        ),
                    );
                    return None;
                }
                None => mine.clone(),
            };
            let groups: Vec<&str> = targets
                .iter()
                .map(|t| {
                    let tg = b.targets[t.index()].target_group;
                    b.target_groups[tg.index()].name.as_str()
                })
                .collect();
            let (actions, label) = match action {
                Given::Deregister(_) => (
                    targets.into_iter().map(Action::Deregister).collect(),
                    format!("deregister {name} from {}", and_list(&groups)),
                ),
                _ => (
                    targets.into_iter().map(Action::Register).collect(),
                    format!("register {name} in {}", and_list(&groups)),
                ),
            };
            (name, actions, label)
        }
        Given::Impair(name) => {
            let zone = zone(c, b, path, name)?;
            let targets_only = event.targets_only.unwrap_or(false);
            let label = if targets_only {
                format!("impair {name} (targets only)")
            } else {
                format!("impair {name}")
            };
            (name, vec![Action::ImpairZone { zone, targets_only }], label)
        }
        Given::Restore(name) => {
            let zone = zone(c, b, path, name)?;
            (
                name,
                vec![Action::RestoreZone(zone)],
                format!("restore {name}"),
            )
        }
        Given::LoadBalancer(x) => {
            let lb = c.reference(
                &raw.load_balancers,
                "load balancer",
                path.key("load_balancer"),
                &x.load_balancer,
            )?;
            let on = if x.enabled { "on" } else { "off" };
            (
                x.load_balancer.as_str(),
                vec![Action::LoadBalancerCrossZone {
                    load_balancer: LoadBalancerId::from_index(lb),
                    enabled: x.enabled,
                }],
                format!("cross-zone {on} for {}", x.load_balancer),
            )
        }
        Given::TargetGroup(x) => {
            let tg = c.reference(
                &raw.target_groups,
                "target group",
                path.key("target_group"),
                &x.target_group,
            )?;
            let setting = super::load_balancing::cross_zone_setting(x.enabled);
            let value = match setting {
                CrossZoneSetting::On => "on",
                CrossZoneSetting::Off => "off",
                CrossZoneSetting::UseLoadBalancerConfiguration => "use_load_balancer_configuration",
            };
            (
                x.target_group.as_str(),
                vec![Action::TargetGroupCrossZone {
                    target_group: TargetGroupId::from_index(tg),
                    setting,
                }],
                format!("cross-zone {value} for {}", x.target_group),
            )
        }
        Given::Slow(x) => {
            let name = x.instance.as_str();
            let path = path.key("instance");
            let i = c
                .reference(&raw.instances, "instance", path.clone(), name)
                .map(InstanceId::from_index)?;
            if b.instances[i.index()].web_server.is_none() {
                c.error(
                    path,
                    Some(quoted(name)),
                    format!(
                        "instance {name} has no web_server: only a web server can be slow (docs/model.md EV-9)"
                    ),
                );
                return None;
            }
            (
                name,
                vec![Action::Slow {
                    instance: i,
                    response_time: x.response_time.0,
                }],
                format!("{name} answers in {}", x.response_time.0),
            )
        }
        Given::EndpointSubnet(x, active) => {
            let e = c.reference(
                &raw.vpc_endpoints,
                "VPC endpoint",
                path.key("vpc_endpoint"),
                &x.vpc_endpoint,
            )?;
            let s = c.reference(&raw.subnets, "subnet", path.key("subnet_id"), &x.subnet_id)?;
            let eni = b
                .enis
                .iter()
                .position(|eni| eni.endpoint.index() == e && eni.subnet.index() == s);
            let Some(eni) = eni else {
                // An added subnet that validation could not give an ENI has its error already.
                if !active {
                    c.error(
                        path.key("subnet_id"),
                        Some(quoted(&x.subnet_id)),
                        format!(
                            "endpoint {} has no ENI in subnet {}: it lists it in neither its subnet_ids nor an add_endpoint_subnet event (docs/model.md EV-10)",
                            x.vpc_endpoint, x.subnet_id
                        ),
                    );
                }
                return None;
            };
            (
                x.subnet_id.as_str(),
                vec![Action::EndpointSubnet {
                    eni: EniId::from_index(eni),
                    active,
                }],
                format!(
                    "{} {} {} {}",
                    if active { "add" } else { "remove" },
                    x.subnet_id,
                    if active { "to" } else { "from" },
                    x.vpc_endpoint
                ),
            )
        }
        Given::ZonalShift(x, active) => {
            let lb = c.reference(
                &raw.load_balancers,
                "load balancer",
                path.key("load_balancer"),
                &x.load_balancer,
            )?;
            let load_balancer = &b.load_balancers[lb];
            if !load_balancer.zonal_shift {
                c.error(
                    path.key("load_balancer"),
                    Some(quoted(&x.load_balancer)),
                    format!(
                        "load balancer {} does not have enable_zonal_shift = true: AWS refuses a zonal shift on it (docs/model.md EV-11)",
                        x.load_balancer
                    ),
                );
                return None;
            }
            let node = load_balancer
                .nodes
                .iter()
                .find(|n| b.zones[b.nodes[n.index()].zone.index()].az_id == x.away_from);
            let Some(&node) = node else {
                let enabled: Vec<&str> = load_balancer
                    .nodes
                    .iter()
                    .map(|n| b.zones[b.nodes[n.index()].zone.index()].az_id.as_str())
                    .collect();
                c.error(
                    path.key("away_from"),
                    Some(quoted(&x.away_from)),
                    format!(
                        "load balancer {} has no node in AZ ID {}: it enables {} (docs/model.md EV-11)",
                        x.load_balancer,
                        x.away_from,
                        and_list(&enabled)
                    ),
                );
                return None;
            };
            (
                x.away_from.as_str(),
                vec![Action::ZonalShift { node, active }],
                format!(
                    "{} zonal shift of {} away from {}",
                    if active { "start" } else { "end" },
                    x.load_balancer,
                    x.away_from
                ),
            )
        }
        Given::Revoke(_) | Given::Authorize(_) | Given::Weights(_) => {
            unreachable!("resolve handles rule changes and weights")
        }
    })
}

/// The zone whose AZ ID is `name`, or an error: an AZ name is refused with the AZ IDs it stands
/// for in each account (AZ-1).
fn zone(c: &mut Checker<'_>, b: &Built, path: KeyPath, name: &str) -> Option<ZoneId> {
    if let Some(z) = b.zones.iter().position(|z| z.az_id == name) {
        return Some(ZoneId::from_index(z));
    }
    // The AZ IDs `name` stands for as an AZ name, each with the accounts that map it so.
    let mut ids: Vec<(&str, Vec<&str>)> = Vec::new();
    for account in &b.accounts {
        if let Some(z) = account.zone_of(name) {
            let id = b.zones[z.index()].az_id.as_str();
            match ids.iter_mut().find(|(i, _)| *i == id) {
                Some((_, accounts)) => accounts.push(&account.name),
                None => ids.push((id, vec![&account.name])),
            }
        }
    }
    let message = if ids.is_empty() {
        let shown: Vec<&str> = b
            .zones
            .iter()
            .take(NAMES_SHOWN)
            .map(|z| z.az_id.as_str())
            .collect();
        let more = b.zones.len() - shown.len();
        let more = if more == 0 {
            String::new()
        } else {
            format!(" and {more} more")
        };
        format!(
            "no AZ ID of that name: events name zones by AZ ID (the accounts map {}{more}) (docs/model.md AZ-2)",
            shown.join(", ")
        )
    } else {
        let meanings: Vec<String> = ids
            .iter()
            .map(|(id, accounts)| {
                let s = if accounts.len() == 1 { "" } else { "s" };
                format!("{id} in account{s} {}", and_list(accounts))
            })
            .collect();
        format!(
            "{name} is an AZ name, and AZ names differ per account (docs/model.md AZ-1): name the zone by its AZ ID ({name} is {})",
            meanings.join("; ")
        )
    };
    c.error(path, Some(quoted(name)), message);
    None
}

/// What the events walked so far have done to one thing: whether it is on (running, up,
/// registered, impaired, a rule in its group), and the event that last changed it (position and
/// time).
#[derive(Copy, Clone)]
struct Known {
    /// Running, up, registered or impaired.
    on: bool,
    /// The position and time of the event that last changed it; `None`: as the scenario says.
    by: Option<(usize, Span)>,
}

impl Known {
    /// As the scenario says, before any event.
    fn initially(on: bool) -> Known {
        Known { on, by: None }
    }
}

/// Walks `resolved` (in time order) from the scenario's state and refuses every event that
/// finds the state it would set already set.
fn contradictions(c: &mut Checker<'_>, b: &Built, resolved: &[Resolved]) {
    let mut running: Vec<Known> = b
        .instances
        .iter()
        .map(|i| Known::initially(i.running))
        .collect();
    let mut up = vec![Known::initially(true); b.instances.len()];
    let mut registered = vec![Known::initially(true); b.targets.len()];
    let mut impaired = vec![Known::initially(false); b.zones.len()];
    let mut eni_active: Vec<Known> = b
        .enis
        .iter()
        .map(|e| Known::initially(e.initially_active))
        .collect();
    let mut shifted = vec![Known::initially(false); b.nodes.len()];
    let mut rules: Vec<[Vec<Known>; 2]> = b
        .security_groups
        .iter()
        .map(|g| {
            let of = |list: &[SgRule]| list.iter().map(|r| Known::initially(r.active)).collect();
            [of(&g.ingress), of(&g.egress)]
        })
        .collect();
    for r in resolved {
        for action in &r.actions {
            let instance = |i: InstanceId| b.instances[i.index()].name.as_str();
            let target = |t: TargetId| {
                let target = &b.targets[t.index()];
                (
                    b.instances[target.instance.index()].name.as_str(),
                    b.target_groups[target.target_group.index()].name.as_str(),
                )
            };
            let az = |z: ZoneId| b.zones[z.index()].az_id.as_str();
            // The state the action sets, what it finds when that is already so, the verb of
            // the earlier event that did it, and what to say when no event did.
            let (known, to, found, verb, initially) = match *action {
                Action::Crash(i) => (
                    &mut up[i.index()],
                    false,
                    format!("{}'s server is already down", instance(i)),
                    "crashed",
                    "",
                ),
                Action::Recover(i) => (
                    &mut up[i.index()],
                    true,
                    format!("{}'s server is already up", instance(i)),
                    "recovered",
                    "servers are up at the start, and no event crashed it before",
                ),
                Action::Stop(i) => (
                    &mut running[i.index()],
                    false,
                    format!("{} is already stopped", instance(i)),
                    "stopped",
                    "its instance_state is \"stopped\"",
                ),
                Action::Start(i) => (
                    &mut running[i.index()],
                    true,
                    format!("{} is already running", instance(i)),
                    "started",
                    "its instance_state is \"running\", the default",
                ),
                Action::Deregister(t) => {
                    let (i, tg) = target(t);
                    (
                        &mut registered[t.index()],
                        false,
                        format!("{i} is already deregistered from {tg}"),
                        "deregistered",
                        "",
                    )
                }
                Action::Register(t) => {
                    let (i, tg) = target(t);
                    (
                        &mut registered[t.index()],
                        true,
                        format!("{i} is already registered in {tg}"),
                        "registered",
                        "the group's targets list it from the start",
                    )
                }
                Action::ImpairZone { zone, .. } => (
                    &mut impaired[zone.index()],
                    true,
                    format!("{} is already impaired", az(zone)),
                    "impaired",
                    "",
                ),
                Action::RestoreZone(zone) => (
                    &mut impaired[zone.index()],
                    false,
                    format!("{} is not impaired", az(zone)),
                    "restored",
                    "no event impaired it before",
                ),
                Action::Revoke {
                    group,
                    direction,
                    rule,
                } => (
                    &mut rules[group.index()][direction.index()][rule],
                    false,
                    format!(
                        "{} {} is not in its group",
                        b.security_groups[group.index()].name,
                        SgRule::position(direction, rule)
                    ),
                    "revoked",
                    "it is written with `active = false`: only an authorize puts it in",
                ),
                Action::Authorize {
                    group,
                    direction,
                    rule,
                } => (
                    &mut rules[group.index()][direction.index()][rule],
                    true,
                    format!(
                        "{} {} is already in its group",
                        b.security_groups[group.index()].name,
                        SgRule::position(direction, rule)
                    ),
                    "authorized",
                    "rules are in their group from the start unless written with `active = false`",
                ),
                Action::EndpointSubnet { eni, active } => {
                    let e = &b.enis[eni.index()];
                    let subnet = b.subnets[e.subnet.index()].name.as_str();
                    let endpoint = b.endpoints[e.endpoint.index()].name.as_str();
                    // An endpoint keeps at least one ENI (EV-10).
                    let others = b.endpoints[e.endpoint.index()]
                        .enis
                        .iter()
                        .filter(|o| **o != eni && eni_active[o.index()].on)
                        .count();
                    if !active && others == 0 && eni_active[eni.index()].on {
                        c.error(
                            r.path.clone(),
                            Some(r.value.clone()),
                            format!(
                                "removing {subnet} at {} leaves endpoint {endpoint} with no ENI: an interface endpoint keeps at least one subnet (docs/model.md EV-10)",
                                r.at
                            ),
                        );
                        continue;
                    }
                    (
                        &mut eni_active[eni.index()],
                        active,
                        format!(
                            "{subnet} is already {} endpoint {endpoint}",
                            if active { "in" } else { "out of" }
                        ),
                        if active { "added" } else { "removed" },
                        if active {
                            "the endpoint lists it in subnet_ids"
                        } else {
                            "only an add_endpoint_subnet event puts it in"
                        },
                    )
                }
                Action::ZonalShift { node, active } => {
                    let n = &b.nodes[node.index()];
                    let lb = b.load_balancers[n.load_balancer.index()].name.as_str();
                    (
                        &mut shifted[node.index()],
                        active,
                        format!(
                            "{} is {} under a zonal shift of {lb}",
                            az(n.zone),
                            if active { "already" } else { "not" }
                        ),
                        if active {
                            "shifted"
                        } else {
                            "ended a shift of"
                        },
                        "no event started a shift before",
                    )
                }
                Action::LoadBalancerCrossZone { .. }
                | Action::TargetGroupCrossZone { .. }
                | Action::ListenerWeights { .. }
                | Action::Slow { .. } => {
                    continue;
                }
            };
            if known.on == to {
                let why = match known.by {
                    Some((index, at)) => format!("events[{index}] {verb} it at {at}"),
                    None => initially.to_string(),
                };
                c.error(
                    r.path.clone(),
                    Some(r.value.clone()),
                    format!(
                        "{found} at {} ({why}) (docs/model.md {})",
                        r.at,
                        state_rule(action)
                    ),
                );
            } else {
                *known = Known {
                    on: to,
                    by: Some((r.index, r.at)),
                };
            }
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::model::CrossZoneSetting;
    use crate::model::events::{Action, Event};
    use crate::model::ids::*;
    use crate::time::{SimTime, Span};

    /// The seed scenario with `events` (TOML) at its end.
    fn with_events(events: &str) -> String {
        format!("{CROSSZONE}\n{events}\n")
    }

    /// An `[[events]]` entry: `at`, then `rest` (TOML lines).
    fn event(at: &str, rest: &str) -> String {
        format!("[[events]]\nat = \"{at}\"\n{rest}\n")
    }

    /// The events of the first variant of `text`, which must validate.
    fn events_of(text: &str) -> Vec<Event> {
        let s = crate::scenario::parse("t.toml", "t", text).unwrap();
        s.variants[0].topology.events.clone()
    }

    /// A second target group, `api`, that lists web-1 (target 3, after web's three).
    const API: &str = "[target_groups.api]\nport = 8080\nvpc_id = \"provider\"\ntargets = [\"web-1\"]\n\n[endpoint_services.provider-svc]";

    #[test]
    fn events_are_sorted_by_time_in_file_order_with_their_labels() {
        let text = with_events(&[
            event("300s", "crash = \"web-2\"\ndescription = \"web-2's server dies\""),
            event("100s", "impair_zone = \"use1-az2\"\ntargets_only = true"),
            event(
                "2m",
                "load_balancer_cross_zone = { load_balancer = \"provider-nlb\", enabled = true }",
            ),
            event("100s", "stop_instance = \"web-3\""),
            event(
                "0s",
                "target_group_cross_zone = { target_group = \"web\", enabled = \"use_load_balancer_configuration\" }",
            ),
            event("400s", "recover = \"web-2\""),
            event("500s", "restore_zone = \"use1-az2\""),
            event("600s", "start_instance = \"web-3\""),
            event("10m", "target_group_cross_zone = { target_group = \"web\", enabled = false }"),
        ]
        .concat());
        let events = events_of(&text);
        let seen: Vec<(u64, usize, &str)> = events
            .iter()
            .map(|e| (e.at.0 / 1_000_000_000, e.index, e.label.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (0, 4, "cross-zone use_load_balancer_configuration for web"),
                (100, 1, "impair use1-az2 (targets only)"),
                (100, 3, "stop web-3"),
                (120, 2, "cross-zone on for provider-nlb"),
                (300, 0, "web-2's server dies"),
                (400, 5, "recover web-2"),
                (500, 6, "restore use1-az2"),
                (600, 7, "start web-3"),
                (600, 8, "cross-zone off for web"),
            ]
        );
        let zone = ZoneId::from_index(1);
        assert_eq!(
            events.iter().map(|e| e.action).collect::<Vec<_>>(),
            [
                Action::TargetGroupCrossZone {
                    target_group: TargetGroupId(0),
                    setting: CrossZoneSetting::UseLoadBalancerConfiguration
                },
                Action::ImpairZone {
                    zone,
                    targets_only: true
                },
                Action::Stop(InstanceId(2)),
                Action::LoadBalancerCrossZone {
                    load_balancer: LoadBalancerId(0),
                    enabled: true
                },
                Action::Crash(InstanceId(1)),
                Action::Recover(InstanceId(1)),
                Action::RestoreZone(zone),
                Action::Start(InstanceId(2)),
                Action::TargetGroupCrossZone {
                    target_group: TargetGroupId(0),
                    setting: CrossZoneSetting::Off
                },
            ]
        );
        assert_eq!(events[4].at, SimTime(Span::from_secs(300).0));
        // Without events, none.
        assert!(events_of(CROSSZONE).is_empty());
    }

    #[test]
    fn deregister_and_register_apply_to_every_group_listing_the_instance_or_to_one() {
        let base = edited(&[("[endpoint_services.provider-svc]", API)]);
        let all = format!(
            "{base}\n{}{}",
            event("60s", "deregister = \"web-1\""),
            event("90s", "register = \"web-1\""),
        );
        let events = events_of(&all);
        let seen: Vec<(Action, usize, &str)> = events
            .iter()
            .map(|e| (e.action, e.index, e.label.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (
                    Action::Deregister(TargetId(0)),
                    0,
                    "deregister web-1 from web and api"
                ),
                (
                    Action::Deregister(TargetId(3)),
                    0,
                    "deregister web-1 from web and api"
                ),
                (
                    Action::Register(TargetId(0)),
                    1,
                    "register web-1 in web and api"
                ),
                (
                    Action::Register(TargetId(3)),
                    1,
                    "register web-1 in web and api"
                ),
            ]
        );
        let one = format!(
            "{base}\n{}",
            event("60s", "deregister = \"web-1\"\ntarget_group = \"api\"")
        );
        let events = events_of(&one);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].action, Action::Deregister(TargetId(3)));
        assert_eq!(events[0].label, "deregister web-1 from api");
        // Deregistered from api only, web-1 can still be deregistered from web, but not from
        // both again.
        let again = format!(
            "{one}\n{}{}",
            event("70s", "deregister = \"web-1\"\ntarget_group = \"web\""),
            event("80s", "deregister = \"web-1\""),
        );
        let (errors, _) = problems(&again);
        assert_eq!(
            errors,
            [
                "events[2].deregister: web-1 is already deregistered from web at 80s (events[1] deregistered it at 70s) (docs/model.md EV-3)",
                "events[2].deregister: web-1 is already deregistered from api at 80s (events[0] deregistered it at 60s) (docs/model.md EV-3)",
            ]
        );
    }

    #[test]
    fn an_event_has_exactly_one_action_and_only_its_own_options() {
        assert_error(
            &with_events(&event("1s", "description = \"nothing\"")),
            "events[0]",
            "an event needs an action: one of crash, recover, stop_instance",
        );
        assert_error(
            &with_events(&event("1s", "crash = \"web-1\"\nstop_instance = \"web-2\"")),
            "events[0]",
            "exactly one action, this one has crash and stop_instance",
        );
        assert_error(
            &with_events(&event("1s", "crash = \"web-1\"\ntarget_group = \"web\"")),
            "events[0].target_group",
            "`target_group` goes with `deregister` or `register`, not with `crash`",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "restore_zone = \"use1-az1\"\ntargets_only = false",
            )),
            "events[0].targets_only",
            "`targets_only` goes with `impair_zone`, not with `restore_zone`",
        );
        assert_error(
            &with_events(&event("1s", "crash = \"web-1\"\ncolour = \"red\"")),
            "events[0].colour",
            "unknown key",
        );
        assert_error(
            &with_events("[[events]]\ncrash = \"web-1\""),
            "events[0]",
            "missing key `at`",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "load_balancer_cross_zone = { load_balancer = \"provider-nlb\", enabled = true, x = 1 }",
            )),
            "events[0].load_balancer_cross_zone.x",
            "unknown key",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "target_group_cross_zone = { target_group = \"web\", enabled = \"maybe\" }",
            )),
            "events[0].target_group_cross_zone.enabled",
            "is not one of \"true\", \"false\", \"use_load_balancer_configuration\"",
        );
    }

    #[test]
    fn an_event_is_at_less_than_100_years() {
        assert_error(
            &with_events(&event("876000h", "crash = \"web-1\"")),
            "events[0].at",
            "less than 100 years",
        );
        let events = events_of(&with_events(&event("875999h", "crash = \"web-1\"")));
        assert_eq!(events[0].at, SimTime(Span::from_secs(875_999 * 3600).0));
    }

    #[test]
    fn names_resolve_and_only_web_servers_crash() {
        assert_error(
            &with_events(&event("1s", "stop_instance = \"web-9\"")),
            "events[0].stop_instance",
            "no instance of that name (defined: web-1, web-2, web-3, consumer-client)",
        );
        assert_error(
            &with_events(&event("1s", "crash = \"consumer-client\"")),
            "events[0].crash",
            "instance consumer-client has no web_server: only a web server can crash (docs/model.md EV-1)",
        );
        assert_error(
            &with_events(&event("1s", "recover = \"consumer-client\"")),
            "events[0].recover",
            "only a web server can recover",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "deregister = \"web-1\"\ntarget_group = \"api\"",
            )),
            "events[0].target_group",
            "no target group of that name (defined: web)",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "register = \"consumer-client\"\ntarget_group = \"web\"",
            )),
            "events[0].target_group",
            "target group web does not list consumer-client in its targets",
        );
        assert_error(
            &with_events(&event("1s", "deregister = \"consumer-client\"")),
            "events[0].deregister",
            "no target group lists consumer-client in its targets: there is nothing to deregister",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "load_balancer_cross_zone = { load_balancer = \"nlb\", enabled = true }",
            )),
            "events[0].load_balancer_cross_zone.load_balancer",
            "no load balancer of that name (defined: provider-nlb)",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "target_group_cross_zone = { target_group = \"api\", enabled = true }",
            )),
            "events[0].target_group_cross_zone.target_group",
            "no target group of that name (defined: web)",
        );
        assert_error(
            &with_events(&event("1s", "impair_zone = \"use1-az3\"")),
            "events[0].impair_zone",
            "no AZ ID of that name: events name zones by AZ ID (the accounts map use1-az1, use1-az2, use1-az4)",
        );
        assert_error(
            &with_events(&event("1s", "restore_zone = \"us-east-1b\"")),
            "events[0].restore_zone",
            "us-east-1b is an AZ name, and AZ names differ per account (docs/model.md AZ-1): name the zone by its AZ ID (us-east-1b is use1-az2 in account lab)",
        );
    }

    /// The seed with its listener forwarding to `web` and to `green` (web-3, target 3), weights
    /// 1 and 2.
    fn weighted() -> String {
        edited(&[
            (
                "listeners = [{ port = 80, protocol = \"TCP\", target_group = \"web\" }]",
                "listeners = [{ port = 80, protocol = \"TCP\", forward = [{ target_group = \"web\", weight = 1 }, { target_group = \"green\", weight = 2 }] }]",
            ),
            (
                "[endpoint_services.provider-svc]",
                "[target_groups.green]\nport = 80\nvpc_id = \"provider\"\ntargets = [\"web-3\"]\n\n[endpoint_services.provider-svc]",
            ),
        ])
    }

    #[test]
    fn rule_changes_and_weights_resolve_to_actions_with_their_labels() {
        use crate::model::Direction;
        let text = format!(
            "{}\n{}{}{}{}",
            weighted(),
            event(
                "300s",
                "revoke = { security_group = \"web-sg\", ingress = 0 }"
            ),
            event(
                "600s",
                "listener_weights = { load_balancer = \"provider-nlb\", port = 80, forward = [{ target_group = \"green\", weight = 3 }, { target_group = \"web\" }] }"
            ),
            event(
                "700s",
                "authorize = { security_group = \"web-sg\", ingress = 0 }\ndescription = \"the rule is back\""
            ),
            event(
                "800s",
                "listener_weights = { load_balancer = \"provider-nlb\", port = 80, forward = [{ target_group = \"web\", weight = 0 }, { target_group = \"green\", weight = 999 }] }"
            ),
        );
        let s = crate::scenario::parse("t.toml", "t", &text).unwrap();
        let t = &s.variants[0].topology;
        let seen: Vec<(Action, &str)> = t
            .events
            .iter()
            .map(|e| (e.action, e.label.as_str()))
            .collect();
        let rule = (SecurityGroupId(0), Direction::Ingress, 0);
        assert_eq!(
            seen,
            [
                (
                    Action::Revoke {
                        group: rule.0,
                        direction: rule.1,
                        rule: rule.2
                    },
                    "revoke web-sg ingress[0]"
                ),
                (
                    Action::ListenerWeights {
                        listener: ListenerId(0),
                        weight_set: 0
                    },
                    "weights 1/3 on provider-nlb:80"
                ),
                (
                    Action::Authorize {
                        group: rule.0,
                        direction: rule.1,
                        rule: rule.2
                    },
                    "the rule is back"
                ),
                (
                    Action::ListenerWeights {
                        listener: ListenerId(0),
                        weight_set: 1
                    },
                    "weights 0/999 on provider-nlb:80"
                ),
            ]
        );
        // In the listener's order (web, green), whatever the event's order; a weight left out
        // is 1, as in a listener's forward.
        assert_eq!(t.listener_weight_sets, [vec![1, 3], vec![0, 999]]);
        // The scenario's own weights stay on the listener.
        assert_eq!(
            t.listeners[0].forward,
            [(TargetGroupId(0), 1), (TargetGroupId(1), 2)]
        );
        // A rule written with `active = false` is in the model as such.
        let inactive = edited(&[(
            "cidr_blocks = [\"10.11.0.0/24\"] }]",
            "cidr_blocks = [\"10.11.0.0/24\"], active = false }]",
        )]);
        let s = crate::scenario::parse("t.toml", "t", &inactive).unwrap();
        let web_sg = &s.variants[0].topology.security_groups[0];
        assert!(!web_sg.ingress[0].active && web_sg.egress[0].active);
    }

    #[test]
    fn rule_changes_and_weights_name_what_exists() {
        assert_error(
            &with_events(&event("1s", "revoke = { security_group = \"web-sg\" }")),
            "events[0].revoke",
            "a revoke names its rule by its position in the group's list",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "authorize = { security_group = \"web-sg\", ingress = 0, egress = 0 }",
            )),
            "events[0].authorize",
            "an authorize names one rule: `ingress = N` or `egress = N`, not both",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "revoke = { security_group = \"default\", ingress = 0 }",
            )),
            "events[0].revoke.security_group",
            "no security group of that name (defined: web-sg, endpoint-sg)",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "revoke = { security_group = \"endpoint-sg\", ingress = 3 }",
            )),
            "events[0].revoke.ingress",
            "security group endpoint-sg has one ingress rule, ingress[0]: there is no rule ingress[3] to revoke (docs/model.md EV-7)",
        );
        let no_egress = edited(&[(
            "description = \"HTTP from inside the provider VPC (the NLB nodes' addresses)\"",
            "egress = []",
        )]);
        assert_error(
            &format!(
                "{no_egress}\n{}",
                event("1s", "revoke = { security_group = \"web-sg\", egress = 0 }")
            ),
            "events[0].revoke.egress",
            "security group web-sg has no egress rule: there is no rule egress[0] to revoke",
        );
        assert_error(
            &with_events(&event(
                "1s",
                "revoke = { security_group = \"web-sg\", ingress = 0, x = 1 }",
            )),
            "events[0].revoke.x",
            "unknown key",
        );
        let weights = |port: u16, forward: &str| {
            event(
                "1s",
                &format!(
                    "listener_weights = {{ load_balancer = \"provider-nlb\", port = {port}, forward = [{forward}] }}"
                ),
            )
        };
        assert_error(
            &with_events(&weights(443, "{ target_group = \"web\", weight = 1 }")),
            "events[0].listener_weights.port",
            "load balancer provider-nlb has one listener, on port 80: no listener on port 443",
        );
        let base = weighted();
        let with = |forward: &str| format!("{base}\n{}", weights(80, forward));
        assert_error(
            &with("{ target_group = \"web\", weight = 1 }"),
            "events[0].listener_weights.forward",
            "no weight for green, which listener provider-nlb:80 forwards to",
        );
        assert_error(
            &with(
                "{ target_group = \"web\", weight = 1 }, { target_group = \"green\", weight = 1 }, { target_group = \"green\", weight = 1 }",
            ),
            "events[0].listener_weights.forward[2].target_group",
            "this list already gives the target group a weight (docs/model.md EV-8)",
        );
        let api = format!(
            "{}\n{}",
            base.replacen("[endpoint_services.provider-svc]", API, 1),
            weights(
                80,
                "{ target_group = \"web\", weight = 1 }, { target_group = \"green\", weight = 1 }, { target_group = \"api\", weight = 1 }"
            )
        );
        assert_error(
            &api,
            "events[0].listener_weights.forward[2].target_group",
            "listener provider-nlb:80 forwards to web and green, not to api: an event changes the weights of a forward, it cannot add a target group (docs/model.md EV-8)",
        );
        assert_error(
            &with(
                "{ target_group = \"web\", weight = 0 }, { target_group = \"green\", weight = 0 }",
            ),
            "events[0].listener_weights.forward",
            "at least one target group needs a weight above 0 (docs/model.md EV-8)",
        );
        assert_error(
            &with(
                "{ target_group = \"web\", weight = 1000 }, { target_group = \"green\", weight = 0 }",
            ),
            "events[0].listener_weights.forward[0].weight",
            "weight must be 0 to 999 (docs/model.md EV-8)",
        );
    }

    #[test]
    fn an_az_name_is_answered_with_the_az_id_of_each_account() {
        let text = edited(&[
            (
                "[vpcs.provider]\n",
                "[accounts.other]\naz_ids = { us-east-1b = \"use1-az1\" }\n\n[accounts.third]\naz_ids = { us-east-1b = \"use1-az2\" }\n\n[vpcs.provider]\naccount = \"lab\"\n",
            ),
            ("[vpcs.consumer]\n", "[vpcs.consumer]\naccount = \"lab\"\n"),
        ]);
        assert_error(
            &format!("{text}\n{}", event("1s", "impair_zone = \"us-east-1b\"")),
            "events[0].impair_zone",
            "(us-east-1b is use1-az2 in accounts lab and third; use1-az1 in account other)",
        );
    }

    #[test]
    fn no_event_contradicts_the_state_the_events_before_it_leave() {
        for (events, key, message) in [
            (
                vec![
                    event("300s", "crash = \"web-2\""),
                    event("400s", "crash = \"web-2\""),
                ],
                "events[1].crash",
                "web-2's server is already down at 400s (events[0] crashed it at 300s)",
            ),
            (
                vec![event("300s", "recover = \"web-2\"")],
                "events[0].recover",
                "web-2's server is already up at 300s (servers are up at the start, and no event crashed it before)",
            ),
            (
                // Time order, not file order: the recover at 200s comes before the crash.
                vec![
                    event("300s", "crash = \"web-2\""),
                    event("200s", "recover = \"web-2\""),
                ],
                "events[1].recover",
                "web-2's server is already up at 200s",
            ),
            (
                vec![
                    event("1s", "crash = \"web-2\""),
                    event("2s", "recover = \"web-2\""),
                    event("3s", "recover = \"web-2\""),
                ],
                "events[2].recover",
                "web-2's server is already up at 3s (events[1] recovered it at 2s)",
            ),
            (
                vec![
                    event("10s", "stop_instance = \"web-1\""),
                    event("20s", "stop_instance = \"web-1\""),
                ],
                "events[1].stop_instance",
                "web-1 is already stopped at 20s (events[0] stopped it at 10s)",
            ),
            (
                vec![event("10s", "start_instance = \"web-1\"")],
                "events[0].start_instance",
                "web-1 is already running at 10s (its instance_state is \"running\", the default)",
            ),
            (
                vec![
                    event("10s", "deregister = \"web-3\""),
                    event("10s", "deregister = \"web-3\"\ntarget_group = \"web\""),
                ],
                "events[1].deregister",
                "web-3 is already deregistered from web at 10s (events[0] deregistered it at 10s)",
            ),
            (
                vec![event("10s", "register = \"web-3\"")],
                "events[0].register",
                "web-3 is already registered in web at 10s (the group's targets list it from the start)",
            ),
            (
                vec![
                    event("10s", "impair_zone = \"use1-az4\"\ntargets_only = true"),
                    event("20s", "impair_zone = \"use1-az4\""),
                ],
                "events[1].impair_zone",
                "use1-az4 is already impaired at 20s (events[0] impaired it at 10s)",
            ),
            (
                vec![event("10s", "restore_zone = \"use1-az4\"")],
                "events[0].restore_zone",
                "use1-az4 is not impaired at 10s (no event impaired it before)",
            ),
            (
                vec![
                    event("10s", "impair_zone = \"use1-az4\""),
                    event("20s", "restore_zone = \"use1-az4\""),
                    event("30s", "restore_zone = \"use1-az4\""),
                ],
                "events[2].restore_zone",
                "use1-az4 is not impaired at 30s (events[1] restored it at 20s)",
            ),
            (
                vec![event(
                    "10s",
                    "authorize = { security_group = \"endpoint-sg\", egress = 0 }",
                )],
                "events[0].authorize.egress",
                "endpoint-sg egress[0] is already in its group at 10s (rules are in their group from the start unless written with `active = false`)",
            ),
            (
                vec![
                    event(
                        "10s",
                        "revoke = { security_group = \"web-sg\", ingress = 0 }",
                    ),
                    event(
                        "10s",
                        "revoke = { security_group = \"web-sg\", ingress = 0 }",
                    ),
                ],
                "events[1].revoke.ingress",
                "web-sg ingress[0] is not in its group at 10s (events[0] revoked it at 10s)",
            ),
            (
                vec![
                    event(
                        "10s",
                        "revoke = { security_group = \"web-sg\", egress = 0 }",
                    ),
                    event(
                        "20s",
                        "authorize = { security_group = \"web-sg\", egress = 0 }",
                    ),
                    event(
                        "30s",
                        "authorize = { security_group = \"web-sg\", egress = 0 }",
                    ),
                ],
                "events[2].authorize.egress",
                "web-sg egress[0] is already in its group at 30s (events[1] authorized it at 20s)",
            ),
        ] {
            assert_error(&with_events(&events.concat()), key, message);
        }
        // A stopped instance starts; a crashed server recovers; the same instant keeps file order.
        let text = edited(&[(
            "[instances.web-1]\nsubnet_id = \"provider-1\"",
            "[instances.web-1]\nsubnet_id = \"provider-1\"\ninstance_state = \"stopped\"",
        )]);
        let fine = [
            event("10s", "stop_instance = \"web-1\""),
            event("10s", "crash = \"web-2\""),
            event("10s", "recover = \"web-2\""),
        ]
        .concat();
        assert_error(
            &format!("{text}\n{fine}"),
            "events[0].stop_instance",
            "web-1 is already stopped at 10s (its instance_state is \"stopped\")",
        );
        let fine = [
            event("10s", "start_instance = \"web-1\""),
            event("10s", "crash = \"web-2\""),
            event("10s", "recover = \"web-2\""),
            event("20s", "deregister = \"web-3\""),
            event("30s", "register = \"web-3\""),
            event("40s", "deregister = \"web-3\""),
        ]
        .concat();
        assert_eq!(events_of(&format!("{text}\n{fine}")).len(), 6);
    }

    #[test]
    fn a_variant_replaces_the_events_and_its_mistakes_are_located_where_it_sets_them() {
        let base = with_events(&event("300s", "crash = \"web-2\""));
        let text = base.replacen(
            "name = \"cross-zone on\"\n",
            "name = \"cross-zone on\"\nset.events = [{ at = \"60s\", stop_instance = \"web-3\" }, { at = \"30s\", crash = \"web-1\" }]\n",
            1,
        );
        let s = crate::scenario::parse("t.toml", "t", &text).unwrap();
        let labels = |v: usize| -> Vec<String> {
            s.variants[v]
                .topology
                .events
                .iter()
                .map(|e| e.label.clone())
                .collect()
        };
        assert_eq!(labels(0), ["crash web-2"]);
        assert_eq!(labels(1), ["crash web-1", "stop web-3"]);
        let bad = base.replacen(
            "name = \"cross-zone on\"\n",
            "name = \"cross-zone on\"\nset.events = [{ at = \"60s\", crash = \"web-9\" }]\n",
            1,
        );
        assert_error(
            &bad,
            "variants[1].set.events[0].crash",
            "no instance of that name",
        );
    }
}
