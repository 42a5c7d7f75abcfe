/** SilentWatch: which instances with work have been silent long enough to probe. Pure. */
import { describe, expect, it } from "vitest";
import { SilentWatch } from "../../src/coordinator/silent-watch.js";

const T0 = 1_700_000_000_000;
const yes = () => true;

describe("coordinator - silent instances", () => {
  it("coordinator - an instance is due after afterMs of silence with work, then after twice as long; an answer brings the wait back to the first", () => {
    const w = new SilentWatch(100, 1000);
    w.working("a", T0);
    expect(w.due(T0 + 99, 10, yes, yes)).toEqual([]);
    expect(w.due(T0 + 100, 10, yes, yes)).toEqual(["a"]);
    expect(w.due(T0 + 299, 10, yes, yes)).toEqual([]);
    expect(w.due(T0 + 300, 10, yes, yes)).toEqual(["a"]);
    // Heard: the next look (at +700, 400 after the second probe) finds it silent only 350 ms,
    // past the first afterMs again: due, and the wait after it starts again from 200.
    w.heard("a", T0 + 350);
    expect(w.due(T0 + 699, 10, yes, yes)).toEqual([]);
    expect(w.due(T0 + 700, 10, yes, yes)).toEqual(["a"]);
    expect(w.due(T0 + 899, 10, yes, yes)).toEqual([]);
    expect(w.due(T0 + 900, 10, yes, yes)).toEqual(["a"]);
  });

  it("coordinator - an instance whose work ended is not watched; given work again, its silence counts from then, not from before", () => {
    const w = new SilentWatch(100, 1000);
    let work = true;
    const hasWork = () => work;
    w.working("a", T0);
    work = false;
    expect(w.due(T0 + 100, 10, hasWork, yes)).toEqual([]);
    expect(w.size).toBe(0);
    // Heard while idle: nothing to watch.
    w.heard("a", T0 + 150);
    expect(w.size).toBe(0);
    work = true;
    w.working("a", T0 + 5000);
    expect(w.size).toBe(1);
    w.working("a", T0 + 5050); // already watched: its clock is not moved
    expect(w.due(T0 + 5099, 10, hasWork, yes)).toEqual([]);
    expect(w.due(T0 + 5100, 10, hasWork, yes)).toEqual(["a"]);
    w.forget("a");
    expect(w.size).toBe(0);
    expect(w.due(T0 + 99_999, 10, hasWork, yes)).toEqual([]);
    // Forgotten while idle, then back with work: watched afresh.
    w.working("b", T0);
    work = false;
    w.due(T0 + 100, 10, hasWork, yes);
    w.forget("b");
    work = true;
    w.working("b", T0 + 200);
    expect(w.due(T0 + 300, 10, hasWork, yes)).toEqual(["b"]);
  });
});
