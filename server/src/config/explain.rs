//! The effective configuration as `VAR=value` lines, for `corkboard config`:
//! every variable the server read, with the value it settled on. Secrets
//! are redacted when they are read (`Env::secret`, and the password of
//! `Env::connection_string`), so nothing here can print one.

use std::fmt;

use super::env::Effective;

/// What a secret prints as.
pub const REDACTED: &str = "<redacted>";

/// Printable effective configuration.
pub struct Explained(pub Vec<Effective>);

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (var, value) in &self.0 {
            match value {
                None => writeln!(f, "{var}=  # unset")?,
                Some(value) => writeln!(f, "{var}={value}")?,
            }
        }
        Ok(())
    }
}

/// A PostgreSQL connection string with its password replaced, in both
/// libpq forms: `postgres://user:password@host/db?password=…` and
/// `host=… password=…`. Parsed the way tokio-postgres parses it (the user
/// information ends at the first `@`); a string it cannot take apart but
/// that mentions a password is redacted whole.
pub fn redact_password(conn: &str) -> String {
    let Some(rest) = conn
        .strip_prefix("postgres://")
        .or_else(|| conn.strip_prefix("postgresql://"))
    else {
        return redact_key_values(conn).unwrap_or_else(|| whole_if_password(conn));
    };
    let scheme = &conn[..conn.len() - rest.len()];
    let (userinfo, rest) = match rest.split_once('@') {
        Some((userinfo, rest)) => match userinfo.split_once(':') {
            Some((user, _)) => (format!("{user}:{REDACTED}@"), rest),
            None => (format!("{userinfo}@"), rest),
        },
        None => (String::new(), rest),
    };
    let rest = match rest.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => {
                        format!("{k}={REDACTED}")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => rest.to_owned(),
    };
    format!("{scheme}{userinfo}{rest}")
}

/// A `scheme://user:password@host…` URL with its password replaced (the
/// user information ends at the last `@` before the path, as the `url`
/// crate reads it); anything else is returned as it is.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:{REDACTED}@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn whole_if_password(conn: &str) -> String {
    if conn.to_ascii_lowercase().contains("password") {
        REDACTED.to_owned()
    } else {
        conn.to_owned()
    }
}

/// `key = value` pairs, values bare or single-quoted with `\` escapes, as
/// `key=value` with the password's value replaced; `None` when the string
/// is not in that form.
fn redact_key_values(conn: &str) -> Option<String> {
    let mut out = Vec::new();
    let mut chars = conn.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Some(out.join(" "));
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        chars.next_if_eq(&'=')?;
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            value.push('\'');
            loop {
                match chars.next()? {
                    '\\' => {
                        value.push('\\');
                        value.push(chars.next()?);
                    }
                    '\'' => break value.push('\''),
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())));
        }
        if key.is_empty() {
            return None;
        }
        if key.eq_ignore_ascii_case("password") {
            value = REDACTED.to_owned();
        }
        out.push(format!("{key}={value}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_print() {
        for (given, shown) in [
            (
                "postgres://ada:s3cret@db:5432/corkboard",
                "postgres://ada:<redacted>@db:5432/corkboard",
            ),
            // tokio-postgres ends the user information at the first `@`.
            (
                "postgres://ada:pa/ss@db/x",
                "postgres://ada:<redacted>@db/x",
            ),
            ("postgres://ada:p?w@db/x", "postgres://ada:<redacted>@db/x"),
            ("postgres://ada@db/corkboard", "postgres://ada@db/corkboard"),
            (
                "postgresql://db/x?user=ada&password=s3cret",
                "postgresql://db/x?user=ada&password=<redacted>",
            ),
            (
                "host=db user=ada password=s3cret dbname=x",
                "host=db user=ada password=<redacted> dbname=x",
            ),
            ("host=db password = s3cret", "host=db password=<redacted>"),
            (
                "host=db password='a b\\' c' user=x",
                "host=db password=<redacted> user=x",
            ),
            ("host=db password='unterminated", "<redacted>"),
        ] {
            assert_eq!(redact_password(given), shown, "{given}");
        }
        for (given, shown) in [
            (
                "smtp://ada:s3cr%40t@relay:587?tls=required",
                "smtp://ada:<redacted>@relay:587?tls=required",
            ),
            (
                "smtps://a:b@c@relay/helo",
                "smtps://a:<redacted>@relay/helo",
            ),
            ("smtp://relay:25", "smtp://relay:25"),
            ("smtp://ada@relay", "smtp://ada@relay"),
        ] {
            assert_eq!(redact_url_password(given), shown, "{given}");
        }
        let shown = Explained(vec![
            ("CORKBOARD_BIND", Some("127.0.0.1:8080".into())),
            ("CORKBOARD_METRICS_TOKEN", None),
        ])
        .to_string();
        assert_eq!(
            shown,
            "CORKBOARD_BIND=127.0.0.1:8080\nCORKBOARD_METRICS_TOKEN=  # unset\n"
        );
    }
}
