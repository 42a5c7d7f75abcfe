import type { Result } from "../../../subjects/index.js";
import { formatMs } from "../format.js";

/** What a live progress line shows. */
export interface ProgressCounts {
  /** Parts that complete the submission, when known. */
  readonly targeted: number | undefined;
  /** Instances whose final result was ok. */
  readonly answered: number;
  /** Instances whose final result was an error. */
  readonly errors: number;
  readonly elapsedMs: number;
  /** Time left to the deadline. */
  readonly leftMs: number;
}

/**
 * `12/40 answered, 1 error, 27 pending, ETA 4.2 s`: the ETA from the rate so far, never past the
 * deadline; without a known target only the counts.
 */
export function progressText(c: ProgressCounts): string {
  const done = c.answered + c.errors;
  const errors = `${c.errors} error${c.errors === 1 ? "" : "s"}`;
  if (c.targeted === undefined) return `${c.answered} answered, ${errors}`;
  const pending = Math.max(0, c.targeted - done);
  let eta = "";
  if (pending > 0 && done > 0) {
    const ms = Math.min(c.leftMs, (c.elapsedMs / done) * pending);
    eta = `, ETA ${formatMs(Math.max(0, Math.round(ms)))}`;
  } else if (pending > 0) {
    eta = `, deadline in ${formatMs(Math.max(0, c.leftMs))}`;
  }
  return `${c.answered}/${c.targeted} answered, ${errors}, ${pending} pending${eta}`;
}

/** Counts final results as they arrive, by instance. */
export class ProgressTally {
  answered = 0;
  errors = 0;

  add(r: Result): void {
    if (!r.final) return;
    if (r.status === "ok") this.answered++;
    else this.errors++;
  }
}

/**
 * Redraws one line on a terminal (stderr) every `everyMs` until stopped, then clears it, so the
 * result printed after it stands alone.
 */
export function liveLine(
  out: NodeJS.WriteStream,
  text: () => string,
  everyMs = 250,
): { stop(): void } {
  const draw = () => out.write(`\r\x1b[2K${text()}`);
  draw();
  const timer = setInterval(draw, everyMs);
  return {
    stop() {
      clearInterval(timer);
      out.write("\r\x1b[2K");
    },
  };
}
