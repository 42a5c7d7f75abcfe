//! The collector, as the contract asks (and as src/collector/collector.ts does it): subscribes to
//! its direct subject and its domains' queue groups, advertises and heartbeats, answers probes,
//! validates every task, runs the handler under maxConcurrency with a priority queue behind it,
//! streams Results to the reply subject, and drains on request.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::{Client, HeaderMap, Subject};
use rmpv::Value;
use tokio::sync::{watch, Notify};

use crate::advert::{Advertiser, Error};
use crate::contract::*;
use crate::limits::{HEADER_ERROR, HEADER_ERROR_CODE, HEADER_SIGNATURE};
use crate::loops::{heartbeats, serve, Server};
use crate::options::Options;
pub use crate::outgoing::{build_advert, build_result, log, now_ms};
use crate::perf::{PerfRequest, ProcSource};
use crate::subjects::{has_caps, served_domains, Subjects};

struct Job {
    task: Task,
    reply: Option<Subject>,
    received: Instant,
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
}

struct State {
    accepting: bool,
    health: Health,
    running: usize,
    /// Four FIFO levels, Critical (3) first.
    queue: [VecDeque<Job>; 4],
    stats: Stats,
}

impl State {
    fn queued(&self) -> usize {
        self.queue.iter().map(VecDeque::len).sum()
    }
    fn in_flight(&self) -> usize {
        self.running + self.queued()
    }
    fn pop(&mut self) -> Option<Job> {
        self.queue.iter_mut().rev().find_map(VecDeque::pop_front)
    }
}

pub(crate) struct Inner {
    pub(crate) opts: Options,
    client: Client,
    started_at: u64,
    source: ProcSource,
    state: Mutex<State>,
    idle: Notify,
    /// Set when the drain grace ends: running tasks stop with STOPPED.
    abort: watch::Sender<bool>,
}

pub struct Collector {
    inner: Arc<Inner>,
    advertiser: Arc<tokio::sync::Mutex<Advertiser>>,
    direct: Server,
    queues: Vec<Server>,
    heartbeat: Server,
}

impl Collector {
    /// Subscribes, then advertises: once this returns, the collector takes tasks.
    pub async fn start(opts: Options, client: Client) -> Result<Collector, Error> {
        let subjects = Subjects::new(&opts.prefix)?;
        let inner = Arc::new(Inner {
            client: client.clone(),
            started_at: now_ms(),
            source: ProcSource::default(),
            state: Mutex::new(State {
                accepting: true,
                health: Health::Healthy,
                running: 0,
                queue: Default::default(),
                stats: Stats::default(),
            }),
            idle: Notify::new(),
            abort: watch::channel(false).0,
            opts,
        });
        let direct = serve(inner.clone(), client.subscribe(subjects.collector_task(&inner.opts.id)?).await?);
        let mut queues = Vec::new();
        if inner.opts.plain_path {
            for d in served_domains(inner.opts.capabilities) {
                let sub = client.queue_subscribe(subjects.task_wildcard(d), subjects.queue_group(d)).await?;
                queues.push(serve(inner.clone(), sub));
            }
        }
        client.flush().await?;
        let mut adv =
            Advertiser::open(&client, &subjects, &inner.opts.id, inner.opts.ttl, inner.opts.heartbeat)
                .await?;
        adv.put(inner.advert()).await?;
        let advertiser = Arc::new(tokio::sync::Mutex::new(adv));
        let heartbeat = heartbeats(inner.clone(), advertiser.clone());
        Ok(Collector { inner, advertiser, direct, queues, heartbeat })
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

    fn stopped(&self) -> String {
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

    /// Runs `job`, then the queued jobs while there is one; `running` was counted by the caller.
    async fn run(self: Arc<Self>, first: Job) {
        let mut job = first;
        loop {
            self.run_one(&job).await;
            let next = {
                let mut s = self.state.lock().unwrap();
                let next = s.pop();
                if next.is_none() {
                    s.running -= 1;
                }
                next
            };
            match next {
                Some(j) => job = j,
                None => break,
            }
        }
        if self.state.lock().unwrap().in_flight() == 0 {
            self.idle.notify_waiters();
        }
    }

    async fn run_one(&self, job: &Job) {
        let now = now_ms();
        let task = &job.task;
        if task.deadline <= now {
            self.state.lock().unwrap().stats.expired += 1;
            let m = format!("task {} deadline passed before it ran", task.task_id);
            return self.send_error(job, 0, ErrorCode::Timeout, &m).await;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_millis(task.deadline - now);
        let mut abort = self.abort.subscribe();
        let mut seq = 0;
        let outcome = tokio::select! {
            r = self.perform(job, &mut seq) => r,
            _ = tokio::time::sleep_until(deadline) => {
                Err(ErrorBody::new(ErrorCode::Timeout, &format!("task {} deadline passed", task.task_id)))
            }
            _ = abort.wait_for(|a| *a) => Err(ErrorBody::new(ErrorCode::Stopped, &self.stopped())),
        };
        match outcome {
            Ok(()) => self.state.lock().unwrap().stats.completed += 1,
            Err(e) => {
                self.state.lock().unwrap().stats.failed += 1;
                self.send_error(job, seq, e.code, &e.message).await;
            }
        }
    }

    /// The PERFORMANCE handler: samples /proc, streaming when asked to.
    async fn perform(&self, job: &Job, seq: &mut u64) -> Result<(), ErrorBody> {
        let req = PerfRequest::parse(job.task.payload.as_ref())?;
        tokio::time::sleep(req.delay).await;
        for i in 0..req.samples {
            if i > 0 {
                tokio::time::sleep(req.interval).await;
            }
            let sample = self.source.sample(i)?;
            let last = i + 1 == req.samples;
            self.send(job, self.result(job, *seq, last, ResultStatus::Ok, Some(sample), None)).await;
            *seq += 1;
        }
        Ok(())
    }

    fn result(
        &self,
        job: &Job,
        seq: u64,
        last: bool,
        status: ResultStatus,
        payload: Option<Value>,
        error: Option<ErrorBody>,
    ) -> TaskResult {
        let mut r = build_result(&job.task, &self.opts.id, seq, last, job.received.elapsed());
        r.status = status;
        r.payload = payload;
        r.error = error;
        r
    }

    async fn send_error(&self, job: &Job, seq: u64, code: ErrorCode, message: &str) {
        let r = self.result(job, seq, true, ResultStatus::Error, None, Some(ErrorBody::new(code, message)));
        self.send(job, r).await;
    }

    async fn send(&self, job: &Job, r: TaskResult) {
        let Some(reply) = job.reply.clone() else { return };
        let data = encode(&r);
        let sent = match &self.opts.signer {
            // Signed over the bytes exactly as sent (header Mesh-Signature).
            Some(signer) => {
                let mut h = HeaderMap::new();
                h.insert(HEADER_SIGNATURE, signer.sign(&data).as_str());
                self.client.publish_with_headers(reply, h, data.into()).await
            }
            None => self.client.publish(reply, data.into()).await,
        };
        match sent {
            Ok(()) => self.state.lock().unwrap().stats.results_sent += 1,
            Err(e) => log(format!("result of {} not sent: {e}", r.task_id)),
        }
    }

    /// An error reply to a message that is no task: code and message in headers and body.
    async fn reply_error(&self, reply: Subject, code: ErrorCode, message: &str) {
        let mut h = HeaderMap::new();
        h.insert(HEADER_ERROR_CODE, code.as_str());
        let short: String =
            message.chars().take(512).map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
        h.insert(HEADER_ERROR, short.as_str());
        let body = ErrorReply { error: ErrorBody::new(code, message) };
        if let Err(e) = self.client.publish_with_headers(reply, h, encode(&body).into()).await {
            log(format!("error reply not sent: {e}"));
        }
    }
}
