//! State against live AWS: the AWS inventory against moto's emulator, with
//! a state written to match the scenario the emulator was seeded with
//! (one bucket deleted, one unmanaged, attributes changed), and Signature
//! V4 against botocore's signer.

use std::collections::BTreeSet;

use infrarag::drift::aws::{AwsInventory, AwsOptions, Credentials};
use infrarag::drift::ignore::DriftIgnore;
use infrarag::drift::inventory::Inventory;
use infrarag::drift::live::{compare_live, LiveOptions};
use infrarag::drift::sarif::to_sarif;
use infrarag::terraform::state::State;
use infrarag_tests::aws_server::AwsServer;
use serde_json::{json, Value};

fn credentials() -> Credentials {
    Credentials {
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        session_token: None,
    }
}

fn inventory(server: &AwsServer) -> AwsInventory {
    AwsInventory::new(AwsOptions {
        regions: vec!["us-east-1".into()],
        endpoint: Some(server.endpoint.clone()),
        credentials: Some(credentials()),
        ..AwsOptions::default()
    })
    .unwrap()
}

fn resource(kind: &str, name: &str, attributes: Value, sensitive: Value) -> Value {
    json!({
        "mode": "managed", "type": kind, "name": name,
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{ "schema_version": 0, "attributes": attributes, "sensitive_attributes": sensitive }],
    })
}

/// A state file for the seeded scenario: what Terraform would hold had it
/// made the resources, with the differences the test expects written in.
fn scenario_text(seed: &Value) -> String {
    let s = |k: &str| seed[k].as_str().unwrap().to_string();
    let none = json!([]);
    let mut read = seed["read_policy"].clone();
    read["Statement"][0]["Action"] = json!("s3:ListBucket");
    let rule = |port: u16| {
        json!({
            "cidr_blocks": ["0.0.0.0/0"], "description": "", "from_port": port, "to_port": port,
            "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp",
            "security_groups": [], "self": false,
        })
    };
    let resources = vec![
        resource(
            "aws_s3_bucket",
            "logs",
            json!({
                "id": "managed-logs", "bucket": "managed-logs", "arn": "arn:aws:s3:::managed-logs",
                "tags": { "Env": "dev" },
            }),
            none.clone(),
        ),
        resource(
            "aws_s3_bucket",
            "old",
            json!({ "id": "deleted-bucket", "bucket": "deleted-bucket" }),
            none.clone(),
        ),
        resource(
            "aws_s3_bucket_versioning",
            "logs",
            json!({
                "id": "managed-logs", "bucket": "managed-logs",
                "versioning_configuration": [{ "status": "Enabled", "mfa_delete": "" }],
            }),
            none.clone(),
        ),
        resource(
            "aws_s3_bucket_public_access_block",
            "logs",
            json!({
                "id": "managed-logs", "bucket": "managed-logs", "block_public_acls": true,
                "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true,
            }),
            none.clone(),
        ),
        resource(
            "aws_vpc",
            "main",
            json!({
                "id": s("vpc"), "cidr_block": "10.0.0.0/16", "instance_tenancy": "default",
                "tags": { "Name": "main" },
            }),
            none.clone(),
        ),
        resource(
            "aws_subnet",
            "a",
            json!({
                "id": s("subnet"), "vpc_id": s("vpc"), "cidr_block": "10.0.1.0/24",
                "availability_zone": "us-east-1a", "map_public_ip_on_launch": false, "tags": null,
            }),
            none.clone(),
        ),
        resource(
            "aws_security_group",
            "web",
            json!({
                "id": s("security_group"), "name": "web", "description": "web servers", "vpc_id": s("vpc"),
                "ingress": [rule(443), rule(80)],
                "tags": {},
            }),
            none.clone(),
        ),
        resource(
            "aws_instance",
            "web",
            json!({
                "id": s("instance"), "ami": s("image"), "instance_type": "t3.micro",
                "subnet_id": s("subnet"), "vpc_security_group_ids": [s("security_group")], "tags": {},
            }),
            none.clone(),
        ),
        resource(
            "aws_iam_role",
            "app",
            json!({
                "id": "app", "name": "app", "path": "/",
                // Terraform's jsonencode: no spaces, its own key order.
                "assume_role_policy": serde_json::to_string(&seed["assume_role_policy"]).unwrap(),
            }),
            none.clone(),
        ),
        resource(
            "aws_iam_policy",
            "read",
            json!({
                "id": s("policy"), "arn": s("policy"), "name": "read", "path": "/",
                "policy": serde_json::to_string(&read).unwrap(),
            }),
            none.clone(),
        ),
        resource(
            "aws_db_instance",
            "db",
            json!({
                "id": s("db_resource_id"), "identifier": "db1", "engine": "postgres",
                "instance_class": "db.t3.micro", "allocated_storage": 20, "username": "admin",
                "password": "secret-password",
            }),
            json!([[{ "type": "get_attr", "value": "password" }]]),
        ),
        resource(
            "aws_lambda_function",
            "f",
            json!({ "id": "f", "function_name": "f" }),
            none,
        ),
    ];
    json!({
        "version": 4, "terraform_version": "1.11.0", "serial": 3, "lineage": "drift-live",
        "outputs": {}, "resources": resources,
    })
    .to_string()
}

fn scenario_state(seed: &Value) -> State {
    State::parse(&scenario_text(seed), None).unwrap()
}

#[test]
fn the_report_names_what_changed_was_deleted_and_nobody_manages() {
    let server = AwsServer::start(true, 0);
    let seed = &server.seed;
    let inventory = inventory(&server);
    let state = scenario_state(seed);
    let drift = compare_live(&state, &inventory, &LiveOptions::default()).unwrap();

    let addresses = |refs: &[infrarag::drift::live::ResourceRef]| -> BTreeSet<String> {
        refs.iter().filter_map(|r| r.address.clone()).collect()
    };
    let managed: BTreeSet<String> = [
        "aws_s3_bucket.logs",
        "aws_s3_bucket_versioning.logs",
        "aws_s3_bucket_public_access_block.logs",
        "aws_vpc.main",
        "aws_subnet.a",
        "aws_security_group.web",
        "aws_instance.web",
        "aws_iam_role.app",
        "aws_iam_policy.read",
        "aws_db_instance.db",
    ]
    .map(String::from)
    .into();
    assert_eq!(addresses(&drift.managed), managed);
    assert_eq!(
        addresses(&drift.missing),
        BTreeSet::from(["aws_s3_bucket.old".to_string()])
    );
    let unmanaged: Vec<(String, String)> = drift
        .unmanaged
        .iter()
        .map(|r| (r.resource_type.clone(), r.id.clone()))
        .collect();
    assert_eq!(
        unmanaged,
        [
            ("aws_iam_user", "alice"),
            ("aws_s3_bucket", "unmanaged-bucket")
        ]
        .map(|(t, i)| (t.to_string(), i.to_string()))
    );
    assert_eq!(drift.unsupported, ["aws_lambda_function.f"]);

    let changed: Vec<(&str, &str)> = drift
        .changed
        .iter()
        .map(|c| (c.address.as_str(), c.path.as_str()))
        .collect();
    let mut expected = vec![
        ("aws_iam_policy.read", "policy"),
        ("aws_instance.web", "instance_type"),
        ("aws_s3_bucket.logs", "tags.Env"),
        (
            "aws_s3_bucket_public_access_block.logs",
            "restrict_public_buckets",
        ),
        ("aws_security_group.web", "ingress"),
    ];
    let mut got = changed.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{:#?}", drift.changed);
    let tags = drift.changed.iter().find(|c| c.path == "tags.Env").unwrap();
    assert_eq!((&tags.state, &tags.live), (&json!("dev"), &json!("prod")));
    let size = drift
        .changed
        .iter()
        .find(|c| c.path == "instance_type")
        .unwrap();
    assert_eq!(
        (&size.state, &size.live),
        (&json!("t3.micro"), &json!("t2.micro"))
    );
    let ingress = drift.changed.iter().find(|c| c.path == "ingress").unwrap();
    assert_eq!(ingress.live.as_array().unwrap().len(), 1);
    assert_eq!(ingress.live[0]["from_port"], 443);
    assert!(
        (drift.coverage - 10.0 / 12.0).abs() < 1e-9,
        "{}",
        drift.coverage
    );
    // The password is sensitive: never compared, never reported.
    let text = serde_json::to_string(&drift).unwrap() + &drift.to_text();
    assert!(!text.contains("secret-password"));
    assert!(inventory.requests() > 10);

    // The cloud's own resources (moto's default VPC, its subnets and
    // security group) appear when asked for.
    let strict = compare_live(
        &state,
        &inventory,
        &LiveOptions {
            strict: true,
            ..LiveOptions::default()
        },
    )
    .unwrap();
    let types: BTreeSet<&str> = strict
        .unmanaged
        .iter()
        .map(|r| r.resource_type.as_str())
        .collect();
    for t in [
        "aws_default_vpc",
        "aws_default_subnet",
        "aws_default_security_group",
    ] {
        assert!(types.contains(t), "{t} not in {types:?}");
    }

    // .driftignore: a resource, a type, and one attribute path.
    let ignore = DriftIgnore::parse(
        "aws_iam_user.*\naws_s3_bucket.deleted-bucket\naws_instance.*.instance_type\n",
    );
    let filtered = compare_live(
        &state,
        &inventory,
        &LiveOptions {
            ignore,
            ..LiveOptions::default()
        },
    )
    .unwrap();
    assert!(filtered.missing.is_empty());
    assert_eq!(filtered.unmanaged.len(), 1);
    assert_eq!(filtered.ignored, 2);
    assert!(filtered.changed.iter().all(|c| c.path != "instance_type"));
    assert_eq!(filtered.changed.len(), 4);

    let sarif = to_sarif("terraform.tfstate", None, Some(&drift), None);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1 + 2 + 5);
    let rules: BTreeSet<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from(["drift/missing", "drift/unmanaged", "drift/changed"])
    );
    assert_eq!(sarif["version"], "2.1.0");

    // The command line: the same report, SARIF, exit status 1.
    let dir = infrarag_tests::scratch("drift_live", "cli");
    let state_file = dir.join("terraform.tfstate");
    std::fs::write(&state_file, scenario_text(seed)).unwrap();
    // Only this test of the binary takes its credentials from the environment.
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    let run = |format: &str| {
        let args: Vec<String> = [
            "drift",
            "--state",
            state_file.to_str().unwrap(),
            "--aws-endpoint",
            &server.endpoint,
            "--aws-region",
            "us-east-1",
            "--format",
            format,
        ]
        .map(String::from)
        .to_vec();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = infrarag::cli::run(&args, &mut std::io::empty(), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };
    let (code, out, err) = run("sarif");
    assert_eq!(code, 1, "{err}");
    let cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        cli["runs"][0]["results"].as_array().unwrap().len(),
        results.len()
    );
    let (code, out, _) = run("json");
    assert_eq!(code, 1);
    let cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(cli["live"]["unmanaged"].as_array().unwrap().len(), 2);
    assert!(!out.contains("secret-password"));
}

#[test]
fn each_listed_type_answers_and_an_unreachable_endpoint_is_a_provider_error() {
    let server = AwsServer::start(false, 7);
    let inventory = inventory(&server);
    for t in inventory.resource_types() {
        let listed = inventory.list(&t).unwrap_or_else(|e| panic!("{t}: {e}"));
        assert!(
            listed
                .iter()
                .all(|r| r.resource_type == t && !r.id.is_empty()),
            "{t}"
        );
    }
    // Small pages (EC2's least, 5): the same instances over two requests.
    let with_pages = |page_size| {
        AwsInventory::new(AwsOptions {
            regions: vec!["us-east-1".into()],
            endpoint: Some(server.endpoint.clone()),
            credentials: Some(credentials()),
            page_size,
            ..AwsOptions::default()
        })
        .unwrap()
    };
    let (whole, paged) = (with_pages(None), with_pages(Some(1)));
    let ids = |inv: &AwsInventory| {
        let listed = inv.list("aws_instance").unwrap();
        listed.into_iter().map(|r| r.id).collect::<BTreeSet<_>>()
    };
    let all = ids(&whole);
    assert_eq!(all.len(), 8, "the scenario's instance and seven more");
    assert_eq!(ids(&paged), all);
    assert_eq!((whole.requests(), paged.requests()), (1, 2));
    let unknown = inventory.list("aws_lambda_function").unwrap_err();
    assert_eq!(unknown.code(), "INVALID_ARGUMENT");
    let unreachable = AwsInventory::new(AwsOptions {
        endpoint: Some("http://127.0.0.1:1".into()),
        credentials: Some(credentials()),
        http: infrarag::http::HttpOptions {
            max_retries: Some(0),
            ..Default::default()
        },
        ..AwsOptions::default()
    })
    .unwrap();
    let e = unreachable.list("aws_vpc").unwrap_err();
    assert_eq!(e.code(), "PROVIDER_ERROR", "{e}");
    assert!(e.to_string().contains("ec2:DescribeVpcs"), "{e}");
}

#[test]
fn signatures_are_botocores() {
    use chrono::TimeZone;
    let cases = json!([
        { "service": "ec2", "region": "eu-west-2", "method": "POST", "url": "https://ec2.eu-west-2.amazonaws.com/",
          "headers": [["content-type", "application/x-www-form-urlencoded; charset=utf-8"]],
          "body": "Action=DescribeInstances&Version=2016-11-15&MaxResults=1000" },
        { "service": "s3", "region": "us-east-1", "method": "GET", "url": "http://127.0.0.1:5000/my.bucket-1?versioning=",
          "headers": [], "body": "" },
        { "service": "s3", "region": "us-east-1", "method": "GET",
          "url": "https://s3.us-east-1.amazonaws.com/?continuation-token=a%2Fb%3D&max-buckets=1000",
          "headers": [], "body": "", "session_token": "FwoGZXIvYXdzE//token==" },
        { "service": "iam", "region": "us-east-1", "method": "POST", "url": "https://iam.amazonaws.com/",
          "headers": [["content-type", "application/x-www-form-urlencoded; charset=utf-8"]],
          "body": "Action=ListPolicies&Marker=abc%2B%2F%3D&Scope=Local&Version=2010-05-08" },
        { "service": "rds", "region": "ap-southeast-2", "method": "GET",
          "url": "https://rds.ap-southeast-2.amazonaws.com/a/./b/../c%20d?Z=1&A=%C3%A9&A=2",
          "headers": [["x-custom", "  two   spaces "]], "body": "" },
    ]);
    let time = chrono::Utc
        .with_ymd_and_hms(2026, 3, 14, 15, 9, 26)
        .unwrap();
    let mut cases = cases.as_array().unwrap().clone();
    for c in &mut cases {
        c["access_key_id"] = json!("AKIDEXAMPLE");
        c["secret_access_key"] = json!("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        c["time"] = json!("20260314T150926Z");
    }
    let oracle = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("oracles/sigv4.py");
    let mut child = std::process::Command::new(infrarag_tests::ssh_server::python())
        .arg(&oracle)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the venv's Python; `make test` installs botocore with moto");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::Array(cases.clone()).to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "botocore's signer failed");
    let expected: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    for (case, want) in cases.iter().zip(&expected) {
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: case["session_token"].as_str().map(String::from),
        };
        let headers: Vec<(String, String)> = case["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
            .collect();
        let url = infrarag::drift::aws::sigv4::Url::parse(case["url"].as_str().unwrap()).unwrap();
        let body = case["body"].as_str().unwrap().as_bytes();
        let request = infrarag::drift::aws::sigv4::Request {
            method: case["method"].as_str().unwrap(),
            url: &url,
            headers: &headers,
            body,
        };
        let added = infrarag::drift::aws::sigv4::sign(
            &credentials,
            case["region"].as_str().unwrap(),
            case["service"].as_str().unwrap(),
            time,
            &request,
        );
        let got: serde_json::Map<String, Value> = added
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        assert_eq!(&Value::Object(got), want, "{}", case["url"]);
    }
}
