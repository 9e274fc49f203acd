//! A state of 50,000 instances compared with what is live while streamed:
//! the process's peak memory grows by a fraction of the file, where
//! reading it whole grows by more than the file. Alone in its binary, so
//! no other test moves the peak.

use std::io::Write;

use infrarag::drift::ignore::DriftIgnore;
use infrarag::drift::inventory::{Listed, LiveResource};
use infrarag::drift::live::{compare_live_file, LiveOptions};
use infrarag::terraform::state::State;

const INSTANCES: usize = 50_000;

/// Writes the state text directly, so that the test never holds it.
fn write_state(path: &std::path::Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(out, r#"{{"version": 4, "terraform_version": "1.11.0", "serial": 7, "lineage": "big", "outputs": {{}}, "resources": ["#).unwrap();
    for r in 0..INSTANCES / 100 {
        if r > 0 {
            out.write_all(b",").unwrap();
        }
        write!(out, r#"{{"mode": "managed", "type": "aws_instance", "name": "r{r}", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": ["#).unwrap();
        for i in 0..100 {
            if i > 0 {
                out.write_all(b",").unwrap();
            }
            write!(
                out,
                r#"{{"index_key": {i}, "schema_version": 1, "attributes": {{"id": "i-{r:06}{i:04}", "ami": "ami-0123456789abcdef0", "instance_type": "t3.micro", "subnet_id": "subnet-{r:08}", "vpc_security_group_ids": ["sg-0a{i:03}", "sg-0b{r:05}"], "tags": {{"Name": "web-{r}-{i}", "team": "core", "env": "prod"}}, "user_data": "IyEvYmluL2Jhc2gKZWNobyBoZWxsbyB3b3JsZCA+IC90bXAvaGVsbG8udHh0Cg==", "private_ip": "10.{}.{}.{}"}}, "sensitive_attributes": [], "dependencies": ["aws_subnet.s{r}"]}}"#,
                r % 250,
                i,
                r % 200
            )
            .unwrap();
        }
        out.write_all(b"]}").unwrap();
    }
    out.write_all(b"]}").unwrap();
}

fn status(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = text.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

/// How far the peak resident memory rises above the present while `work` runs.
fn peak_growth(work: impl FnOnce()) -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("Linux resets the peak on clear_refs 5");
    let before = status("VmRSS:");
    work();
    status("VmHWM:").saturating_sub(before)
}

#[test]
fn fifty_thousand_instances_stream_in_bounded_memory() {
    let dir = infrarag_tests::scratch("state_stream", "big");
    let path = dir.join("terraform.tfstate");
    write_state(&path);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 20_000_000, "{size}");

    // Every instance is live and unchanged but one; the report stays small.
    let live: Vec<LiveResource> = Vec::new();
    let inventory = Listed::new(live, &["aws_instance".to_string()]);
    let options = LiveOptions {
        ignore: DriftIgnore::parse("aws_instance.*\n!aws_instance.i-0000420042\n"),
        ..LiveOptions::default()
    };
    let mut report = None;
    let streamed = peak_growth(|| {
        report = Some(compare_live_file(&path, &inventory, &options).unwrap());
    });
    let report = report.unwrap();
    assert_eq!(report.ignored, INSTANCES - 1);
    assert_eq!(report.missing.len(), 1);
    assert_eq!(
        report.missing[0].address.as_deref(),
        Some("aws_instance.r42[42]")
    );

    let mut count = 0;
    let whole = peak_growth(|| {
        count = State::read(&path).unwrap().instances.len();
    });
    assert_eq!(count, INSTANCES);
    eprintln!(
        "state {:.1} MB: peak growth streamed {:.1} MB, read whole {:.1} MB",
        size as f64 / 1e6,
        streamed as f64 / 1e6,
        whole as f64 / 1e6
    );
    assert!(
        streamed < size / 4,
        "streamed {streamed} of a {size}-byte file"
    );
    assert!(whole > size, "read whole {whole} of a {size}-byte file");
    std::fs::remove_dir_all(&dir).unwrap();
}
