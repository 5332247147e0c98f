//! `fosim import cloudformation`'s reader: the exact `Zone` read from each fixture template
//! (records, health checks, alarms, origins, warnings), and one clear message per bad file.

use fosim::import::cloudformation::read;
use fosim::import::{Alarm, Alias, Format, HealthCheck, Origin, Record, Zone};
use std::path::{Path, PathBuf};

const DIR: &str = "tests/data/import/cloudformation";

fn fixture(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

fn origin(file: &Path, pointer: &str, id: &str) -> Origin {
    Origin { file: file.to_owned(), pointer: pointer.to_owned(), id: Some(id.to_owned()) }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

/// A record with the fields every fixture record has.
fn record(file: &Path, id: &str, pointer: &str, name: &str, kind: &str) -> Record {
    Record { name: name.into(), kind: kind.into(), origin: origin(file, pointer, id), ..Record::default() }
}

fn check(file: &Path, id: &str, kind: &str) -> HealthCheck {
    HealthCheck {
        id: id.into(),
        kind: kind.into(),
        origin: origin(file, &format!("/Resources/{id}"), id),
        ..HealthCheck::default()
    }
}

/// Writes a template to a temporary file and reads it.
fn read_text(text: &str) -> (tempfile::TempDir, PathBuf, Result<Zone, fosim::input::InputError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.json");
    std::fs::write(&path, text).unwrap();
    let result = read(&path);
    (dir, path, result)
}

#[test]
fn active_passive_template_reads_into_the_exact_zone() {
    let file = fixture("active-passive.json");
    let zone = read(&file).unwrap_or_else(|e| panic!("{e}"));
    let f = file.as_path();

    let web_primary = Record {
        set_identifier: some("use1-primary"),
        failover: some("PRIMARY"),
        alias: Some(Alias {
            dns_name: "webalb-cfn.elb.amazonaws.com".into(),
            evaluate_target_health: true,
            hosted_zone_id: some("webalb-zone"),
        }),
        ..record(f, "WebPrimary", "/Resources/WebPrimary", "shop.example.org", "A")
    };
    let web_secondary = Record {
        set_identifier: some("euw1-secondary"),
        failover: some("SECONDARY"),
        ttl: Some(60),
        values: strings(&["198.51.100.24"]),
        health_check_id: some("StandbyCheck"),
        ..record(f, "WebSecondary", "/Resources/WebSecondary", "shop.example.org", "A")
    };
    let api_use1 = Record {
        set_identifier: some("api-use1"),
        ttl: Some(30),
        values: strings(&["192.0.2.11", "192.0.2.12", "192.0.2.13"]),
        health_check_id: some("ApiUse1Check"),
        region: some("us-east-1"),
        ..record(f, "ApiUse1", "/Resources/ApiUse1", "api.example.org", "A")
    };
    let api_euw1 = Record {
        set_identifier: some("api-euw1"),
        ttl: Some(30),
        values: strings(&["203.0.113.40"]),
        health_check_id: some("ApiEuw1Check"),
        region: some("eu-west-1"),
        ..record(f, "ApiEuw1", "/Resources/ApiEuw1", "api.example.org", "A")
    };
    let assets = |i: usize, colour: &str, weight: u64| Record {
        set_identifier: some(colour),
        ttl: Some(60),
        values: vec![format!("assets-{colour}.cdn.example.net")],
        weight: Some(weight),
        ..record(
            f,
            "AssetsWeighted",
            &format!("/Resources/AssetsWeighted/Properties/RecordSets/{i}"),
            "assets.example.org",
            "CNAME",
        )
    };

    let standby = HealthCheck {
        ip_address: some("198.51.100.24"),
        port: Some(80),
        resource_path: some("/healthz"),
        request_interval: Some(10),
        failure_threshold: Some(3),
        regions: strings(&["us-east-1", "eu-west-1", "ap-southeast-1"]),
        ..check(f, "StandbyCheck", "HTTP")
    };
    let zone_check = |id: &str, address: &str| HealthCheck {
        ip_address: some(address),
        fqdn: some("api.example.org"),
        port: Some(443),
        resource_path: some("/status"),
        search_string: some("\"ok\":true"),
        request_interval: Some(30),
        failure_threshold: Some(2),
        ..check(f, id, "HTTPS_STR_MATCH")
    };
    let calculated = HealthCheck {
        health_threshold: Some(2),
        children: strings(&["ApiZoneA", "ApiZoneB", "ApiZoneC"]),
        ..check(f, "ApiUse1Check", "CALCULATED")
    };
    let alarm = Alarm {
        name: "api-euw1-target-5xx".into(),
        region: None,
        metric_name: some("HTTPCode_Target_5XX_Count"),
        namespace: some("AWS/ApplicationELB"),
        statistic: some("Sum"),
        comparison: some("GreaterThanOrEqualToThreshold"),
        threshold: Some(25.0),
        period: Some(60),
        evaluation_periods: Some(3),
        dimensions: vec![("LoadBalancer".into(), "app/api-euw1/3f9c2a7be41d0c55".into())],
    };
    let cloudwatch = HealthCheck {
        insufficient_data: some("LastKnownStatus"),
        alarm: Some(Alarm { region: some("eu-west-1"), ..alarm.clone() }),
        ..check(f, "ApiEuw1Check", "CLOUDWATCH_METRIC")
    };

    let expected = Zone {
        format: Some(Format::Cloudformation),
        files: vec![file.clone()],
        zone: some("example.org"),
        records: vec![web_primary, web_secondary, api_use1, api_euw1, assets(0, "blue", 200), assets(1, "green", 55)],
        health_checks: vec![
            standby,
            zone_check("ApiZoneA", "192.0.2.11"),
            zone_check("ApiZoneB", "192.0.2.12"),
            zone_check("ApiZoneC", "192.0.2.13"),
            calculated,
            cloudwatch,
        ],
        alarms: vec![alarm],
        warnings: vec![],
    };
    assert_eq!(zone, expected);
}

#[test]
fn unsupported_intrinsics_in_droppable_fields_are_warnings_with_their_pointer() {
    let file = fixture("regional-sub.json");
    let zone = read(&file).unwrap_or_else(|e| panic!("{e}"));
    let f = file.as_path();

    let primary = Record {
        set_identifier: some("PortalPrimary"),
        failover: some("PRIMARY"),
        alias: Some(Alias {
            dns_name: "portalalb-cfn.elb.amazonaws.com".into(),
            evaluate_target_health: true,
            hosted_zone_id: some("portalalb-zone"),
        }),
        health_check_id: some("PortalCheck"),
        ..record(f, "PortalPrimary", "/Resources/PortalPrimary", "portal.corp.example.com", "A")
    };
    let secondary = Record {
        set_identifier: some("dr-site"),
        failover: some("SECONDARY"),
        ttl: Some(60),
        values: strings(&["192.0.2.80"]),
        health_check_id: some("DrCheck"),
        ..record(f, "PortalSecondary", "/Resources/PortalSecondary", "portal.corp.example.com", "A")
    };
    let status = |i: usize, set: &str, target: &str| Record {
        set_identifier: some(set),
        ttl: Some(300),
        values: strings(&[target]),
        unsupported_policy: some("geolocation"),
        ..record(
            f,
            "StatusRecords",
            &format!("/Resources/StatusRecords/Properties/RecordSets/{i}"),
            "status.corp.example.com",
            "CNAME",
        )
    };
    let alarm = Alarm {
        name: "PortalErrors".into(),
        region: None,
        metric_name: some("HTTPCode_ELB_5XX_Count"),
        namespace: some("AWS/ApplicationELB"),
        statistic: some("Sum"),
        comparison: some("GreaterThanThreshold"),
        threshold: Some(50.0),
        period: Some(60),
        evaluation_periods: Some(2),
        dimensions: vec![("LoadBalancer".into(), "app/portalalb/cfn".into())],
    };
    let portal_check = HealthCheck {
        fqdn: None,
        port: None,
        resource_path: some("/ping"),
        request_interval: Some(10),
        failure_threshold: Some(3),
        regions: strings(&["us-east-1", "us-west-2", "eu-west-1"]),
        ..check(f, "PortalCheck", "HTTPS")
    };
    let dr_check = HealthCheck {
        insufficient_data: some("Healthy"),
        alarm: Some(alarm.clone()),
        ..check(f, "DrCheck", "CLOUDWATCH_METRIC")
    };
    let at = |text: &str| format!("{}: at {text}", file.display());
    let warnings: Vec<String> = [
        "/Resources/PortalPrimary/Condition: \"PortalPrimary\" exists only when the condition \"IsPrimaryRegion\" \
         holds; fosim imports it as if it did",
        "/Resources/PortalErrors/Properties/AlarmName: Fn::Sub is an intrinsic function fosim does not evaluate, so \
         the alarm \"PortalErrors\" is read without its AlarmName; it is named \"PortalErrors\" instead, which is \
         also what a Ref to it gives",
        "/Resources/PortalCheck/Properties/HealthCheckConfig/FullyQualifiedDomainName: Fn::Sub is an intrinsic \
         function fosim does not evaluate, so the health check \"PortalCheck\" is read without its \
         FullyQualifiedDomainName",
        "/Resources/PortalCheck/Properties/HealthCheckConfig/Port: Fn::If is an intrinsic function fosim does not \
         evaluate, so the health check \"PortalCheck\" is read without its Port; Route 53's default for its type \
         is used",
        "/Resources/DrCheck/Properties/HealthCheckConfig/AlarmIdentifier/Region: the pseudo parameter AWS::Region \
         is known only when the stack is deployed, so the health check \"DrCheck\" is read without its Region",
        "/Resources/PortalPrimary/Properties/SetIdentifier: Fn::Sub is an intrinsic function fosim does not \
         evaluate, so the record \"PortalPrimary\" is read without its SetIdentifier; it is identified as \
         \"PortalPrimary\" instead",
        "/Resources/PortalSecondary/Properties/ResourceRecords/1: Fn::ImportValue is an intrinsic function fosim \
         does not evaluate, so the record \"PortalSecondary\" is read without its ResourceRecords value; the other \
         values are kept",
        "/Resources/StatusRecords/Properties/RecordSets/0/SetIdentifier: Fn::Sub is an intrinsic function fosim \
         does not evaluate, so record 0 of the group \"StatusRecords\" is read without its SetIdentifier; it is \
         identified as \"StatusRecords-0\" instead",
    ]
    .map(at)
    .to_vec();
    let expected = Zone {
        format: Some(Format::Cloudformation),
        files: vec![file.clone()],
        zone: some("corp.example.com"),
        records: vec![
            primary,
            secondary,
            status(0, "StatusRecords-0", "status-eu.pages.example.net"),
            status(1, "default", "status.pages.example.net"),
        ],
        health_checks: vec![portal_check, dr_check],
        alarms: vec![alarm],
        warnings,
    };
    assert_eq!(zone, expected);
}

#[test]
fn each_fixture_builds_a_scenario_that_runs() {
    for name in ["active-passive.json", "regional-sub.json"] {
        let zone = read(&fixture(name)).unwrap_or_else(|e| panic!("{e}"));
        let imported = fosim::import::scenario::build(&zone, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let report = crate::support::simulate(&imported.scenario, 1);
        assert!(!report.run_results[0].episodes.is_empty(), "{name}: the default outages happen");
    }
}

/// Words that would mean a message leaks the implementation instead of saying what is wrong.
const RUST_WORDS: [&str; 10] =
    ["u64", "f64", "String", "Option", "Value::", "serde", "invalid type", "Node", "struct", "unwrap"];

fn assert_plain(message: &str) {
    for word in RUST_WORDS {
        assert!(!message.contains(word), "the message names \"{word}\": {message}");
    }
}

/// Each bad file, with fragments its message must have (beyond its file name).
const BAD: [(&str, &[&str]); 14] = [
    (
        "aws-record-sets.json",
        &[
            "at the top level",
            "not a CloudFormation template",
            "\"Resources\"",
            "aws route53 list-resource-record-sets",
            "fosim import aws --record-sets",
        ],
    ),
    (
        "terraform-show.json",
        &["at the top level", "not a CloudFormation template", "terraform show -json", "fosim import terraform FILE"],
    ),
    (
        "template.yaml",
        &["at the top level", "YAML", "JSON templates only", "cfn-flip", "--template-stage Processed", "--output json"],
    ),
    ("get-template-yaml.json", &["at /TemplateBody", "get-template", "YAML", "cfn-flip"]),
    (
        "no-route53.json",
        &[
            "at /Resources",
            "no Route 53 records or health checks",
            "AWS::Route53::RecordSet",
            "AWS::EC2::Instance ×2",
            "AWS::S3::Bucket",
            "nested stacks",
        ],
    ),
    (
        "check-ref-missing.json",
        &[
            "at /Resources/WebPrimary/Properties/HealthCheckId",
            "\"PrimaryHealthCheck\"",
            "neither a parameter nor a resource",
            "did you mean \"PrimaryCheck\"",
        ],
    ),
    (
        "check-ref-not-check.json",
        &[
            "at /Resources/WebPrimary/Properties/HealthCheckId",
            "expected a reference to an AWS::Route53::HealthCheck",
            "\"WebServer\", which is an AWS::EC2::Instance",
        ],
    ),
    (
        "literal-check-id.json",
        &[
            "at /Resources/WebPrimary/Properties/HealthCheckId",
            "\"0d2f6c3e-5a1b-4c7d-9e8f-1a2b3c4d5e6f\"",
            "not a health check of this template",
            "fosim import aws",
        ],
    ),
    (
        "wrong-type.json",
        &[
            "at /Resources/PrimaryCheck/Properties/HealthCheckConfig/FailureThreshold",
            "expected a whole number",
            "found the text \"three\"",
        ],
    ),
    (
        "parameter-wrong-type.json",
        &[
            "at /Parameters/Interval/Default",
            "expected a whole number",
            "\"fast\"",
            "the Default of the parameter \"Interval\", used at /Resources/PrimaryCheck/Properties/HealthCheckConfig/RequestInterval",
        ],
    ),
    (
        "parameter-no-default.json",
        &[
            "at /Resources/WebPrimary/Properties/ResourceRecords/0",
            "parameter \"PrimaryAddress\"",
            "has no Default",
            "/Parameters/PrimaryAddress",
        ],
    ),
    (
        "name-join.json",
        &[
            "at /Resources/WebPrimary/Properties/Name",
            "Fn::Join",
            "does not evaluate",
            "needs the Name of the record \"WebPrimary\"",
            "cannot leave it out",
        ],
    ),
    (
        "unknown-record-type.json",
        &["at /Resources/WebV6/Properties/Type", "expected one of A, AAAA", "found \"AAA\"", "did you mean \"AAAA\""],
    ),
    ("truncated.json", &["not valid JSON"]),
];

#[test]
fn each_bad_file_gets_one_plain_message_with_file_pointer_and_what_was_expected() {
    let dir = Path::new(DIR).join("bad");
    let mut listed: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    listed.sort();
    let mut tested: Vec<String> = BAD.iter().map(|(name, _)| name.to_string()).collect();
    tested.sort();
    assert_eq!(listed, tested, "every bad file has its expected message here");
    for (name, fragments) in BAD {
        let message = read(&dir.join(name)).expect_err(name).to_string();
        assert!(message.starts_with(&format!("{}", dir.join(name).display())), "{name}: {message}");
        for fragment in fragments {
            assert!(message.contains(fragment), "{name}: expected \"{fragment}\" in: {message}");
        }
        assert_plain(&message);
    }
}

#[test]
fn the_template_inside_get_template_output_is_read_with_its_pointers() {
    let (_dir, path, zone) = read_text(
        r#"{"TemplateBody": {"Resources": {
            "Check": {"Type": "AWS::Route53::HealthCheck", "Properties": {"HealthCheckConfig":
                {"Type": "TCP", "IPAddress": "192.0.2.1", "Port": 443, "RequestInterval": 30, "FailureThreshold": 3}}},
            "Www": {"Type": "AWS::Route53::RecordSet", "Properties": {"Name": "WWW.Example.com.", "Type": "A",
                "TTL": {"Ref": "AWS::NoValue"}, "ResourceRecords": ["192.0.2.1"],
                "HealthCheckId": {"Fn::GetAtt": "Check.HealthCheckId"}}}}},
          "StagesAvailable": ["Original", "Processed"]}"#,
    );
    let zone = zone.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(zone.records.len(), 1);
    let record = &zone.records[0];
    assert_eq!(record.name, "www.example.com");
    assert_eq!(record.ttl, None, "Ref AWS::NoValue leaves the field out");
    assert_eq!(record.health_check_id.as_deref(), Some("Check"));
    assert_eq!(record.origin, origin(&path, "/TemplateBody/Resources/Www", "Www"));
    assert_eq!(zone.health_checks[0].origin.pointer, "/TemplateBody/Resources/Check");
    assert_eq!(zone.zone, None, "no record names its zone");
    assert!(zone.warnings.is_empty(), "{:?}", zone.warnings);
}

#[test]
fn records_in_several_zones_keep_no_zone_name_and_say_so() {
    let (_dir, path, zone) = read_text(
        r#"{"Resources": {
            "A": {"Type": "AWS::Route53::RecordSet", "Properties": {"HostedZoneName": "example.com.",
                "Name": "a.example.com", "Type": "A", "TTL": "60", "ResourceRecords": ["192.0.2.1"]}},
            "B": {"Type": "AWS::Route53::RecordSet", "Properties": {"HostedZoneName": "example.net.",
                "Name": "b.example.net", "Type": "A", "TTL": "60", "ResourceRecords": ["192.0.2.2"]}}}}"#,
    );
    let zone = zone.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(zone.zone, None);
    assert_eq!(
        zone.warnings,
        vec![format!(
            "{}: at /Resources: the records are in several hosted zones (\"example.com\", \"example.net\"); no \
             zone name is kept",
            path.display()
        )]
    );
}

/// Small templates that must fail, with fragments of their message.
#[test]
fn references_fosim_cannot_follow_are_errors_that_say_why() {
    let record = |extra: &str| {
        format!(
            r#"{{"Resources": {{
                "Alb": {{"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {{}}}},
                "Web": {{"Type": "AWS::EC2::Instance", "Properties": {{}}}},
                "Check": {{"Type": "AWS::Route53::HealthCheck", "Properties": {{"HealthCheckConfig":
                    {{"Type": "TCP", "IPAddress": "192.0.2.1", "Port": 443, "RequestInterval": 30, "FailureThreshold": 3}}}}}},
                "Www": {{"Type": "AWS::Route53::RecordSet", "Properties": {{"Name": "www.example.com.", "Type": "A", {extra}}}}}}}}}"#
        )
    };
    let cases: [(String, &[&str]); 8] = [
        (
            record(r#""AliasTarget": {"DNSName": {"Ref": "Alb"}, "HostedZoneId": "Z1", "EvaluateTargetHealth": true}"#),
            &[
                "/Resources/Www/Properties/AliasTarget/DNSName",
                "gives its ARN",
                "\"Fn::GetAtt\": [\"Alb\", \"DNSName\"]",
            ],
        ),
        (
            record(r#""AliasTarget": {"DNSName": {"Fn::GetAtt": ["Alb"]}, "EvaluateTargetHealth": true}"#),
            &[
                "/Resources/Www/Properties/AliasTarget/DNSName/Fn::GetAtt",
                "expected a logical id and an attribute name",
            ],
        ),
        (
            record(
                r#""AliasTarget": {"DNSName": {"Fn::GetAtt": ["Web", "PublicDnsName"]}, "EvaluateTargetHealth": true}"#,
            ),
            &[
                "/Resources/Www/Properties/AliasTarget/DNSName",
                "PublicDnsName",
                "AWS::EC2::Instance",
                "cannot leave it out",
            ],
        ),
        (
            record(
                r#""TTL": "60", "ResourceRecords": ["192.0.2.1"], "AliasTarget": {"DNSName": {"Fn::GetAtt": "Alb.DNSName"}}"#,
            ),
            &["/Resources/Www/Properties/ResourceRecords", "both AliasTarget and ResourceRecords"],
        ),
        (
            record(r#""TTL": "60", "ResourceRecords": [{"Fn::GetAtt": ["Web", "PublicIp"]}]"#),
            &["/Resources/Www/Properties/ResourceRecords/0", "PublicIp", "cannot leave it out"],
        ),
        (
            record(r#""TTL": {"Fn::If": ["Long", "300", "60"]}, "ResourceRecords": ["192.0.2.1"]"#),
            &["/Resources/Www/Properties/TTL", "Fn::If", "needs the TTL of the record \"Www\""],
        ),
        (
            record(r#""TTL": "60", "ResourceRecords": ["192.0.2.1"], "Failover": "primary""#),
            &["/Resources/Www/Properties/Failover", "expected one of PRIMARY, SECONDARY", "found \"primary\""],
        ),
        (
            record(
                r#""TTL": "60", "ResourceRecords": ["192.0.2.1"], "HealthCheckId": {"Fn::ImportValue": "shared-check"}"#,
            ),
            &["/Resources/Www/Properties/HealthCheckId", "Fn::ImportValue", "cannot leave it out"],
        ),
    ];
    for (text, fragments) in cases {
        let (_dir, _path, zone) = read_text(&text);
        let message = zone.expect_err(&text).to_string();
        for fragment in fragments {
            assert!(message.contains(fragment), "expected \"{fragment}\" in: {message}");
        }
        assert_plain(&message);
    }
    // A calculated check's child must be a health check too.
    let (_dir, _path, zone) = read_text(
        r#"{"Resources": {
            "Web": {"Type": "AWS::EC2::Instance", "Properties": {}},
            "Sum": {"Type": "AWS::Route53::HealthCheck", "Properties": {"HealthCheckConfig":
                {"Type": "CALCULATED", "HealthThreshold": 1, "ChildHealthChecks": [{"Ref": "Web"}]}}}}}"#,
    );
    let message = zone.unwrap_err().to_string();
    assert!(message.contains("/Resources/Sum/Properties/HealthCheckConfig/ChildHealthChecks/0"), "{message}");
    assert!(message.contains("\"Web\", which is an AWS::EC2::Instance"), "{message}");
    // Not an object at all.
    let (_dir, _path, zone) = read_text("[1, 2]");
    let message = zone.unwrap_err().to_string();
    assert!(
        message.contains("expected a CloudFormation template") && message.contains("a list of 2 items"),
        "{message}"
    );
}
