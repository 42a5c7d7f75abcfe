//! The collector's advert in the JetStream KV bucket `<p>_collectors` (key = collector id, value
//! = MessagePack CollectorAdvert), as the TypeScript Advertiser keeps it: bound when the bucket
//! exists (a coordinator or another collector made it), created with the same settings when it
//! does not (history 1, file storage, max age = the advert TTL, limit markers from 2.11 on).
//! heartbeatSeq continues from the advert already under the key.

use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};

use crate::contract::{decode, encode, CollectorAdvert};
use crate::subjects::Subjects;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

pub struct Advertiser {
    kv: kv::Store,
    key: String,
    seq: u64,
}

/// True for nats-server 2.11 and later, whose KV buckets tell watchers when a key expires.
pub fn has_limit_markers(version: &str) -> bool {
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u64>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 11)
}

/// The stream behind the bucket, as the TypeScript side creates it (`@nats-io/kv` defaults).
fn bucket_config(bucket: &str, ttl: Duration, markers: bool) -> stream::Config {
    let mut c = stream::Config {
        name: format!("KV_{bucket}"),
        subjects: vec![format!("$KV.{bucket}.>")],
        retention: stream::RetentionPolicy::Limits,
        max_messages_per_subject: 1,
        max_message_size: -1,
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::New,
        allow_direct: true,
        num_replicas: 1,
        max_age: ttl,
        allow_rollup: true,
        ..Default::default()
    };
    if markers {
        c.allow_message_ttl = true;
        c.subject_delete_marker_ttl = Some(ttl.max(Duration::from_secs(1)));
    }
    c
}

impl Advertiser {
    /// Binds or creates the bucket and reads the last heartbeatSeq under `id`.
    pub async fn open(
        client: &async_nats::Client,
        subjects: &Subjects,
        id: &str,
        ttl: Duration,
        heartbeat: Duration,
    ) -> Result<Advertiser, Error> {
        let mut js = jetstream::new(client.clone());
        let bucket = subjects.bucket();
        let kv = match js.get_key_value(&bucket).await {
            Ok(kv) => kv,
            Err(_) => {
                let markers = has_limit_markers(&client.server_info().version);
                if let Err(create) = js.create_stream(bucket_config(&bucket, ttl, markers)).await {
                    // Someone may have created it meanwhile, with settings of their own.
                    js.get_key_value(&bucket).await.map_err(|e| format!("bucket {bucket}: {create}; {e}"))?
                } else {
                    js.get_key_value(&bucket).await?
                }
            }
        };
        let mut seq = 0;
        if let Some(entry) = kv.entry(id).await? {
            if entry.operation == kv::Operation::Put {
                if let Ok(old) = decode::<CollectorAdvert>(&entry.value) {
                    seq = old.heartbeat_seq;
                }
            }
        }
        // Heartbeats get their own short timeout: a put lost in a reconnect must not hold up
        // the beats after it (the TypeScript Advertiser's rule).
        js.set_timeout(heartbeat.max(Duration::from_millis(250)).min(ttl / 2));
        let kv = js.get_key_value(&bucket).await?;
        Ok(Advertiser { kv, key: id.to_string(), seq })
    }

    /// Puts `advert`, stamped with the next heartbeatSeq.
    pub async fn put(&mut self, mut advert: CollectorAdvert) -> Result<(), Error> {
        advert.heartbeat_seq = self.seq + 1;
        self.kv.put(&self.key, encode(&advert).into()).await?;
        self.seq = advert.heartbeat_seq;
        Ok(())
    }

    /// Deletes the advert, so routers drop the collector at once.
    pub async fn delete(&self) -> Result<(), Error> {
        self.kv.delete(&self.key).await?;
        Ok(())
    }

    pub fn heartbeat_seq(&self) -> u64 {
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_markers_from_2_11() {
        assert!(!has_limit_markers("2.9.10"));
        assert!(!has_limit_markers("2.10.24"));
        assert!(has_limit_markers("2.11.0"));
        assert!(has_limit_markers("2.15.2"));
        assert!(has_limit_markers("3.0.0-beta"));
        assert!(!has_limit_markers(""));
    }
}
