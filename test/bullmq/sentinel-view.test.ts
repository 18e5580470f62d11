import { describe, expect, it } from "vitest";
import { primaryViewOf } from "../../src/bullmq/sentinel-view.js";

/*
 * What the three sentinels said of the primary and its replicas, 50 ms apart, through a `SENTINEL FAILOVER`
 * of 127.0.0.1:36789 to 127.0.0.1:39071 (Redis 7.0.15; the other replica is 127.0.0.1:44923).
 */
const OLD = "b9bc55f1";
const NEW = "09f611c2";

function primary(port: number, flags: string, runid: string): Map<string, string> {
  return new Map([
    ["ip", "127.0.0.1"],
    ["port", String(port)],
    ["flags", flags],
    ["runid", runid],
  ]);
}

function replica(port: number, flags: string, role: string, link: string, masterPort: number, runid = `run-${port}`): Map<string, string> {
  return new Map([
    ["ip", "127.0.0.1"],
    ["port", String(port)],
    ["flags", flags],
    ["runid", runid],
    ["role-reported", role],
    ["master-link-status", link],
    ["master-host", masterPort === 0 ? "?" : "127.0.0.1"],
    ["master-port", String(masterPort)],
  ]);
}

const settledReplicas = [replica(44923, "slave", "slave", "ok", 36789), replica(39071, "slave", "slave", "ok", 36789)];

describe("what a write on a Sentinel topology must meet", () => {
  it("asks every replica that follows a settled primary to acknowledge, on that primary", () => {
    const report = { primary: primary(36789, "master", OLD), replicas: settledReplicas };
    expect(primaryViewOf([report, report, report])).toEqual({ runId: OLD, replicas: 2 });
  });

  it("confirms nothing once the sentinel leading a failover flags it, though the others see a settled primary", () => {
    // As the replica is promoted: the others see its link drop and leave it out; one acknowledgement would do for them.
    const others = { primary: primary(36789, "master", OLD), replicas: [replica(44923, "slave", "slave", "ok", 36789), replica(39071, "slave,disconnected", "slave", "ok", 36789)] };
    expect(primaryViewOf([others, others])).toEqual({ runId: OLD, replicas: 1 });
    const leader = {
      primary: primary(36789, "master,failover_in_progress,force_failover", OLD),
      replicas: [replica(44923, "slave", "slave", "ok", 36789), replica(39071, "slave,disconnected,promoted", "slave", "ok", 36789)],
    };
    expect(primaryViewOf([others, others, leader]).unsettled).toBe(
      'a sentinel flags the primary "master,failover_in_progress,force_failover" (a failover is under way)',
    );
  });

  it("confirms nothing while a replica is flagged promoted", () => {
    const report = { primary: primary(36789, "master", OLD), replicas: [replica(39071, "slave,promoted", "master", "ok", 36789)] };
    expect(primaryViewOf([report]).unsettled).toBe("replica 127.0.0.1:39071 is being promoted (a failover is under way)");
  });

  it("confirms nothing while the sentinels name different primaries", () => {
    const switched = { primary: primary(39071, "master", ""), replicas: [replica(36789, "slave", "master", "err", 0), replica(44923, "slave", "slave", "err", 39071)] };
    const behind = { primary: primary(36789, "master", OLD), replicas: settledReplicas };
    expect(primaryViewOf([switched, behind]).unsettled).toBe("the sentinels name 127.0.0.1:39071 and 127.0.0.1:36789 as the primary (a failover is under way)");
  });

  it("confirms nothing while no sentinel knows the new primary's run_id, and takes it from any that does", () => {
    // The leader names the new primary with an empty run id for seconds after the others learned it.
    const leader = { primary: primary(39071, "master", ""), replicas: [replica(44923, "slave", "slave", "ok", 39071), replica(36789, "slave", "master", "err", 0)] };
    expect(primaryViewOf([leader]).unsettled).toBe("no sentinel knows the run_id of the primary 127.0.0.1:39071 yet (a failover is under way)");
    const other = { primary: primary(39071, "master", NEW), replicas: [replica(36789, "slave", "master", "err", 0), replica(44923, "slave", "slave", "err", 39071)] };
    // The old primary, which still reports itself one, does not count; the replica the leader sees following the new one does.
    expect(primaryViewOf([leader, other])).toEqual({ runId: NEW, replicas: 1 });
  });

  it("confirms nothing while the sentinels know the primary by two run_ids", () => {
    const one = { primary: primary(36789, "master", OLD), replicas: settledReplicas };
    const two = { primary: primary(36789, "master", NEW), replicas: settledReplicas };
    expect(primaryViewOf([one, two]).unsettled).toBe("the sentinels know the primary by two run_ids (a failover is under way)");
  });

  it("leaves out the replicas the sentinels see down, and asks at least one acknowledgement", () => {
    const down = [replica(44923, "slave,s_down,disconnected", "slave", "err", 36789), replica(39071, "slave,s_down,disconnected", "slave", "err", 36789)];
    expect(primaryViewOf([{ primary: primary(36789, "master", OLD), replicas: down }])).toEqual({ runId: OLD, replicas: 1 });
  });

  it("confirms nothing before any sentinel answered", () => {
    expect(primaryViewOf([]).unsettled).toBe("no sentinel has answered yet");
  });
});
