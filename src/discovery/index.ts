/**
 * Discovery on NATS: the collector's side (Advertiser, one AdvertHub per connection) puts adverts
 * in the KV bucket; the coordinator's side (RouterWatcher) watches it into a CapabilityRouter.
 * The bucket itself (bucket.ts) is made and upgraded here.
 */
export { RouterWatcher } from "./kv-watcher.js";
export { Advertiser } from "./advertiser.js";
export { openAdvertBucket, bindAdvertBucket, listAdverts, supportsLimitMarkers } from "./bucket.js";
export type { AdvertBucketOptions } from "./bucket.js";
