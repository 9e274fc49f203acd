//! What the lexical index reads of a chunk: its names, what the provider
//! documentation says it is, its text, and the descriptions of the inputs
//! its summary quotes, each with its own weight.

use crate::chunk::{about_block, split_inputs, Chunk};
use crate::terms::{for_each_term, TermKind};

/// A name word (of the address, labels, headings, nearby directories)
/// counts this many body words: "the bucket's lifecycle" should find
/// `aws_s3_bucket_lifecycle_configuration` before a block that merely
/// mentions both words.
const NAMES: f32 = 3.0;
/// What a block is, in the provider's words, and the spelled-out forms of
/// its abbreviations (`db`: database).
const KNOWLEDGE: f32 = 3.0;
const BODY: f32 = 1.0;
/// The descriptions of the variables a block reads, quoted in its summary:
/// they describe the variable, and the block only through it. At a body
/// word's weight they lifted blocks that merely take a KMS key above the
/// one that encrypts with it.
const INPUTS: f32 = 0.5;

/// The chunk's fields as `(text, weight)`, for [`super::lexical::Lexical`].
pub(super) fn of(chunk: &Chunk) -> Vec<(String, f32)> {
    let names = names(chunk);
    let mut knowledge = String::new();
    if let Some(about) = about_block(
        chunk.block_type.as_deref(),
        chunk.labels.first().map(String::as_str),
    ) {
        knowledge.push_str(&about);
    }
    let mut seen: Vec<String> = Vec::new();
    for_each_term(&names, |term, kind| {
        if kind == TermKind::Compound || seen.iter().any(|s| s == term) {
            return;
        }
        seen.push(term.to_string());
        if let Some(words) = spelled_out(term) {
            knowledge.push(' ');
            knowledge.push_str(&words);
        }
    });
    let (summary, inputs) = split_inputs(&chunk.summary);
    let body = format!("{}\n{summary}", chunk.text);
    let mut fields = vec![(names, NAMES), (knowledge, KNOWLEDGE), (body, BODY)];
    if !inputs.is_empty() {
        fields.push((inputs.to_string(), INPUTS));
    }
    fields
}

/// The names a chunk goes by: its address or labels, its headings, and
/// the two directories and file name nearest it
/// (`modules/iam-group/main.tf`).
fn names(chunk: &Chunk) -> String {
    let mut out = String::new();
    match &chunk.address {
        Some(address) => out.push_str(address),
        None => out.push_str(&chunk.labels.join(" ")),
    }
    for heading in &chunk.heading_path {
        out.push(' ');
        out.push_str(heading);
    }
    let place: Vec<&str> = chunk.path.rsplit(['/', '\\']).take(3).collect();
    for part in place.iter().rev() {
        out.push(' ');
        out.push_str(part.rsplit_once('.').map_or(part, |(stem, _)| stem));
    }
    out
}

/// The words an abbreviation in an identifier stands for: the provider
/// documentation's categories spell out their services (`RDS (Relational
/// Database)`), and [`ABBREVIATIONS`] the short forms Terraform names use.
fn spelled_out(part: &str) -> Option<String> {
    if let Ok(i) = ABBREVIATIONS.binary_search_by(|(a, _)| a.cmp(&part)) {
        return Some(ABBREVIATIONS[i].1.to_string());
    }
    categories::spelled_out(part)
}

/// Short forms in resource types and module variables, sorted, with what
/// they stand for in the words people ask with.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("acl", "access control list firewall"),
    ("alb", "application load balancer"),
    ("ami", "machine image"),
    ("arn", "amazon resource name identifier"),
    ("asg", "auto scaling group"),
    ("az", "availability zone"),
    ("azs", "availability zones"),
    ("cidr", "address range"),
    ("cmk", "customer managed key"),
    ("cni", "container network interface"),
    ("csi", "container storage interface driver"),
    ("db", "database"),
    ("dhcp", "dns domain name servers"),
    ("dns", "domain name"),
    ("ebs", "elastic block store volume disk"),
    ("eip", "elastic ip address"),
    ("id", "identifier"),
    ("igw", "internet gateway"),
    ("ipam", "ip address manager"),
    ("irsa", "iam role service account"),
    ("k8s", "kubernetes"),
    ("lb", "load balancer"),
    ("mfa", "multi factor authentication"),
    ("nacl", "network access control list"),
    ("nat", "network address translation"),
    ("nlb", "network load balancer"),
    ("oidc", "openid connect identity provider"),
    ("sg", "security group firewall"),
    ("sse", "server side encryption"),
    ("ssm", "systems manager parameter"),
    ("sso", "single sign on"),
    ("tgw", "transit gateway"),
];

#[cfg(feature = "providers")]
mod categories {
    use std::collections::HashMap;
    use std::sync::OnceLock;

    /// `rds` → `relational database`, from every category of the form
    /// `ABBREVIATION (Words)` that the providers' documentation uses.
    pub(super) fn spelled_out(part: &str) -> Option<String> {
        static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
        TABLE
            .get_or_init(|| {
                let mut table = HashMap::new();
                for name in crate::providers::NAMES {
                    let Some(provider) = crate::providers::provider(name) else {
                        continue;
                    };
                    let infos = provider.resources.values();
                    for info in infos.chain(provider.data_sources.values()) {
                        if let Some((short, long)) = info.category.as_deref().and_then(split) {
                            table.entry(short).or_insert(long);
                        }
                    }
                }
                table
            })
            .get(part)
            .cloned()
    }

    /// `KMS (Key Management)` → (`kms`, `key management`); `None` unless
    /// the part before the brackets is one upper-case word.
    fn split(category: &str) -> Option<(String, String)> {
        let (short, rest) = category.split_once(" (")?;
        let long = rest.strip_suffix(')')?;
        let upper = short
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        (upper && short.len() >= 2 && !long.contains('(')).then(|| {
            (
                short.to_ascii_lowercase(),
                long.to_lowercase().replace('&', "and"),
            )
        })
    }

    #[cfg(test)]
    #[test]
    fn categories_spell_out_services() {
        assert_eq!(spelled_out("rds").as_deref(), Some("relational database"));
        assert_eq!(spelled_out("kms").as_deref(), Some("key management"));
        assert_eq!(split("Route 53"), None);
        assert_eq!(split("EBS (EC2)").map(|s| s.1), Some("ec2".into()));
    }
}

#[cfg(not(feature = "providers"))]
mod categories {
    pub(super) fn spelled_out(_part: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{ChunkConfig, Chunker};

    #[test]
    fn abbreviations_are_sorted() {
        assert!(ABBREVIATIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_block_is_named_and_spelled_out() {
        let chunker = Chunker::new(ChunkConfig::new(400)).unwrap();
        let chunks = chunker.chunk_file(
            "rds/modules/db_instance/main.tf",
            "resource \"aws_db_instance\" \"this\" {\n  engine = \"postgres\"\n}\n",
        );
        let fields = of(&chunks[0]);
        assert_eq!(fields[0].0, "aws_db_instance.this modules db_instance main");
        assert!(fields[1].0.contains("database"), "{:?}", fields[1]);
        #[cfg(feature = "providers")]
        assert!(
            fields[1]
                .0
                .starts_with("RDS (Relational Database): Provides an RDS instance"),
            "{:?}",
            fields[1]
        );
        assert!(fields[2].0.starts_with("resource \"aws_db_instance\""));
    }
}
