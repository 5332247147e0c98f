//! `fosim import terraform`'s reader: the exact `Zone` read from each fixture under
//! `tests/data/import/terraform/` (a state with nested modules, a saved plan with unknown
//! ids), and the message for each bad file there.

use fosim::import::{Alarm, Alias, Format, HealthCheck, Origin, Record, Zone, terraform};
use std::path::{Path, PathBuf};

const DIR: &str = "tests/data/import/terraform";

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

fn origin(file: &str, pointer: &str, address: &str) -> Origin {
    Origin { file: path(file), pointer: pointer.into(), id: Some(address.into()) }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A record with a set identifier and the given values; the rest at their defaults.
fn record(name: &str, set: &str, ttl: Option<u64>, values: &[&str], origin: Origin) -> Record {
    Record {
        name: name.into(),
        kind: "A".into(),
        set_identifier: Some(set.into()),
        ttl,
        values: strings(values),
        origin,
        ..Record::default()
    }
}

fn alias(dns_name: &str, zone: Option<&str>) -> Option<Alias> {
    Some(Alias { dns_name: dns_name.into(), evaluate_target_health: true, hosted_zone_id: zone.map(str::to_owned) })
}

fn some(text: &str) -> Option<String> {
    Some(text.into())
}

/// Asserts field by field first, so that a difference names its record or check.
fn assert_zone(found: &Zone, expected: &Zone) {
    assert_eq!(found.records.len(), expected.records.len(), "number of records");
    for (f, e) in found.records.iter().zip(&expected.records) {
        assert_eq!(f, e, "record {:?}", e.origin.id);
    }
    assert_eq!(found.health_checks.len(), expected.health_checks.len(), "number of health checks");
    for (f, e) in found.health_checks.iter().zip(&expected.health_checks) {
        assert_eq!(f, e, "health check {:?}", e.origin.id);
    }
    assert_eq!(found, expected);
}

const SECONDARY: &str = "3b9e2f41-7c0d-4e8a-b5a6-1f2e3d4c5b6a";
const ZONE_A: &str = "a1c4e7f0-2b5d-4a8c-9e1f-3a6b9c2d5e80";
const ZONE_B: &str = "a1c4e7f0-2b5d-4a8c-9e1f-3a6b9c2d5e81";
const ZONE_C: &str = "a1c4e7f0-2b5d-4a8c-9e1f-3a6b9c2d5e82";
const CALCULATED: &str = "8f2d3c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f";
const QUEUE: &str = "5d6e7f80-91a2-4b3c-8d4e-5f60718293a4";

#[test]
fn a_state_with_nested_modules_reads_every_record_check_and_alarm() {
    const FILE: &str = "state-nested-modules.json";
    let zone = terraform::read(&path(FILE)).unwrap_or_else(|e| panic!("{e}"));
    let root = |i: usize| format!("/values/root_module/resources/{i}");
    let dns = |i: usize| format!("/values/root_module/child_modules/0/resources/{i}");
    let checks = |i: usize| format!("/values/root_module/child_modules/0/child_modules/0/resources/{i}");
    let records = vec![
        Record {
            failover: some("PRIMARY"),
            health_check_id: some(QUEUE),
            ..record(
                "orders.example.com",
                "orders-primary",
                Some(60),
                &["203.0.113.40"],
                origin(FILE, &root(4), "aws_route53_record.orders[\"primary\"]"),
            )
        },
        Record {
            failover: some("SECONDARY"),
            ..record(
                "orders.example.com",
                "orders-secondary",
                Some(60),
                &["198.51.100.40"],
                origin(FILE, &root(5), "aws_route53_record.orders[\"secondary\"]"),
            )
        },
        Record {
            failover: some("PRIMARY"),
            alias: alias("web-use1-123456789.us-east-1.elb.amazonaws.com", Some("Z35SXDOTRQ7X7K")),
            ..record(
                "app.example.com",
                "app-use1",
                None,
                &[],
                origin(FILE, &dns(0), "module.dns.aws_route53_record.app_primary"),
            )
        },
        Record {
            failover: some("SECONDARY"),
            health_check_id: some(SECONDARY),
            ..record(
                "app.example.com",
                "app-usw2",
                Some(60),
                &["198.51.100.20"],
                origin(FILE, &dns(1), "module.dns.aws_route53_record.app_secondary"),
            )
        },
        Record {
            weight: Some(90),
            ..record(
                "api.example.com",
                "api-blue",
                Some(30),
                &["192.0.2.30"],
                origin(FILE, &dns(2), "module.dns.aws_route53_record.api[0]"),
            )
        },
        Record {
            weight: Some(10),
            ..record(
                "api.example.com",
                "api-green",
                Some(30),
                &["192.0.2.31"],
                origin(FILE, &dns(3), "module.dns.aws_route53_record.api[1]"),
            )
        },
        Record {
            region: some("us-east-1"),
            health_check_id: some(CALCULATED),
            ..record(
                "www.example.com",
                "www-use1",
                Some(60),
                &["192.0.2.10"],
                origin(FILE, &dns(4), "module.dns.aws_route53_record.www[\"us-east-1\"]"),
            )
        },
        Record {
            region: some("us-west-2"),
            alias: alias("dualstack.web-usw2-987654321.us-west-2.elb.amazonaws.com", Some("Z1H1FL5HABSF5")),
            ..record(
                "www.example.com",
                "www-usw2",
                None,
                &[],
                origin(FILE, &dns(5), "module.dns.aws_route53_record.www[\"us-west-2\"]"),
            )
        },
        Record {
            unsupported_policy: some("geolocation"),
            ..record(
                "eu.example.com",
                "eu",
                Some(300),
                &["203.0.113.80"],
                origin(FILE, &dns(6), "module.dns.aws_route53_record.eu"),
            )
        },
    ];
    let zone_check = |i: usize, id: &str, ip: &str, disabled: bool| HealthCheck {
        id: id.into(),
        kind: "HTTP_STR_MATCH".into(),
        ip_address: some(ip),
        port: Some(80),
        resource_path: some("/health"),
        search_string: some("OK"),
        request_interval: Some(30),
        failure_threshold: Some(2),
        disabled,
        origin: origin(FILE, &checks(i + 1), &format!("module.dns.module.checks.aws_route53_health_check.zone[{i}]")),
        ..HealthCheck::default()
    };
    let health_checks = vec![
        HealthCheck {
            id: QUEUE.into(),
            kind: "CLOUDWATCH_METRIC".into(),
            insufficient_data: some("LastKnownStatus"),
            alarm: Some(Alarm { name: "orders-queue-backlog".into(), region: some("us-east-1"), ..Alarm::default() }),
            origin: origin(FILE, &root(3), "aws_route53_health_check.orders_backlog"),
            ..HealthCheck::default()
        },
        HealthCheck {
            id: SECONDARY.into(),
            kind: "HTTPS".into(),
            ip_address: some("198.51.100.20"),
            fqdn: some("app.example.com"),
            port: Some(443),
            resource_path: some("/healthz"),
            request_interval: Some(10),
            failure_threshold: Some(3),
            regions: strings(&["us-east-1", "us-west-2", "eu-west-1"]),
            origin: origin(FILE, &checks(0), "module.dns.module.checks.aws_route53_health_check.secondary"),
            ..HealthCheck::default()
        },
        zone_check(0, ZONE_A, "192.0.2.11", false),
        zone_check(1, ZONE_B, "192.0.2.12", false),
        zone_check(2, ZONE_C, "192.0.2.13", true),
        HealthCheck {
            id: CALCULATED.into(),
            kind: "CALCULATED".into(),
            health_threshold: Some(2),
            children: strings(&[ZONE_A, ZONE_B, ZONE_C]),
            origin: origin(FILE, &checks(4), "module.dns.module.checks.aws_route53_health_check.use1"),
            ..HealthCheck::default()
        },
    ];
    let alarms = vec![Alarm {
        name: "orders-queue-backlog".into(),
        region: some("us-east-1"),
        metric_name: some("ApproximateNumberOfMessagesVisible"),
        namespace: some("AWS/SQS"),
        statistic: some("Maximum"),
        comparison: some("GreaterThanOrEqualToThreshold"),
        threshold: Some(5000.0),
        period: Some(60),
        evaluation_periods: Some(3),
        dimensions: vec![("QueueName".into(), "orders".into())],
    }];
    let expected = Zone {
        format: Some(Format::Terraform),
        files: vec![path(FILE)],
        zone: some("example.com"),
        records,
        health_checks,
        alarms,
        warnings: vec![],
    };
    assert_zone(&zone, &expected);
}

#[test]
fn a_plan_names_new_checks_by_address_and_follows_references_to_them() {
    const FILE: &str = "plan-unknown-ids.json";
    const LEGACY: &str = "0b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4";
    let zone = terraform::read(&path(FILE)).unwrap_or_else(|e| panic!("{e}"));
    let root = |i: usize| format!("/planned_values/root_module/resources/{i}");
    let app = |i: usize| format!("/planned_values/root_module/child_modules/0/resources/{i}");
    let records = vec![
        Record {
            weight: Some(100),
            health_check_id: some(LEGACY),
            ..record(
                "legacy.example.com",
                "legacy-a",
                Some(300),
                &["203.0.113.60"],
                origin(FILE, &root(5), "aws_route53_record.legacy"),
            )
        },
        // Its check is behind a local value: not followed, not guessed.
        Record {
            failover: some("PRIMARY"),
            ..record(
                "status.example.com",
                "status-primary",
                Some(60),
                &["192.0.2.50"],
                origin(FILE, &root(6), "aws_route53_record.status"),
            )
        },
        // Through the module's variable to the root module's new check.
        Record {
            failover: some("PRIMARY"),
            health_check_id: some("aws_route53_health_check.primary"),
            ..record(
                "app.example.com",
                "app-use1",
                Some(60),
                &["192.0.2.20"],
                origin(FILE, &app(1), "module.app.aws_route53_record.primary"),
            )
        },
        Record {
            failover: some("SECONDARY"),
            alias: alias("module.app.aws_lb.usw2", None),
            health_check_id: some("aws_route53_health_check.usw2"),
            ..record(
                "app.example.com",
                "app-usw2",
                None,
                &[],
                origin(FILE, &app(2), "module.app.aws_route53_record.secondary"),
            )
        },
    ];
    let zone_check = |i: usize, ip: &str| {
        let address = format!("aws_route53_health_check.zone[{i}]");
        HealthCheck {
            id: address.clone(),
            kind: "HTTP".into(),
            ip_address: some(ip),
            port: Some(80),
            resource_path: some("/health"),
            request_interval: Some(30),
            failure_threshold: Some(2),
            origin: origin(FILE, &root(i + 1), &address),
            ..HealthCheck::default()
        }
    };
    let health_checks = vec![
        HealthCheck {
            id: "aws_route53_health_check.primary".into(),
            kind: "HTTPS".into(),
            fqdn: some("app-use1.example.com"),
            port: Some(443),
            resource_path: some("/healthz"),
            request_interval: Some(10),
            failure_threshold: Some(3),
            regions: strings(&["us-east-1", "us-west-2", "eu-west-1"]),
            origin: origin(FILE, &root(0), "aws_route53_health_check.primary"),
            ..HealthCheck::default()
        },
        zone_check(0, "198.51.100.21"),
        zone_check(1, "198.51.100.22"),
        HealthCheck {
            id: "aws_route53_health_check.usw2".into(),
            kind: "CALCULATED".into(),
            health_threshold: Some(1),
            children: strings(&["aws_route53_health_check.zone[0]", "aws_route53_health_check.zone[1]"]),
            origin: origin(FILE, &root(3), "aws_route53_health_check.usw2"),
            ..HealthCheck::default()
        },
        HealthCheck {
            id: LEGACY.into(),
            kind: "HTTP".into(),
            ip_address: some("203.0.113.60"),
            port: Some(80),
            resource_path: some("/"),
            request_interval: Some(30),
            failure_threshold: Some(3),
            origin: origin(FILE, &root(4), "aws_route53_health_check.legacy"),
            ..HealthCheck::default()
        },
    ];
    let warnings = vec![
        "the plan does not know which health check the record aws_route53_record.status uses until apply (its expression \
         refers to \"local.status_check_id\", which fosim cannot follow); the record is imported without a health check — \
         apply the plan and import the state, or add the check to the scenario"
            .to_owned(),
        "the plan does not know the alias target of the record module.app.aws_route53_record.secondary until apply; it is \
         imported as an alias to \"module.app.aws_lb.usw2\", a name to replace with the target's DNS name"
            .to_owned(),
    ];
    let expected = Zone {
        format: Some(Format::Terraform),
        files: vec![path(FILE)],
        zone: None,
        records,
        health_checks,
        alarms: vec![],
        warnings,
    };
    assert_zone(&zone, &expected);
}

/// The message for a bad file: one paragraph, in plain words, with every fragment.
fn assert_bad(name: &str, fragments: &[&str]) {
    let file = path(&format!("bad/{name}"));
    let message = match terraform::read(&file) {
        Ok(zone) => panic!("{name} was read: {zone:?}"),
        Err(error) => error.to_string(),
    };
    assert!(message.starts_with(&format!("{}: at ", file.display())), "{message}");
    assert!(!message.contains('\n'), "one paragraph: {message}");
    for rust in ["String", "u64", "Vec<", "Option<", "i64", "f64", "serde", "struct", "enum"] {
        assert!(!message.contains(rust), "a Rust word {rust:?} in: {message}");
    }
    for fragment in fragments {
        assert!(message.contains(fragment), "{fragment:?} is not in: {message}");
    }
}

#[test]
fn other_files_are_recognised_and_sent_to_their_command() {
    assert_bad(
        "aws-record-sets.json",
        &[
            "at the top level",
            "looks like the output of `aws route53 list-resource-record-sets`",
            "`fosim import aws --record-sets FILE",
        ],
    );
    assert_bad(
        "cloudformation-template.json",
        &["at the top level", "a CloudFormation template", "`fosim import cloudformation FILE`"],
    );
    assert_bad(
        "raw-tfstate.json",
        &[
            "at the top level",
            "a raw Terraform state file (`terraform.tfstate`",
            "run `terraform show -json > state.json`",
        ],
    );
}

#[test]
fn a_state_without_route53_resources_says_what_it_has() {
    assert_bad(
        "no-route53.json",
        &[
            "at /values/root_module:",
            "expected at least one aws_route53_record or aws_route53_health_check resource in this state (in any module)",
            "it has 2 other resources, of the types aws_lb, aws_vpc",
        ],
    );
}

#[test]
fn a_value_of_the_wrong_type_names_its_pointer_and_resource() {
    assert_bad(
        "records-not-a-list.json",
        &[
            "at /values/root_module/child_modules/0/resources/1/values/records:",
            "expected a list, found the text \"198.51.100.20\"",
            "(in the resource module.dns.aws_route53_record.app_secondary)",
        ],
    );
}

#[test]
fn a_check_managed_elsewhere_is_an_error_with_advice() {
    assert_bad(
        "health-check-elsewhere.json",
        &[
            "at /values/root_module/child_modules/0/resources/1/values/health_check_id:",
            "the record module.dns.aws_route53_record.app_secondary names the health check \"4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d\"",
            "which is not in this file",
            "expected the id of an aws_route53_health_check in the same state or plan (it has 3b9e2f41-7c0d-4e8a-b5a6-1f2e3d4c5b6a)",
            "managed elsewhere",
            "`terraform import aws_route53_health_check.NAME 4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d`",
        ],
    );
}

#[test]
fn truncated_json_is_a_syntax_error_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("show.json");
    let text = std::fs::read_to_string(path("state-nested-modules.json")).unwrap();
    std::fs::write(&file, &text[..text.len() / 2]).unwrap();
    let message = terraform::read(&file).unwrap_err().to_string();
    assert!(message.starts_with(&format!("{}:", file.display())), "{message}");
    assert!(message.contains("the file is not valid JSON"), "{message}");
}
