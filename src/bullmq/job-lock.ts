import type { Job, RedisClient, Worker } from "bullmq";
import { confirmed, type Replication } from "./replication.js";

/**
 * Writes one field of a job's hash only while `token` still holds the job's
 * lock, in one step, the way BullMQ's own scripts compare `<job>:lock` with
 * the worker's token before they touch a job. `job.updateData` and
 * `job.updateProgress` check only that the job exists, so a worker that was
 * frozen past its lock (a stopped process, a long GC pause) would otherwise
 * write its stale data over the worker that took the job over.
 *
 * A write also renews the lock for a full lock duration, so the kickoff that
 * follows the "kickoff sent" mark goes out under a fresh lock. A lock that
 * expired while the job stayed active, taken by no one (a failover took back
 * its renewals, or Redis was out longer than the lock), is taken again: no
 * other worker can hold the job without first moving it out of `active`. A progress
 * write adds BullMQ's `progress` event, with the stream trimmed to the
 * queue's own `opts.maxLenEvents` (read, never written).
 *
 * KEYS: job hash, its lock, the event stream, the queue's meta hash, the active list.
 * ARGV: token, field ("data" or "progress"), JSON value, job id, lock duration in ms.
 * Returns 1 once written, 0 when the lock is not held by the token, -1 when the job is gone.
 */
const FENCED_WRITE_LUA = `
local lock = redis.call("GET", KEYS[2])
if lock ~= ARGV[1] then
  if lock or not redis.call("LPOS", KEYS[5], ARGV[4]) then return 0 end
  redis.call("SET", KEYS[2], ARGV[1], "PX", ARGV[5])
end
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
redis.call("HSET", KEYS[1], ARGV[2], ARGV[3])
redis.call("PEXPIRE", KEYS[2], ARGV[5])
if ARGV[2] == "progress" then
  local maxEvents = tonumber(redis.call("HGET", KEYS[4], "opts.maxLenEvents")) or 10000
  redis.call("XADD", KEYS[3], "MAXLEN", "~", maxEvents, "*", "event", "progress", "jobId", ARGV[4], "data", ARGV[3])
end
return 1
`;

/** The name the script is registered under; versioned, so a changed script never runs under an old name. */
const FENCED_WRITE_COMMAND = "executorRuntimeFencedWrite2";

/** The clients the script is registered on. */
const registered = new WeakSet<RedisClient>();

/** The job fields a run writes. */
export type JobField = "data" | "progress";

/** How a write ended: it landed, it was refused (the lock is lost or the job is gone), or it may not survive a failover (`problem` says why). */
export type WriteOutcome = { readonly kind: "written" } | { readonly kind: "lost" } | { readonly kind: "unconfirmed"; readonly problem: string };

/** Writes to one job that land only while this worker holds the job's lock. */
export interface JobLock {
  /**
   * Writes `json` to the job's `field`. With `confirm`, the write counts only
   * once the replicas the worker's replication names acknowledge it, and a
   * write Redis could not take is `unconfirmed`; without, it rejects when
   * Redis cannot be reached.
   */
  write(field: JobField, json: string, confirm: boolean): Promise<WriteOutcome>;
}

const WRITTEN: WriteOutcome = { kind: "written" };
const LOST: WriteOutcome = { kind: "lost" };

/** The lock that `token` holds on `job`, taken by `worker`; confirmed writes wait for `replication`. */
export function jobLock(worker: Worker, job: Job, token: string | undefined, replication: Replication): JobLock {
  const jobId = job.id ?? "";
  const jobKey = worker.toKey(jobId);
  const keys = [jobKey, `${jobKey}:lock`, worker.toKey("events"), worker.toKey("meta"), worker.toKey("active")];
  const lockDurationMs = worker.opts.lockDuration ?? 30_000;
  return {
    async write(field, json, confirm) {
      // BullMQ always hands its worker's processor a token; without one there is no lock to write under.
      if (token === undefined) return LOST;
      const client = await worker.backend.client;
      if (!registered.has(client)) {
        client.defineCommand(FENCED_WRITE_COMMAND, { numberOfKeys: keys.length, lua: FENCED_WRITE_LUA });
        registered.add(client);
      }
      const args = [...keys, token, field, json, jobId, lockDurationMs];
      if (!confirm || !replication.on) return (await client.runCommand(FENCED_WRITE_COMMAND, args)) === 1 ? WRITTEN : LOST;
      const { replies, confirmed: done, problem } = await confirmed(client, replication, (pipeline) => pipeline.runCommand(FENCED_WRITE_COMMAND, args));
      // A refusal stands whatever the replicas say: a server that refuses holds no lock of ours to write under.
      if (replies[0] === 0 || replies[0] === -1) return LOST;
      return done ? WRITTEN : { kind: "unconfirmed", problem };
    },
  };
}
