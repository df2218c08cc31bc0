//! Bad input: one case per validation rule README lists (exit status 2, the file, line and
//! column, the key path and what is wrong), bad flags, malformed TOML, and no panic on any
//! mutation of the seed scenario.

// README "### Validation", rule by rule, and the tests that assert it. Names without a path are
// in this file; `validate::...` are unit tests in src/scenario/validate/ (`cargo test --lib
// scenario::validate`), `determinism::` and `repros::` other suites in tests/.
//
// The file
//   TOML syntax, with the position              rejects_malformed_toml_with_its_position
//   unknown keys                                rejects_unknown_keys
//   missing keys                                rejects_a_missing_key
//   wrong types                                 rejects_a_value_of_the_wrong_type,
//                                               reports_a_bad_value_set_by_a_variant_where_the_variant_sets_it
//   durations: "30s", "1.5ms", whole seconds    rejects_a_bad_duration,
//                                               accepts_durations_with_a_unit_or_in_whole_seconds
//   dangling references, names that exist       rejects_dangling_references,
//                                               validate::security::tests::rules_need_a_valid_protocol_port_range_and_peer,
//                                               reports_every_one_of_20000_located_errors_once_in_file_order
//   integers beyond 64 bits, at their key       rejects_an_integer_beyond_64_bits_at_its_key
//   every error once, in file order, located    reports_every_one_of_20000_located_errors_once_in_file_order,
//                                               reports_each_of_several_mistakes_on_one_line
//   numbers in messages written compactly       writes_floats_in_messages_compactly_and_locates_them
// Variants
//   duplicate names                             rejects_two_variants_of_one_name
//   a variant that sets run or variants         rejects_a_variant_that_sets_run_or_variants
//   a variant naming a missing resource         rejects_a_misspelt_resource_in_a_variant
//   a variant's bad value, where it sets it     reports_a_bad_value_set_by_a_variant_where_the_variant_sets_it
// Accounts and networks
//   at least one account                        rejects_a_scenario_without_an_account
//   an AZ ID mapped twice in one account        validate::network::tests::az_ids_map_once_per_account_and_subnets_use_its_names
//   a VPC without account, several accounts     validate::network::tests::az_ids_map_once_per_account_and_subnets_use_its_names
//   CIDR syntax and host bits                   rejects_cidr_blocks_that_do_not_parse,
//                                               validate::network::tests::cidrs_nest_do_not_overlap_and_have_sizes_aws_allows
//   VPC and subnet sizes /16-/28                validate::network::tests::cidrs_nest_do_not_overlap_and_have_sizes_aws_allows
//   a subnet outside its VPC                    rejects_a_subnet_outside_its_vpc,
//                                               validate::network::tests::cidrs_nest_do_not_overlap_and_have_sizes_aws_allows
//   overlapping subnets in a VPC                rejects_overlapping_subnets,
//                                               validate::network::tests::cidrs_nest_do_not_overlap_and_have_sizes_aws_allows
//   an AZ name missing from the account's map   validate::network::tests::az_ids_map_once_per_account_and_subnets_use_its_names
//   a peering of a VPC with itself              validate::network::tests::peerings_refuse_overlapping_cidrs_and_point_to_privatelink
//   a peering of overlapping CIDRs              rejects_peering_overlapping_vpcs_and_points_to_privatelink,
//                                               validate::network::tests::peerings_refuse_overlapping_cidrs_and_point_to_privatelink
// Security groups
//   a group named default                       validate::security::tests::rules_need_a_valid_protocol_port_range_and_peer
//   rule protocols tcp, udp, -1                 validate::security::tests::rules_need_a_valid_protocol_port_range_and_peer
//   from_port above to_port                     validate::security::tests::rules_need_a_valid_protocol_port_range_and_peer
//   a rule with no peer                         validate::security::tests::rules_need_a_valid_protocol_port_range_and_peer
//   a group of another VPC on an interface      validate::security::tests::interfaces_carry_groups_of_their_own_vpc_and_an_empty_list_means_the_default
//   a rule's active: a bool                     rejects_an_active_that_is_not_a_bool
// Instances
//   a private_ip that is not IPv4               validate::instances::tests::explicit_addresses_are_in_their_subnet_not_reserved_and_unique
//   a private_ip outside its subnet             rejects_an_ip_outside_its_subnet,
//                                               validate::instances::tests::explicit_addresses_are_in_their_subnet_not_reserved_and_unique
//   a private_ip AWS reserves                   validate::instances::tests::explicit_addresses_are_in_their_subnet_not_reserved_and_unique
//   a private_ip already taken in the VPC       validate::instances::tests::explicit_addresses_are_in_their_subnet_not_reserved_and_unique
//   a subnet with no free address left          validate::instances::tests::instance_state_is_running_or_stopped_and_subnets_can_fill_up
//   instance_state other than running/stopped   validate::instances::tests::instance_state_is_running_or_stopped_and_subnets_can_fill_up
//   a web_server port of 0                      rejects_port_zero_wherever_a_port_is_written
// Load balancers and target groups
//   only internal network load balancers        rejects_load_balancers_other_than_internal_network_ones,
//                                               validate::load_balancing::tests::one_subnet_per_az_and_one_vpc_per_load_balancer
//   at least one subnet                         validate::load_balancing::tests::one_subnet_per_az_and_one_vpc_per_load_balancer
//   subnets all in one VPC                      validate::load_balancing::tests::one_subnet_per_az_and_one_vpc_per_load_balancer
//   at most one subnet per AZ                   rejects_two_load_balancer_subnets_in_one_az,
//                                               validate::load_balancing::tests::one_subnet_per_az_and_one_vpc_per_load_balancer
//   a free address for each node                rejects_a_load_balancer_node_or_an_endpoint_eni_in_a_full_subnet
//   enforce_..._private_link_traffic on/off     rejects_an_enforce_setting_other_than_on_or_off
//   hash uniform / maglev                       rejects_an_unknown_hash
//   listeners: TCP                              validate::load_balancing::tests::listeners_have_distinct_ports_a_target_and_weights_of_0_to_999
//   listeners: ports 1-65535                    rejects_port_zero_wherever_a_port_is_written
//   listeners: distinct ports                   validate::load_balancing::tests::listeners_have_distinct_ports_a_target_and_weights_of_0_to_999
//   listeners: target_group xor forward         validate::load_balancing::tests::listeners_have_distinct_ports_a_target_and_weights_of_0_to_999
//   listeners: weights 0-999, one above 0       validate::load_balancing::tests::listeners_have_distinct_ports_a_target_and_weights_of_0_to_999
//   listeners: target groups of the LB's VPC    rejects_a_listener_to_a_target_group_of_another_vpc
//   a target group used by two LBs              validate::load_balancing::tests::targets_are_registered_once_in_the_groups_vpc_and_groups_serve_one_load_balancer
//   target groups: TCP                          rejects_target_groups_sim_does_not_model
//   target groups: port 1-65535                 rejects_port_zero_wherever_a_port_is_written
//   target groups: instance targets             rejects_target_groups_sim_does_not_model
//   cross_zone.enabled true/false/use_lb_conf   rejects_an_unknown_cross_zone_attribute
//   an instance registered twice                validate::load_balancing::tests::targets_are_registered_once_in_the_groups_vpc_and_groups_serve_one_load_balancer
//   a target outside the group's VPC            validate::load_balancing::tests::targets_are_registered_once_in_the_groups_vpc_and_groups_serve_one_load_balancer
//   health checks TCP, traffic-port/1-65535     rejects_target_groups_sim_does_not_model,
//                                               validate::load_balancing::tests::health_checks_stay_within_aws_ranges
//   health check interval 5-300 s               validate::load_balancing::tests::health_checks_stay_within_aws_ranges
//   health check timeout 2-120 s                validate::load_balancing::tests::health_checks_stay_within_aws_ranges
//   health check thresholds 2-10                validate::load_balancing::tests::health_checks_stay_within_aws_ranges
//   deregistration_delay 0-3600 s               rejects_a_deregistration_delay_beyond_an_hour,
//                                               validate::load_balancing::tests::the_deregistration_delay_is_0_to_3600_seconds_and_300_by_default
//   failover counts 1 or more                   rejects_a_failover_count_below_one,
//                                               validate::load_balancing::tests::failover_counts_are_1_or_more_and_percentages_off_or_1_to_100
//   "off" for DNS failover's count only         rejects_off_as_a_routing_failover_count,
//                                               validate::load_balancing::tests::failover_counts_are_1_or_more_and_percentages_off_or_1_to_100,
//                                               validate::load_balancing::tests::failover_thresholds_default_to_a_count_of_1_and_take_the_values_set
//   failover percentages "off" or 1-100         rejects_a_failover_percentage_outside_1_to_100,
//                                               validate::load_balancing::tests::failover_counts_are_1_or_more_and_percentages_off_or_1_to_100
//   DNS failover's at least routing failover's  rejects_a_dns_failover_threshold_below_routing_failovers,
//                                               validate::load_balancing::tests::dns_failover_thresholds_are_at_least_routing_failovers_where_both_are_set
// PrivateLink
//   a service with no load balancer             validate::privatelink::tests::enis_only_where_the_service_has_a_node_by_az_id
//   a service listing an NLB twice              validate::privatelink::tests::enis_only_where_the_service_has_a_node_by_az_id
//   endpoints of type Interface                 rejects_an_endpoint_that_is_not_an_interface_endpoint
//   private_dns_enabled = true                  validate::privatelink::tests::one_eni_per_az_in_the_endpoints_vpc
//   endpoint: at least one subnet               validate::privatelink::tests::one_eni_per_az_in_the_endpoints_vpc
//   endpoint subnets of the endpoint's VPC      validate::privatelink::tests::one_eni_per_az_in_the_endpoints_vpc
//   endpoint: at most one subnet per AZ         rejects_two_endpoint_subnets_in_one_az,
//                                               validate::privatelink::tests::one_eni_per_az_in_the_endpoints_vpc
//   ENIs only where a node is, by AZ ID         rejects_an_endpoint_subnet_in_an_az_the_nlb_does_not_enable,
//                                               maps_az_names_through_each_account_before_matching,
//                                               validate::privatelink::tests::enis_only_where_the_service_has_a_node_by_az_id
//   a free address for each ENI                 rejects_a_load_balancer_node_or_an_endpoint_eni_in_a_full_subnet
// DNS
//   a private zone with no VPC                  validate::dns::tests::records_are_well_formed
//   two records of one name                     validate::dns::tests::records_are_well_formed
//   types A and CNAME                           validate::dns::tests::records_are_well_formed
//   A values that are not IPv4                  validate::dns::tests::records_are_well_formed
//   an A record with no records or alias        validate::dns::tests::records_are_well_formed
//   an alias with a ttl                         validate::dns::tests::alias_records_take_their_targets_ttl_and_others_need_one
//   any other record without a ttl              validate::dns::tests::alias_records_take_their_targets_ttl_and_others_need_one
//   a CNAME with other than one name            validate::dns::tests::records_are_well_formed
//   an alias of type CNAME                      rejects_an_alias_of_type_cname
//   an alias with records                       validate::dns::tests::records_are_well_formed
//   a zonal alias where there is no ENI         validate::dns::tests::records_are_well_formed
// Workload and run
//   at least one client                         validate::workload::tests::the_workload_names_distinct_clients_a_host_and_sane_rates
//   no client listed twice (both positions)     validate::workload::tests::the_workload_names_distinct_clients_a_host_and_sane_rates,
//                                               rejects_a_client_listed_twice_naming_both_positions
//   port 1-65535                                rejects_port_zero_wherever_a_port_is_written
//   protocol = "tcp"                            validate::workload::tests::the_workload_names_distinct_clients_a_host_and_sane_rates
//   arrival_rate above 0, at most 1e9           validate::workload::tests::the_workload_names_distinct_clients_a_host_and_sane_rates
//   arrival_rate too low for one arrival        writes_floats_in_messages_compactly_and_locates_them
//   a longest flow path beyond the clock        rejects_latencies_and_timeouts_that_would_saturate_the_clock
//   connect_timeout above 0                     validate::workload::tests::the_workload_names_distinct_clients_a_host_and_sane_rates
//   a host name                                 validate::workload::tests::the_workload_names_distinct_clients_a_host_and_sane_rates
//   run.flows at least 1                        validate::workload::tests::the_workload_names_distinct_clients_a_host_and_sane_rates
//   a run that outlasts the clock               rejects_a_run_that_would_outlast_the_clock,
//                                               determinism::rejects_a_run_longer_than_the_clock
// Connections (CONN-1 to CONN-6)
//   [workload.connection]: values, defaults     validate::workload::tests::connections_take_a_duration_a_distribution_and_a_request_interval
//   connection.duration above 0                 rejects_a_connection_duration_of_zero,
//                                               validate::workload::tests::connections_need_a_duration_and_interval_above_zero_and_a_known_distribution
//   connection.request_interval above 0         rejects_a_request_interval_of_zero,
//                                               validate::workload::tests::connections_need_a_duration_and_interval_above_zero_and_a_known_distribution
//   distribution fixed / exponential            rejects_an_unknown_connection_distribution,
//                                               validate::workload::tests::connections_need_a_duration_and_interval_above_zero_and_a_known_distribution
//   more open per client than 28,232 ports      rejects_more_open_connections_per_client_than_it_has_source_ports,
//                                               validate::workload::tests::a_client_keeps_at_most_28232_connections_open_for_one_destination
//   tcp.idle_timeout.seconds 60-6000, 350       rejects_an_idle_timeout_outside_60_to_6000_seconds,
//                                               validate::load_balancing::tests::the_listener_idle_timeout_is_60_to_6000_seconds_and_350_by_default
//   termination attributes: values, defaults    validate::load_balancing::tests::connection_termination_attributes_default_to_aws_and_take_the_values_set
//   draining_interval_seconds 0-360000          rejects_a_draining_interval_outside_0_to_360000_seconds,
//                                               validate::load_balancing::tests::the_unhealthy_draining_interval_is_0_to_360000_seconds
// Events (EV-1 to EV-10)
//   an event with no action, or two             rejects_an_event_with_no_action_or_two,
//                                               validate::events::tests::an_event_has_exactly_one_action_and_only_its_own_options
//   target_group / targets_only elsewhere       rejects_target_group_or_targets_only_with_another_action,
//                                               validate::events::tests::an_event_has_exactly_one_action_and_only_its_own_options
//   unknown keys, a missing at                  validate::events::tests::an_event_has_exactly_one_action_and_only_its_own_options
//   at below 100 years                          rejects_an_event_at_100_years_or_later,
//                                               validate::events::tests::an_event_is_at_less_than_100_years
//   instances, groups, LBs that exist           rejects_an_event_naming_a_missing_resource_or_a_server_it_needs,
//                                               validate::events::tests::names_resolve_and_only_web_servers_crash
//   revoke / authorize: one of ingress, egress  rejects_a_rule_change_that_does_not_name_one_list,
//                                               validate::events::tests::rule_changes_and_weights_name_what_exists
//   revoke / authorize: a rule the group has    rejects_a_rule_change_of_a_rule_the_group_does_not_have,
//                                               validate::events::tests::rule_changes_and_weights_name_what_exists
//   listener_weights: a listener on the port    rejects_weights_for_a_port_without_a_listener,
//                                               validate::events::tests::rule_changes_and_weights_name_what_exists
//   listener_weights: its groups, each once     rejects_weights_that_add_or_leave_out_a_target_group,
//                                               validate::events::tests::rule_changes_and_weights_name_what_exists
//   listener_weights: 0-999, one above 0        rejects_weights_above_999_or_all_zero
//   slow: an instance with a web_server         rejects_an_event_naming_a_missing_resource_or_a_server_it_needs
//   endpoint subnets: the endpoint's rules,     rejects_endpoint_subnet_events_that_contradict_the_endpoint
//   one it has to remove, not its last one,
//   not one it has to add
//   zones by AZ ID, not AZ name                 rejects_an_event_naming_a_missing_resource_or_a_server_it_needs,
//                                               rejects_an_az_name_where_an_event_needs_an_az_id,
//                                               validate::events::tests::an_az_name_is_answered_with_the_az_id_of_each_account
//   crash / recover without a web_server        rejects_a_crash_of_an_instance_without_a_web_server,
//                                               validate::events::tests::names_resolve_and_only_web_servers_crash
//   (de)register: a target of the scenario      rejects_a_deregister_of_a_target_the_scenario_does_not_have,
//                                               validate::events::tests::names_resolve_and_only_web_servers_crash
//   a revoke of a rule out of its group, an     rejects_a_revoke_of_a_rule_out_of_its_group_or_an_authorize_of_one_in_it,
//   authorize of one in it (active = false)     validate::events::tests::no_event_contradicts_the_state_the_events_before_it_leave
//   an event contradicting earlier ones         rejects_an_event_that_contradicts_the_ones_before_it,
//                                               validate::events::tests::no_event_contradicts_the_state_the_events_before_it_leave,
//                                               validate::events::tests::deregister_and_register_apply_to_every_group_listing_the_instance_or_to_one
//   set.events in a variant, located there      reports_an_event_a_variant_sets_where_the_variant_sets_it,
//                                               validate::events::tests::a_variant_replaces_the_events_and_its_mistakes_are_located_where_it_sets_them
//   accepted: sorted, expanded, labelled        accepts_events_of_every_kind,
//                                               validate::events::tests::events_are_sorted_by_time_in_file_order_with_their_labels,
//                                               validate::events::tests::rule_changes_and_weights_resolve_to_actions_with_their_labels,
//                                               validate::events::tests::deregister_and_register_apply_to_every_group_listing_the_instance_or_to_one
// Paths
//   a name resolving to an instance             validate::paths::tests::a_client_straight_to_an_instance_is_refused_and_to_an_nlb_node_simulated
//   a direct client's port no listener serves   validate::paths::tests::a_client_straight_to_an_instance_is_refused_and_to_an_nlb_node_simulated
//   dns_record_client_routing_policy, dns_name  rejects_bad_nlb_dns_settings
//   IP targets: addresses of instances of the   rejects_target_groups_sim_does_not_model
//   group's VPC or a peered one
//   an alias to an endpoint and an NLB at once  rejects_bad_nlb_dns_settings
//   zonal shift: enabled, a zone it enables,    rejects_a_zonal_shift_aws_would_refuse
//   not twice, not ended before it starts
//   a port no bindable NLB serves               rejects_a_port_no_listener_serves,
//                                               validate::paths::tests::the_port_needs_a_listener_and_unreachable_targets_are_warned_about
// Warnings (exit 0)
//   a target in an AZ the NLB does not enable   warns_about_a_target_in_an_az_the_nlb_does_not_enable,
//                                               validate::paths::tests::the_port_needs_a_listener_and_unreachable_targets_are_warned_about
//   a target group no listener uses             warns_about_a_target_group_no_listener_uses
//   a name a client's VPC cannot resolve        validate::paths::tests::the_port_needs_a_listener_and_unreachable_targets_are_warned_about
//   an ENI bindable to an NLB without the port  warns_about_an_endpoint_eni_that_may_be_bound_to_an_nlb_without_the_port

mod common;

use common::*;
use sim::scenario;

#[test]
fn no_mutilation_of_the_scenario_makes_sim_panic() {
    // Delete each line in turn, and replace each value in turn with values of other types;
    // every result must either be rejected with located errors or simulate cleanly.
    let lines: Vec<&str> = CROSSZONE.lines().collect();
    let replacements = [
        "0",
        "-1",
        "\"\"",
        "\"x\"",
        "[]",
        "{}",
        "true",
        "99999999999",
        "\"10.11.0.0/33\"",
        "1.5",
    ];
    let mut variants_tried = 0;
    for i in 0..lines.len() {
        let mut candidates = vec![
            lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, l)| *l)
                .collect::<Vec<_>>()
                .join("\n"),
        ];
        if let Some((key, _)) = lines[i].split_once(" = ") {
            for r in replacements {
                let mut changed = lines.clone();
                let line = format!("{key} = {r}");
                changed[i] = &line;
                candidates.push(changed.join("\n"));
            }
        }
        for text in candidates {
            variants_tried += 1;
            match scenario::parse("m.toml", "m", &text) {
                Ok(s) => {
                    for v in &s.variants {
                        let tally = simulate(&v.topology, 50, 1);
                        let total: u64 =
                            tally.target_hits.iter().chain(tally.failures.iter()).sum();
                        assert_eq!(total, 50);
                        let t = &v.topology;
                        let _ = sim::expected::expected(
                            &sim::walk::Walker::new(t, 1),
                            &sim::state::State::initial(t, 1),
                        );
                    }
                }
                Err(errors) => {
                    assert!(!errors.is_empty());
                    for e in errors {
                        assert!(e.line >= 1 && e.column >= 1, "{e}");
                    }
                }
            }
        }
    }
    assert!(variants_tried > 500);
}

// ---- Bad input: one case per validation rule -------------------------------------------------

/// Runs `sim run --flows 100` on `text` and checks exit status 2 and that stderr names
/// `key_path` and says `fragment`, with a file:line:column location.
fn rejects(name: &str, text: &str, key_path: &str, fragment: &str) -> String {
    let path = scratch(name, text);
    let output = sim(&["run", path.to_str().unwrap(), "--flows", "100"]);
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "{name}: expected exit 2, stderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(
        err.contains(key_path),
        "{name}: stderr does not name {key_path:?}:\n{err}"
    );
    assert!(
        err.contains(fragment),
        "{name}: stderr does not say {fragment:?}:\n{err}"
    );
    let location = format!("{}:", path.display());
    assert!(
        err.contains(&location),
        "{name}: no file:line:column in\n{err}"
    );
    assert!(
        stdout(&output).is_empty(),
        "{name}: printed a report anyway"
    );
    err
}

/// Runs `sim check` on `text` and checks exit status 0 and a warning on stderr, located at the
/// file's line and column, that names `key_path` and says `fragment`. Returns the warning.
fn warns(name: &str, text: &str, key_path: &str, fragment: &str) -> String {
    let path = scratch(name, text);
    let output = sim(&["check", path.to_str().unwrap()]);
    let err = stderr(&output);
    assert!(
        output.status.success(),
        "{name}: expected exit 0, stderr:\n{err}"
    );
    let warning = err
        .lines()
        .find(|l| l.contains(key_path) && l.contains(fragment))
        .unwrap_or_else(|| {
            panic!("{name}: no warning at {key_path:?} saying {fragment:?}:\n{err}")
        });
    let location = format!("warning: {}:", path.display());
    let rest = warning
        .strip_prefix(&location)
        .unwrap_or_else(|| panic!("{name}: not a located warning: {warning}"));
    let mut position = rest.splitn(3, ':');
    for what in ["line", "column"] {
        let number = position.next().unwrap_or_default();
        assert!(
            number.parse::<usize>().is_ok_and(|n| n >= 1),
            "{name}: no {what} in {warning}"
        );
    }
    warning.to_string()
}

#[test]
fn rejects_unknown_keys() {
    let text = crosszone_with("[vpcs.provider]\n", "[vpcs.provider]\ncolour = \"blue\"\n");
    let err = rejects("unknown-key", &text, "vpcs.provider.colour", "unknown key");
    // The line where the key is written.
    let line = text.lines().position(|l| l.starts_with("colour")).unwrap() + 1;
    assert!(err.contains(&format!("unknown-key.toml:{line}:")), "{err}");
}

#[test]
fn rejects_dangling_references() {
    let text = crosszone_with("subnet_id = \"provider-1\"", "subnet_id = \"provider-9\"");
    rejects(
        "dangling",
        &text,
        "instances.web-1.subnet_id = \"provider-9\"",
        "no subnet of that name (defined: provider-1, provider-2, provider-3, consumer-1, consumer-2, consumer-3)",
    );
}

#[test]
fn rejects_a_subnet_outside_its_vpc() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.128/26\"",
        "cidr_block = \"10.12.0.128/26\"",
    );
    rejects(
        "outside-vpc",
        &text,
        "subnets.provider-3.cidr_block = \"10.12.0.128/26\"",
        "outside its VPC provider (10.11.0.0/24)",
    );
}

#[test]
fn rejects_overlapping_subnets() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.64/26\"",
        "cidr_block = \"10.11.0.32/27\"",
    );
    rejects(
        "overlap",
        &text,
        "subnets.provider-2.cidr_block",
        "overlaps subnet provider-1 (10.11.0.0/26)",
    );
}

#[test]
fn rejects_an_ip_outside_its_subnet() {
    let text = crosszone_with(
        "subnet_id = \"provider-1\"\n",
        "subnet_id = \"provider-1\"\nprivate_ip = \"10.11.0.100\"\n",
    );
    rejects(
        "ip-outside",
        &text,
        "instances.web-1.private_ip = \"10.11.0.100\"",
        "outside its subnet provider-1",
    );
}

#[test]
fn rejects_two_load_balancer_subnets_in_one_az() {
    let text = CROSSZONE.replacen(
        "availability_zone = \"us-east-1b\"\ncidr_block = \"10.11.0.64/26\"",
        "availability_zone = \"us-east-1a\"\ncidr_block = \"10.11.0.64/26\"",
        1,
    );
    assert_ne!(text, CROSSZONE);
    rejects(
        "nlb-same-az",
        &text,
        "load_balancers.provider-nlb.subnets[1]",
        "at most one subnet per AZ",
    );
}

#[test]
fn rejects_two_endpoint_subnets_in_one_az() {
    let text = crosszone_with(
        "vpc_id = \"consumer\"\navailability_zone = \"us-east-1b\"",
        "vpc_id = \"consumer\"\navailability_zone = \"us-east-1a\"",
    )
    .replacen(
        "subnet_ids = [\"consumer-1\"]",
        "subnet_ids = [\"consumer-1\", \"consumer-2\"]",
        1,
    );
    rejects(
        "endpoint-same-az",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[1]",
        "at most one subnet per AZ",
    );
}

#[test]
fn rejects_an_endpoint_subnet_in_an_az_the_nlb_does_not_enable() {
    let text = crosszone_with(
        "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
        "subnets = [\"provider-2\", \"provider-3\"]",
    );
    rejects(
        "endpoint-az",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[0]",
        "PrivateLink matches AZs by AZ ID",
    );
}

#[test]
fn maps_az_names_through_each_account_before_matching() {
    // Same AZ name, different accounts: the consumer's us-east-1a is use1-az3 for it, a zone the
    // provider's NLB does not enable, so the endpoint subnet is rejected although the names match.
    let text = crosszone_with(
        "[accounts.lab]\naz_ids = { us-east-1a = \"use1-az1\", us-east-1b = \"use1-az2\", us-east-1c = \"use1-az4\" }",
        "[accounts.lab]\naz_ids = { us-east-1a = \"use1-az1\", us-east-1b = \"use1-az2\", us-east-1c = \"use1-az4\" }\n\n[accounts.other]\naz_ids = { us-east-1a = \"use1-az3\", us-east-1b = \"use1-az1\", us-east-1c = \"use1-az2\" }",
    )
    .replacen("[vpcs.consumer]\n", "[vpcs.consumer]\naccount = \"other\"\n", 1)
    .replacen("[vpcs.provider]\n", "[vpcs.provider]\naccount = \"lab\"\n", 1);
    let err = rejects(
        "account-maps",
        &text,
        "vpc_endpoints.provider-endpoint.subnet_ids[0]",
        "us-east-1a = use1-az3 for account other",
    );
    assert!(
        err.contains("use1-az1 (us-east-1a in the provider's account)"),
        "{err}"
    );
}

#[test]
fn rejects_peering_overlapping_vpcs_and_points_to_privatelink() {
    // Before [workload]: after [[variants]] the table would belong to the last variant.
    let text = crosszone_with(
        "[workload]",
        "[vpc_peerings.direct]\nvpc_id = \"consumer\"\npeer_vpc_id = \"provider\"\n\n[workload]",
    );
    rejects(
        "peering",
        &text,
        "vpc_peerings.direct.peer_vpc_id",
        "PrivateLink",
    );
}

#[test]
fn rejects_a_port_no_listener_serves() {
    let text = crosszone_with("port = 80\narrival_rate", "port = 8080\narrival_rate");
    rejects(
        "no-listener",
        &text,
        "workload.port = 8080",
        "no listener of load balancer provider-nlb",
    );
}

#[test]
fn warns_about_a_target_in_an_az_the_nlb_does_not_enable() {
    let text = crosszone_with(
        "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
        "subnets = [\"provider-1\", \"provider-2\"]",
    );
    let report = run_json("unused-target", &text, 600);
    let warning = report["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("target_groups.web.targets[2]") && warning.contains("Target.NotInUse"),
        "{warning}"
    );
    let on = &report["variants"][1];
    assert_eq!(on["targets"][2]["hits"], 0);
    assert_eq!(on["targets"][2]["expected_share"], 0.0);
}

#[test]
fn rejects_malformed_toml_with_its_position() {
    let text = crosszone_with(
        "cidr_block = \"10.11.0.0/24\"",
        "cidr_block = \"10.11.0.0/24",
    );
    let path = scratch("syntax", &text);
    let output = sim(&["run", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("not valid TOML") && err.contains("syntax.toml:16:"),
        "{err}"
    );
}

#[test]
fn rejects_a_misspelt_resource_in_a_variant() {
    let text = crosszone_with(
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
        "set.load_balancers.provider-nbl.enable_cross_zone_load_balancing = true",
    );
    rejects(
        "variant-typo",
        &text,
        "variants[1].set.load_balancers.provider-nbl",
        "a variant can change resources, not add them",
    );
}

#[test]
fn reports_a_bad_value_set_by_a_variant_where_the_variant_sets_it() {
    let text = crosszone_with(
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true",
        "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = \"yes\"",
    );
    let err = rejects(
        "variant-type",
        &text,
        "variants[1].set.load_balancers.provider-nlb.enable_cross_zone_load_balancing",
        "invalid type",
    );
    assert!(err.contains("in variant \"cross-zone on\""), "{err}");
}

#[test]
fn rejects_a_bad_duration() {
    let text = crosszone_with("interval = \"30s\"", "interval = \"30 parsecs\"");
    rejects(
        "duration",
        &text,
        "target_groups.web.health_check.interval",
        "not a unit of time",
    );
    let text = crosszone_with("interval = \"30s\"", "interval = -30");
    rejects(
        "duration-negative",
        &text,
        "target_groups.web.health_check.interval",
        "-30 is not a number of seconds >= 0",
    );
}

#[test]
fn accepts_durations_with_a_unit_or_in_whole_seconds() {
    let text = crosszone_with("interval = \"30s\"", "interval = 45").replacen(
        "connect_timeout = \"10s\"",
        "connect_timeout = \"1.5ms\"",
        1,
    );
    let path = scratch("durations", &text);
    let output = sim(&["check", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let t = &load(&text).variants[0].topology;
    assert_eq!(t.target_groups[0].health_check.interval.to_string(), "45s");
    assert_eq!(t.workload.connect_timeout.to_string(), "1.5ms");
}

#[test]
fn rejects_a_value_of_the_wrong_type() {
    let text = crosszone_with("port = 80\narrival_rate", "port = \"eighty\"\narrival_rate");
    rejects(
        "wrong-type",
        &text,
        "workload.port",
        "invalid type: string \"eighty\"",
    );
}

/// The line that turns cross-zone on in the second variant.
const SET_ON: &str = "set.load_balancers.provider-nlb.enable_cross_zone_load_balancing = true";

#[test]
fn rejects_two_variants_of_one_name() {
    let text = crosszone_with("name = \"cross-zone on\"", "name = \"cross-zone off\"");
    rejects(
        "variant-twice",
        &text,
        "variants[1].name = \"cross-zone off\"",
        "another variant has this name",
    );
}

#[test]
fn rejects_a_variant_that_sets_run_or_variants() {
    for (key, line) in [
        ("run", "set.run.flows = 5"),
        ("variants", "set.variants = []"),
    ] {
        let text = crosszone_with(SET_ON, &format!("{SET_ON}\n{line}"));
        rejects(
            &format!("variant-sets-{key}"),
            &text,
            &format!("variants[1].set.{key}"),
            &format!("`{key}` is shared by all variants and cannot be set per variant"),
        );
    }
}

#[test]
fn rejects_a_scenario_without_an_account() {
    let text = crosszone_with(
        "[accounts.lab]\naz_ids = { us-east-1a = \"use1-az1\", us-east-1b = \"use1-az2\", us-east-1c = \"use1-az4\" }\n",
        "",
    );
    rejects(
        "no-account",
        &text,
        "accounts",
        "accounts: define at least one account",
    );
}

#[test]
fn rejects_cidr_blocks_that_do_not_parse() {
    let text = crosszone_with(
        "[vpcs.provider]\ncidr_block = \"10.11.0.0/24\"",
        "[vpcs.provider]\ncidr_block = \"10.11.0.0/33\"",
    );
    rejects(
        "cidr-prefix",
        &text,
        "vpcs.provider.cidr_block = \"10.11.0.0/33\"",
        "`/33` is not a prefix length from /0 to /32",
    );
    let text = crosszone_with("cidr_block = \"10.11.0.0/26\"", "cidr_block = \"ten\"");
    rejects(
        "cidr-text",
        &text,
        "subnets.provider-1.cidr_block = \"ten\"",
        "`ten` is not a CIDR block",
    );
    let text = crosszone_with(
        "cidr_blocks = [\"10.11.0.0/24\"]",
        "cidr_blocks = [\"10.11.0.0\"]",
    );
    rejects(
        "cidr-rule",
        &text,
        "security_groups.web-sg.ingress[0].cidr_blocks[0] = \"10.11.0.0\"",
        "`10.11.0.0` is not a CIDR block",
    );
}

#[test]
fn rejects_load_balancers_other_than_internal_network_ones() {
    let text = crosszone_with(
        "load_balancer_type = \"network\"",
        "load_balancer_type = \"application\"",
    );
    rejects(
        "application-lb",
        &text,
        "load_balancers.provider-nlb.load_balancer_type = \"application\"",
        "`sim` models only network",
    );
    let text = crosszone_with("internal = true", "internal = false");
    rejects(
        "internet-facing-lb",
        &text,
        "load_balancers.provider-nlb.internal = false",
        "only internal load balancers are modelled",
    );
}

#[test]
fn rejects_an_enforce_setting_other_than_on_or_off() {
    let text = crosszone_with(
        "enable_cross_zone_load_balancing = false\n",
        "enable_cross_zone_load_balancing = false\nenforce_security_group_inbound_rules_on_private_link_traffic = \"yes\"\n",
    );
    rejects(
        "enforce",
        &text,
        "load_balancers.provider-nlb.enforce_security_group_inbound_rules_on_private_link_traffic = \"yes\"",
        "must be \"on\" or \"off\"",
    );
}

/// The seed scenario with subnet `subnet` (10.11.0.0/26 in us-east-1a) shrunk to a /28, whose
/// 11 addresses AWS leaves are then all taken: by its own instance and ten more.
fn with_full_subnet(subnet: &str) -> String {
    let vpc = subnet.split('-').next().unwrap();
    let header = format!(
        "[subnets.{subnet}]\nvpc_id = \"{vpc}\"\navailability_zone = \"us-east-1a\"\ncidr_block = \"10.11.0.0/26\""
    );
    let fillers: String = (0..10)
        .map(|i| format!("[instances.filler-{i}]\nsubnet_id = \"{subnet}\"\n\n"))
        .collect();
    crosszone_with(&header, &header.replace("/26", "/28")).replacen(
        "[workload]",
        &format!("{fillers}[workload]"),
        1,
    )
}

#[test]
fn rejects_a_load_balancer_node_or_an_endpoint_eni_in_a_full_subnet() {
    rejects(
        "full-nlb-subnet",
        &with_full_subnet("provider-1"),
        "load_balancers.provider-nlb.subnets[0] = \"provider-1\"",
        "subnet has no free address for the load balancer node",
    );
    rejects(
        "full-endpoint-subnet",
        &with_full_subnet("consumer-1"),
        "vpc_endpoints.provider-endpoint.subnet_ids[0] = \"consumer-1\"",
        "subnet has no free address for the endpoint ENI",
    );
}

#[test]
fn rejects_a_listener_to_a_target_group_of_another_vpc() {
    let text = crosszone_with(
        "listeners = [{ port = 80, protocol = \"TCP\", target_group = \"web\" }]",
        "listeners = [{ port = 80, protocol = \"TCP\", target_group = \"elsewhere\" }]",
    )
    .replacen(
        "[endpoint_services.provider-svc]",
        "[target_groups.elsewhere]\nport = 80\nvpc_id = \"consumer\"\n\n[endpoint_services.provider-svc]",
        1,
    );
    rejects(
        "target-group-vpc",
        &text,
        "load_balancers.provider-nlb.listeners[0].target_group = \"elsewhere\"",
        "target group is not in the load balancer's VPC provider",
    );
}

#[test]
fn rejects_target_groups_sim_does_not_model() {
    let text = crosszone_with(
        "protocol = \"TCP\"\nport = 80\nvpc_id",
        "protocol = \"UDP\"\nport = 80\nvpc_id",
    );
    rejects(
        "target-group-udp",
        &text,
        "load_balancers.provider-nlb.listeners[0].target_group = \"web\"",
        "a TCP listener forwards to TCP or TCP_UDP target groups only; target group web is UDP (docs/model.md NLB-17, NLB-18)",
    );
    let text = crosszone_with(
        "protocol = \"TCP\"\nport = 80\nvpc_id",
        "protocol = \"SCTP\"\nport = 80\nvpc_id",
    );
    rejects(
        "target-group-sctp",
        &text,
        "target_groups.web.protocol = \"SCTP\"",
        "protocol must be \"TCP\", \"UDP\", \"TCP_UDP\" or \"TLS\"",
    );
    let text = crosszone_with(
        "vpc_id = \"provider\"\ntargets",
        "vpc_id = \"provider\"\ntarget_type = \"lambda\"\ntargets",
    );
    rejects(
        "target-type-lambda",
        &text,
        "target_groups.web.target_type = \"lambda\"",
        "target_type: `sim` models only instance / ip",
    );
    // IP targets are addresses, of an instance in the group's VPC (or a peered one: NLB-16).
    let text = crosszone_with(
        "vpc_id = \"provider\"\ntargets",
        "vpc_id = \"provider\"\ntarget_type = \"ip\"\ntargets",
    );
    rejects(
        "target-type-ip-names",
        &text,
        "target_groups.web.targets[0] = \"web-1\"",
        "an IP target is an IPv4 address (target_type = \"ip\")",
    );
    let text = crosszone_with(
        "vpc_id = \"provider\"\ntargets = [\"web-1\", \"web-2\", \"web-3\"]",
        "vpc_id = \"provider\"\ntarget_type = \"ip\"\ntargets = [\"10.11.0.4\", \"10.11.0.99\"]",
    );
    rejects(
        "target-type-ip-nothing",
        &text,
        "target_groups.web.targets[1] = \"10.11.0.99\"",
        "no instance has this address in VPC provider or a VPC peered with it",
    );
    let text = crosszone_with(
        "health_check = { protocol = \"TCP\"",
        "health_check = { protocol = \"HTTP\"",
    );
    rejects(
        "health-check-http",
        &text,
        "target_groups.web.health_check.protocol = \"HTTP\"",
        "health check protocol: `sim` models only TCP",
    );
}

#[test]
fn rejects_an_endpoint_that_is_not_an_interface_endpoint() {
    let text = crosszone_with(
        "vpc_endpoint_type = \"Interface\"",
        "vpc_endpoint_type = \"Gateway\"",
    );
    rejects(
        "gateway-endpoint",
        &text,
        "vpc_endpoints.provider-endpoint.vpc_endpoint_type = \"Gateway\"",
        "vpc_endpoint_type: `sim` models only Interface",
    );
}

#[test]
fn rejects_an_alias_of_type_cname() {
    let text = crosszone_with("type = \"A\", alias", "type = \"CNAME\", alias");
    rejects(
        "cname-alias",
        &text,
        "route53_zones.\"example.local\".records[0].alias",
        "alias records (to an endpoint or a load balancer) are of type A",
    );
}

#[test]
fn rejects_a_run_that_would_outlast_the_clock() {
    // 10^11 flows at 1 flow/s: about 3,169 years of simulated time; the clock holds 584.
    let slow = crosszone_with("arrival_rate = 100", "arrival_rate = 1");
    for (name, flows_in_file, flag, said) in [
        ("clock-run-flows", true, None, "run.flows = 100000000000"),
        (
            "clock-flag",
            false,
            Some("100000000000"),
            "--flows 100000000000",
        ),
    ] {
        let text = if flows_in_file {
            slow.replacen("flows = 100000\n", "flows = 100000000000\n", 1)
        } else {
            slow.clone()
        };
        let path = scratch(name, &text);
        let mut args = vec!["run", path.to_str().unwrap()];
        if let Some(flows) = flag {
            args.extend(["--flows", flows]);
        }
        let output = sim(&args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {err}");
        // In the file, validation refuses it where it is written; with --flows, the command.
        let expected = if flows_in_file {
            format!(
                "{}:121:9: {said}: 100000000000 flows at workload.arrival_rate = 1 flows/s is about 3.169e3 years",
                path.display()
            )
        } else {
            format!(
                "{}: {said} at workload.arrival_rate = 1 flows/s (variant \"cross-zone off\") is about 3.169e3 years",
                path.display()
            )
        };
        assert!(err.contains(&expected), "{name}: {err}");
        assert!(err.contains("sim's clock holds 584 years"), "{name}: {err}");
        assert!(
            stdout(&output).is_empty(),
            "{name}: printed a report anyway"
        );
    }
}

#[test]
fn warns_about_a_target_group_no_listener_uses() {
    let text = crosszone_with(
        "[endpoint_services.provider-svc]",
        "[target_groups.spare]\nport = 80\nvpc_id = \"provider\"\ntargets = [\"web-1\"]\n\n[endpoint_services.provider-svc]",
    );
    warns(
        "spare-target-group",
        &text,
        "target_groups.spare.targets[0]",
        "target group spare is used by no load balancer's listener: target web-1 gets no traffic (Target.NotInUse)",
    );
}

#[test]
fn warns_about_an_endpoint_eni_that_may_be_bound_to_an_nlb_without_the_port() {
    // A second NLB behind the service listens on 8080 only: the ENI's draw may bind it there.
    let text = crosszone_with(
        "network_load_balancers = [\"provider-nlb\"]",
        "network_load_balancers = [\"provider-nlb\", \"blue-nlb\"]",
    )
    .replacen(
        "[endpoint_services.provider-svc]",
        "[load_balancers.blue-nlb]\nsubnets = [\"provider-1\", \"provider-2\", \"provider-3\"]\nlisteners = [{ port = 8080, target_group = \"blue\" }]\n\n[target_groups.blue]\nport = 80\nvpc_id = \"provider\"\ntargets = [\"web-1\", \"web-2\", \"web-3\"]\n\n[endpoint_services.provider-svc]",
        1,
    );
    let warning = warns(
        "listener-on-one-nlb",
        &text,
        "workload.port = 80",
        "no listener of load balancer blue-nlb (listeners: 8080) (behind provider-nlb.example.local) serves this port",
    );
    assert!(
        warning.contains(
            "endpoint ENI provider-endpoint/consumer-1 may be bound to it, and its connections are then reset (NO_LISTENER)"
        ),
        "{warning}"
    );
}

#[test]
fn rejects_bad_flags_and_missing_files() {
    let output = sim(&["run", "scenarios/crosszone.toml", "--flows", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--flows must be at least 1"));
    let output = sim(&[
        "run",
        "scenarios/crosszone.toml",
        "--variant",
        "cross-zone sideways",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--variant \"cross-zone sideways\""));
    let output = sim(&["run", "scenarios/crosszone.toml", "--format", "xml"]);
    assert_eq!(output.status.code(), Some(2));
    let output = sim(&["run", "scenarios/no-such-file.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read scenarios/no-such-file.toml"));
}

#[test]
fn rejects_an_unknown_hash() {
    let text = crosszone_with(
        "enable_cross_zone_load_balancing = false\n",
        "enable_cross_zone_load_balancing = false\nhash = \"ring\"\n",
    );
    rejects(
        "bad-hash",
        &text,
        "load_balancers.provider-nlb.hash = \"ring\"",
        "\"uniform\" or \"maglev\"",
    );
}

#[test]
fn rejects_a_missing_key() {
    let text = crosszone_with(
        "[subnets.provider-2]\nvpc_id = \"provider\"\navailability_zone = \"us-east-1b\"\ncidr_block = \"10.11.0.64/26\"",
        "[subnets.provider-2]\nvpc_id = \"provider\"\navailability_zone = \"us-east-1b\"",
    );
    rejects(
        "missing-key",
        &text,
        "subnets.provider-2",
        "missing key `cidr_block`",
    );
}

#[test]
fn rejects_an_unknown_cross_zone_attribute() {
    let text = crosszone_with(
        "targets = [\"web-1\", \"web-2\", \"web-3\"]",
        "targets = [\"web-1\", \"web-2\", \"web-3\"]\nload_balancing.cross_zone.enabled = \"sometimes\"",
    );
    rejects(
        "cross-zone-attribute",
        &text,
        "target_groups.web.load_balancing.cross_zone.enabled",
        "is not one of \"true\", \"false\", \"use_load_balancer_configuration\"",
    );
}

#[test]
fn rejects_a_deregistration_delay_beyond_an_hour() {
    let text = crosszone_with(
        "targets = [\"web-1\", \"web-2\", \"web-3\"]",
        "targets = [\"web-1\", \"web-2\", \"web-3\"]\nderegistration_delay.timeout_seconds = 3601",
    );
    rejects(
        "deregistration-delay",
        &text,
        "target_groups.web.deregistration_delay.timeout_seconds = 3601",
        "must be 0 to 3600 (seconds)",
    );
}

/// The seed scenario with `lines` (dotted `target_group_health` keys) in `[target_groups.web]`.
fn crosszone_with_health(lines: &[&str]) -> String {
    crosszone_with(
        "targets = [\"web-1\", \"web-2\", \"web-3\"]",
        &format!(
            "targets = [\"web-1\", \"web-2\", \"web-3\"]\n{}",
            lines.join("\n")
        ),
    )
}

const ROUTING: &str =
    "target_groups.web.target_group_health.unhealthy_state_routing.minimum_healthy_targets";
const DNS: &str = "target_groups.web.target_group_health.dns_failover.minimum_healthy_targets";

/// The key as the scenario writes it inside `[target_groups.web]`.
fn key(path: &str) -> &str {
    path.strip_prefix("target_groups.web.").unwrap()
}

#[test]
fn rejects_a_failover_count_below_one() {
    let text = crosszone_with_health(&[&format!("{}.count = 0", key(ROUTING))]);
    rejects(
        "failover-count",
        &text,
        &format!("{ROUTING}.count = 0"),
        "count must be an integer of 1 or more",
    );
}

#[test]
fn rejects_off_as_a_routing_failover_count() {
    let text = crosszone_with_health(&[&format!("{}.count = \"off\"", key(ROUTING))]);
    rejects(
        "failover-count-off",
        &text,
        &format!("{ROUTING}.count = \"off\""),
        "routing failover has no \"off\"",
    );
    // DNS failover's count may be off.
    let text = crosszone_with_health(&[&format!("{}.count = \"off\"", key(DNS))]);
    let output = sim(&[
        "check",
        scratch("failover-dns-off", &text).to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn rejects_a_failover_percentage_outside_1_to_100() {
    let text = crosszone_with_health(&[&format!("{}.percentage = 101", key(DNS))]);
    rejects(
        "failover-percentage",
        &text,
        &format!("{DNS}.percentage = 101"),
        "percentage must be \"off\" or 1 to 100",
    );
}

#[test]
fn rejects_a_dns_failover_threshold_below_routing_failovers() {
    let text = crosszone_with_health(&[
        &format!("{}.percentage = 50", key(ROUTING)),
        &format!("{}.percentage = 40", key(DNS)),
    ]);
    rejects(
        "failover-dns-below-routing",
        &text,
        &format!("{DNS}.percentage = 40"),
        "DNS failover's percentage must be at least routing failover's (50)",
    );
}

// ---- Connections (CONN-1 to CONN-6) ----------------------------------------------------------

/// The seed scenario with `[workload.connection]` holding `lines`.
fn crosszone_with_connection(lines: &str) -> String {
    crosszone_with(
        "dns_cache = true\n",
        &format!("dns_cache = true\n\n[workload.connection]\n{lines}\n"),
    )
}

/// The 1-based line of `text` that starts with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines().position(|l| l.starts_with(start)).unwrap() + 1
}

#[test]
fn rejects_a_connection_duration_of_zero() {
    let text = crosszone_with_connection("duration = \"0s\"");
    let err = rejects(
        "connection-duration",
        &text,
        "workload.connection.duration = \"0s\"",
        "duration must be above zero (docs/model.md CONN-1); omit [workload.connection] for curl-like flows",
    );
    let line = line_of(&text, "duration = ");
    assert!(
        err.contains(&format!("connection-duration.toml:{line}:")),
        "{err}"
    );
}

#[test]
fn rejects_a_request_interval_of_zero() {
    let text = crosszone_with_connection("duration = \"60s\"\nrequest_interval = \"0s\"");
    let err = rejects(
        "request-interval",
        &text,
        "workload.connection.request_interval = \"0s\"",
        "request_interval must be above zero (docs/model.md CONN-1)",
    );
    let line = line_of(&text, "request_interval = ");
    assert!(
        err.contains(&format!("request-interval.toml:{line}:")),
        "{err}"
    );
}

#[test]
fn rejects_an_unknown_connection_distribution() {
    let text = crosszone_with_connection("duration = \"60s\"\ndistribution = \"pareto\"");
    rejects(
        "connection-distribution",
        &text,
        "workload.connection.distribution = \"pareto\"",
        "distribution must be \"fixed\" or \"exponential\" (docs/model.md CONN-1)",
    );
}

#[test]
fn rejects_more_open_connections_per_client_than_it_has_source_ports() {
    // 1000 flows/s, each open 60 s, on one client: about 60,000 open at once, beyond 28,232.
    let text = crosszone_with_connection("duration = \"60s\"").replacen(
        "arrival_rate = 100",
        "arrival_rate = 1000",
        1,
    );
    rejects(
        "source-ports",
        &text,
        "workload.connection.duration = \"60s\"",
        "about 60000 connections would be open at once per client (1000 flows/s over 1 client, each open 60s): more than the 28232 source ports a client has for one destination (docs/model.md CONN-6)",
    );
    // The same over three clients is 20,000 each.
    let text = text
        .replacen(
            "clients = [\"consumer-client\"]",
            "clients = [\"consumer-client\", \"client-2\", \"client-3\"]",
            1,
        )
        .replacen(
            "[instances.consumer-client]\n",
            "[instances.client-2]\nsubnet_id = \"consumer-2\"\n\n[instances.client-3]\nsubnet_id = \"consumer-3\"\n\n[instances.consumer-client]\n",
            1,
        );
    let output = sim(&["check", scratch("source-ports-3", &text).to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn rejects_an_idle_timeout_outside_60_to_6000_seconds() {
    for seconds in [59, 6001] {
        let text = crosszone_with(
            "target_group = \"web\" }]",
            &format!("target_group = \"web\", tcp.idle_timeout.seconds = {seconds} }}]"),
        );
        rejects(
            &format!("idle-timeout-{seconds}"),
            &text,
            &format!(
                "load_balancers.provider-nlb.listeners[0].tcp.idle_timeout.seconds = {seconds}"
            ),
            "tcp.idle_timeout.seconds must be 60 to 6000 (docs/model.md CONN-5)",
        );
    }
}

#[test]
fn rejects_a_draining_interval_outside_0_to_360000_seconds() {
    for (name, seconds) in [
        ("draining-negative", "-1"),
        ("draining-100-hours", "360001"),
    ] {
        let text = crosszone_with_health(&[
            "target_health_state.unhealthy.connection_termination.enabled = false",
            &format!("target_health_state.unhealthy.draining_interval_seconds = {seconds}"),
        ]);
        rejects(
            name,
            &text,
            &format!(
                "target_groups.web.target_health_state.unhealthy.draining_interval_seconds = {seconds}"
            ),
            "draining_interval_seconds must be 0 to 360000 (docs/model.md CONN-2)",
        );
    }
}

// ---- Scheduled events (EV-1 to EV-5) ----------------------------------------------------------

/// The seed scenario with `events` (TOML, `[[events]]` tables) at its end.
fn crosszone_with_events(events: &str) -> String {
    format!("{CROSSZONE}\n{events}\n")
}

#[test]
fn accepts_events_of_every_kind() {
    let text = crosszone_with_events(
        r#"
[[events]]
at = "300s"
crash = "web-2"
description = "web-2's server dies"

[[events]]
at = "400s"
recover = "web-2"

[[events]]
at = "60s"
stop_instance = "web-3"

[[events]]
at = "90s"
start_instance = "web-3"

[[events]]
at = "100s"
deregister = "web-1"

[[events]]
at = "200s"
register = "web-1"
target_group = "web"

[[events]]
at = "10m"
impair_zone = "use1-az2"
targets_only = true

[[events]]
at = "11m"
restore_zone = "use1-az2"

[[events]]
at = 30
load_balancer_cross_zone = { load_balancer = "provider-nlb", enabled = true }

[[events]]
at = "1h"
target_group_cross_zone = { target_group = "web", enabled = "use_load_balancer_configuration" }

[[events]]
at = "2h"
revoke = { security_group = "web-sg", ingress = 0 }

[[events]]
at = "3h"
authorize = { security_group = "web-sg", ingress = 0 }

[[events]]
at = "4h"
revoke = { security_group = "endpoint-sg", egress = 0 }

[[events]]
at = "5h"
listener_weights = { load_balancer = "provider-nlb", port = 80, forward = [{ target_group = "web", weight = 7 }] }
"#,
    );
    let path = scratch("events-of-every-kind", &text);
    let output = sim(&["check", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let s = scenario::parse("t.toml", "t", &text).unwrap();
    let labels: Vec<&str> = s.variants[0]
        .topology
        .events
        .iter()
        .map(|e| e.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "cross-zone on for provider-nlb",
            "stop web-3",
            "start web-3",
            "deregister web-1 from web",
            "register web-1 in web",
            "web-2's server dies",
            "recover web-2",
            "impair use1-az2 (targets only)",
            "restore use1-az2",
            "cross-zone use_load_balancer_configuration for web",
            "revoke web-sg ingress[0]",
            "authorize web-sg ingress[0]",
            "revoke endpoint-sg egress[0]",
            "weights 7 on provider-nlb:80",
        ]
    );
}

#[test]
fn rejects_an_event_with_no_action_or_two() {
    let text = crosszone_with_events("[[events]]\nat = \"1s\"\ndescription = \"nothing\"");
    rejects(
        "event-no-action",
        &text,
        "events[0]",
        "an event needs an action: one of crash, recover,",
    );
    let text = crosszone_with_events(
        "[[events]]\nat = \"1s\"\ncrash = \"web-1\"\nimpair_zone = \"use1-az1\"",
    );
    rejects(
        "event-two-actions",
        &text,
        "events[0]",
        "exactly one action, this one has crash and impair_zone",
    );
}

#[test]
fn rejects_target_group_or_targets_only_with_another_action() {
    let text = crosszone_with_events(
        "[[events]]\nat = \"1s\"\nstop_instance = \"web-1\"\ntarget_group = \"web\"",
    );
    rejects(
        "event-target-group",
        &text,
        "events[0].target_group = \"web\"",
        "`target_group` goes with `deregister` or `register`, not with `stop_instance`",
    );
    let text =
        crosszone_with_events("[[events]]\nat = \"1s\"\ncrash = \"web-1\"\ntargets_only = true");
    rejects(
        "event-targets-only",
        &text,
        "events[0].targets_only = true",
        "`targets_only` goes with `impair_zone`, not with `crash`",
    );
}

#[test]
fn rejects_an_event_at_100_years_or_later() {
    let text = crosszone_with_events("[[events]]\nat = \"876000h\"\ncrash = \"web-1\"");
    rejects(
        "event-too-late",
        &text,
        "events[0].at",
        "an event must be at less than 100 years from the start of the run",
    );
}

#[test]
fn rejects_an_event_naming_a_missing_resource_or_a_server_it_needs() {
    for (name, action, key_path, fragment) in [
        (
            "event-instance",
            "stop_instance = \"web-9\"",
            "events[0].stop_instance = \"web-9\"",
            "no instance of that name (defined: web-1, web-2, web-3, consumer-client)",
        ),
        (
            "event-target-group",
            "deregister = \"web-1\"\ntarget_group = \"api\"",
            "events[0].target_group = \"api\"",
            "no target group of that name (defined: web)",
        ),
        (
            "event-load-balancer",
            "load_balancer_cross_zone = { load_balancer = \"nlb\", enabled = true }",
            "events[0].load_balancer_cross_zone.load_balancer = \"nlb\"",
            "no load balancer of that name (defined: provider-nlb)",
        ),
        (
            "event-security-group",
            "revoke = { security_group = \"db-sg\", ingress = 0 }",
            "events[0].revoke.security_group = \"db-sg\"",
            "no security group of that name (defined: web-sg, endpoint-sg)",
        ),
        (
            "event-weights-load-balancer",
            "listener_weights = { load_balancer = \"nlb\", port = 80, forward = [{ target_group = \"web\", weight = 1 }] }",
            "events[0].listener_weights.load_balancer = \"nlb\"",
            "no load balancer of that name (defined: provider-nlb)",
        ),
        (
            "event-weights-target-group",
            "listener_weights = { load_balancer = \"provider-nlb\", port = 80, forward = [{ target_group = \"blue\", weight = 1 }] }",
            "events[0].listener_weights.forward[0].target_group = \"blue\"",
            "no target group of that name (defined: web)",
        ),
        (
            "event-slow-instance",
            "slow = { instance = \"web-9\", response_time = \"2s\" }",
            "events[0].slow.instance = \"web-9\"",
            "no instance of that name (defined: web-1, web-2, web-3, consumer-client)",
        ),
        (
            "event-slow-serverless",
            "slow = { instance = \"consumer-client\", response_time = \"2s\" }",
            "events[0].slow.instance = \"consumer-client\"",
            "instance consumer-client has no web_server: only a web server can be slow (docs/model.md EV-9)",
        ),
        (
            "event-zone",
            "impair_zone = \"use1-az3\"",
            "events[0].impair_zone = \"use1-az3\"",
            "no AZ ID of that name: events name zones by AZ ID (the accounts map use1-az1, use1-az2, use1-az4)",
        ),
    ] {
        let text = crosszone_with_events(&format!("[[events]]\nat = \"1s\"\n{action}"));
        rejects(name, &text, key_path, fragment);
    }
}

#[test]
fn rejects_an_az_name_where_an_event_needs_an_az_id() {
    let text = crosszone_with_events("[[events]]\nat = \"1s\"\nimpair_zone = \"us-east-1b\"");
    rejects(
        "event-az-name",
        &text,
        "events[0].impair_zone = \"us-east-1b\"",
        "AZ names differ per account (docs/model.md AZ-1): name the zone by its AZ ID (us-east-1b is use1-az2 in account lab)",
    );
}

#[test]
fn rejects_a_crash_of_an_instance_without_a_web_server() {
    let text = crosszone_with_events("[[events]]\nat = \"1s\"\ncrash = \"consumer-client\"");
    rejects(
        "event-no-server",
        &text,
        "events[0].crash = \"consumer-client\"",
        "instance consumer-client has no web_server: only a web server can crash (docs/model.md EV-1)",
    );
}

#[test]
fn rejects_a_deregister_of_a_target_the_scenario_does_not_have() {
    let text = crosszone_with_events(
        "[[events]]\nat = \"1s\"\nderegister = \"consumer-client\"\ntarget_group = \"web\"",
    );
    rejects(
        "event-not-a-target",
        &text,
        "events[0].target_group = \"web\"",
        "target group web does not list consumer-client in its targets",
    );
    let text = crosszone_with_events("[[events]]\nat = \"1s\"\nregister = \"consumer-client\"");
    rejects(
        "event-no-target",
        &text,
        "events[0].register = \"consumer-client\"",
        "no target group lists consumer-client in its targets: there is nothing to register",
    );
}

#[test]
fn rejects_an_event_that_contradicts_the_ones_before_it() {
    // In time order: events[1] happens first, and events[2] finds the server already down.
    let text = crosszone_with_events(
        "[[events]]\nat = \"10m\"\nrecover = \"web-2\"\n\n[[events]]\nat = \"300s\"\ncrash = \"web-2\"\n\n[[events]]\nat = \"400s\"\ncrash = \"web-2\"",
    );
    rejects(
        "event-contradiction",
        &text,
        "events[2].crash = \"web-2\"",
        "web-2's server is already down at 400s (events[1] crashed it at 300s)",
    );
    let text = crosszone_with_events("[[events]]\nat = \"1s\"\nrestore_zone = \"use1-az4\"");
    rejects(
        "event-restore",
        &text,
        "events[0].restore_zone = \"use1-az4\"",
        "use1-az4 is not impaired at 1s (no event impaired it before)",
    );
}

#[test]
fn rejects_a_rule_change_that_does_not_name_one_list() {
    let text =
        crosszone_with_events("[[events]]\nat = \"1s\"\nrevoke = { security_group = \"web-sg\" }");
    rejects(
        "rule-change-no-list",
        &text,
        "events[0].revoke",
        "a revoke names its rule by its position in the group's list: `ingress = N` or `egress = N`",
    );
    let text = crosszone_with_events(
        "[[events]]\nat = \"1s\"\nauthorize = { security_group = \"web-sg\", ingress = 0, egress = 0 }",
    );
    rejects(
        "rule-change-two-lists",
        &text,
        "events[0].authorize",
        "an authorize names one rule: `ingress = N` or `egress = N`, not both",
    );
}

#[test]
fn rejects_a_rule_change_of_a_rule_the_group_does_not_have() {
    let text = crosszone_with_events(
        "[[events]]\nat = \"1s\"\nrevoke = { security_group = \"web-sg\", ingress = 1 }",
    );
    rejects(
        "rule-change-no-rule",
        &text,
        "events[0].revoke.ingress = 1",
        "security group web-sg has one ingress rule, ingress[0]: there is no rule ingress[1] to revoke (docs/model.md EV-7)",
    );
    // A group written without `egress` has AWS's allow-all rule, and that one only.
    let text = crosszone_with_events(
        "[[events]]\nat = \"1s\"\nrevoke = { security_group = \"web-sg\", egress = 1 }",
    );
    rejects(
        "rule-change-no-egress-rule",
        &text,
        "events[0].revoke.egress = 1",
        "has one egress rule, egress[0] (written without `egress`, it has AWS's allow-all rule)",
    );
}

#[test]
fn rejects_a_revoke_of_a_rule_out_of_its_group_or_an_authorize_of_one_in_it() {
    let text = crosszone_with_events(
        "[[events]]\nat = \"1s\"\nauthorize = { security_group = \"web-sg\", ingress = 0 }",
    );
    rejects(
        "rule-change-authorize-active",
        &text,
        "events[0].authorize.ingress = 0",
        "web-sg ingress[0] is already in its group at 1s (rules are in their group from the start unless written with `active = false`)",
    );
    // In time order: events[1] revokes first, and events[2] finds the rule out already.
    let text = crosszone_with_events(
        "[[events]]\nat = \"10m\"\nauthorize = { security_group = \"web-sg\", ingress = 0 }\n\n[[events]]\nat = \"300s\"\nrevoke = { security_group = \"web-sg\", ingress = 0 }\n\n[[events]]\nat = \"400s\"\nrevoke = { security_group = \"web-sg\", ingress = 0 }",
    );
    rejects(
        "rule-change-revoke-twice",
        &text,
        "events[2].revoke.ingress = 0",
        "web-sg ingress[0] is not in its group at 400s (events[1] revoked it at 300s)",
    );
    // A rule written inactive is out from the start.
    let inactive = crosszone_with(
        "cidr_blocks = [\"10.11.0.0/24\"] }]",
        "cidr_blocks = [\"10.11.0.0/24\"], active = false }]",
    );
    let text = format!(
        "{inactive}\n[[events]]\nat = \"1s\"\nrevoke = {{ security_group = \"web-sg\", ingress = 0 }}\n"
    );
    rejects(
        "rule-change-revoke-inactive",
        &text,
        "events[0].revoke.ingress = 0",
        "web-sg ingress[0] is not in its group at 1s (it is written with `active = false`: only an authorize puts it in)",
    );
    // Authorized, it is in from then on.
    let text = format!(
        "{inactive}\n[[events]]\nat = \"1s\"\nauthorize = {{ security_group = \"web-sg\", ingress = 0 }}\n"
    );
    let path = scratch("rule-change-authorize-inactive", &text);
    let output = sim(&["check", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn rejects_an_active_that_is_not_a_bool() {
    let text = crosszone_with(
        "cidr_blocks = [\"10.11.0.0/24\"] }]",
        "cidr_blocks = [\"10.11.0.0/24\"], active = \"no\" }]",
    );
    rejects(
        "rule-active-not-bool",
        &text,
        "security_groups.web-sg.ingress[0].active",
        "invalid type: string \"no\", expected a boolean",
    );
}

/// The seed scenario with `listener_weights` of `forward` (TOML entries) at 1 s.
fn crosszone_with_weights(port: u16, forward: &str) -> String {
    crosszone_with_events(&format!(
        "[[events]]\nat = \"1s\"\nlistener_weights = {{ load_balancer = \"provider-nlb\", port = {port}, forward = [{forward}] }}"
    ))
}

#[test]
fn rejects_weights_for_a_port_without_a_listener() {
    rejects(
        "weights-no-listener",
        &crosszone_with_weights(8080, "{ target_group = \"web\", weight = 1 }"),
        "events[0].listener_weights.port = 8080",
        "load balancer provider-nlb has one listener, on port 80: no listener on port 8080 to give weights (docs/model.md EV-8)",
    );
}

#[test]
fn rejects_weights_that_add_or_leave_out_a_target_group() {
    // A second group, `api`, that the listener does not forward to.
    let api = "[target_groups.api]\nport = 8080\nvpc_id = \"provider\"\ntargets = [\"web-1\"]\n\n[endpoint_services.provider-svc]";
    let text = crosszone_with_weights(
        80,
        "{ target_group = \"web\", weight = 1 }, { target_group = \"api\", weight = 1 }",
    )
    .replacen("[endpoint_services.provider-svc]", api, 1);
    rejects(
        "weights-add-group",
        &text,
        "events[0].listener_weights.forward[1].target_group = \"api\"",
        "listener provider-nlb:80 forwards to web, not to api: an event changes the weights of a forward, it cannot add a target group (docs/model.md EV-8)",
    );
    let text = crosszone_with_weights(
        80,
        "{ target_group = \"web\", weight = 1 }, { target_group = \"web\", weight = 2 }",
    );
    rejects(
        "weights-group-twice",
        &text,
        "events[0].listener_weights.forward[1].target_group = \"web\"",
        "this list already gives the target group a weight",
    );
    rejects(
        "weights-leave-out-group",
        &crosszone_with_weights(80, ""),
        "events[0].listener_weights.forward",
        "no weight for web, which listener provider-nlb:80 forwards to: give each of its target groups a weight, 0 sending it nothing (docs/model.md EV-8)",
    );
}

#[test]
fn rejects_weights_above_999_or_all_zero() {
    rejects(
        "weights-above-999",
        &crosszone_with_weights(80, "{ target_group = \"web\", weight = 1000 }"),
        "events[0].listener_weights.forward[0].weight = 1000",
        "weight must be 0 to 999",
    );
    rejects(
        "weights-all-zero",
        &crosszone_with_weights(80, "{ target_group = \"web\", weight = 0 }"),
        "events[0].listener_weights.forward",
        "at least one target group needs a weight above 0",
    );
}

#[test]
fn reports_an_event_a_variant_sets_where_the_variant_sets_it() {
    let text = crosszone_with(
        "name = \"cross-zone on\"\n",
        "name = \"cross-zone on\"\nset.events = [{ at = \"60s\", stop_instance = \"web-3\" }, { at = \"90s\", stop_instance = \"web-3\" }]\n",
    );
    let err = rejects(
        "event-in-variant",
        &text,
        "variants[1].set.events[1].stop_instance = \"web-3\"",
        "web-3 is already stopped at 90s (events[0] stopped it at 60s)",
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("set.events"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("event-in-variant.toml:{line}:")),
        "{err}"
    );
}

// ---- Input at the edges of its types, and scenarios at the scale of real ones -----------------

#[test]
fn rejects_an_integer_beyond_64_bits_at_its_key() {
    // 10^19 is above i64::MAX: TOML cannot hold it, and the message says where it is written.
    let text = crosszone_with("flows = 100000\n", "flows = 10000000000000000000\n");
    let err = rejects(
        "huge-flows",
        &text,
        "run.flows",
        "integer is too large: TOML integers are at most 9223372036854775807",
    );
    assert!(err.contains("huge-flows.toml:121:9: run.flows"), "{err}");
    let text = crosszone_with(
        "flows = 100000\n",
        "flows = 1000000000000000000000000000000\n",
    );
    rejects(
        "huger-flows",
        &text,
        "huger-flows.toml:121:9: run.flows",
        "integer is too large",
    );
}

/// No message prints a number of more than 17 digits in a row (a float written out in full).
fn assert_compact(name: &str, err: &str) {
    let longest = err
        .split(|c: char| !c.is_ascii_digit())
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest <= 17, "{name}: a {longest}-digit number in\n{err}");
}

#[test]
fn writes_floats_in_messages_compactly_and_locates_them() {
    let text = crosszone_with("arrival_rate = 100", "arrival_rate = 1e-300");
    let err = rejects(
        "tiny-rate",
        &text,
        "tiny-rate.toml:115:16: workload.arrival_rate = 1e-300",
        "so low that a single flow's arrival could outlast sim's clock",
    );
    assert_compact("tiny-rate", &err);
    assert_eq!(
        err.matches("error:").count(),
        1,
        "one mistake, one error:\n{err}"
    );
    for (name, from, to, key_path) in [
        (
            "float-flows",
            "flows = 100000\n",
            "flows = 1e300\n",
            "run.flows",
        ),
        (
            "float-port",
            "port = 80\narrival_rate",
            "port = 1e300\narrival_rate",
            "workload.port",
        ),
        (
            "float-interval",
            "interval = \"30s\"",
            "interval = 1e300",
            "target_groups.web.health_check.interval",
        ),
        (
            "float-check-port",
            "interval = \"30s\"",
            "port = 1e300",
            "target_groups.web.health_check.port",
        ),
        (
            "nan-rate",
            "arrival_rate = 100",
            "arrival_rate = nan",
            "workload.arrival_rate = NaN",
        ),
    ] {
        let err = rejects(name, &crosszone_with(from, to), key_path, "");
        assert_compact(name, &err);
    }
}

#[test]
fn rejects_port_zero_wherever_a_port_is_written() {
    for (name, from, to, key_path) in [
        (
            "zero-listener",
            "listeners = [{ port = 80,",
            "listeners = [{ port = 0,",
            "load_balancers.provider-nlb.listeners[0].port = 0",
        ),
        (
            "zero-workload",
            "port = 80\narrival_rate",
            "port = 0\narrival_rate",
            "workload.port = 0",
        ),
        (
            "zero-server",
            "web_server = { port = 80, body = \"Hello from Provider VPC on Subnet 2\"",
            "web_server = { port = 0, body = \"Hello from Provider VPC on Subnet 2\"",
            "instances.web-2.web_server.port = 0",
        ),
        (
            "zero-target-group",
            "protocol = \"TCP\"\nport = 80",
            "protocol = \"TCP\"\nport = 0",
            "target_groups.web.port = 0",
        ),
    ] {
        rejects(
            name,
            &crosszone_with(from, to),
            key_path,
            "port must be 1 to 65535",
        );
    }
}

#[test]
fn rejects_a_client_listed_twice_naming_both_positions() {
    let text = crosszone_with(
        "clients = [\"consumer-client\"]",
        "clients = [\"consumer-client\", \"consumer-client\"]",
    );
    rejects(
        "client-twice",
        &text,
        "workload.clients[1] = \"consumer-client\"",
        "listed twice, at workload.clients[0] and [1]",
    );
}

#[test]
fn rejects_latencies_and_timeouts_that_would_saturate_the_clock() {
    let max = "\"18446744073709551615ns\"";
    for (name, text, key_path) in [
        (
            "huge-latency",
            format!("{CROSSZONE}\n[network]\nsame_az_latency = {max}\n"),
            "network.same_az_latency",
        ),
        (
            "huge-privatelink",
            format!("{CROSSZONE}\n[network]\nprivatelink_latency = \"1000000h\"\n"),
            "network.privatelink_latency",
        ),
        (
            "huge-timeout",
            crosszone_with(
                "connect_timeout = \"10s\"",
                &format!("connect_timeout = {max}"),
            ),
            "workload.connect_timeout",
        ),
        (
            "huge-response",
            crosszone_with(
                "body = \"Hello from Provider VPC on Subnet 3\"",
                &format!("body = \"x\", response_time = {max}"),
            ),
            "instances.web-3.web_server.response_time",
        ),
    ] {
        let err = rejects(
            name,
            &text,
            key_path,
            "sim's clock leaves 1.461e2 years for a flow after its arrival",
        );
        assert_compact(name, &err);
    }
    // Long but representable paths still run: 100 years in all.
    let text = format!("{CROSSZONE}\n[network]\ncross_az_latency = \"100000h\"\n");
    let path = scratch("long-latency", &text);
    let output = sim(&["check", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
}

/// A provider with `targets` web servers spread over 6 AZs (one subnet each, one NLB over the
/// six), a consumer with an ENI and a client per AZ, variants with cross-zone off and on. With
/// `subnet_of = Some(f)`, target `i` names subnet `f(i)` (to make located errors).
fn big_scenario(targets: usize, hash: &str, subnet_of: Option<&dyn Fn(usize) -> String>) -> String {
    let mut s =
        String::from("name = \"big\"\nregion = \"us-east-1\"\n\n[accounts.lab]\naz_ids = { ");
    let zones: Vec<String> = (0..6)
        .map(|z| {
            format!(
                "us-east-1{} = \"use1-az{}\"",
                (b'a' + z as u8) as char,
                z + 1
            )
        })
        .collect();
    s += &zones.join(", ");
    s += " }\n\n[vpcs.provider]\ncidr_block = \"10.0.0.0/16\"\n\n[vpcs.consumer]\ncidr_block = \"10.1.0.0/16\"\n\n";
    for z in 0..6 {
        let az = (b'a' + z as u8) as char;
        for (prefix, vpc, second) in [("p", "provider", 0), ("c", "consumer", 1)] {
            s += &format!(
                "[subnets.{prefix}{z}]\nvpc_id = \"{vpc}\"\navailability_zone = \"us-east-1{az}\"\ncidr_block = \"10.{second}.{}.0/19\"\n\n",
                z * 32
            );
        }
    }
    s += "[security_groups.web-sg]\nvpc_id = \"provider\"\ningress = [{ protocol = \"tcp\", from_port = 80, to_port = 80, cidr_blocks = [\"10.0.0.0/16\"] }]\n\n";
    for t in 0..targets {
        let subnet = subnet_of.map_or_else(|| format!("p{}", t % 6), |f| f(t));
        s += &format!(
            "[instances.web-{t}]\nsubnet_id = \"{subnet}\"\nsecurity_group_ids = [\"web-sg\"]\nweb_server = {{ port = 80, body = \"web {t}\" }}\n\n"
        );
    }
    for z in 0..6 {
        s += &format!("[instances.client-{z}]\nsubnet_id = \"c{z}\"\n\n");
    }
    let names = |f: &dyn Fn(usize) -> String, n: usize| {
        (0..n)
            .map(|i| format!("\"{}\"", f(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    s += &format!(
        "[load_balancers.nlb]\nsubnets = [{}]\nhash = \"{hash}\"\nlisteners = [{{ port = 80, target_group = \"web\" }}]\n\n",
        names(&|z| format!("p{z}"), 6)
    );
    s += &format!(
        "[target_groups.web]\nport = 80\nvpc_id = \"provider\"\ntargets = [{}]\n\n",
        names(&|t| format!("web-{t}"), targets)
    );
    s += "[endpoint_services.svc]\nnetwork_load_balancers = [\"nlb\"]\n\n";
    s += &format!(
        "[vpc_endpoints.ep]\nvpc_id = \"consumer\"\nservice_name = \"svc\"\nsubnet_ids = [{}]\n\n",
        names(&|z| format!("c{z}"), 6)
    );
    s += "[route53_zones.\"example.local\"]\nvpc_ids = [\"consumer\"]\nrecords = [{ name = \"svc\", type = \"A\", alias = { vpc_endpoint = \"ep\" } }]\n\n";
    s += &format!(
        "[workload]\nclients = [{}]\nhost = \"svc.example.local\"\narrival_rate = 1000\n\n",
        names(&|z| format!("client-{z}"), 6)
    );
    s += "[[variants]]\nname = \"cross-zone off\"\n\n[[variants]]\nname = \"cross-zone on\"\nset.load_balancers.nlb.enable_cross_zone_load_balancing = true\n";
    s
}

#[test]
fn reports_every_one_of_20000_located_errors_once_in_file_order() {
    let text = big_scenario(20_000, "uniform", Some(&|t| format!("nowhere-{t}")));
    let path = scratch("twenty-thousand-errors", &text);
    let output = sim(&["check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    let prefix = format!("error: {}:", path.display());
    let lines: Vec<&str> = text.lines().collect();
    let mut positions = Vec::new();
    for line in err.lines().filter(|l| l.starts_with("error:")) {
        let Some(rest) = line.strip_prefix(&prefix) else {
            assert_eq!(line, "error: 20000 problems in the scenario");
            continue;
        };
        let mut parts = rest.splitn(3, ':');
        let l: usize = parts.next().unwrap().parse().unwrap();
        let c: usize = parts.next().unwrap().parse().unwrap();
        let said = parts.next().unwrap();
        let t = positions.len();
        assert_eq!(
            said,
            format!(
                " instances.web-{t}.subnet_id = \"nowhere-{t}\": no subnet of that name (defined: p0, c0, p1, c1, p2, c2, p3, c3, p4, c4 and 2 more)"
            )
        );
        // The line of the subnet_id: its instance table starts 4 lines apart from the next.
        assert_eq!(lines[l - 1], format!("subnet_id = \"nowhere-{t}\""));
        assert_eq!(c, 13);
        positions.push(l);
    }
    assert_eq!(positions.len(), 20_000, "{}", &err[..err.len().min(2000)]);
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in file order, no duplicates"
    );
}

#[test]
fn reports_each_of_several_mistakes_on_one_line() {
    // Unknown targets side by side on one line: each is its own error, at its own column.
    let text = crosszone_with(
        "targets = [\"web-1\", \"web-2\", \"web-3\"]",
        "targets = [\"web-9\", \"web-8\", \"web-9\"]",
    );
    let err = rejects(
        "one-line",
        &text,
        "target_groups.web.targets[2]",
        "no instance",
    );
    for k in 0..3 {
        assert!(
            err.contains(&format!("target_groups.web.targets[{k}]")),
            "{err}"
        );
    }
    assert!(err.contains("3 problems in the scenario"), "{err}");
}

#[test]
fn validates_10000_targets_over_6_azs_with_either_hash() {
    for hash in ["uniform", "maglev"] {
        let s = scenario::parse("big.toml", "big", &big_scenario(10_000, hash, None))
            .unwrap_or_else(|e| panic!("{}", e[0]));
        for v in &s.variants {
            let t = &v.topology;
            assert_eq!(t.targets.len(), 10_000);
            assert_eq!(t.nodes.len(), 6);
            assert_eq!(t.enis.len(), 6);
            // NET-2: each subnet's instances take its lowest free addresses, in file order
            // (web-0 in p0 gets 10.0.0.4, web-6 10.0.0.5, ...); the node comes after them.
            let mut seen = std::collections::HashSet::new();
            for (i, instance) in t.instances.iter().enumerate().take(10_000) {
                let ip = u32::from(instance.ip);
                assert_eq!(
                    ip,
                    u32::from_be_bytes([10, 0, (i % 6 * 32) as u8, 0]) + 4 + (i / 6) as u32
                );
                assert!(seen.insert(ip));
            }
            assert_eq!(t.nodes[0].ip.to_string(), "10.0.6.135");
        }
    }
}

#[test]
fn rejects_endpoint_subnet_events_that_contradict_the_endpoint() {
    let remove = |subnet: &str| {
        format!(
            "remove_endpoint_subnet = {{ vpc_endpoint = \"provider-endpoint\", subnet_id = \"{subnet}\" }}"
        )
    };
    let add = |subnet: &str| {
        format!(
            "add_endpoint_subnet = {{ vpc_endpoint = \"provider-endpoint\", subnet_id = \"{subnet}\" }}"
        )
    };
    // The seed's endpoint has one ENI, in consumer-1: it cannot lose it.
    let text = crosszone_with_events(&format!(
        "[[events]]\nat = \"1s\"\n{}",
        remove("consumer-1")
    ));
    rejects(
        "event-last-eni",
        &text,
        "events[0].remove_endpoint_subnet",
        "removing consumer-1 at 1s leaves endpoint provider-endpoint with no ENI: an interface endpoint keeps at least one subnet (docs/model.md EV-10)",
    );
    // consumer-2 is not in it, and no event adds it.
    let text = crosszone_with_events(&format!(
        "[[events]]\nat = \"1s\"\n{}",
        remove("consumer-2")
    ));
    rejects(
        "event-no-eni",
        &text,
        "events[0].remove_endpoint_subnet.subnet_id = \"consumer-2\"",
        "endpoint provider-endpoint has no ENI in subnet consumer-2",
    );
    // Added twice: the second finds it there.
    let text = crosszone_with_events(&format!(
        "[[events]]\nat = \"1s\"\n{}\n\n[[events]]\nat = \"2s\"\n{}",
        add("consumer-2"),
        add("consumer-2")
    ));
    rejects(
        "event-added-twice",
        &text,
        "events[1].add_endpoint_subnet",
        "consumer-2 is already in endpoint provider-endpoint at 2s (events[0] added it at 1s)",
    );
    // An added subnet meets the endpoint's rules: one per AZ (consumer-1 is in us-east-1a).
    let text = crosszone_with(
        "[subnets.consumer-3]",
        "[subnets.consumer-1b]\nvpc_id = \"consumer\"\navailability_zone = \"us-east-1a\"\ncidr_block = \"10.11.0.192/27\"\n\n[subnets.consumer-3]",
    ) + &format!("\n[[events]]\nat = \"1s\"\n{}\n", add("consumer-1b"));
    rejects(
        "event-same-az",
        &text,
        "events[0].add_endpoint_subnet.subnet_id = \"consumer-1b\"",
        "an interface endpoint takes at most one subnet per AZ",
    );
    // Removing one of two, then adding it back, is fine.
    let ok = crosszone_with_events(&format!(
        "[[events]]\nat = \"1s\"\n{}\n\n[[events]]\nat = \"2s\"\n{}\n\n[[events]]\nat = \"3s\"\n{}",
        add("consumer-2"),
        remove("consumer-1"),
        add("consumer-1")
    ));
    let path = scratch("event-subnets-ok.toml", &ok);
    let output = sim(&["check", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn rejects_bad_nlb_dns_settings() {
    let lb = "dns_record_client_routing_policy = \"any_availability_zone\"";
    for (name, from, to, key_path, fragment) in [
        (
            "routing-policy",
            lb,
            "dns_record_client_routing_policy = \"nearest\"",
            "load_balancers.app-nlb.dns_record_client_routing_policy = \"nearest\"",
            "must be \"any_availability_zone\", \"partial_availability_zone_affinity\" or \"availability_zone_affinity\" (docs/model.md NLB-13)",
        ),
        (
            "dns-name-region",
            "dns_name = \"app-nlb-4f9c2a1b7d3e5a60.elb.us-east-1.amazonaws.com\"",
            "dns_name = \"app-nlb-4f9c2a1b7d3e5a60.elb.eu-west-1.amazonaws.com\"",
            "load_balancers.app-nlb.dns_name",
            "must be NAME-ID.elb.us-east-1.amazonaws.com",
        ),
    ] {
        // Without the variants, which set the routing policy themselves.
        let base = &NLB_DIRECT[..NLB_DIRECT.find("[[variants]]").unwrap()];
        assert!(base.contains(from), "{name}");
        rejects(name, &base.replacen(from, to, 1), key_path, fragment);
    }
    // An alias names an endpoint or a load balancer, not both.
    let both = CROSSZONE.replacen(
        "alias = { vpc_endpoint = \"provider-endpoint\" }",
        "alias = { vpc_endpoint = \"provider-endpoint\", load_balancer = \"provider-nlb\" }",
        1,
    );
    rejects(
        "alias-both",
        &both,
        "route53_zones.\"example.local\".records[0].alias",
        "an alias names either `vpc_endpoint` or `load_balancer`",
    );
}

#[test]
fn rejects_a_zonal_shift_aws_would_refuse() {
    let shift = |lb: &str, az: &str| {
        format!(
            "{NLB_DIRECT}\n[[events]]\nat = \"10s\"\nstart_zonal_shift = {{ load_balancer = \"{lb}\", away_from = \"{az}\" }}\n"
        )
    };
    rejects(
        "shift-not-enabled",
        &shift("app-nlb", "use1-az2"),
        "events[0].start_zonal_shift.load_balancer = \"app-nlb\"",
        "does not have enable_zonal_shift = true: AWS refuses a zonal shift on it (docs/model.md EV-11)",
    );
    let enabled = |text: String| {
        text.replacen(
            "enable_cross_zone_load_balancing = false\ndns_record",
            "enable_cross_zone_load_balancing = false\nenable_zonal_shift = true\ndns_record",
            1,
        )
    };
    rejects(
        "shift-zone",
        &enabled(shift("app-nlb", "use1-az3")),
        "events[0].start_zonal_shift.away_from = \"use1-az3\"",
        "load balancer app-nlb has no node in AZ ID use1-az3: it enables use1-az1, use1-az2 and use1-az4 (docs/model.md EV-11)",
    );
    let twice = enabled(shift("app-nlb", "use1-az2"))
        + "\n[[events]]\nat = \"20s\"\nstart_zonal_shift = { load_balancer = \"app-nlb\", away_from = \"use1-az2\" }\n";
    rejects(
        "shift-twice",
        &twice,
        "events[1].start_zonal_shift",
        "use1-az2 is already under a zonal shift of app-nlb at 20s (events[0] shifted it at 10s)",
    );
    let end_first = enabled(NLB_DIRECT.to_string())
        + "\n[[events]]\nat = \"20s\"\nend_zonal_shift = { load_balancer = \"app-nlb\", away_from = \"use1-az2\" }\n";
    rejects(
        "shift-end",
        &end_first,
        "events[0].end_zonal_shift",
        "use1-az2 is not under a zonal shift of app-nlb at 20s (no event started a shift before)",
    );
}

/// UDP cannot cross PrivateLink (docs/model.md PL-8): a UDP workload whose name resolves to an
/// endpoint is refused at workload.protocol, with the way out.
#[test]
fn rejects_a_udp_workload_through_an_endpoint() {
    let text = crosszone_with(
        "port = 80\narrival_rate",
        "port = 80\nprotocol = \"udp\"\narrival_rate",
    );
    let err = rejects(
        "udp-through-endpoint",
        &text,
        "workload.protocol = \"udp\"",
        "an endpoint service carries TCP only, so UDP cannot cross PrivateLink (docs/model.md PL-8)",
    );
    assert!(err.contains("reach the NLB directly"), "{err}");
}

#[test]
fn rejects_turning_off_client_ip_preservation_on_a_udp_group() {
    let udp = include_str!("../scenarios/udp.toml");
    let at = udp.find("[target_groups.game]").unwrap();
    let text = format!(
        "{}preserve_client_ip.enabled = false\n{}",
        &udp[..at + "[target_groups.game]\n".len()],
        &udp[at + "[target_groups.game]\n".len()..]
    );
    rejects(
        "udp-preserve-off",
        &text,
        "target_groups.game.preserve_client_ip.enabled = false",
        "client IP preservation is always on for TCP_UDP target groups",
    );
}

#[test]
fn rejects_prices_that_are_not_finite_non_negative_numbers() {
    let with = |table: &str| crosszone_with("[run]", &format!("[prices]\n{table}\n\n[run]"));
    rejects(
        "price-negative",
        &with("nlcu_usd_per_hour = -0.5"),
        "prices.nlcu_usd_per_hour = -0.5",
        "a price must be a finite number of USD, 0 or more",
    );
    rejects(
        "price-infinite",
        &with("inter_az_usd_per_gb_each_direction = inf"),
        "prices.inter_az_usd_per_gb_each_direction = inf",
        "a price must be a finite number of USD, 0 or more",
    );
    rejects(
        "price-string",
        &with("endpoint_usd_per_az_hour = \"cheap\""),
        "prices.endpoint_usd_per_az_hour",
        "a price is a number of USD, not a string",
    );
    rejects(
        "price-tiers",
        &with("endpoint_usd_per_gb = [0.01, 0.006, 0.004, 0.002]"),
        "prices.endpoint_usd_per_gb",
        "one price for every tier, or three: [first PB, next 4 PB, above 5 PB]",
    );
    rejects(
        "price-unknown",
        &with("alb_usd_per_hour = 1"),
        "prices.alb_usd_per_hour",
        "unknown key",
    );
}

// ---- Each refusal names its rule ---------------------------------------------------------------

/// Whether `message` cites `id` in the form validation uses, `(docs/model.md ID[, ID...])`: the
/// id stands as a word inside that group.
fn cites(message: &str, id: &str) -> bool {
    message.match_indices("docs/model.md ").any(|(at, _)| {
        let group = &message[at..];
        let group = &group[..group.find(')').unwrap_or(group.len())];
        sim::rules::catalog::ids_in(group)
            .iter()
            .any(|(_, found)| *found == id)
    })
}

/// A table of mutations of the seed scenarios and the rule of docs/model.md each refusal names,
/// at the key it names, in the one form `(docs/model.md ID)` (what `validation_error = "ID"`
/// expectations match).
#[test]
fn every_refusal_for_a_rule_names_its_id() {
    const CROSSZONE: &str = include_str!("../scenarios/crosszone.toml");
    const UDP: &str = include_str!("../scenarios/udp.toml");
    let event = |body: &str| format!("{CROSSZONE}\n[[events]]\nat = \"10s\"\n{body}\n");
    let edit = |base: &str, from: &str, to: &str| {
        assert!(base.contains(from), "no {from:?}");
        base.replacen(from, to, 1)
    };
    let subnet = |name: &str, vpc: &str, az: &str, cidr: &str| {
        format!(
            "[subnets.{name}]\nvpc_id = \"{vpc}\"\navailability_zone = \"{az}\"\ncidr_block = \"{cidr}\"\n\n[workload]"
        )
    };
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "peering overlapping CIDRs",
            edit(
                CROSSZONE,
                "[workload]",
                "[vpc_peerings.direct]\nvpc_id = \"consumer\"\npeer_vpc_id = \"provider\"\n\n[workload]",
            ),
            "vpc_peerings.direct.peer_vpc_id",
            "PL-9",
        ),
        (
            "UDP through an endpoint",
            edit(
                CROSSZONE,
                "port = 80\narrival_rate",
                "protocol = \"udp\"\nport = 80\narrival_rate",
            ),
            "workload.protocol",
            "PL-8",
        ),
        (
            "a subnet outside its VPC",
            edit(
                CROSSZONE,
                "cidr_block = \"10.11.0.128/26\"",
                "cidr_block = \"10.12.0.128/26\"",
            ),
            "subnets.provider-3.cidr_block",
            "NET-1",
        ),
        (
            "overlapping subnets",
            edit(
                CROSSZONE,
                "cidr_block = \"10.11.0.128/26\"",
                "cidr_block = \"10.11.0.0/25\"",
            ),
            "subnets.provider-3.cidr_block",
            "NET-1",
        ),
        (
            "a reserved address",
            edit(
                CROSSZONE,
                "subnet_id = \"provider-1\"\n",
                "subnet_id = \"provider-1\"\nprivate_ip = \"10.11.0.2\"\n",
            ),
            "instances.web-1.private_ip",
            "NET-1",
        ),
        (
            "an endpoint subnet in an AZ the NLB lacks",
            edit(
                &edit(
                    CROSSZONE,
                    "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
                    "subnets = [\"provider-1\", \"provider-2\"]",
                ),
                "subnet_ids = [\"consumer-1\"]",
                "subnet_ids = [\"consumer-3\"]",
            ),
            "vpc_endpoints.provider-endpoint.subnet_ids[0]",
            "PL-2",
        ),
        (
            "two ENIs in one AZ",
            edit(
                &edit(
                    CROSSZONE,
                    "[workload]",
                    &subnet("consumer-4", "consumer", "us-east-1a", "10.11.0.192/26"),
                ),
                "subnet_ids = [\"consumer-1\"]",
                "subnet_ids = [\"consumer-1\", \"consumer-4\"]",
            ),
            "vpc_endpoints.provider-endpoint.subnet_ids[1]",
            "PL-1",
        ),
        (
            "two NLB subnets in one AZ",
            edit(
                &edit(
                    CROSSZONE,
                    "[workload]",
                    &subnet("provider-4", "provider", "us-east-1a", "10.11.0.192/26"),
                ),
                "subnets = [\"provider-1\", \"provider-2\", \"provider-3\"]",
                "subnets = [\"provider-1\", \"provider-2\", \"provider-3\", \"provider-4\"]",
            ),
            "load_balancers.provider-nlb.subnets[3]",
            "NLB-1",
        ),
        (
            "a TCP listener to a UDP group",
            edit(
                CROSSZONE,
                "protocol = \"TCP\"\nport = 80",
                "protocol = \"UDP\"\nport = 80",
            ),
            "load_balancers.provider-nlb.listeners[0]",
            "NLB-17",
        ),
        (
            "client IP preservation off on UDP",
            edit(
                UDP,
                "[target_groups.game]\n",
                "[target_groups.game]\npreserve_client_ip = { enabled = false }\n",
            ),
            "target_groups.game.preserve_client_ip",
            "NLB-16",
        ),
        (
            "an idle timeout outside 60-6000 s",
            edit(
                CROSSZONE,
                "target_group = \"web\" }]",
                "target_group = \"web\", tcp.idle_timeout.seconds = 30 }]",
            ),
            "load_balancers.provider-nlb.listeners[0].tcp.idle_timeout.seconds",
            "CONN-5",
        ),
        (
            "more open connections than source ports",
            format!("{CROSSZONE}\n[workload.connection]\nduration = \"1h\"\n"),
            "workload.connection",
            "CONN-6",
        ),
        (
            "a deregistration delay above 3600 s",
            edit(
                CROSSZONE,
                "targets = [\"web-1\", \"web-2\", \"web-3\"]\n",
                "targets = [\"web-1\", \"web-2\", \"web-3\"]\nderegistration_delay = { timeout_seconds = 5000 }\n",
            ),
            "target_groups.web.deregistration_delay.timeout_seconds",
            "EV-3",
        ),
        (
            "a health check interval below 5 s",
            edit(CROSSZONE, "interval = \"30s\"", "interval = \"1s\""),
            "target_groups.web.health_check.interval",
            "HC-4",
        ),
        (
            "a security group rule of another protocol",
            edit(
                CROSSZONE,
                "ingress = [{ protocol = \"tcp\", from_port = 80, to_port = 80, cidr_blocks = [\"10.11.0.0/24\"] }]",
                "ingress = [{ protocol = \"icmp\", from_port = 80, to_port = 80, cidr_blocks = [\"10.11.0.0/24\"] }]",
            ),
            "security_groups.web-sg.ingress[0].protocol",
            "SG-1",
        ),
        (
            "a group named default",
            edit(
                CROSSZONE,
                "[workload]",
                "[security_groups.default]\nvpc_id = \"consumer\"\n\n[workload]",
            ),
            "security_groups.default",
            "SG-4",
        ),
        (
            "an alias with a TTL",
            edit(
                CROSSZONE,
                "type = \"A\", alias",
                "type = \"A\", ttl = 60, alias",
            ),
            "route53_zones.\"example.local\".records[0].ttl",
            "DNS-2",
        ),
        (
            "a load balancer DNS name AWS would not give",
            edit(
                CROSSZONE,
                "load_balancer_type = \"network\"\n",
                "load_balancer_type = \"network\"\ndns_name = \"nlb.example.com\"\n",
            ),
            "load_balancers.provider-nlb.dns_name",
            "NLB-11",
        ),
        (
            "an AZ name missing from the account's map",
            edit(
                CROSSZONE,
                "availability_zone = \"us-east-1c\"",
                "availability_zone = \"us-east-1z\"",
            ),
            "subnets.provider-3.availability_zone",
            "AZ-1",
        ),
        (
            "an event naming a zone by its AZ name",
            event("impair_zone = \"us-east-1b\""),
            "events[0].impair_zone",
            "AZ-1",
        ),
        (
            "a listener weight above 999",
            edit(
                CROSSZONE,
                "target_group = \"web\" }]",
                "forward = [{ target_group = \"web\", weight = 1000 }] }]",
            ),
            "load_balancers.provider-nlb.listeners[0].forward[0].weight",
            "NLB-2",
        ),
        (
            "a web server crashed twice",
            format!(
                "{}\n[[events]]\nat = \"20s\"\ncrash = \"web-2\"\n",
                event("crash = \"web-2\"")
            ),
            "events[1].crash",
            "EV-1",
        ),
        (
            "a zonal shift the load balancer does not enable",
            event(
                "start_zonal_shift = { load_balancer = \"provider-nlb\", away_from = \"use1-az2\" }",
            ),
            "events[0].start_zonal_shift.load_balancer",
            "EV-11",
        ),
        (
            "weights for a port without a listener",
            event(
                "listener_weights = { load_balancer = \"provider-nlb\", port = 8080, forward = [{ target_group = \"web\", weight = 1 }] }",
            ),
            "events[0].listener_weights",
            "EV-8",
        ),
        (
            "a revoke of a rule not in its group",
            event("revoke = { security_group = \"web-sg\", ingress = 3 }"),
            "events[0].revoke",
            "EV-7",
        ),
        (
            "private DNS names of endpoint services",
            edit(
                CROSSZONE,
                "private_dns_enabled = false",
                "private_dns_enabled = true",
            ),
            "vpc_endpoints.provider-endpoint.private_dns_enabled",
            "PL-4",
        ),
        (
            "enforcement on PrivateLink traffic neither on nor off",
            edit(
                CROSSZONE,
                "internal = true\n",
                "internal = true\nenforce_security_group_inbound_rules_on_private_link_traffic = \"maybe\"\n",
            ),
            "load_balancers.provider-nlb.enforce_security_group_inbound_rules_on_private_link_traffic",
            "PL-7",
        ),
        (
            "a port no listener serves",
            edit(
                CROSSZONE,
                "port = 80\narrival_rate",
                "port = 8080\narrival_rate",
            ),
            "workload.port",
            "NLB-2",
        ),
        (
            "a revoke naming both lists",
            event("revoke = { security_group = \"web-sg\", ingress = 0, egress = 0 }"),
            "events[0].revoke",
            "EV-7",
        ),
        (
            "a connect timeout of zero",
            edit(
                CROSSZONE,
                "connect_timeout = \"10s\"",
                "connect_timeout = \"0s\"",
            ),
            "workload.connect_timeout",
            "CLI-4",
        ),
        (
            "a name that resolves to an instance",
            edit(
                CROSSZONE,
                "type = \"A\", alias = { vpc_endpoint = \"provider-endpoint\" }",
                "type = \"A\", ttl = 60, records = [\"10.11.0.4\"]",
            ),
            "workload.host",
            "NET-3",
        ),
    ];
    let mut failures = Vec::new();
    for (what, text, key_path, id) in &cases {
        assert!(sim::rules::catalog::rule(id).is_some(), "{id}");
        let errors = match sim::scenario::parse("t.toml", "t", text) {
            Ok(_) => {
                failures.push(format!("{what}: accepted"));
                continue;
            }
            Err(errors) => errors,
        };
        let shown: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.key_path, e.message))
            .collect();
        if !errors
            .iter()
            .any(|e| e.key_path.starts_with(key_path) && cites(&e.message, id))
        {
            failures.push(format!(
                "{what}: no error at {key_path} citing {id}: {shown:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
