export { ExecutorRuntime, type ExecutorRuntimeOptions, type InvocationArgument } from "./runtime.js";
export { ManualRunner, type ManualDispatch } from "./runners/manual.js";
export { AsyncHttpRunner } from "./runners/async-http/runner.js";
export { HttpRunner } from "./runners/http.js";
export { SubprocessRunner, type SubprocessRunnerOptions } from "./runners/subprocess.js";
export type { HeaderRequest, HeadersOption, HttpRunnerOptions, Secret, SecretContext } from "./http/runner-options.js";
export type { Sleep } from "./http/timing.js";
export type { FetchFunction } from "./http/transport/transport.js";
export { ASYNC_HTTP_METADATA_KEYS, HTTP_METADATA_KEYS } from "./http/metadata/parse.js";
export { asyncHttpMetadata, httpMetadata } from "./http/metadata/builders.js";
export type { AsyncHttpMetadataFields, HttpMetadataFields } from "./http/metadata/fields.js";
export type {
  AcceptedEvent,
  CancelEvent,
  Checkpoint,
  KickoffEvent,
  PendingEvent,
  PollEvent,
  RetryEvent,
  RunEvent,
  RunOptions,
  Runner,
  TerminalEvent,
  WaitEvent,
} from "./runners/runner.js";
export type { EnqueueMessage, RequestFailure, RequestMessage, RequestPhase, RunMessage } from "./diagnostics/channels.js";
export type { RuntimeInvocation, RuntimeInvocationInput } from "./contracts/invocation.js";
export { buildResult, type ResultDetails, type ResultIdentity, type ResultOutcome, type RuntimeResult } from "./contracts/result.js";
export { describeArtifact, type ArtifactDescriptor } from "./contracts/artifact.js";
export {
  FINAL_STATUSES,
  RUNTIME_KINDS,
  RUNTIME_STATUSES,
  RXP_SCHEMA_VERSION,
  isRuntimeKind,
  type FinalStatus,
  type RuntimeKind,
  type RuntimeStatus,
} from "./contracts/vocabulary.js";
