import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, onTestFinished } from "vitest";
import { otlpTracesUrl } from "../../src/cli/otel-tracing.js";
import { runInvocationFile } from "../../src/cli/run-command.js";
import { startFakeBackend, type FakeBackend, type FakeBackendOptions } from "../../examples/fake-backend.js";
import { exampleInvocation, fakeIo, writeJson } from "../support/cli-harness.js";
import { fakeClock } from "../support/fake-clock.js";
import { makeTempDir } from "../support/temp-dir.js";

const backends: FakeBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
});

async function backend(options: FakeBackendOptions = {}): Promise<FakeBackend> {
  const started = await startFakeBackend({ retryAfterSeconds: 0, runningPolls: 1, ...options });
  backends.push(started);
  return started;
}

/** Runs the classic example with --otel in-process, on a virtual clock; returns the exit code and the output. */
async function runTraced(fake: FakeBackend, env: Record<string, string> = {}, options: Parameters<typeof runInvocationFile>[2] = {}) {
  const path = await writeJson(await makeTempDir(), "job.json", exampleInvocation("classic-202", fake.origin));
  const { io, stdout, stderr } = fakeIo({ env });
  const clock = fakeClock();
  const exitCode = await runInvocationFile(path, io, { otel: true, quiet: true, now: clock.now, sleep: clock.sleep, ...options });
  return { exitCode, stdout: stdout(), stderr: stderr() };
}

/** Node's error for an import of a package that is not installed. */
function notFound(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/node_modules/executor-runtime/dist/cli.js`), { code: "ERR_MODULE_NOT_FOUND" });
}

/** The tree with its times and the backend's origin made constant. */
function shape(text: string, origin: string): string[] {
  return text
    .trimEnd()
    .split("\n")
    .map((line) =>
      line
        .replaceAll(origin, "{origin}")
        .replace(/^trace [0-9a-f]{32}$/, "trace {id}")
        .replace(/\+\d+\.\d{3}s/, "+Ns")
        .replace(/\((\d+ ms|\d+\.\d\d s)\)/g, "(N ms)")
        .replace(/ in (\d+ ms|\d+\.\d\d s)\b/, " in N ms"),
    );
}

describe("executor-runtime run --otel", () => {
  it("prints the run's span tree on stderr after the run: the run, each request, and each wait and retry", async () => {
    const fake = await backend();
    const ran = await runTraced(fake);
    expect(ran.exitCode).toBe(0);
    expect(JSON.parse(ran.stdout)).toMatchObject({ status: "succeeded" });
    expect(shape(ran.stderr, fake.origin)).toEqual([
      "trace {id}",
      "+Ns executor.run http_async classic-demo-1: succeeded in N ms (3 polls, run id job-0001, backend status succeeded, HTTP 200)",
      "├─ +Ns POST kickoff {origin}/v1/jobs → 202 (N ms)",
      "├─ +Ns GET poll 1 {origin}/v1/jobs/job-0001 → 429 (N ms)",
      '├─ +Ns retry after poll 1: HTTP 429: {"error":"slow down"}',
      "├─ +Ns wait 0 ms (retry-after)",
      "├─ +Ns GET poll 2 {origin}/v1/jobs/job-0001 → 200 (N ms)",
      "├─ +Ns wait 0 ms (interval)",
      "└─ +Ns GET poll 3 {origin}/v1/jobs/job-0001 → 200 (N ms)",
    ]);
  });

  it("names a failed run's summary on its line", async () => {
    const fake = await backend({ outcome: "failure" });
    const ran = await runTraced(fake);
    expect(ran.exitCode).toBe(1);
    expect(shape(ran.stderr, fake.origin)[1]).toMatch(/^\+Ns executor\.run http_async classic-demo-1: failed in N ms \(3 polls, .*\): backend reported terminal status: failed/);
  });

  it("exports the spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT with /v1/traces, under the service name executor-runtime", async () => {
    const posts: { path: string | undefined; body: string }[] = [];
    const collector = createServer((request: IncomingMessage, response) => {
      let body = "";
      request.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        posts.push({ path: request.url, body });
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => new Promise<void>((resolve) => collector.close(() => resolve())));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

    const ran = await runTraced(await backend(), { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });

    expect(ran.exitCode).toBe(0);
    expect(posts.map((post) => post.path)).toEqual(["/v1/traces"]);
    const exported = JSON.parse(posts[0]?.body ?? "{}") as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string }[] }[] }[] };
    const [resourceSpans] = exported.resourceSpans;
    expect(resourceSpans?.resource.attributes.find((attribute) => attribute.key === "service.name")?.value.stringValue).toBe("executor-runtime");
    expect(resourceSpans?.scopeSpans.flatMap((scope) => scope.spans.map((span) => span.name)).sort()).toEqual(["GET", "GET", "GET", "POST", "executor.run http_async"]);
  });

  it("says in one line which package is missing and which packages to install when the SDK is missing, and runs nothing", async () => {
    const fake = await backend();
    const ran = await runTraced(fake, {}, { loadOtel: () => Promise.reject(notFound("@opentelemetry/sdk-trace-node")) });
    expect(ran).toEqual({
      exitCode: 2,
      stdout: "",
      stderr:
        "executor-runtime: --otel needs the OpenTelemetry SDK (@opentelemetry/sdk-trace-node is not installed); install it with: " +
        "npm install @opentelemetry/api@1.9 @opentelemetry/instrumentation@0.223 @opentelemetry/sdk-trace-node@2\n",
    });
    expect(fake.requests).toEqual([]);
  });

  it("names the OTLP exporter, not the SDK, when only the exporter is missing, and runs nothing", async () => {
    const fake = await backend();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    const ran = await runTraced(fake, env, { loadOtel: () => Promise.reject(notFound("@opentelemetry/exporter-trace-otlp-http")) });
    expect(ran).toEqual({
      exitCode: 2,
      stdout: "",
      stderr:
        "executor-runtime: --otel exports spans to http://collector:4318/v1/traces (OTEL_EXPORTER_OTLP_ENDPOINT is set), " +
        "which needs @opentelemetry/exporter-trace-otlp-http, and it is not installed; " +
        "install it with: npm install @opentelemetry/exporter-trace-otlp-http@0.223\n",
    });
    expect(fake.requests).toEqual([]);
  });

  it("names the package a loaded package could not find, and asks for the SDK with the exporter when an endpoint is set", async () => {
    const fake = await backend();
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces/custom" };
    const ran = await runTraced(fake, env, { loadOtel: () => Promise.reject(notFound("@opentelemetry/core")) });
    expect(ran.stderr).toBe(
      "executor-runtime: --otel needs the OpenTelemetry SDK (@opentelemetry/core is not installed); install it with: " +
        "npm install @opentelemetry/api@1.9 @opentelemetry/instrumentation@0.223 @opentelemetry/sdk-trace-node@2 @opentelemetry/exporter-trace-otlp-http@0.223\n",
    );
  });

  it("quotes Node's message when a module that is not a package is missing", async () => {
    const fake = await backend();
    const missing = Object.assign(new Error("Cannot find module '/app/dist/otel.js' imported from /app/dist/cli.js"), { code: "ERR_MODULE_NOT_FOUND" });
    const ran = await runTraced(fake, {}, { loadOtel: () => Promise.reject(missing) });
    expect(ran).toMatchObject({ exitCode: 2, stderr: "executor-runtime: --otel could not load a module: Cannot find module '/app/dist/otel.js'\n" });
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, "http://collector:4318/v1/traces"],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/base/" }, "http://collector:4318/base/v1/traces"],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces/custom" }, "http://traces/custom"],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: " " }, undefined],
    [{}, undefined],
  ])("reads the OTLP traces URL from %j as the OTLP exporter does: %s", (env, url) => {
    expect(otlpTracesUrl(env)).toBe(url);
  });
});
