//! A state file read one resource at a time ([`State::stream`]), so that
//! memory is bounded by the largest resource, not by the file.

use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{outputs, Doc, FileOutput, FileResource, Instance, Secrets, State, StateFormat};
use crate::error::{Error, Result};

impl State {
    /// Reads the state at `path` as [`read`](Self::read) does, but hands
    /// each instance to `each` as its resource is read and returns the
    /// state without instances. A state file is read twice — first for
    /// the sensitive values to mask wherever they are copied, then for the
    /// instances — so memory holds one resource and those values, not the
    /// file. `terraform show -json` state is read whole, then handed over.
    /// An error from `each` stops the reading and is returned.
    pub fn stream(
        path: impl AsRef<Path>,
        mut each: impl FnMut(Instance) -> Result<()>,
    ) -> Result<State> {
        let path = path.as_ref();
        let mut secrets = Secrets::default();
        let header = pass(path, &mut Pass::Collect(&mut secrets))?;
        let doc = Doc {
            text: "",
            path: Some(path),
        };
        match (&header.version, &header.format_version) {
            (Some(v), _) => doc.check_version(v)?,
            (None, Some(_)) => {
                let mut state = State::read(path)?;
                for i in std::mem::take(&mut state.instances) {
                    each(i)?;
                }
                return Ok(state);
            }
            (None, None) => {
                return Err(doc.unsupported(
                    "neither a state file (no `version`) nor `terraform show -json` output \
                     (no `format_version`)"
                        .into(),
                ))
            }
        }
        let mut emit = |i: Instance| each(i);
        let header = pass(path, &mut Pass::Emit(&secrets, &mut emit))?;
        let mut outputs = header.outputs;
        for o in outputs.values_mut() {
            secrets.scrub(&mut o.value);
        }
        Ok(State {
            format: StateFormat::File,
            terraform_version: header.terraform_version,
            serial: header.serial,
            lineage: header.lineage,
            outputs,
            instances: Vec::new(),
        })
    }
}

/// What one reading of the file does with each resource.
enum Pass<'a> {
    /// Remembers the sensitive values.
    Collect(&'a mut Secrets),
    /// Masks and scrubs each instance and hands it over.
    Emit(&'a Secrets, &'a mut dyn FnMut(Instance) -> Result<()>),
}

impl Pass<'_> {
    fn resource(&mut self, r: FileResource) -> Result<()> {
        match self {
            Pass::Collect(secrets) => {
                r.into_instances(secrets);
                Ok(())
            }
            Pass::Emit(secrets, each) => {
                let mut own = Secrets::default();
                for mut i in r.into_instances(&mut own) {
                    secrets.scrub(&mut i.attributes);
                    each(i)?;
                }
                Ok(())
            }
        }
    }
}

/// The state's fields besides its resources.
#[derive(Default)]
struct Header {
    version: Option<Value>,
    format_version: Option<String>,
    terraform_version: Option<String>,
    serial: Option<u64>,
    lineage: Option<String>,
    outputs: std::collections::BTreeMap<String, super::Output>,
}

/// Reads the file once, handing each resource to `pass`; a JSON error
/// names its line, column and JSON path, an error of `pass` is returned
/// as it is.
fn pass(path: &Path, pass: &mut Pass<'_>) -> Result<Header> {
    let open = || -> Result<BufReader<File>> {
        Ok(BufReader::with_capacity(
            1 << 16,
            File::open(path).map_err(|e| Error::io(path, e))?,
        ))
    };
    let stopped = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_reader(open()?);
    let outcome = TopSeed {
        pass,
        stopped: &stopped,
    }
    .deserialize(&mut de)
    .and_then(|h| de.end().map(|()| h));
    let failure = match outcome {
        Ok(header) => return Ok(header),
        Err(e) => e,
    };
    if let Some(e) = stopped.into_inner() {
        return Err(e);
    }
    // Only a failure needs the JSON path: read again, tracking it, as far
    // as the failure.
    let mut track = serde_path_to_error::Track::new();
    let mut again = serde_json::Deserializer::from_reader(open()?);
    let mut nothing = Pass::Collect(&mut Secrets::default());
    let stopped = RefCell::new(None);
    let tracked = TopSeed {
        pass: &mut nothing,
        stopped: &stopped,
    }
    .deserialize(serde_path_to_error::Deserializer::new(
        &mut again, &mut track,
    ));
    let json_path = match tracked {
        Err(_) => track.path().to_string(),
        Ok(_) => ".".to_string(),
    };
    let doc = Doc {
        text: "",
        path: Some(path),
    };
    Err(doc.json_error(&json_path, &failure))
}

/// The top-level object: resources go to the pass, the rest is kept.
struct TopSeed<'p, 'a> {
    pass: &'p mut Pass<'a>,
    stopped: &'p RefCell<Option<Error>>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Header;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Header, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = Header;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Terraform state object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Header, A::Error> {
        let mut header = Header::default();
        let mut given: std::collections::BTreeMap<String, FileOutput> = Default::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "version" => header.version = Some(map.next_value()?),
                "format_version" => header.format_version = map.next_value()?,
                "terraform_version" => header.terraform_version = map.next_value()?,
                "serial" => header.serial = map.next_value()?,
                "lineage" => header.lineage = map.next_value()?,
                "outputs" => given = map.next_value::<Option<_>>()?.unwrap_or_default(),
                "resources" => map.next_value_seed(Resources {
                    pass: &mut *self.pass,
                    stopped: self.stopped,
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // Sensitive outputs are masked here and their values remembered;
        // `State::stream` scrubs the rest of the outputs at the end.
        let mut secrets = Secrets::default();
        header.outputs = outputs(
            given.into_iter().map(|(k, o)| (k, o.value, o.sensitive)),
            &mut secrets,
        );
        if let Pass::Collect(all) = self.pass {
            all.0.extend(secrets.0);
        }
        Ok(header)
    }
}

/// The `resources` array, one resource at a time.
struct Resources<'p, 'a> {
    pass: &'p mut Pass<'a>,
    stopped: &'p RefCell<Option<Error>>,
}

impl<'de> DeserializeSeed<'de> for Resources<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Resources<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of resources")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(r) = seq.next_element::<FileResource>()? {
            if let Err(e) = self.pass.resource(r) {
                *self.stopped.borrow_mut() = Some(e);
                return Err(serde::de::Error::custom("stopped by the caller"));
            }
        }
        Ok(())
    }
}
