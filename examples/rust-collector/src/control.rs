//! What the collector hears about tasks besides the tasks themselves, and says while running them
//! (as src/collector/control.ts does it): a CancelTask on `<p>.collector.<id>.cancel` aborts the
//! matching run, which answers with a final error Result CANCELLED, or drops a queued attempt
//! without an answer; while a task runs, an empty message with header `Mesh-Progress` on its reply
//! subject every `progress` tells the coordinator the attempt is alive. One timer for all runs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use async_nats::{HeaderMap, Subject};
use tokio::sync::watch;

use crate::collector::Inner;
use crate::contract::{decode_limited, CancelTask};
use crate::limits::HEADER_PROGRESS;
use crate::loops::Server;
use crate::outgoing::log;

/// Largest cancel message accepted (bytes), as the TypeScript collector.
pub const MAX_CANCEL_BYTES: usize = 4096;

/// A task that is running: what a cancel matches and where its progress goes.
pub(crate) struct Running {
    task_id: String,
    attempt: u64,
    reply: Option<Subject>,
    started: Instant,
    /// Set to the error message once the run is cancelled.
    cancel: watch::Sender<Option<String>>,
}

/// The runs of one collector, by a number of their own.
#[derive(Default)]
pub(crate) struct Runs {
    next: u64,
    by_id: HashMap<u64, Running>,
}

impl Runs {
    /// Registers a run; the receiver sees the cancel message when it is cancelled.
    pub(crate) fn add(
        &mut self,
        task_id: &str,
        attempt: u64,
        reply: Option<Subject>,
    ) -> (u64, watch::Receiver<Option<String>>) {
        let (cancel, cancelled) = watch::channel(None);
        self.next += 1;
        let run = Running { task_id: task_id.into(), attempt, reply, started: Instant::now(), cancel };
        self.by_id.insert(self.next, run);
        (self.next, cancelled)
    }

    pub(crate) fn remove(&mut self, id: u64) {
        self.by_id.remove(&id);
    }

    /// Cancels the runs of `c`; true when there was one.
    fn cancel(&mut self, c: &CancelTask, message: &str) -> bool {
        let mut found = false;
        for run in self.by_id.values() {
            if run.task_id == c.task_id && c.attempt.is_none_or(|a| a == run.attempt) {
                run.cancel.send_if_modified(|m| {
                    let first = m.is_none();
                    if first {
                        *m = Some(message.to_string());
                    }
                    first
                });
                found = true;
            }
        }
        found
    }

    /// Reply subjects of the runs, not cancelled, that started at least `progress` ago.
    fn due(&self, progress: std::time::Duration) -> Vec<Subject> {
        self.by_id
            .values()
            .filter(|r| r.started.elapsed() >= progress && r.cancel.borrow().is_none())
            .filter_map(|r| r.reply.clone())
            .collect()
    }
}

impl Inner {
    /// A message on the cancel subject: one that is not a CancelTask changes nothing.
    pub(crate) async fn on_cancel(self: &Arc<Self>, msg: async_nats::Message) {
        let Ok(c) = decode_limited::<CancelTask>(&msg.payload, MAX_CANCEL_BYTES) else {
            self.state.lock().unwrap().stats.invalid_cancels += 1;
            return;
        };
        let message = format!("task {} cancelled: {}", c.task_id, c.reason);
        let idle = {
            let mut s = self.state.lock().unwrap();
            let queued = s.drop_queued(&c.task_id, c.attempt);
            if s.runs.cancel(&c, &message) || queued {
                s.stats.cancelled += 1;
            }
            s.in_flight() == 0
        };
        if idle {
            self.idle.notify_waiters();
        }
    }
}

/// Sends `Mesh-Progress` for every run older than `progress`, every `progress`, until closed.
pub(crate) fn progress(inner: Arc<Inner>) -> Server {
    let (close, mut closed) = watch::channel(false);
    let handle = tokio::spawn(async move {
        let every = inner.opts.progress;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        tick.tick().await;
        let mut headers = HeaderMap::new();
        headers.insert(HEADER_PROGRESS, "1");
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = closed.changed() => break,
            }
            let due = inner.state.lock().unwrap().runs.due(every);
            for reply in due {
                if let Err(e) =
                    inner.client.publish_with_headers(reply, headers.clone(), Default::default()).await
                {
                    log(format!("progress not sent: {e}"));
                    break;
                }
            }
        }
    });
    Server::new(close, handle)
}
