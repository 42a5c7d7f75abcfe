import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import { createLogger } from "../src/telemetry/logger.js";

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split("\n"))
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { lines, stream };
}

describe("logging - pino JSON with trace context", () => {
  it("logging - lines carry trace_id and span_id while a span is active, and not otherwise", () => {
    const cm = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(cm);
    const provider = new TracerProvider({
      spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
    });
    trace.setGlobalTracerProvider(provider);
    const { lines, stream } = capture();
    const log = createLogger({ name: "t", level: "info", destination: stream });
    const span = trace.getTracer("t").startSpan("work");
    context.with(trace.setSpan(context.active(), span), () => log.info({ taskId: "x" }, "inside"));
    span.end();
    log.info("outside");
    log.debug("below the level");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      msg: "inside",
      taskId: "x",
      name: "t",
      trace_id: span.spanContext().traceId,
      span_id: span.spanContext().spanId,
    });
    expect(lines[1]?.msg).toBe("outside");
    expect(lines[1]).not.toHaveProperty("trace_id");
    expect(typeof lines[0]?.hostname).toBe("string");
    cm.disable();
  });

  it("logging - LOG_LEVEL sets the level", () => {
    const prev = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = "warn";
    try {
      const { lines, stream } = capture();
      const log = createLogger({ destination: stream });
      log.info("hidden");
      log.warn("shown");
      expect(lines.map((l) => l.msg)).toEqual(["shown"]);
    } finally {
      if (prev === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = prev;
    }
  });
});

describe("logging - the command's logger", () => {
  it("logging - pretty lines for a terminal are readable text, JSON otherwise", async () => {
    const { createCliLogger } = await import("../src/cli/logger.js");
    let text = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString();
        done();
      },
    });
    const log = createCliLogger({ name: "cli", level: "info", pretty: true, destination: sink });
    log.info({ taskId: "t-1" }, "readable");
    expect(text).toContain("readable");
    expect(text).toContain("t-1");
    expect(text.trimStart().startsWith("{")).toBe(false);
    const { lines, stream } = capture();
    createCliLogger({ pretty: false, destination: stream }).info("plain");
    expect(lines[0]).toMatchObject({ msg: "plain" });
  });
});
