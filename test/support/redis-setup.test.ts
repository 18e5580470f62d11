import { describe, expect, it } from "vitest";
import { ensureRedisServer, REDIS_SERVER_PLACES, type RedisSetupHost } from "./redis-setup.js";

/**
 * A machine on which redis-server appears once `apt-get install` ran, on
 * PATH, or at `installsAt` when that is given (a directory PATH lacks);
 * `at` is where it is from the start, outside PATH; `fails` lists the
 * commands (program and arguments joined by spaces) that exit non-zero.
 */
function machine(
  options: { isRoot?: boolean; hasRedis?: boolean; at?: string; installsAt?: string; fails?: string[]; env?: Record<string, string> } = {},
) {
  const ran: string[] = [];
  const said: string[] = [];
  let hasRedis = options.hasRedis ?? false;
  let at = options.at;
  const host: RedisSetupHost = {
    env: options.env ?? {},
    isRoot: options.isRoot ?? true,
    say: (line) => void said.push(line),
    run: (file, args) => {
      const command = [file, ...args].join(" ");
      ran.push(command);
      if (command.endsWith("apt-get install -y -qq --no-install-recommends redis-server")) {
        if (options.installsAt === undefined) hasRedis = true;
        else at = options.installsAt;
      }
      const missing = (file === "redis-server" && !hasRedis) || (file.startsWith("/") && file !== at);
      const failed = options.fails?.includes(command) === true || missing;
      return { ok: !failed, output: failed ? "E: something went wrong\n" : "" };
    },
  };
  return { host, ran, said };
}

const APT = "env DEBIAN_FRONTEND=noninteractive apt-get";
const INSTALL = `${APT} install -y -qq --no-install-recommends redis-server`;
/** The look for redis-server where packages put it, when PATH has none. */
const LOOK = REDIS_SERVER_PLACES.map((place) => `${place} --version`);

describe(ensureRedisServer.name, () => {
  it("does nothing when redis-server is on PATH", () => {
    const { host, ran } = machine({ hasRedis: true });
    expect(ensureRedisServer(host)).toEqual({ ok: true, installed: false });
    expect(ran).toEqual(["redis-server --version"]);
  });

  it("installs redis-server with apt-get as root, without reading the package lists again when they know it", () => {
    const { host, ran, said } = machine();
    expect(ensureRedisServer(host)).toEqual({ ok: true, installed: true });
    expect(ran).toEqual(["redis-server --version", ...LOOK, "apt-get --version", "apt-cache show redis-server", INSTALL, "redis-server --version"]);
    expect(said).toEqual(["redis-server is not on PATH: installing it with apt-get for the queue tests"]);
  });

  it("runs apt-get update first when the package lists do not know redis-server", () => {
    const { host, ran } = machine({ fails: ["apt-cache show redis-server"] });
    expect(ensureRedisServer(host)).toEqual({ ok: true, installed: true });
    expect(ran.slice(2 + LOOK.length)).toEqual(["apt-cache show redis-server", `${APT} update -qq`, INSTALL, "redis-server --version"]);
  });

  it("installs through sudo -n when it is not root", () => {
    const { host, ran } = machine({ isRoot: false });
    expect(ensureRedisServer(host)).toEqual({ ok: true, installed: true });
    expect(ran).toContain(`sudo -n ${INSTALL}`);
  });

  it("uses redis-server installed outside PATH, naming where it is and the directory PATH lacks, and installs nothing", () => {
    const { host, ran, said } = machine({ at: "/usr/sbin/redis-server" });
    expect(ensureRedisServer(host)).toEqual({ ok: true, installed: false, directory: "/usr/sbin" });
    expect(ran.filter((command) => command.includes("apt-get"))).toEqual([]);
    expect(said).toEqual([
      "redis-server is installed at /usr/sbin/redis-server, but /usr/sbin is not on PATH: the queue tests add it to theirs (add it to yours to drop this line)",
    ]);
  });

  it("uses redis-server that apt-get installed into a directory PATH lacks", () => {
    const { host, said } = machine({ installsAt: "/usr/bin/redis-server" });
    expect(ensureRedisServer(host)).toEqual({ ok: true, installed: true, directory: "/usr/bin" });
    expect(said.at(-1)).toContain("redis-server is installed at /usr/bin/redis-server, but /usr/bin is not on PATH");
  });

  it.each<[string, Parameters<typeof machine>[0], string]>([
    ["installing is forbidden by EXECUTOR_RUNTIME_NO_INSTALL=1", { env: { EXECUTOR_RUNTIME_NO_INSTALL: "1" } }, "EXECUTOR_RUNTIME_NO_INSTALL=1 forbids installing it"],
    ["there is no apt-get", { fails: ["apt-get --version"] }, "there is no apt-get to install it with"],
    ["it is not root and sudo asks for a password", { isRoot: false, fails: ["sudo -n true"] }, "installing it needs root (this user is not root and has no password-less sudo)"],
    ["apt-get update fails", { fails: ["apt-cache show redis-server", `${APT} update -qq`] }, "apt-get update failed (E: something went wrong)"],
    ["apt-get install fails", { fails: [INSTALL] }, "apt-get install redis-server failed (E: something went wrong)"],
  ])("stops with one line naming the package when %s", (_when, options, reason) => {
    const { host, ran } = machine(options);
    const check = ensureRedisServer(host);
    expect(check).toEqual({ ok: false, problem: expect.stringContaining(`not on PATH, and ${reason}; install Redis (Debian: apt-get install redis-server)`) });
    expect(check.ok ? "" : check.problem).not.toContain("\n");
    expect(ran.filter((command) => command.includes(" install "))).toHaveLength(options?.fails?.includes(INSTALL) === true ? 1 : 0);
  });
});

describe("ensureRedisServer for another program", () => {
  it("names that program, not the queue tests, in the line that stops it", () => {
    const { host } = machine({ env: { EXECUTOR_RUNTIME_NO_INSTALL: "1" } });
    const check = ensureRedisServer({ ...host, needs: { stopped: "npm run chaos stopped: it starts its own redis-server" } });
    expect(check).toEqual({
      ok: false,
      problem:
        "npm run chaos stopped: it starts its own redis-server, which is not on PATH, and EXECUTOR_RUNTIME_NO_INSTALL=1 forbids installing it; " +
        "install Redis (Debian: apt-get install redis-server) and run it again",
    });
  });
});
