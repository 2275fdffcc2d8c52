//! The `corkboard` command line. Environment variables stay the primary way
//! to configure the server (`docs/configuration.md`); the few flags here
//! are shortcuts for the most common ones, each naming its variable in
//! `--help`, and a flag wins over its variable.

use std::collections::HashMap;

use clap::{Parser, Subcommand};

/// The build's version and git commit, for `--version`.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("CORKBOARD_GIT_COMMIT"),
    ")"
);

/// Corkboard: a real-time collaboration server for project boards.
///
/// With no command it serves. Every setting is an environment variable
/// (see docs/configuration.md); with none set it starts a managed local
/// PostgreSQL under ./data and serves on 127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "corkboard", version = LONG_VERSION, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to listen on, `ip:port`.
    #[arg(
        long,
        global = true,
        value_name = "ADDR",
        env = "CORKBOARD_BIND",
        hide_env_values = true
    )]
    bind: Option<String>,

    /// PostgreSQL to use; unset: a managed local PostgreSQL under the data directory.
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,

    /// Directory of the managed PostgreSQL and the generated development key.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "CORKBOARD_DATA_DIR",
        hide_env_values = true
    )]
    data_dir: Option<String>,

    /// `development` (zero configuration) or `production` (explicit keys required).
    #[arg(
        long = "env",
        global = true,
        value_name = "ENV",
        env = "CORKBOARD_ENV",
        hide_env_values = true
    )]
    environment: Option<String>,

    /// HTTP worker threads.
    #[arg(
        long,
        global = true,
        value_name = "N",
        env = "CORKBOARD_WORKERS",
        hide_env_values = true
    )]
    workers: Option<String>,

    /// Log format: `json` or `pretty` (default: pretty on a terminal, else json).
    #[arg(
        long,
        global = true,
        value_name = "FORMAT",
        env = "CORKBOARD_LOG_FORMAT",
        hide_env_values = true
    )]
    pub log_format: Option<String>,
}

#[derive(Clone, Debug, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Start the server (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets redacted) and exit; exits
    /// 2 naming the variable when the configuration is invalid.
    Config,
    /// Instance operators: who may use `/api/v1/admin/*`. Only this command
    /// grants it, never the API.
    #[command(subcommand)]
    Admin(Admin),
}

/// `corkboard admin …`.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum Admin {
    /// Make the account with this email an instance operator.
    Grant {
        /// The account's email.
        email: String,
    },
    /// Take the operator role from the account with this email.
    Revoke {
        /// The account's email.
        email: String,
    },
}

impl Cli {
    /// The variables the flags set, by variable name.
    fn overrides(&self) -> HashMap<&'static str, String> {
        [
            ("CORKBOARD_BIND", &self.bind),
            ("DATABASE_URL", &self.database_url),
            ("CORKBOARD_DATA_DIR", &self.data_dir),
            ("CORKBOARD_ENV", &self.environment),
            ("CORKBOARD_WORKERS", &self.workers),
            ("CORKBOARD_LOG_FORMAT", &self.log_format),
        ]
        .into_iter()
        .filter_map(|(var, value)| value.clone().map(|v| (var, v)))
        .collect()
    }

    /// Look a variable up: a flag's value first, then the environment.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> {
        let overrides = self.overrides();
        move |var| {
            overrides
                .get(var)
                .cloned()
                .or_else(|| std::env::var(var).ok())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed_and_flags_name_their_variables() {
        Cli::command().debug_assert();
        let help = Cli::command().render_long_help().to_string();
        for var in [
            "CORKBOARD_BIND",
            "DATABASE_URL",
            "CORKBOARD_DATA_DIR",
            "CORKBOARD_ENV",
            "CORKBOARD_WORKERS",
            "CORKBOARD_LOG_FORMAT",
        ] {
            assert!(
                help.contains(&format!("[env: {var}")),
                "{var} missing in:\n{help}"
            );
        }
        for command in ["serve", "migrate", "config"] {
            assert!(help.contains(command), "{command} missing in:\n{help}");
        }
    }

    #[test]
    fn a_flag_wins_over_its_variable() {
        let cli = Cli::parse_from(["corkboard", "config", "--bind", "127.0.0.1:9999"]);
        assert_eq!(cli.command, Some(Command::Config));
        assert_eq!(
            (cli.lookup())("CORKBOARD_BIND").as_deref(),
            Some("127.0.0.1:9999")
        );
        let cli = Cli::parse_from(["corkboard"]);
        assert_eq!(cli.command, None);
    }
}
