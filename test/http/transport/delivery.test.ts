import { afterEach, describe, expect, it, vi } from "vitest";
import { deliverLater } from "../../../src/http/transport/delivery.js";

describe("deliverLater", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("hands over in a later microtask, not at once, in the order queued", async () => {
    const order: string[] = [];
    deliverLater({ deliver: () => order.push("a") });
    deliverLater({ deliver: () => order.push("b") });
    order.push("queued");
    await Promise.resolve();
    expect(order).toEqual(["queued", "a", "b"]);
  });

  it("delivers what is queued while it delivers in the same pass, and later ones again", async () => {
    const order: string[] = [];
    deliverLater({ deliver: () => deliverLater({ deliver: () => order.push("queued while delivering") }) });
    await Promise.resolve();
    expect(order).toEqual(["queued while delivering"]);
    deliverLater({ deliver: () => order.push("next turn") });
    await Promise.resolve();
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
    await Promise.resolve();
    expect(delivered).toEqual(["second"]);
    expect(ticks).toHaveLength(1);
    expect(() => ticks[0]?.()).toThrow(thrown);
  });
});
