//! The effective configuration as `VAR=value` lines, for `corkboard config`:
//! every variable the server read, with the value it settled on, secrets
//! redacted (a password inside `DATABASE_URL` too).

use std::fmt;

use super::env::Effective;

/// Variables whose values are never printed.
const SECRETS: &[&str] = &[
    "CORKBOARD_JWT_SECRET",
    "CORKBOARD_JWT_PREVIOUS_SECRET",
    "CORKBOARD_API_KEY_PEPPER",
    "CORKBOARD_METRICS_TOKEN",
];

/// Printable effective configuration.
pub struct Explained(pub Vec<Effective>);

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (var, value) in &self.0 {
            match value {
                None => writeln!(f, "{var}=  # unset")?,
                Some(_) if SECRETS.contains(var) => writeln!(f, "{var}=<redacted>")?,
                Some(url) if *var == "DATABASE_URL" => writeln!(f, "{var}={}", redact_url(url))?,
                Some(value) => writeln!(f, "{var}={value}")?,
            }
        }
        Ok(())
    }
}

/// A connection string with its password replaced, in both libpq forms:
/// `postgres://user:password@host/db?password=…` and `host=… password=…`.
pub fn redact_url(url: &str) -> String {
    let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    else {
        return redact_pairs(url, ' ');
    };
    let scheme = &url[..url.len() - rest.len()];
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:<redacted>@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => format!("{path}?{}", redact_pairs(query, '&')),
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

/// `key=value` pairs separated by `sep`, with any password's value replaced.
fn redact_pairs(pairs: &str, sep: char) -> String {
    pairs
        .split(sep)
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=<redacted>"),
            _ => kv.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        assert_eq!(
            redact_url("postgres://ada:s3cret@db:5432/corkboard"),
            "postgres://ada:<redacted>@db:5432/corkboard"
        );
        assert_eq!(
            redact_url("postgres://ada@db/corkboard"),
            "postgres://ada@db/corkboard"
        );
        assert_eq!(
            redact_url("postgresql://db/x?user=ada&password=s3cret"),
            "postgresql://db/x?user=ada&password=<redacted>"
        );
        assert_eq!(
            redact_url("host=db user=ada password=s3cret dbname=x"),
            "host=db user=ada password=<redacted> dbname=x"
        );
        let shown = Explained(vec![
            ("CORKBOARD_JWT_SECRET", Some("x".repeat(40))),
            ("CORKBOARD_BIND", Some("127.0.0.1:8080".into())),
            ("CORKBOARD_METRICS_TOKEN", None),
        ])
        .to_string();
        assert!(!shown.contains("xxxx"), "{shown}");
        assert!(shown.contains("CORKBOARD_JWT_SECRET=<redacted>"));
        assert!(shown.contains("CORKBOARD_BIND=127.0.0.1:8080"));
        assert!(shown.contains("CORKBOARD_METRICS_TOKEN=  # unset"));
    }
}
