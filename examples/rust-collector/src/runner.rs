//! Running a task: the PERFORMANCE handler under the task's deadline, a drain's abort and a
//! cancel (`control.rs`), then the queued tasks while there are any.

use std::sync::Arc;
use std::time::Duration;

use crate::collector::{Inner, Job};
use crate::contract::*;
use crate::outgoing::now_ms;
use crate::perf::PerfRequest;

impl Inner {
    /// Runs `job`, then the queued jobs while there is one; `running` was counted by the caller.
    pub(crate) async fn run(self: Arc<Self>, first: Job) {
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
        let (run, mut cancelled) =
            self.state.lock().unwrap().runs.add(&task.task_id, task.attempt, job.reply.clone());
        let mut seq = 0;
        let outcome = tokio::select! {
            r = self.perform(job, &mut seq) => r,
            _ = tokio::time::sleep_until(deadline) => {
                Err(ErrorBody::new(ErrorCode::Timeout, &format!("task {} deadline passed", task.task_id)))
            }
            _ = abort.wait_for(|a| *a) => Err(ErrorBody::new(ErrorCode::Stopped, &self.stopped())),
            m = cancelled.wait_for(Option::is_some) => {
                let message = m.map(|m| m.clone().unwrap_or_default()).unwrap_or_default();
                Err(ErrorBody::new(ErrorCode::Cancelled, &message))
            }
        };
        self.state.lock().unwrap().runs.remove(run);
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
}
