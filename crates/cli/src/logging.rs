//! Tracing setup: human-readable text on a terminal, JSON lines with `--log-format json`.

use prospector_app::config::{Config, LogFormat};
use tracing_subscriber::EnvFilter;

/// Logs go to stderr so stdout stays clean for JSON and scripts.
pub fn init(config: &Config, quiet: bool) {
    let default = if quiet {
        "warn"
    } else {
        config.log_level.as_str()
    };
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{default},sqlx=warn,tower_http=info")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.with_target(false).try_init(),
    };
}
