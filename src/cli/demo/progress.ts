import type { DemoWriter } from "./output.js";

/**
 * The demo's progress: one line redrawn in place on a terminal, a plain line at every tenth of
 * the work otherwise (logs, CI). Notes (a kill, a failover) print on their own lines.
 */
export class Progress {
  readonly #total: number;
  readonly #out: DemoWriter;
  readonly #tty: boolean;
  #drawn = false;
  #lastStep = -1;
  #lastDraw = 0;

  constructor(total: number, out: DemoWriter) {
    this.#total = total;
    this.#out = out;
    this.#tty = out.isTTY;
  }

  update(done: number, inFlight: number, failovers: number): void {
    const pct = this.#total === 0 ? 100 : Math.floor((done / this.#total) * 100);
    const text =
      `${done}/${this.#total} tasks (${pct}%), ${inFlight} in flight, ` +
      `${failovers} failover${failovers === 1 ? "" : "s"}`;
    if (this.#tty) {
      const now = Date.now();
      if (done < this.#total && now - this.#lastDraw < 50) return;
      this.#lastDraw = now;
      const width = 24;
      const filled = Math.round((pct / 100) * width);
      this.#out.write(`\r\x1b[2K  [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${text}`);
      this.#drawn = true;
      return;
    }
    const step = Math.floor(pct / 10);
    if (step === this.#lastStep) return;
    this.#lastStep = step;
    this.#out.write(`  ${text}\n`);
  }

  /** A line of its own, above the progress line. */
  note(line: string): void {
    if (this.#tty && this.#drawn) this.#out.write("\r\x1b[2K");
    this.#out.write(`  ${line}\n`);
    this.#drawn = false;
  }

  /** Ends the progress line. */
  finish(): void {
    if (this.#tty && this.#drawn) this.#out.write("\n");
    this.#drawn = false;
  }
}
