import { afterAll, afterEach, beforeAll } from "vitest";
import { startJobBackend, type JobBackend } from "./job-backend.js";
import { startRedisServer, type RedisServer } from "./redis-server.js";

/** What a queue test file shares: a redis-server, a job backend, and what to close after each test. */
export interface QueueFixture {
  /** Set once the file's tests start. */
  readonly redis: RedisServer;
  /** Set once the file's tests start; its holds and outage are cleared after each test. */
  readonly backend: JobBackend;
  /** Called after each test, the last pushed first. */
  readonly closers: (() => Promise<unknown>)[];
}

/**
 * Starts a redis-server and a job backend for the test file, runs the
 * closers and resets the backend after each test, and stops both at the end.
 */
export function useQueueFixture(): QueueFixture {
  const fixture = { redis: undefined as unknown as RedisServer, backend: undefined as unknown as JobBackend, closers: [] as (() => Promise<unknown>)[] };
  beforeAll(async () => {
    fixture.redis = await startRedisServer();
    fixture.backend = await startJobBackend();
  });
  afterEach(async () => {
    for (const close of fixture.closers.splice(0).reverse()) await close();
    fixture.backend.holdKickoffs = false;
    fixture.backend.holdRuns = false;
    fixture.backend.outage = undefined;
  });
  afterAll(async () => {
    await fixture.backend?.close();
    await fixture.redis?.stop();
  });
  return fixture;
}
