import { access } from "node:fs/promises";
import path from "node:path";
import { UnsupportedPlatformError } from "./errors.js";

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
