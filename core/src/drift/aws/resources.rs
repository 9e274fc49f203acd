//! Each resource type's listing: the API calls that find the resources and
//! the mapping of their XML answers onto the provider's attribute names.

use roxmltree::{Document, Node};
use serde_json::{json, Map, Value};

use super::{AwsInventory, Call};
use crate::drift::inventory::LiveResource;
use crate::error::{Error, Result};

const EC2: &str = "2016-11-15";
const IAM: &str = "2010-05-08";
const RDS: &str = "2014-10-31";

/// Lists `resource_type`; see [`super::RESOURCE_TYPES`].
pub(super) fn list(inv: &AwsInventory, resource_type: &str) -> Result<Vec<LiveResource>> {
    match resource_type {
        "aws_instance" => per_region(inv, instances),
        "aws_vpc" | "aws_default_vpc" => {
            let all = per_region(inv, vpcs)?;
            Ok(of_type(all, resource_type))
        }
        "aws_subnet" | "aws_default_subnet" => {
            Ok(of_type(per_region(inv, subnets)?, resource_type))
        }
        "aws_security_group" | "aws_default_security_group" => {
            Ok(of_type(per_region(inv, security_groups)?, resource_type))
        }
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => Ok(
            of_type(per_region(inv, security_group_rules)?, resource_type),
        ),
        "aws_iam_role" => roles(inv),
        "aws_iam_user" => users(inv),
        "aws_iam_policy" => policies(inv),
        "aws_db_instance" => per_region(inv, db_instances),
        "aws_s3_bucket" => buckets(inv),
        "aws_s3_bucket_versioning" => bucket_settings(inv, versioning),
        "aws_s3_bucket_server_side_encryption_configuration" => bucket_settings(inv, encryption),
        "aws_s3_bucket_public_access_block" => bucket_settings(inv, public_access_block),
        other => Err(Error::InvalidArgument {
            name: "resource_type".into(),
            message: format!(
                "the AWS inventory does not list {other:?}; it lists {}",
                super::RESOURCE_TYPES.join(", ")
            ),
        }),
    }
}

fn of_type(all: Vec<LiveResource>, resource_type: &str) -> Vec<LiveResource> {
    all.into_iter()
        .filter(|r| r.resource_type == resource_type)
        .collect()
}

/// `list_in` over every configured region, concatenated.
fn per_region(
    inv: &AwsInventory,
    list_in: fn(&AwsInventory, &str) -> Result<Vec<LiveResource>>,
) -> Result<Vec<LiveResource>> {
    Ok(inv
        .each(inv.regions(), |region| list_in(inv, region))?
        .into_iter()
        .flatten()
        .collect())
}

fn parse<'a>(text: &'a str, what: &str) -> Result<Document<'a>> {
    Document::parse(text).map_err(|e| Error::Provider {
        provider: "aws".into(),
        model: what.into(),
        status: None,
        request_id: None,
        message: format!("the answer is not XML: {e}"),
        retry_after_ms: None,
    })
}

/// The first child element of `node` named `name` (namespaces ignored).
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

/// The element at `path` below `node`.
fn at<'a, 'i>(node: Node<'a, 'i>, path: &[&str]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(node, |n, name| child(n, name))
}

fn text(node: Node<'_, '_>, path: &[&str]) -> Option<String> {
    at(node, path).map(|n| n.text().unwrap_or_default().to_string())
}

fn string(node: Node<'_, '_>, path: &[&str]) -> Value {
    text(node, path).map(Value::String).unwrap_or(Value::Null)
}

fn boolean(node: Node<'_, '_>, path: &[&str]) -> Value {
    text(node, path)
        .map(|t| Value::Bool(t == "true"))
        .unwrap_or(Value::Null)
}

fn number(node: Node<'_, '_>, path: &[&str]) -> Value {
    text(node, path)
        .and_then(|t| t.parse::<i64>().ok())
        .map(Value::from)
        .unwrap_or(Value::Null)
}

/// The element children of the list at `path` (`item`s, `member`s).
fn items<'a, 'i>(node: Node<'a, 'i>, path: &[&str]) -> Vec<Node<'a, 'i>> {
    at(node, path)
        .map(|n| n.children().filter(|c| c.is_element()).collect())
        .unwrap_or_default()
}

/// A tag list as the provider's `tags` map.
fn tags(node: Node<'_, '_>, path: &[&str], key: &str, value: &str) -> Value {
    Value::Object(
        items(node, path)
            .into_iter()
            .filter_map(|t| Some((text(t, &[key])?, Value::String(text(t, &[value])?))))
            .collect(),
    )
}

fn resource(resource_type: &str, id: String, attributes: Value, default: bool) -> LiveResource {
    let Value::Object(attributes) = attributes else {
        unreachable!("attributes are built as an object")
    };
    LiveResource {
        resource_type: resource_type.into(),
        id,
        attributes,
        default,
        parent: None,
    }
}

/// A query action to page through: `token` is the request parameter and
/// answer element that carry the next page's marker.
struct Paged<'a> {
    service: &'a str,
    version: &'a str,
    action: &'a str,
    params: &'a [(&'a str, &'a str)],
    token: (&'a str, &'a str),
}

/// Calls `page` with the root of every page of `paged` in `region`.
fn pages(
    inv: &AwsInventory,
    region: &str,
    paged: Paged<'_>,
    mut page: impl FnMut(Node<'_, '_>),
) -> Result<()> {
    let Paged {
        service,
        version,
        action,
        params,
        token,
    } = paged;
    let mut marker: Option<String> = None;
    loop {
        let mut all: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(m) = &marker {
            all.push((token.0.to_string(), m.clone()));
        }
        let call = Call::Query {
            service,
            version,
            action,
            params: all,
        };
        let Some(body) = inv.xml(region, &call, &[])? else {
            return Ok(());
        };
        let doc = parse(&body, action)?;
        let root = doc.root_element();
        page(root);
        marker = root
            .descendants()
            .find(|n| n.tag_name().name() == token.1)
            .and_then(|n| n.text())
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if marker.is_none() {
            return Ok(());
        }
    }
}

/// Every item of the EC2 list `set` that `action` answers, over all pages,
/// each mapped by `map` to the resources it holds.
fn ec2_list(
    inv: &AwsInventory,
    region: &str,
    action: &str,
    set: &str,
    mut map: impl FnMut(Node<'_, '_>, &mut Vec<LiveResource>),
) -> Result<Vec<LiveResource>> {
    let size = inv.page(5, 1000);
    let paged = Paged {
        service: "ec2",
        version: EC2,
        action,
        params: &[("MaxResults", &size)],
        token: ("NextToken", "nextToken"),
    };
    let mut out = Vec::new();
    pages(inv, region, paged, |root| {
        for item in items(root, &[set]) {
            map(item, &mut out);
        }
    })?;
    Ok(out)
}

/// `then` when `yes`, else `otherwise`: a resource's type by what it is.
fn kind<'a>(yes: bool, then: &'a str, otherwise: &'a str) -> &'a str {
    if yes {
        then
    } else {
        otherwise
    }
}

fn instances(inv: &AwsInventory, region: &str) -> Result<Vec<LiveResource>> {
    ec2_list(
        inv,
        region,
        "DescribeInstances",
        "reservationSet",
        |reservation, out| {
            for i in items(reservation, &["instancesSet"]) {
                let state = text(i, &["instanceState", "name"]).unwrap_or_default();
                if matches!(state.as_str(), "terminated" | "shutting-down") {
                    continue;
                }
                let groups: Vec<Value> = items(i, &["groupSet"])
                    .into_iter()
                    .filter_map(|g| text(g, &["groupId"]).map(Value::String))
                    .collect();
                let mut attributes = json!({
                    "ami": string(i, &["imageId"]),
                    "instance_type": string(i, &["instanceType"]),
                    "availability_zone": string(i, &["placement", "availabilityZone"]),
                    "subnet_id": string(i, &["subnetId"]),
                    "private_ip": string(i, &["privateIpAddress"]),
                    "vpc_security_group_ids": groups,
                    "instance_state": state,
                    "tags": tags(i, &["tagSet"], "key", "value"),
                });
                if let Some(key) = text(i, &["keyName"]) {
                    attributes["key_name"] = Value::String(key);
                }
                let id = text(i, &["instanceId"]).unwrap_or_default();
                out.push(resource("aws_instance", id, attributes, false));
            }
        },
    )
}

fn vpcs(inv: &AwsInventory, region: &str) -> Result<Vec<LiveResource>> {
    ec2_list(inv, region, "DescribeVpcs", "vpcSet", |v, out| {
        let default = text(v, &["isDefault"]).as_deref() == Some("true");
        let attributes = json!({
            "cidr_block": string(v, &["cidrBlock"]),
            "instance_tenancy": string(v, &["instanceTenancy"]),
            "tags": tags(v, &["tagSet"], "key", "value"),
        });
        let id = text(v, &["vpcId"]).unwrap_or_default();
        let t = kind(default, "aws_default_vpc", "aws_vpc");
        out.push(resource(t, id, attributes, default));
    })
}

fn subnets(inv: &AwsInventory, region: &str) -> Result<Vec<LiveResource>> {
    ec2_list(inv, region, "DescribeSubnets", "subnetSet", |s, out| {
        let default = text(s, &["defaultForAz"]).as_deref() == Some("true");
        let attributes = json!({
            "vpc_id": string(s, &["vpcId"]),
            "cidr_block": string(s, &["cidrBlock"]),
            "availability_zone": string(s, &["availabilityZone"]),
            "map_public_ip_on_launch": boolean(s, &["mapPublicIpOnLaunch"]),
            "tags": tags(s, &["tagSet"], "key", "value"),
        });
        let id = text(s, &["subnetId"]).unwrap_or_default();
        let t = kind(default, "aws_default_subnet", "aws_subnet");
        out.push(resource(t, id, attributes, default));
    })
}

/// An `ipPermissions` list as the provider's `ingress` or `egress` set:
/// one rule per permission and description, its own group as `self`.
fn permissions(group: Node<'_, '_>, list: &str, own_id: &str) -> Value {
    let mut rules = Vec::new();
    for p in items(group, &[list]) {
        let protocol = text(p, &["ipProtocol"]).unwrap_or_default();
        let all = protocol == "-1";
        let port = |name: &str| if all { json!(0) } else { number(p, &[name]) };
        let mut by_description: std::collections::BTreeMap<String, Map<String, Value>> =
            Default::default();
        let mut add = |description: Option<String>, field: &str, value: Value| {
            let rule = by_description
                .entry(description.unwrap_or_default())
                .or_default();
            match (field, value) {
                ("self", _) => {
                    rule.insert("self".into(), Value::Bool(true));
                }
                (field, value) => {
                    if let Value::Array(list) = rule.entry(field).or_insert_with(|| json!([])) {
                        list.push(value);
                    }
                }
            }
        };
        for r in items(p, &["ipRanges"]) {
            add(
                text(r, &["description"]),
                "cidr_blocks",
                string(r, &["cidrIp"]),
            );
        }
        for r in items(p, &["ipv6Ranges"]) {
            add(
                text(r, &["description"]),
                "ipv6_cidr_blocks",
                string(r, &["cidrIpv6"]),
            );
        }
        for r in items(p, &["prefixListIds"]) {
            add(
                text(r, &["description"]),
                "prefix_list_ids",
                string(r, &["prefixListId"]),
            );
        }
        for r in items(p, &["groups"]) {
            let id = text(r, &["groupId"]).unwrap_or_default();
            if id == own_id {
                add(text(r, &["description"]), "self", Value::Null);
            } else {
                add(
                    text(r, &["description"]),
                    "security_groups",
                    Value::String(id),
                );
            }
        }
        for (description, sources) in by_description {
            let mut rule = json!({
                "protocol": protocol,
                "from_port": port("fromPort"),
                "to_port": port("toPort"),
                "description": description,
                "cidr_blocks": [],
                "ipv6_cidr_blocks": [],
                "prefix_list_ids": [],
                "security_groups": [],
                "self": false,
            });
            for (k, v) in sources {
                rule[k] = v;
            }
            rules.push(rule);
        }
    }
    Value::Array(rules)
}

fn security_groups(inv: &AwsInventory, region: &str) -> Result<Vec<LiveResource>> {
    ec2_list(
        inv,
        region,
        "DescribeSecurityGroups",
        "securityGroupInfo",
        |g, out| {
            let id = text(g, &["groupId"]).unwrap_or_default();
            let name = text(g, &["groupName"]).unwrap_or_default();
            let default = name == "default";
            let attributes = json!({
                "name": name,
                "description": string(g, &["groupDescription"]),
                "vpc_id": string(g, &["vpcId"]),
                "ingress": permissions(g, "ipPermissions", &id),
                "egress": permissions(g, "ipPermissionsEgress", &id),
                "tags": tags(g, &["tagSet"], "key", "value"),
            });
            let t = kind(default, "aws_default_security_group", "aws_security_group");
            out.push(resource(t, id, attributes, default));
        },
    )
}

fn security_group_rules(inv: &AwsInventory, region: &str) -> Result<Vec<LiveResource>> {
    // A default group's rules are the cloud's, like the group.
    let defaults: std::collections::BTreeSet<String> = security_groups(inv, region)?
        .into_iter()
        .filter(|g| g.default)
        .map(|g| g.id)
        .collect();
    ec2_list(
        inv,
        region,
        "DescribeSecurityGroupRules",
        "securityGroupRuleSet",
        |r, out| {
            let group = text(r, &["groupId"]).unwrap_or_default();
            let protocol = text(r, &["ipProtocol"]).unwrap_or_default();
            let all = protocol == "-1";
            let port = |name: &str| if all { Value::Null } else { number(r, &[name]) };
            let attributes = json!({
                "security_group_id": group,
                "ip_protocol": protocol,
                "from_port": port("fromPort"),
                "to_port": port("toPort"),
                "cidr_ipv4": string(r, &["cidrIpv4"]),
                "cidr_ipv6": string(r, &["cidrIpv6"]),
                "prefix_list_id": string(r, &["prefixListId"]),
                "referenced_security_group_id": string(r, &["referencedGroupInfo", "groupId"]),
                "description": string(r, &["description"]),
                "tags": tags(r, &["tagSet"], "key", "value"),
            });
            let egress = text(r, &["isEgress"]).as_deref() == Some("true");
            let t = kind(
                egress,
                "aws_vpc_security_group_egress_rule",
                "aws_vpc_security_group_ingress_rule",
            );
            let id = text(r, &["securityGroupRuleId"]).unwrap_or_default();
            let mut live = resource(t, id, attributes, defaults.contains(&group));
            live.parent = Some(format!("aws_security_group.{group}"));
            out.push(live);
        },
    )
}

/// A URL-encoded policy document (as IAM answers) decoded.
fn policy_document(node: Node<'_, '_>, path: &[&str]) -> Value {
    match text(node, path) {
        Some(t) => Value::String(percent_decode(&t)),
        None => Value::Null,
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn iam_pages(
    inv: &AwsInventory,
    action: &str,
    params: &[(&str, &str)],
    page: impl FnMut(Node<'_, '_>),
) -> Result<()> {
    let paged = Paged {
        service: "iam",
        version: IAM,
        action,
        params,
        token: ("Marker", "Marker"),
    };
    pages(inv, "us-east-1", paged, page)
}

fn roles(inv: &AwsInventory) -> Result<Vec<LiveResource>> {
    let mut out = Vec::new();
    iam_pages(
        inv,
        "ListRoles",
        &[("MaxItems", &inv.page(1, 1000))],
        |root| {
            for r in items(root, &["ListRolesResult", "Roles"]) {
                let name = text(r, &["RoleName"]).unwrap_or_default();
                let path = text(r, &["Path"]).unwrap_or_default();
                // Service-linked roles are made by AWS services, not by anyone.
                let default = path.starts_with("/aws-service-role/");
                let attributes = json!({
                    "name": name,
                    "arn": string(r, &["Arn"]),
                    "path": path,
                    "description": string(r, &["Description"]),
                    "max_session_duration": number(r, &["MaxSessionDuration"]),
                    "assume_role_policy": policy_document(r, &["AssumeRolePolicyDocument"]),
                    "unique_id": string(r, &["RoleId"]),
                });
                out.push(resource("aws_iam_role", name, attributes, default));
            }
        },
    )?;
    Ok(out)
}

fn users(inv: &AwsInventory) -> Result<Vec<LiveResource>> {
    let mut out = Vec::new();
    iam_pages(
        inv,
        "ListUsers",
        &[("MaxItems", &inv.page(1, 1000))],
        |root| {
            for u in items(root, &["ListUsersResult", "Users"]) {
                let name = text(u, &["UserName"]).unwrap_or_default();
                let attributes = json!({
                    "name": name,
                    "arn": string(u, &["Arn"]),
                    "path": string(u, &["Path"]),
                    "unique_id": string(u, &["UserId"]),
                });
                out.push(resource("aws_iam_user", name, attributes, false));
            }
        },
    )?;
    Ok(out)
}

fn policies(inv: &AwsInventory) -> Result<Vec<LiveResource>> {
    let mut listed = Vec::new();
    iam_pages(
        inv,
        "ListPolicies",
        &[("Scope", "Local"), ("MaxItems", &inv.page(1, 1000))],
        |root| {
            for p in items(root, &["ListPoliciesResult", "Policies"]) {
                let arn = text(p, &["Arn"]).unwrap_or_default();
                let version = text(p, &["DefaultVersionId"]).unwrap_or_default();
                let attributes = json!({
                    "name": string(p, &["PolicyName"]),
                    "arn": arn,
                    "path": string(p, &["Path"]),
                    "description": string(p, &["Description"]),
                    "policy_id": string(p, &["PolicyId"]),
                });
                listed.push((resource("aws_iam_policy", arn, attributes, false), version));
            }
        },
    )?;
    // The document is the default version's: one more call each.
    inv.each(&listed, |(policy, version)| {
        let call = Call::Query {
            service: "iam",
            version: IAM,
            action: "GetPolicyVersion",
            params: vec![
                ("PolicyArn".into(), policy.id.clone()),
                ("VersionId".into(), version.clone()),
            ],
        };
        let mut policy = policy.clone();
        if let Some(body) = inv.xml("us-east-1", &call, &["NoSuchEntity"])? {
            let doc = parse(&body, "GetPolicyVersion")?;
            let document = policy_document(
                doc.root_element(),
                &["GetPolicyVersionResult", "PolicyVersion", "Document"],
            );
            policy.attributes.insert("policy".into(), document);
        }
        Ok(policy)
    })
}

fn db_instances(inv: &AwsInventory, region: &str) -> Result<Vec<LiveResource>> {
    let mut out = Vec::new();
    let paged = Paged {
        service: "rds",
        version: RDS,
        action: "DescribeDBInstances",
        params: &[("MaxRecords", &inv.page(20, 100))],
        token: ("Marker", "Marker"),
    };
    pages(inv, region, paged, |root| {
        for d in items(root, &["DescribeDBInstancesResult", "DBInstances"]) {
            let resource_id = text(d, &["DbiResourceId"]).unwrap_or_default();
            let attributes = json!({
                "identifier": string(d, &["DBInstanceIdentifier"]),
                "arn": string(d, &["DBInstanceArn"]),
                "resource_id": resource_id,
                "engine": string(d, &["Engine"]),
                "engine_version": string(d, &["EngineVersion"]),
                "instance_class": string(d, &["DBInstanceClass"]),
                "allocated_storage": number(d, &["AllocatedStorage"]),
                "storage_encrypted": boolean(d, &["StorageEncrypted"]),
                "publicly_accessible": boolean(d, &["PubliclyAccessible"]),
                "multi_az": boolean(d, &["MultiAZ"]),
                "db_name": string(d, &["DBName"]),
                "username": string(d, &["MasterUsername"]),
                "tags": tags(d, &["TagList"], "Key", "Value"),
            });
            out.push(resource("aws_db_instance", resource_id, attributes, false));
        }
    })?;
    Ok(out)
}

/// Every bucket in the configured regions, with its region; listed once.
fn bucket_regions(inv: &AwsInventory) -> Result<Vec<(String, String)>> {
    let mut cached = inv.buckets.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(b) = &*cached {
        return Ok(b.clone());
    }
    let home = inv.regions()[0].clone();
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = vec![("max-buckets".to_string(), inv.page(1, 10_000))];
        if let Some(t) = &token {
            query.push(("continuation-token".into(), t.clone()));
        }
        let call = Call::S3 {
            bucket: None,
            query,
        };
        let body = inv.xml(&home, &call, &[])?.unwrap_or_default();
        let doc = parse(&body, "ListBuckets")?;
        let root = doc.root_element();
        names.extend(
            items(root, &["Buckets"])
                .into_iter()
                .filter_map(|b| text(b, &["Name"])),
        );
        token = text(root, &["ContinuationToken"]).filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    let located = inv.each(&names, |name| {
        let call = Call::S3 {
            bucket: Some(name),
            query: vec![("location".into(), String::new())],
        };
        let body = inv.xml(&home, &call, &[])?.unwrap_or_default();
        let doc = parse(&body, "GetBucketLocation")?;
        let region = doc
            .root_element()
            .text()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| if t == "EU" { "eu-west-1" } else { t })
            .unwrap_or("us-east-1")
            .to_string();
        Ok((name.clone(), region))
    })?;
    let mine: Vec<(String, String)> = located
        .into_iter()
        .filter(|(_, region)| inv.regions().contains(region))
        .collect();
    *cached = Some(mine.clone());
    Ok(mine)
}

fn buckets(inv: &AwsInventory) -> Result<Vec<LiveResource>> {
    let all = bucket_regions(inv)?;
    inv.each(&all, |(name, region)| {
        let call = Call::S3 {
            bucket: Some(name),
            query: vec![("tagging".into(), String::new())],
        };
        let tag_map = match inv.xml(region, &call, &["NoSuchTagSet", "NoSuchTagSetError"])? {
            Some(body) => {
                let doc = parse(&body, "GetBucketTagging")?;
                tags(doc.root_element(), &["TagSet"], "Key", "Value")
            }
            None => json!({}),
        };
        let attributes = json!({
            "bucket": name,
            "arn": format!("arn:aws:s3:::{name}"),
            "tags": tag_map,
        });
        Ok(resource("aws_s3_bucket", name.clone(), attributes, false))
    })
}

/// One S3 setting's resource for every bucket that has it: `read` asks
/// for the setting and maps it, `None` when the bucket has none.
fn bucket_settings(
    inv: &AwsInventory,
    read: fn(&AwsInventory, &str, &str) -> Result<Option<LiveResource>>,
) -> Result<Vec<LiveResource>> {
    let all = bucket_regions(inv)?;
    Ok(inv
        .each(&all, |(name, region)| read(inv, name, region))?
        .into_iter()
        .flatten()
        .collect())
}

fn bucket_get(
    inv: &AwsInventory,
    name: &str,
    region: &str,
    sub: &str,
    missing: &[&str],
) -> Result<Option<String>> {
    let call = Call::S3 {
        bucket: Some(name),
        query: vec![(sub.into(), String::new())],
    };
    inv.xml(region, &call, missing)
}

fn versioning(inv: &AwsInventory, name: &str, region: &str) -> Result<Option<LiveResource>> {
    let Some(body) = bucket_get(inv, name, region, "versioning", &[])? else {
        return Ok(None);
    };
    let doc = parse(&body, "GetBucketVersioning")?;
    let root = doc.root_element();
    // A bucket whose versioning was never set answers without a status.
    let Some(status) = text(root, &["Status"]) else {
        return Ok(None);
    };
    let mut configuration = json!({ "status": status });
    if let Some(mfa) = text(root, &["MfaDelete"]) {
        configuration["mfa_delete"] = Value::String(mfa);
    }
    let attributes = json!({ "bucket": name, "versioning_configuration": [configuration] });
    Ok(Some(resource(
        "aws_s3_bucket_versioning",
        name.into(),
        attributes,
        false,
    )))
}

fn encryption(inv: &AwsInventory, name: &str, region: &str) -> Result<Option<LiveResource>> {
    let missing = ["ServerSideEncryptionConfigurationNotFoundError"];
    let Some(body) = bucket_get(inv, name, region, "encryption", &missing)? else {
        return Ok(None);
    };
    let doc = parse(&body, "GetBucketEncryption")?;
    let rules: Vec<Value> = doc
        .root_element()
        .children()
        .filter(|n| n.tag_name().name() == "Rule")
        .map(|r| {
            let by_default = at(r, &["ApplyServerSideEncryptionByDefault"]).map(|d| {
                json!([{
                    "sse_algorithm": string(d, &["SSEAlgorithm"]),
                    "kms_master_key_id": string(d, &["KMSMasterKeyID"]),
                }])
            });
            json!({
                "apply_server_side_encryption_by_default": by_default.unwrap_or(json!([])),
                "bucket_key_enabled": boolean(r, &["BucketKeyEnabled"]),
            })
        })
        .collect();
    // Every bucket has had SSE-S3 since 2023: that default is nobody's setting.
    let aws_default = rules.len() == 1
        && rules[0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "AES256"
        && rules[0]["apply_server_side_encryption_by_default"][0]["kms_master_key_id"].is_null()
        && rules[0]["bucket_key_enabled"] != json!(true);
    let attributes = json!({ "bucket": name, "rule": rules });
    Ok(Some(resource(
        "aws_s3_bucket_server_side_encryption_configuration",
        name.into(),
        attributes,
        aws_default,
    )))
}

fn public_access_block(
    inv: &AwsInventory,
    name: &str,
    region: &str,
) -> Result<Option<LiveResource>> {
    let missing = ["NoSuchPublicAccessBlockConfiguration"];
    let Some(body) = bucket_get(inv, name, region, "publicAccessBlock", &missing)? else {
        return Ok(None);
    };
    let doc = parse(&body, "GetPublicAccessBlock")?;
    let c = doc.root_element();
    let attributes = json!({
        "bucket": name,
        "block_public_acls": boolean(c, &["BlockPublicAcls"]),
        "block_public_policy": boolean(c, &["BlockPublicPolicy"]),
        "ignore_public_acls": boolean(c, &["IgnorePublicAcls"]),
        "restrict_public_buckets": boolean(c, &["RestrictPublicBuckets"]),
    });
    Ok(Some(resource(
        "aws_s3_bucket_public_access_block",
        name.into(),
        attributes,
        false,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_documents_are_url_decoded() {
        assert_eq!(
            percent_decode("%7B%22Version%22%3A%20%222012-10-17%22%7D"),
            r#"{"Version": "2012-10-17"}"#
        );
        assert_eq!(percent_decode("100%"), "100%");
    }
}
