import { access } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { UnsupportedPlatformError, parsePayload } from "./errors.js";
import type { ParsedCollectorOptions } from "./options.js";
import type { CollectorContext, CollectorHandler } from "./types.js";

/**
 * Fails with UNSUPPORTED_PLATFORM unless `<procRoot>/self` exists, i.e. a Linux proc filesystem is
 * mounted there. Checked on every task: cheap, and a collector started before /proc was mounted (a
 * container being set up) starts working without a restart.
 */
export async function requireProcFs(collector: string, procRoot: string): Promise<void> {
  try {
    await access(path.join(procRoot, "self"));
  } catch {
    throw new UnsupportedPlatformError(
      collector,
      `${collector} needs a Linux proc filesystem: ${path.join(procRoot, "self")} does not exist ` +
        `(platform ${process.platform})`,
    );
  }
}

/**
 * The handler of a collector that reads the proc filesystem: each task's payload is checked
 * against `schema`, then the proc filesystem at `opts.procRoot`, before `work` runs.
 */
export function procfsHandler<S extends z.ZodType, R>(
  collector: string,
  schema: S,
  opts: ParsedCollectorOptions,
  work: (payload: z.output<S>, ctx: CollectorContext, opts: ParsedCollectorOptions) => Promise<R>,
): CollectorHandler<R> {
  return async (input, ctx) => {
    const payload = parsePayload(schema, input);
    await requireProcFs(collector, opts.procRoot);
    return work(payload, ctx, opts);
  };
}
