import { afterEach, describe, expect, it, vi } from "vitest";
import { deliverLater } from "../../../src/http/transport/delivery.js";

describe("deliverLater", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("hands over later, not at once, in the order queued", async () => {
    const order: string[] = [];
    deliverLater({ deliver: () => order.push("a") });
    deliverLater({ deliver: () => order.push("b") });
    order.push("queued");
    await checkPhase();
    expect(order).toEqual(["queued", "a", "b"]);
  });

  it("waits out the microtasks of the turn, so what arrives after them in the same turn joins the same pass", async () => {
    const passes: string[][] = [];
    let pass: string[] | undefined;
    const item = (name: string) => ({
      deliver: () => {
        if (pass === undefined) {
          passes.push((pass = []));
          queueMicrotask(() => (pass = undefined));
        }
        pass.push(name);
      },
    });
    deliverLater(item("first socket"));
    await Promise.resolve();
    await Promise.resolve();
    expect(passes).toEqual([]);
    deliverLater(item("second socket"));
    await checkPhase();
    expect(passes).toEqual([["first socket", "second socket"]]);
  });

  it("delivers what is queued while it delivers in the same pass, and later ones again", async () => {
    const order: string[] = [];
    deliverLater({ deliver: () => deliverLater({ deliver: () => order.push("queued while delivering") }) });
    await checkPhase();
    expect(order).toEqual(["queued while delivering"]);
    deliverLater({ deliver: () => order.push("next turn") });
    await checkPhase();
    expect(order).toEqual(["queued while delivering", "next turn"]);
  });

  it("still delivers the others when one throws, and throws its error in a later tick", async () => {
    const thrown = new Error("receiver broke");
    const ticks: (() => void)[] = [];
    vi.spyOn(process, "nextTick").mockImplementation(((callback: () => void) => void ticks.push(callback)) as typeof process.nextTick);
    const delivered: string[] = [];
    deliverLater({
      deliver: () => {
        throw thrown;
      },
    });
    deliverLater({ deliver: () => delivered.push("second") });
    await checkPhase();
    expect(delivered).toEqual(["second"]);
    expect(ticks).toHaveLength(1);
    expect(() => ticks[0]?.()).toThrow(thrown);
  });
});

/** Resolves once the event loop's check phase has run what was queued for it before this call. */
function checkPhase(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
