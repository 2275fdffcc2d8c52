//! Reading and validating settings.

use super::*;
use std::collections::HashMap;

fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn defaults_need_no_configuration() {
    let s = settings(&[]).expect("defaults are valid");
    assert_eq!(s.bind.port(), 8080);
    assert!(matches!(s.database, DatabaseSettings::Managed));
    assert_eq!(s.jwt.access_ttl, Duration::from_secs(900));
    assert_eq!(s.auth.refresh_ttl, Duration::from_secs(30 * 86_400));
    assert_eq!(s.auth.refresh_reuse_grace, Duration::from_secs(10));
    assert_eq!(
        (s.auth.max_failures_per_email, s.auth.max_failures_per_ip),
        (5, 20)
    );
}

#[test]
fn snapshots_take_at_most_a_quarter_of_the_pool() {
    let writers = |pool: &str| {
        settings(&[("CORKBOARD_DB_POOL_SIZE", pool)])
            .expect("valid")
            .actors
            .snapshot_writers
    };
    assert_eq!(writers("2"), 1, "at least one");
    assert_eq!(writers("7"), 1);
    assert_eq!(writers("8"), 2);
    assert_eq!(writers("32"), 2, "two at most");
}

#[test]
fn bad_values_name_the_variable() {
    let err = settings(&[("CORKBOARD_BIND", "nope")]).expect_err("rejected");
    assert_eq!(err.var, "CORKBOARD_BIND");
    let err = settings(&[("CORKBOARD_JWT_SECRET", "short")]).expect_err("rejected");
    assert_eq!(err.var, "CORKBOARD_JWT_SECRET");
    let err = settings(&[("CORKBOARD_ACCESS_TOKEN_TTL_SECS", "86400")]).expect_err("rejected");
    assert_eq!(err.var, "CORKBOARD_ACCESS_TOKEN_TTL_SECS");
    let err = settings(&[("CORKBOARD_ALLOWED_ORIGINS", "example.com")]).expect_err("rejected");
    assert_eq!(err.var, "CORKBOARD_ALLOWED_ORIGINS");
    for var in [
        "CORKBOARD_REFRESH_TOKEN_TTL_SECS",
        "CORKBOARD_REFRESH_REUSE_GRACE_SECS",
        "CORKBOARD_LOGIN_MAX_FAILURES_PER_EMAIL",
        "CORKBOARD_LOGIN_MAX_FAILURES_PER_IP",
    ] {
        let err = settings(&[(var, "999999999")]).expect_err("out of range");
        assert_eq!(err.var, var);
    }
    let err = settings(&[("CORKBOARD_LOGIN_MAX_FAILURES_PER_EMAIL", "0")]).expect_err("zero");
    assert_eq!(err.var, "CORKBOARD_LOGIN_MAX_FAILURES_PER_EMAIL");
}

#[test]
fn rate_limits_and_metrics_are_configurable_and_validated() {
    let s = settings(&[]).expect("defaults are valid");
    assert!(s.metrics);
    assert_eq!(
        s.rate_limits.principal,
        RateLimit {
            per_sec: 20,
            burst: 100
        }
    );
    assert_eq!(
        (s.rate_limits.ip.per_sec, s.rate_limits.ip.burst),
        (50, 200)
    );
    assert_eq!(
        (
            s.rate_limits.ws_session.per_sec,
            s.rate_limits.ws_session.burst
        ),
        (50, 200)
    );
    let s = settings(&[
        ("CORKBOARD_METRICS", "off"),
        ("CORKBOARD_RATE_LIMIT_WS_PER_SEC", "5"),
        ("CORKBOARD_RATE_LIMIT_WS_BURST", "7"),
    ])
    .expect("valid");
    assert!(!s.metrics);
    assert_eq!(
        s.rate_limits.ws_session,
        RateLimit {
            per_sec: 5,
            burst: 7
        }
    );
    for var in [
        "CORKBOARD_RATE_LIMIT_USER_PER_SEC",
        "CORKBOARD_RATE_LIMIT_USER_BURST",
        "CORKBOARD_RATE_LIMIT_IP_PER_SEC",
        "CORKBOARD_RATE_LIMIT_IP_BURST",
        "CORKBOARD_RATE_LIMIT_WS_PER_SEC",
        "CORKBOARD_RATE_LIMIT_WS_BURST",
    ] {
        assert_eq!(settings(&[(var, "0")]).expect_err("zero").var, var);
        assert_eq!(settings(&[(var, "x")]).expect_err("not a number").var, var);
    }
    let err = settings(&[("CORKBOARD_METRICS", "maybe")]).expect_err("rejected");
    assert_eq!(err.var, "CORKBOARD_METRICS");
}

#[test]
fn the_api_key_pepper_is_validated_and_redacted() {
    let err = settings(&[("CORKBOARD_API_KEY_PEPPER", "short")]).expect_err("rejected");
    assert_eq!(err.var, "CORKBOARD_API_KEY_PEPPER");
    let pepper = "p".repeat(32);
    let ok = settings(&[("CORKBOARD_API_KEY_PEPPER", &pepper)]).expect("32 bytes suffice");
    assert_eq!(ok.api_keys.pepper.as_deref(), Some(pepper.as_bytes()));
    assert!(
        !format!("{ok:?}").contains(&pepper),
        "the pepper is redacted"
    );
}

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn production(extra: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let mut pairs = vec![
        ("CORKBOARD_ENV", "production"),
        ("CORKBOARD_JWT_SECRET", SECRET),
        ("CORKBOARD_API_KEY_PEPPER", SECRET),
        ("CORKBOARD_METRICS_TOKEN", SECRET),
    ];
    pairs.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    pairs.extend(extra.iter().filter(|(_, v)| !v.is_empty()));
    settings(&pairs)
}

#[test]
fn production_refuses_what_development_generates_and_names_the_variable() {
    let s = production(&[]).expect("a complete production configuration");
    assert_eq!(s.environment, Environment::Production);
    assert_eq!(
        settings(&[]).expect("dev").environment,
        Environment::Development
    );
    for var in [
        "CORKBOARD_JWT_SECRET",
        "CORKBOARD_API_KEY_PEPPER",
        "CORKBOARD_METRICS_TOKEN",
    ] {
        let err = production(&[(var, "")]).expect_err("refused");
        assert_eq!(err.var, var);
        assert!(err.to_string().contains("production"), "{err}");
    }
    // Metrics off: no token needed.
    production(&[
        ("CORKBOARD_METRICS", "off"),
        ("CORKBOARD_METRICS_TOKEN", ""),
    ])
    .expect("no metrics, no token");
    let err = production(&[("CORKBOARD_ALLOWED_ORIGINS", "https://a.example, *")])
        .expect_err("wildcard refused");
    assert_eq!(err.var, "CORKBOARD_ALLOWED_ORIGINS");
    let err = production(&[("CORKBOARD_TRUSTED_PROXIES", "10.0.0.1, 0.0.0.0/0")])
        .expect_err("trusting everyone refused");
    assert_eq!(err.var, "CORKBOARD_TRUSTED_PROXIES");
    production(&[("CORKBOARD_TRUSTED_PROXIES", "10.0.0.0/8")]).expect("a listed proxy");
    let err = settings(&[("CORKBOARD_ENV", "prod")]).expect_err("unknown environment");
    assert_eq!(err.var, "CORKBOARD_ENV");
}

#[test]
fn development_accepts_a_wildcard_origin_and_a_metrics_token() {
    let s = settings(&[
        ("CORKBOARD_ALLOWED_ORIGINS", "*"),
        ("CORKBOARD_METRICS_TOKEN", SECRET),
    ])
    .expect("valid");
    assert_eq!(s.allowed_origins, vec!["*".to_owned()]);
    assert_eq!(s.metrics_token, Some(Secret(SECRET.into())));
    let err = settings(&[("CORKBOARD_METRICS_TOKEN", "short")]).expect_err("too short");
    assert_eq!(err.var, "CORKBOARD_METRICS_TOKEN");
    assert!(!format!("{s:?}").contains(SECRET), "the token is redacted");
}

#[test]
fn trusted_proxies_are_cidrs_or_addresses() {
    let s = settings(&[("CORKBOARD_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,::1")]).expect("valid");
    assert!(s.trusted_proxies.contains("10.1.2.3".parse().expect("ip")));
    assert!(s.trusted_proxies.contains("127.0.0.1".parse().expect("ip")));
    assert!(s.trusted_proxies.contains("::1".parse().expect("ip")));
    assert!(!s.trusted_proxies.contains("127.0.0.2".parse().expect("ip")));
    let err = settings(&[("CORKBOARD_FORWARDED_HEADER", "x-real-ip")]).expect_err("bad");
    assert_eq!(err.var, "CORKBOARD_FORWARDED_HEADER");
    let err = settings(&[("CORKBOARD_TRUSTED_PROXIES", "10.0.0.0/33")]).expect_err("bad");
    assert_eq!(err.var, "CORKBOARD_TRUSTED_PROXIES");
    assert!(err.problem.contains("10.0.0.0/33"), "{}", err.problem);
}

#[test]
fn explain_lists_every_variable_with_its_effective_value() {
    // Every secret set, the database password too: none of them prints.
    let given = |k: &str| match k {
        "CORKBOARD_JWT_SECRET"
        | "CORKBOARD_API_KEY_PEPPER"
        | "CORKBOARD_METRICS_TOKEN"
        | "CORKBOARD_JWT_PREVIOUS_SECRET" => Some(SECRET.to_owned()),
        "CORKBOARD_JWT_PREVIOUS_KEY_ID" => Some("k0".to_owned()),
        "DATABASE_URL" => Some(format!("postgres://ada:{SECRET}@db/x")),
        "CORKBOARD_SMTP_URL" => Some(format!("smtp://ada:{SECRET}@relay:587?tls=required")),
        _ => None,
    };
    let (_, effective) = Settings::explain(given).expect("valid");
    let shown = Explained(effective).to_string();
    for var in [
        "CORKBOARD_API_KEY_PEPPER",
        "CORKBOARD_METRICS_TOKEN",
        "CORKBOARD_JWT_PREVIOUS_SECRET",
    ] {
        assert!(shown.contains(&format!("{var}=<redacted>\n")), "{shown}");
    }
    assert!(
        shown.contains("DATABASE_URL=postgres://ada:<redacted>@db/x\n"),
        "{shown}"
    );
    assert!(
        shown.contains("CORKBOARD_SMTP_URL=smtp://ada:<redacted>@relay:587?tls=required\n"),
        "{shown}"
    );
    assert!(shown.contains("CORKBOARD_BIND=127.0.0.1:8080\n"), "{shown}");
    assert!(shown.contains("CORKBOARD_ENV=development\n"), "{shown}");
    assert!(
        shown.contains("CORKBOARD_JWT_SECRET=<redacted>\n"),
        "{shown}"
    );
    assert!(
        shown.contains("CORKBOARD_WS_MAX_SOCKETS=25000\n"),
        "{shown}"
    );
    assert!(!shown.contains(SECRET), "{shown}");
    // Every variable the docs list is read (and so printed).
    let docs = include_str!("../../../docs/configuration.md");
    for line in shown.lines() {
        let var = line.split('=').next().unwrap_or_default();
        assert!(
            docs.contains(&format!("`{var}`")),
            "{var} is not in docs/configuration.md"
        );
    }
}

#[test]
fn the_bus_is_postgres_or_a_nats_url() {
    let with =
        |value: &str| Settings::from_lookup(|k| (k == "CORKBOARD_BUS").then(|| value.to_owned()));
    assert_eq!(
        with("postgres").expect("postgres").bus,
        BusSettings::Postgres
    );
    assert_eq!(
        with("nats://127.0.0.1:4222").expect("a nats url").bus,
        BusSettings::Nats("nats://127.0.0.1:4222".into())
    );
    for bad in ["redis://x", "nats://", "nats", "nats://a b"] {
        let err = with(bad).expect_err(bad);
        assert_eq!(err.var, "CORKBOARD_BUS", "{bad}");
        assert!(err.problem.contains("nats://host:port"), "{bad}: {err}");
    }
    assert_eq!(
        Settings::from_lookup(|_| None).expect("defaults").bus,
        BusSettings::Postgres
    );
}

#[test]
fn mail_needs_no_configuration_and_links_follow_the_bind_port() {
    let s = settings(&[]).expect("defaults are valid");
    assert!(
        s.mail.smtp_url.is_none(),
        "no relay: the development outbox"
    );
    assert_eq!(s.mail.from.to_string(), "Corkboard <corkboard@localhost>");
    assert_eq!(s.mail.public_url, "http://localhost:8080");
    let s = settings(&[("CORKBOARD_BIND", "0.0.0.0:9000")]).expect("valid");
    assert_eq!(s.mail.public_url, "http://localhost:9000");
    let s = settings(&[
        (
            "CORKBOARD_PUBLIC_URL",
            " https://boards.example.com/corkboard/ ",
        ),
        ("CORKBOARD_MAIL_FROM", "Boards <boards@example.com>"),
    ])
    .expect("valid");
    assert_eq!(s.mail.public_url, "https://boards.example.com/corkboard");
    assert_eq!(s.mail.from.email.to_string(), "boards@example.com");
    for url in [
        "smtp://127.0.0.1:2525",
        "smtp://user:pa%40ss@relay.example.com",
        "smtp://relay.example.com?tls=required",
        "smtps://relay.example.com",
    ] {
        let s = settings(&[("CORKBOARD_SMTP_URL", url)]).expect(url);
        assert_eq!(s.mail.smtp_url.map(|u| u.0).as_deref(), Some(url));
    }
    assert_eq!(
        format!(
            "{:?}",
            settings(&[("CORKBOARD_SMTP_URL", "smtp://a:b@c")]).map(|s| s.mail)
        ),
        format!(
            "{:?}",
            settings(&[("CORKBOARD_SMTP_URL", "smtp://x:y@c")]).map(|s| s.mail)
        ),
        "Debug shows no SMTP URL, so no password"
    );
}

#[test]
fn bad_mail_settings_name_the_variable() {
    for (var, value) in [
        ("CORKBOARD_SMTP_URL", "relay.example.com"),
        ("CORKBOARD_SMTP_URL", "http://relay.example.com"),
        (
            "CORKBOARD_SMTP_URL",
            "smtp://relay.example.com?tls=sometimes",
        ),
        ("CORKBOARD_SMTP_URL", "smtp://"),
        ("CORKBOARD_MAIL_FROM", "Corkboard"),
        ("CORKBOARD_MAIL_FROM", "a@b, c@d"),
        ("CORKBOARD_PUBLIC_URL", "boards.example.com"),
        ("CORKBOARD_PUBLIC_URL", "ftp://boards.example.com"),
        ("CORKBOARD_PUBLIC_URL", "https://"),
        ("CORKBOARD_PUBLIC_URL", "https://boards.example.com/?x=1"),
        ("CORKBOARD_PUBLIC_URL", "https://boards.example.com/#top"),
        ("CORKBOARD_PUBLIC_URL", "https://boards example.com"),
    ] {
        let err = settings(&[(var, value)]).expect_err(value);
        assert_eq!(err.var, var, "{value}");
    }
    let err = settings(&[("CORKBOARD_SMTP_URL", "smtq://ada:hunter2-hunter2@relay")])
        .expect_err("unknown scheme");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn actor_threads_default_to_the_cpu_count_and_stay_in_range() {
    let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    assert_eq!(settings(&[]).expect("defaults").actors.arbiters, cpus);
    let set = settings(&[("CORKBOARD_ACTOR_THREADS", "3")]).expect("3 threads");
    assert_eq!(set.actors.arbiters, 3);
    for bad in ["0", "257", "many", "-1"] {
        let err = settings(&[("CORKBOARD_ACTOR_THREADS", bad)]).expect_err(bad);
        assert_eq!(err.var, "CORKBOARD_ACTOR_THREADS", "{bad}");
    }
}
