//! Building and running the application. `Application::build` binds the
//! port (0 in tests) and reports the real one; `run` serves until the
//! `shutdown` future resolves, then drains in this order: sessions are told
//! to reconnect (1001), the HTTP server stops accepting, the storage queue
//! is drained (nothing acked is lost), actors stop, the pool closes, and
//! the managed PostgreSQL (if any) stops.

use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use actix_http::HttpService;
use actix_server::Server;
use actix_service::{map_config, ServiceFactoryExt as _};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web, App};
use actors::Registry;
use anyhow::Context as _;
use storage::{spawn_storage_actor, Db, LocalPostgres, PgStore, StorageConfig, StorageTask};
use tokio::sync::watch;

use crate::auth::{hash_password, ApiKeys, JwtKeys};
use crate::config::{DatabaseSettings, Settings};
use crate::session::upgrade;
use crate::state::{AppState, Services};
use crate::{client_addr, cors, error_shape, head, metrics, rate_limit, request_id, routes};

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    shutdown_tx: watch::Sender<bool>,
    storage_task: StorageTask,
    local_pg: Option<LocalPostgres>,
    jobs: Option<crate::jobs::JobRunner>,
}

/// Bytes of a generated development signing key.
const GENERATED_SECRET_BYTES: usize = 32;

/// The signing key from settings, or one generated once and kept in the
/// data directory so tokens survive a restart in development.
fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &settings.jwt.secret {
        return Ok(secret.clone());
    }
    let path = settings.data_dir.join("jwt-secret");
    if let Ok(existing) = std::fs::read(&path) {
        if existing.len() >= GENERATED_SECRET_BYTES {
            return Ok(existing);
        }
    }
    tracing::warn!(path = %path.display(), "CORKBOARD_JWT_SECRET is not set; using a generated key (development only)");
    let secret: Vec<u8> = (0..GENERATED_SECRET_BYTES)
        .map(|_| rand::random::<u8>())
        .collect();
    write_private(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
    Ok(secret)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

impl Application {
    /// Connect (or start the managed PostgreSQL), migrate, start the
    /// storage actor and the registry, and bind the HTTP server.
    ///
    /// # Errors
    /// Any startup failure, with context naming the step.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let (db, url, local_pg) = connect(&settings).await?;

        let storage_config = StorageConfig::default();
        let storage_capacity = storage_config.queue_capacity;
        let (storage, storage_task) = spawn_storage_actor(db.clone(), storage_config);
        let store = Arc::new(PgStore::new(db.clone(), storage.clone()));
        let (bus, cluster, heard) = crate::cluster::start_bus(&settings, &url)?;
        let registry = Registry::with_bus(store, settings.actors.clone(), bus);

        let secret = jwt_secret(&settings)?;
        let jwt = Arc::new(JwtKeys::new(&settings.jwt, &secret));
        let api_keys = Arc::new(
            ApiKeys::new(settings.api_keys.pepper.as_deref(), &secret)
                .map_err(|_| anyhow::anyhow!("the system random generator failed"))?,
        );
        let dummy_hash: Arc<str> =
            tokio::task::spawn_blocking(|| hash_password("corkboard timing equalizer"))
                .await?
                .map_err(|e| anyhow::anyhow!("hashing: {e}"))?
                .into();
        let mailer = crate::mail::Mailer::new(&settings.mail, &settings.data_dir)
            .map_err(|e| anyhow::anyhow!("setting up mail: {e}"))?;
        let webhooks = crate::webhooks::guard::client(
            settings.webhooks.allow_private,
            settings.webhooks.timeout,
        )
        .map_err(|e| anyhow::anyhow!("setting up the webhook client: {e}"))?;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let services = Services {
            db,
            registry,
            storage,
            storage_capacity,
            jwt,
            api_keys,
            dummy_hash,
            cluster,
            mailer,
            webhooks,
        };
        let state = AppState::new(settings.clone(), services, shutdown_rx);
        crate::cluster::spawn(state.clone(), heard);

        // Access tokens are stateless: without this, a restart would let
        // the unexpired tokens of sessions revoked before it work again.
        let revoked = state
            .db
            .login_sessions_revoked_within(settings.jwt.access_ttl + crate::auth::LEEWAY)
            .await
            .context("loading revoked login sessions")?;
        for sid in revoked {
            state.revocations.remember_session(sid);
        }

        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let server = serve(listener, state.clone(), &settings)?;
        let jobs = crate::jobs::spawn(state.clone(), url);
        tracing::info!(
            url = %browser_url(listener_addr(settings.bind, port)),
            "listening"
        );
        Ok(Application {
            port,
            server,
            state,
            shutdown_tx,
            storage_task,
            local_pg,
            jobs,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve until `shutdown` resolves, then drain gracefully.
    ///
    /// # Errors
    /// When the HTTP server fails.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let Application {
            server,
            state,
            shutdown_tx,
            storage_task,
            mut local_pg,
            jobs,
            ..
        } = self;
        let handle = server.handle();
        let served = actix_rt::spawn(server);
        shutdown.await;
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
        // Sessions were told to reconnect; their sockets are no longer the
        // HTTP server's, so wait here for the close frames to go out.
        let drain = state.settings.shutdown_timeout;
        if tokio::time::timeout(drain, state.sockets.all_closed())
            .await
            .is_err()
        {
            tracing::warn!(
                open = state.sockets.count(),
                "sockets still open after the drain timeout"
            );
        }
        handle.stop(true).await;
        let _ = served.await;
        // Running jobs had the same bound, from the start of shutdown, to
        // finish; the rest were given back.
        if let Some(jobs) = jobs {
            jobs.stopped(drain + std::time::Duration::from_secs(1))
                .await;
        }
        storage_task.shutdown().await;
        state.registry.shutdown();
        state.db.pool().close();
        if let Some(pg) = local_pg.as_mut() {
            pg.stop();
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Connect to the configured database (starting the managed PostgreSQL when
/// there is no `DATABASE_URL`) and apply the migrations.
async fn connect(settings: &Settings) -> anyhow::Result<(Db, String, Option<LocalPostgres>)> {
    let (url, local_pg) = match &settings.database {
        DatabaseSettings::Url(url) => (url.clone(), None),
        DatabaseSettings::Managed => {
            let dir = settings.data_dir.clone();
            let pg = tokio::task::spawn_blocking(move || LocalPostgres::start(&dir))
                .await
                .context("starting the managed PostgreSQL")??;
            (pg.url(), Some(pg))
        }
    };
    let db = Db::connect(&url, settings.db_pool_size)
        .await
        .context("connecting to PostgreSQL")?;
    db.migrate().await.context("running migrations")?;
    Ok((db, url, local_pg))
}

/// `corkboard migrate`: apply the migrations and stop (the managed
/// PostgreSQL too, when this started it).
///
/// # Errors
/// When the database cannot be reached or a migration fails.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let (db, _, mut local_pg) = connect(settings).await?;
    db.pool().close();
    if let Some(pg) = local_pg.as_mut() {
        pg.stop();
    }
    tracing::info!("migrations applied");
    Ok(())
}

/// `corkboard admin grant|revoke EMAIL`: make an account an instance
/// operator, or not (the managed PostgreSQL is started and stopped for it,
/// as for `migrate`).
///
/// # Errors
/// When the database cannot be reached, or no account has the email.
pub async fn admin(settings: &Settings, command: crate::cli::Admin) -> anyhow::Result<()> {
    use crate::cli::Admin;
    let (email, grant) = match command {
        Admin::Grant { email } => (email, true),
        Admin::Revoke { email } => (email, false),
    };
    let (db, _, mut local_pg) = connect(settings).await?;
    let changed = db.set_operator(&email, grant).await;
    db.pool().close();
    if let Some(pg) = local_pg.as_mut() {
        pg.stop();
    }
    match changed.context("updating the account")? {
        Some(user) => {
            let now = if grant {
                "an instance operator"
            } else {
                "no longer an instance operator"
            };
            println!("{email} (user {}) is {now}", user.0);
            Ok(())
        }
        None => anyhow::bail!("no account has the email {email:?}: register it first"),
    }
}

fn listener_addr(bind: std::net::SocketAddr, port: u16) -> std::net::SocketAddr {
    std::net::SocketAddr::new(bind.ip(), port)
}

/// A URL a browser on this machine can open: `localhost` for loopback and
/// wildcard addresses — the name the README's examples use, so a page
/// opened there passes the WebSocket Origin check with them.
pub fn browser_url(addr: std::net::SocketAddr) -> String {
    let ip = addr.ip();
    if ip.is_loopback() || ip.is_unspecified() {
        format!("http://localhost:{}/", addr.port())
    } else if ip.is_ipv6() {
        format!("http://[{ip}]:{}/", addr.port())
    } else {
        format!("http://{ip}:{}/", addr.port())
    }
}

/// The application, as each worker builds it (twice: once for HTTP
/// requests, once for the upgrade service answering WebSocket handshakes).
fn app(
    data: web::Data<AppState>,
    body_limit: usize,
    metrics_on: bool,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(data)
        .app_data(routes::json_config(body_limit))
        .app_data(routes::path_config())
        .app_data(routes::query_config())
        .app_data(web::PayloadConfig::new(body_limit))
        // Innermost first: the rate limit and CORS answers get the
        // default headers, the request id and a metrics record too.
        .wrap(from_fn(head::middleware))
        .wrap(from_fn(error_shape::middleware))
        .wrap(Compress::default())
        .wrap(from_fn(rate_limit::per_ip))
        .wrap(from_fn(cors::middleware))
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "no-referrer"))
                .add(("Cache-Control", "no-store")),
        )
        .wrap(from_fn(request_id::middleware))
        .wrap(from_fn(metrics::record))
        // Outermost: every layer inside sees the resolved client address.
        .wrap(from_fn(client_addr::middleware))
        .configure(routes::configure)
        .configure(|cfg| {
            if metrics_on {
                metrics::route(cfg);
            }
        })
}

/// How long a client may take to send a request's head.
const CLIENT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a connection may linger after its response before it is
/// dropped.
const CLIENT_DISCONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// The HTTP server: actix-http's HTTP/1 service per worker, with an
/// upgrade service that takes WebSockets over (`session::upgrade`).
fn serve(listener: TcpListener, state: AppState, settings: &Settings) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let body_limit = settings.max_body_bytes;
    let metrics_on = settings.metrics;
    let local_addr = listener.local_addr()?;
    let builder = Server::build();
    let stopping = builder.graceful_shutdown_signal();
    let server = builder
        .workers(settings.workers)
        .disable_signals()
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .listen("corkboard", listener, move || {
            let for_upgrades = data.clone();
            let stopping = stopping.clone();
            // The timeouts actix-web's `HttpServer` would set, and its
            // signal closing idle keep-alive connections at shutdown.
            HttpService::build()
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
                .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
                .local_addr(local_addr)
                .upgrade(upgrade::factory(move || {
                    app(for_upgrades.clone(), body_limit, metrics_on)
                }))
                .finish(map_config(
                    app(data.clone(), body_limit, metrics_on),
                    |_| AppConfig::default(),
                ))
                .tcp()
                // Malformed HTTP is the client's error: logged at debug.
                .map_err(crate::connection_errors::log)
        })?
        .run();
    Ok(server)
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is
/// called, not when it is first awaited: call it before building the
/// application, so a signal during startup (the managed PostgreSQL starting,
/// migrations running) is kept and shuts down gracefully once built,
/// instead of killing the process and leaving PostgreSQL running.
///
/// # Panics
/// Outside a Tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    use tokio::signal::unix::{signal, Signal, SignalKind};
    async fn received(signal: std::io::Result<Signal>) {
        match signal {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    }
    let interrupt = received(signal(SignalKind::interrupt()));
    let terminate = received(signal(SignalKind::terminate()));
    async move {
        tokio::select! {
            _ = interrupt => {},
            _ = terminate => {},
        }
    }
}
