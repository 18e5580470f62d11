/** A `--secret` flag: the name `{secret:NAME}` refers to, and the environment variable that holds its value. */
export interface SecretFlag {
  readonly name: string;
  readonly envVar: string;
}

/** The command's secrets: the flags as given, and each one's value read from the environment. */
export interface CliSecrets {
  readonly flags: readonly SecretFlag[];
  /** The value of each secret, by name. */
  readonly values: Readonly<Record<string, string>>;
}

/** What `readSecretFlags` found: the secrets, or one line saying what is wrong with a flag. */
export type SecretFlagsReading = { readonly ok: true; readonly secrets: CliSecrets } | { readonly ok: false; readonly message: string };

/** What a placeholder `{secret:NAME}` can name, without `=`, which ends the name in a flag. */
const SECRET_NAME = /^[^{}\s=]+$/;

/**
 * Reads `--secret NAME` (the value of the environment variable NAME) and
 * `--secret NAME=ENV_VAR` flags, each variable read once, now. A malformed
 * flag, a name given twice, or a variable that is unset or empty is a
 * problem naming the flag; no value ever appears in a message.
 */
export function readSecretFlags(given: readonly string[], env: Readonly<Record<string, string | undefined>>): SecretFlagsReading {
  const flags: SecretFlag[] = [];
  const values: [string, string][] = [];
  for (const text of given) {
    const equals = text.indexOf("=");
    const name = equals === -1 ? text : text.slice(0, equals);
    const envVar = equals === -1 ? text : text.slice(equals + 1);
    if (!SECRET_NAME.test(name)) {
      return { ok: false, message: `--secret '${text}': expected NAME or NAME=ENV_VAR, with a NAME of no spaces, braces or =` };
    }
    if (envVar === "" || envVar.includes("=") || envVar.includes("\0")) {
      return { ok: false, message: `--secret '${text}': expected NAME=ENV_VAR, with the name of an environment variable after the =` };
    }
    if (flags.some((flag) => flag.name === name)) return { ok: false, message: `--secret ${name} is given twice` };
    const value = Object.hasOwn(env, envVar) ? env[envVar] : undefined;
    if (value === undefined) return { ok: false, message: `--secret ${text}: the environment variable ${envVar} is not set` };
    if (value === "") return { ok: false, message: `--secret ${text}: the environment variable ${envVar} is empty` };
    flags.push({ name, envVar });
    values.push([name, value]);
  }
  return { ok: true, secrets: { flags, values: Object.fromEntries(values) } };
}
