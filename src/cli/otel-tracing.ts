import type * as Api from "@opentelemetry/api";
import type * as OtlpExporter from "@opentelemetry/exporter-trace-otlp-http";
import type * as Resources from "@opentelemetry/resources";
import type * as Sdk from "@opentelemetry/sdk-trace-node";
import type * as Instrumentation from "../otel/index.js";
import type { CliIo } from "./io.js";
import { formatSpanTree } from "./span-tree.js";

/**
 * What `--otel` needs installed: the OpenTelemetry SDK's 2.x line, which
 * installs together on Node 20 and later (the 3.x line needs Node 22).
 */
export const OTEL_PACKAGES = ["@opentelemetry/api@1.9", "@opentelemetry/instrumentation@0.223", "@opentelemetry/sdk-trace-node@2"] as const;

/** What `--otel` also needs when an OTLP endpoint is set. */
export const OTLP_PACKAGE = "@opentelemetry/exporter-trace-otlp-http@0.223";

/** The OpenTelemetry modules `--otel` uses. */
export interface OtelModules {
  readonly api: typeof Api;
  readonly sdk: typeof Sdk;
  readonly instrumentation: typeof Instrumentation;
  readonly otlp: typeof OtlpExporter | undefined;
  /** Optional: without it the spans keep the SDK's default service name. */
  readonly resources: typeof Resources | undefined;
}

/**
 * Loads the OpenTelemetry modules, the OTLP exporter only when `otlp` is set
 * (after the others). Rejects with Node's `ERR_MODULE_NOT_FOUND`, whose
 * message names the package, when one is not installed.
 */
export async function loadOtelModules(otlp: boolean): Promise<OtelModules> {
  const [api, sdk, instrumentation] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/sdk-trace-node"),
    // In the published command, the otel.js beside cli.js (see tsup.config.ts).
    import("../otel/index.js"),
  ]);
  const exporter = otlp ? await import("@opentelemetry/exporter-trace-otlp-http") : undefined;
  const resources = await import("@opentelemetry/resources").catch(() => undefined);
  return { api, sdk, instrumentation, otlp: exporter, resources };
}

/** The tracing of one command run. */
export interface CliTracing {
  /**
   * Stops tracing and prints the span tree on stderr (unless `printTree` is
   * false), flushes the OTLP export, and leaves the OpenTelemetry globals as
   * they were before.
   */
  finish(printTree: boolean): Promise<void>;
}

/** Tracing started, or the one line that says why it could not be. */
export type CliTracingStart = { readonly ok: true; readonly tracing: CliTracing } | { readonly ok: false; readonly message: string };

/**
 * Starts tracing for `executor-runtime run --otel`: a tracer provider with
 * the AsyncLocalStorage context manager and the W3C propagators, the spans
 * kept in memory for the tree and, when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
 * or `OTEL_EXPORTER_OTLP_ENDPOINT` is set, exported over OTLP/HTTP (JSON),
 * and `ExecutorRuntimeInstrumentation` enabled.
 */
export async function startCliTracing(io: CliIo, load: (otlp: boolean) => Promise<OtelModules> = loadOtelModules): Promise<CliTracingStart> {
  const otlpUrl = otlpTracesUrl(io.env);
  let modules: OtelModules;
  try {
    modules = await load(otlpUrl !== undefined);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ERR_MODULE_NOT_FOUND") throw error;
    return { ok: false, message: notLoaded(error as Error, io.env) };
  }
  const { api, sdk, instrumentation, otlp, resources } = modules;
  const memory = new sdk.InMemorySpanExporter();
  const spanProcessors: Sdk.SpanProcessor[] = [new sdk.SimpleSpanProcessor(memory)];
  if (otlp !== undefined && otlpUrl !== undefined) spanProcessors.push(new sdk.BatchSpanProcessor(new otlp.OTLPTraceExporter({ url: otlpUrl })));
  const serviceName = io.env.OTEL_SERVICE_NAME ?? "executor-runtime";
  const resource = resources?.resourceFromAttributes({ "service.name": serviceName });
  const provider = new sdk.NodeTracerProvider(resource === undefined ? { spanProcessors } : { spanProcessors, resource });
  provider.register();
  const instrumented = new instrumentation.ExecutorRuntimeInstrumentation();
  instrumented.setTracerProvider(provider);
  return {
    ok: true,
    tracing: {
      async finish(printTree) {
        instrumented.disable();
        if (printTree) {
          const lines = formatSpanTree(memory.getFinishedSpans());
          io.stderr.write(lines.length === 0 ? "otel: no spans were recorded\n" : `${lines.join("\n")}\n`);
        }
        await provider.shutdown();
        api.trace.disable();
        api.context.disable();
        api.propagation.disable();
      },
    },
  };
}

/**
 * The line that says what `--otel` could not load, naming the package Node
 * did not find: the OTLP exporter alone when only it is missing (the SDK
 * loaded), else the SDK's packages to install together.
 */
function notLoaded(error: Error, env: Readonly<Record<string, string | undefined>>): string {
  // Node: "Cannot find package '@opentelemetry/api' imported from /app/node_modules/executor-runtime/dist/cli.js".
  const missing = /^Cannot find package '([^']+)'/.exec(error.message)?.[1];
  const otlpUrl = otlpTracesUrl(env);
  if (missing === undefined) return `--otel could not load a module: ${error.message.split(" imported from ")[0] ?? error.message}`;
  if (otlpUrl !== undefined && OTLP_PACKAGE.startsWith(`${missing}@`)) {
    const variable = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT";
    return `--otel exports spans to ${otlpUrl} (${variable} is set), which needs ${missing}, and it is not installed; install it with: npm install ${OTLP_PACKAGE}`;
  }
  const packages = otlpUrl === undefined ? OTEL_PACKAGES : [...OTEL_PACKAGES, OTLP_PACKAGE];
  return `--otel needs the OpenTelemetry SDK (${missing} is not installed); install it with: npm install ${packages.join(" ")}`;
}

/**
 * Where OTLP traces go, read as the OTLP exporter reads the standard
 * variables: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, else
 * `OTEL_EXPORTER_OTLP_ENDPOINT` with `/v1/traces` added; undefined when
 * neither is set (the exporter would post to localhost:4318 otherwise).
 */
export function otlpTracesUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  return `${base}${base.endsWith("/") ? "" : "/"}v1/traces`;
}
