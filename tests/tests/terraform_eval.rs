//! The evaluator against Terraform itself: seeded, generated expressions
//! (operators, conversions, conditionals, `for`, splats, templates and
//! the function library) are evaluated by `terraform console` and by us;
//! the printed values must be the same text, and where Terraform fails we
//! must fail with the same summary.
//!
//! `INFRARAG_EVAL_CASES` sets how many cases (default 300, run in CI);
//! `INFRARAG_EVAL_SEED` the seed; `INFRARAG_EVAL_SHOW=N` prints N
//! disagreements.

use std::process::{Command, Stdio};

use infrarag::terraform::eval::{console, evaluate_str, Scope};
use infrarag::Error;
use infrarag_tests::Rng;

const STRINGS: &[&str] = &[
    r#""""#,
    r#""a""#,
    r#""Hello World""#,
    r#""a,b,c""#,
    r#""  pad  ""#,
    r#""x-y_z""#,
    r#""ünïcödé""#,
    r#""10.0.0.0/16""#,
    r#""42""#,
    r#""-3.5""#,
    r#""true""#,
    r#""False""#,
    r#""line1\nline2""#,
    r#""tab\there""#,
    r#""<&>""#,
    r#""CamelCase""#,
    r#""1e3""#,
];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "7",
    "-1",
    "-7",
    "10",
    "100",
    "1.5",
    "0.1",
    "0.2",
    "-2.25",
    "1e3",
    "12345678901234567890",
    "3.14159",
    "255",
    "1024",
    "0.5",
    "-0",
];
const BOOLS: &[&str] = &["true", "false"];

fn string(r: &mut Rng) -> String {
    r.pick(STRINGS).unwrap().to_string()
}
fn number(r: &mut Rng) -> String {
    r.pick(NUMBERS).unwrap().to_string()
}
fn small(r: &mut Rng) -> String {
    r.below(6).to_string()
}

fn scalar(r: &mut Rng) -> String {
    match r.below(4) {
        0 | 1 => string(r),
        2 => number(r),
        _ => r.pick(BOOLS).unwrap().to_string(),
    }
}

fn items(r: &mut Rng, f: fn(&mut Rng) -> String) -> String {
    let n = r.below(4);
    (0..n).map(|_| f(r)).collect::<Vec<_>>().join(", ")
}

fn strings(r: &mut Rng) -> String {
    let inner = items(r, string);
    match r.below(3) {
        0 => format!("[{inner}]"),
        1 => format!("tolist([{inner}])"),
        _ => format!("toset([{inner}])"),
    }
}

fn numbers(r: &mut Rng) -> String {
    let inner = items(r, number);
    match r.below(2) {
        0 => format!("[{inner}]"),
        _ => format!("tolist([{inner}])"),
    }
}

fn mixed(r: &mut Rng) -> String {
    format!("[{}]", items(r, scalar))
}

fn object(r: &mut Rng) -> String {
    let keys = ["a", "b", "c", "name", "x"];
    let n = r.below(4);
    let body: Vec<String> = (0..n)
        .map(|i| format!("{} = {}", keys[(i + r.below(2)) % keys.len()], scalar(r)))
        .collect();
    let o = format!("{{{}}}", body.join(", "));
    if r.below(3) == 0 {
        format!("tomap({o})")
    } else {
        o
    }
}

fn collection(r: &mut Rng) -> String {
    match r.below(4) {
        0 => strings(r),
        1 => numbers(r),
        2 => mixed(r),
        _ => object(r),
    }
}

fn any(r: &mut Rng) -> String {
    match r.below(3) {
        0 => collection(r),
        _ => scalar(r),
    }
}

fn cidr(r: &mut Rng) -> String {
    r.pick(&[
        r#""10.0.0.0/16""#,
        r#""192.168.1.0/24""#,
        r#""172.16.0.0/12""#,
        r#""10.1.2.3/8""#,
        r#""fd00::/8""#,
        r#""2001:db8::/32""#,
        r#""10.0.0.0/30""#,
    ])
    .unwrap()
    .to_string()
}

fn call(r: &mut Rng) -> String {
    let s = string;
    let n = number;
    match r.below(68) {
        0 => format!("upper({})", s(r)),
        1 => format!("lower({})", s(r)),
        2 => format!("title({})", s(r)),
        3 => format!("trimspace({})", s(r)),
        4 => format!(
            "trim({}, {})",
            s(r),
            r.pick(&[r#"" ""#, r#""a-""#, r#""xz""#]).unwrap()
        ),
        5 => format!("trimprefix({}, {})", s(r), s(r)),
        6 => format!("trimsuffix({}, {})", s(r), s(r)),
        7 => format!("chomp({})", s(r)),
        8 => format!("startswith({}, {})", s(r), s(r)),
        9 => format!("endswith({}, {})", s(r), s(r)),
        10 => format!("strrev({})", s(r)),
        11 => format!(
            "split({}, {})",
            r.pick(&[r#"",""#, r#""-""#, r#""""#]).unwrap(),
            s(r)
        ),
        12 => format!(
            "join({}, {})",
            r.pick(&[r#"",""#, r#""-""#]).unwrap(),
            strings(r)
        ),
        13 => format!(
            "replace({}, {}, {})",
            s(r),
            r.pick(&[r#""a""#, r#""/[a-c]/""#, r#""/(\\w+) (\\w+)/""#])
                .unwrap(),
            r.pick(&[r#""X""#, r#""$2-$1""#]).unwrap()
        ),
        14 => format!(
            "substr({}, {}, {})",
            s(r),
            r.pick(&["0", "1", "-3", "2"]).unwrap(),
            r.pick(&["-1", "2", "0", "5"]).unwrap()
        ),
        15 => format!(
            "format({}, {})",
            r.pick(&[
                r#""%s""#,
                r#""%d""#,
                r#""%5.2f""#,
                r#""%v-%v""#,
                r#""%q""#,
                r#""%03d|%-4s""#,
                r#""%x""#,
                r#""%t""#,
                r#""%%%s""#
            ])
            .unwrap(),
            items(r, scalar)
        ),
        16 => format!(
            "formatlist({}, {})",
            r.pick(&[r#""%s!""#, r#""%s=%s""#]).unwrap(),
            strings(r)
        ),
        17 => format!("indent({}, {})", small(r), s(r)),
        18 => format!("length({})", any(r)),
        19 => format!("element({}, {})", mixed(r), n(r)),
        20 => format!("index({}, {})", strings(r), s(r)),
        21 => format!("contains({}, {})", collection(r), scalar(r)),
        22 => format!(
            "lookup({}, {}{})",
            object(r),
            r.pick(&[r#""a""#, r#""b""#, r#""zz""#]).unwrap(),
            if r.below(2) == 0 { ", \"dflt\"" } else { "" }
        ),
        23 => format!("keys({})", object(r)),
        24 => format!("values({})", object(r)),
        25 => format!("merge({}, {})", object(r), object(r)),
        26 => format!("concat({}, {})", collection(r), collection(r)),
        27 => format!("flatten([{}, {}])", collection(r), mixed(r)),
        28 => format!("distinct({})", mixed(r)),
        29 => format!("compact({})", strings(r)),
        30 => format!("reverse({})", collection(r)),
        31 => format!("slice({}, {}, {})", mixed(r), small(r), small(r)),
        32 => format!("sort({})", strings(r)),
        33 => format!(
            "range({})",
            [
                small(r),
                format!("{}, {}", small(r), n(r)),
                format!(
                    "{}, {}, {}",
                    small(r),
                    small(r),
                    r.pick(&["1", "2", "-1", "0.5"]).unwrap()
                )
            ][r.below(3)]
        ),
        34 => format!("zipmap({}, {})", strings(r), mixed(r)),
        35 => format!("coalesce({}, {})", scalar(r), scalar(r)),
        36 => format!("coalescelist({}, {})", mixed(r), mixed(r)),
        37 => format!("chunklist({}, {})", mixed(r), small(r)),
        38 => format!("setunion({}, {})", strings(r), strings(r)),
        39 => format!("setintersection({}, {})", strings(r), strings(r)),
        40 => format!("setsubtract({}, {})", strings(r), strings(r)),
        41 => format!(
            "one({})",
            [String::from("[]"), format!("[{}]", scalar(r)), mixed(r)][r.below(3)]
        ),
        42 => format!("sum({})", numbers(r)),
        43 => format!(
            "alltrue([{}])",
            items(r, |r| r.pick(BOOLS).unwrap().to_string())
        ),
        44 => format!(
            "anytrue([{}])",
            items(r, |r| r.pick(BOOLS).unwrap().to_string())
        ),
        45 => format!(
            "{}({})",
            r.pick(&["tolist", "toset", "tomap", "tostring", "tonumber", "tobool"])
                .unwrap(),
            any(r)
        ),
        46 => format!(
            "{}({})",
            r.pick(&["abs", "ceil", "floor", "signum"]).unwrap(),
            n(r)
        ),
        47 => format!("{}({}, {})", r.pick(&["max", "min"]).unwrap(), n(r), n(r)),
        48 => format!("pow({}, {})", small(r), small(r)),
        49 => format!(
            "log({}, {})",
            r.pick(&["8", "100", "1"]).unwrap(),
            r.pick(&["2", "10"]).unwrap()
        ),
        50 => format!(
            "parseint({}, {})",
            r.pick(&[r#""ff""#, r#""-101""#, r#""zz""#, r#""12""#])
                .unwrap(),
            r.pick(&["2", "10", "16", "36"]).unwrap()
        ),
        51 => format!("jsonencode({})", any(r)),
        52 => format!(
            "jsondecode({})",
            r.pick(&[
                r#""{\"a\":[1,2.5,null],\"b\":true}""#,
                r#""[1, \"x\"]""#,
                r#""12345678901234567890.5""#,
                r#""nope""#
            ])
            .unwrap()
        ),
        53 => format!("base64encode({})", s(r)),
        54 => format!(
            "base64decode({})",
            r.pick(&[r#""aGVsbG8=""#, r#""!!""#, r#""w7w=""#]).unwrap()
        ),
        55 => format!(
            "{}({})",
            r.pick(&[
                "md5",
                "sha1",
                "sha256",
                "sha512",
                "base64sha256",
                "urlencode"
            ])
            .unwrap(),
            s(r)
        ),
        56 => format!(
            "cidrhost({}, {})",
            cidr(r),
            r.pick(&["1", "5", "-1", "300"]).unwrap()
        ),
        57 => format!(
            "cidrsubnet({}, {}, {})",
            cidr(r),
            r.pick(&["4", "8", "2", "30"]).unwrap(),
            r.pick(&["0", "1", "3", "20"]).unwrap()
        ),
        58 => format!(
            "cidrsubnets({}, {})",
            cidr(r),
            items(r, |r| r.pick(&["4", "8", "2"]).unwrap().to_string())
        ),
        59 => format!("cidrnetmask({})", cidr(r)),
        60 => format!(
            "{}({})",
            r.pick(&["basename", "dirname"]).unwrap(),
            r.pick(&[r#""a/b/c.tf""#, r#""/x/""#, r#""file""#, r#""""#])
                .unwrap()
        ),
        62 => format!("formatdate({}, {})", date_format(r), timestamp(r)),
        63 => format!(
            "timeadd({}, {})",
            timestamp(r),
            r.pick(&[
                r#""1h2m3s""#,
                r#""-1.5h""#,
                r#""90m""#,
                r#""0""#,
                r#""""#,
                r#""1d""#,
                r#""0.000000001s""#,
                r#""+3us""#,
                r#""1""#,
                r#""2562047h""#,
                r#""-8760h""#,
            ])
            .unwrap()
        ),
        64 => format!("timecmp({}, {})", timestamp(r), timestamp(r)),
        65 => {
            let values = [any(r), string(r), yaml_text(r)];
            format!("yamlencode({})", r.pick(&values).unwrap())
        }
        66 => {
            let sets = [
                strings(r),
                numbers(r),
                format!("toset({})", strings(r)),
                mixed(r),
            ];
            format!(
                "setproduct({}, {})",
                r.pick(&sets).unwrap(),
                r.pick(&sets).unwrap()
            )
        }
        _ => format!(
            "regexall({}, {})",
            r.pick(&[r#""[a-z]+""#, r#""(\\w)(\\w)""#]).unwrap(),
            s(r)
        ),
    }
}

/// Timestamps: valid in several offsets and precisions, leap days, and
/// the malformed shapes each of Terraform's parse errors names.
fn timestamp(r: &mut Rng) -> String {
    r.pick(&[
        r#""2018-01-02T23:12:01Z""#,
        r#""2000-02-29T00:00:00Z""#,
        r#""1969-12-31T23:59:59.999999999-08:00""#,
        r#""2017-11-22T12:30:45.5+05:30""#,
        r#""0001-01-01T00:00:00Z""#,
        r#""9999-12-31T23:59:59+14:00""#,
        r#""2019-02-29T00:00:00Z""#,
        r#""2018-01-02""#,
        r#""2018-01-02t10:00:00z""#,
        r#""2018-13-02T10:00:00Z""#,
        r#""2018-01-02T24:00:00Z""#,
        r#""2018-01-02T1:00:00Z""#,
        r#""2018-01-02T10:00:00,5Z""#,
        r#""2018-01-02T10:00:00+24:00""#,
        r#""nope""#,
    ])
    .unwrap()
    .to_string()
}

fn date_format(r: &mut Rng) -> String {
    r.pick(&[
        r#""DD MMM YYYY hh:mm ZZZ""#,
        r#""EEEE, D MMMM YY 'at' H:m:s AA""#,
        r#""EEE MM/DD HH aa Z ZZZZ ZZZZZ""#,
        r#""YYYY-MM-DD'T'hh:mm:ssZ""#,
        r#""'it''s' '' h'h'""#,
        r#""Y""#,
        r#""x""#,
        r#""'open""#,
        r#""é MMMMM""#,
    ])
    .unwrap()
    .to_string()
}

/// Strings that exercise YAML's quoting, escapes, literal blocks and
/// folding.
fn yaml_text(r: &mut Rng) -> String {
    let long = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor";
    r.pick(&[
        "\"a\\nb\\n\"".to_string(),
        "\" lead\\ntrail\\n\\n\"".to_string(),
        "\"tab\\there \\u00e9 \\U0001F600 \\u0085\"".to_string(),
        "\"space \\nbreak\"".to_string(),
        format!("\"{long} {long}  {long}\""),
        format!("{{\"k\\ney\" = [{{x = \"{long} {long}\"}}], long = \"a\\nb\"}}"),
    ])
    .unwrap()
    .clone()
}

fn expression(r: &mut Rng) -> String {
    match r.below(10) {
        0 => {
            let op = r.pick(&["+", "-", "*", "/", "%", "<", ">=", "==", "!="]).unwrap();
            format!("{} {op} {}", number(r), if r.below(5) == 0 { scalar(r) } else { number(r) })
        }
        1 => {
            let op = r.pick(&["&&", "||", "==", "!="]).unwrap();
            format!("{} {op} {}", scalar(r), scalar(r))
        }
        2 => format!("{} ? {} : {}", r.pick(&["true", "false", "1 > 2", "\"true\""]).unwrap(), any(r), any(r)),
        3 => format!("[for i, v in {} : {}]", collection(r), r.pick(&["v", "i", "\"${i}=${v}\"", "length(tostring(v))"]).unwrap()),
        4 => format!(
            "{{for k, v in {} : {} => v{}}}",
            collection(r),
            r.pick(&["k", "tostring(v)", "upper(tostring(k))"]).unwrap(),
            if r.below(3) == 0 { "..." } else { "" }
        ),
        5 => format!(
            "\"<${{{}}}>%{{ if {} }}yes%{{ else }}no%{{ endif }}%{{ for x in {} ~}} [${{x}}] %{{~ endfor }}\"",
            scalar(r),
            r.pick(&["true", "false"]).unwrap(),
            strings(r)
        ),
        6 => format!("{}[{}]", mixed(r), r.pick(&["0", "1", "-1", "\"1\"", "1.5"]).unwrap()),
        7 => format!("[{{a = 1, b = \"x\"}}, {{a = 2, b = \"y\"}}]{}", r.pick(&["[*].a", ".*.b", "[*]", "[1].b"]).unwrap()),
        _ => call(r),
    }
}

/// Terraform's answer: the printed value, or `Err(summary)`.
fn terraform(expr: &str, worker: usize) -> Result<String, String> {
    // Each worker of each run has its own directory: console locks the
    // (empty) state, and two runs at once would otherwise contend for it.
    let dir = std::env::temp_dir().join(format!(
        "infrarag-eval-oracle-{}-{worker}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    terraform_console(&dir, &[], expr)
}

/// `terraform console ARGS` in `dir`, given `expr` on standard input.
fn terraform_console(dir: &std::path::Path, args: &[&str], expr: &str) -> Result<String, String> {
    let mut child = Command::new("terraform")
        .args(["console", "-no-color"])
        .args(args)
        .current_dir(dir)
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run terraform (the evaluation oracle): {e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(format!("{expr}\n").as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Some(line) = stderr.lines().find_map(|l| l.strip_prefix("Error: ")) {
        return Err(line.to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .trim_end_matches('\n')
        .to_string())
}

fn ours(expr: &str) -> Result<String, String> {
    match evaluate_str(expr, &Scope::default()) {
        Ok(v) => Ok(console(&v)),
        Err(Error::Evaluation { diagnostics, .. } | Error::Parse { diagnostics, .. }) => {
            Err(diagnostics[0].summary.clone())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn generated_expressions_evaluate_as_terraform_evaluates_them() {
    let env = infrarag_tests::env_number;
    let cases = env("INFRARAG_EVAL_CASES", 300) as usize;
    let seed = env("INFRARAG_EVAL_SEED", 17);
    let show = env("INFRARAG_EVAL_SHOW", 0) as usize;
    let mut rng = Rng(seed);
    let exprs: Vec<String> = (0..cases).map(|_| expression(&mut rng)).collect();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
    let chunk = exprs.len().div_ceil(threads).max(1);
    let answers: Vec<Result<String, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = exprs
            .chunks(chunk)
            .enumerate()
            .map(|(w, c)| s.spawn(move || c.iter().map(|e| terraform(e, w)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    for w in 0..threads {
        let dir =
            std::env::temp_dir().join(format!("infrarag-eval-oracle-{}-{w}", std::process::id()));
        let _ = std::fs::remove_dir_all(dir);
    }
    let (mut values, mut errors, mut wrong) = (0, 0, Vec::new());
    for (expr, want) in exprs.iter().zip(&answers) {
        let got = ours(expr);
        match want {
            Ok(_) => values += 1,
            Err(_) => errors += 1,
        }
        if &got != want {
            wrong.push((expr, want, got));
        }
    }
    for (expr, want, got) in wrong.iter().take(show) {
        eprintln!("--- {expr}\nterraform: {want:?}\nours:      {got:?}");
    }
    eprintln!(
        "{cases} cases (seed {seed}): {values} values, {errors} errors; {} differ",
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "{} of {cases} generated expressions differ from terraform console; first: {:?}",
        wrong.len(),
        wrong.first()
    );
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A module's variables and locals, with values from `terraform.tfvars`,
/// `TF_VAR_` and `-var`, read in a copy of the fixture (console writes
/// nothing there, but Terraform may create `.terraform`).
#[test]
fn module_values_match_terraform_console() {
    use infrarag::terraform::eval::{evaluate_module, Inputs};
    let dir = tempfile_dir("module_values");
    let exprs = [
        "local.prefixed",
        "local.total",
        "local.by_name",
        "var.size",
        "var.tags",
        "var.names",
        "[for k, v in local.by_name : \"${k}:${v}\"]",
    ];
    // TF_VAR_ is read from this process's environment by both.
    std::env::set_var("TF_VAR_names", r#"["a","b","c"]"#);
    let inputs = Inputs::new()
        .with_auto_files(true)
        .with_environment(true)
        .var("tags", r#"{env="prod"}"#);
    let values = evaluate_module(&dir, &inputs).unwrap();
    assert!(values.diagnostics.is_empty(), "{:?}", values.diagnostics);
    let scope = values.scope(Some(&dir));
    for e in exprs {
        let want = terraform_console(&dir, &["-var", r#"tags={env="prod"}"#], e)
            .unwrap_or_else(|err| panic!("{e}: terraform says {err}"));
        let got = console(&evaluate_str(e, &scope).unwrap());
        assert_eq!(got, want, "{e}");
    }
}

/// Locals that refer to each other in a circle are reported in
/// Terraform's words; the others still evaluate.
#[test]
fn a_cycle_of_locals_is_reported_as_terraform_reports_it() {
    use infrarag::terraform::eval::{evaluate_module, Inputs};
    let dir = fixture("module_cycle");
    let values = evaluate_module(&dir, &Inputs::new()).unwrap();
    let messages: Vec<&str> = values
        .diagnostics
        .iter()
        .map(|(_, d)| d.message.as_str())
        .collect();
    assert_eq!(messages, ["Cycle: local.a (expand), local.b (expand)"]);
    assert_eq!(console(&values.locals["c"]), "1");
    assert_eq!(console(&values.locals["a"]), "(known after apply)");
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("infrarag-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in std::fs::read_dir(fixture(name)).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
    }
    dir
}

/// `yamlencode` output pinned byte for byte: each expected document was
/// printed by Terraform 1.11 (`jsonencode(yamlencode(...))` in `terraform
/// console`), so these hold even where the generated differential does not
/// reach.
#[test]
fn yamlencode_writes_the_bytes_terraform_writes() {
    let long = "aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee fffffffff ggggggggg hhhhhhhhh  iiiiiiiii jjjjjjjjj kkkkkkkkk lllllllll mmmmmmmmm nnnnnnnnn ooooooooo ppppppppp qqqqqqqqq";
    let cases: Vec<(String, &str)> = vec![
        (r#""a""#.into(), "\"a\"\n"),
        (r#""a\n\n""#.into(), "|+\n  a\n\n"),
        (r#"{a="x\n\n", b=1}"#.into(), "\"a\": |+\n  x\n\n\"b\": 1\n"),
        (r#"{k=" a\nb"}"#.into(), "\"k\": |2-\n   a\n  b\n"),
        (r#""\na\nb""#.into(), "|2-\n\n  a\n  b\n"),
        (
            r#"{a={b=[1,{c=[[1,2],[]]}],d={}}, e=null, f=true, g=0.1, h=1e30}"#.into(),
            "\"a\":\n  \"b\":\n  - 1\n  - \"c\":\n    - - 1\n      - 2\n    - []\n  \"d\": {}\n\"e\": null\n\"f\": true\n\"g\": 0.1\n\"h\": 1000000000000000000000000000000\n",
        ),
        (
            r#"[{a=1,b=[1]},[1,[2,3]],"x\ny"]"#.into(),
            "- \"a\": 1\n  \"b\":\n  - 1\n- - 1\n  - - 2\n    - 3\n- |-\n  x\n  y\n",
        ),
        (
            r#""tab\there é 😀 \u0085 \u00a0 \u2028 \r bell\u0007""#.into(),
            "\"tab\\there é \\U0001F600 \\N \u{a0} \\L \\r bell\\a\"\n",
        ),
        (r#"[{"a\nb"="c"}]"#.into(), "- ? |-\n    a\n    b\n  : \"c\"\n"),
        (r#"{"a\nb"={c=1}}"#.into(), "? |-\n  a\n  b\n: \"c\": 1\n"),
        (r#"["", "\n", "a \nb", "x\n "]"#.into(), "- \"\"\n- |2+\n\n- \"a \\nb\"\n- \"x\\n \"\n"),
        (r#""del\u007f bom\ufeff e\u001b""#.into(), "\"del\\x7F bom\\uFEFF e\\e\"\n"),
        ("-0.5".into(), "-0.5\n...\n"),
        ("null".into(), "null\n...\n"),
        ("1/0".into(), "+Inf\n...\n"),
        (
            format!(r#"{{key={{inner="{long}"}}}}"#),
            "\"key\":\n  \"inner\": \"aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee fffffffff ggggggggg\n    hhhhhhhhh  iiiiiiiii jjjjjjjjj kkkkkkkkk lllllllll mmmmmmmmm nnnnnnnnn ooooooooo\n    ppppppppp qqqqqqqqq\"\n",
        ),
        (
            r#"join("  ", [for i in range(12): "wwwwwwwwww"])"#.into(),
            "\"wwwwwwwwww  wwwwwwwwww  wwwwwwwwww  wwwwwwwwww  wwwwwwwwww  wwwwwwwwww  wwwwwwwwww\n  \\ wwwwwwwwww  wwwwwwwwww  wwwwwwwwww  wwwwwwwwww  wwwwwwwwww\"\n",
        ),
    ];
    for (expr, want) in cases {
        let got = evaluate_str(&format!("yamlencode({expr})"), &Scope::default())
            .unwrap_or_else(|e| panic!("yamlencode({expr}): {e}"));
        assert_eq!(got.as_str(), Some(want), "yamlencode({expr})");
    }
}

/// Dates pinned to Terraform 1.11's answers, including its 12-hour clock
/// at midnight and noon and the offset kept through `timeadd`.
#[test]
fn formatdate_and_timeadd_answer_as_terraform_does() {
    let cases = [
        (
            r#"formatdate("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z")"#,
            "02 Jan 2018 23:12 UTC",
        ),
        (
            r#"formatdate("H HH AA", "2018-01-02T00:00:00Z")"#,
            "12 12 AM",
        ),
        (
            r#"formatdate("H HH aa ZZZ Z ZZZZ ZZZZZ", "2018-01-02T12:00:00Z")"#,
            "12 12 pm UTC Z +0000 +00:00",
        ),
        (
            r#"formatdate("EEEE DD MMM YYYY", "1969-12-31T23:59:59Z")"#,
            "Wednesday 31 Dec 1969",
        ),
        (r#"formatdate("EEEE", "2000-02-29T00:00:00Z")"#, "Tuesday"),
        (
            r#"formatdate("DD hh:mm:ss", "2018-01-02T12:00:00.123456789+05:30")"#,
            "02 12:00:00",
        ),
        (
            r#"timeadd("2017-11-22T00:00:00.5Z", "1h2m3s4ms5us6ns")"#,
            "2017-11-22T01:02:03Z",
        ),
        (
            r#"timeadd("2017-11-22T00:00:00+01:00", "-1.5h")"#,
            "2017-11-21T22:30:00+01:00",
        ),
        (
            r#"timeadd("2017-11-22T00:00:00.999999999Z", "1ns")"#,
            "2017-11-22T00:00:01Z",
        ),
        (
            r#"timeadd("2017-11-22T00:00:00Z", "1000000h")"#,
            "2131-12-21T16:00:00Z",
        ),
        (
            r#"timeadd("2017-11-22T00:00:00Z", "+2562047h47m16.854775807s")"#,
            "2310-03-03T23:47:16Z",
        ),
        // timecmp parses with Go's layout parser, which the others tighten.
        (
            r#"tostring(timecmp("2018-01-02T1:00:00Z", "2018-01-02T10:00:00,5Z"))"#,
            "-1",
        ),
        (
            r#"tostring(timecmp("2018-01-02T10:00:00+24:00", "2018-01-02T10:00:00+24:60"))"#,
            "1",
        ),
    ];
    for (expr, want) in cases {
        let got = evaluate_str(expr, &Scope::default()).unwrap_or_else(|e| panic!("{expr}: {e}"));
        assert_eq!(got.as_str(), Some(want), "{expr}");
    }
    let errors = [
        (
            r#"formatdate("DD", "2018-02-30T12:00:00Z")"#,
            "not a valid RFC3339 timestamp: day out of range",
        ),
        (
            r#"formatdate("DD", "2018-01-02T25:00:00Z")"#,
            "hour must be between 0 and 23 inclusive",
        ),
        (
            r#"formatdate("DD", "2018-01-02T12:60:00Z")"#,
            "minute must have exactly two digits",
        ),
        (
            r#"formatdate("DD", "2018-01-02T12:00:60Z")"#,
            r#"cannot use "Z" as second"#,
        ),
        (
            r#"formatdate("DD", "2018-13-02T12:00:00Z")"#,
            r#"cannot use "-02T12:00:00Z" as month"#,
        ),
        (
            r#"formatdate("DD", "2018-01-02T12:00:00+24:00")"#,
            r#"cannot use "+24:00" as UTC offset"#,
        ),
        (
            r#"formatdate("DD", "2018-01-02T12:00:00")"#,
            "end of string before UTC offset",
        ),
        (
            r#"formatdate("DD", "2018-01-02t12:00:00z")"#,
            "missing required time introducer 'T'",
        ),
        (
            r#"formatdate("EEEEE", "2018-01-02T12:00:00Z")"#,
            r#"day of week must either be "EEE" or "EEEE""#,
        ),
        (
            r#"formatdate("'open", "2018-01-02T12:00:00Z")"#,
            "unterminated literal '",
        ),
        (
            r#"timeadd("2018-01-02T1:00:00Z", "1h")"#,
            "hour must have exactly two digits",
        ),
        (
            r#"timeadd("2018-01-02T10:00:00,5Z", "1h")"#,
            r#"cannot use "," as timestamp segment"#,
        ),
        (
            r#"timecmp("2018-01-02T10:00:00+25:00", "2018-01-02T10:00:00Z")"#,
            "end of string before UTC offset",
        ),
        (
            r#"timeadd("2017-11-22T00:00:00Z", "1d")"#,
            r#"time: unknown unit "d" in duration "1d""#,
        ),
        (
            r#"timeadd("2017-11-22T00:00:00Z", "1")"#,
            r#"time: missing unit in duration "1""#,
        ),
        (
            r#"timeadd("2017-11-22T00:00:00Z", "10000000h")"#,
            r#"time: invalid duration "10000000h""#,
        ),
    ];
    for (expr, want) in errors {
        let err = evaluate_str(expr, &Scope::default())
            .expect_err(expr)
            .to_string();
        assert!(err.contains(want), "{expr}: {err}");
    }
}

/// Where Terraform would build a string or a loop as large as one number
/// asks, the evaluator stops with an error instead: a configuration a model
/// wrote must not hang or exhaust the process that validates it. Below the
/// limits it agrees with `terraform console` (checked by hand: each
/// `length` below is what Terraform 1.11 printed).
#[test]
fn what_would_exhaust_the_process_is_an_error() {
    let len = |e: &str| ours(&format!("length({e})"));
    assert_eq!(len(r#"format("%10000000d", 1)"#), Ok("10000000".into()));
    assert_eq!(len(r#"format("%.10000001f", 1)"#), Ok("10000003".into()));
    assert_eq!(len("indent(1000001, \"a\\nb\")"), Ok("1000004".into()));
    assert_eq!(ours("indent(1e15, \"ab\")"), Ok("\"ab\"".into()));
    assert_eq!(
        len("[for x in range(1024): [for y in range(1024): y]]"),
        Ok("1024".into())
    );
    // Terraform prints Go's "%!(NOVERB)" for a width past Go's limit, pads
    // %s to any width, and builds any indent.
    for e in [
        r#"format("%99999999d", 1)"#,
        r#"format("%999999999s", "a")"#,
        r#"formatlist("%.99999999f", [1])"#,
        "indent(100000000, \"a\\nb\")",
        "indent(9007199254740993, \"a\\nb\")",
        r#"join("", [for i in range(1024): format("%100000d", 1)])"#,
    ] {
        assert_eq!(ours(e), Err("Error in function call".into()), "{e}");
    }
    // Strings that double through locals grow without any large number;
    // joins and templates stop at MAX_STRING too.
    let joined = r#"join("", [for i in range(100): format("%100000d", 1)])"#;
    assert_eq!(len(joined), Ok("10000000".into()));
    assert_eq!(
        ours(r#""%{for i in range(1024)}${format("%100000d", 1)}%{endfor}""#),
        Err("String too long".into())
    );
    for e in [
        "[for x in range(1024): [for y in range(1024): [for z in range(1024): z]]]",
        "\"%{for x in range(1024)}%{for y in range(1024)}%{for z in range(8)}.%{endfor}%{endfor}%{endfor}\"",
    ] {
        assert_eq!(ours(e), Err("Too many iterations".into()), "{e}");
    }
}

/// `setproduct` as Terraform 1.11 printed each case in `terraform console`
/// (pinned here: the generated differential above does not call it).
#[test]
fn setproduct_prints_what_terraform_prints() {
    let cases: Vec<(&str, Result<&str, &str>)> = vec![
        (
            r#"setproduct(["a","b"], ["x","y"])"#,
            Ok(r#"tolist([
  [
    "a",
    "x",
  ],
  [
    "a",
    "y",
  ],
  [
    "b",
    "x",
  ],
  [
    "b",
    "y",
  ],
])"#),
        ),
        (
            r#"setproduct(toset(["b","a"]), toset(["y","x"]))"#,
            Ok(r#"toset([
  [
    "a",
    "x",
  ],
  [
    "a",
    "y",
  ],
  [
    "b",
    "x",
  ],
  [
    "b",
    "y",
  ],
])"#),
        ),
        (
            r#"setproduct(["a"], toset(["x"]))"#,
            Ok(r#"toset([
  [
    "a",
    "x",
  ],
])"#),
        ),
        (r#"setproduct([], ["x"])"#, Ok(r#"tolist([])"#)),
        (r#"setproduct(toset([]), ["a"])"#, Ok(r#"toset([])"#)),
        (
            r#"setproduct([1, "a"], ["x"])"#,
            Ok(r#"tolist([
  [
    "1",
    "x",
  ],
  [
    "a",
    "x",
  ],
])"#),
        ),
        (
            r#"setproduct(["a","a"], ["x"])"#,
            Ok(r#"tolist([
  [
    "a",
    "x",
  ],
  [
    "a",
    "x",
  ],
])"#),
        ),
        (
            r#"setproduct(["a", null], ["x"])"#,
            Ok(r#"tolist([
  [
    "a",
    "x",
  ],
  [
    tostring(null),
    "x",
  ],
])"#),
        ),
        (
            r#"setproduct(["a"], [["x"]], [1])"#,
            Ok(r#"tolist([
  [
    "a",
    [
      "x",
    ],
    1,
  ],
])"#),
        ),
        (r#"setproduct(["a"])"#, Err("Error in function call")),
        (
            r#"setproduct({a=1}, ["x"])"#,
            Err("Invalid function argument"),
        ),
    ];
    for (expr, want) in cases {
        let want = want.map(String::from).map_err(String::from);
        assert_eq!(ours(expr), want, "{expr}");
    }
    assert_eq!(
        ours("length(setproduct(range(1024), range(1024)))"),
        Ok("1048576".into())
    );
    assert_eq!(
        ours("setproduct(range(1024), range(1024), range(1024))"),
        Err("Error in function call".into())
    );
    // An empty argument makes the product empty before anything is built
    // (terraform console printed tolist([]) at once).
    assert_eq!(
        ours("setproduct(range(1024), range(1024), range(1024), [])"),
        Ok("tolist([])".into())
    );
}

/// Sets of collections in Terraform's order, as Terraform 1.11 printed
/// them (`jsonencode(...)` in `terraform console`): cty orders such
/// elements by the bytes of their set hash, so `[10]` precedes `[1]`.
#[test]
fn sets_of_collections_are_ordered_as_terraform_orders_them() {
    let cases = [
        ("toset([[2],[1],[10]])", r#""[[10],[1],[2]]""#),
        ("toset([{a=2},{a=1}])", r#""[{\"a\":1},{\"a\":2}]""#),
        (
            r#"toset([["b"],["a","c"]])"#,
            r#""[[\"a\",\"c\"],[\"b\"]]""#,
        ),
        ("toset([[1e21],[5]])", r#""[[1000000000000000000000],[5]]""#),
        ("toset([[0.5],[0.25]])", r#""[[0.25],[0.5]]""#),
        ("toset([[true],[false]])", r#""[[false],[true]]""#),
        (
            r#"toset([[tostring(null)],["a"]])"#,
            r#""[[\"a\"],[null]]""#,
        ),
        (
            r#"toset([tomap({b="1"}), tomap({a="2"})])"#,
            r#""[{\"a\":\"2\"},{\"b\":\"1\"}]""#,
        ),
        (
            "toset([[1234567890123],[1234567890124], [123456789012]])",
            r#""[[123456789012],[1234567890123],[1234567890124]]""#,
        ),
    ];
    for (set, want) in cases {
        assert_eq!(
            ours(&format!("jsonencode({set})")),
            Ok(want.to_string()),
            "{set}"
        );
    }
}
