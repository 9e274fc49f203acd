//! What infrarag knows of the aws, azurerm and google providers without
//! running them: every resource and data-source type, its schema, and the
//! description and category its documentation gives.
//!
//! The data is compiled in (`data/*.json.gz`, written by
//! `tests/oracles/provider_schemas.py` from the corpus's provider schemas
//! and docs). A provider's type names, descriptions and categories are
//! decoded the first time it is asked for; each type's schema the first
//! time that schema is.
//!
//! ```
//! use infrarag::providers;
//!
//! let aws = providers::provider("aws").unwrap();
//! assert_eq!(aws.version, "6.25.0");
//! let bucket = aws.resource("aws_s3_bucket").unwrap();
//! assert!(bucket.schema().attributes["bucket"].settable());
//! assert_eq!(providers::for_type("aws_kms_key").unwrap().name, "aws");
//! ```

use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::OnceLock;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use crate::error::Error;

/// The providers described, by local name.
pub const NAMES: [&str; 3] = ["aws", "azurerm", "google"];

const DATA: [&[u8]; 3] = [
    include_bytes!("data/aws.json.gz"),
    include_bytes!("data/azurerm.json.gz"),
    include_bytes!("data/google.json.gz"),
];

/// The sizes of the embedded data, compressed, in [`NAMES`]' order: a cheap
/// mark of which data this build holds, read without decoding it.
pub(crate) fn data_sizes() -> [usize; 3] {
    DATA.map(<[u8]>::len)
}

/// One provider: its types and the versions the data describes.
#[derive(Debug)]
pub struct Provider {
    /// Local name: `aws`.
    pub name: String,
    /// `registry.terraform.io/hashicorp/aws`.
    pub source: String,
    /// The provider version the schemas are of.
    pub version: String,
    /// The provider version the descriptions were taken from (aws's are
    /// older: types added since have a schema but no description).
    pub docs_version: String,
    /// Resource types by name.
    pub resources: BTreeMap<String, TypeInfo>,
    /// Data source types by name (without `data.`).
    pub data_sources: BTreeMap<String, TypeInfo>,
}

/// A resource or data-source type.
#[derive(Debug)]
pub struct TypeInfo {
    /// What the documentation says it is.
    pub description: Option<String>,
    /// The documentation's category (`S3 (Simple Storage)`).
    pub category: Option<String>,
    /// The schema's JSON, decoded by [`TypeInfo::schema`] when first asked:
    /// a command that validates a few resources reads a few of the
    /// provider's 2,000 schemas, and decoding them all cost 20 ms.
    raw: &'static RawValue,
    schema: OnceLock<Block>,
}

impl TypeInfo {
    /// Its arguments and blocks.
    pub fn schema(&self) -> &Block {
        self.schema.get_or_init(|| {
            serde_json::from_str(self.raw.get()).expect("embedded provider schema matches Block")
        })
    }
}

/// The embedded JSON of a provider, the schemas left undecoded.
#[derive(Deserialize)]
struct RawProvider<'a> {
    provider: String,
    source: String,
    version: String,
    docs: String,
    #[serde(borrow)]
    resources: BTreeMap<String, RawType<'a>>,
    #[serde(borrow)]
    data_sources: BTreeMap<String, RawType<'a>>,
}

#[derive(Deserialize)]
struct RawType<'a> {
    #[serde(default)]
    d: Option<String>,
    #[serde(default)]
    c: Option<String>,
    #[serde(borrow)]
    s: &'a RawValue,
}

impl From<RawType<'static>> for TypeInfo {
    fn from(t: RawType<'static>) -> Self {
        TypeInfo {
            description: t.d,
            category: t.c,
            raw: t.s,
            schema: OnceLock::new(),
        }
    }
}

/// The body of a resource, a data source or a nested block.
#[derive(Debug, Default, Deserialize)]
pub struct Block {
    /// Attributes by name.
    #[serde(rename = "a", default)]
    pub attributes: BTreeMap<String, Attribute>,
    /// Nested block types by name.
    #[serde(rename = "b", default)]
    pub blocks: BTreeMap<String, NestedBlock>,
}

/// An attribute: whether configuration may or must set it, and its type in
/// Terraform's JSON type notation (`"string"`, `["list","string"]`).
#[derive(Debug)]
pub struct Attribute {
    /// Configuration must set it.
    pub required: bool,
    /// Configuration may set it.
    pub optional: bool,
    /// The provider may decide it.
    pub computed: bool,
    /// Terraform's type notation.
    pub ty: serde_json::Value,
}

impl Attribute {
    /// Whether configuration may set it (required or optional).
    pub fn settable(&self) -> bool {
        self.required || self.optional
    }
}

impl<'de> Deserialize<'de> for Attribute {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (flags, ty): (String, serde_json::Value) = Deserialize::deserialize(d)?;
        let (required, optional, computed) = match flags.as_str() {
            "r" => (true, false, false),
            "o" => (false, true, false),
            "oc" => (false, true, true),
            "c" => (false, false, true),
            other => return Err(de::Error::custom(format!("attribute flags {other:?}"))),
        };
        Ok(Attribute {
            required,
            optional,
            computed,
            ty,
        })
    }
}

/// How a nested block repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one, no labels.
    Single,
    /// A sequence of blocks.
    List,
    /// An unordered set of blocks.
    Set,
    /// Blocks with one label each, keyed by it.
    Map,
    /// A block whose body the schema does not describe: anything goes.
    Opaque,
}

/// A nested block type.
#[derive(Debug)]
pub struct NestedBlock {
    /// How it repeats.
    pub nesting: Nesting,
    /// The fewest blocks allowed.
    pub min_items: u32,
    /// The most blocks allowed, when limited.
    pub max_items: Option<u32>,
    /// Its body.
    pub block: Block,
}

impl<'de> Deserialize<'de> for NestedBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (nesting, min_items, max_items, block): (String, u32, u32, Block) =
            Deserialize::deserialize(d)?;
        let nesting = match nesting.as_str() {
            "single" => Nesting::Single,
            "list" => Nesting::List,
            "set" => Nesting::Set,
            "map" => Nesting::Map,
            "opaque" => Nesting::Opaque,
            other => return Err(de::Error::custom(format!("nesting mode {other:?}"))),
        };
        let max_items = match (nesting, max_items) {
            (Nesting::Single, _) => Some(1),
            (_, 0) => None,
            (_, n) => Some(n),
        };
        Ok(NestedBlock {
            nesting,
            min_items,
            max_items,
            block,
        })
    }
}

impl Provider {
    /// A resource type.
    pub fn resource(&self, name: &str) -> Option<&TypeInfo> {
        self.resources.get(name)
    }

    /// A data-source type (the name without `data.`).
    pub fn data_source(&self, name: &str) -> Option<&TypeInfo> {
        self.data_sources.get(name)
    }

    /// `hashicorp/aws`, as Terraform names the provider in messages.
    pub fn short_source(&self) -> &str {
        self.source
            .strip_prefix("registry.terraform.io/")
            .unwrap_or(&self.source)
    }
}

/// A provider by local name (`aws`, `azurerm`, `google`), decoded on first
/// use.
pub fn provider(name: &str) -> Option<&'static Provider> {
    static TEXT: [OnceLock<String>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    static DECODED: [OnceLock<Provider>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let i = NAMES.iter().position(|n| *n == name)?;
    Some(DECODED[i].get_or_init(|| decode(TEXT[i].get_or_init(|| inflate(DATA[i])))))
}

/// The provider a resource or data-source type name belongs to, by its
/// prefix, as Terraform infers it when no `provider` argument says
/// otherwise.
pub fn for_type(type_name: &str) -> Option<&'static Provider> {
    provider(type_name.split('_').next()?)
}

/// What the documentation says a resource type (`aws_kms_key`) or data
/// source (`data.aws_ami`) is, in one line: its category and description.
/// `None` for a type no embedded provider has, or one without either.
///
/// ```
/// let about = infrarag::providers::about("aws_db_instance").unwrap();
/// assert!(about.starts_with("RDS (Relational Database): Provides an RDS instance resource."));
/// ```
pub fn about(name: &str) -> Option<String> {
    let info = match name.strip_prefix("data.") {
        Some(t) => for_type(t)?.data_source(t)?,
        None => for_type(name)?.resource(name)?,
    };
    match (&info.category, &info.description) {
        (Some(c), Some(d)) => Some(format!("{c}: {d}")),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    }
}

/// A resource type (`aws_s3_bucket`) or data source (`data.aws_ami`) as
/// JSON: its provider and versions, description, category, and schema
/// (`attributes`: name → `required`, `optional`, `computed`, `type`;
/// `blocks`: name → `nesting`, `min_items`, `max_items` and the same
/// again). An unknown name is an [`Error::InvalidArgument`] naming the
/// nearest known ones.
///
/// ```
/// let kms = infrarag::providers::describe("aws_kms_key").unwrap();
/// assert_eq!(kms["category"], "KMS (Key Management)");
/// assert_eq!(kms["attributes"]["enable_key_rotation"]["optional"], true);
/// ```
pub fn describe(name: &str) -> crate::Result<serde_json::Value> {
    let (data, type_name) = match name.strip_prefix("data.") {
        Some(t) => (true, t),
        None => (false, name),
    };
    let unknown = |message: String| Error::InvalidArgument {
        name: "type".into(),
        message,
    };
    let provider = for_type(type_name).ok_or_else(|| {
        unknown(format!(
            "{name:?} belongs to no embedded provider (they are {})",
            NAMES.join(", ")
        ))
    })?;
    let types = if data {
        &provider.data_sources
    } else {
        &provider.resources
    };
    let info = types.get(type_name).ok_or_else(|| {
        let near = crate::validate::suggestion(type_name, types.keys().map(String::as_str));
        let what = if data { "data source" } else { "resource type" };
        unknown(match near {
            Some(n) => format!(
                "{} {} has no {what} {type_name:?}; did you mean {n:?}?",
                provider.short_source(),
                provider.version
            ),
            None => format!(
                "{} {} has no {what} {type_name:?}",
                provider.short_source(),
                provider.version
            ),
        })
    })?;
    let mut out = block_json(info.schema());
    let fields = [
        ("type", json!(type_name)),
        ("kind", json!(if data { "data" } else { "resource" })),
        ("provider", json!(provider.name)),
        ("source", json!(provider.source)),
        ("version", json!(provider.version)),
        ("docs_version", json!(provider.docs_version)),
        ("description", json!(info.description)),
        ("category", json!(info.category)),
    ];
    for (k, v) in fields {
        out[k] = v;
    }
    Ok(out)
}

fn block_json(b: &Block) -> serde_json::Value {
    let attributes: serde_json::Map<String, serde_json::Value> = b
        .attributes
        .iter()
        .map(|(n, a)| {
            let v = json!({"required": a.required, "optional": a.optional, "computed": a.computed, "type": a.ty});
            (n.clone(), v)
        })
        .collect();
    let blocks: serde_json::Map<String, serde_json::Value> = b
        .blocks
        .iter()
        .map(|(n, nb)| {
            let mut v = block_json(&nb.block);
            v["nesting"] = json!(format!("{:?}", nb.nesting).to_lowercase());
            v["min_items"] = json!(nb.min_items);
            v["max_items"] = json!(nb.max_items);
            (n.clone(), v)
        })
        .collect();
    json!({"attributes": attributes, "blocks": blocks})
}

/// The embedded data is written by our own script and checked by tests
/// (every schema of it decodes); a failure here is a build defect, not bad
/// input.
fn inflate(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("embedded provider data is gzipped UTF-8");
    text
}

fn decode(text: &'static str) -> Provider {
    let raw: RawProvider<'static> =
        serde_json::from_str(text).expect("embedded provider data matches Provider");
    let types = |m: BTreeMap<String, RawType<'static>>| {
        m.into_iter().map(|(k, t)| (k, TypeInfo::from(t))).collect()
    };
    Provider {
        name: raw.provider,
        source: raw.source,
        version: raw.version,
        docs_version: raw.docs,
        resources: types(raw.resources),
        data_sources: types(raw.data_sources),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_decodes_with_its_counts() {
        // Counts from the corpus's provider-schemas/SOURCES.md.
        for (name, resources, data) in [
            ("aws", 1581, 630),
            ("azurerm", 1127, 399),
            ("google", 1096, 373),
        ] {
            let p = provider(name).unwrap();
            assert_eq!(
                (p.resources.len(), p.data_sources.len()),
                (resources, data),
                "{name}"
            );
            // Schemas are decoded when asked for; each one must decode.
            for info in p.resources.values().chain(p.data_sources.values()) {
                let _ = info.schema();
            }
        }
    }

    #[test]
    fn schemas_keep_flags_nesting_and_limits() {
        let aws = provider("aws").unwrap();
        let bucket = aws.resource("aws_s3_bucket").unwrap().schema();
        assert!(bucket.attributes["arn"].computed && !bucket.attributes["arn"].settable());
        let listener = aws.resource("aws_lb_listener").unwrap().schema();
        assert!(listener.attributes["load_balancer_arn"].required);
        assert_eq!(listener.blocks["default_action"].min_items, 1);
        let timeouts = &aws.resource("aws_db_instance").unwrap().schema().blocks["timeouts"];
        assert_eq!(
            (timeouts.nesting, timeouts.max_items),
            (Nesting::Single, Some(1))
        );
        let waf = &aws.resource("aws_wafv2_web_acl").unwrap().schema().blocks["rule"].block;
        assert_eq!(waf.blocks["statement"].nesting, Nesting::Opaque);
        assert!(for_type("kubernetes_namespace").is_none());
    }

    #[test]
    fn describe_names_versions_and_near_misses() {
        let ami = describe("data.aws_ami").unwrap();
        assert_eq!(
            (ami["kind"].as_str(), ami["version"].as_str()),
            (Some("data"), Some("6.25.0"))
        );
        assert_eq!(ami["blocks"]["filter"]["nesting"], "set");
        let err = describe("aws_s3_buckt").unwrap_err().to_string();
        assert!(err.contains("did you mean \"aws_s3_bucket\""), "{err}");
        assert!(describe("kubernetes_pod").is_err());
    }
}
