//! checkov's checks that judge one attribute of a resource, as rows of
//! data: id, title, resource types, the attribute's path (dotted through
//! nested blocks: `logging_configuration.worker_logs.enabled`; names a
//! provider renamed as alternatives, `a|b`, the first one set read), and
//! what passes.
//!
//! What passes, each as checkov's base value checks decide it (a reference
//! whose value is unknown is UNKNOWN in all of them):
//! - `true` / `false`: that value, or its string in any case; missing fails.
//! - `not_true` / `not_false`: anything but that value; missing passes.
//! - `given`: set to anything, a reference included; missing, null or an
//!   empty string fails.
//! - `nonblank`: a string with more than spaces in it; missing fails.
//! - `absent`: not set (missing, null or an empty string); anything
//!   else, a reference included, fails.
//! - `block`: the nested block is written (`identity { ... }`).
//! - `nonempty`: a list with at least one item; missing fails.
//! - `one_of(...)`: one of these strings; missing fails.
//! - `none_of(...)`: none of these strings; missing passes.
//! - `never`: every resource of the types fails (types checkov forbids).
//! - `excludes(...)`: a list holding none of these strings; missing passes.
//! - `at_least(n)`: a number (or numeric string) of at least `n`; missing
//!   fails. `not_below(n)` / `not_above(n)`: anything but a number below /
//!   above `n`; missing passes.
//!
//! Each row's semantics come from the check's title and its fixture's
//! verdicts in `../shared/corpus/checkov-all`, which `tests/tests/checkov.rs`
//! holds every row to.

use super::*;

/// The first of the `|`-separated paths the resource sets, else the last.
fn first(r: &Resource<'_>, paths: &'static str) -> &'static str {
    let mut last = paths;
    for p in paths.split('|') {
        last = p;
        if r.get(p) != Read::Missing {
            return p;
        }
    }
    last
}

/// One row: a [`Check`] whose judge reads `path` and compares it with what
/// passes (see the module's documentation).
macro_rules! attribute {
    (@judge $r:ident, $path:literal, never) => {{
        let _ = $r;
        Failed
    }};
    (@judge $r:ident, $path:literal, true) => { is_true($r, first($r, $path)) };
    (@judge $r:ident, $path:literal, false) => { is_false($r, first($r, $path)) };
    (@judge $r:ident, $path:literal, not_true) => { forbid($r, first($r, $path), Read::is_true) };
    (@judge $r:ident, $path:literal, not_false) => { forbid($r, first($r, $path), Read::is_false) };
    (@judge $r:ident, $path:literal, given) => { any_value($r, first($r, $path)) };
    (@judge $r:ident, $path:literal, nonblank) => {
        expect($r, first($r, $path), |v| v.as_str().is_some_and(|s| !s.trim().is_empty()), Failed)
    };
    (@judge $r:ident, $path:literal, absent) => { fails_if($r.get(first($r, $path)).is_given()) };
    (@judge $r:ident, $path:literal, block) => { block($r, $path) };
    (@judge $r:ident, $path:literal, nonempty) => {
        expect($r, first($r, $path), |v| matches!(v, Read::Constant(Value::Array(a)) if !a.is_empty()), Failed)
    };
    (@judge $r:ident, $path:literal, one_of($($v:literal),+)) => {
        expect($r, first($r, $path), |v| matches!(v.as_str(), Some($($v)|+)), Failed)
    };
    (@judge $r:ident, $path:literal, none_of($($v:literal),+)) => {
        forbid($r, first($r, $path), |v| matches!(v.as_str(), Some($($v)|+)))
    };
    (@judge $r:ident, $path:literal, excludes($($v:literal),+)) => {
        forbid($r, first($r, $path), |v| {
            strings(v).is_some_and(|items| items.iter().any(|i| matches!(*i, $($v)|+)))
        })
    };
    (@judge $r:ident, $path:literal, at_least($n:literal)) => {
        expect($r, first($r, $path), |v| number(v).is_some_and(|x| x >= $n as f64), Failed)
    };
    (@judge $r:ident, $path:literal, not_below($n:literal)) => {
        forbid($r, first($r, $path), |v| number(v).is_some_and(|x| x < $n as f64))
    };
    (@judge $r:ident, $path:literal, not_above($n:literal)) => {
        forbid($r, first($r, $path), |v| number(v).is_some_and(|x| x > $n as f64))
    };
    ($id:literal, $title:literal, [$($t:literal),+], $path:literal, $($want:tt)+) => {
        Check {
            block: "resource",
            id: $id,
            title: $title,
            types: &[$($t),+],
            judge: |r| attribute!(@judge r, $path, $($want)+),
        }
    };
}

pub(super) static CHECKS: &[Check] = &[
    // AWS
    attribute!("CKV_AWS_5", "Ensure all data stored in the Elasticsearch is securely encrypted at rest", ["aws_elasticsearch_domain", "aws_opensearch_domain"], "encrypt_at_rest.enabled", true),
    attribute!("CKV_AWS_26", "Ensure all data stored in the SNS topic is encrypted", ["aws_sns_topic"], "kms_master_key_id", given),
    attribute!("CKV_AWS_42", "Ensure EFS is securely encrypted", ["aws_efs_file_system"], "encrypted", true),
    attribute!("CKV_AWS_43", "Ensure Kinesis Stream is securely encrypted", ["aws_kinesis_stream"], "encryption_type", one_of("KMS")),
    attribute!("CKV_AWS_44", "Ensure Neptune storage is securely encrypted", ["aws_neptune_cluster"], "storage_encrypted", true),
    attribute!("CKV_AWS_47", "Ensure DAX is encrypted at rest (default is unencrypted)", ["aws_dax_cluster"], "server_side_encryption.enabled", true),
    attribute!("CKV_AWS_48", "Ensure MQ Broker logging is enabled", ["aws_mq_broker"], "logs.general", true),
    attribute!("CKV_AWS_51", "Ensure ECR Image Tags are immutable", ["aws_ecr_repository"], "image_tag_mutability", one_of("IMMUTABLE")),
    attribute!("CKV_AWS_66", "Ensure that CloudWatch Log Group specifies retention days", ["aws_cloudwatch_log_group"], "retention_in_days", given),
    attribute!("CKV_AWS_68", "CloudFront Distribution should have WAF enabled", ["aws_cloudfront_distribution"], "web_acl_id", given),
    attribute!("CKV_AWS_83", "Ensure Elasticsearch Domain enforces HTTPS", ["aws_elasticsearch_domain", "aws_opensearch_domain"], "domain_endpoint_options.enforce_https", not_false),
    attribute!("CKV_AWS_85", "Ensure DocumentDB Logging is enabled", ["aws_docdb_cluster"], "enabled_cloudwatch_logs_exports", nonempty),
    attribute!("CKV_AWS_106", "Ensure EBS default encryption is enabled", ["aws_ebs_encryption_by_default"], "enabled", not_false),
    attribute!("CKV_AWS_120", "Ensure API Gateway caching is enabled", ["aws_api_gateway_stage"], "cache_cluster_enabled", true),
    attribute!("CKV_AWS_129", "Ensure that respective logs of Amazon Relational Database Service (Amazon RDS) are enabled", ["aws_db_instance"], "enabled_cloudwatch_logs_exports", nonempty),
    attribute!("CKV_AWS_137", "Ensure that Elasticsearch is configured inside a VPC", ["aws_elasticsearch_domain", "aws_opensearch_domain"], "vpc_options", block),
    attribute!("CKV_AWS_150", "Ensure that Load Balancer has deletion protection enabled", ["aws_lb", "aws_alb"], "enable_deletion_protection", true),
    attribute!("CKV_AWS_154", "Ensure Redshift is not deployed outside of a VPC", ["aws_redshift_cluster"], "cluster_subnet_group_name", given),
    attribute!("CKV_AWS_155", "Ensure that Workspace user volumes are encrypted", ["aws_workspaces_workspace"], "user_volume_encryption_enabled", true),
    attribute!("CKV_AWS_156", "Ensure that Workspace root volumes are encrypted", ["aws_workspaces_workspace"], "root_volume_encryption_enabled", true),
    attribute!("CKV_AWS_158", "Ensure that CloudWatch Log Group is encrypted by KMS", ["aws_cloudwatch_log_group"], "kms_key_id", given),
    attribute!("CKV_AWS_159", "Ensure that Athena Workgroup is encrypted", ["aws_athena_workgroup"], "configuration.result_configuration.encryption_configuration.encryption_option", given),
    attribute!("CKV_AWS_160", "Ensure that Timestream database is encrypted with KMS CMK", ["aws_timestreamwrite_database"], "kms_key_id", given),
    attribute!("CKV_AWS_162", "Ensure RDS cluster has IAM authentication enabled", ["aws_rds_cluster"], "iam_database_authentication_enabled", true),
    attribute!("CKV_AWS_164", "Ensure Transfer Server is not exposed publicly.", ["aws_transfer_server"], "endpoint_type", one_of("VPC")),
    attribute!("CKV_AWS_166", "Ensure Backup Vault is encrypted at rest using KMS CMK", ["aws_backup_vault"], "kms_key_arn", given),
    attribute!("CKV_AWS_170", "Ensure QLDB ledger permissions mode is set to STANDARD", ["aws_qldb_ledger"], "permissions_mode", one_of("STANDARD")),
    attribute!("CKV_AWS_172", "Ensure QLDB ledger has deletion protection enabled", ["aws_qldb_ledger"], "deletion_protection", not_false),
    attribute!("CKV_AWS_174", "Verify CloudFront Distribution Viewer Certificate is using TLS v1.2 or higher", ["aws_cloudfront_distribution"], "viewer_certificate.minimum_protocol_version", one_of("TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.3_2025")),
    attribute!("CKV_AWS_176", "Ensure Logging is enabled for WAF Web Access Control Lists", ["aws_waf_web_acl", "aws_wafregional_web_acl"], "logging_configuration.log_destination", given),
    attribute!("CKV_AWS_177", "Ensure Kinesis Video Stream is encrypted by KMS using a customer managed Key (CMK)", ["aws_kinesis_video_stream"], "kms_key_id", given),
    attribute!("CKV_AWS_178", "Ensure fx ontap file system is encrypted by KMS using a customer managed Key (CMK)", ["aws_fsx_ontap_file_system"], "kms_key_id", given),
    attribute!("CKV_AWS_179", "Ensure FSX Windows filesystem is encrypted by KMS using a customer managed Key (CMK)", ["aws_fsx_windows_file_system"], "kms_key_id", given),
    attribute!("CKV_AWS_180", "Ensure Image Builder component is encrypted by KMS using a customer managed Key (CMK)", ["aws_imagebuilder_component"], "kms_key_id", given),
    attribute!("CKV_AWS_181", "Ensure S3 Object Copy is encrypted by KMS using a customer managed Key (CMK)", ["aws_s3_object_copy"], "kms_key_id", given),
    attribute!("CKV_AWS_182", "Ensure DocumentDB is encrypted by KMS using a customer managed Key (CMK)", ["aws_docdb_cluster"], "kms_key_id", given),
    attribute!("CKV_AWS_183", "Ensure EBS Snapshot Copy is encrypted by KMS using a customer managed Key (CMK)", ["aws_ebs_snapshot_copy"], "kms_key_id", given),
    attribute!("CKV_AWS_184", "Ensure resource is encrypted by KMS using a customer managed Key (CMK)", ["aws_efs_file_system"], "kms_key_id", given),
    attribute!("CKV_AWS_185", "Ensure Kinesis Stream is encrypted by KMS using a customer managed Key (CMK)", ["aws_kinesis_stream"], "kms_key_id", given),
    attribute!("CKV_AWS_186", "Ensure S3 bucket Object is encrypted by KMS using a customer managed Key (CMK)", ["aws_s3_bucket_object"], "kms_key_id", given),
    attribute!("CKV_AWS_187", "Ensure Sagemaker domain and notebook instance are encrypted by KMS using a customer managed Key (CMK)", ["aws_sagemaker_domain", "aws_sagemaker_notebook_instance"], "kms_key_id", given),
    attribute!("CKV_AWS_189", "Ensure EBS Volume is encrypted by KMS using a customer managed Key (CMK)", ["aws_ebs_volume"], "kms_key_id", given),
    attribute!("CKV_AWS_190", "Ensure lustre file systems is encrypted by KMS using a customer managed Key (CMK)", ["aws_fsx_lustre_file_system"], "kms_key_id", given),
    attribute!("CKV_AWS_191", "Ensure ElastiCache replication group is encrypted by KMS using a customer managed Key (CMK)", ["aws_elasticache_replication_group"], "kms_key_id", given),
    attribute!("CKV_AWS_193", "Ensure AppSync has Logging enabled", ["aws_appsync_graphql_api"], "log_config.cloudwatch_logs_role_arn", given),
    attribute!("CKV_AWS_194", "Ensure AppSync has Field-Level logs enabled", ["aws_appsync_graphql_api"], "log_config.field_log_level", one_of("ALL", "ERROR")),
    attribute!("CKV_AWS_195", "Ensure Glue component has a security configuration associated", ["aws_glue_crawler", "aws_glue_dev_endpoint", "aws_glue_job"], "security_configuration", given),
    attribute!("CKV_AWS_196", "Ensure no aws_elasticache_security_group resources exist", ["aws_elasticache_security_group"], "", never),
    attribute!("CKV_AWS_198", "Ensure no aws_db_security_group resources exist", ["aws_db_security_group"], "", never),
    attribute!("CKV_AWS_199", "Ensure Image Builder Distribution Configuration encrypts AMI's using KMS - a customer managed Key (CMK)", ["aws_imagebuilder_distribution_configuration"], "distribution.ami_distribution_configuration.kms_key_id", given),
    attribute!("CKV_AWS_201", "Ensure MemoryDB is encrypted at rest using KMS CMKs", ["aws_memorydb_cluster"], "kms_key_arn", given),
    attribute!("CKV_AWS_202", "Ensure MemoryDB data is encrypted in transit", ["aws_memorydb_cluster"], "tls_enabled", not_false),
    attribute!("CKV_AWS_203", "Ensure resource is encrypted by KMS using a customer managed Key (CMK)", ["aws_fsx_openzfs_file_system"], "kms_key_id", given),
    attribute!("CKV_AWS_206", "Ensure API Gateway Domain uses a modern security Policy", ["aws_api_gateway_domain_name"], "security_policy", none_of("TLS_1_0")),
    attribute!("CKV_AWS_207", "Ensure MQ Broker minor version updates are enabled", ["aws_mq_broker"], "auto_minor_version_upgrade", true),
    attribute!("CKV_AWS_209", "Ensure MQ broker encrypted by KMS using a customer managed Key (CMK)", ["aws_mq_broker"], "encryption_options.kms_key_id", given),
    attribute!("CKV_AWS_211", "Ensure RDS uses a modern CaCert", ["aws_db_instance"], "ca_cert_identifier", none_of("rds-ca-2015")),
    attribute!("CKV_AWS_212", "Ensure DMS replication instance is encrypted by KMS using a customer managed Key (CMK)", ["aws_dms_replication_instance"], "kms_key_arn", given),
    attribute!("CKV_AWS_214", "Ensure AppSync API Cache is encrypted at rest", ["aws_appsync_api_cache"], "at_rest_encryption_enabled", true),
    attribute!("CKV_AWS_215", "Ensure AppSync API Cache is encrypted in transit", ["aws_appsync_api_cache"], "transit_encryption_enabled", true),
    attribute!("CKV_AWS_216", "Ensure CloudFront distribution is enabled", ["aws_cloudfront_distribution"], "enabled", true),
    attribute!("CKV_AWS_217", "Ensure Create before destroy for API deployments", ["aws_api_gateway_deployment"], "lifecycle.create_before_destroy", true),
    attribute!("CKV_AWS_218", "Ensure that CloudSearch is using latest TLS", ["aws_cloudsearch_domain"], "endpoint_options.tls_security_policy", one_of("Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10")),
    attribute!("CKV_AWS_219", "Ensure CodePipeline Artifact store is using a KMS CMK", ["aws_codepipeline"], "artifact_store.encryption_key.id", given),
    attribute!("CKV_AWS_220", "Ensure that CloudSearch is using https", ["aws_cloudsearch_domain"], "endpoint_options.enforce_https", true),
    attribute!("CKV_AWS_221", "Ensure CodeArtifact Domain is encrypted by KMS using a customer managed Key (CMK)", ["aws_codeartifact_domain"], "encryption_key", given),
    attribute!("CKV_AWS_222", "Ensure DMS replication instance gets all minor upgrade automatically", ["aws_dms_replication_instance"], "auto_minor_version_upgrade", true),
    attribute!("CKV_AWS_223", "Ensure ECS Cluster enables logging of ECS Exec", ["aws_ecs_cluster"], "configuration.execute_command_configuration.logging", none_of("NONE")),
    attribute!("CKV_AWS_225", "Ensure API Gateway method setting caching is enabled", ["aws_api_gateway_method_settings"], "settings.caching_enabled", true),
    attribute!("CKV_AWS_226", "Ensure DB instance gets all minor upgrades automatically", ["aws_db_instance", "aws_rds_cluster_instance"], "auto_minor_version_upgrade", true),
    attribute!("CKV_AWS_227", "Ensure KMS key is enabled", ["aws_kms_key"], "is_enabled", not_false),
    attribute!("CKV_AWS_228", "Verify Elasticsearch domain is using an up to date TLS policy", ["aws_elasticsearch_domain", "aws_opensearch_domain"], "domain_endpoint_options.tls_security_policy", one_of("Policy-Min-TLS-1-2-2019-07", "Policy-Min-TLS-1-2-PFS-2023-10")),
    attribute!("CKV_AWS_233", "Ensure Create before destroy for ACM certificates", ["aws_acm_certificate"], "lifecycle.create_before_destroy", true),
    attribute!("CKV_AWS_234", "Verify logging preference for ACM certificates", ["aws_acm_certificate"], "options.certificate_transparency_logging_preference", none_of("DISABLED")),
    attribute!("CKV_AWS_235", "Ensure that copied AMIs are encrypted", ["aws_ami_copy"], "encrypted", true),
    attribute!("CKV_AWS_236", "Ensure AMI copying uses a CMK", ["aws_ami_copy"], "kms_key_id", given),
    attribute!("CKV_AWS_237", "Ensure Create before destroy for API Gateway", ["aws_api_gateway_rest_api"], "lifecycle.create_before_destroy", true),
    attribute!("CKV_AWS_238", "Ensure that GuardDuty detector is enabled", ["aws_guardduty_detector"], "enable", not_false),
    attribute!("CKV_AWS_239", "Ensure DAX cluster endpoint is using TLS", ["aws_dax_cluster"], "cluster_endpoint_encryption_type", one_of("TLS")),
    attribute!("CKV_AWS_242", "Ensure MWAA environment has scheduler logs enabled", ["aws_mwaa_environment"], "logging_configuration.scheduler_logs.enabled", true),
    attribute!("CKV_AWS_243", "Ensure MWAA environment has worker logs enabled", ["aws_mwaa_environment"], "logging_configuration.worker_logs.enabled", true),
    attribute!("CKV_AWS_244", "Ensure MWAA environment has webserver logs enabled", ["aws_mwaa_environment"], "logging_configuration.webserver_logs.enabled", true),
    attribute!("CKV_AWS_245", "Ensure replicated backups are encrypted at rest using KMS CMKs", ["aws_db_instance_automated_backups_replication"], "kms_key_id", given),
    attribute!("CKV_AWS_246", "Ensure RDS Cluster activity streams are encrypted using KMS CMKs", ["aws_rds_cluster_activity_stream"], "kms_key_id", given),
    attribute!("CKV_AWS_247", "Ensure all data stored in the Elasticsearch is encrypted with a CMK", ["aws_elasticsearch_domain", "aws_opensearch_domain"], "encrypt_at_rest.kms_key_id", given),
    attribute!("CKV_AWS_248", "Ensure that Elasticsearch is not using the default Security Group", ["aws_elasticsearch_domain", "aws_opensearch_domain"], "vpc_options.security_group_ids", given),
    attribute!("CKV_AWS_251", "Ensure CloudTrail logging is enabled", ["aws_cloudtrail"], "enable_logging", not_false),
    attribute!("CKV_AWS_252", "Ensure CloudTrail defines an SNS Topic", ["aws_cloudtrail"], "sns_topic_name", given),
    attribute!("CKV_AWS_259", "Ensure CloudFront response header policy enforces Strict Transport Security", ["aws_cloudfront_response_headers_policy"], "security_headers_config.strict_transport_security.access_control_max_age_sec", at_least(31536000)),
    attribute!("CKV_AWS_262", "Ensure Kendra index Server side encryption uses CMK", ["aws_kendra_index"], "server_side_encryption_configuration.kms_key_id", given),
    attribute!("CKV_AWS_263", "Ensure AppFlow flow uses CMK", ["aws_appflow_flow"], "kms_arn", given),
    attribute!("CKV_AWS_264", "Ensure AppFlow connector profile uses CMK", ["aws_appflow_connector_profile"], "kms_arn", given),
    attribute!("CKV_AWS_265", "Ensure Keyspaces Table uses CMK", ["aws_keyspaces_table"], "encryption_specification.type", one_of("CUSTOMER_MANAGED_KMS_KEY")),
    attribute!("CKV_AWS_266", "Ensure DB Snapshot copy uses CMK", ["aws_db_snapshot_copy"], "kms_key_id", given),
    attribute!("CKV_AWS_267", "Ensure that Comprehend Entity Recognizer's model is encrypted by KMS using a customer managed Key (CMK)", ["aws_comprehend_entity_recognizer"], "model_kms_key_id", given),
    attribute!("CKV_AWS_268", "Ensure that Comprehend Entity Recognizer's volume is encrypted by KMS using a customer managed Key (CMK)", ["aws_comprehend_entity_recognizer"], "volume_kms_key_id", given),
    attribute!("CKV_AWS_269", "Ensure Connect Instance Kinesis Video Stream Storage Config uses CMK", ["aws_connect_instance_storage_config"], "storage_config.kinesis_video_stream_config.encryption_config.key_id", given),
    attribute!("CKV_AWS_270", "Ensure Connect Instance S3 Storage Config uses CMK", ["aws_connect_instance_storage_config"], "storage_config.s3_config.encryption_config.key_id", given),
    attribute!("CKV_AWS_271", "Ensure DynamoDB table replica KMS encryption uses CMK", ["aws_dynamodb_table_replica"], "kms_key_arn", given),
    attribute!("CKV_AWS_272", "Ensure AWS Lambda function is configured to validate code-signing", ["aws_lambda_function"], "code_signing_config_arn", given),
    attribute!("CKV_AWS_276", "Ensure Data Trace is not enabled in API Gateway Method Settings", ["aws_api_gateway_method_settings"], "settings.data_trace_enabled", not_true),
    attribute!("CKV_AWS_278", "Ensure MemoryDB snapshot is encrypted by KMS using a customer managed Key (CMK)", ["aws_memorydb_snapshot"], "kms_key_arn", given),
    attribute!("CKV_AWS_279", "Ensure Neptune snapshot is securely encrypted", ["aws_neptune_cluster_snapshot"], "storage_encrypted", true),
    attribute!("CKV_AWS_280", "Ensure Neptune snapshot is encrypted by KMS using a customer managed Key (CMK)", ["aws_neptune_cluster_snapshot"], "kms_key_id", given),
    attribute!("CKV_AWS_281", "Ensure RedShift snapshot copy is encrypted by KMS using a customer managed Key (CMK)", ["aws_redshift_snapshot_copy_grant"], "kms_key_id", given),
    attribute!("CKV_AWS_282", "Ensure that Redshift Serverless namespace is encrypted by KMS using a customer managed key (CMK)", ["aws_redshiftserverless_namespace"], "kms_key_id", given),
    attribute!("CKV_AWS_284", "Ensure State Machine has X-Ray tracing enabled", ["aws_sfn_state_machine"], "tracing_configuration.enabled", true),
    attribute!("CKV_AWS_285", "Ensure State Machine has execution history logging enabled", ["aws_sfn_state_machine"], "logging_configuration.include_execution_data", true),
    attribute!("CKV_AWS_291", "Ensure MSK nodes are private", ["aws_msk_cluster"], "broker_node_group_info.connectivity_info.public_access.type", none_of("SERVICE_PROVIDED_EIPS")),
    attribute!("CKV_AWS_292", "Ensure DocumentDB Global Cluster is encrypted at rest (default is unencrypted)", ["aws_docdb_global_cluster"], "storage_encrypted", true),
    attribute!("CKV_AWS_294", "Ensure CloudTrail Event Data Store uses CMK", ["aws_cloudtrail_event_data_store"], "kms_key_id", given),
    attribute!("CKV_AWS_295", "Ensure DataSync Location Object Storage doesn't expose secrets", ["aws_datasync_location_object_storage"], "secret_key", absent),
    attribute!("CKV_AWS_297", "Ensure EventBridge Scheduler Schedule uses Customer Managed Key (CMK)", ["aws_scheduler_schedule"], "kms_key_arn", given),
    attribute!("CKV_AWS_298", "Ensure DMS S3 uses Customer Managed Key (CMK)", ["aws_dms_s3_endpoint"], "kms_key_arn", given),
    attribute!("CKV_AWS_301", "Ensure that AWS Lambda function is not publicly accessible", ["aws_lambda_permission"], "principal", none_of("*")),
    attribute!("CKV_AWS_302", "Ensure DB Snapshots are not Public", ["aws_db_snapshot"], "shared_accounts", excludes("all")),
    attribute!("CKV_AWS_303", "Ensure SSM documents are not Public", ["aws_ssm_document"], "permissions.account_ids", none_of("All")),
    attribute!("CKV_AWS_305", "Ensure CloudFront distribution has a default root object configured", ["aws_cloudfront_distribution"], "default_root_object", given),
    attribute!("CKV_AWS_306", "Ensure SageMaker notebook instances should be launched into a custom VPC", ["aws_sagemaker_notebook_instance"], "subnet_id", given),
    attribute!("CKV_AWS_307", "Ensure SageMaker Users should not have root access to SageMaker notebook instances", ["aws_sagemaker_notebook_instance"], "root_access", one_of("Disabled")),
    attribute!("CKV_AWS_308", "Ensure API Gateway method setting caching is set to encrypted", ["aws_api_gateway_method_settings"], "settings.cache_data_encrypted", not_false),
    attribute!("CKV_AWS_309", "Ensure API GatewayV2 routes specify an authorization type", ["aws_apigatewayv2_route"], "authorization_type", one_of("AWS_IAM", "JWT", "CUSTOM")),
    attribute!("CKV_AWS_311", "Ensure that CodeBuild S3 logs are encrypted", ["aws_codebuild_project"], "logs_config.s3_logs.encryption_disabled", not_true),
    attribute!("CKV_AWS_313", "Ensure RDS cluster configured to copy tags to snapshots", ["aws_rds_cluster"], "copy_tags_to_snapshot", true),
    attribute!("CKV_AWS_316", "Ensure CodeBuild project environments do not have privileged mode enabled", ["aws_codebuild_project"], "environment.privileged_mode", not_true),
    attribute!("CKV_AWS_319", "Ensure that CloudWatch alarm actions are enabled", ["aws_cloudwatch_metric_alarm"], "actions_enabled", not_false),
    attribute!("CKV_AWS_320", "Ensure Redshift clusters do not use the default database name", ["aws_redshift_cluster"], "database_name", given),
    attribute!("CKV_AWS_321", "Ensure Redshift clusters use enhanced VPC routing", ["aws_redshift_cluster"], "enhanced_vpc_routing", true),
    attribute!("CKV_AWS_323", "Ensure ElastiCache clusters do not use the default subnet group", ["aws_elasticache_cluster"], "subnet_group_name", given),
    attribute!("CKV_AWS_324", "Ensure that RDS Cluster log capture is enabled", ["aws_rds_cluster"], "enabled_cloudwatch_logs_exports", nonempty),
    attribute!("CKV_AWS_327", "Ensure RDS Clusters are encrypted using KMS CMKs", ["aws_rds_cluster"], "kms_key_id", given),
    attribute!("CKV_AWS_328", "Ensure that ALB is configured with defensive or strictest desync mitigation mode", ["aws_lb", "aws_alb", "aws_elb"], "desync_mitigation_mode", none_of("monitor")),
    attribute!("CKV_AWS_330", "EFS access points should enforce a user identity", ["aws_efs_access_point"], "posix_user.gid", given),
    attribute!("CKV_AWS_331", "Ensure Transit Gateways do not automatically accept VPC attachment requests", ["aws_ec2_transit_gateway"], "auto_accept_shared_attachments", none_of("enable")),
    attribute!("CKV_AWS_333", "Ensure ECS services do not have public IP addresses assigned to them automatically", ["aws_ecs_service"], "network_configuration.assign_public_ip", not_true),
    attribute!("CKV_AWS_341", "Ensure Launch template should not have a metadata response hop limit greater than 1", ["aws_launch_configuration", "aws_launch_template"], "metadata_options.http_put_response_hop_limit", not_above(1)),
    attribute!("CKV_AWS_343", "Ensure Amazon Redshift clusters should have automatic snapshots enabled", ["aws_redshift_cluster"], "automated_snapshot_retention_period", not_below(1)),
    attribute!("CKV_AWS_344", "Ensure that Network firewalls have deletion protection enabled", ["aws_networkfirewall_firewall"], "delete_protection", true),
    attribute!("CKV_AWS_345", "Ensure that Network firewall encryption is via a CMK", ["aws_networkfirewall_firewall", "aws_networkfirewall_rule_group"], "encryption_configuration.key_id", given),
    attribute!("CKV_AWS_346", "Ensure Network Firewall Policy defines an encryption configuration that uses a customer managed Key (CMK)", ["aws_networkfirewall_firewall_policy"], "encryption_configuration.key_id", given),
    attribute!("CKV_AWS_347", "Ensure Neptune is encrypted by KMS using a customer managed Key (CMK)", ["aws_neptune_cluster"], "kms_key_arn", given),
    attribute!("CKV_AWS_348", "Ensure IAM root user does not have Access keys", ["aws_iam_access_key"], "user", none_of("root")),
    attribute!("CKV_AWS_357", "Ensure Transfer Server allows only secure protocols", ["aws_transfer_server"], "protocols", excludes("FTP")),
    attribute!("CKV_AWS_359", "Neptune DB clusters should have IAM database authentication enabled", ["aws_neptune_cluster"], "iam_database_authentication_enabled", true),
    attribute!("CKV_AWS_360", "Ensure DocumentDB has an adequate backup retention period", ["aws_docdb_cluster"], "backup_retention_period", at_least(7)),
    attribute!("CKV_AWS_361", "Ensure that Neptune DB cluster has automated backups enabled with adequate retention", ["aws_neptune_cluster"], "backup_retention_period", at_least(7)),
    attribute!("CKV_AWS_362", "Neptune DB clusters should be configured to copy tags to snapshots", ["aws_neptune_cluster"], "copy_tags_to_snapshot", true),
    attribute!("CKV_AWS_365", "Ensure SES Configuration Set enforces TLS usage", ["aws_ses_configuration_set"], "delivery_options.tls_policy", one_of("Require")),
    attribute!("CKV_AWS_366", "Ensure AWS Cognito identity pool does not allow unauthenticated guest access", ["aws_cognito_identity_pool"], "allow_unauthenticated_identities", not_true),
    attribute!("CKV_AWS_367", "Ensure Amazon Sagemaker Data Quality Job uses KMS to encrypt model artifacts", ["aws_sagemaker_data_quality_job_definition"], "data_quality_job_output_config.kms_key_id", given),
    attribute!("CKV_AWS_368", "Ensure Amazon Sagemaker Data Quality Job uses KMS to encrypt data on attached storage volume", ["aws_sagemaker_data_quality_job_definition"], "job_resources.cluster_config.volume_kms_key_id", given),
    attribute!("CKV_AWS_369", "Ensure Amazon Sagemaker Data Quality Job encrypts all communications between instances used for monitoring jobs", ["aws_sagemaker_data_quality_job_definition"], "network_config.enable_inter_container_traffic_encryption", true),
    attribute!("CKV_AWS_370", "Ensure Amazon SageMaker model uses network isolation", ["aws_sagemaker_model"], "enable_network_isolation", true),
    attribute!("CKV_AWS_371", "Ensure Amazon SageMaker Notebook Instance only allows for IMDSv2", ["aws_sagemaker_notebook_instance"], "instance_metadata_service_configuration.minimum_instance_metadata_service_version", one_of("2")),
    attribute!("CKV_AWS_372", "Ensure Amazon SageMaker Flow Definition uses KMS for output configurations", ["aws_sagemaker_flow_definition"], "output_config.kms_key_id", given),
    attribute!("CKV_AWS_373", "Ensure Bedrock Agent is encrypted with a CMK", ["aws_bedrockagent_agent"], "customer_encryption_key_arn", given),
    attribute!("CKV_AWS_374", "Ensure AWS CloudFront web distribution has geo restriction enabled", ["aws_cloudfront_distribution"], "restrictions.geo_restriction.restriction_type", one_of("whitelist", "blacklist")),
    attribute!("CKV_AWS_377", "Ensure Route 53 domains have transfer lock protection", ["aws_route53domains_registered_domain"], "transfer_lock", not_false),
    attribute!("CKV_AWS_381", "Make sure that aws_codegurureviewer_repository_association has a CMK", ["aws_codegurureviewer_repository_association"], "kms_key_details.encryption_option", one_of("CUSTOMER_MANAGED_CMK")),
    attribute!("CKV_AWS_383", "Ensure AWS Bedrock agent is associated with Bedrock guardrails", ["aws_bedrockagent_agent"], "guardrail_configuration.guardrail_identifier", given),
    attribute!("CKV_AWS_389", "Ensure AWS Auto Scaling group launch configuration doesn't have public IP address assignment enabled", ["aws_launch_configuration"], "associate_public_ip_address", not_true),
    attribute!("CKV_AWS_390", "Ensure AWS EMR block public access setting is enabled", ["aws_emr_block_public_access_configuration"], "block_public_security_group_rules", true),
    attribute!("CKV2_AWS_34", "AWS SSM Parameter should be Encrypted", ["aws_ssm_parameter"], "type", one_of("SecureString")),
    attribute!("CKV2_AWS_41", "Ensure an IAM role is attached to EC2 instance", ["aws_instance"], "iam_instance_profile", given),
    attribute!("CKV2_AWS_42", "Ensure AWS CloudFront distribution uses custom SSL certificate", ["aws_cloudfront_distribution"], "viewer_certificate.acm_certificate_arn|viewer_certificate.iam_certificate_id", given),
    attribute!("CKV2_AWS_48", "Ensure AWS Config must record all possible resources", ["aws_config_configuration_recorder"], "recording_group.include_global_resource_types", true),
    attribute!("CKV2_AWS_50", "Ensure AWS ElastiCache Redis cluster with Multi-AZ Automatic Failover feature set to enabled", ["aws_elasticache_replication_group"], "automatic_failover_enabled", true),
    attribute!("CKV2_AWS_53", "Ensure AWS API gateway request is validated", ["aws_api_gateway_method"], "request_validator_id", given),
    attribute!("CKV2_AWS_55", "Ensure AWS EMR cluster is configured with security configuration", ["aws_emr_cluster"], "security_configuration", given),
    attribute!("CKV2_AWS_58", "Ensure AWS Neptune cluster deletion protection is enabled", ["aws_neptune_cluster"], "deletion_protection", true),
    attribute!("CKV2_AWS_65", "Ensure access control lists for S3 buckets are disabled", ["aws_s3_bucket_ownership_controls"], "rule.object_ownership", one_of("BucketOwnerEnforced")),
    attribute!("CKV2_AWS_66", "Ensure MWAA environment is not publicly accessible", ["aws_mwaa_environment"], "webserver_access_mode", none_of("PUBLIC_ONLY")),
    attribute!("CKV2_AWS_73", "Ensure AWS SQS uses CMK not AWS default keys for encryption", ["aws_sqs_queue"], "kms_master_key_id", none_of("alias/aws/sqs")),
    // Azure
    attribute!("CKV_AZURE_15", "Ensure web app is using the latest version of TLS encryption", ["azurerm_app_service", "azurerm_linux_web_app", "azurerm_windows_web_app"], "site_config.min_tls_version|site_config.minimum_tls_version", not_below(1.2)),
    attribute!("CKV_AZURE_16", "Ensure that Register with Azure Active Directory is enabled on App Service", ["azurerm_app_service", "azurerm_linux_web_app", "azurerm_windows_web_app"], "identity", block),
    attribute!("CKV_AZURE_17", "Ensure the web app has 'Client Certificates (Incoming client certificates)' set", ["azurerm_app_service", "azurerm_linux_web_app", "azurerm_windows_web_app"], "client_cert_enabled|client_certificate_enabled", true),
    attribute!("CKV_AZURE_18", "Ensure that 'HTTP Version' is the latest if used to run the web app", ["azurerm_app_service", "azurerm_linux_web_app", "azurerm_windows_web_app"], "site_config.http2_enabled", true),
    attribute!("CKV_AZURE_50", "Ensure Virtual Machine Extensions are not Installed", ["azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine"], "allow_extension_operations", false),
    attribute!("CKV_AZURE_57", "Ensure that CORS disallows every resource to access app services", ["azurerm_app_service", "azurerm_linux_web_app", "azurerm_windows_web_app"], "site_config.cors.allowed_origins", excludes("*")),
    attribute!("CKV_AZURE_67", "Ensure that 'HTTP Version' is the latest, if used to run the Function app", ["azurerm_function_app", "azurerm_function_app_slot"], "site_config.http2_enabled", true),
    attribute!("CKV_AZURE_71", "Ensure that Managed identity provider is enabled for app services", ["azurerm_app_service", "azurerm_linux_web_app", "azurerm_windows_web_app"], "identity.type", given),
    attribute!("CKV_AZURE_72", "Ensure that remote debugging is not enabled for app services", ["azurerm_app_service", "azurerm_linux_function_app", "azurerm_linux_function_app_slot", "azurerm_linux_web_app", "azurerm_linux_web_app_slot", "azurerm_windows_function_app", "azurerm_windows_function_app_slot", "azurerm_windows_web_app", "azurerm_windows_web_app_slot"], "site_config.remote_debugging_enabled", not_true),
    attribute!("CKV_AZURE_74", "Ensure that Azure Data Explorer (Kusto) uses disk encryption", ["azurerm_kusto_cluster"], "disk_encryption_enabled", true),
    attribute!("CKV_AZURE_88", "Ensure that app services use Azure Files", ["azurerm_app_service", "azurerm_linux_web_app", "azurerm_windows_web_app"], "storage_account.type", one_of("AzureFiles")),
    attribute!("CKV_AZURE_93", "Ensure that managed disks use a specific set of disk encryption sets for the customer-managed key encryption", ["azurerm_managed_disk"], "disk_encryption_set_id", given),
    attribute!("CKV_AZURE_94", "Ensure that My SQL server enables geo-redundant backups", ["azurerm_mysql_server", "azurerm_mysql_flexible_server"], "geo_redundant_backup_enabled", true),
    attribute!("CKV_AZURE_98", "Ensure that Azure Container group is deployed into virtual network", ["azurerm_container_group"], "subnet_ids", given),
    attribute!("CKV_AZURE_100", "Ensure that Cosmos DB accounts have customer-managed keys to encrypt data at rest", ["azurerm_cosmosdb_account"], "key_vault_key_id", given),
    attribute!("CKV_AZURE_106", "Ensure that Azure Event Grid Domain public network access is disabled", ["azurerm_eventgrid_domain"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_121", "Ensure that Azure Front Door enables WAF", ["azurerm_frontdoor"], "frontend_endpoint.web_application_firewall_policy_link_id", given),
    attribute!("CKV_AZURE_124", "Ensure that Azure Cognitive Search disables public network access", ["azurerm_search_service"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_137", "Ensure ACR admin account is disabled", ["azurerm_container_registry"], "admin_enabled", not_true),
    attribute!("CKV_AZURE_139", "Ensure ACR set to disable public networking", ["azurerm_container_registry"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_141", "Ensure AKS local admin account is disabled", ["azurerm_kubernetes_cluster"], "local_account_disabled", true),
    attribute!("CKV_AZURE_142", "Ensure Machine Learning Compute Cluster Local Authentication is disabled", ["azurerm_machine_learning_compute_cluster"], "local_auth_enabled", false),
    attribute!("CKV_AZURE_143", "Ensure AKS cluster nodes do not have public IP addresses", ["azurerm_kubernetes_cluster"], "default_node_pool.enable_node_public_ip|default_node_pool.node_public_ip_enabled", not_true),
    attribute!("CKV_AZURE_144", "Ensure that Public Access is disabled for Machine Learning Workspace", ["azurerm_machine_learning_workspace"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_145", "Ensure Function app is using the latest version of TLS encryption", ["azurerm_function_app", "azurerm_linux_function_app", "azurerm_windows_function_app", "azurerm_function_app_slot", "azurerm_linux_function_app_slot", "azurerm_windows_function_app_slot"], "site_config.min_tls_version|site_config.minimum_tls_version", not_below(1.2)),
    attribute!("CKV_AZURE_147", "Ensure PostgreSQL is using the latest version of TLS encryption", ["azurerm_postgresql_server"], "ssl_minimal_tls_version_enforced", one_of("TLS1_2")),
    attribute!("CKV_AZURE_148", "Ensure Redis Cache is using the latest version of TLS encryption", ["azurerm_redis_cache"], "minimum_tls_version", one_of("1.2")),
    attribute!("CKV_AZURE_149", "Ensure that Virtual machine does not enable password authentication", ["azurerm_linux_virtual_machine_scale_set", "azurerm_linux_virtual_machine"], "disable_password_authentication", not_false),
    attribute!("CKV_AZURE_150", "Ensure Machine Learning Compute Cluster Minimum Nodes Set To 0", ["azurerm_machine_learning_compute_cluster"], "scale_settings.min_node_count", not_above(0)),
    attribute!("CKV_AZURE_151", "Ensure Windows VM enables encryption", ["azurerm_windows_virtual_machine"], "encryption_at_host_enabled", true),
    attribute!("CKV_AZURE_153", "Ensure web app redirects all HTTP traffic to HTTPS in Azure App Service Slot", ["azurerm_app_service_slot", "azurerm_linux_web_app_slot", "azurerm_windows_web_app_slot"], "https_only", true),
    attribute!("CKV_AZURE_154", "Ensure the App service slot is using the latest version of TLS encryption", ["azurerm_app_service_slot"], "site_config.min_tls_version", not_below(1.2)),
    attribute!("CKV_AZURE_155", "Ensure debugging is disabled for the App service slot", ["azurerm_app_service_slot"], "site_config.remote_debugging_enabled", not_true),
    attribute!("CKV_AZURE_156", "Ensure default Auditing policy for a SQL Server is configured to capture and retain the activity logs", ["azurerm_mssql_database_extended_auditing_policy"], "log_monitoring_enabled", true),
    attribute!("CKV_AZURE_157", "Ensure that Synapse workspace has data_exfiltration_protection_enabled", ["azurerm_synapse_workspace"], "data_exfiltration_protection_enabled", true),
    attribute!("CKV_AZURE_158", "Ensure Databricks Workspace data plane to control plane communication happens over private link", ["azurerm_databricks_workspace"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_159", "Ensure function app builtin logging is enabled", ["azurerm_function_app", "azurerm_function_app_slot"], "enable_builtin_logging", not_false),
    attribute!("CKV_AZURE_161", "Ensures Spring Cloud API Portal is enabled on for HTTPS", ["azurerm_spring_cloud_api_portal"], "https_only_enabled", true),
    attribute!("CKV_AZURE_162", "Ensures Spring Cloud API Portal Public Access Is Disabled", ["azurerm_spring_cloud_api_portal"], "public_network_access_enabled", not_true),
    attribute!("CKV_AZURE_163", "Enable vulnerability scanning for container images.", ["azurerm_container_registry"], "sku", one_of("Standard", "Premium")),
    attribute!("CKV_AZURE_164", "Ensures that ACR uses signed/trusted images", ["azurerm_container_registry"], "trust_policy.enabled|trust_policy_enabled", true),
    attribute!("CKV_AZURE_166", "Ensure container image quarantine, scan, and mark images verified", ["azurerm_container_registry"], "quarantine_policy_enabled", true),
    attribute!("CKV_AZURE_168", "Ensure Azure Kubernetes Cluster (AKS) nodes should use a minimum number of 50 pods.", ["azurerm_kubernetes_cluster", "azurerm_kubernetes_cluster_node_pool"], "default_node_pool.max_pods|max_pods", at_least(50)),
    attribute!("CKV_AZURE_169", "Ensure Azure Kubernetes Cluster (AKS) nodes use scale sets", ["azurerm_kubernetes_cluster"], "default_node_pool.type", none_of("AvailabilitySet")),
    attribute!("CKV_AZURE_170", "Ensure that AKS use the Paid Sku for its SLA", ["azurerm_kubernetes_cluster"], "sku_tier", one_of("Standard", "Premium")),
    attribute!("CKV_AZURE_171", "Ensure AKS cluster upgrade channel is chosen", ["azurerm_kubernetes_cluster"], "automatic_channel_upgrade|automatic_upgrade_channel", one_of("patch", "rapid", "stable", "node-image")),
    attribute!("CKV_AZURE_172", "Ensure autorotation of Secrets Store CSI Driver secrets for AKS clusters", ["azurerm_kubernetes_cluster"], "key_vault_secrets_provider.secret_rotation_enabled", true),
    attribute!("CKV_AZURE_174", "Ensure API management public access is disabled", ["azurerm_api_management"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_175", "Ensure Web PubSub uses a SKU with an SLA", ["azurerm_web_pubsub"], "sku", none_of("Free_F1")),
    attribute!("CKV_AZURE_176", "Ensure Web PubSub uses managed identities to access Azure resources", ["azurerm_web_pubsub"], "identity.type", one_of("SystemAssigned", "UserAssigned")),
    attribute!("CKV_AZURE_177", "Ensure Windows VM enables automatic updates", ["azurerm_windows_virtual_machine", "azurerm_windows_virtual_machine_scale_set"], "enable_automatic_updates", not_false),
    attribute!("CKV_AZURE_178", "Ensure linux VM enables SSH with keys for secure communication", ["azurerm_linux_virtual_machine", "azurerm_linux_virtual_machine_scale_set"], "admin_ssh_key.public_key", given),
    attribute!("CKV_AZURE_179", "Ensure VM agent is installed", ["azurerm_windows_virtual_machine", "azurerm_windows_virtual_machine_scale_set", "azurerm_linux_virtual_machine_scale_set", "azurerm_linux_virtual_machine"], "provision_vm_agent", not_false),
    attribute!("CKV_AZURE_181", "Ensure that data explorer/Kusto uses managed identities to access Azure resources securely.", ["azurerm_kusto_cluster"], "identity.type", given),
    attribute!("CKV_AZURE_184", "Ensure 'local_auth_enabled' is set to 'False'", ["azurerm_app_configuration"], "local_auth_enabled", false),
    attribute!("CKV_AZURE_185", "Ensure 'Public Access' is not Enabled for App configuration", ["azurerm_app_configuration"], "public_network_access", one_of("Disabled")),
    attribute!("CKV_AZURE_186", "Ensure App configuration encryption block is set.", ["azurerm_app_configuration"], "encryption.key_vault_key_identifier", given),
    attribute!("CKV_AZURE_187", "Ensure App configuration purge protection is enabled", ["azurerm_app_configuration"], "purge_protection_enabled", true),
    attribute!("CKV_AZURE_188", "Ensure App configuration Sku is standard", ["azurerm_app_configuration"], "sku", one_of("standard")),
    attribute!("CKV_AZURE_190", "Ensure that Storage blobs restrict public access", ["azurerm_storage_account"], "allow_nested_items_to_be_public", false),
    attribute!("CKV_AZURE_191", "Ensure that Managed identity provider is enabled for Azure Event Grid Topic", ["azurerm_eventgrid_topic"], "identity.type", given),
    attribute!("CKV_AZURE_192", "Ensure that Azure Event Grid Topic local Authentication is disabled", ["azurerm_eventgrid_topic"], "local_auth_enabled", false),
    attribute!("CKV_AZURE_193", "Ensure public network access is disabled for Azure Event Grid Topic", ["azurerm_eventgrid_topic"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_194", "Ensure that Managed identity provider is enabled for Azure Event Grid Domain", ["azurerm_eventgrid_domain"], "identity.type", given),
    attribute!("CKV_AZURE_195", "Ensure that Azure Event Grid Domain local Authentication is disabled", ["azurerm_eventgrid_domain"], "local_auth_enabled", false),
    attribute!("CKV_AZURE_197", "Ensure the Azure CDN disables the HTTP endpoint", ["azurerm_cdn_endpoint"], "is_http_allowed", false),
    attribute!("CKV_AZURE_198", "Ensure the Azure CDN enables the HTTPS endpoint", ["azurerm_cdn_endpoint"], "is_https_allowed", not_false),
    attribute!("CKV_AZURE_199", "Ensure that Azure Service Bus uses double encryption", ["azurerm_servicebus_namespace"], "customer_managed_key.infrastructure_encryption_enabled", true),
    attribute!("CKV_AZURE_201", "Ensure that Azure Service Bus uses a customer-managed key to encrypt data", ["azurerm_servicebus_namespace"], "customer_managed_key.key_vault_key_id", given),
    attribute!("CKV_AZURE_202", "Ensure that Managed identity provider is enabled for Azure Service Bus", ["azurerm_servicebus_namespace"], "identity.type", given),
    attribute!("CKV_AZURE_203", "Ensure Azure Service Bus Local Authentication is disabled", ["azurerm_servicebus_namespace"], "local_auth_enabled", false),
    attribute!("CKV_AZURE_204", "Ensure 'public network access enabled' is set to 'False' for Azure Service Bus", ["azurerm_servicebus_namespace"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_205", "Ensure Azure Service Bus is using the latest version of TLS encryption", ["azurerm_servicebus_namespace"], "minimum_tls_version", one_of("1.2")),
    attribute!("CKV_AZURE_206", "Ensure that Storage Accounts use replication", ["azurerm_storage_account"], "account_replication_type", none_of("LRS")),
    attribute!("CKV_AZURE_207", "Ensure Azure Cognitive Search service uses managed identities to access Azure resources", ["azurerm_search_service"], "identity.type", given),
    attribute!("CKV_AZURE_208", "Ensure that Azure Cognitive Search maintains SLA for index updates", ["azurerm_search_service"], "replica_count", at_least(3)),
    attribute!("CKV_AZURE_209", "Ensure that Azure Cognitive Search maintains SLA for search index queries", ["azurerm_search_service"], "replica_count", at_least(2)),
    attribute!("CKV_AZURE_210", "Ensure Azure Cognitive Search service allowed IPS does not give public Access", ["azurerm_search_service"], "allowed_ips", excludes("0.0.0.0/0")),
    attribute!("CKV_AZURE_212", "Ensure App Service has a minimum number of instances for failover", ["azurerm_service_plan"], "worker_count", at_least(2)),
    attribute!("CKV_AZURE_213", "Ensure that App Service configures health check", ["azurerm_app_service", "azurerm_linux_web_app", "azurerm_windows_web_app"], "site_config.health_check_path", given),
    attribute!("CKV_AZURE_214", "Ensure App Service is set to be always on", ["azurerm_linux_web_app", "azurerm_windows_web_app"], "site_config.always_on", not_false),
    attribute!("CKV_AZURE_216", "Ensure DenyIntelMode is set to Deny for Azure Firewalls", ["azurerm_firewall"], "threat_intel_mode", one_of("Deny")),
    attribute!("CKV_AZURE_217", "Ensure Azure Application gateways listener that allow connection requests over HTTP", ["azurerm_application_gateway"], "http_listener.protocol", one_of("Https")),
    attribute!("CKV_AZURE_219", "Ensure Firewall defines a firewall policy", ["azurerm_firewall"], "firewall_policy_id", given),
    attribute!("CKV_AZURE_220", "Ensure Firewall policy has IDPS mode as deny", ["azurerm_firewall_policy"], "intrusion_detection.mode", one_of("Deny")),
    attribute!("CKV_AZURE_221", "Ensure that Azure Function App public network access is disabled", ["azurerm_linux_function_app", "azurerm_linux_function_app_slot", "azurerm_windows_function_app", "azurerm_windows_function_app_slot"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_222", "Ensure that Azure Web App public network access is disabled", ["azurerm_linux_web_app", "azurerm_windows_web_app"], "public_network_access_enabled", false),
    attribute!("CKV_AZURE_223", "Ensure Event Hub Namespace uses at least TLS 1.2", ["azurerm_eventhub_namespace"], "minimum_tls_version", none_of("1.0", "1.1")),
    attribute!("CKV_AZURE_224", "Ensure that the Ledger feature is enabled on database that requires cryptographic proof and nonrepudiation of data integrity", ["azurerm_mssql_database"], "ledger_enabled", true),
    attribute!("CKV_AZURE_225", "Ensure the App Service Plan is zone redundant", ["azurerm_service_plan"], "zone_balancing_enabled", true),
    attribute!("CKV_AZURE_226", "Ensure ephemeral disks are used for OS disks", ["azurerm_kubernetes_cluster"], "default_node_pool.os_disk_type", one_of("Ephemeral")),
    attribute!("CKV_AZURE_227", "Ensure that the AKS cluster encrypt temp disks, caches, and data flows between Compute and Storage resources", ["azurerm_kubernetes_cluster", "azurerm_kubernetes_cluster_node_pool"], "default_node_pool.enable_host_encryption|default_node_pool.host_encryption_enabled|enable_host_encryption|host_encryption_enabled", true),
    attribute!("CKV_AZURE_229", "Ensure the Azure SQL Database Namespace is zone redundant", ["azurerm_mssql_database"], "zone_redundant", true),
    attribute!("CKV_AZURE_230", "Standard Replication should be enabled", ["azurerm_redis_cache"], "sku_name", one_of("Standard", "Premium")),
    attribute!("CKV_AZURE_231", "Ensure App Service Environment is zone redundant", ["azurerm_app_service_environment_v3"], "zone_redundant", true),
    attribute!("CKV_AZURE_232", "Ensure that only critical system pods run on system nodes", ["azurerm_kubernetes_cluster"], "default_node_pool.only_critical_addons_enabled", true),
    attribute!("CKV_AZURE_236", "Ensure that Cognitive Services accounts disable local authentication", ["azurerm_cognitive_account"], "local_auth_enabled", false),
    attribute!("CKV_AZURE_237", "Ensure dedicated data endpoints are enabled.", ["azurerm_container_registry"], "data_endpoint_enabled", true),
    attribute!("CKV_AZURE_238", "Ensure that all Azure Cognitive Services accounts are configured with a managed identity", ["azurerm_cognitive_account"], "identity.type", given),
    attribute!("CKV_AZURE_239", "Ensure Azure Synapse Workspace administrator login password is not exposed", ["azurerm_synapse_workspace"], "sql_administrator_login_password", absent),
    attribute!("CKV_AZURE_240", "Ensure Azure Synapse Workspace is encrypted with a CMK", ["azurerm_synapse_workspace"], "customer_managed_key.key_name", given),
    attribute!("CKV_AZURE_241", "Ensure Synapse SQL pools are encrypted", ["azurerm_synapse_sql_pool"], "data_encrypted", true),
    attribute!("CKV_AZURE_242", "Ensure isolated compute is enabled for Synapse Spark pools", ["azurerm_synapse_spark_pool"], "compute_isolation_enabled", true),
    attribute!("CKV_AZURE_245", "Ensure that Azure Container group is deployed into virtual network", ["azurerm_container_group"], "ip_address_type", one_of("Private")),
    attribute!("CKV_AZURE_246", "Ensure Azure AKS cluster HTTP application routing is disabled", ["azurerm_kubernetes_cluster"], "http_application_routing_enabled", not_true),
    attribute!("CKV_AZURE_248", "Ensure that if Azure Batch account public network access in case 'enabled' then its account access must be 'deny'", ["azurerm_batch_account"], "network_profile.account_access.default_action", none_of("allow")),
    attribute!("CKV_AZURE_250", "Ensure Storage Sync Service is not configured with overly permissive network access", ["azurerm_storage_sync"], "incoming_traffic_policy", one_of("AllowVirtualNetworksOnly")),
    attribute!("CKV_AZURE_251", "Ensure Azure Virtual Machine disks are configured without public network access", ["azurerm_managed_disk"], "public_network_access_enabled", false),
    attribute!("CKV2_AZURE_24", "Ensure Azure automation account does NOT have overly permissive network access", ["azurerm_automation_account"], "public_network_access_enabled", false),
    attribute!("CKV2_AZURE_25", "Ensure Azure SQL database Transparent Data Encryption (TDE) is enabled", ["azurerm_mssql_database"], "transparent_data_encryption_enabled", not_false),
    attribute!("CKV2_AZURE_28", "Ensure Container Instance is configured with managed identity", ["azurerm_container_group"], "identity.type", given),
    attribute!("CKV2_AZURE_29", "Ensure AKS cluster has Azure CNI networking enabled", ["azurerm_kubernetes_cluster"], "network_profile.network_plugin", one_of("azure")),
    attribute!("CKV2_AZURE_35", "Ensure Azure recovery services vault is configured with managed identity", ["azurerm_recovery_services_vault"], "identity.type", nonblank),
    attribute!("CKV2_AZURE_36", "Ensure Azure automation account is configured with managed identity", ["azurerm_automation_account"], "identity.type", nonblank),
    attribute!("CKV2_AZURE_40", "Ensure storage account is not configured with Shared Key authorization", ["azurerm_storage_account"], "shared_access_key_enabled", false),
    // GCP
    attribute!("CKV_GCP_33", "Ensure oslogin is enabled for a Project", ["google_compute_project_metadata"], "metadata.enable-oslogin", true),
    attribute!("CKV_GCP_60", "Ensure Cloud SQL database does not have public IP", ["google_sql_database_instance"], "settings.ip_configuration.ipv4_enabled", not_true),
    attribute!("CKV_GCP_78", "Ensure Cloud storage has versioning enabled", ["google_storage_bucket"], "versioning.enabled", true),
    attribute!("CKV_GCP_80", "Ensure Big Query Tables are encrypted with Customer Supplied Encryption Keys (CSEK)", ["google_bigquery_table"], "encryption_configuration.kms_key_name", given),
    attribute!("CKV_GCP_81", "Ensure Big Query Datasets are encrypted with Customer Supplied Encryption Keys (CSEK)", ["google_bigquery_dataset"], "default_encryption_configuration.kms_key_name", given),
    attribute!("CKV_GCP_82", "Ensure KMS keys are protected from deletion", ["google_kms_crypto_key"], "lifecycle.prevent_destroy", true),
    attribute!("CKV_GCP_83", "Ensure PubSub Topics are encrypted with Customer Supplied Encryption Keys (CSEK)", ["google_pubsub_topic"], "kms_key_name", given),
    attribute!("CKV_GCP_84", "Ensure Artifact Registry Repositories are encrypted with Customer Supplied Encryption Keys (CSEK)", ["google_artifact_registry_repository"], "kms_key_name", given),
    attribute!("CKV_GCP_85", "Ensure Big Table Instances are encrypted with Customer Supplied Encryption Keys (CSEK)", ["google_bigtable_instance"], "cluster.kms_key_name", given),
    attribute!("CKV_GCP_86", "Ensure Cloud build workers are private", ["google_cloudbuild_worker_pool"], "worker_config.no_external_ip", true),
    attribute!("CKV_GCP_87", "Ensure Data fusion instances are private", ["google_data_fusion_instance"], "private_instance", true),
    attribute!("CKV_GCP_89", "Ensure Vertex AI instances are private", ["google_notebooks_instance"], "no_public_ip", true),
    attribute!("CKV_GCP_90", "Ensure data flow jobs are encrypted with Customer Supplied Encryption Keys (CSEK)", ["google_dataflow_job"], "kms_key_name", given),
    attribute!("CKV_GCP_91", "Ensure Dataproc cluster is encrypted with Customer Supplied Encryption Keys (CSEK)", ["google_dataproc_cluster"], "cluster_config.encryption_config.kms_key_name", given),
    attribute!("CKV_GCP_92", "Ensure Vertex AI datasets uses a CMK (Customer Managed Key)", ["google_vertex_ai_dataset"], "encryption_spec.kms_key_name", given),
    attribute!("CKV_GCP_93", "Ensure Spanner Database is encrypted with Customer Supplied Encryption Keys (CSEK)", ["google_spanner_database"], "encryption_config.kms_key_name", given),
    attribute!("CKV_GCP_94", "Ensure Dataflow jobs are private", ["google_dataflow_job"], "ip_configuration", one_of("WORKER_IP_PRIVATE")),
    attribute!("CKV_GCP_95", "Ensure Memorystore for Redis has AUTH enabled", ["google_redis_instance"], "auth_enabled", true),
    attribute!("CKV_GCP_96", "Ensure Vertex AI Metadata Store uses a CMK (Customer Managed Key)", ["google_vertex_ai_metadata_store"], "encryption_spec.kms_key_name", given),
    attribute!("CKV_GCP_97", "Ensure Memorystore for Redis uses intransit encryption", ["google_redis_instance"], "transit_encryption_mode", one_of("SERVER_AUTHENTICATION")),
    attribute!("CKV_GCP_103", "Ensure Dataproc Clusters do not have public IPs", ["google_dataproc_cluster"], "cluster_config.gce_cluster_config.internal_ip_only", true),
    attribute!("CKV_GCP_104", "Ensure Datafusion has stack driver logging enabled", ["google_data_fusion_instance"], "enable_stackdriver_logging", true),
    attribute!("CKV_GCP_105", "Ensure Datafusion has stack driver monitoring enabled", ["google_data_fusion_instance"], "enable_stackdriver_monitoring", true),
    attribute!("CKV_GCP_114", "Ensure public access prevention is enforced on Cloud Storage bucket", ["google_storage_bucket"], "public_access_prevention", one_of("enforced")),
    attribute!("CKV_GCP_115", "Ensure basic roles are not used at organization level.", ["google_organization_iam_member", "google_organization_iam_binding"], "role", none_of("roles/editor", "roles/owner", "roles/viewer")),
    attribute!("CKV_GCP_116", "Ensure basic roles are not used at folder level.", ["google_folder_iam_member", "google_folder_iam_binding"], "role", none_of("roles/editor", "roles/owner", "roles/viewer")),
    attribute!("CKV_GCP_117", "Ensure basic roles are not used at project level.", ["google_project_iam_member", "google_project_iam_binding"], "role", none_of("roles/editor", "roles/owner", "roles/viewer")),
    attribute!("CKV_GCP_118", "Ensure IAM workload identity pool provider is restricted", ["google_iam_workload_identity_pool_provider"], "attribute_condition", given),
    attribute!("CKV_GCP_119", "Ensure Spanner Database has deletion protection enabled", ["google_spanner_database"], "deletion_protection", not_false),
    attribute!("CKV_GCP_120", "Ensure Spanner Database has drop protection enabled", ["google_spanner_database"], "enable_drop_protection", true),
    attribute!("CKV_GCP_121", "Ensure BigQuery tables have deletion protection enabled", ["google_bigquery_table"], "deletion_protection", true),
    attribute!("CKV_GCP_122", "Ensure Big Table Instances have deletion protection enabled", ["google_bigtable_instance"], "deletion_protection", true),
    attribute!("CKV_GCP_124", "Ensure GCP Cloud Function is not configured with overly permissive Ingress setting", ["google_cloudfunctions_function", "google_cloudfunctions2_function"], "ingress_settings|service_config.ingress_settings", one_of("ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB")),
    attribute!("CKV_GCP_126", "Ensure Vertex AI Notebook instances are launched with Shielded VM enabled", ["google_notebooks_instance"], "shielded_instance_config.enable_vtpm", true),
    attribute!("CKV_GCP_127", "Ensure Integrity Monitoring for Shielded Vertex AI Notebook Instances is Enabled", ["google_notebooks_instance"], "shielded_instance_config.enable_integrity_monitoring", true),
    attribute!("CKV2_GCP_3", "Ensure that there are only GCP-managed service account keys for each service account", ["google_service_account_key"], "public_key_data", absent),
    attribute!("CKV2_GCP_19", "Ensure GCP Kubernetes engine clusters have 'alpha cluster' feature disabled", ["google_container_cluster"], "enable_kubernetes_alpha", not_true),
    attribute!("CKV2_GCP_22", "Ensure Document AI Processors are encrypted with a Customer Managed Key (CMK)", ["google_document_ai_processor"], "kms_key_name", given),
    attribute!("CKV2_GCP_23", "Ensure Document AI Warehouse Location is configured to use a Customer Managed Key (CMK)", ["google_document_ai_warehouse_location"], "kms_key", given),
    attribute!("CKV2_GCP_24", "Ensure Vertex AI endpoint uses a Customer Managed Key (CMK)", ["google_vertex_ai_endpoint"], "encryption_spec.kms_key_name", given),
    attribute!("CKV2_GCP_25", "Ensure Vertex AI featurestore uses a Customer Managed Key (CMK)", ["google_vertex_ai_featurestore"], "encryption_spec.kms_key_name", given),
    attribute!("CKV2_GCP_26", "Ensure Vertex AI tensorboard uses a Customer Managed Key (CMK)", ["google_vertex_ai_tensorboard"], "encryption_spec.kms_key_name", given),
    attribute!("CKV2_GCP_28", "Ensure Vertex AI workbench instances are private", ["google_workbench_instance"], "gce_setup.disable_public_ip", true),
    attribute!("CKV2_GCP_29", "Ensure logging is enabled for Dialogflow agents", ["google_dialogflow_agent"], "enable_logging", true),
    attribute!("CKV2_GCP_30", "Ensure logging is enabled for Dialogflow CX agents", ["google_dialogflow_cx_agent"], "enable_stackdriver_logging", true),
    attribute!("CKV2_GCP_31", "Ensure logging is enabled for Dialogflow CX webhooks", ["google_dialogflow_cx_webhook"], "enable_stackdriver_logging", true),
    attribute!("CKV2_GCP_32", "Ensure TPU v2 is private", ["google_tpu_v2_vm"], "network_config.enable_external_ips", false),
    attribute!("CKV2_GCP_33", "Ensure Vertex AI endpoint is private", ["google_vertex_ai_endpoint"], "network", given),
    attribute!("CKV2_GCP_34", "Ensure Vertex AI index endpoint is private", ["google_vertex_ai_index_endpoint"], "public_endpoint_enabled", not_true),
    attribute!("CKV2_GCP_35", "Ensure Vertex AI runtime is encrypted with a Customer Managed Key (CMK)", ["google_notebooks_runtime"], "virtual_machine.virtual_machine_config.encryption_config.kms_key", given),
    attribute!("CKV2_GCP_36", "Ensure Vertex AI runtime is private", ["google_notebooks_runtime"], "virtual_machine.virtual_machine_config.internal_ip_only", true),
];
