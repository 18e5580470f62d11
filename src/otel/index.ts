export {
  ExecutorRuntimeInstrumentation,
  INSTRUMENTATION_NAME,
  type ExecutorRuntimeInstrumentationConfig,
} from "./instrumentation.js";
export { EVENT_ATTRIBUTES, METRICS, REQUEST_ATTRIBUTES, RUN_ATTRIBUTES, RUN_EVENTS } from "./names.js";
