import { InvalidSubjectTokenError } from "./errors.js";
import type { Domain, PriorityName } from "./caps.js";
import { DOMAINS, PRIORITY_NAMES } from "./caps.js";
import { HUNT_ID_RE, kvToken } from "./hunts.js";

/** Default subject prefix. */
export const DEFAULT_PREFIX = "daemoneye";
/** Name of the micro service coordinators register as; also their api queue group. */
export const SERVICE_NAME = "collector-mesh";
/** Verbs served on `<p>.api.<verb>`. */
export const API_VERBS = ["submit", "status", "stats"] as const;
export type ApiVerb = (typeof API_VERBS)[number];

const MAX_TOKEN = 256;
const BAD_TOKEN = /[\s.*>]/;
const PREFIX_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** True when `s` can stand as one subject token. */
export function isToken(s: string): boolean {
  return s.length > 0 && s.length <= MAX_TOKEN && !BAD_TOKEN.test(s);
}

/** Throws InvalidSubjectTokenError unless `s` is one valid token. */
export function checkToken(what: string, s: string): string {
  if (!isToken(s)) throw new InvalidSubjectTokenError(what, s);
  return s;
}

/** A prefix is one token of `[A-Za-z0-9_-]`, since it also names the KV bucket. */
export function checkPrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) throw new InvalidSubjectTokenError("prefix", prefix);
  return prefix;
}

export type ParsedSubject =
  | { kind: "task"; domain: Domain; priority: PriorityName }
  | { kind: "collectorTask"; collectorId: string }
  | { kind: "collectorCancel"; collectorId: string }
  | { kind: "cancel"; owner: string; correlationId: string }
  | { kind: "result"; coordinatorId: string; taskId: string; attempt: number | undefined }
  | { kind: "api"; verb: ApiVerb }
  | { kind: "submit"; priority: PriorityName; owner: string }
  | { kind: "results"; owner: string; correlationId: string }
  | { kind: "huntResult"; owner: string; huntId: string; collectorId: string }
  | { kind: "collectorEvent"; collectorId: string }
  | { kind: "failoverEvent" };

/**
 * Subject builders and parsers for one prefix. Builders validate their tokens; the hot builders
 * (`collectorTask`) memoize so a subject string is built once per collector.
 */
export class Subjects {
  readonly prefix: string;
  readonly #collectorTask = new Map<string, string>();

  constructor(prefix: string = DEFAULT_PREFIX) {
    this.prefix = checkPrefix(prefix);
  }

  /** `<p>.task.<domain>.<priority>`: the plain path. */
  task(domain: Domain, priority: PriorityName): string {
    if (!DOMAINS.includes(domain)) throw new InvalidSubjectTokenError("domain", String(domain));
    if (!PRIORITY_NAMES.includes(priority)) {
      throw new InvalidSubjectTokenError("priority", String(priority));
    }
    return `${this.prefix}.task.${domain}.${priority}`;
  }

  /** `<p>.task.<domain>.*`: what a collector of the domain subscribes to. */
  taskWildcard(domain: Domain): string {
    if (!DOMAINS.includes(domain)) throw new InvalidSubjectTokenError("domain", String(domain));
    return `${this.prefix}.task.${domain}.*`;
  }

  /** Queue group of a domain's collectors on the plain path: `<p>.<domain>`. */
  queueGroup(domain: Domain): string {
    if (!DOMAINS.includes(domain)) throw new InvalidSubjectTokenError("domain", String(domain));
    return `${this.prefix}.${domain}`;
  }

  /** `<p>.collector.<id>.task`: an instance's direct subject. */
  collectorTask(collectorId: string): string {
    let s = this.#collectorTask.get(collectorId);
    if (s === undefined) {
      s = `${this.prefix}.collector.${checkToken("collector id", collectorId)}.task`;
      if (this.#collectorTask.size > 100_000) this.#collectorTask.clear();
      this.#collectorTask.set(collectorId, s);
    }
    return s;
  }

  /** `<p>.collector.<id>.cancel`: stop a task an instance runs or has queued. */
  collectorCancel(collectorId: string): string {
    return `${this.prefix}.collector.${checkToken("collector id", collectorId)}.cancel`;
  }

  /** `<p>.cancel.<owner>.<correlationId>`: cancel a running submission (every coordinator hears it). */
  cancel(owner: string, correlationId: string): string {
    return `${this.prefix}.cancel.${checkToken("owner", owner)}.${checkToken("correlation id", correlationId)}`;
  }

  /** `<p>.cancel.>`: what every coordinator listens to for cancels. */
  cancels(): string {
    return `${this.prefix}.cancel.>`;
  }

  /**
   * `<p>.result.<coordinatorId>.<taskId>[.<attempt>]`: reply subject of a coordinated task. The
   * attempt token lets a coordinator tell a no-responders status of an abandoned attempt from one
   * of the current attempt.
   */
  result(coordinatorId: string, taskId: string, attempt?: number): string {
    const base = `${this.resultPrefix(coordinatorId)}${checkToken("task id", taskId)}`;
    if (attempt === undefined) return base;
    if (!Number.isInteger(attempt) || attempt < 0) {
      throw new InvalidSubjectTokenError("attempt", String(attempt));
    }
    return `${base}.${attempt}`;
  }

  /** `<p>.result.<coordinatorId>.` : prefix of a coordinator's result subjects. */
  resultPrefix(coordinatorId: string): string {
    return `${this.prefix}.result.${checkToken("coordinator id", coordinatorId)}.`;
  }

  /** `<p>.result.<coordinatorId>.>`: a coordinator's one result-inbox subscription. */
  resultInbox(coordinatorId: string): string {
    return `${this.resultPrefix(coordinatorId)}>`;
  }

  /** `<p>.submit.<priority>.<owner>`: a durable submission, kept in the submissions stream. */
  submit(priority: PriorityName, owner: string): string {
    return `${this.submitFilter(priority).slice(0, -1)}${checkToken("owner", owner)}`;
  }

  /** `<p>.submit.<priority>.>`: what the consumer of one priority level takes. */
  submitFilter(priority: PriorityName): string {
    if (!PRIORITY_NAMES.includes(priority)) {
      throw new InvalidSubjectTokenError("priority", String(priority));
    }
    return `${this.prefix}.submit.${priority}.>`;
  }

  /** `<p>.results.<owner>.<correlationId>`: a durable submission's plan, results and verdict. */
  results(owner: string, correlationId: string): string {
    return `${this.prefix}.results.${checkToken("owner", owner)}.${checkToken("correlation id", correlationId)}`;
  }

  /** `<p>.results.<owner>.>`: every durable result one submitter may read. */
  resultsOf(owner: string): string {
    return `${this.prefix}.results.${checkToken("owner", owner)}.>`;
  }

  /** The stream of durable submissions: `<p>_submissions` (subjects `<p>.submit.>`). */
  submissionsStream(): string {
    return `${this.prefix}_submissions`;
  }

  /** The stream of durable results: `<p>_results` (subjects `<p>.results.>`). */
  resultsStream(): string {
    return `${this.prefix}_results`;
  }

  /** KV bucket of the leader lease: `<p>_coordinators` (key `leader`). */
  coordinatorsBucket(): string {
    return `${this.prefix}_coordinators`;
  }

  /** Every hunt part result: `<p>.hunt.>` (the hunt results stream's subjects). */
  huntResults(): string {
    return `${this.prefix}.hunt.>`;
  }

  /** KV bucket of hunt records: `<p>_hunts` (key `<owner>.<huntId>`). */
  huntsBucket(): string {
    return `${this.prefix}_hunts`;
  }

  /** KV bucket of hunt parts' claims: `<p>_hunt_claims` (key `<owner>.<huntId>.<collectorId>`). */
  huntClaimsBucket(): string {
    return `${this.prefix}_hunt_claims`;
  }

  /** The stream of hunt part results: `<p>_hunt_results` (subjects `<p>.hunt.>`). */
  huntResultsStream(): string {
    return `${this.prefix}_hunt_results`;
  }

  /** Key of a hunt record: `<owner>.<huntId>` (owner encoded by kvToken). */
  huntKey(owner: string, huntId: string): string {
    return `${kvToken(checkToken("owner", owner))}.${checkHuntId(huntId)}`;
  }

  /** Key of a hunt part's claim: `<owner>.<huntId>.<collectorId>`. */
  huntClaimKey(owner: string, huntId: string, collectorId: string): string {
    return `${this.huntKey(owner, huntId)}.${kvToken(checkToken("collector id", collectorId))}`;
  }

  /** `<p>.hunt.<owner>.<huntId>.<collectorId>`: one part's result in the hunt results stream. */
  huntResult(owner: string, huntId: string, collectorId: string): string {
    return `${this.prefix}.hunt.${checkToken("owner", owner)}.${checkHuntId(huntId)}.${checkToken("collector id", collectorId)}`;
  }

  /** `<p>.hunt.<owner>.<huntId>.*`, or `<p>.hunt.<owner>.>` for every hunt of an owner. */
  huntResultsOf(owner: string, huntId?: string): string {
    const base = `${this.prefix}.hunt.${checkToken("owner", owner)}`;
    return huntId === undefined ? `${base}.>` : `${base}.${checkHuntId(huntId)}.*`;
  }

  /** `<p>.api.<verb>`. */
  api(verb: ApiVerb): string {
    if (!API_VERBS.includes(verb)) throw new InvalidSubjectTokenError("api verb", String(verb));
    return `${this.prefix}.api.${verb}`;
  }

  /** `<p>.event.collector.<id>`. */
  collectorEvent(collectorId: string): string {
    return `${this.prefix}.event.collector.${checkToken("collector id", collectorId)}`;
  }

  /** `<p>.event.collector.*`: every collector event. */
  collectorEvents(): string {
    return `${this.prefix}.event.collector.*`;
  }

  /** `<p>.event.failover`. */
  failoverEvent(): string {
    return `${this.prefix}.event.failover`;
  }

  /** `<p>.event.>`: every event. */
  events(): string {
    return `${this.prefix}.event.>`;
  }

  /** KV bucket of collector adverts: `<p>_collectors`. */
  bucket(): string {
    return `${this.prefix}_collectors`;
  }

  /** Parses any subject of this prefix; undefined when it is not one of ours. */
  parse(subject: string): ParsedSubject | undefined {
    const t = subject.split(".");
    if (t[0] !== this.prefix) return undefined;
    switch (t[1]) {
      case "task": {
        const [, , domain, priority] = t;
        if (t.length !== 4 || !domain || !priority) return undefined;
        if (!DOMAINS.includes(domain as Domain)) return undefined;
        if (!PRIORITY_NAMES.includes(priority as PriorityName)) return undefined;
        return { kind: "task", domain: domain as Domain, priority: priority as PriorityName };
      }
      case "collector": {
        const id = t[2];
        if (t.length !== 4 || !id || !isToken(id)) return undefined;
        if (t[3] === "task") return { kind: "collectorTask", collectorId: id };
        if (t[3] === "cancel") return { kind: "collectorCancel", collectorId: id };
        return undefined;
      }
      case "cancel": {
        const [, , owner, correlationId] = t;
        if (t.length !== 4 || !owner || !correlationId) return undefined;
        if (!isToken(owner) || !isToken(correlationId)) return undefined;
        return { kind: "cancel", owner, correlationId };
      }
      case "result": {
        const [, , coordinatorId, taskId, attemptToken] = t;
        if ((t.length !== 4 && t.length !== 5) || !coordinatorId || !taskId) return undefined;
        if (!isToken(coordinatorId) || !isToken(taskId)) return undefined;
        let attempt: number | undefined;
        if (attemptToken !== undefined) {
          if (!/^\d{1,6}$/.test(attemptToken)) return undefined;
          attempt = Number(attemptToken);
        }
        return { kind: "result", coordinatorId, taskId, attempt };
      }
      case "submit": {
        const [, , priority, owner] = t;
        if (t.length !== 4 || !owner || !isToken(owner)) return undefined;
        if (!PRIORITY_NAMES.includes(priority as PriorityName)) return undefined;
        return { kind: "submit", priority: priority as PriorityName, owner };
      }
      case "results": {
        const [, , owner, correlationId] = t;
        if (t.length !== 4 || !owner || !correlationId) return undefined;
        if (!isToken(owner) || !isToken(correlationId)) return undefined;
        return { kind: "results", owner, correlationId };
      }
      case "hunt": {
        const [, , owner, huntId, collectorId] = t;
        if (t.length !== 5 || !owner || !huntId || !collectorId) return undefined;
        if (!isToken(owner) || !HUNT_ID_RE.test(huntId) || !isToken(collectorId)) return undefined;
        return { kind: "huntResult", owner, huntId, collectorId };
      }
      case "api": {
        const verb = t[2];
        if (t.length !== 3 || !API_VERBS.includes(verb as ApiVerb)) return undefined;
        return { kind: "api", verb: verb as ApiVerb };
      }
      case "event": {
        if (t.length === 3 && t[2] === "failover") return { kind: "failoverEvent" };
        const id = t[3];
        if (t.length === 4 && t[2] === "collector" && id && isToken(id)) {
          return { kind: "collectorEvent", collectorId: id };
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }
}

function checkHuntId(huntId: string): string {
  if (!HUNT_ID_RE.test(huntId)) throw new InvalidSubjectTokenError("hunt id", huntId);
  return huntId;
}

/** Subjects for the default prefix. */
export const subjects = (prefix: string = DEFAULT_PREFIX): Subjects => new Subjects(prefix);
