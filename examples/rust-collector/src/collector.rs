//! The collector, as the contract asks (and as src/collector/collector.ts does it): subscribes to
//! its direct subject and its domains' queue groups, advertises and heartbeats, answers probes,
//! validates every task, runs the handler under maxConcurrency with a priority queue behind it,
//! streams Results to the reply subject (progress and cancels in `control.rs`, the replies in
//! `replies.rs`), and drains on request.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::{Client, Subject};
use tokio::sync::{watch, Notify};

use crate::advert::{Advertiser, Error};
use crate::contract::*;
use crate::control::{progress, Runs};
use crate::labels::advert_labels;
use crate::loops::{heartbeats, serve, Listen, Server};
use crate::options::Options;
pub use crate::outgoing::{build_advert, build_result, log, now_ms};
use crate::perf::ProcSource;
use crate::subjects::{has_caps, served_domains, Subjects};

pub(crate) struct Job {
    pub(crate) task: Task,
    pub(crate) reply: Option<Subject>,
    pub(crate) received: Instant,
}

/// Counters, printed when the collector stops.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub received: u64,
    pub completed: u64,
    pub failed: u64,
    pub invalid: u64,
    pub expired: u64,
    pub rejected: u64,
    pub results_sent: u64,
    pub probes: u64,
    /// Cancels that found a running or queued attempt, and cancel messages that were invalid.
    pub cancelled: u64,
    pub invalid_cancels: u64,
}

pub(crate) struct State {
    accepting: bool,
    health: Health,
    pub(crate) running: usize,
    /// Four FIFO levels, Critical (3) first.
    queue: [VecDeque<Job>; 4],
    pub(crate) runs: Runs,
    pub(crate) stats: Stats,
}

impl State {
    fn queued(&self) -> usize {
        self.queue.iter().map(VecDeque::len).sum()
    }
    pub(crate) fn in_flight(&self) -> usize {
        self.running + self.queued()
    }
    /// Drops the queued attempts of `task_id` (any attempt when None); true when there was one.
    pub(crate) fn drop_queued(&mut self, task_id: &str, attempt: Option<u64>) -> bool {
        let before = self.queued();
        for level in &mut self.queue {
            level.retain(|j| j.task.task_id != task_id || attempt.is_some_and(|a| a != j.task.attempt));
        }
        self.queued() < before
    }
    pub(crate) fn pop(&mut self) -> Option<Job> {
        self.queue.iter_mut().rev().find_map(VecDeque::pop_front)
    }
}

pub(crate) struct Inner {
    pub(crate) opts: Options,
    pub(crate) client: Client,
    started_at: u64,
    pub(crate) source: ProcSource,
    pub(crate) state: Mutex<State>,
    pub(crate) idle: Notify,
    /// Set when the drain grace ends: running tasks stop with STOPPED.
    pub(crate) abort: watch::Sender<bool>,
}

pub struct Collector {
    inner: Arc<Inner>,
    advertiser: Arc<tokio::sync::Mutex<Advertiser>>,
    direct: Server,
    cancels: Server,
    queues: Vec<Server>,
    heartbeat: Server,
    progress: Server,
}

impl Collector {
    /// Subscribes, then advertises: once this returns, the collector takes tasks.
    pub async fn start(mut opts: Options, client: Client) -> Result<Collector, Error> {
        let subjects = Subjects::new(&opts.prefix)?;
        // The standard labels (host, os, kernel, type, version, zone) under the user's own.
        opts.labels = advert_labels(&opts);
        let inner = Arc::new(Inner {
            client: client.clone(),
            started_at: now_ms(),
            source: ProcSource::default(),
            state: Mutex::new(State {
                accepting: true,
                health: Health::Healthy,
                running: 0,
                queue: Default::default(),
                runs: Runs::default(),
                stats: Stats::default(),
            }),
            idle: Notify::new(),
            abort: watch::channel(false).0,
            opts,
        });
        let id = &inner.opts.id;
        let direct =
            serve(inner.clone(), client.subscribe(subjects.collector_task(id)?).await?, Listen::Tasks);
        let cancels =
            serve(inner.clone(), client.subscribe(subjects.collector_cancel(id)?).await?, Listen::Cancels);
        let mut queues = Vec::new();
        if inner.opts.plain_path {
            for d in served_domains(inner.opts.capabilities) {
                let sub = client.queue_subscribe(subjects.task_wildcard(d), subjects.queue_group(d)).await?;
                queues.push(serve(inner.clone(), sub, Listen::Tasks));
            }
        }
        client.flush().await?;
        let mut adv =
            Advertiser::open(&client, &subjects, &inner.opts.id, inner.opts.ttl, inner.opts.heartbeat)
                .await?;
        adv.put(inner.advert()).await?;
        let advertiser = Arc::new(tokio::sync::Mutex::new(adv));
        let heartbeat = heartbeats(inner.clone(), advertiser.clone());
        let progress = progress(inner.clone());
        Ok(Collector { inner, advertiser, direct, cancels, queues, heartbeat, progress })
    }

    pub fn stats(&self) -> Stats {
        self.inner.state.lock().unwrap().stats.clone()
    }

    /// Drains: advertises `unavailable`, stops taking tasks (queue groups first), lets in-flight
    /// tasks finish within the grace period (then ends them with STOPPED), deletes the advert.
    pub async fn drain(self) -> Stats {
        let inner = &self.inner;
        {
            let mut s = inner.state.lock().unwrap();
            s.accepting = false;
            s.health = Health::Unavailable;
        }
        if let Err(e) = self.advertiser.lock().await.put(inner.advert()).await {
            log(format!("advert not updated to unavailable: {e}"));
        }
        // The direct subscription stays until in-flight work is done, so that no coordinator
        // takes the drain for a dead instance; tasks sent meanwhile are refused with STOPPED.
        for q in self.queues {
            q.close(Duration::from_secs(2)).await;
        }
        if !inner.wait_idle(inner.opts.drain_grace).await {
            let left: Vec<Job> = {
                let mut s = inner.state.lock().unwrap();
                std::iter::from_fn(|| s.pop()).collect()
            };
            for job in &left {
                inner.send_error(job, 0, ErrorCode::Stopped, &inner.stopped()).await;
            }
            let _ = inner.abort.send(true);
            inner.wait_idle(Duration::from_secs(2)).await;
        }
        self.direct.close(Duration::from_secs(2)).await;
        self.cancels.close(Duration::from_secs(2)).await;
        self.progress.close(inner.opts.progress).await;
        self.heartbeat.close(inner.opts.heartbeat).await;
        if let Err(e) = self.advertiser.lock().await.delete().await {
            log(format!("advert not deleted, it expires with its TTL: {e}"));
        }
        match tokio::time::timeout(Duration::from_secs(2), inner.client.flush()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => log(format!("flush: {e}")),
            Err(_) => log("flush timed out: NATS is unreachable"),
        }
        let stats = inner.state.lock().unwrap().stats.clone();
        stats
    }
}

impl Inner {
    pub(crate) fn advert(&self) -> CollectorAdvert {
        let s = self.state.lock().unwrap();
        build_advert(&self.opts, s.health, s.in_flight() as u64, self.started_at)
    }

    pub(crate) fn stopped(&self) -> String {
        format!("collector {} stopped", self.opts.id)
    }

    /// True when nothing is in flight, now or within `within`.
    async fn wait_idle(&self, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let notified = self.idle.notified();
            if self.state.lock().unwrap().in_flight() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.state.lock().unwrap().in_flight() == 0;
            }
        }
    }

    pub(crate) async fn on_message(self: &Arc<Self>, msg: async_nats::Message) {
        if msg.payload.is_empty() {
            if let Some(reply) = msg.reply {
                // A coordinator's liveness probe: answered, not a task.
                self.state.lock().unwrap().stats.probes += 1;
                let _ = self.client.publish(reply, Default::default()).await;
                return;
            }
        }
        self.state.lock().unwrap().stats.received += 1;
        let task = match decode_limited::<Task>(&msg.payload, self.opts.max_task_bytes) {
            Ok(t) => t,
            Err(e) => {
                let n = {
                    let mut s = self.state.lock().unwrap();
                    s.stats.invalid += 1;
                    s.stats.invalid
                };
                if n <= 10 || n.is_power_of_two() {
                    log(format!("invalid task on {} (#{n}): {e}", msg.subject));
                }
                if let Some(reply) = msg.reply {
                    self.reply_error(reply, ErrorCode::InvalidMessage, &e.message).await;
                }
                return;
            }
        };
        let job = Job { task, reply: msg.reply, received: Instant::now() };
        if !has_caps(self.opts.capabilities, job.task.required_capabilities) {
            self.state.lock().unwrap().stats.rejected += 1;
            let missing = job.task.required_capabilities & !self.opts.capabilities;
            let m = format!("collector {} lacks capabilities 0x{missing:02x}", self.opts.id);
            return self.send_error(&job, 0, ErrorCode::NoCapableCollector, &m).await;
        }
        let refusal = {
            let mut s = self.state.lock().unwrap();
            if !s.accepting {
                s.stats.rejected += 1;
                Some((ErrorCode::Stopped, self.stopped()))
            } else if s.running < self.opts.max_concurrency as usize {
                s.running += 1;
                tokio::spawn(self.clone().run(job));
                return;
            } else if s.queued() < self.opts.max_queued {
                let p = job.task.priority.min(3) as usize;
                s.queue[p].push_back(job);
                return;
            } else {
                s.stats.rejected += 1;
                Some((ErrorCode::Overloaded, format!("collector {} queue is full", self.opts.id)))
            }
        };
        if let Some((code, m)) = refusal {
            self.send_error(&job, 0, code, &m).await;
        }
    }
}
