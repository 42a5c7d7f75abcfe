import { open } from "node:fs/promises";
import { CliError, oneLine } from "./errors.js";

/** Largest payload text read from a file or stdin, before it is parsed (the request limit is far lower). */
export const MAX_PAYLOAD_TEXT_BYTES = 16 * 1024 * 1024;

/** Where a payload comes from, for error messages. */
export type PayloadSource = "argument" | "stdin" | { file: string };

/**
 * The task payload from the PAYLOAD argument: JSON text, `@file` (JSON in a file) or `-` (JSON on
 * stdin); undefined without one. Reading is bounded; errors are one CliError sentence.
 */
export async function readPayload(
  arg: string | undefined,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<{ payload: unknown; source: PayloadSource }> {
  if (arg === undefined) return { payload: undefined, source: "argument" };
  if (arg === "-") {
    if ((stdin as { isTTY?: boolean }).isTTY) {
      process.stderr.write("reading the payload from the terminal; end it with Ctrl-D\n");
    }
    return { payload: parse(await readStream(stdin), "stdin"), source: "stdin" };
  }
  if (arg.startsWith("@")) {
    const file = arg.slice(1);
    if (file === "") throw new CliError("PAYLOAD @ needs a file name, e.g. @payload.json");
    return { payload: parse(await readFileBounded(file), { file }), source: { file } };
  }
  return { payload: parse(arg, "argument"), source: "argument" };
}

/** `PAYLOAD`, `the payload on stdin`, `the payload in x.json`. */
export function describeSource(source: PayloadSource): string {
  if (source === "argument") return "PAYLOAD";
  if (source === "stdin") return "the payload on stdin";
  return `the payload in ${source.file}`;
}

function parse(text: string, source: PayloadSource): unknown {
  if (text.trim() === "") throw new CliError(`${describeSource(source)} is empty`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError(
      `${describeSource(source)} is not valid JSON: ${oneLine((err as Error).message)}`,
    );
  }
}

async function readFileBounded(file: string): Promise<string> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (err) {
    throw new CliError(`cannot read the payload file ${file}: ${errCode(err)}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new CliError(`the payload file ${file} is not a regular file`);
    if (st.size > MAX_PAYLOAD_TEXT_BYTES) throw tooLarge(`the payload file ${file}`);
    return await fh.readFile("utf8");
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read the payload file ${file}: ${errCode(err)}`);
  } finally {
    await fh.close();
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > MAX_PAYLOAD_TEXT_BYTES) throw tooLarge("the payload on stdin");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(what: string): CliError {
  return new CliError(`${what} is larger than ${MAX_PAYLOAD_TEXT_BYTES / 1024 / 1024} MiB`);
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? oneLine(String(err));
}
