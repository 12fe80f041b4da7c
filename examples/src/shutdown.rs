//! Graceful shutdown, the part both servers share: the signal that starts it, and the
//! wait for the portal's queued background work (mail) that ends it.

use std::process::ExitCode;

use portal_core::Portal;

use crate::ServerSettings;

/// A future that resolves at the first SIGTERM (what service managers and container
/// runtimes send) or Ctrl-C (SIGINT). The handlers are installed now, inside a tokio
/// runtime, so that a signal arriving before the future is first polled is not lost
/// (nor kills the process, the default for SIGTERM).
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
            stopping();
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            stopping();
        })
    }
}

fn stopping() {
    tracing::info!("shutting down: no new connections; finishing the requests in flight");
}

/// Once the server answered its last request (`requests_finished`: all of them within
/// the bound), waits at most [`ServerSettings::shutdown_timeout`] for the portal's
/// queued background work, so that a login link asked for a moment before the stop is
/// still sent. The exit code says whether nothing was cut short.
pub async fn finish(
    portal: &Portal,
    settings: &ServerSettings,
    requests_finished: bool,
) -> ExitCode {
    let settled = tokio::time::timeout(settings.shutdown_timeout, portal.settle())
        .await
        .is_ok();
    match (requests_finished, settled) {
        (true, true) => {
            tracing::info!("stopped: every request answered, every queued mail handed over");
            ExitCode::SUCCESS
        }
        (false, _) => {
            tracing::error!(
                bound = ?settings.shutdown_timeout,
                "stopped with requests still in flight after the shutdown bound"
            );
            ExitCode::FAILURE
        }
        (true, false) => {
            tracing::error!(
                bound = ?settings.shutdown_timeout,
                "stopped with queued mail not yet handed over after the shutdown bound"
            );
            ExitCode::FAILURE
        }
    }
}
