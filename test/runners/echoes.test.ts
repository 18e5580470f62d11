import { describe, expect, test } from "vitest";
import { Echoes } from "../../src/runners/echoes.js";

const identity = (runtime_name: string, runtime_kind = "http_async") => ({ invocation_id: "inv-1", runtime_name, runtime_kind });

describe(Echoes.name, () => {
  test("hands one echo to consecutive runs of the same runtime and timeout", () => {
    const echoes = new Echoes();
    const first = echoes.of(identity("archon"), 600);
    expect(first).toEqual({ runtime_name: "archon", runtime_kind: "http_async", timeoutSeconds: 600 });
    expect(echoes.of({ ...identity("archon"), invocation_id: "inv-2" }, 600)).toBe(first);
  });

  test("gives a run whose runtime name, kind or timeout differs an echo of its own, which the next runs share", () => {
    const echoes = new Echoes();
    const archon = echoes.of(identity("archon"), 600);
    const slurm = echoes.of(identity("slurm"), 600);
    const otherKind = echoes.of(identity("slurm", "http"), 600);
    const noTimeout = echoes.of(identity("slurm", "http"), null);
    expect([slurm, otherKind, noTimeout].map((echo) => echo === archon)).toEqual([false, false, false]);
    expect([slurm.runtime_name, otherKind.runtime_kind, noTimeout.timeoutSeconds]).toEqual(["slurm", "http", null]);
    expect(echoes.of(identity("slurm", "http"), null)).toBe(noTimeout);
  });
});
