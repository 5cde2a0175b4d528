/**
 * The suite runs against the fast lane by default (the server's default); with
 * ASSETD_FAST_LANE=false in the environment (test/e2e/node-path.test.ts sets it) every server
 * the tests start, in this process or as a child, serves through node:http alone. Tests that
 * resolve their config from an empty environment take the switch from here.
 */
export function laneEnv(): Record<string, string> {
  const v = process.env.ASSETD_FAST_LANE;
  return v === undefined ? {} : { ASSETD_FAST_LANE: v };
}
