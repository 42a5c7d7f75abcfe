/** The identifying fields of a final `ok` Result, in wire order: tests add payload and timings. */
export const okResultHead = {
  taskId: "t-1",
  correlationId: "c-1",
  collectorId: "col-1",
  seq: 0,
  final: true,
  status: "ok",
} as const;
