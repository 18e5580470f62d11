import { describe, expect, test, vi } from "vitest";
import { ExecutorRuntime, type Runner } from "../src/index.js";

function closable(close: () => Promise<void> = async () => undefined): Runner & { close: ReturnType<typeof vi.fn> } {
  return { run: vi.fn(), close: vi.fn(close) };
}

describe(`${ExecutorRuntime.name} close`, () => {
  test("closes every registered runner", async () => {
    const [a, b] = [closable(), closable()];
    await new ExecutorRuntime({ runners: { http: a, http_async: b } }).close();
    expect([a.close.mock.calls.length, b.close.mock.calls.length]).toEqual([1, 1]);
  });

  test("closes a runner registered under several kinds only once", async () => {
    const shared = closable();
    await new ExecutorRuntime({ runners: { http: shared, http_async: shared } }).close();
    expect(shared.close).toHaveBeenCalledTimes(1);
  });

  test("skips runners that own nothing to close", async () => {
    await expect(new ExecutorRuntime({ runners: { manual: { run: vi.fn() } } }).close()).resolves.toBeUndefined();
  });

  test("resolves even when a runner's close rejects, and still closes the others", async () => {
    const failing = closable(async () => Promise.reject(new Error("socket stuck")));
    const other = closable();
    await expect(new ExecutorRuntime({ runners: { http: failing, http_async: other } }).close()).resolves.toBeUndefined();
    expect(other.close).toHaveBeenCalledTimes(1);
  });

  test("resolves even when a runner's close throws synchronously", async () => {
    const throwing: Runner = {
      run: vi.fn(),
      close: () => {
        throw new Error("already closed");
      },
    };
    await expect(new ExecutorRuntime({ runners: { http: throwing } }).close()).resolves.toBeUndefined();
  });

  test("does not close a runner that was unregistered before", async () => {
    const removed = closable();
    const runtime = new ExecutorRuntime({ runners: { http: removed } });
    runtime.unregister("http");
    await runtime.close();
    expect(removed.close).not.toHaveBeenCalled();
  });
});
