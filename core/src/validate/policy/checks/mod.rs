//! The built-in checks, each as checkov 3.3.13 decides it (see
//! `../shared/corpus/checkov/CHECKS.md`): one file per provider, and here
//! the predicates they share, modelled on checkov's base check classes.

use serde_json::Value;

use super::{Check, Outcome, Read, Resource};

use Outcome::{Failed, Passed, Unknown};

mod attributes;
mod aws;
mod azure;
mod gcp;

/// Every built-in check: AWS, Azure, then GCP, each provider's in the order
/// they were ported, then the one-attribute rows (a resource only meets its
/// own provider's checks, so the order of a resource's verdicts is that
/// order).
pub(super) fn all() -> impl Iterator<Item = &'static Check> {
    aws::CHECKS
        .iter()
        .chain(azure::CHECKS)
        .chain(gcp::CHECKS)
        .chain(attributes::CHECKS)
}

/// The resource types checkov lists for a code check that reads others
/// through [`Resource::connected`], where they differ from the types it
/// judges: the catalogue gives checkov's list.
pub(super) fn listed_types(id: &str) -> Option<&'static [&'static str]> {
    Some(match id {
        "CKV2_AWS_4" => &["aws_api_gateway_method_settings", "aws_api_gateway_stage"],
        "CKV2_AWS_7" => &["aws_emr_cluster", "aws_security_group"],
        "CKV2_AWS_15" => &["aws_autoscaling_group", "aws_elb", "aws_lb_target_group"],
        "CKV2_AWS_27" => &["aws_rds_cluster", "aws_rds_cluster_parameter_group"],
        "CKV2_AWS_30" | "CKV2_AWS_69" => &["aws_db_instance", "aws_db_parameter_group"],
        "CKV2_AWS_47" => &["aws_cloudfront_distribution", "aws_wafv2_web_acl"],
        "CKV2_AWS_36" => &["aws_ssm_parameter", "data.http"],
        "CKV2_AWS_68" => &["aws_iam_role", "aws_sagemaker_notebook_instance"],
        "CKV2_AWS_75" => &["aws_lambda_function", "aws_lambda_function_url"],
        "CKV2_AWS_76" => &["aws_lb", "aws_alb", "aws_wafv2_web_acl"],
        "CKV2_AWS_77" => &[
            "aws_api_gateway_stage",
            "aws_apigatewayv2_api",
            "aws_wafv2_web_acl",
        ],
        "CKV2_AWS_78" => &["aws_appsync_graphql_api", "aws_wafv2_web_acl"],
        "CKV2_AZURE_10" => &[
            "azurerm_virtual_machine",
            "azurerm_virtual_machine_extension",
        ],
        "CKV2_AZURE_13" => &[
            "azurerm_mssql_server_security_alert_policy",
            "azurerm_sql_server",
        ],
        "CKV2_AZURE_17" => &["azurerm_postgresql_server", "azurerm_postgresql_server_key"],
        "CKV2_AZURE_2" => &[
            "azurerm_mssql_server",
            "azurerm_mssql_server_security_alert_policy",
            "azurerm_sql_server",
        ],
        "CKV2_AZURE_3" | "CKV2_AZURE_4" | "CKV2_AZURE_5" => &[
            "azurerm_mssql_server",
            "azurerm_mssql_server_security_alert_policy",
            "azurerm_mssql_server_vulnerability_assessment",
            "azurerm_sql_server",
        ],
        "CKV2_AZURE_20" => &[
            "azurerm_log_analytics_storage_insights",
            "azurerm_storage_account",
            "azurerm_storage_table",
        ],
        "CKV2_AZURE_21" => &[
            "azurerm_log_analytics_storage_insights",
            "azurerm_storage_account",
            "azurerm_storage_container",
        ],
        "CKV2_AZURE_8" => &[
            "azurerm_monitor_activity_log_alert",
            "azurerm_storage_account",
            "azurerm_storage_container",
        ],
        "CKV2_AZURE_39" => &[
            "azurerm_linux_virtual_machine",
            "azurerm_network_interface",
            "azurerm_virtual_machine",
            "azurerm_windows_virtual_machine",
        ],
        "CKV2_AZURE_50" => &[
            "azurerm_machine_learning_workspace",
            "azurerm_storage_account",
        ],
        "CKV2_AZURE_46" => &[
            "azurerm_synapse_workspace_security_alert_policy",
            "azurerm_synapse_workspace_vulnerability_assessment",
        ],
        "CKV2_AZURE_51" => &[
            "azurerm_synapse_sql_pool",
            "azurerm_synapse_sql_pool_security_alert_policy",
        ],
        "CKV2_AZURE_52" => &[
            "azurerm_synapse_sql_pool",
            "azurerm_synapse_sql_pool_security_alert_policy",
            "azurerm_synapse_sql_pool_vulnerability_assessment",
        ],
        "CKV2_AZURE_54" => &[
            "azurerm_synapse_sql_pool",
            "azurerm_synapse_sql_pool_extended_auditing_policy",
        ],
        "CKV2_AZURE_55" => &["azurerm_spring_cloud_app", "azurerm_spring_cloud_service"],
        "CKV2_GCP_2" => &["google_compute_network"],
        "CKV2_GCP_4" => &[
            "google_logging_folder_sink",
            "google_logging_organization_sink",
            "google_logging_project_sink",
            "google_storage_bucket",
        ],
        "CKV2_GCP_5" => &["google_project", "google_project_iam_audit_config"],
        "CKV2_GCP_7" => &["google_sql_database_instance", "google_sql_user"],
        "CKV2_GCP_6" => &[
            "google_kms_crypto_key",
            "google_kms_crypto_key_iam_binding",
            "google_kms_crypto_key_iam_member",
        ],
        "CKV2_GCP_9" => &[
            "google_container_registry",
            "google_storage_bucket_iam_binding",
            "google_storage_bucket_iam_member",
        ],
        "CKV_AZURE_120" => &[
            "azurerm_application_gateway",
            "azurerm_web_application_firewall_policy",
        ],
        _ => return None,
    })
}

/// A language or engine version at `path` of at least `min` (`"v8.0"`,
/// `"1.7.0_80"` and `"11"` read as their leading numbers); no verdict
/// when it is not set or not known.
pub(super) fn version_at_least(r: &Resource<'_>, path: &str, min: &[u64]) -> Outcome {
    let read = r.get(path);
    let Some(text) = read.as_str() else {
        return Unknown;
    };
    let numbers: Vec<u64> = text
        .trim_start_matches(['v', 'V'])
        .split('.')
        .map_while(|p| p.parse().ok())
        .collect();
    match numbers.is_empty() {
        true => Unknown,
        false => fails_if(numbers.as_slice() < min),
    }
}

/// checkov's BaseResourceValueCheck with `expected` the only passing
/// value: missing → `missing`, a reference → UNKNOWN, anything else FAIL.
pub(super) fn expect(
    r: &Resource<'_>,
    path: &str,
    ok: fn(&Read) -> bool,
    missing: Outcome,
) -> Outcome {
    match r.get(path) {
        Read::Missing => missing,
        Read::Reference => Unknown,
        v if ok(&v) => Passed,
        _ => Failed,
    }
}

/// A constant number, or a string that is one (checkov reads both).
pub(super) fn number(v: &Read) -> Option<f64> {
    match v {
        Read::Constant(Value::Number(n)) => n.as_f64(),
        Read::Constant(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// PASSED when either verdict passes; else UNKNOWN when either is, else
/// FAILED (checkov's "one of two settings will do").
pub(super) fn either(a: Outcome, b: Outcome) -> Outcome {
    match (a, b) {
        (Passed, _) | (_, Passed) => Passed,
        (Unknown, _) | (_, Unknown) => Unknown,
        _ => Failed,
    }
}

/// FAILED when either verdict fails; else UNKNOWN when either is, else
/// PASSED (two settings both needed).
pub(super) fn both(a: Outcome, b: Outcome) -> Outcome {
    match (a, b) {
        (Failed, _) | (_, Failed) => Failed,
        (Unknown, _) | (_, Unknown) => Unknown,
        _ => Passed,
    }
}

/// FAILED when `bad`, else PASSED.
pub(super) fn fails_if(bad: bool) -> Outcome {
    if bad {
        Failed
    } else {
        Passed
    }
}

pub(super) fn is_true(r: &Resource<'_>, path: &str) -> Outcome {
    expect(r, path, Read::is_true, Failed)
}

pub(super) fn is_false(r: &Resource<'_>, path: &str) -> Outcome {
    expect(r, path, Read::is_false, Failed)
}

/// BaseResourceNegativeValueCheck: a forbidden value fails; anything
/// else, or nothing, passes; a reference is UNKNOWN.
pub(super) fn forbid(r: &Resource<'_>, path: &str, bad: fn(&Read) -> bool) -> Outcome {
    match r.get(path) {
        Read::Reference => Unknown,
        v if bad(&v) => Failed,
        _ => Passed,
    }
}

/// `ANY_VALUE`: set to anything (a reference counts) passes.
pub(super) fn any_value(r: &Resource<'_>, path: &str) -> Outcome {
    fails_if(!r.get(path).is_given())
}

pub(super) fn block(r: &Resource<'_>, path: &str) -> Outcome {
    if r.has_block(path) {
        Passed
    } else {
        Failed
    }
}

/// Whether a port list (`["22", "80-90"]` or numbers) covers `port`.
pub(super) fn covers_port(ports: &Read, port: i64) -> bool {
    let Read::Constant(Value::Array(items)) = ports else {
        return false;
    };
    items.iter().any(|p| {
        let text = match p {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return false,
        };
        port_in(&text, port)
    })
}

/// Whether a port spec, `22` or a range `20-25`, includes `port`.
pub(super) fn port_in(spec: &str, port: i64) -> bool {
    match spec.split_once('-') {
        Some((a, b)) => match (a.trim().parse::<i64>(), b.trim().parse::<i64>()) {
            (Ok(a), Ok(b)) => a <= port && port <= b,
            _ => false,
        },
        None => spec.trim().parse::<i64>() == Ok(port),
    }
}

pub(super) fn strings(v: &Read) -> Option<Vec<&str>> {
    match v {
        Read::Constant(Value::Array(items)) => items.iter().map(Value::as_str).collect(),
        _ => None,
    }
}

/// The strings (numbers written out) of a list, or of one value, that
/// `path` holds; nothing for a reference or null.
pub(super) fn texts(r: &Resource<'_>, path: &str) -> Vec<String> {
    match r.get(path) {
        Read::Constant(v) => value_texts(&v),
        _ => Vec::new(),
    }
}

/// The strings (numbers written out) of a list, or of one value.
pub(super) fn value_texts(v: &Value) -> Vec<String> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) => items.iter().filter_map(text).collect(),
        v => text(v).into_iter().collect(),
    }
}

/// An integer written as a number or a numeric string.
pub(super) fn integer(r: &Resource<'_>, path: &str) -> Option<i64> {
    match r.get(path) {
        Read::Constant(Value::Number(n)) => n.as_i64(),
        Read::Constant(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether a GitHub Actions OIDC subject names one organisation:
/// `repo:ORG/...` with no wildcard in `ORG` (`repo:org/*` and
/// `repo:org/repo:ref:refs/heads/main` pass; `*`, `repo:*`, `repo:org*`
/// and `workflow:...` do not).
pub(super) fn github_subject(sub: &str) -> bool {
    sub.strip_prefix("repo:")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(org, _)| !org.is_empty() && !org.contains('*'))
}

/// Whether `text` is a private key's first line, as checkov's "general"
/// secret pattern finds it: Python's `^...$` without MULTILINE, so the
/// whole text, a final newline allowed (a key with its body is not found).
pub(super) fn has_private_key(text: &str) -> bool {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN
        .get_or_init(|| {
            regex::Regex::new(r"\A-----BEGIN (RSA|EC|DSA|GPP) PRIVATE KEY-----\n?\z")
                .expect("constant pattern")
        })
        .is_match(text)
}

/// The nested blocks at `path` (block names through each level), all of
/// them: `policy_details/schedule/cross_region_copy_rule`.
pub(super) fn nested_blocks<'a>(r: &Resource<'a>, path: &str) -> Vec<Resource<'a>> {
    let mut level = vec![r.nested_self()];
    for name in path.split('/') {
        level = level.iter().flat_map(|b| b.blocks(name)).collect();
    }
    level
}
