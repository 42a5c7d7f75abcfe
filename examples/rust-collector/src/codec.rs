//! Reading and writing the contract's messages: the `Message` trait every struct of
//! `contract` implements, bytes to message and back, and the list of every message.

use rmpv::Value;
use serde::Serialize;

use crate::check::Checked;
use crate::contract::*;
use crate::limits::MAX_MESSAGE_BYTES;

/// A message of the contract.
pub trait Message: Sized + Serialize {
    /// The name in `MessageSchemas` and in the vectors' manifest.
    const NAME: &'static str;
    /// Reads the message from a decoded value; `path` is "" at the root.
    fn read(v: &Value, path: &str) -> Checked<Self>;
}

/// Bytes to a valid message: size, MessagePack, then the schema.
pub fn decode<M: Message>(bytes: &[u8]) -> Checked<M> {
    decode_limited(bytes, MAX_MESSAGE_BYTES)
}

/// `decode` with a smaller size limit (a collector's task limit).
pub fn decode_limited<M: Message>(bytes: &[u8], max_bytes: usize) -> Checked<M> {
    M::read(&crate::msgpack::decode_value(bytes, max_bytes)?, "")
}

/// A message to MessagePack (maps with field names; absent optionals are left out).
pub fn encode<M: Message>(m: &M) -> Vec<u8> {
    rmp_serde::to_vec_named(m).expect("contract messages always serialize")
}

/// A closed set of strings on the wire.
#[macro_export]
macro_rules! wire_enum {
    ($name:ident, $names:expr, { $($variant:ident = $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            fn read(v: &rmpv::Value, path: &str) -> $crate::check::Checked<Self> {
                let s = $crate::check::one_of(v, path, &$names)?;
                Ok(match s { $($text => Self::$variant,)+ _ => unreachable!("checked by one_of") })
            }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

/// Decodes bytes as one message; gives its JSON form and its re-encoding.
pub type Roundtrip = fn(&[u8]) -> Checked<(serde_json::Value, Vec<u8>)>;

/// Calls `f` with the decoder of every message, by name: what the vector tests and the
/// `samples` command iterate over.
pub fn for_each_message(mut f: impl FnMut(&'static str, Roundtrip)) {
    fn roundtrip<M: Message>(bytes: &[u8]) -> Checked<(serde_json::Value, Vec<u8>)> {
        let m: M = decode(bytes)?;
        let json = serde_json::to_value(&m).expect("contract messages always serialize");
        Ok((json, encode(&m)))
    }
    f(CollectorAdvert::NAME, roundtrip::<CollectorAdvert>);
    f(Task::NAME, roundtrip::<Task>);
    f(TaskResult::NAME, roundtrip::<TaskResult>);
    f(ErrorReply::NAME, roundtrip::<ErrorReply>);
    f(SubmitRequest::NAME, roundtrip::<SubmitRequest>);
    f(AggregatedResult::NAME, roundtrip::<AggregatedResult>);
    f(DurableSubmission::NAME, roundtrip::<DurableSubmission>);
    f(SubmissionPlan::NAME, roundtrip::<SubmissionPlan>);
    f(CancelTask::NAME, roundtrip::<CancelTask>);
    f(CancelRequest::NAME, roundtrip::<CancelRequest>);
    f(CancelReply::NAME, roundtrip::<CancelReply>);
    f(StatusRequest::NAME, roundtrip::<StatusRequest>);
    f(StatusReply::NAME, roundtrip::<StatusReply>);
    f(StatsRequest::NAME, roundtrip::<StatsRequest>);
    f(StatsReply::NAME, roundtrip::<StatsReply>);
    f(CollectorEvent::NAME, roundtrip::<CollectorEvent>);
    f(FailoverEvent::NAME, roundtrip::<FailoverEvent>);
    f(HuntRecord::NAME, roundtrip::<HuntRecord>);
    f(HuntClaim::NAME, roundtrip::<HuntClaim>);
    f(HuntPartResult::NAME, roundtrip::<HuntPartResult>);
}
