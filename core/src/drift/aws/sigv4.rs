//! AWS Signature Version 4: the canonical request, the string to sign and
//! the signature that authenticate each call the AWS inventory makes.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The URL type [`sign`] takes.
pub use reqwest::Url;

/// An access key, and the session token that comes with temporary ones.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AKIA…` or, for temporary credentials, `ASIA…`.
    pub access_key_id: String,
    /// The secret that signs; never printed.
    pub secret_access_key: String,
    /// Sent as `X-Amz-Security-Token` with temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"(sensitive value)")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "(sensitive value)"),
            )
            .finish()
    }
}

/// The hash of an empty body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Percent-encodes `text` as AWS wants in query strings: everything but
/// `A-Za-z0-9-_.~`, `/` kept too when `keep_slash`.
pub fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string of `params`, each key and value encoded; signing sorts
/// the same encoded pairs.
pub fn query_string(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k, false), encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A request to sign: `headers` are its own headers to sign besides
/// `host`, which is taken from `url`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `POST`.
    pub method: &'a str,
    /// Where it goes, its query already encoded as [`query_string`] does.
    pub url: &'a Url,
    /// Headers to sign, by lower-case name.
    pub headers: &'a [(String, String)],
    /// The body sent.
    pub body: &'a [u8],
}

/// The headers that make `request` acceptable to AWS at `time`:
/// `x-amz-date`, the session token when there is one,
/// `x-amz-content-sha256` for S3, and `authorization`.
pub fn sign(
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: DateTime<Utc>,
    request: &Request<'_>,
) -> Vec<(String, String)> {
    let Request {
        method,
        url,
        headers,
        body,
    } = *request;
    let timestamp = time.format("%Y%m%dT%H%M%SZ").to_string();
    let date = &timestamp[..8];
    let payload = if body.is_empty() {
        EMPTY_SHA256.to_string()
    } else {
        hex(&Sha256::digest(body))
    };
    let s3 = service == "s3";
    let mut added = vec![("x-amz-date".to_string(), timestamp.clone())];
    if let Some(token) = &credentials.session_token {
        added.push(("x-amz-security-token".to_string(), token.clone()));
    }
    if s3 {
        added.push(("x-amz-content-sha256".to_string(), payload.clone()));
    }
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let mut signed: Vec<(String, String)> = std::iter::once(("host".to_string(), host))
        .chain(headers.iter().cloned())
        .chain(added.iter().cloned())
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    signed.sort();
    let names = signed
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = signed.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let path = if s3 {
        url.path().to_string()
    } else {
        encode(&remove_dot_segments(url.path()), true)
    };
    let mut pairs: Vec<(&str, &str)> = url
        .query()
        .filter(|q| !q.is_empty())
        .map(|q| {
            q.split('&')
                .map(|p| p.split_once('=').unwrap_or((p, "")))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical = format!("{method}\n{path}\n{query}\n{canonical_headers}\n{names}\n{payload}");
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", credentials.secret_access_key).as_bytes(),
        date,
    );
    for part in [region, service, "aws4_request"] {
        key = hmac(&key, part);
    }
    let signature = hex(&hmac(&key, &to_sign));
    added.push((
        "authorization".to_string(),
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={names}, Signature={signature}",
            credentials.access_key_id
        ),
    ));
    added
}

fn hmac(key: &[u8], message: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `path` with `.` and `..` segments resolved, as every service but S3
/// expects it signed.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for segment in path.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented example: IAM ListUsers signed on 2015-08-30
    /// (the "Create a signed AWS API request" page of the IAM guide).
    #[test]
    fn the_documented_example_signs_as_aws_shows() {
        let credentials = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
        };
        let url =
            Url::parse("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08").unwrap();
        let time = DateTime::parse_from_rfc3339("2015-08-30T12:36:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let headers = [(
            "content-type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        )];
        let request = Request {
            method: "GET",
            url: &url,
            headers: &headers,
            body: b"",
        };
        let added = sign(&credentials, "us-east-1", "iam", time, &request);
        let authorization = &added.iter().find(|(k, _)| k == "authorization").unwrap().1;
        assert!(authorization.ends_with(
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        ));
    }

    #[test]
    fn dot_segments_resolve() {
        assert_eq!(remove_dot_segments("/a/./b/../c"), "/a/c");
        assert_eq!(remove_dot_segments("/"), "/");
    }
}
