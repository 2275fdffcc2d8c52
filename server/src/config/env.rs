//! Reading variables: each accessor parses one variable, names it in its
//! error, and records the value it settled on (given or default), so
//! `corkboard config` can print the effective configuration without a
//! second list of variables to keep in step.

use std::cell::RefCell;
use std::time::Duration;

use super::explain::{redact_password, redact_url_password, REDACTED};
use super::{ConfigError, RateLimit};

/// A variable and the value in effect; `None` when unset with no default.
pub type Effective = (&'static str, Option<String>);

/// The variables, read through a lookup (the environment or a map).
pub struct Env<'a> {
    get: &'a dyn Fn(&str) -> Option<String>,
    seen: RefCell<Vec<Effective>>,
}

impl<'a> Env<'a> {
    pub fn new(get: &'a dyn Fn(&str) -> Option<String>) -> Env<'a> {
        Env {
            get,
            seen: RefCell::new(Vec::new()),
        }
    }

    /// Every variable read, in reading order, with its effective value.
    pub fn into_effective(self) -> Vec<Effective> {
        self.seen.into_inner()
    }

    fn record(&self, var: &'static str, value: Option<String>) {
        let mut seen = self.seen.borrow_mut();
        if !seen.iter().any(|(v, _)| *v == var) {
            seen.push((var, value));
        }
    }

    /// The raw value; blank counts as unset.
    pub fn string(&self, var: &'static str) -> Option<String> {
        let value = (self.get)(var).filter(|v| !v.trim().is_empty());
        self.record(var, value.clone());
        value
    }

    /// The raw value, or `default`.
    pub fn string_or(&self, var: &'static str, default: &str) -> String {
        let value = (self.get)(var)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_owned());
        self.record(var, Some(value.clone()));
        value
    }

    /// A secret of at least `min` bytes, if set; recorded as `<redacted>`.
    pub fn secret(&self, var: &'static str, min: usize) -> Result<Option<Vec<u8>>, ConfigError> {
        let value = (self.get)(var).filter(|v| !v.trim().is_empty());
        self.record(var, value.as_ref().map(|_| REDACTED.to_owned()));
        match value {
            Some(s) if s.len() < min => Err(ConfigError::new(
                var,
                format!("must be at least {min} bytes, got {}", s.len()),
            )),
            other => Ok(other.map(String::into_bytes)),
        }
    }

    /// A PostgreSQL connection string, if set; recorded with its password
    /// redacted.
    pub fn connection_string(&self, var: &'static str) -> Option<String> {
        let value = (self.get)(var).filter(|v| !v.trim().is_empty());
        self.record(var, value.as_deref().map(redact_password));
        value
    }

    /// A URL that may carry a password (`scheme://user:password@host`), if
    /// set; recorded with the password redacted.
    pub fn secret_url(&self, var: &'static str) -> Option<String> {
        let value = (self.get)(var).filter(|v| !v.trim().is_empty());
        self.record(var, value.as_deref().map(redact_url_password));
        value
    }

    pub fn parse_with<T>(&self, var: &'static str, default: Option<T>) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + std::fmt::Display,
        T::Err: std::fmt::Display,
    {
        let value = match (self.get)(var).filter(|v| !v.trim().is_empty()) {
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::new(var, format!("{raw:?} is not valid: {e}")))?,
            None => default.ok_or_else(|| ConfigError::new(var, "is required"))?,
        };
        self.record(var, Some(value.to_string()));
        Ok(value)
    }

    pub fn parse(
        &self,
        var: &'static str,
        default: usize,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<usize, ConfigError> {
        let value = self.parse_with(var, Some(default))?;
        if !range.contains(&value) {
            return Err(ConfigError::new(
                var,
                format!("{value} is outside {}..={}", range.start(), range.end()),
            ));
        }
        Ok(value)
    }

    pub fn count(
        &self,
        var: &'static str,
        default: u32,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<u32, ConfigError> {
        let value = self.parse(var, default as usize, range)?;
        u32::try_from(value).map_err(|_| ConfigError::new(var, format!("{value} is too large")))
    }

    pub fn rate(
        &self,
        (per_sec_var, per_sec): (&'static str, u32),
        (burst_var, burst): (&'static str, u32),
    ) -> Result<RateLimit, ConfigError> {
        Ok(RateLimit {
            per_sec: self.count(per_sec_var, per_sec, 1..=1_000_000)?,
            burst: self.count(burst_var, burst, 1..=10_000_000)?,
        })
    }

    pub fn secs(
        &self,
        var: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<Duration, ConfigError> {
        let secs = self.parse(var, default as usize, range)?;
        Ok(Duration::from_secs(secs as u64))
    }

    /// One of `choices` (case-insensitive), or the first when unset.
    pub fn choice(
        &self,
        var: &'static str,
        choices: &[&'static str],
    ) -> Result<&'static str, ConfigError> {
        let chosen = match (self.get)(var).filter(|v| !v.trim().is_empty()) {
            None => choices[0],
            Some(raw) => {
                let wanted = raw.trim().to_ascii_lowercase();
                *choices.iter().find(|c| **c == wanted).ok_or_else(|| {
                    ConfigError::new(
                        var,
                        format!("{raw:?} is not valid: use {}", choices.join(" or ")),
                    )
                })?
            }
        };
        self.record(var, Some(chosen.to_owned()));
        Ok(chosen)
    }
}
