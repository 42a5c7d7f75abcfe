import {
  MAX_RESULTS_PER_REPLY,
  MAX_TASK_TIMEOUT_MS,
  SERVICE_NAME,
  Subjects,
  type Domain,
} from "../../../subjects/index.js";
import { HUNT_GRANTS, readThrough } from "./permissions-hunts.js";

/**
 * The permission table of a secured mesh: what each role may publish and subscribe to, as NATS
 * user permissions. It is the one place these rules live: `collector-mesh auth` writes the
 * server configuration from it, `auth ls --permissions` prints it, SECURITY.md describes it and
 * test/security/ proves every row against a real server.
 *
 * A role is a list of grants; a grant is a named set of subjects, built from the mesh's prefix
 * and the identity (its name, its domains, its inbox prefix). Everything not granted is denied.
 * Adding a right is adding a grant to GRANTS and its name to a role, e.g. JetStream streams for
 * durable coordination (`coordinationStreams` on coordinators), or results a publisher may read
 * only for its own submissions (a grant on `<p>.results.<publisher name>.>`).
 *
 * The JetStream API subjects are the ones nats.js 3 sends for the advert bucket, found by running
 * the real Collector, Coordinator and `collector-mesh status` and reading the server's
 * permission violations.
 */

export const ROLES = ["collector", "coordinator", "publisher", "operator"] as const;
export type Role = (typeof ROLES)[number];

/** What a grant is built from. */
export interface GrantContext {
  s: Subjects;
  /** The identity's name: a collector's or coordinator's id, a publisher's or operator's name. */
  name: string;
  /** Prefix of its private inboxes (nats.js `inboxPrefix`); it may read `<inbox>.>`. */
  inbox: string;
  /** Collectors: the domains they serve. Publishers: the plain-path domains they may publish to. */
  domains: readonly Domain[];
}

export interface Grant {
  /** What it is for, in a few words (printed by `auth ls --permissions`). */
  readonly why: string;
  readonly publish?: (c: GrantContext) => string[];
  /** Entries are `subject` or `subject queue-group` (a queue subscription only). */
  readonly subscribe?: (c: GrantContext) => string[];
}

const stream = (c: GrantContext) => `KV_${c.s.bucket()}`;
const kv = (c: GrantContext, key: string) => `$KV.${c.s.bucket()}.${key}`;
const js = "$JS.API";

export const GRANTS = {
  ownInbox: {
    why: "its own inbox: replies to its requests, JetStream API answers, KV watch deliveries",
    subscribe: (c) => [`${c.inbox}.>`],
  },
  jetStreamInfo: {
    why: "JetStream account info (nats.js asks before using JetStream)",
    publish: () => [`${js}.INFO`],
  },
  advertBucketInfo: {
    why: "bind the advert bucket",
    publish: (c) => [`${js}.STREAM.INFO.${stream(c)}`],
  },
  advertBucketCreate: {
    why: "create the advert bucket when it does not exist",
    publish: (c) => [`${js}.STREAM.CREATE.${stream(c)}`],
  },
  ownAdvert: {
    why: "put, read back and delete its own advert only",
    publish: (c) => [kv(c, c.name), `${js}.DIRECT.GET.${stream(c)}.${kv(c, c.name)}`],
  },
  advertBucketWatch: {
    why: "watch every advert through ordered consumers on the bucket (pushed, or pulled in batches for a large fleet, then deleted); write none",
    publish: (c) => [
      `${js}.CONSUMER.CREATE.${stream(c)}.>`,
      `${js}.CONSUMER.INFO.${stream(c)}.*`,
      `${js}.CONSUMER.MSG.NEXT.${stream(c)}.*`,
      `${js}.CONSUMER.DELETE.${stream(c)}.*`,
      // Flow-control answers of push consumers, sent when the server asks for them.
      `$JS.FC.${stream(c)}.>`,
    ],
  },
  advertBucketGet: {
    why: "read any one advert (nats kv get, collector-mesh status)",
    publish: (c) => [
      `${js}.STREAM.MSG.GET.${stream(c)}`,
      `${js}.DIRECT.GET.${stream(c)}`,
      `${js}.DIRECT.GET.${stream(c)}.>`,
    ],
  },
  advertRead: {
    why: "read one collector's advert by its id, for the key its results are signed with; no bind, no watch, no write",
    publish: (c) => [`${js}.DIRECT.GET.${stream(c)}.${kv(c, "*")}`],
  },
  directTasks: {
    why: "take tasks sent to it alone and their cancels; probe its own direct subject at start (a live twin refuses it)",
    publish: (c) => [c.s.collectorTask(c.name)],
    subscribe: (c) => [c.s.collectorTask(c.name), c.s.collectorCancel(c.name)],
  },
  domainTasks: {
    why: "take plain-path tasks of its domains, in the domain's queue group only",
    subscribe: (c) => c.domains.map((d) => `${c.s.taskWildcard(d)} ${c.s.queueGroup(d)}`),
  },
  plainPathTasks: {
    why: "publish plain-path tasks to these domains (collectors answer its inbox)",
    publish: (c) => c.domains.map((d) => c.s.taskWildcard(d)),
  },
  apiSubmit: {
    why: "submit tasks through a coordinator",
    publish: (c) => [c.s.api("submit")],
  },
  apiStatus: {
    why: "ask a coordinator for its collectors' status",
    publish: (c) => [c.s.api("status")],
  },
  apiStats: {
    why: "ask a coordinator for its statistics",
    publish: (c) => [c.s.api("stats")],
  },
  microDiscovery: {
    why: "find coordinators with NATS micro ($SRV.PING/INFO/STATS)",
    publish: () => ["$SRV.>"],
  },
  readEvents: {
    why: "watch collector and failover events",
    subscribe: (c) => [c.s.events()],
  },
  dispatch: {
    why: "send, probe and cancel tasks on any collector's direct subjects; hear submission cancels",
    publish: (c) => [`${c.s.prefix}.collector.*.task`, `${c.s.prefix}.collector.*.cancel`],
    subscribe: (c) => [c.s.cancels()],
  },
  resultInbox: {
    why: "receive results for its own tasks only",
    subscribe: (c) => [c.s.resultInbox(c.name)],
  },
  serveApi: {
    why: "serve the api in the coordinators' queue group, and micro discovery",
    subscribe: (c) => [
      `${c.s.prefix}.api.* ${SERVICE_NAME}`,
      "$SRV.PING",
      "$SRV.INFO",
      "$SRV.STATS",
      `$SRV.*.${SERVICE_NAME}`,
      `$SRV.*.${SERVICE_NAME}.*`,
    ],
  },
  publishEvents: {
    why: "publish collector and failover events",
    publish: (c) => [c.s.events()],
  },
  coordinationStreams: {
    why: "own durable submissions: bind the streams and their consumers, take, renew and ack submissions, store results and verdicts",
    publish: (c) => {
      const sub = c.s.submissionsStream();
      const res = c.s.resultsStream();
      return [
        ...[sub, res].flatMap((st) => [`${js}.STREAM.INFO.${st}`, `${js}.STREAM.CREATE.${st}`]),
        `${js}.CONSUMER.CREATE.${sub}.>`,
        `${js}.CONSUMER.DURABLE.CREATE.${sub}.*`,
        `${js}.CONSUMER.INFO.${sub}.*`,
        `${js}.CONSUMER.MSG.NEXT.${sub}.*`,
        `$JS.ACK.${sub}.>`,
        `${c.s.prefix}.results.>`,
        ...readThrough(c.s.resultsStream(), `${c.s.prefix}.results.>`),
      ];
    },
  },
  leaderLease: {
    why: "take and renew the mesh's leader lease (who publishes events) in the coordinators bucket",
    publish: (c) => {
      const st = `KV_${c.s.coordinatorsBucket()}`;
      const key = `$KV.${c.s.coordinatorsBucket()}.leader`;
      return [
        `${js}.STREAM.INFO.${st}`,
        `${js}.STREAM.CREATE.${st}`,
        key,
        `${js}.STREAM.MSG.GET.${st}`,
        `${js}.DIRECT.GET.${st}`,
        `${js}.DIRECT.GET.${st}.${key}`,
      ];
    },
  },
  durableSubmit: {
    why: "submit durably as itself, cancel its own submissions, and read only its own results (live and stored)",
    publish: (c) => [
      `${c.s.prefix}.submit.*.${c.name}`,
      `${c.s.prefix}.cancel.${c.name}.*`,
      `${js}.STREAM.INFO.${c.s.submissionsStream()}`,
      ...readThrough(c.s.resultsStream(), c.s.resultsOf(c.name)),
    ],
    subscribe: (c) => [c.s.resultsOf(c.name)],
  },
  ...HUNT_GRANTS,
} as const satisfies Record<string, Grant>;

export type GrantName = keyof typeof GRANTS;

/** `allow_responses`: replies only to what it received, at most `max` each, within `expiresMs`. */
export interface ResponsePermission {
  max: number;
  expiresMs: number;
}

export interface RoleSpec {
  readonly summary: string;
  readonly grants: readonly GrantName[];
  readonly responses?: ResponsePermission;
}

/** Slack on a task's own deadline for its last results to reach the reply subject. */
const REPLY_SLACK_MS = 60_000;

/** The table: role → grants. */
export const ROLE_TABLE: Record<Role, RoleSpec> = {
  collector: {
    summary:
      "takes its own tasks and its domains' plain-path tasks, answers them, keeps its advert",
    grants: [
      "ownInbox",
      "jetStreamInfo",
      "advertBucketInfo",
      "ownAdvert",
      "directTasks",
      "domainTasks",
    ],
    // A task streams at most MAX_RESULTS_PER_REPLY results, within its deadline (SubmitRequest
    // timeoutMs is at most MAX_TASK_TIMEOUT_MS).
    responses: { max: MAX_RESULTS_PER_REPLY, expiresMs: MAX_TASK_TIMEOUT_MS + REPLY_SLACK_MS },
  },
  coordinator: {
    summary: "dispatches tasks, reads its result inbox, watches adverts, serves the api",
    grants: [
      "ownInbox",
      "jetStreamInfo",
      "advertBucketInfo",
      "advertBucketCreate",
      "advertBucketWatch",
      "dispatch",
      "resultInbox",
      "serveApi",
      "publishEvents",
      "coordinationStreams",
      "leaderLease",
      "durableSubmit",
      "runHunts",
    ],
    // One reply per api request, sent when the submission completes or times out.
    responses: { max: 1, expiresMs: MAX_TASK_TIMEOUT_MS + REPLY_SLACK_MS },
  },
  publisher: {
    summary: "submits tasks (through the api, or durably as itself) and reads its own results only",
    grants: ["ownInbox", "apiSubmit", "jetStreamInfo", "durableSubmit", "advertRead", "ownHunts"],
  },
  operator: {
    summary: "a publisher that may also read status, stats, events and adverts",
    grants: [
      "ownInbox",
      "apiSubmit",
      "durableSubmit",
      "apiStatus",
      "apiStats",
      "microDiscovery",
      "readEvents",
      "jetStreamInfo",
      "advertBucketInfo",
      "advertBucketWatch",
      "advertBucketGet",
      "ownHunts",
    ],
  },
};

/** Extra grants an identity may carry beyond its role's (e.g. a plain-path publisher). */
export const OPTIONAL_GRANTS: Partial<Record<Role, readonly GrantName[]>> = {
  publisher: ["plainPathTasks"],
  operator: ["plainPathTasks"],
};

/** The inbox prefix of an identity: `_INBOX_<role>_<name>` (see SECURITY.md). */
export function inboxPrefixFor(role: Role, name: string): string {
  return `_INBOX_${role}_${name}`;
}

/** nats-server user permissions. */
export interface UserPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  allow_responses?: { max: number; expires: string };
}

export interface IdentityPermissionsInput {
  role: Role;
  name: string;
  prefix: string;
  domains?: readonly Domain[];
  extraGrants?: readonly GrantName[];
  /** Replaces the role's reply limits (`auth init --max-replies/--reply-window`, collectors). */
  responses?: ResponsePermission;
}

/** The grants an identity holds: its role's, then its extras. */
export function grantsOf(i: Pick<IdentityPermissionsInput, "role" | "extraGrants">): GrantName[] {
  return [...new Set([...ROLE_TABLE[i.role].grants, ...(i.extraGrants ?? [])])];
}

/** The NATS permissions of one identity, from the table. */
export function permissionsFor(i: IdentityPermissionsInput): UserPermissions {
  const c: GrantContext = {
    s: new Subjects(i.prefix),
    name: i.name,
    inbox: inboxPrefixFor(i.role, i.name),
    domains: i.domains ?? [],
  };
  const publish: string[] = [];
  const subscribe: string[] = [];
  for (const g of grantsOf(i)) {
    const grant: Grant = GRANTS[g];
    publish.push(...(grant.publish?.(c) ?? []));
    subscribe.push(...(grant.subscribe?.(c) ?? []));
  }
  // nats-server reads an empty allow list as "no restriction": never write one.
  if (publish.length === 0 || subscribe.length === 0) {
    throw new Error(`role ${i.role} would have an empty allow list`);
  }
  const out: UserPermissions = {
    publish: { allow: [...new Set(publish)] },
    subscribe: { allow: [...new Set(subscribe)] },
  };
  const table = ROLE_TABLE[i.role].responses;
  const r = table && i.responses ? i.responses : table;
  if (r) out.allow_responses = { max: r.max, expires: `${r.expiresMs}ms` };
  return out;
}
