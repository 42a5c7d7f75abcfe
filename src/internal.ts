/**
 * collector-mesh/internal: the adapters between the pure cores and NATS, the codec's raw helpers
 * and the nats-server launcher that the tests, the benchmark and the demo use. Not the stable
 * surface: names here may change between minor versions.
 */
export { encodeRaw, decodeRaw } from "./codec.js";
export { QueuedIterator } from "./structures/iterator.js";
export { Advertiser, RouterWatcher, openAdvertBucket, bindAdvertBucket } from "./router/index.js";
export { TaskPublisher } from "./distributor/index.js";
export { ResultInbox } from "./aggregator/index.js";
export { CoordinatorService } from "./coordinator/index.js";
export {
  NatsServer,
  NatsServerNotFoundError,
  findNatsServer,
  natsServerBinary,
  natsServerVersion,
  type NatsServerOptions,
} from "./server/nats-server.js";
