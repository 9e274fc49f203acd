//! The `drives` method: `smartctl -j --scan`, then `smartctl -j -a` for
//! each device, with smartctl's exit status decoded from its bit mask.

use serde::Serialize;
use serde_json::Value;

use super::{parsed, record, Collector, Command, Output, Parsed, Problem, Record, Runner};

/// smartctl's exit status, bit by bit (smartctl(8), "RETURN VALUES").
/// Only `command_line` makes the call itself a failure; the others are
/// facts about the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SmartStatus {
    /// The status as smartctl returned it.
    pub code: i32,
    /// Bit 0: the command line did not parse.
    pub command_line: bool,
    /// Bit 1: the device could not be opened (or did not answer IDENTIFY).
    pub open_failed: bool,
    /// Bit 2: a SMART or ATA command failed, or a checksum was wrong.
    pub command_failed: bool,
    /// Bit 3: SMART status says the disk is failing.
    pub disk_failing: bool,
    /// Bit 4: prefail attributes are at or below their thresholds.
    pub prefail_below_threshold: bool,
    /// Bit 5: some attribute was at or below its threshold in the past.
    pub past_below_threshold: bool,
    /// Bit 6: the device's error log holds records.
    pub error_log_has_records: bool,
    /// Bit 7: the self-test log holds errors.
    pub self_test_errors: bool,
}

impl SmartStatus {
    /// The bits of `code`.
    pub fn decode(code: i32) -> SmartStatus {
        let bit = |n: u32| code & (1 << n) != 0;
        SmartStatus {
            code,
            command_line: bit(0),
            open_failed: bit(1),
            command_failed: bit(2),
            disk_failing: bit(3),
            prefail_below_threshold: bit(4),
            past_below_threshold: bit(5),
            error_log_has_records: bit(6),
            self_test_errors: bit(7),
        }
    }
}

/// One ATA SMART attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmartAttribute {
    /// Its number.
    pub id: u64,
    /// Its name (`Reallocated_Sector_Ct`).
    pub name: String,
    /// The normalised value.
    pub value: u64,
    /// The worst normalised value seen.
    pub worst: u64,
    /// The threshold at or below which it fails.
    pub threshold: u64,
    /// The raw value.
    pub raw: i64,
    /// Whether crossing the threshold predicts failure.
    pub prefailure: bool,
}

/// What `smartctl -j -a` says of one device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drive {
    /// The device (`/dev/sda`).
    pub device: String,
    /// The device type smartctl used (`sat`, `nvme`, `megaraid,0`).
    pub device_type: Option<String>,
    /// `ATA`, `NVMe` or `SCSI`.
    pub protocol: Option<String>,
    /// The model.
    pub model: Option<String>,
    /// The serial number.
    pub serial: Option<String>,
    /// The firmware version.
    pub firmware: Option<String>,
    /// Capacity.
    pub capacity_bytes: Option<u64>,
    /// SMART's overall health verdict, when the device gave one.
    pub smart_passed: Option<bool>,
    /// The current temperature.
    pub temperature_celsius: Option<i64>,
    /// Hours powered on.
    pub power_on_hours: Option<u64>,
    /// Power cycles.
    pub power_cycles: Option<u64>,
    /// NVMe: percent of the rated endurance used.
    pub percentage_used: Option<u64>,
    /// NVMe: media and data integrity errors.
    pub media_errors: Option<u64>,
    /// ATA attributes, in id order.
    pub attributes: Vec<SmartAttribute>,
    /// The exit status, decoded.
    pub status: SmartStatus,
    /// smartctl's messages (`Unable to detect device type`).
    pub messages: Vec<String>,
}

fn text(v: &Value, path: &str) -> Option<String> {
    v.pointer(path).and_then(Value::as_str).map(str::to_string)
}

fn count(v: &Value, path: &str) -> Option<u64> {
    v.pointer(path).and_then(Value::as_u64)
}

fn json(output: &str) -> Parsed<Value> {
    serde_json::from_str(output).map_err(|e| (e.line(), format!("not smartctl JSON: {e}")))
}

/// The devices `smartctl -j --scan` lists: `(name, type)`.
pub fn parse_smartctl_scan(output: &str) -> Parsed<Vec<(String, Option<String>)>> {
    let v = json(output)?;
    let Some(devices) = v.get("devices") else {
        // smartctl leaves the key out when it finds nothing (virtio disks).
        return Ok(Vec::new());
    };
    let devices = devices
        .as_array()
        .ok_or_else(|| (1, "`devices` is not a list".to_string()))?;
    devices
        .iter()
        .map(|d| {
            let name =
                text(d, "/name").ok_or_else(|| (1, "a device without a name".to_string()))?;
            Ok((name, text(d, "/type")))
        })
        .collect()
}

/// `smartctl -j -a DEVICE` output; `exit` is its exit status when the
/// JSON does not record it.
pub fn parse_smartctl(output: &str, device: &str, exit: i32) -> Parsed<Drive> {
    let v = json(output)?;
    let code = v
        .pointer("/smartctl/exit_status")
        .and_then(Value::as_i64)
        .map_or(exit, |c| c as i32);
    let attributes = v
        .pointer("/ata_smart_attributes/table")
        .and_then(Value::as_array)
        .map(|table| {
            table
                .iter()
                .map(|a| SmartAttribute {
                    id: count(a, "/id").unwrap_or(0),
                    name: text(a, "/name").unwrap_or_default(),
                    value: count(a, "/value").unwrap_or(0),
                    worst: count(a, "/worst").unwrap_or(0),
                    threshold: count(a, "/thresh").unwrap_or(0),
                    raw: a.pointer("/raw/value").and_then(Value::as_i64).unwrap_or(0),
                    prefailure: a
                        .pointer("/flags/prefailure")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default();
    let nvme = "/nvme_smart_health_information_log";
    Ok(Drive {
        device: text(&v, "/device/name").unwrap_or_else(|| device.to_string()),
        device_type: text(&v, "/device/type"),
        protocol: text(&v, "/device/protocol"),
        model: text(&v, "/model_name").or_else(|| text(&v, "/scsi_model_name")),
        serial: text(&v, "/serial_number"),
        firmware: text(&v, "/firmware_version"),
        capacity_bytes: count(&v, "/user_capacity/bytes"),
        smart_passed: v.pointer("/smart_status/passed").and_then(Value::as_bool),
        temperature_celsius: v.pointer("/temperature/current").and_then(Value::as_i64),
        power_on_hours: count(&v, "/power_on_time/hours"),
        power_cycles: count(&v, "/power_cycle_count"),
        percentage_used: count(&v, &format!("{nvme}/percentage_used")),
        media_errors: count(&v, &format!("{nvme}/media_errors")),
        attributes,
        status: SmartStatus::decode(code),
        messages: v
            .pointer("/smartctl/messages")
            .and_then(Value::as_array)
            .map(|m| m.iter().filter_map(|x| text(x, "/string")).collect())
            .unwrap_or_default(),
    })
}

/// `Ok` when smartctl ran and read its command line, whatever it found:
/// only a signal, a missing or unrunnable smartctl (126, 127) or bit 0
/// (the command line did not parse) make the call itself a failure.
fn smartctl_ran(command: &Command, output: &Output) -> std::result::Result<(), Problem> {
    let failed = match output.status {
        None | Some(126 | 127) => true,
        Some(code) => SmartStatus::decode(code).command_line,
    };
    if failed {
        return Err(Problem::Command {
            command: command.line(),
            status: output.status,
            stderr: output.error_text(),
        });
    }
    Ok(())
}

/// The `drives` method.
#[derive(Debug, Clone, Default)]
pub struct Drives;

impl Collector for Drives {
    fn name(&self) -> &str {
        "drives"
    }

    fn collect(&self, run: &mut Runner<'_>) -> std::result::Result<Vec<Record>, Problem> {
        let scan = Command::new(["smartctl", "-j", "--scan"]);
        let output = run(&scan)?;
        smartctl_ran(&scan, &output)?;
        let devices = parsed(&scan, parse_smartctl_scan(&output.text()))?;
        let mut out = Vec::with_capacity(devices.len());
        for (device, kind) in devices {
            let mut argv = vec!["smartctl".to_string(), "-j".into(), "-a".into()];
            if let Some(kind) = kind {
                argv.extend(["-d".into(), kind]);
            }
            argv.push(device.clone());
            let command = Command::new(argv);
            let output = run(&command)?;
            smartctl_ran(&command, &output)?;
            let exit = output.status.unwrap_or(-1);
            // A device that cannot be opened is a fact about that device,
            // reported in its record; the others are still collected.
            let drive = parsed(&command, parse_smartctl(&output.text(), &device, exit))?;
            out.push(record("drive", &drive));
        }
        Ok(out)
    }
}
