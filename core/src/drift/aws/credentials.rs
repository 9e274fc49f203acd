//! Where the AWS inventory finds its credentials and region, in the order
//! the AWS CLI looks: given, the environment, then the shared files' profile.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::sigv4::Credentials;
use crate::error::{Error, Result};

/// One `[section]` of an INI file: its keys and values.
type Section = BTreeMap<String, String>;

/// The sections of `~/.aws/credentials` or `~/.aws/config`, by name as
/// written (`default`, `profile dev`); an absent file has none.
fn sections(path: &PathBuf) -> Result<BTreeMap<String, Section>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut out: BTreeMap<String, Section> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_string();
            out.entry(name.clone()).or_default();
            current = Some(name);
        } else if let (Some(section), Some((key, value))) = (&current, line.split_once('=')) {
            out.entry(section.clone())
                .or_default()
                .insert(key.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    Ok(out)
}

fn home_file(variable: &str, name: &str) -> Option<PathBuf> {
    std::env::var_os(variable).map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".aws").join(name))
    })
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A profile's settings: the credentials file's section over the config
/// file's (`[profile NAME]`, or `[default]`).
fn profile(name: &str) -> Result<Section> {
    let mut settings = Section::new();
    if let Some(config) = home_file("AWS_CONFIG_FILE", "config") {
        let mut all = sections(&config)?;
        let key = if name == "default" {
            "default".to_string()
        } else {
            format!("profile {name}")
        };
        settings.extend(all.remove(&key).unwrap_or_default());
    }
    if let Some(credentials) = home_file("AWS_SHARED_CREDENTIALS_FILE", "credentials") {
        settings.extend(sections(&credentials)?.remove(name).unwrap_or_default());
    }
    Ok(settings)
}

/// The credentials to sign with: `given`, else `AWS_ACCESS_KEY_ID` and
/// `AWS_SECRET_ACCESS_KEY` (with `AWS_SESSION_TOKEN`), else the profile
/// `profile_name` (or `AWS_PROFILE`, or `default`) of the shared files.
pub(super) fn resolve_credentials(
    given: Option<Credentials>,
    profile_name: Option<&str>,
) -> Result<Credentials> {
    if let Some(c) = given {
        return Ok(c);
    }
    if profile_name.is_none() {
        if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
            return Ok(Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: env("AWS_SESSION_TOKEN"),
            });
        }
    }
    let name = profile_name
        .map(str::to_string)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let settings = profile(&name)?;
    match (
        settings.get("aws_access_key_id"),
        settings.get("aws_secret_access_key"),
    ) {
        (Some(id), Some(secret)) => Ok(Credentials {
            access_key_id: id.clone(),
            secret_access_key: secret.clone(),
            session_token: settings.get("aws_session_token").cloned(),
        }),
        _ => Err(Error::InvalidArgument {
            name: "credentials".into(),
            message: format!(
                "no AWS credentials: none given, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
                 are not set, and profile {name:?} has no access key in the shared files"
            ),
        }),
    }
}

/// The region to list when none is given: `AWS_REGION`,
/// `AWS_DEFAULT_REGION`, the profile's `region`, else `us-east-1`.
pub(super) fn default_region(profile_name: Option<&str>) -> Result<String> {
    if let Some(r) = env("AWS_REGION").or_else(|| env("AWS_DEFAULT_REGION")) {
        return Ok(r);
    }
    let name = profile_name
        .map(str::to_string)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    Ok(profile(&name)?
        .remove("region")
        .unwrap_or_else(|| "us-east-1".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_read_keys_in_any_case_and_skip_comments() {
        let dir = std::env::temp_dir().join(format!("infrarag-aws-ini-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(
            &path,
            "# keys\n[default]\nAWS_ACCESS_KEY_ID = AKIA1\naws_secret_access_key=s1\n\n[dev]\naws_access_key_id=AKIA2\n",
        )
        .unwrap();
        let all = sections(&path).unwrap();
        assert_eq!(all["default"]["aws_access_key_id"], "AKIA1");
        assert_eq!(all["default"]["aws_secret_access_key"], "s1");
        assert_eq!(all["dev"].len(), 1);
        assert!(sections(&dir.join("absent")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
