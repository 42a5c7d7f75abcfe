//! How the collector answers: Results (signed when it signs) and error replies to messages that
//! are no task.

use async_nats::{HeaderMap, Subject};
use rmpv::Value;

use crate::collector::{Inner, Job};
use crate::contract::*;
use crate::limits::{HEADER_ERROR, HEADER_ERROR_CODE, HEADER_SIGNATURE};
use crate::outgoing::{build_result, log};

impl Inner {
    pub(crate) fn result(
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

    pub(crate) async fn send_error(&self, job: &Job, seq: u64, code: ErrorCode, message: &str) {
        let r = self.result(job, seq, true, ResultStatus::Error, None, Some(ErrorBody::new(code, message)));
        self.send(job, r).await;
    }

    pub(crate) async fn send(&self, job: &Job, r: TaskResult) {
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
    pub(crate) async fn reply_error(&self, reply: Subject, code: ErrorCode, message: &str) {
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
