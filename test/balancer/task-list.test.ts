import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TaskList } from "../../src/balancer/task-list.js";

type Op = { kind: "add" | "delete"; id: number } | { kind: "clear" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("add" as const), id: fc.nat({ max: 60 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("delete" as const), id: fc.nat({ max: 60 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
);

describe("balancer - task list", () => {
  it("balancer - a task list behaves as a Set of ids in assignment order, small or large", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const list = new TaskList();
        const model = new Set<string>();
        for (const o of ops) {
          if (o.kind === "add") {
            list.add(`t${o.id}`);
            model.add(`t${o.id}`);
          } else if (o.kind === "delete") {
            expect(list.delete(`t${o.id}`)).toBe(model.delete(`t${o.id}`));
          } else {
            list.clear();
            model.clear();
          }
          expect(list.size).toBe(model.size);
          expect(list.values()).toEqual([...model]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("balancer - a task list keeps its order when it outgrows its array", () => {
    const list = new TaskList();
    const ids = Array.from({ length: 40 }, (_, i) => `t${i}`);
    for (const id of ids) list.add(id);
    list.add("t3"); // already there: stays in place
    expect(list.delete("t5")).toBe(true);
    expect(list.values()).toEqual(ids.filter((id) => id !== "t5"));
    expect(list.size).toBe(39);
  });
});
