/**
 * Reference collectors that do real work on Linux: procmond (processes), netmond (sockets) and
 * fsmond (files). Each is a definition the Collector SDK runs: capabilities, zod schemas of its
 * payload and result, and `createHandler(opts)`.
 */
import { fsmond } from "./fsmond.js";
import { netmond } from "./netmond.js";
import { procmond } from "./procmond.js";
import type { CollectorType, ReferenceCollector } from "./types.js";

export { procmond, ProcmondPayload, ProcmondResult, ProcessInfo } from "./procmond.js";
export type { ProcmondPayloadInput } from "./procmond.js";
export { DEFAULT_PROCESS_LIMIT, MAX_PROCESS_LIMIT } from "./procmond.js";
export { netmond, NetmondPayload, NetmondResult, SocketInfo } from "./netmond.js";
export type { NetmondPayloadInput } from "./netmond.js";
export { DEFAULT_SOCKET_LIMIT, MAX_SOCKET_LIMIT } from "./netmond.js";
export { fsmond, FsmondPayload, FsmondResult, PathInfo, DirEntryInfo, FileType } from "./fsmond.js";
export type { FsmondPayloadInput } from "./fsmond.js";
export { DEFAULT_MAX_ENTRIES, DEFAULT_LIST_DEPTH } from "./fsmond.js";
export { PathNotAllowedError, UnsupportedPlatformError } from "./errors.js";
export { checkRoots } from "./fs-roots.js";
export type { RootProblem } from "./fs-roots.js";
export {
  DEFAULT_PROC_ROOT,
  DEFAULT_MAX_HASH_BYTES,
  DEFAULT_MAX_RESULT_BYTES,
  defaultFsRoots,
  defaultCollectorOptions,
  parseCollectorOptions,
} from "./options.js";
export type { ParsedCollectorOptions } from "./options.js";
export { CollectorType, COLLECTOR_TYPES } from "./types.js";
export type {
  CollectorContext,
  CollectorHandler,
  CollectorLogger,
  ReferenceCollector,
  ReferenceCollectorOptions,
} from "./types.js";
export { NET_PROTOCOLS, SOCKET_STATES } from "./net-parse.js";
export type { NetProtocol, SocketState, IpFamily } from "./net-parse.js";

/** Every reference collector by type (the CLI's `collector --type`). */
export const referenceCollectors: Readonly<Record<CollectorType, ReferenceCollector>> = {
  procmond,
  netmond,
  fsmond,
};
