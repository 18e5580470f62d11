import { z } from "zod";
import { ArtifactDescriptorSchema, type ArtifactDescriptor } from "./artifact.js";
import { compiledOnFirstUse } from "./compiled.js";
import { issuesFromZod, summarizeIssues } from "./issues.js";
import { RUNTIME_STATUSES, RXP_SCHEMA_VERSION } from "./vocabulary.js";
import { isoTime } from "../util/iso-time.js";

const isoTimestamp = z.iso.datetime({ offset: true, error: "must be an ISO 8601 timestamp" });

/** RxP v0.1 `RuntimeResult`: every field required, no others allowed. */
export const RuntimeResultSchema = z.strictObject({
  schema_version: z.literal(RXP_SCHEMA_VERSION),
  contract_kind: z.literal("runtime_result"),
  invocation_id: z.string().min(1),
  runtime_name: z.string().min(1),
  runtime_kind: z.string().min(1),
  status: z.enum(RUNTIME_STATUSES),
  exit_code: z.number().int().nullable(),
  started_at: isoTimestamp,
  finished_at: isoTimestamp,
  stdout_path: z.string().nullable(),
  stderr_path: z.string().nullable(),
  artifacts: z.array(ArtifactDescriptorSchema),
  error_summary: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
});

const resultSchema = compiledOnFirstUse(RuntimeResultSchema);

/** The normalized answer of every run. */
export type RuntimeResult = z.output<typeof RuntimeResultSchema>;

/** The three fields a result echoes from its invocation. */
export interface ResultIdentity {
  readonly invocation_id: string;
  readonly runtime_name: string;
  readonly runtime_kind: string;
}

/**
 * How a run ended. Every outcome but success carries a summary: one sentence
 * a person can act on.
 */
export type ResultOutcome =
  | { readonly status: "succeeded" }
  | { readonly status: "failed" | "timed_out" | "cancelled" | "rejected"; readonly summary: string };

/** Everything else a result may carry; all optional. */
export interface ResultDetails {
  /** Epoch milliseconds when the run started; the finish time when absent. */
  readonly startedAtMs?: number;
  /** Epoch milliseconds when the run finished. @default Date.now() */
  readonly finishedAtMs?: number;
  readonly exitCode?: number | null;
  readonly stdoutPath?: string | null;
  readonly stderrPath?: string | null;
  readonly artifacts?: readonly ArtifactDescriptor[];
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * The one result builder: echoes the identity, fills the contract fields and
 * timestamps, and never emits a field RxP v0.1 does not have.
 */
export function buildResult(identity: ResultIdentity, outcome: ResultOutcome, details: ResultDetails = {}): RuntimeResult {
  const finishedAtMs = details.finishedAtMs ?? Date.now();
  return {
    schema_version: RXP_SCHEMA_VERSION,
    contract_kind: "runtime_result",
    invocation_id: identity.invocation_id,
    runtime_name: identity.runtime_name,
    runtime_kind: identity.runtime_kind,
    status: outcome.status,
    exit_code: details.exitCode ?? null,
    started_at: timestamp(details.startedAtMs ?? finishedAtMs),
    finished_at: timestamp(finishedAtMs),
    stdout_path: details.stdoutPath ?? null,
    stderr_path: details.stderrPath ?? null,
    artifacts: details.artifacts ? [...details.artifacts] : [],
    error_summary: outcome.status === "succeeded" ? null : outcome.summary,
    metadata: details.metadata ? { ...details.metadata } : {},
  };
}

/** The identity of any value: its id, name and kind where readable, else "unknown". */
export function identityOf(input: unknown): ResultIdentity {
  const record = typeof input === "object" && input !== null ? (input as Record<string, unknown>) : {};
  return {
    invocation_id: readableString(record, "invocation_id"),
    runtime_name: readableString(record, "runtime_name"),
    runtime_kind: readableString(record, "runtime_kind"),
  };
}

/** Checks a value a runner returned; the summary names every problem. */
export function checkResult(
  value: unknown,
): { readonly ok: true; readonly result: RuntimeResult } | { readonly ok: false; readonly summary: string } {
  const parsed = resultSchema().safeParse(value, { reportInput: true });
  if (parsed.success) return { ok: true, result: parsed.data };
  return { ok: false, summary: summarizeIssues("runner returned an invalid result", issuesFromZod(parsed.error)) };
}

function readableString(record: Record<string, unknown>, key: string): string {
  const value = Object.hasOwn(record, key) ? record[key] : undefined;
  return typeof value === "string" && value.length > 0 ? value : "unknown";
}

/** A result's timestamp; the system clock's time for a clock that gave no valid time. */
function timestamp(epochMs: number): string {
  return isoTime(Number.isFinite(epochMs) ? epochMs : Date.now());
}
