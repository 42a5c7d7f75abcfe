import type { NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import type { z } from "zod";
import { Svcm, type Service, type ServiceMsg } from "@nats-io/services";
import { decode, encode } from "../codec.js";
import { MeshError, ErrorCode, InvalidMessageError } from "../errors.js";
import {
  AggregatedResult,
  ErrorReply,
  MeshHeaders,
  MAX_MESSAGE_BYTES,
  SERVICE_NAME,
  StatsReply,
  StatsRequest,
  StatusReply,
  StatusRequest,
  SubmitRequest,
} from "../../subjects/index.js";
import { VERSION } from "../version.js";
import type { CoordinatorApi } from "./types.js";
import { streamReply } from "./api-stream.js";
import { submitArgs } from "./submit-plan.js";

/**
 * The coordinator's request/reply API as a NATS micro service (`collector-mesh`): endpoints on
 * `<p>.api.submit`, `.status` and `.stats`, in queue group `collector-mesh` so several coordinators
 * share the load. `nats micro ls` lists it; `$SRV.STATS` reports per-endpoint counts.
 */
export class CoordinatorService {
  readonly #coord: CoordinatorApi;
  readonly #nc: NatsConnection;
  #svc: Service | undefined;
  #invalid = 0;

  constructor(coord: CoordinatorApi, nc: NatsConnection) {
    this.#coord = coord;
    this.#nc = nc;
  }

  get invalidRequests(): number {
    return this.#invalid;
  }

  async start(): Promise<void> {
    const s = this.#coord.subjects;
    const svc = await new Svcm(this.#nc).add({
      name: SERVICE_NAME,
      version: VERSION,
      description: "collector-mesh coordinator: submit tasks, read collector status and stats",
      queue: SERVICE_NAME,
      metadata: { coordinator_id: this.#coord.id, prefix: s.prefix },
      statsHandler: () => Promise.resolve(this.#coord.stats()),
    });
    this.#svc = svc;
    svc.addEndpoint("submit", {
      subject: s.api("submit"),
      handler: (err, msg) => {
        if (!err) void this.#submit(msg);
      },
    });
    svc.addEndpoint("status", {
      subject: s.api("status"),
      handler: (err, msg) => {
        if (!err) {
          this.#simple(msg, StatusRequest, (page) => encode(StatusReply, this.#coord.status(page)));
        }
      },
    });
    svc.addEndpoint("stats", {
      subject: s.api("stats"),
      handler: (err, msg) => {
        if (!err) this.#simple(msg, StatsRequest, () => encode(StatsReply, this.#coord.stats()));
      },
    });
  }

  async stop(): Promise<void> {
    const svc = this.#svc;
    this.#svc = undefined;
    if (svc) await svc.stop();
  }

  #simple<T>(msg: ServiceMsg, schema: z.ZodType<T>, reply: (req: T) => Uint8Array): void {
    try {
      const req =
        msg.data.length > 0
          ? decode(schema, msg.data, { subject: msg.subject, maxBytes: MAX_REQUEST_BYTES })
          : schema.parse({});
      msg.respond(reply(req));
    } catch (err) {
      this.#fail(msg, err);
    }
  }

  async #submit(msg: ServiceMsg): Promise<void> {
    let req: SubmitRequest;
    try {
      req = decode(SubmitRequest, msg.data, {
        subject: msg.subject,
        maxBytes: MAX_REQUEST_BYTES,
      });
    } catch (err) {
      this.#fail(msg, err);
      return;
    }
    const { spec, opts } = submitArgs(req);
    try {
      if (req.stream === true) {
        await streamReply(msg, this.#coord.track(spec, opts));
        return;
      }
      const result = await this.#coord.submit(spec, opts);
      const body = encode(AggregatedResult, result);
      if (body.length > (this.#nc.info?.max_payload ?? MAX_MESSAGE_BYTES)) {
        throw new MeshError(
          ErrorCode.InvalidArgument,
          `the result (${body.length} bytes) is larger than one message: ask with stream: true`,
        );
      }
      msg.respond(body);
    } catch (err) {
      this.#fail(msg, err);
    }
  }

  #fail(msg: ServiceMsg, err: unknown): void {
    const e =
      err instanceof MeshError
        ? err
        : new MeshError(ErrorCode.Internal, err instanceof Error ? err.message : String(err));
    if (e instanceof InvalidMessageError) this.#invalid++;
    const h = natsHeaders();
    h.set(MeshHeaders.ErrorCode, e.code);
    h.set(MeshHeaders.Error, oneLine(e.message));
    const body: ErrorReply = { error: { code: e.code, message: e.message.slice(0, 1024) } };
    // respondError also counts the error in the micro service's $SRV.STATS.
    try {
      msg.respondError(HTTP_LIKE[e.code] ?? 500, oneLine(e.message), encode(ErrorReply, body), {
        headers: h,
      });
    } catch {
      // The connection closed or is draining: nobody can be told any more.
    }
  }
}

/** Largest api request accepted (bytes); checked before parsing. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** Numeric codes for the micro protocol's Nats-Service-Error-Code header. */
const HTTP_LIKE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.InvalidMessage]: 400,
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.NoCapableCollector]: 404,
  [ErrorCode.Timeout]: 408,
  [ErrorCode.Overloaded]: 503,
  [ErrorCode.Stopped]: 503,
};

function oneLine(s: string): string {
  return s.slice(0, 512).replace(/[\r\n]+/g, " ");
}
