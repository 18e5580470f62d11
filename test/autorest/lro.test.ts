/**
 * Every long-running operation of the AutoRest test server's `lro.json`,
 * run through AsyncHttpRunner with the request alone: `http.url`,
 * `http.method`, `http.body` where the operation takes one, and
 * `http.poll_protocol: lro` (with `http.final_state_via` where the swagger
 * names it). The expected outcomes are the test server's: the routes in its
 * `legacy/routes/lros.js` and `dist/test-routes/lro/`, as the Azure SDKs'
 * own test suites read them (the `LROSADs_*` sad paths fail, but for
 * `delete204Succeeded`).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { RuntimeInvocationSchema } from "../../src/contracts/invocation.js";
import type { RuntimeResult } from "../../src/contracts/result.js";
import { AsyncHttpRunner } from "../../src/runners/async-http/runner.js";
import { cookieFetch, type CookieFetchExchange } from "../support/cookie-fetch.js";
import { fakeClock } from "../support/fake-clock.js";

const ORIGIN = inject("autorestTestServer");
const SWAGGER_PATH = createRequire(import.meta.url).resolve("@microsoft.azure/autorest.testserver/swagger/lro.json");

/** One operation of the swagger marked `x-ms-long-running-operation`. */
interface LroOperation {
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  /** The schema name of its body parameter, when it takes one. */
  readonly bodySchema?: string;
  readonly finalStateVia?: string;
}

interface SwaggerOperation {
  readonly operationId: string;
  readonly parameters?: readonly { readonly in: string; readonly schema?: { readonly $ref?: string } }[];
  readonly "x-ms-long-running-operation"?: boolean;
  readonly "x-ms-long-running-operation-options"?: { readonly "final-state-via"?: string };
}

// The file starts with a byte order mark, which JSON.parse refuses.
const swagger = JSON.parse((await readFile(SWAGGER_PATH, "utf8")).replace(/^\uFEFF/, "")) as { paths: Record<string, Record<string, SwaggerOperation>> };

const OPERATIONS: readonly LroOperation[] = Object.entries(swagger.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([, operation]) => operation["x-ms-long-running-operation"] === true)
    .map(([method, operation]) => {
      const ref = operation.parameters?.find((parameter) => parameter.in === "body")?.schema?.$ref;
      const finalStateVia = operation["x-ms-long-running-operation-options"]?.["final-state-via"];
      return {
        operationId: operation.operationId,
        method: method.toUpperCase(),
        path,
        ...(ref === undefined ? {} : { bodySchema: ref.replace("#/definitions/", "") }),
        ...(finalStateVia === undefined ? {} : { finalStateVia }),
      };
    }),
);

/** The body sent for each schema the operations take. */
const BODIES: Readonly<Record<string, object>> = {
  Product: { location: "West US" },
  Sku: { name: "sku" },
  SubProduct: {},
};

/**
 * The `LROsCustomHeader_*` routes answer 400 unless every request, polls
 * included, carries this `x-ms-client-request-id` (the scenario: a header the
 * caller sets goes on every request of the operation).
 */
const CUSTOM_HEADER = { "x-ms-client-request-id": "9C4D50EE-2D56-4CD3-8152-34347DC9F2B0" };

/** What an operation must end with: a final body (`null`: none), or a failure and its kind. */
type Expectation =
  | { readonly outcome: "succeeded"; readonly body: unknown }
  | { readonly outcome: "failed"; readonly failureKind: string }
  | { readonly outcome: "cancelled" };

const resource = (state: string, id = "100") => ({ properties: { provisioningState: state }, id, name: "foo" });
const succeeded = (body: unknown): Expectation => ({ outcome: "succeeded", body });
const failed = (failureKind: string): Expectation => ({ outcome: "failed", failureKind });
const CANCELLED: Expectation = { outcome: "cancelled" };
/** The answer of the invalid-header scenarios: `Azure-AsyncOperation`/`Location: /foo`, which the test server does not serve. */
const NOT_SERVED = failed("poll_refused");

const EXPECTED: Readonly<Record<string, Expectation>> = {
  // The kickoff is the final answer.
  LROs_put200Succeeded: succeeded(resource("Succeeded")),
  LROs_put201Succeeded: succeeded(resource("Succeeded")),
  LROs_put200SucceededNoState: succeeded({ id: "100", name: "foo" }),
  LROs_patch200SucceededIgnoreHeaders: succeeded(resource("Succeeded")),
  LROs_delete204Succeeded: succeeded(null),
  // The resource polled at the request URL (no monitor header).
  LROs_put201CreatingSucceeded200: succeeded(resource("Succeeded")),
  LROs_put200UpdatingSucceeded204: succeeded(resource("Succeeded")),
  LROs_put201CreatingFailed200: failed("backend_failed"),
  LROs_put200Acceptedcanceled200: CANCELLED,
  // Location, polled by its HTTP code: its last answer is the result.
  LROs_put202Retry200: succeeded({ id: "100", name: "foo" }),
  LROs_putNoHeaderInRetry: succeeded(resource("Succeeded")),
  LROs_putNonResource: succeeded({ name: "sku", id: "100" }),
  LROs_putSubResource: succeeded({ properties: { provisioningState: "Succeeded" }, id: "100", subresource: "sub1" }),
  LROs_deleteProvisioning202Accepted200Succeeded: succeeded(resource("Succeeded")),
  LROs_deleteProvisioning202DeletingFailed200: failed("backend_failed"),
  LROs_deleteProvisioning202Deletingcanceled200: CANCELLED,
  LROs_delete202Retry200: succeeded(null),
  LROs_delete202NoRetry204: succeeded(null),
  LROs_deleteNoHeaderInRetry: succeeded(null),
  LROs_post200WithPayload: succeeded({ id: "1", name: "product" }),
  LROs_post202Retry200: succeeded(resource("Succeeded")),
  LROs_post202NoRetry204: succeeded(null),
  // Azure-AsyncOperation: PUT and PATCH read the request URL, POST the Location, DELETE nothing.
  LROs_patch201RetryWithAsyncHeader: succeeded(resource("Succeeded", "/lro/patch/201/retry/onlyAsyncHeader")),
  LROs_patch202RetryWithAsyncAndLocationHeader: succeeded(resource("Succeeded", "/lro/patch/202/retry/asyncAndLocationHeader")),
  LROs_putAsyncRetrySucceeded: succeeded(resource("Succeeded")),
  LROs_putAsyncNoRetrySucceeded: succeeded(resource("Succeeded")),
  LROs_putAsyncRetryFailed: failed("backend_failed"),
  LROs_putAsyncNoRetrycanceled: CANCELLED,
  LROs_putAsyncNoHeaderInRetry: succeeded(resource("Succeeded")),
  LROs_putAsyncNonResource: succeeded({ name: "sku", id: "100" }),
  LROs_putAsyncSubResource: succeeded({ properties: { provisioningState: "Succeeded" }, id: "100", subresource: "sub1" }),
  LROs_deleteAsyncNoHeaderInRetry: succeeded({ status: "Succeeded" }),
  LROs_deleteAsyncRetrySucceeded: succeeded({ status: "Succeeded" }),
  LROs_deleteAsyncNoRetrySucceeded: succeeded({ status: "Succeeded" }),
  LROs_deleteAsyncRetryFailed: failed("backend_failed"),
  LROs_deleteAsyncRetrycanceled: CANCELLED,
  LROs_post202List: succeeded([{ id: "100", name: "foo" }]),
  LROs_postDoubleHeadersFinalLocationGet: succeeded({ id: "100", name: "foo" }),
  LROs_postDoubleHeadersFinalAzureHeaderGet: succeeded({ status: "succeeded", id: "100" }),
  LROs_postDoubleHeadersFinalAzureHeaderGetDefault: succeeded({ id: "100", name: "foo" }),
  LROs_postAsyncRetrySucceeded: succeeded(resource("Succeeded")),
  LROs_postAsyncNoRetrySucceeded: succeeded(resource("Succeeded")),
  LROs_postAsyncRetryFailed: failed("backend_failed"),
  LROs_postAsyncRetrycanceled: CANCELLED,
  // Each request of these answers 500 once before it answers.
  LRORetrys_put201CreatingSucceeded200: succeeded(resource("Succeeded")),
  LRORetrys_putAsyncRelativeRetrySucceeded: succeeded(resource("Succeeded")),
  LRORetrys_deleteProvisioning202Accepted200Succeeded: succeeded(resource("Succeeded")),
  LRORetrys_delete202Retry200: succeeded(resource("Succeeded")),
  LRORetrys_deleteAsyncRelativeRetrySucceeded: succeeded({ status: "Succeeded" }),
  LRORetrys_post202Retry200: succeeded(resource("Succeeded")),
  LRORetrys_postAsyncRelativeRetrySucceeded: succeeded({ name: "sku", id: "100" }),
  // The sad paths.
  LROSADs_putNonRetry400: failed("kickoff_refused"),
  LROSADs_deleteNonRetry400: failed("kickoff_refused"),
  LROSADs_postNonRetry400: failed("kickoff_refused"),
  LROSADs_putNonRetry201Creating400: failed("poll_refused"),
  LROSADs_putNonRetry201Creating400InvalidJson: failed("poll_refused"),
  LROSADs_putAsyncRelativeRetry400: failed("poll_refused"),
  LROSADs_delete202NonRetry400: failed("poll_refused"),
  LROSADs_deleteAsyncRelativeRetry400: failed("poll_refused"),
  LROSADs_post202NonRetry400: failed("poll_refused"),
  LROSADs_postAsyncRelativeRetry400: failed("poll_refused"),
  LROSADs_putError201NoProvisioningStatePayload: failed("malformed_answer"),
  LROSADs_putAsyncRelativeRetryNoStatus: failed("malformed_answer"),
  LROSADs_putAsyncRelativeRetryNoStatusPayload: failed("malformed_answer"),
  LROSADs_deleteAsyncRelativeRetryNoStatus: failed("malformed_answer"),
  LROSADs_postAsyncRelativeRetryNoPayload: failed("malformed_answer"),
  LROSADs_put200InvalidJson: failed("malformed_answer"),
  LROSADs_putAsyncRelativeRetryInvalidJsonPolling: failed("malformed_answer"),
  LROSADs_deleteAsyncRelativeRetryInvalidJsonPolling: failed("malformed_answer"),
  LROSADs_postAsyncRelativeRetryInvalidJsonPolling: failed("malformed_answer"),
  LROSADs_post202NoLocation: failed("malformed_answer"),
  LROSADs_putAsyncRelativeRetryInvalidHeader: NOT_SERVED,
  LROSADs_delete202RetryInvalidHeader: NOT_SERVED,
  LROSADs_deleteAsyncRelativeRetryInvalidHeader: NOT_SERVED,
  LROSADs_post202RetryInvalidHeader: NOT_SERVED,
  LROSADs_postAsyncRelativeRetryInvalidHeader: NOT_SERVED,
  // A 204 with no Location is a finished delete, not a sad path (the Go and JS SDK tests agree).
  LROSADs_delete204Succeeded: succeeded(null),
  // Each request must carry CUSTOM_HEADER.
  LROsCustomHeader_putAsyncRetrySucceeded: succeeded(resource("Succeeded")),
  LROsCustomHeader_put201CreatingSucceeded200: succeeded(resource("Succeeded")),
  LROsCustomHeader_post202Retry200: succeeded(null),
  LROsCustomHeader_postAsyncRetrySucceeded: succeeded({ status: "Succeeded" }),
};

/** More polls than any scenario needs: a run past it is stopped, and the row fails saying so. */
const MAX_POLLS = 20;

/** A run of one operation: its result, the final body it saved, and every exchange it made. */
interface OperationRun {
  readonly result: RuntimeResult;
  /** `response.json`, parsed; `null` when the run saved no body, or an empty one. */
  readonly body: unknown;
  readonly exchanges: readonly CookieFetchExchange[];
  readonly ranAway: boolean;
}

async function runOperation(operation: LroOperation): Promise<OperationRun> {
  const clock = fakeClock();
  const client = cookieFetch(clock.now);
  const directory = await mkdtemp(join(tmpdir(), "autorest-lro-"));
  onTestFinished(() => rm(directory, { recursive: true, force: true }));
  const metadata: Record<string, string> = {
    "http.url": `${ORIGIN}${operation.path}`,
    "http.method": operation.method,
    "http.poll_protocol": "lro",
  };
  if (operation.bodySchema !== undefined) metadata["http.body"] = JSON.stringify(BODIES[operation.bodySchema]);
  if (operation.finalStateVia !== undefined) metadata["http.final_state_via"] = operation.finalStateVia;
  if (operation.operationId.startsWith("LROsCustomHeader_")) metadata["http.headers"] = JSON.stringify(CUSTOM_HEADER);
  const invocation = RuntimeInvocationSchema.parse({
    invocation_id: operation.operationId,
    runtime_name: "autorest-testserver",
    runtime_kind: "http_async",
    timeout_seconds: 3600,
    artifact_directory: directory,
    metadata,
  });
  const runner = new AsyncHttpRunner({ fetch: client.fetch, sleep: clock.sleep, now: clock.now });
  onTestFinished(() => runner.close());
  const stop = new AbortController();
  const result = await runner.run(invocation, {
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type === "poll" && event.attempt > MAX_POLLS) stop.abort();
    },
  });
  const saved = await readFile(join(directory, "response.json"), "utf8").catch(() => "");
  return { result, body: saved === "" ? null : JSON.parse(saved), exchanges: client.exchanges, ranAway: stop.signal.aborted };
}

/** The run as a failed assertion shows it: outcome, summary, and each request with its answer. */
function describeRun({ result, exchanges }: OperationRun): string {
  const lines = exchanges.map(({ method, url, status, headers }) => {
    const monitors = ["operation-location", "azure-asyncoperation", "location", "retry-after"]
      .filter((name) => headers[name] !== undefined)
      .map((name) => `${name}: ${headers[name]}`);
    return `  ${method} ${url.replace(ORIGIN, "")} -> ${status}${monitors.length > 0 ? ` (${monitors.join(", ")})` : ""}`;
  });
  return [`${result.status}: ${result.error_summary ?? "no summary"}`, ...lines].join("\n");
}

function title(expected: Expectation): string {
  if (expected.outcome === "succeeded") return expected.body === null ? "succeeds" : "succeeds with the final body";
  if (expected.outcome === "cancelled") return "ends cancelled";
  return `fails (${expected.failureKind})`;
}

const GROUPS = [...new Set(OPERATIONS.map((operation) => operation.operationId.split("_")[0] ?? ""))];

describe(`${AsyncHttpRunner.name} protocol lro on the AutoRest test server`, () => {
  beforeAll(async () => {
    // The counts start from zero, however often the file runs against one server.
    const cleared = await fetch(`${ORIGIN}/report/clear`, { method: "POST" });
    expect(cleared.status).toBe(200);
  });

  it("has an expected outcome for every long-running operation of lro.json, and none other", () => {
    expect(OPERATIONS.length).toBeGreaterThan(0);
    expect(Object.keys(EXPECTED).sort()).toEqual(OPERATIONS.map((operation) => operation.operationId).sort());
    const schemas = OPERATIONS.flatMap((operation) => (operation.bodySchema === undefined ? [] : [operation.bodySchema]));
    expect(Object.keys(BODIES).sort()).toEqual([...new Set(schemas)].sort());
  });

  let finished = 0;

  for (const group of GROUPS) {
    describe(group, () => {
      for (const operation of OPERATIONS.filter(({ operationId }) => operationId.startsWith(`${group}_`))) {
        const expected = EXPECTED[operation.operationId] ?? failed("missing from EXPECTED");
        it(`${operation.operationId}: ${operation.method} ${operation.path} ${title(expected)}`, async () => {
          const run = await runOperation(operation);
          const story = describeRun(run);
          expect(run.ranAway, `polled more than ${MAX_POLLS} times:\n${story}`).toBe(false);
          expect(run.result.status, story).toBe(expected.outcome);
          if (expected.outcome === "succeeded") expect(run.body, story).toEqual(expected.body);
          if (expected.outcome === "failed") expect(run.result.metadata["failure_kind"], story).toBe(expected.failureKind);
          finished += 1;
        });
      }
    });
  }

  it("reaches every LRO scenario the test server counts", async ({ skip }) => {
    if (finished < OPERATIONS.length) skip(`${OPERATIONS.length - finished} of ${OPERATIONS.length} operations did not end as expected`);
    // The LRO routes count in "azure", but for one in "optional"; LROParameterizedEndpoint and
    // LROConstantParameterized* belong to lro-parameterized-endpoints.json, CustomHeaderInRequest to header.json.
    const azure = await report("azure");
    const optional = await report("optional");
    const counts: Record<string, number> = {};
    for (const [name, count] of Object.entries(azure)) {
      if (/^(LRO|CustomHeader)/.test(name) && !/^LRO(Constant)?Parameterized/.test(name)) counts[name] = count;
    }
    for (const [name, count] of Object.entries(optional)) if (name.startsWith("LRO")) counts[name] = count;
    expect(Object.keys(counts).length).toBeGreaterThan(0);
    expect(Object.keys(counts).filter((name) => counts[name] === 0)).toEqual([]);
  });
});

async function report(category: string): Promise<Record<string, number>> {
  const response = await fetch(`${ORIGIN}/report/${category}`);
  return (await response.json()) as Record<string, number>;
}
