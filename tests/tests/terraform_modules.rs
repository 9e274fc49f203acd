//! Loading the terraform-aws-modules repositories: they are valid Terraform,
//! so every reference to a variable, local, resource, data source or module
//! must resolve to a declaration of the same module directory.

use std::collections::BTreeSet;
use std::path::PathBuf;

use infrarag::terraform::{DeclarationKind, Module, ReferenceKind};
use infrarag_tests::{corpus, files_with_ext};

fn module_dirs(root: &std::path::Path) -> Vec<PathBuf> {
    let dirs: BTreeSet<PathBuf> = files_with_ext(&root.join("modules"), ".tf")
        .into_iter()
        .filter_map(|p| p.parent().map(|d| d.to_path_buf()))
        .collect();
    dirs.into_iter().collect()
}

#[test]
fn every_reference_in_the_corpus_modules_resolves() {
    let root = corpus();
    let dirs = module_dirs(&root);
    assert!(
        dirs.len() > 100,
        "expected the six repos' module directories, got {}",
        dirs.len()
    );
    let mut unresolved = Vec::new();
    let mut total = 0;
    for dir in &dirs {
        let m = Module::load(dir).expect("module loads");
        // sg's `_templates` is copied into each generated module beside an
        // `auto_values.tf` that declares its `auto_*` variables.
        let template = dir.ends_with("sg/modules/_templates");
        if let Some((path, d)) = m.diagnostics().next() {
            panic!(
                "{}/{}: unexpected diagnostic {d}",
                dir.display(),
                path.display()
            );
        }
        // `moved` / `removed` name addresses that no longer exist.
        let current = m
            .declarations
            .iter()
            .filter(|d| !matches!(d.kind, DeclarationKind::Moved | DeclarationKind::Removed));
        for decl in current {
            for r in &decl.references {
                let checked = matches!(
                    r.kind,
                    ReferenceKind::Variable
                        | ReferenceKind::Local
                        | ReferenceKind::Resource
                        | ReferenceKind::Data
                        | ReferenceKind::Module
                );
                if !checked {
                    continue;
                }
                total += 1;
                if m.get(&r.subject).is_none() && !(template && r.subject.starts_with("var.auto_"))
                {
                    unresolved.push(format!(
                        "{}: {} -> {}",
                        dir.display(),
                        decl.address,
                        r.subject
                    ));
                }
            }
        }
    }
    assert!(total > 5000, "only {total} references found");
    assert!(
        unresolved.is_empty(),
        "{} unresolved:\n{}",
        unresolved.len(),
        unresolved[..unresolved.len().min(20)].join("\n")
    );
}

#[test]
fn hand_checked_module() {
    let main = r#"
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
  backend "s3" {}
}

provider "aws" {
  alias  = "west"
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
  validation {
    condition     = length(var.region) > 0
    error_message = "Region must be set."
  }
}

variable "subnets" {
  type = list(object({ id = string }))
  default = []
}

locals {
  name = "logs"
  tags = { Name = local.name }
}

resource "aws_s3_bucket" "logs" {
  provider = aws.west
  bucket   = "${local.name}-${var.region}"
  tags     = local.tags
  dynamic "grant" {
    for_each = var.subnets
    content {
      id = grant.value.id
    }
  }
}

data "aws_iam_policy_document" "this" {
  statement {
    resources = [for s in var.subnets : s.id if s.id != aws_s3_bucket.logs.id]
  }
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.1.0"
  count   = 1
  name    = data.aws_iam_policy_document.this.json
}

output "bucket_arn" {
  value = aws_s3_bucket.logs.arn
}

moved {
  from = aws_s3_bucket.old
  to   = aws_s3_bucket.logs
}
"#;
    let m = Module::from_sources([("main.tf", main)]);
    assert!(m.diagnostics().next().is_none());
    let addresses: Vec<&str> = m.declarations.iter().map(|d| d.address.as_str()).collect();
    assert_eq!(
        addresses,
        [
            "terraform",
            "provider.aws.west",
            "var.region",
            "var.subnets",
            "local.name",
            "local.tags",
            "aws_s3_bucket.logs",
            "data.aws_iam_policy_document.this",
            "module.vpc",
            "output.bucket_arn",
            "moved[0]",
        ]
    );
    let tf = m.get("terraform").unwrap();
    assert_eq!(tf.details.required_version.as_deref(), Some(">= 1.5"));
    assert_eq!(
        tf.details.required_providers["aws"].source.as_deref(),
        Some("hashicorp/aws")
    );
    assert_eq!(tf.details.backend.as_deref(), Some("s3"));
    let region = m.get("var.region").unwrap();
    assert_eq!(region.details.type_constraint.as_deref(), Some("string"));
    assert_eq!(region.details.default, Some(serde_json::json!("eu-west-1")));
    assert_eq!(
        region.details.validations[0].error_message.as_deref(),
        Some("Region must be set.")
    );
    assert!(
        m.get("var.subnets").unwrap().references.is_empty(),
        "type constraints are not references"
    );
    assert_eq!(
        m.get("local.name").unwrap().details.value,
        Some(serde_json::json!("logs"))
    );
    assert_eq!(
        m.dependencies("aws_s3_bucket.logs"),
        [
            "provider.aws.west",
            "local.name",
            "var.region",
            "local.tags",
            "var.subnets"
        ]
    );
    // `s` is the for-expression variable, not a resource.
    assert_eq!(
        m.dependencies("data.aws_iam_policy_document.this"),
        ["var.subnets", "aws_s3_bucket.logs"]
    );
    let vpc = m.get("module.vpc").unwrap();
    assert_eq!(
        vpc.details.source.as_deref(),
        Some("terraform-aws-modules/vpc/aws")
    );
    assert_eq!(vpc.details.version.as_deref(), Some("5.1.0"));
    assert!(vpc.details.count);
    let mut dependents = m.dependents("aws_s3_bucket.logs");
    dependents.sort();
    assert_eq!(
        dependents,
        [
            "data.aws_iam_policy_document.this",
            "moved[0]",
            "output.bucket_arn"
        ]
    );
    assert_eq!(m.of_kind(DeclarationKind::Local).count(), 2);
    let out = m.get("output.bucket_arn").unwrap();
    assert_eq!(out.references[0].attribute.as_deref(), Some("arn"));
    assert_eq!(out.references[0].span.start.line, 60);
}
