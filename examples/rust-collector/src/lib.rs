//! A collector-mesh collector written from the contract alone (`subjects/asyncapi.yaml`):
//! the messages and their checks (`contract`, `check`, `msgpack`, `limits`), the subjects
//! (`subjects`), the advert in the KV bucket (`advert`), the task service (`collector`) and a
//! PERFORMANCE handler that reads /proc (`perf`).

pub mod advert;
pub mod check;
pub mod codec;
pub mod collector;
pub mod contract;
mod control;
pub mod labels;
pub mod limits;
mod loops;
pub mod msgpack;
pub mod options;
pub mod outgoing;
pub mod perf;
mod replies;
mod runner;
pub mod samples;
pub mod selector;
pub mod signing;
pub mod subjects;
