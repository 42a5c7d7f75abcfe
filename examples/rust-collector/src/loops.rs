//! The collector's long-running loops: one per subscription, and the heartbeat.

use std::sync::Arc;
use std::time::Duration;

use async_nats::Subscriber;
use futures_util::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::advert::Advertiser;
use crate::collector::Inner;
use crate::outgoing::log;

/// A loop that runs until it is told to close.
pub(crate) struct Server {
    close: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Server {
    pub(crate) fn new(close: watch::Sender<bool>, handle: JoinHandle<()>) -> Server {
        Server { close, handle }
    }

    pub(crate) async fn close(self, within: Duration) {
        let _ = self.close.send(true);
        if tokio::time::timeout(within, self.handle).await.is_err() {
            log("a subscription did not drain in time");
        }
    }
}

/// What a subscription carries.
#[derive(Clone, Copy)]
pub(crate) enum Listen {
    /// Tasks and probes.
    Tasks,
    /// CancelTask messages.
    Cancels,
}

pub(crate) fn serve(inner: Arc<Inner>, mut sub: Subscriber, listen: Listen) -> Server {
    let (close, mut closed) = watch::channel(false);
    let handle = tokio::spawn(async move {
        let mut closing = false;
        loop {
            tokio::select! {
                m = sub.next() => match m {
                    Some(msg) => match listen {
                        Listen::Tasks => inner.on_message(msg).await,
                        Listen::Cancels => inner.on_cancel(msg).await,
                    },
                    None => break,
                },
                _ = closed.changed(), if !closing => {
                    closing = true;
                    if sub.drain().await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    Server { close, handle }
}

pub(crate) fn heartbeats(inner: Arc<Inner>, advertiser: Arc<tokio::sync::Mutex<Advertiser>>) -> Server {
    let (close, mut closed) = watch::channel(false);
    let handle = tokio::spawn(async move {
        let mut tick = tokio::time::interval(inner.opts.heartbeat);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tick.tick().await;
        let mut failing = false;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = closed.changed() => break,
            }
            match advertiser.lock().await.put(inner.advert()).await {
                Ok(()) if failing => {
                    failing = false;
                    log("advert put again");
                }
                Err(e) if !failing => {
                    failing = true;
                    log(format!("advert put failed, retrying at the next heartbeat: {e}"));
                }
                _ => {}
            }
        }
    });
    Server { close, handle }
}
