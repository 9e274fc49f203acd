//! What Terraform recorded as deployed and planned: state files (format
//! version 4), `terraform show -json` state and plan output (formats 0.1 to
//! 1.x) and the `terraform plan -json` message stream, read into typed
//! values with every sensitive value masked.
//!
//! A file that is not JSON fails with [`Error::Parse`] at its line and
//! column; JSON of the wrong shape names the JSON path that is wrong
//! (`resources[3].instances[0].index_key`); a version this library does not
//! read is refused, saying which it read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, DiagnosticCode, Pos, Span};
use crate::error::{Error, Result};

/// What a sensitive value reads as, wherever it would appear.
pub const SENSITIVE: &str = "(sensitive value)";

pub use crate::terraform::eval::{InstanceKey, Mode};

mod stream;

/// Which file a [`State`] was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StateFormat {
    /// A state file (`terraform.tfstate`, `terraform state pull`).
    File,
    /// `terraform show -json` of a state, or a plan's `prior_state`.
    Show,
}

/// Terraform state: every resource instance and output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct State {
    /// Which file it came from.
    pub format: StateFormat,
    /// The Terraform version that wrote it.
    pub terraform_version: Option<String>,
    /// The state file's serial (state files only).
    pub serial: Option<u64>,
    /// The state file's lineage (state files only).
    pub lineage: Option<String>,
    /// Root module outputs by name.
    pub outputs: BTreeMap<String, Output>,
    /// Every resource instance, in the file's order.
    pub instances: Vec<Instance>,
}

/// A root module output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    /// Its value; [`SENSITIVE`] when sensitive.
    pub value: Value,
    /// Whether it is declared sensitive.
    pub sensitive: bool,
}

/// One resource instance in state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Instance {
    /// Its full address (`module.net.aws_subnet.private["a"]`).
    pub address: String,
    /// Its module's address (`module.net`); `None` in the root module.
    pub module: Option<String>,
    /// Managed or data.
    pub mode: Mode,
    /// The resource type (`aws_subnet`).
    pub resource_type: String,
    /// The resource name (`private`).
    pub name: String,
    /// Its `count` or `for_each` key.
    pub index: Option<InstanceKey>,
    /// The provider configuration (`provider["registry.terraform.io/hashicorp/aws"]`
    /// in a state file, `registry.terraform.io/hashicorp/aws` in `show`).
    pub provider: String,
    /// The provider schema version of its attributes.
    pub schema_version: u64,
    /// Its attributes, each sensitive value replaced by [`SENSITIVE`].
    pub attributes: Value,
    /// The paths of its sensitive attributes (`password`, `input.password`,
    /// `ingress[0].cidr_blocks`).
    pub sensitive_paths: Vec<String>,
    /// Addresses it depends on.
    pub dependencies: Vec<String>,
    /// Whether it is tainted (to be replaced).
    pub tainted: bool,
    /// The deposed key of a deposed object, awaiting destruction.
    pub deposed: Option<String>,
}

impl State {
    /// Reads a state file or `terraform show -json` state from `path`.
    pub fn read(path: impl AsRef<Path>) -> Result<State> {
        read_with(path.as_ref(), State::parse)
    }

    /// [`read`](Self::read) of text; `path` names it in errors.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<State> {
        let doc = Doc { text, path };
        let header: Header = doc.decode()?;
        match (&header.version, &header.format_version) {
            (Some(v), _) => {
                doc.check_version(v)?;
                Ok(doc.decode::<FileState>()?.into_state())
            }
            (None, Some(f)) => {
                doc.check_format(f, "state")?;
                let mut secrets = Secrets::default();
                let mut state = doc.decode::<ShowState>()?.into_state(&mut secrets);
                secrets.scrub_state(&mut state);
                Ok(state)
            }
            (None, None) => Err(doc.unsupported(
                "neither a state file (no `version`) nor `terraform show -json` output \
                 (no `format_version`)"
                    .into(),
            )),
        }
    }
}

/// `terraform show -json` of a saved plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The JSON format version (`0.1` to `1.2`).
    pub format_version: String,
    /// The Terraform version that made the plan.
    pub terraform_version: Option<String>,
    /// What the plan will do to each resource instance.
    pub resource_changes: Vec<ResourceChange>,
    /// Changes made outside Terraform that refreshing found.
    pub resource_drift: Vec<ResourceChange>,
    /// What the plan will do to each root output.
    pub output_changes: BTreeMap<String, Change>,
    /// The state the plan was made from.
    pub prior_state: Option<State>,
    /// Resource attributes that contributed to the plan.
    pub relevant_attributes: Vec<RelevantAttribute>,
    /// The configuration, as Terraform renders it (no values).
    pub configuration: Option<Value>,
}

/// A planned or detected change to one resource instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    /// The instance's address.
    pub address: String,
    /// Its address before a `moved` block.
    pub previous_address: Option<String>,
    /// Its module's address; `None` in the root module.
    pub module: Option<String>,
    /// Managed or data.
    pub mode: Mode,
    /// The resource type.
    pub resource_type: String,
    /// The resource name.
    pub name: String,
    /// Its `count` or `for_each` key.
    pub index: Option<InstanceKey>,
    /// The provider (`registry.terraform.io/hashicorp/aws`).
    pub provider: String,
    /// The deposed key, for a change to a deposed object.
    pub deposed: Option<String>,
    /// The change.
    pub change: Change,
    /// Why Terraform chose the action (`replace_because_tainted`,
    /// `delete_because_count_index`, ...).
    pub action_reason: Option<String>,
}

/// A change to a value: the actions, and the value before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The actions, in order (`["delete", "create"]` replaces).
    pub actions: Vec<Action>,
    /// The value before; sensitive parts [`SENSITIVE`].
    pub before: Value,
    /// The value after, as far as known; sensitive parts [`SENSITIVE`].
    pub after: Value,
    /// Which parts of `after` are known only after apply (`true` leaves).
    pub after_unknown: Value,
    /// Attribute paths that force replacement.
    pub replace_paths: Vec<Value>,
}

impl Change {
    /// Whether the actions replace the object (delete and create, either
    /// order).
    pub fn is_replace(&self) -> bool {
        self.actions.contains(&Action::Delete) && self.actions.contains(&Action::Create)
    }
}

/// One planned action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Nothing changes.
    NoOp,
    /// Created.
    Create,
    /// Read (a data source).
    Read,
    /// Updated in place.
    Update,
    /// Destroyed.
    Delete,
    /// Removed from state, left in place (`removed` blocks).
    Forget,
}

/// A resource attribute that contributed to the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelevantAttribute {
    /// The resource's address.
    pub resource: String,
    /// The attribute's path, as steps.
    pub attribute: Vec<Value>,
}

impl Plan {
    /// Reads `terraform show -json PLANFILE` output from `path`.
    pub fn read(path: impl AsRef<Path>) -> Result<Plan> {
        read_with(path.as_ref(), Plan::parse)
    }

    /// [`read`](Self::read) of text; `path` names it in errors.
    pub fn parse(text: &str, path: Option<&Path>) -> Result<Plan> {
        let doc = Doc { text, path };
        let header: Header = doc.decode()?;
        let Some(format) = &header.format_version else {
            return Err(doc.unsupported(
                "not `terraform show -json` plan output: no `format_version`".into(),
            ));
        };
        doc.check_format(format, "plan")?;
        Ok(doc.decode::<ShowPlan>()?.into_plan(format))
    }
}

/// One message of `terraform plan -json` (or `apply -json`) that says what
/// changes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlanMessage {
    /// The Terraform version and UI format.
    Version {
        /// Terraform's version.
        terraform: String,
        /// The message format's version.
        ui: String,
    },
    /// A change the plan makes.
    PlannedChange(StreamChange),
    /// A change made outside Terraform that refreshing found.
    ResourceDrift(StreamChange),
    /// The plan's counts.
    ChangeSummary {
        /// Instances created.
        add: u64,
        /// Instances updated.
        change: u64,
        /// Instances destroyed.
        remove: u64,
        /// Instances imported.
        import: u64,
        /// `plan`, `apply` or `destroy`.
        operation: String,
    },
    /// What happens to each output (`create`, `update`, `noop`, `delete`).
    Outputs {
        /// Action by output name.
        actions: BTreeMap<String, String>,
    },
    /// An error or warning.
    Diagnostic {
        /// `error` or `warning`.
        severity: String,
        /// Its one-line summary.
        summary: String,
        /// Its detail.
        detail: String,
        /// The resource it is about, when one.
        address: Option<String>,
    },
}

/// A change as the message stream reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamChange {
    /// The instance's address.
    pub address: String,
    /// Its address before a `moved` block.
    pub previous_address: Option<String>,
    /// `create`, `update`, `delete`, `replace`, `read`, `noop`, `move`,
    /// `forget`, `import`.
    pub action: String,
    /// Why (`cannot_update`, `delete_because_each_key`, ...).
    pub reason: Option<String>,
}

impl PlanMessage {
    /// Reads the messages of a `terraform plan -json` stream from `path`,
    /// one JSON object per line; messages of other kinds (refresh progress,
    /// logs) are left out.
    pub fn read_stream(path: impl AsRef<Path>) -> Result<Vec<PlanMessage>> {
        read_with(path.as_ref(), PlanMessage::parse_stream)
    }

    /// [`read_stream`](Self::read_stream) of text; `path` names it in
    /// errors, and line numbers count from its first line.
    pub fn parse_stream(text: &str, path: Option<&Path>) -> Result<Vec<PlanMessage>> {
        let mut out = Vec::new();
        let mut offset = 0;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += line.len();
            if line.trim().is_empty() {
                continue;
            }
            let doc = Doc {
                text: line.trim_end(),
                path,
            };
            let raw: RawMessage = doc.decode().map_err(|e| at_line(e, i, start))?;
            if let Some(m) = raw.into_message() {
                out.push(m);
            }
        }
        Ok(out)
    }
}

/// Moves an error found in one line of a stream to that line of the file.
fn at_line(e: Error, line0: usize, start: usize) -> Error {
    match e {
        Error::Parse {
            path,
            mut diagnostics,
        } => {
            for d in &mut diagnostics {
                for p in [&mut d.span.start, &mut d.span.end] {
                    p.line += line0;
                    p.byte += start;
                }
            }
            Error::Parse { path, diagnostics }
        }
        other => other,
    }
}

/// `parse` of the text of the file at `path`.
fn read_with<T>(path: &Path, parse: impl FnOnce(&str, Option<&Path>) -> Result<T>) -> Result<T> {
    parse(&read_text(path)?, Some(path))
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    String::from_utf8(bytes).map_err(|e| Error::Parse {
        path: Some(path.to_path_buf()),
        diagnostics: vec![Diagnostic::error(
            DiagnosticCode::InvalidUtf8,
            Span::default(),
            format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        )],
    })
}

/// A JSON document being read, for errors that name it.
struct Doc<'a> {
    text: &'a str,
    path: Option<&'a Path>,
}

impl Doc<'_> {
    /// Decodes the whole text as `T`; a failure names the line, column
    /// and JSON path.
    fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        // Tracking the path costs a third of the time; only a failure
        // needs it, so a failure is decoded again with it.
        if let Ok(v) = serde_json::from_str(self.text) {
            return Ok(v);
        }
        let mut de = serde_json::Deserializer::from_str(self.text);
        let value = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| (e.path().to_string(), e.into_inner()))
            .and_then(|v| de.end().map(|()| v).map_err(|e| (".".to_string(), e)));
        value.map_err(|(path, inner)| self.json_error(&path, &inner))
    }

    /// `inner`, a JSON error found at the JSON path `path` (`.` for the
    /// document as a whole), at its line and column.
    fn json_error(&self, path: &str, inner: &serde_json::Error) -> Error {
        let at = Pos {
            byte: 0,
            line: inner.line().max(1),
            column: inner.column().max(1),
        };
        let message = if inner.is_syntax() || inner.is_eof() || path == "." {
            format!("invalid JSON: {inner}")
        } else {
            format!("at `{path}`: {inner}")
        };
        self.error(at, message, "Invalid JSON")
    }

    fn error(&self, at: Pos, message: String, summary: &str) -> Error {
        Error::Parse {
            path: self.path.map(PathBuf::from),
            diagnostics: vec![Diagnostic::error(
                DiagnosticCode::InvalidJson,
                Span { start: at, end: at },
                message,
            )
            .with_summary(summary)],
        }
    }

    /// An error about the document as a whole (its version or kind).
    fn unsupported(&self, message: String) -> Error {
        let at = Pos {
            byte: 0,
            line: 1,
            column: 1,
        };
        self.error(at, message, "Unsupported format")
    }

    /// Accepts a state file's format version 4.
    fn check_version(&self, v: &Value) -> Result<()> {
        match v.as_u64() {
            Some(4) => Ok(()),
            Some(v @ 0..=3) => Err(self.unsupported(format!(
                "state format version {v} is not read: it was written by Terraform \
                 before 0.12; upgrade it with `terraform state pull` from Terraform \
                 0.12 or later"
            ))),
            _ => Err(self.unsupported(format!(
                "state format version {v} is newer than the 4 this library reads"
            ))),
        }
    }

    /// Accepts `show -json` format versions 0.x and 1.x (a newer 1.x only
    /// adds fields, by Terraform's promise).
    fn check_format(&self, format: &str, kind: &str) -> Result<()> {
        let major = format.split('.').next().and_then(|m| m.parse::<u64>().ok());
        match major {
            Some(0 | 1) => Ok(()),
            Some(_) => Err(self.unsupported(format!(
                "{kind} JSON format_version {format} is newer than the 1.x this library reads"
            ))),
            None => Err(self.unsupported(format!(
                "{kind} JSON format_version {format:?} is not a version"
            ))),
        }
    }
}

/// The fields that say what a document is.
#[derive(Deserialize)]
struct Header {
    version: Option<Value>,
    format_version: Option<String>,
}

#[derive(Deserialize)]
struct FileState {
    terraform_version: Option<String>,
    serial: Option<u64>,
    lineage: Option<String>,
    #[serde(default)]
    outputs: BTreeMap<String, FileOutput>,
    #[serde(default)]
    resources: Vec<FileResource>,
}

#[derive(Deserialize)]
struct FileOutput {
    value: Value,
    #[serde(default)]
    sensitive: bool,
}

#[derive(Deserialize)]
struct FileResource {
    module: Option<String>,
    mode: Mode,
    #[serde(rename = "type")]
    resource_type: String,
    name: String,
    provider: String,
    #[serde(default)]
    instances: Vec<FileInstance>,
}

#[derive(Deserialize)]
struct FileInstance {
    index_key: Option<InstanceKey>,
    status: Option<String>,
    deposed: Option<String>,
    #[serde(default)]
    schema_version: u64,
    attributes: Option<Value>,
    attributes_flat: Option<BTreeMap<String, String>>,
    #[serde(default)]
    sensitive_attributes: Vec<Vec<PathStep>>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// A step of a sensitive attribute's path in a state file.
#[derive(Deserialize)]
struct PathStep {
    #[serde(rename = "type")]
    kind: String,
    value: Value,
}

impl FileResource {
    /// Its instances, each sensitive value masked and remembered in
    /// `secrets`.
    fn into_instances(self, secrets: &mut Secrets) -> Vec<Instance> {
        let r = self;
        let mut instances = Vec::with_capacity(r.instances.len());
        for i in r.instances {
            let mut attributes = match (i.attributes, i.attributes_flat) {
                (Some(a), _) => a,
                (None, Some(flat)) => serde_json::to_value(flat).unwrap_or(Value::Null),
                (None, None) => Value::Null,
            };
            let sensitive_paths = i
                .sensitive_attributes
                .iter()
                .map(|steps| mask_path(&mut attributes, steps, secrets))
                .collect();
            instances.push(Instance {
                address: address(
                    r.module.as_deref(),
                    r.mode,
                    &r.resource_type,
                    &r.name,
                    i.index_key.as_ref(),
                ),
                module: r.module.clone().filter(|m| !m.is_empty()),
                mode: r.mode,
                resource_type: r.resource_type.clone(),
                name: r.name.clone(),
                index: i.index_key,
                provider: r.provider.clone(),
                schema_version: i.schema_version,
                attributes,
                sensitive_paths,
                dependencies: i.dependencies,
                tainted: i.status.as_deref() == Some("tainted"),
                deposed: i.deposed,
            });
        }
        instances
    }
}

impl FileState {
    fn into_state(self) -> State {
        let mut secrets = Secrets::default();
        let mut instances = Vec::new();
        for r in self.resources {
            instances.extend(r.into_instances(&mut secrets));
        }
        let outputs = outputs(
            self.outputs
                .into_iter()
                .map(|(k, o)| (k, o.value, o.sensitive)),
            &mut secrets,
        );
        let mut state = State {
            format: StateFormat::File,
            terraform_version: self.terraform_version,
            serial: self.serial,
            lineage: self.lineage,
            outputs,
            instances,
        };
        secrets.scrub_state(&mut state);
        state
    }
}

fn outputs(
    all: impl Iterator<Item = (String, Value, bool)>,
    secrets: &mut Secrets,
) -> BTreeMap<String, Output> {
    all.map(|(name, mut value, sensitive)| {
        if sensitive {
            secrets.take(&mut value);
        }
        (name, Output { value, sensitive })
    })
    .collect()
}

/// An instance's address, as Terraform writes it.
fn address(
    module: Option<&str>,
    mode: Mode,
    resource_type: &str,
    name: &str,
    index: Option<&InstanceKey>,
) -> String {
    let mut out = String::new();
    if let Some(m) = module.filter(|m| !m.is_empty()) {
        out.push_str(m);
        out.push('.');
    }
    if mode == Mode::Data {
        out.push_str("data.");
    }
    out.push_str(resource_type);
    out.push('.');
    out.push_str(name);
    if let Some(i) = index {
        out.push_str(&i.to_string());
    }
    out
}

/// Replaces the value at `steps` with [`SENSITIVE`]; returns the path as
/// text. A dynamically typed attribute is stored as `{value, type}`, and
/// the path then continues inside `value`.
fn mask_path(attributes: &mut Value, steps: &[PathStep], secrets: &mut Secrets) -> String {
    let mut text = String::new();
    let mut at = Some(attributes);
    for step in steps {
        let key = match (&step.value, step.kind.as_str()) {
            (Value::String(s), "get_attr") => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(s);
                Value::String(s.clone())
            }
            (Value::Object(k), _) => {
                let inner = k.get("value").cloned().unwrap_or(Value::Null);
                text.push_str(&format!("[{inner}]"));
                inner
            }
            (other, _) => {
                text.push_str(&format!("[{other}]"));
                other.clone()
            }
        };
        at = at.and_then(|v| step_into(v, &key));
    }
    if let Some(v) = at {
        secrets.take(v);
    }
    text
}

/// Whether `o` is how a state file stores a dynamically typed value
/// (`terraform_data`'s `input`): `{value, type}`, the set value in
/// `value`.
pub(crate) fn is_dynamic(o: &serde_json::Map<String, Value>) -> bool {
    o.len() == 2 && o.contains_key("value") && o.contains_key("type")
}

fn step_into<'v>(v: &'v mut Value, key: &Value) -> Option<&'v mut Value> {
    if let Value::Array(a) = v {
        return a.get_mut(usize::try_from(key.as_u64()?).ok()?);
    }
    let Value::Object(o) = v else {
        return None;
    };
    let direct = key.as_str().is_some_and(|k| o.contains_key(k));
    if direct {
        return o.get_mut(key.as_str()?);
    }
    if is_dynamic(o) {
        return step_into(o.get_mut("value")?, key);
    }
    None
}

/// Replaces with [`SENSITIVE`] every part of `value` that `mask` marks
/// `true` (`show -json`'s `sensitive_values`, a plan's `*_sensitive`).
fn mask(value: &mut Value, mask: &Value, secrets: &mut Secrets) {
    match (value, mask) {
        (v, Value::Bool(true)) => secrets.take(v),
        (Value::Object(o), Value::Object(m)) => {
            for (k, sub) in m {
                if let Some(v) = o.get_mut(k) {
                    self::mask(v, sub, secrets);
                }
            }
        }
        (Value::Array(a), Value::Array(m)) => {
            for (v, sub) in a.iter_mut().zip(m) {
                self::mask(v, sub, secrets);
            }
        }
        _ => {}
    }
}

/// The sensitive values found while masking, scrubbed afterwards from
/// everything else read with them: Terraform marks a value sensitive where
/// it is set, not where it is copied (`terraform_data.output` repeats
/// `input` unmarked), so a secret is hidden wherever it appears.
#[derive(Default)]
struct Secrets(Vec<String>);

/// Shorter values are not scrubbed where they are part of a longer string:
/// `"1"` or `"yes"` would blot out unrelated text.
const SECRET_INSIDE: usize = 6;

impl Secrets {
    /// Replaces `v` with [`SENSITIVE`], remembering what it held.
    fn take(&mut self, v: &mut Value) {
        let old = std::mem::replace(v, Value::String(SENSITIVE.into()));
        self.collect(&old);
    }

    fn collect(&mut self, v: &Value) {
        match v {
            Value::String(s) if s != SENSITIVE && !s.is_empty() => self.0.push(s.clone()),
            Value::Number(n) => self.0.push(n.to_string()),
            Value::Array(a) => a.iter().for_each(|x| self.collect(x)),
            Value::Object(o) => o.values().for_each(|x| self.collect(x)),
            _ => {}
        }
    }

    /// Hides every remembered value in `v`: a whole string or number equal
    /// to one, and each occurrence inside a string of one long enough.
    fn scrub(&self, v: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        match v {
            Value::String(s) => {
                if self.0.iter().any(|x| x == s) {
                    *s = SENSITIVE.into();
                    return;
                }
                for x in self.0.iter().filter(|x| x.len() >= SECRET_INSIDE) {
                    if s.contains(x.as_str()) {
                        *s = s.replace(x.as_str(), SENSITIVE);
                    }
                }
            }
            Value::Number(n) if self.0.iter().any(|x| *x == n.to_string()) => {
                *v = Value::String(SENSITIVE.into());
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.scrub(x)),
            Value::Object(o) => o.values_mut().for_each(|x| self.scrub(x)),
            _ => {}
        }
    }

    fn scrub_state(&self, state: &mut State) {
        for i in &mut state.instances {
            self.scrub(&mut i.attributes);
        }
        for o in state.outputs.values_mut() {
            self.scrub(&mut o.value);
        }
    }
}

/// The paths `mask` marks `true`, as text.
fn masked_paths(mask: &Value, prefix: &str, out: &mut Vec<String>) {
    match mask {
        Value::Bool(true) => out.push(prefix.to_string()),
        Value::Object(m) => {
            for (k, sub) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                masked_paths(sub, &p, out);
            }
        }
        Value::Array(m) => {
            for (i, sub) in m.iter().enumerate() {
                masked_paths(sub, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[derive(Deserialize)]
struct ShowState {
    terraform_version: Option<String>,
    values: Option<ShowValues>,
}

#[derive(Deserialize)]
struct ShowValues {
    #[serde(default)]
    outputs: BTreeMap<String, FileOutput>,
    root_module: Option<ShowModule>,
}

#[derive(Deserialize)]
struct ShowModule {
    #[serde(default)]
    resources: Vec<ShowResource>,
    #[serde(default)]
    child_modules: Vec<ShowModule>,
    address: Option<String>,
}

#[derive(Deserialize)]
struct ShowResource {
    address: String,
    mode: Mode,
    #[serde(rename = "type")]
    resource_type: String,
    name: String,
    index: Option<InstanceKey>,
    provider_name: String,
    #[serde(default)]
    schema_version: u64,
    #[serde(default)]
    values: Value,
    #[serde(default)]
    sensitive_values: Value,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    tainted: bool,
    deposed_key: Option<String>,
}

impl ShowState {
    /// The state, masked; `secrets` gathers what was masked, for the
    /// caller to scrub from everything read with it.
    fn into_state(self, secrets: &mut Secrets) -> State {
        let mut instances = Vec::new();
        let mut outs = BTreeMap::new();
        if let Some(values) = self.values {
            if let Some(root) = values.root_module {
                flatten(root, &mut instances, secrets);
            }
            outs = outputs(
                values
                    .outputs
                    .into_iter()
                    .map(|(k, o)| (k, o.value, o.sensitive)),
                secrets,
            );
        }
        State {
            format: StateFormat::Show,
            terraform_version: self.terraform_version,
            serial: None,
            lineage: None,
            outputs: outs,
            instances,
        }
    }
}

fn flatten(module: ShowModule, out: &mut Vec<Instance>, secrets: &mut Secrets) {
    for r in module.resources {
        let mut attributes = r.values;
        mask(&mut attributes, &r.sensitive_values, secrets);
        let mut sensitive_paths = Vec::new();
        masked_paths(&r.sensitive_values, "", &mut sensitive_paths);
        out.push(Instance {
            address: r.address,
            module: module.address.clone(),
            mode: r.mode,
            resource_type: r.resource_type,
            name: r.name,
            index: r.index,
            provider: r.provider_name,
            schema_version: r.schema_version,
            attributes,
            sensitive_paths,
            dependencies: r.depends_on,
            tainted: r.tainted,
            deposed: r.deposed_key,
        });
    }
    for child in module.child_modules {
        flatten(child, out, secrets);
    }
}

#[derive(Deserialize)]
struct ShowPlan {
    terraform_version: Option<String>,
    #[serde(default)]
    resource_changes: Vec<ShowChange>,
    #[serde(default)]
    resource_drift: Vec<ShowChange>,
    #[serde(default)]
    output_changes: BTreeMap<String, RawChange>,
    prior_state: Option<ShowState>,
    #[serde(default)]
    relevant_attributes: Vec<RelevantAttribute>,
    configuration: Option<Value>,
}

#[derive(Deserialize)]
struct ShowChange {
    address: String,
    previous_address: Option<String>,
    module_address: Option<String>,
    mode: Mode,
    #[serde(rename = "type")]
    resource_type: String,
    name: String,
    index: Option<InstanceKey>,
    provider_name: String,
    deposed: Option<String>,
    change: RawChange,
    action_reason: Option<String>,
}

#[derive(Deserialize)]
struct RawChange {
    actions: Vec<Action>,
    #[serde(default)]
    before: Value,
    #[serde(default)]
    after: Value,
    #[serde(default)]
    after_unknown: Value,
    #[serde(default)]
    before_sensitive: Value,
    #[serde(default)]
    after_sensitive: Value,
    #[serde(default)]
    replace_paths: Vec<Value>,
}

impl RawChange {
    fn into_change(self, secrets: &mut Secrets) -> Change {
        let (mut before, mut after) = (self.before, self.after);
        mask(&mut before, &self.before_sensitive, secrets);
        mask(&mut after, &self.after_sensitive, secrets);
        Change {
            actions: self.actions,
            before,
            after,
            after_unknown: self.after_unknown,
            replace_paths: self.replace_paths,
        }
    }
}

impl ShowChange {
    fn into_change(self, secrets: &mut Secrets) -> ResourceChange {
        ResourceChange {
            address: self.address,
            previous_address: self.previous_address,
            module: self.module_address,
            mode: self.mode,
            resource_type: self.resource_type,
            name: self.name,
            index: self.index,
            provider: self.provider_name,
            deposed: self.deposed,
            change: self.change.into_change(secrets),
            action_reason: self.action_reason,
        }
    }
}

impl ShowPlan {
    fn into_plan(self, format: &str) -> Plan {
        let mut secrets = Secrets::default();
        let changes = |list: Vec<ShowChange>, secrets: &mut Secrets| -> Vec<ResourceChange> {
            list.into_iter().map(|c| c.into_change(secrets)).collect()
        };
        let resource_changes = changes(self.resource_changes, &mut secrets);
        let resource_drift = changes(self.resource_drift, &mut secrets);
        let output_changes: BTreeMap<String, Change> = self
            .output_changes
            .into_iter()
            .map(|(k, c)| (k, c.into_change(&mut secrets)))
            .collect();
        let prior_state = self.prior_state.map(|p| p.into_state(&mut secrets));
        let mut plan = Plan {
            format_version: format.to_string(),
            terraform_version: self.terraform_version,
            resource_changes,
            resource_drift,
            output_changes,
            prior_state,
            relevant_attributes: self.relevant_attributes,
            configuration: self.configuration,
        };
        for c in plan
            .resource_changes
            .iter_mut()
            .chain(&mut plan.resource_drift)
            .map(|c| &mut c.change)
            .chain(plan.output_changes.values_mut())
        {
            secrets.scrub(&mut c.before);
            secrets.scrub(&mut c.after);
        }
        if let Some(prior) = &mut plan.prior_state {
            secrets.scrub_state(prior);
        }
        if let Some(configuration) = &mut plan.configuration {
            secrets.scrub(configuration);
        }
        plan
    }
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(rename = "type")]
    kind: String,
    terraform: Option<String>,
    ui: Option<String>,
    change: Option<RawStreamChange>,
    changes: Option<RawSummary>,
    outputs: Option<BTreeMap<String, RawStreamOutput>>,
    diagnostic: Option<RawDiagnostic>,
}

#[derive(Deserialize)]
struct RawStreamChange {
    resource: RawStreamResource,
    previous_resource: Option<RawStreamResource>,
    action: String,
    reason: Option<String>,
}

#[derive(Deserialize)]
struct RawStreamResource {
    addr: String,
}

#[derive(Deserialize)]
struct RawSummary {
    add: u64,
    change: u64,
    remove: u64,
    #[serde(default)]
    import: u64,
    operation: String,
}

#[derive(Deserialize)]
struct RawStreamOutput {
    action: Option<String>,
}

#[derive(Deserialize)]
struct RawDiagnostic {
    severity: String,
    summary: String,
    #[serde(default)]
    detail: String,
    address: Option<String>,
}

impl RawMessage {
    fn into_message(self) -> Option<PlanMessage> {
        let change = |c: RawStreamChange| StreamChange {
            address: c.resource.addr,
            previous_address: c.previous_resource.map(|p| p.addr),
            action: c.action,
            reason: c.reason,
        };
        Some(match self.kind.as_str() {
            "version" => PlanMessage::Version {
                terraform: self.terraform?,
                ui: self.ui?,
            },
            "planned_change" => PlanMessage::PlannedChange(change(self.change?)),
            "resource_drift" => PlanMessage::ResourceDrift(change(self.change?)),
            "change_summary" => {
                let s = self.changes?;
                PlanMessage::ChangeSummary {
                    add: s.add,
                    change: s.change,
                    remove: s.remove,
                    import: s.import,
                    operation: s.operation,
                }
            }
            "outputs" => PlanMessage::Outputs {
                actions: self
                    .outputs?
                    .into_iter()
                    .filter_map(|(k, o)| Some((k, o.action?)))
                    .collect(),
            },
            "diagnostic" => {
                let d = self.diagnostic?;
                PlanMessage::Diagnostic {
                    severity: d.severity,
                    summary: d.summary,
                    detail: d.detail,
                    address: d.address,
                }
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_hidden_wherever_it_is_copied() {
        let text = r#"{"format_version": "1.0", "values": {"root_module": {"resources": [{
            "address": "aws_db_instance.db", "mode": "managed", "type": "aws_db_instance",
            "name": "db", "provider_name": "aws",
            "values": {"password": "hunter2pw", "port": 5432,
                       "url": "postgres://admin:hunter2pw@db:5432/app", "copy": "hunter2pw"},
            "sensitive_values": {"password": true}}]}}}"#;
        let state = State::parse(text, None).unwrap();
        let a = &state.instances[0].attributes;
        assert_eq!(a["password"], SENSITIVE);
        assert_eq!(a["copy"], SENSITIVE);
        assert_eq!(a["url"], "postgres://admin:(sensitive value)@db:5432/app");
        assert_eq!(a["port"], 5432, "values not marked stay");
        assert_eq!(state.instances[0].sensitive_paths, ["password"]);
    }
}
