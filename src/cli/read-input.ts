import { readFile } from "node:fs/promises";
import type { CliIo } from "./io.js";

/** The invocation file parsed as JSON, or one line saying why it could not be. */
export type InputReading =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string };

/** Where an invocation comes from: a file path, or `-` for standard input. */
export const STDIN_PATH = "-";

/**
 * Reads and parses an invocation file (`-` reads standard input). Every
 * failure (a missing file, a directory, invalid JSON) comes back as one
 * readable line, never as a thrown error.
 */
export async function readInvocationInput(path: string, io: CliIo): Promise<InputReading> {
  const name = path === STDIN_PATH ? "standard input" : path;
  let text: string;
  try {
    text = path === STDIN_PATH ? await readStdin(io) : await readFile(path, "utf8");
  } catch (error) {
    return { ok: false, message: `cannot read ${name}: ${describeFileError(error)}` };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") return { ok: false, message: `${name} is empty: expected an RxP v0.1 invocation (a JSON object)` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `${name} is not valid JSON: ${describeJsonError(error, text)}` };
  }
}

async function readStdin(io: CliIo): Promise<string> {
  if (io.stdin.isTTY === true && io.stderr.isTTY === true) {
    io.stderr.write("Reading the invocation from standard input; end it with Ctrl-D.\n");
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

function describeFileError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "it is a directory, not a file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** V8's message without the echoed source text, with a line and column when it gives a position. */
export function describeJsonError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const echoed = /^(Unexpected token .+?), ".*" is not valid JSON$/s.exec(message);
  if (echoed?.[1] !== undefined) return echoed[1];
  const positioned = /^(.*?) (in|after) JSON at position (\d+)/s.exec(message);
  if (positioned?.[1] === undefined) return message;
  const what = positioned[2] === "after" ? `${positioned[1]} after the JSON value` : positioned[1];
  const before = text.slice(0, Number(positioned[3]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `${what} (line ${line}, column ${column})`;
}
