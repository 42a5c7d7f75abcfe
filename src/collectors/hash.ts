import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";
import { errnoCode } from "./bounded.js";

const CHUNK = 1024 * 1024;

/** A SHA-256 (hex), or why there is none. */
export type HashOutcome = { readonly sha256: string } | { readonly error: string };

/**
 * SHA-256 of a file, streamed in 1 MiB chunks, refusing files larger than `maxBytes` (checked
 * before reading and again while reading, in case the file grows). Never throws for file
 * problems: they become `{ error }`. Throws only when `signal` aborts.
 */
export async function sha256File(
  file: string | FileHandle,
  opts: { maxBytes: number; signal: AbortSignal },
): Promise<HashOutcome> {
  let fh: FileHandle | undefined;
  try {
    fh = typeof file === "string" ? await open(file, "r") : file;
    const st = await fh.stat();
    if (!st.isFile()) return { error: "not a regular file" };
    if (st.size > opts.maxBytes) return { error: tooLarge(opts.maxBytes) };
    const hash = createHash("sha256");
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, opts.maxBytes + 1)));
    let total = 0;
    for (;;) {
      opts.signal.throwIfAborted();
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > opts.maxBytes) return { error: tooLarge(opts.maxBytes) };
      hash.update(buf.subarray(0, bytesRead));
    }
    return { sha256: hash.digest("hex") };
  } catch (err) {
    if (opts.signal.aborted) throw err;
    return { error: describeFsError(err) };
  } finally {
    if (typeof file === "string") await fh?.close().catch(() => undefined);
  }
}

function tooLarge(max: number): string {
  return `larger than the hashing limit of ${max} bytes`;
}

/** A short reason for a failed file operation, without the path (the caller has it). */
export function describeFsError(err: unknown): string {
  switch (errnoCode(err)) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOENT":
      return "no such file";
    case "ELOOP":
      return "is a symbolic link";
    case "EISDIR":
      return "is a directory";
    case "ENXIO":
      return "no such device";
    default: {
      const code = errnoCode(err);
      const msg = err instanceof Error ? err.message : String(err);
      return code ? `${code}: ${msg}` : msg;
    }
  }
}
