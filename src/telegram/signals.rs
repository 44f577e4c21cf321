//! Stopping: a channel that turns true on SIGINT or SIGTERM, and the future that waits for it.
//! A leaf every loop that must stop (polling, the webhook, start-up) listens to.

use tokio::sync::watch;

/// A channel that turns true on SIGINT or SIGTERM.
pub fn stop_on_signal() -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        let _ = tx.send(true);
        // Keep the sender alive: receivers wait on it.
        std::future::pending::<()>().await;
    });
    rx
}

/// Resolves when the bot is asked to stop.
pub async fn stopped(stop: &mut watch::Receiver<bool>) {
    while !*stop.borrow() {
        if stop.changed().await.is_err() {
            // The sender is gone: nothing will ever stop us but the process ending.
            std::future::pending::<()>().await;
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
