//! Tools the host registers for the model: a [`Tool`] has a JSON-schema
//! spec and a call; [`Tools`] finds them by name and checks their input.

use std::sync::Arc;

use serde_json::Value;

use crate::error::Result;
use crate::llm::ToolSpec;

/// Something the model may ask to run. The host implements it (the
/// bindings wrap Python and Node callables).
pub trait Tool: Send + Sync {
    /// The tool's name, description and JSON-schema parameters, as the model sees them.
    fn spec(&self) -> ToolSpec;

    /// The result, as text for the model. An `Err` is reported to the
    /// model as a failed call, not raised.
    fn call(&self, input: &Value) -> Result<String>;
}

/// A tool made of a spec and a function.
pub struct FnTool<F> {
    spec: ToolSpec,
    f: F,
}

impl<F> FnTool<F>
where
    F: Fn(&Value) -> Result<String> + Send + Sync,
{
    /// A tool described by `spec` that runs `f`.
    pub fn new(spec: ToolSpec, f: F) -> FnTool<F> {
        FnTool { spec, f }
    }
}

impl<F> Tool for FnTool<F>
where
    F: Fn(&Value) -> Result<String> + Send + Sync,
{
    fn spec(&self) -> ToolSpec {
        self.spec.clone()
    }

    fn call(&self, input: &Value) -> Result<String> {
        (self.f)(input)
    }
}

/// The registered tools, each with its spec, asked for once.
#[derive(Clone, Default)]
pub struct Tools {
    tools: Vec<(ToolSpec, Arc<dyn Tool>)>,
}

impl Tools {
    /// No tools.
    pub fn new() -> Tools {
        Tools::default()
    }

    /// Adds a tool; one with the same name is replaced.
    pub fn add(&mut self, tool: Arc<dyn Tool>) {
        let spec = tool.spec();
        self.tools.retain(|(s, _)| s.name != spec.name);
        self.tools.push((spec, tool));
    }

    /// Every tool's description, in the order added.
    pub fn specs(&self) -> Vec<ToolSpec> {
        self.tools.iter().map(|(s, _)| s.clone()).collect()
    }

    /// Whether there is no tool.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Runs the tool `name` with `input`: `(text, is_error)`. An unknown
    /// tool, input the schema refuses, or a failing call give an error
    /// text for the model to read.
    pub fn run(&self, name: &str, input: &Value) -> (String, bool) {
        let Some((spec, tool)) = self.tools.iter().find(|(s, _)| s.name == name) else {
            let known: Vec<&str> = self.tools.iter().map(|(s, _)| s.name.as_str()).collect();
            return (
                format!("there is no tool named {name:?}; the tools are {known:?}"),
                true,
            );
        };
        if let Err(why) = check_input(&spec.parameters, input) {
            return (format!("invalid input for {name}: {why}"), true);
        }
        match tool.call(input) {
            Ok(text) => (text, false),
            Err(e) => (format!("{name} failed: {e}"), true),
        }
    }
}

/// The checks of a JSON schema's top level that catch most slips: the
/// input is an object, required properties are present, and present
/// properties have the declared primitive type.
fn check_input(schema: &Value, input: &Value) -> std::result::Result<(), String> {
    let Some(object) = input.as_object() else {
        return Err(format!("expected a JSON object, got {input}"));
    };
    for name in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !object.contains_key(name) {
            return Err(format!("{name:?} is required"));
        }
    }
    if let Some(props) = schema["properties"].as_object() {
        for (name, value) in object {
            let Some(want) = props.get(name).and_then(|p| p["type"].as_str()) else {
                continue;
            };
            let ok = match want {
                "string" => value.is_string(),
                "integer" => value.is_i64() || value.is_u64(),
                "number" => value.is_number(),
                "boolean" => value.is_boolean(),
                "array" => value.is_array(),
                "object" => value.is_object(),
                "null" => value.is_null(),
                _ => true,
            };
            if !ok {
                return Err(format!("{name:?} must be of type {want}, got {value}"));
            }
        }
    }
    Ok(())
}
