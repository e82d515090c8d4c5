//! Starting and stopping the planes: media workers, SIP transports, the call engine's
//! driver task, the metrics endpoint and the CDR writer; SIGHUP reload and SIGTERM.

mod cdr;
mod driver;
mod limits;
mod media_events;
mod metrics_http;
mod monitor;
mod prometheus;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use sbc_core::config::{Config, Transport};
use sbc_media::{MediaEngine, MediaSettings};
use sbc_signaling::b2bua::{B2bua, EngineSettings};
use sbc_signaling::metrics::SignalingMetrics;
use sbc_signaling::net::TransportKind;
use sbc_signaling::transport::{TransportConfig, Transports};
use tokio::sync::mpsc;

/// Everything `/metrics` reads.
pub struct Observed {
    pub signaling: Arc<SignalingMetrics>,
    pub media: Arc<MediaEngine>,
    pub transports: Transports,
}

pub fn run(config: Config, path: Option<PathBuf>) -> anyhow::Result<()> {
    init_logging(&config.log.level);
    // Signaling runs on one thread: transports, the engine driver and the metrics
    // endpoint hand messages to each other without cross-thread wake-ups, which at
    // thousands of calls per second cost more CPU than the SIP work itself. Media has
    // its own threads; more signaling threads would mean sharding calls (later).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(config, path))
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn kind(t: Transport) -> TransportKind {
    match t {
        Transport::Udp => TransportKind::Udp,
        Transport::Tcp => TransportKind::Tcp,
    }
}

async fn serve(config: Config, path: Option<PathBuf>) -> anyhow::Result<()> {
    limits::apply(&config);
    let media_cfg = &config.media;
    let media = Arc::new(
        MediaEngine::start(MediaSettings {
            bind: media_cfg.bind,
            advertise: media_cfg.advertise,
            port_min: media_cfg.port_min,
            port_max: media_cfg.port_max,
            workers: media_cfg.workers,
            defer_wakeups: true,
            strict_source: media_cfg.strict_source,
            srtp_replay_window: media_cfg.srtp_replay_window,
        })
        .context("starting the media plane")?,
    );

    let (inbound_tx, inbound_rx) = mpsc::channel(8192);
    let listeners: Vec<_> = config
        .sip
        .listen
        .iter()
        .map(|l| (kind(l.transport), l.address))
        .collect();
    let tcfg = TransportConfig {
        max_message_bytes: config.sip.max_message_bytes,
        tcp_max_connections: config.sip.tcp.max_connections,
        tcp_max_connections_per_ip: config.sip.tcp.max_connections_per_ip,
        tcp_idle_timeout: config.sip.tcp.idle_timeout,
        ..TransportConfig::default()
    };
    let transports = Transports::bind(&listeners, tcfg, inbound_tx)
        .await
        .context("binding SIP listeners")?;
    let bound = transports.local_addrs();

    let signaling = Arc::new(SignalingMetrics::default());
    let settings = engine_settings(Arc::new(config.clone()), &bound, media.advertised_ip());
    // No seed: tags come from an OS-seeded generator and SRTP keys from `OsRng`.
    let engine = B2bua::new(settings.clone(), media.clone(), signaling.clone(), None);

    let mut stdout = std::io::stdout().lock();
    for (t, addr) in &bound {
        let name = match t {
            TransportKind::Udp => "udp",
            TransportKind::Tcp => "tcp",
        };
        writeln!(stdout, "listening sip {name} {addr}")?;
    }
    let observed = Arc::new(Observed {
        signaling,
        media: media.clone(),
        transports: transports.clone(),
    });
    if let Some(addr) = config.metrics.listen {
        let bound = metrics_http::serve(addr, observed.clone())
            .await
            .context("binding the metrics listener")?;
        writeln!(stdout, "listening metrics {bound}")?;
    }
    writeln!(stdout, "ready")?;
    stdout.flush()?;
    drop(stdout);

    let (commands_tx, commands_rx) = mpsc::unbounded_channel();
    let monitor = monitor::spawn(&config, commands_tx)?;
    let monitor_tx = monitor.as_ref().map(|(tx, _)| tx.clone());
    let _media_events = media_events::spawn(&media, monitor_tx.clone());
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let cdr_task = tokio::spawn(cdr::write(
        config.cdr.path.clone(),
        media.clone(),
        events_rx,
    ));
    let (reload_tx, reload_rx) = mpsc::channel(4);
    tokio::spawn(reload_on_sighup(
        path,
        reload_tx,
        monitor_tx.clone(),
        bound.clone(),
        media.advertised_ip(),
    ));

    let driver = driver::Driver::new(
        engine,
        inbound_rx,
        transports.clone(),
        events_tx,
        reload_rx,
        monitor_tx.map(|tx| (tx, commands_rx)),
    );
    tokio::select! {
        _ = driver.run() => {}
        _ = shutdown_signal() => tracing::info!("shutting down"),
    }
    transports.shutdown();
    // The driver owned the event sender; once it is gone the CDR writer drains and ends.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), cdr_task).await;
    media.shutdown();
    Ok(())
}

fn engine_settings(
    config: Arc<Config>,
    bound: &[(TransportKind, std::net::SocketAddr)],
    media_ip: std::net::IpAddr,
) -> EngineSettings {
    // Via/Contact name the advertised address when one is configured for the listener.
    let signaling = bound
        .iter()
        .map(|(t, addr)| {
            let advertised = config
                .sip
                .listen
                .iter()
                .find(|l| kind(l.transport) == *t && (l.address.ip() == addr.ip()))
                .and_then(|l| l.advertise);
            (
                *t,
                advertised
                    .map(|ip| std::net::SocketAddr::new(ip, addr.port()))
                    .unwrap_or(*addr),
            )
        })
        .collect();
    EngineSettings {
        config,
        signaling,
        media_ip,
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// SIGHUP re-reads the config file; routes, trunks and timers of new calls change,
/// calls in progress keep their legs. Listeners and media ranges need a restart.
async fn reload_on_sighup(
    path: Option<PathBuf>,
    tx: mpsc::Sender<EngineSettings>,
    monitor: Option<std::sync::mpsc::Sender<monitor::MonitorInput>>,
    bound: Vec<(TransportKind, std::net::SocketAddr)>,
    media_ip: std::net::IpAddr,
) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        return;
    };
    while hup.recv().await.is_some() {
        let Some(path) = &path else {
            tracing::warn!("SIGHUP ignored: running on the embedded default config");
            continue;
        };
        match Config::load(path) {
            Ok(config) => {
                tracing::info!(file = %path.display(), "configuration reloaded");
                let config = Arc::new(config);
                if let Some(m) = &monitor {
                    let _ = m.send(monitor::MonitorInput::Reload(config.clone()));
                }
                if tx
                    .send(engine_settings(config, &bound, media_ip))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(errors) => tracing::error!("reload refused, keeping the running config:\n{errors}"),
        }
    }
}
