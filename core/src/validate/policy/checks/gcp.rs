//! checkov's Google Cloud checks, in the order they were ported, with the
//! predicates only they use.

use super::*;

/// CKV_GCP_2 and CKV_GCP_3: an `allow` opening `port` to 0.0.0.0/0 fails.
fn firewall_open(r: &Resource<'_>, port: i64) -> Outcome {
    // `allow = "var.x"`: checkov takes the string for a reference.
    if matches!(r.get("allow"), Read::Constant(Value::String(_))) {
        return Unknown;
    }
    let world = match r.get("source_ranges") {
        Read::Reference => return Unknown,
        v => strings(&v).is_some_and(|s| s.contains(&"0.0.0.0/0")),
    };
    let open = r
        .blocks("allow")
        .iter()
        .any(|a| covers_port(&a.get("ports"), port));
    if world && open {
        Failed
    } else {
        Passed
    }
}

/// CKV2_GCP_37 and CKV2_GCP_38: a forwarding rule for an external load
/// balancer (the default scheme) that targets an HTTP proxy fails.
fn external_http_proxy(r: &Resource<'_>) -> Outcome {
    match (r.get("load_balancing_scheme"), r.get("target")) {
        (Read::Reference, _) | (_, Read::Reference) => Unknown,
        (scheme, target) => {
            let external = scheme.as_str().is_none_or(|s| s.starts_with("EXTERNAL"));
            let http = target
                .as_str()
                .is_some_and(|t| t.contains("targetHttpProxies"));
            fails_if(external && http)
        }
    }
}

/// An IAM member or binding of a resource granting `allUsers` or
/// `allAuthenticatedUsers` (in `member`, or among `members`) fails; a
/// reference is UNKNOWN.
fn public_iam_member(r: &Resource<'_>) -> Outcome {
    let public = |v: &Value| matches!(v.as_str(), Some("allUsers" | "allAuthenticatedUsers"));
    match (r.get("member"), r.get("members")) {
        (Read::Reference, _) | (_, Read::Reference) => Unknown,
        (Read::Constant(v), _) if public(&v) => Failed,
        (_, Read::Constant(Value::Array(all))) if all.iter().any(public) => Failed,
        _ => Passed,
    }
}

/// An IAM policy document's `bindings` granting `allUsers` or
/// `allAuthenticatedUsers` fails; a document that is not JSON passes, as
/// checkov passes it.
fn public_policy_data(r: &Resource<'_>) -> Outcome {
    let doc = match r.document("policy_data") {
        Read::Reference => return Unknown,
        Read::Constant(Value::String(s)) => serde_json::from_str(&s).unwrap_or(Value::Null),
        Read::Constant(v) => v,
        Read::Missing => return Passed,
    };
    let public = doc
        .get("bindings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("members").and_then(Value::as_array))
        .flatten()
        .any(|m| matches!(m.as_str(), Some("allUsers" | "allAuthenticatedUsers")));
    fails_if(public)
}

/// The members an IAM member or binding grants its role to, as written;
/// `None` when one is a reference.
fn iam_members(r: &Resource<'_>) -> Option<Vec<String>> {
    let keys = ["member", "members"];
    if keys.iter().any(|k| r.get(k) == Read::Reference) {
        return None;
    }
    Some(keys.iter().flat_map(|k| texts(r, k)).collect())
}

/// CKV2_GCP_6/9: whether one of the IAM members or bindings of `kinds`
/// connected to `r` grants anything to everyone (`allUsers`) or to every
/// Google account (`allAuthenticatedUsers`).
fn granted_publicly(r: &Resource<'_>, kinds: &[&str]) -> bool {
    r.connected(kinds)
        .iter()
        .any(|grant| public_iam_member(grant) == Failed)
}

/// An IAM member or binding granting one of `roles` fails.
fn grants_role(r: &Resource<'_>, roles: &[&str]) -> Outcome {
    match r.get("role") {
        Read::Reference => Unknown,
        v => fails_if(v.as_str().is_some_and(|role| roles.contains(&role))),
    }
}

/// The roles that let a member act as, or mint tokens for, a service
/// account.
const IMPERSONATION_ROLES: &[&str] = &[
    "roles/iam.serviceAccountUser",
    "roles/iam.serviceAccountTokenCreator",
];

/// An IAM member or binding granting a role to a default service account
/// (Compute Engine's or App Engine's) fails.
fn default_service_account(r: &Resource<'_>) -> Outcome {
    match iam_members(r) {
        None => Unknown,
        Some(members) => fails_if(members.iter().any(|m| {
            m.starts_with("serviceAccount:")
                && (m.ends_with("-compute@developer.gserviceaccount.com")
                    || m.ends_with("@appspot.gserviceaccount.com"))
        })),
    }
}

/// A Cloud SQL database flag check: for instances of `engine`
/// (`database_version` starting with it; others are not judged), the flag
/// `name` set to one of `ok` (in any case) passes, set to anything else
/// fails, and unset gives `missing`.
fn sql_flag(r: &Resource<'_>, engine: &str, name: &str, ok: &[&str], missing: Outcome) -> Outcome {
    match r.get("database_version") {
        Read::Constant(Value::String(v)) if v.starts_with(engine) => {}
        _ => return Unknown,
    }
    for settings in r.blocks("settings") {
        for flag in settings.blocks("database_flags") {
            if flag.get("name").as_str() != Some(name) {
                continue;
            }
            return match flag.get("value") {
                Read::Reference => Unknown,
                v => {
                    let text = match &v {
                        Read::Constant(Value::Number(n)) => n.to_string(),
                        other => other.as_str().unwrap_or_default().to_string(),
                    };
                    fails_if(!ok.iter().any(|o| o.eq_ignore_ascii_case(&text)))
                }
            };
        }
    }
    missing
}

/// Whether an instance's service account is the project's default
/// compute one: no email, an empty one, or `NUMBER-compute@developer...`.
fn uses_default_account(r: &Resource<'_>) -> bool {
    match r.get("service_account.email") {
        Read::Missing => true,
        Read::Reference => false,
        v => {
            let email = v.as_str().unwrap_or_default();
            let default = email
                .strip_suffix("-compute@developer.gserviceaccount.com")
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
            email.is_empty() || default
        }
    }
}

/// Whether a subnetwork is reserved for proxies (load balancers' proxy
/// subnets), where Google access settings do not apply.
fn proxy_subnet(r: &Resource<'_>) -> bool {
    matches!(
        r.get("purpose").as_str(),
        Some("INTERNAL_HTTPS_LOAD_BALANCER" | "REGIONAL_MANAGED_PROXY" | "GLOBAL_MANAGED_PROXY")
    )
}

pub(super) static CHECKS: &[Check] = &[
    Check {
        block: "resource",
        id: "CKV_GCP_107",
        title: "Cloud functions should not be public",
        types: &[
            "google_cloudfunctions_function_iam_member",
            "google_cloudfunctions_function_iam_binding",
            "google_cloudfunctions2_function_iam_member",
            "google_cloudfunctions2_function_iam_binding",
        ],
        judge: public_iam_member,
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_6",
        title: "Ensure that Cloud KMS cryptokeys are not anonymously or publicly accessible",
        types: &["google_kms_crypto_key"],
        judge: |r| {
            let grants = ["google_kms_crypto_key_iam_binding", "google_kms_crypto_key_iam_member"];
            fails_if(granted_publicly(r, &grants))
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_9",
        title: "Ensure that Container Registry repositories are not anonymously or publicly accessible",
        types: &["google_container_registry"],
        judge: |r| {
            let grants = ["google_storage_bucket_iam_binding", "google_storage_bucket_iam_member"];
            fails_if(granted_publicly(r, &grants))
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_5",
        title: "Ensure that Cloud Audit Logging is configured properly across all services and all users from a project",
        types: &["google_project"],
        judge: |r| {
            let everyone = |c: &Resource<'_>| {
                c.get("service").as_str() == Some("allServices")
                    && c.blocks("audit_log_config").iter().all(|l| texts(l, "exempted_members").is_empty())
            };
            fails_if(!r.connected(&["google_project_iam_audit_config"]).iter().any(everyone))
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_7",
        title: "Ensure that a MySQL database instance does not allow anyone to connect with administrative privileges",
        types: &["google_sql_database_instance"],
        // MySQL's `root` accounts (any host) need a password.
        judge: |r| {
            let mysql = r.get("database_version").as_str().is_some_and(|v| v.starts_with("MYSQL"));
            let open_root = r.connected(&["google_sql_user"]).iter().any(|u| {
                u.get("name").as_str().is_some_and(|n| n.starts_with("root"))
                    && !u.get("password").is_given()
            });
            fails_if(mysql && open_root)
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_2",
        title: "Ensure legacy networks do not exist for a project",
        types: &["google_project"],
        // Judged on the project; checkov reads only a network that says
        // it creates its subnetworks automatically.
        judge: |r| {
            let networks = r.connected(&["google_compute_network"]);
            fails_if(networks.iter().any(|n| n.get("auto_create_subnetworks").is_true()))
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_4",
        title: "Ensure that retention policies on log buckets are configured using Bucket Lock",
        types: &[
            "google_logging_folder_sink",
            "google_logging_organization_sink",
            "google_logging_project_sink",
        ],
        judge: |r| {
            let locked = |b: &Resource<'_>| b.get("retention_policy.is_locked").is_true();
            fails_if(!r.connected(&["google_storage_bucket"]).iter().any(locked))
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_31",
        title: "Ensure that instances are not configured to use the default service account with full access to all Cloud APIs",
        types: &[
            "google_compute_instance",
            "google_compute_instance_from_template",
            "google_compute_instance_template",
        ],
        // GKE's nodes are named `gke-` and use the default account by
        // design; an instance made from a template without an account of
        // its own takes the template's.
        judge: |r| {
            if r.get("name").as_str().is_some_and(|n| n.starts_with("gke-")) {
                return Passed;
            }
            if !r.has_block("service_account") {
                return match r.kind {
                    "google_compute_instance_from_template" => Unknown,
                    _ => Passed,
                };
            }
            let full = texts(r, "service_account.scopes").iter().any(|s| {
                s == "cloud-platform" || s == "https://www.googleapis.com/auth/cloud-platform"
            });
            fails_if(full && uses_default_account(r))
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_79",
        title: "Ensure SQL database is using latest Major version",
        types: &["google_sql_database_instance"],
        // The newest major version of each engine Cloud SQL offers.
        judge: |r| match r.get("database_version") {
            Read::Constant(Value::String(v)) => {
                let mut parts = v.split('_');
                let engine = parts.next().unwrap_or_default();
                let major: Vec<u32> = parts.map_while(|p| p.parse().ok()).collect();
                let latest: &[u32] = match engine {
                    "MYSQL" => &[8],
                    "POSTGRES" => &[18],
                    "SQLSERVER" => &[2022],
                    _ => return Unknown,
                };
                fails_if(major.as_slice() < latest)
            }
            _ => Unknown,
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_74",
        title: "Ensure that private_ip_google_access is enabled for Subnet",
        types: &["google_compute_subnetwork"],
        judge: |r| match proxy_subnet(r) {
            true => Unknown,
            false => is_true(r, "private_ip_google_access"),
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_76",
        title: "Ensure that Private google access is enabled for IPV6",
        types: &["google_compute_subnetwork"],
        // Judged on dual-stack subnetworks only.
        judge: |r| {
            if proxy_subnet(r) || r.get("stack_type").as_str() != Some("IPV4_IPV6") {
                return Unknown;
            }
            let on = |v: &Read| {
                matches!(
                    v.as_str(),
                    Some("ENABLE_OUTBOUND_VM_ACCESS_TO_GOOGLE" | "ENABLE_BIDIRECTIONAL_ACCESS_TO_GOOGLE")
                )
            };
            expect(r, "private_ipv6_google_access", on, Failed)
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_73",
        title: "Ensure Cloud Armor prevents message lookup in Log4j2. See CVE-2021-44228 aka log4jshell",
        types: &["google_compute_security_policy"],
        // A rule, in the policy or a rule resource of it, that denies what
        // the preconfigured `cve-canary` expression matches, not in preview.
        judge: |r| {
            let denies = |rule: &Resource<'_>| {
                let expression = rule.get("match.expr.expression");
                let canary = expression.as_str().is_some_and(|e| {
                    ["evaluatePreconfiguredExpr('cve-canary'", "evaluatePreconfiguredWaf('cve-canary'"]
                        .iter()
                        .any(|c| e.contains(c))
                });
                canary
                    && rule.get("action").as_str().is_some_and(|a| a.starts_with("deny"))
                    && !rule.get("preview").is_true()
            };
            let separate = r.connected(&["google_compute_security_policy_rule"]);
            fails_if(!r.blocks("rule").iter().chain(&separate).any(denies))
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_11",
        title: "Ensure that Cloud SQL database Instances are not open to the world",
        types: &["google_sql_database_instance"],
        judge: |r| {
            let open = r.blocks("settings").iter().any(|settings| {
                settings.blocks("ip_configuration").iter().any(|ip| {
                    ip.blocks("authorized_networks")
                        .iter()
                        .any(|n| n.get("value").as_str().is_some_and(|v| v.ends_with("/0")))
                })
            });
            fails_if(open)
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_43",
        title: "Ensure KMS encryption keys are rotated within a period of 90 days",
        types: &["google_kms_crypto_key"],
        judge: |r| {
            if matches!(
                r.get("purpose").as_str(),
                Some("ASYMMETRIC_DECRYPT" | "ASYMMETRIC_SIGN")
            ) {
                return Unknown;
            }
            match r.get("rotation_period") {
                Read::Reference => Unknown,
                v => {
                    let seconds = v
                        .as_str()
                        .and_then(|p| p.strip_suffix('s'))
                        .and_then(|n| n.parse::<f64>().ok());
                    fails_if(!seconds.is_some_and(|n| (86_400.0..=7_776_000.0).contains(&n)))
                }
            }
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_3",
        title: "Ensure Google compute firewall ingress does not allow unrestricted rdp access",
        types: &["google_compute_firewall"],
        judge: |r| firewall_open(r, 3389),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_15",
        title: "Ensure that BigQuery datasets are not anonymously or publicly accessible",
        types: &["google_bigquery_dataset"],
        judge: |r| {
            const NAMED: [&str; 6] = [
                "user_by_email",
                "group_by_email",
                "domain",
                "view",
                "routine",
                "dataset",
            ];
            for access in r.blocks("access") {
                match access.get("special_group") {
                    v if matches!(v.as_str(), Some("allUsers" | "allAuthenticatedUsers")) => {
                        return Failed
                    }
                    Read::Missing => {
                        let named = NAMED.iter().any(|n| {
                            !matches!(access.get(n), Read::Missing) || access.has_block(n)
                        });
                        if !named {
                            return Failed;
                        }
                    }
                    _ => {}
                }
            }
            Passed
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_30",
        title: "Ensure that instances are not configured to use the default service account",
        types: &[
            "google_compute_instance",
            "google_compute_instance_from_template",
            "google_compute_instance_template",
        ],
        judge: |r| {
            if r.get("name")
                .as_str()
                .is_some_and(|n| n.starts_with("gke-"))
            {
                return Passed;
            }
            if !r.has_block("service_account") {
                return Unknown;
            }
            fails_if(uses_default_account(r))
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_38",
        title: "Ensure VM disks for critical VMs are encrypted with Customer Supplied \
                Encryption Keys (CSEK)",
        types: &["google_compute_instance"],
        judge: |r| {
            let set = |p: &str| !matches!(r.get(p), Read::Missing | Read::Constant(Value::Null));
            if set("boot_disk.disk_encryption_key_raw") || set("boot_disk.kms_key_self_link") {
                Passed
            } else {
                Failed
            }
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_40",
        title: "Ensure that Compute instances do not have public IP addresses",
        types: &[
            "google_compute_instance",
            "google_compute_instance_template",
            "google_compute_instance_from_template",
        ],
        judge: |r| {
            let interfaces = r.blocks("network_interface");
            match interfaces.first() {
                None if r.kind == "google_compute_instance_from_template" => Unknown,
                Some(first) if first.has_block("access_config") => Failed,
                _ => Passed,
            }
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_12",
        title: "Ensure Network Policy is enabled on Kubernetes Engine Clusters",
        types: &["google_container_cluster"],
        judge: |r| match r.get("network_policy.enabled") {
            Read::Reference => Unknown,
            v if v.is_true() => Passed,
            v if v.is_false()
                && r.get("datapath_provider").as_str() == Some("ADVANCED_DATAPATH") =>
            {
                Passed
            }
            _ => Failed,
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_26",
        title: "Ensure that VPC Flow Logs is enabled for every subnet in a VPC Network",
        types: &["google_compute_subnetwork"],
        judge: |r| {
            if matches!(
                r.get("purpose").as_str(),
                Some(
                    "INTERNAL_HTTPS_LOAD_BALANCER"
                        | "REGIONAL_MANAGED_PROXY"
                        | "GLOBAL_MANAGED_PROXY"
                )
            ) {
                return Unknown;
            }
            block(r, "log_config")
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_29",
        title: "Ensure that Cloud Storage buckets have uniform bucket-level access enabled",
        types: &["google_storage_bucket"],
        judge: |r| is_true(r, "uniform_bucket_level_access"),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_2",
        title: "Ensure Google compute firewall ingress does not allow unrestricted ssh access",
        types: &["google_compute_firewall"],
        judge: |r| firewall_open(r, 22),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_98",
        title: "Ensure that Dataproc clusters are not anonymously or publicly accessible",
        types: &[
            "google_dataproc_cluster_iam_member",
            "google_dataproc_cluster_iam_binding",
        ],
        judge: public_iam_member,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_99",
        title: "Ensure that Pub/Sub Topics are not anonymously or publicly accessible",
        types: &[
            "google_pubsub_topic_iam_member",
            "google_pubsub_topic_iam_binding",
        ],
        judge: public_iam_member,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_100",
        title: "Ensure that BigQuery Tables are not anonymously or publicly accessible",
        types: &[
            "google_bigquery_table_iam_member",
            "google_bigquery_table_iam_binding",
        ],
        judge: public_iam_member,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_101",
        title:
            "Ensure that Artifact Registry repositories are not anonymously or publicly accessible",
        types: &[
            "google_artifact_registry_repository_iam_member",
            "google_artifact_registry_repository_iam_binding",
        ],
        judge: public_iam_member,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_102",
        title: "Ensure that GCP Cloud Run services are not anonymously or publicly accessible",
        types: &[
            "google_cloud_run_service_iam_member",
            "google_cloud_run_service_iam_binding",
        ],
        judge: public_iam_member,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_50",
        title: "Ensure MySQL database 'local_infile' flag is set to 'off'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "MYSQL", "local_infile", &["off"], Passed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_51",
        title: "Ensure PostgreSQL database 'log_checkpoints' flag is set to 'on'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_checkpoints", &["on"], Failed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_52",
        title: "Ensure PostgreSQL database 'log_connections' flag is set to 'on'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_connections", &["on"], Failed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_53",
        title: "Ensure PostgreSQL database 'log_disconnections' flag is set to 'on'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_disconnections", &["on"], Failed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_54",
        title: "Ensure PostgreSQL database 'log_lock_waits' flag is set to 'on'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_lock_waits", &["on"], Failed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_55",
        title: "Ensure PostgreSQL database 'log_min_messages' flag is set to a valid value",
        types: &["google_sql_database_instance"],
        judge: |r| {
            sql_flag(
                r,
                "POSTGRES",
                "log_min_messages",
                &[
                    "debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning",
                    "error", "log", "fatal", "panic",
                ],
                Passed,
            )
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_56",
        title: "Ensure PostgreSQL database 'log_temp_files flag is set to '0'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_temp_files", &["0"], Passed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_57",
        title: "Ensure PostgreSQL database 'log_min_duration_statement' flag is set to '-1'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_min_duration_statement", &["-1"], Passed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_58",
        title: "Ensure SQL database 'cross db ownership chaining' flag is set to 'off'",
        types: &["google_sql_database_instance"],
        judge: |r| {
            sql_flag(
                r,
                "SQLSERVER",
                "cross db ownership chaining",
                &["off"],
                Passed,
            )
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_59",
        title: "Ensure SQL database 'contained database authentication' flag is set to 'off'",
        types: &["google_sql_database_instance"],
        judge: |r| {
            sql_flag(
                r,
                "SQLSERVER",
                "contained database authentication",
                &["off"],
                Passed,
            )
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_108",
        title: "Ensure hostnames are logged for GCP PostgreSQL databases",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_hostname", &["on"], Failed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_109",
        title: "Ensure the GCP PostgreSQL database log levels are set to ERROR or lower",
        types: &["google_sql_database_instance"],
        judge: |r| {
            sql_flag(
                r,
                "POSTGRES",
                "log_min_error_statement",
                &[
                    "debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning",
                    "error",
                ],
                Failed,
            )
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_110",
        title: "Ensure pgAudit is enabled for your GCP PostgreSQL database",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "cloudsql.enable_pgaudit", &["on"], Failed),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_111",
        title: "Ensure GCP PostgreSQL logs SQL statements",
        types: &["google_sql_database_instance"],
        judge: |r| {
            sql_flag(
                r,
                "POSTGRES",
                "log_statement",
                &["ddl", "mod", "all"],
                Failed,
            )
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_75",
        title: "Ensure Google compute firewall ingress does not allow unrestricted FTP access",
        types: &["google_compute_firewall"],
        judge: |r| firewall_open(r, 21),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_77",
        title: "Ensure Google compute firewall ingress does not allow on ftp port",
        types: &["google_compute_firewall"],
        judge: |r| firewall_open(r, 20),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_88",
        title: "Ensure Google compute firewall ingress does not allow unrestricted mysql access",
        types: &["google_compute_firewall"],
        judge: |r| firewall_open(r, 3306),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_106",
        title:
            "Ensure Google compute firewall ingress does not allow unrestricted http port 80 access",
        types: &["google_compute_firewall"],
        judge: |r| firewall_open(r, 80),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_112",
        title: "Ensure KMS policy should not allow public access",
        types: &[
            "google_kms_crypto_key_iam_policy",
            "google_kms_crypto_key_iam_binding",
            "google_kms_crypto_key_iam_member",
        ],
        judge: |r| match r.kind {
            "google_kms_crypto_key_iam_policy" => public_policy_data(r),
            _ => public_iam_member(r),
        },
    },
    Check {
        block: "data",
        id: "CKV_GCP_113",
        title: "Ensure IAM policy should not define public access",
        types: &["google_iam_policy"],
        judge: |r| {
            r.blocks("binding")
                .iter()
                .map(public_iam_member)
                .fold(Passed, both)
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_22",
        title:
            "Ensure Container-Optimized OS (cos) is used for Kubernetes Engine Clusters Node image",
        types: &["google_container_node_pool"],
        judge: |r| {
            expect(
                r,
                "node_config.image_type",
                |v| {
                    v.as_str()
                        .is_some_and(|s| s.to_ascii_lowercase().starts_with("cos"))
                },
                Unknown,
            )
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_63",
        title: "Bucket should not log to itself",
        types: &["google_storage_bucket"],
        judge: |r| match (r.get("logging.log_bucket"), r.get("name")) {
            (Read::Reference, _) | (_, Read::Reference) => Unknown,
            (Read::Missing, _) => Unknown,
            (bucket, name) => fails_if(bucket.as_str() == name.as_str()),
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_123",
        title: "GKE Don't Use NodePools in the Cluster configuration",
        types: &["google_container_cluster"],
        // A default pool the cluster removes once made is only scaffolding.
        judge: |r| match r.get("remove_default_node_pool") {
            v if v.is_true() => Passed,
            _ => fails_if(r.has_block("node_pool")),
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_24",
        title: "Ensure PodSecurityPolicy controller is enabled on the Kubernetes Engine Clusters",
        types: &["google_container_cluster"],
        // Kubernetes removed PodSecurityPolicy in 1.25: only clusters
        // pinned to an older version are judged.
        judge: |r| match number(&r.get("min_master_version")) {
            Some(v) if v < 1.25 => is_true(r, "pod_security_policy_config.enabled"),
            _ => Unknown,
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_41",
        title: "Ensure that IAM users are not assigned the Service Account User or Service Account Token Creator roles at project level",
        types: &["google_project_iam_binding", "google_project_iam_member"],
        judge: |r| grants_role(r, IMPERSONATION_ROLES),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_44",
        title: "Ensure no roles that enable to impersonate and manage all service accounts are used at a folder level",
        types: &["google_folder_iam_member", "google_folder_iam_binding"],
        judge: |r| grants_role(r, IMPERSONATION_ROLES),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_45",
        title: "Ensure no roles that enable to impersonate and manage all service accounts are used at an organization level",
        types: &["google_organization_iam_member", "google_organization_iam_binding"],
        judge: |r| grants_role(r, IMPERSONATION_ROLES),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_49",
        title: "Ensure roles do not impersonate or manage Service Accounts used at project level",
        types: &["google_project_iam_member", "google_project_iam_binding"],
        judge: |r| grants_role(r, IMPERSONATION_ROLES),
    },
    Check {
        block: "resource",
        id: "CKV_GCP_46",
        title: "Ensure Default Service account is not used at a project level",
        types: &["google_project_iam_member", "google_project_iam_binding"],
        judge: default_service_account,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_47",
        title: "Ensure default service account is not used at an organization level",
        types: &["google_organization_iam_member", "google_organization_iam_binding"],
        judge: default_service_account,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_48",
        title: "Ensure Default Service account is not used at a folder level",
        types: &["google_folder_iam_member", "google_folder_iam_binding"],
        judge: default_service_account,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_42",
        title: "Ensure that Service Account has no Admin privileges",
        types: &["google_project_iam_member"],
        judge: |r| match (r.get("member"), r.get("role")) {
            (Read::Reference, _) | (_, Read::Reference) => Unknown,
            (member, role) => {
                let service = member.as_str().is_some_and(|m| m.starts_with("serviceAccount:"));
                let admin = role.as_str().is_some_and(|role| {
                    matches!(role, "roles/editor" | "roles/owner")
                        || role.to_ascii_lowercase().ends_with("admin")
                });
                fails_if(service && admin)
            }
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_13",
        title: "Ensure PostgreSQL database flag 'log_duration' is set to 'on'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_duration", &["on"], Failed),
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_14",
        title: "Ensure PostgreSQL database flag 'log_executor_stats' is set to 'off'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_executor_stats", &["off"], Passed),
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_15",
        title: "Ensure PostgreSQL database flag 'log_parser_stats' is set to 'off'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_parser_stats", &["off"], Passed),
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_16",
        title: "Ensure PostgreSQL database flag 'log_planner_stats' is set to 'off'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_planner_stats", &["off"], Passed),
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_17",
        title: "Ensure PostgreSQL database flag 'log_statement_stats' is set to 'off'",
        types: &["google_sql_database_instance"],
        judge: |r| sql_flag(r, "POSTGRES", "log_statement_stats", &["off"], Passed),
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_12",
        title: "Ensure GCP compute firewall ingress does not allow unrestricted access to all ports",
        types: &["google_compute_firewall"],
        judge: |r| {
            if r.get("disabled").is_true()
                || r.get("direction").as_str().is_some_and(|d| d != "INGRESS")
            {
                return Passed;
            }
            let world = match r.get("source_ranges") {
                Read::Reference => return Unknown,
                v => strings(&v).is_some_and(|s| {
                    s.iter().any(|c| matches!(*c, "0.0.0.0/0" | "0.0.0.0" | "::/0" | "::0"))
                }),
            };
            let all = r
                .blocks("allow")
                .iter()
                .any(|a| a.get("protocol").as_str() == Some("all"));
            fails_if(world && all)
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_20",
        title: "Ensure MySQL DB instance has point-in-time recovery backup configured",
        types: &["google_sql_database_instance"],
        // A replica takes its backups from its primary; other engines pass.
        judge: |r| {
            if r.get("master_instance_name") != Read::Missing {
                return Passed;
            }
            match r.get("database_version") {
                v if v.as_str().is_some_and(|v| v.starts_with("MYSQL")) => {
                    is_true(r, "settings.backup_configuration.binary_log_enabled")
                }
                Read::Reference => Unknown,
                _ => Passed,
            }
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_37",
        title: "Ensure GCP compute regional forwarding rule does not use HTTP proxies with EXTERNAL load balancing scheme",
        types: &["google_compute_forwarding_rule"],
        judge: external_http_proxy,
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_38",
        title: "Ensure GCP compute global forwarding rule does not use HTTP proxies with EXTERNAL load balancing scheme",
        types: &["google_compute_global_forwarding_rule"],
        judge: external_http_proxy,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_39",
        title: "Ensure Compute instances are launched with Shielded VM enabled",
        types: &[
            "google_compute_instance",
            "google_compute_instance_template",
            "google_compute_instance_from_template",
        ],
        // Integrity monitoring is on unless turned off.
        judge: |r| {
            both(
                is_true(r, "shielded_instance_config.enable_vtpm"),
                forbid(r, "shielded_instance_config.enable_integrity_monitoring", Read::is_false),
            )
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_28",
        title: "Ensure that Cloud Storage bucket is not anonymously or publicly accessible",
        types: &["google_storage_bucket_iam_member", "google_storage_bucket_iam_binding"],
        judge: public_iam_member,
    },
    Check {
        block: "resource",
        id: "CKV_GCP_125",
        title: "Ensure GCP GitHub Actions OIDC trust policy is configured securely",
        types: &["google_iam_workload_identity_pool_provider"],
        // The pool's attribute condition must pin `assertion.sub` to one
        // organisation.
        judge: |r| {
            if !r.get("oidc.issuer_uri").as_str().is_some_and(|u| u.contains("token.actions.githubusercontent.com")) {
                return Unknown;
            }
            match r.get("attribute_condition") {
                Read::Reference => Unknown,
                v => {
                    let subject = v.as_str().and_then(|c| {
                        let rest = c.split_once("assertion.sub")?.1.trim_start();
                        let rest = rest.strip_prefix("==")?.trim_start();
                        let quote = rest.chars().next().filter(|q| *q == '\'' || *q == '"')?;
                        rest[1..].split(quote).next().map(String::from)
                    });
                    fails_if(!subject.is_some_and(|s| github_subject(&s)))
                }
            }
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_10",
        title: "Ensure GCP Cloud Function HTTP trigger is secured",
        types: &["google_cloudfunctions_function"],
        // Only HTTP-triggered functions are judged; others pass.
        judge: |r| match r.get("trigger_http") {
            v if v.is_true() => expect(
                r,
                "https_trigger_security_level",
                |v| v.as_str() == Some("SECURE_ALWAYS"),
                Failed,
            ),
            Read::Reference => Unknown,
            _ => Passed,
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_21",
        title: "Ensure Vertex AI instance disks are encrypted with a Customer Managed Key (CMK)",
        types: &["google_notebooks_instance"],
        judge: |r| {
            both(
                expect(r, "disk_encryption", |v| v.as_str() == Some("CMEK"), Failed),
                any_value(r, "kms_key"),
            )
        },
    },
    Check {
        block: "resource",
        id: "CKV2_GCP_27",
        title: "Ensure Vertex AI workbench instance disks are encrypted with a Customer Managed Key (CMK)",
        types: &["google_workbench_instance"],
        // The boot disk and every data disk.
        judge: |r| {
            r.blocks("gce_setup")
                .iter()
                .flat_map(|g| g.blocks("data_disks"))
                .map(|d| any_value(&d, "kms_key"))
                .fold(any_value(r, "gce_setup.boot_disk.kms_key"), both)
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_4",
        title: "Ensure no HTTPS or SSL proxy load balancers permit SSL policies with weak cipher suites",
        types: &["google_compute_ssl_policy"],
        // RESTRICTED allows only strong suites; MODERN and CUSTOM need TLS
        // 1.2, and CUSTOM no RSA key exchange, CBC or 3DES suite. The
        // default is COMPATIBLE.
        judge: |r| {
            let tls12 = || expect(r, "min_tls_version", |v| v.as_str() == Some("TLS_1_2"), Failed);
            match r.get("profile") {
                Read::Reference => Unknown,
                v => match v.as_str() {
                    Some("RESTRICTED") => Passed,
                    Some("MODERN") => tls12(),
                    Some("CUSTOM") => both(
                        tls12(),
                        forbid(r, "custom_features", |v| {
                            strings(v).is_some_and(|f| {
                                f.iter().any(|s| {
                                    s.starts_with("TLS_RSA_") || s.contains("CBC") || s.contains("3DES")
                                })
                            })
                        }),
                    ),
                    _ => Failed,
                },
            }
        },
    },
    Check {
        block: "resource",
        id: "CKV_GCP_18",
        title: "Ensure GKE Control Plane is not public",
        types: &["google_container_cluster"],
        judge: |r| {
            let open = nested_blocks(r, "master_authorized_networks_config/cidr_blocks")
                .iter()
                .any(|b| b.get("cidr_block").as_str() == Some("0.0.0.0/0"));
            fails_if(open)
        },
    },
];
