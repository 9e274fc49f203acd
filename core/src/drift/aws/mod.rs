//! The AWS inventory: S3, EC2, VPC, IAM and RDS resources listed over
//! HTTPS with Signature V4, as the Terraform AWS provider's state names them.

mod credentials;
mod resources;
pub mod sigv4;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::Url;

use super::inventory::{Inventory, LiveResource};
use crate::error::{Error, Result};
use crate::http::{self, describe, preview, Backoff, Defaults, HttpOptions, Settings};
pub use sigv4::Credentials;

/// The resource types [`AwsInventory`] lists.
pub const RESOURCE_TYPES: [&str; 17] = [
    "aws_db_instance",
    "aws_default_security_group",
    "aws_default_subnet",
    "aws_default_vpc",
    "aws_iam_policy",
    "aws_iam_role",
    "aws_iam_user",
    "aws_instance",
    "aws_s3_bucket",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_security_group",
    "aws_subnet",
    "aws_vpc",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
];

/// How an [`AwsInventory`] reaches AWS. Unset fields are found as the AWS
/// CLI finds them.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// The regions to list; empty: `AWS_REGION`, `AWS_DEFAULT_REGION`, the
    /// profile's region, else `us-east-1`. IAM is global and listed once.
    pub regions: Vec<String>,
    /// One URL for every service (an emulator such as moto, or a proxy);
    /// S3 is then addressed by path.
    pub endpoint: Option<String>,
    /// The shared files' profile; `AWS_PROFILE` or `default` when unset.
    pub profile: Option<String>,
    /// Credentials to use instead of the environment's and the profile's.
    pub credentials: Option<Credentials>,
    /// Timeouts and retries; throttling answers are retried as 429s are.
    pub http: HttpOptions,
    /// How many requests are in flight at once (default 8).
    pub concurrency: Option<usize>,
    /// Items asked for a page, within each API's bounds (default: each
    /// API's most, 1000 for most and 100 for RDS).
    pub page_size: Option<usize>,
}

const DEFAULTS: Defaults = Defaults {
    timeout: Duration::from_secs(30),
    max_retries: 5,
    backoff: Duration::from_millis(200),
    max_backoff: Duration::from_secs(20),
};

/// Lists AWS resources as the Terraform AWS provider's state holds them:
/// see [`RESOURCE_TYPES`].
pub struct AwsInventory {
    client: Client,
    credentials: Credentials,
    regions: Vec<String>,
    endpoint: Option<Url>,
    settings: Settings,
    concurrency: usize,
    page_size: Option<usize>,
    requests: AtomicU64,
    /// Every bucket with its region, listed once for the S3 types.
    buckets: Mutex<Option<Vec<(String, String)>>>,
}

impl std::fmt::Debug for AwsInventory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsInventory")
            .field("regions", &self.regions)
            .field("endpoint", &self.endpoint.as_ref().map(Url::as_str))
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// One AWS API call: the service (as signed), the region, and either a
/// query-protocol action with its parameters or an S3 path and query.
pub(super) enum Call<'a> {
    /// EC2, IAM, RDS: `POST /` with `Action`, `Version` and parameters.
    Query {
        service: &'a str,
        version: &'a str,
        action: &'a str,
        params: Vec<(String, String)>,
    },
    /// S3: `GET` of a bucket's sub-resource (`?versioning`) or the bucket list.
    S3 {
        bucket: Option<&'a str>,
        query: Vec<(String, String)>,
    },
}

impl AwsInventory {
    /// An inventory with `options`; fails when no credentials are found or
    /// the endpoint is not a URL.
    pub fn new(options: AwsOptions) -> Result<AwsInventory> {
        let credentials =
            credentials::resolve_credentials(options.credentials, options.profile.as_deref())?;
        let regions = if options.regions.is_empty() {
            vec![credentials::default_region(options.profile.as_deref())?]
        } else {
            options.regions
        };
        let endpoint = options
            .endpoint
            .map(|e| {
                Url::parse(&e).map_err(|err| Error::InvalidArgument {
                    name: "endpoint".into(),
                    message: format!("{e:?} is not a URL: {err}"),
                })
            })
            .transpose()?;
        let settings = options.http.resolve(&DEFAULTS);
        let client = http::client(&options.http.headers, settings.timeout, "endpoint")?;
        Ok(AwsInventory {
            client,
            credentials,
            regions,
            endpoint,
            settings,
            concurrency: options.concurrency.unwrap_or(8).max(1),
            page_size: options.page_size,
            requests: AtomicU64::new(0),
            buckets: Mutex::new(None),
        })
    }

    /// The regions listed.
    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    /// How many HTTP requests were sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// A page's size for an API that takes `min` to `max` items.
    pub(super) fn page(&self, min: usize, max: usize) -> String {
        self.page_size.unwrap_or(max).clamp(min, max).to_string()
    }

    /// The URL of `service` in `region`, and the region to sign for.
    fn base(&self, service: &str, region: &str) -> (Url, String) {
        if let Some(e) = &self.endpoint {
            let region = if service == "iam" {
                "us-east-1"
            } else {
                region
            };
            return (e.clone(), region.to_string());
        }
        let (host, region) = match service {
            "iam" => ("iam.amazonaws.com".to_string(), "us-east-1"),
            other => (format!("{other}.{region}.amazonaws.com"), region),
        };
        let url = Url::parse(&format!("https://{host}/")).expect("an AWS host is a URL");
        (url, region.to_string())
    }

    /// Sends `call` in `region` and returns the answer's body, retrying
    /// throttling, 5xx and lost connections; `None` when the service
    /// answered one of the `missing` error codes, which mean "not set".
    pub(super) fn xml(
        &self,
        region: &str,
        call: &Call<'_>,
        missing: &[&str],
    ) -> Result<Option<String>> {
        let (service, label) = match call {
            Call::Query {
                service, action, ..
            } => (*service, format!("{service}:{action}")),
            Call::S3 { query, .. } => (
                "s3",
                format!(
                    "s3:{}",
                    query
                        .first()
                        .map(|(k, _)| k.as_str())
                        .unwrap_or("ListBuckets")
                ),
            ),
        };
        let (mut url, sign_region) = self.base(service, region);
        let (method, body, headers) = match call {
            Call::Query {
                version,
                action,
                params,
                ..
            } => {
                let mut all = vec![
                    ("Action".to_string(), action.to_string()),
                    ("Version".to_string(), version.to_string()),
                ];
                all.extend(params.iter().cloned());
                let content_type = (
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded; charset=utf-8".to_string(),
                );
                (
                    "POST",
                    sigv4::query_string(&all).into_bytes(),
                    vec![content_type],
                )
            }
            Call::S3 { bucket, query } => {
                let base = url.path().trim_end_matches('/').to_string();
                match bucket {
                    Some(b) => url.set_path(&format!("{base}/{}", sigv4::encode(b, false))),
                    None => url.set_path(&format!("{base}/")),
                }
                let q = sigv4::query_string(query);
                url.set_query(Some(q.as_str()).filter(|q| !q.is_empty()));
                ("GET", Vec::new(), Vec::new())
            }
        };
        let host = url.host_str().unwrap_or_default().to_string();
        let mut attempt = 0;
        loop {
            self.requests.fetch_add(1, Ordering::Relaxed);
            let to_sign = sigv4::Request {
                method,
                url: &url,
                headers: &headers,
                body: &body,
            };
            let signed = sigv4::sign(
                &self.credentials,
                &sign_region,
                service,
                chrono::Utc::now(),
                &to_sign,
            );
            let mut request = self.client.request(
                method.parse().expect("GET and POST are methods"),
                url.clone(),
            );
            for (k, v) in headers.iter().chain(&signed) {
                request = request.header(k, v);
            }
            if !body.is_empty() {
                request = request.body(body.clone());
            }
            let failure = match request.send() {
                Ok(response) => {
                    let status = response.status();
                    let request_id = response
                        .headers()
                        .get("x-amzn-requestid")
                        .or_else(|| response.headers().get("x-amz-request-id"))
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    let asked = http::retry_after(response.headers());
                    let text = response.text().unwrap_or_default();
                    if status.is_success() {
                        return Ok(Some(text));
                    }
                    let (code, message) = error_of(&text);
                    if missing.contains(&code.as_str()) {
                        return Ok(None);
                    }
                    let retry =
                        http::retryable(status.as_u16()) || THROTTLED.contains(&code.as_str());
                    let error = Error::Provider {
                        provider: host.clone(),
                        model: label.clone(),
                        status: Some(status.as_u16()),
                        request_id,
                        message: if code.is_empty() {
                            format!("{status}: {message}")
                        } else {
                            format!("{status} {code}: {message}")
                        },
                        retry_after_ms: None,
                    };
                    (error, retry.then_some(asked))
                }
                Err(e) => (
                    Error::Provider {
                        provider: host.clone(),
                        model: label.clone(),
                        status: None,
                        request_id: None,
                        message: describe(&e),
                        retry_after_ms: None,
                    },
                    http::transient(&e).then_some(None),
                ),
            };
            let (error, retry) = failure;
            let Some(asked) = retry else {
                return Err(error);
            };
            if attempt >= self.settings.max_retries {
                return Err(error);
            }
            std::thread::sleep(self.backoff().wait(asked, attempt, error)?);
            attempt += 1;
        }
    }

    fn backoff(&self) -> &Backoff {
        &self.settings.backoff
    }

    /// Runs `work` on each item with at most the configured number in
    /// flight, keeping the items' order.
    pub(super) fn each<T: Sync, R: Send>(
        &self,
        items: &[T],
        work: impl Fn(&T) -> Result<R> + Sync,
    ) -> Result<Vec<R>> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Mutex<BTreeMap<usize, Result<R>>> = Mutex::new(BTreeMap::new());
        std::thread::scope(|scope| {
            for _ in 0..self.concurrency.min(items.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = work(item);
                    let failed = r.is_err();
                    results
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(i, r);
                    if failed {
                        next.store(items.len(), Ordering::Relaxed);
                    }
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .into_values()
            .collect()
    }
}

/// Error codes that mean "slow down": retried with backoff whatever the status.
const THROTTLED: [&str; 6] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "RequestThrottled",
];

/// The `Code` and `Message` of an AWS XML error body (any of the query,
/// EC2 and S3 shapes), else the body's start.
fn error_of(body: &str) -> (String, String) {
    let Ok(doc) = roxmltree::Document::parse(body) else {
        return (String::new(), preview(body));
    };
    let find = |name: &str| {
        doc.descendants()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(str::to_string)
    };
    (
        find("Code").unwrap_or_default(),
        find("Message").unwrap_or_else(|| preview(body)),
    )
}

impl Inventory for AwsInventory {
    fn resource_types(&self) -> Vec<String> {
        RESOURCE_TYPES.iter().map(|t| t.to_string()).collect()
    }

    fn list(&self, resource_type: &str) -> Result<Vec<LiveResource>> {
        resources::list(self, resource_type)
    }
}
